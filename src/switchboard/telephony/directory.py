"""Who and what the SIP server knows: users (agents' phones), public numbers, trunks.

Until the store holds them, they come from configuration (the demo builds one). Passwords are
kept only as digest HA1 values, per algorithm.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from switchboard.sip.auth import compute_ha1


@dataclass(slots=True)
class User:
    """A SIP user: an agent's extension."""

    extension: str
    name: str = ""
    ha1: dict[str, str] = field(default_factory=dict)
    """HA1 per algorithm ("MD5", "SHA-256")."""
    static_contact: str | None = None
    """A fixed contact (a phone that does not register, or a load-test UAS)."""
    username: str = ""
    """The digest user name (the extension when empty)."""
    agent_id: str = ""
    """The contact-center agent who works on this phone (the extension when empty)."""


@dataclass(frozen=True, slots=True)
class Route:
    """Where a public number leads: ``echo``, ``agent:<ext>``, ``queue:<id>`` or ``ivr:<flow>``."""

    kind: str
    target: str = ""

    @classmethod
    def parse(cls, text: str) -> Route:
        """``echo`` | ``agent:1001`` | ``queue:support`` | ``ivr:main``."""
        kind, _, target = text.partition(":")
        if kind not in ("echo", "agent", "queue", "ivr", "trunk") or (kind != "echo"
                                                                      and not target):
            raise ValueError(f"{text!r} is not a route: use echo, agent:EXT, queue:ID or "
                             "ivr:FLOW")
        return cls(kind, target)


@dataclass(slots=True)
class Trunk:
    """A carrier trunk: where to send outbound calls, how to recognise its inbound ones."""

    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    username: str | None = None
    password: str | None = None
    register: bool = False
    inbound_sources: tuple[str, ...] = ()
    """Source IPs whose INVITEs are accepted as this trunk's (no authentication)."""
    keepalive: float | None = None
    """Seconds between OPTIONS keep-alives to the carrier (None: none sent)."""


class Directory:
    """Users, public numbers (DIDs) and trunks."""

    def __init__(self, realm: str = "switchboard") -> None:
        self.realm = realm
        self.users: dict[str, User] = {}
        self.dids: dict[str, Route] = {}
        self.trunks: dict[str, Trunk] = {}

    def add_user(self, extension: str, password: str, *, name: str = "",
                 static_contact: str | None = None) -> User:
        """Add a user; the password is kept only as HA1 values."""
        user = User(extension, name or extension, {
            algorithm: compute_ha1(extension, self.realm, password, algorithm)
            for algorithm in ("MD5", "SHA-256")
        }, static_contact)
        self.users[extension] = user
        return user

    def add_hashed_user(self, extension: str, ha1: str, *, username: str = "", name: str = "",
                        agent_id: str = "") -> User:
        """Add a user whose password is known only as an HA1 (MD5: 32 hex, SHA-256: 64)."""
        algorithm = "MD5" if len(ha1) == 32 else "SHA-256"
        user = User(extension, name or extension, {algorithm: ha1} if ha1 else {},
                    username=username, agent_id=agent_id)
        self.users[extension] = user
        return user

    def user_by_username(self, username: str) -> User | None:
        """The user a digest user name belongs to."""
        user = self.users.get(username)
        if user is not None and (not user.username or user.username == username):
            return user
        return next((u for u in self.users.values() if u.username == username), None)

    def extension_of_agent(self, agent_id: str) -> str:
        """The extension of the phone an agent works on."""
        for user in self.users.values():
            if (user.agent_id or user.extension) == agent_id:
                return user.extension
        return agent_id

    def agent_of_extension(self, extension: str) -> str:
        """The agent who works on an extension's phone."""
        user = self.users.get(extension)
        return (user.agent_id or user.extension) if user is not None else extension

    def ha1(self, username: str, realm: str, algorithm: str) -> str | None:
        """The lookup the digest verifier calls (None for an unknown user)."""
        user = self.user_by_username(username)
        if user is None or realm != self.realm:
            return None
        return user.ha1.get(algorithm)

    def outbound_trunk(self) -> Trunk | None:
        """The trunk outbound calls go through (the first configured)."""
        return next(iter(self.trunks.values()), None)

    @staticmethod
    def parse_trunk(name: str, text: str) -> Trunk:
        """``sip:user:password@host:port;transport=udp;register;keepalive=30`` -> a Trunk
        (inbound calls recognised by the host's address)."""
        from switchboard.sip import SipURI

        uri = SipURI.parse(text)
        keepalive = uri.param("keepalive")
        if keepalive is not None and not (keepalive.isdigit() and int(keepalive) >= 1):
            raise ValueError(f"trunk {name}: keepalive must be a whole number of seconds")
        return Trunk(name=name, host=uri.host, port=uri.port or 5060,
                     transport=(uri.param("transport") or "udp").lower(),
                     username=uri.user, password=uri.password,
                     register=uri.has_param("register"), inbound_sources=(uri.host,),
                     keepalive=float(keepalive) if keepalive is not None else None)

    def trunk_for_source(self, host: str) -> Trunk | None:
        """The trunk whose inbound sources include ``host``."""
        for trunk in self.trunks.values():
            if host in trunk.inbound_sources:
                return trunk
        return None


def demo_directory(count: int = 5, first: int = 1001) -> tuple[Directory, dict[str, str]]:
    """The demo center's users 1001-1005 with random passwords, and 9999 as the echo test."""
    directory = Directory()
    passwords = {}
    for n in range(first, first + count):
        password = secrets.token_urlsafe(9)
        directory.add_user(str(n), password, name=f"Agent {n}")
        passwords[str(n)] = password
    directory.dids["9999"] = Route("echo")
    return directory, passwords
