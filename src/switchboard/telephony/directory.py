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

    def ha1(self, username: str, realm: str, algorithm: str) -> str | None:
        """The lookup the digest verifier calls (None for an unknown user)."""
        user = self.users.get(username)
        if user is None or realm != self.realm:
            return None
        return user.ha1.get(algorithm)

    def outbound_trunk(self) -> Trunk | None:
        """The trunk outbound calls go through (the first configured)."""
        return next(iter(self.trunks.values()), None)

    @staticmethod
    def parse_trunk(name: str, text: str) -> Trunk:
        """``sip:user:password@host:port;transport=udp;register`` -> a Trunk (inbound from host)."""
        from switchboard.sip import SipURI

        uri = SipURI.parse(text)
        return Trunk(name=name, host=uri.host, port=uri.port or 5060,
                     transport=(uri.param("transport") or "udp").lower(),
                     username=uri.user, password=uri.password,
                     register=uri.has_param("register"), inbound_sources=(uri.host,))

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
