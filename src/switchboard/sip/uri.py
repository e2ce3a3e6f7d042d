"""SIP, SIPS and tel URIs, and name-addr / addr-spec values (RFC 3261 §19.1, §20.10, §25.1).

URIs are frozen dataclasses holding *decoded* components: ``sip:%75ser@host`` parses to
``user="user"``.  :meth:`serialize` re-escapes exactly the characters a component may not hold
literally, so serialization is canonical and ``parse_uri(u.serialize()) == u``.  Comparison with
``==`` is structural; RFC 3261 §19.1.4 equivalence is :meth:`SipURI.equivalent`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ._grammar import (
    ALPHANUM,
    HEADERCHAR,
    PARAMCHAR,
    PASSWORD,
    TOKEN,
    URIC,
    USER,
    WS,
    Params,
    Scanner,
    escape,
    find_param,
    format_params,
    parse_params,
    parse_uint,
    plain_params,
    quote,
    unescape,
)
from .errors import ParseError

__all__ = [
    "URI",
    "AbsoluteURI",
    "NameAddress",
    "SipURI",
    "TelURI",
    "parse_name_addr",
    "parse_uri",
]

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_TOPLABEL_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_IPV4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_TEL_PNAME = ALPHANUM | frozenset("-")


@functools.lru_cache(maxsize=1024)
def check_host(host: str) -> str:
    """Validate an RFC 3261 ``host``: hostname, IPv4address or IPv6reference; return it.

    Memoized: the same few hosts appear in every message (errors are not cached).
    """
    if host.startswith("["):
        if not host.endswith("]"):
            raise ParseError(f"IPv6 reference {host!r} lacks its closing ']'")
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ParseError(f"{host!r} is not a valid IPv6 reference") from None
        return host
    if _IPV4_RE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ParseError(f"{host!r} is not a valid IPv4 address") from None
        return host
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if (
        not host
        or not all(_LABEL_RE.fullmatch(label) for label in labels[:-1])
        or not _TOPLABEL_RE.fullmatch(labels[-1])
    ):
        raise ParseError(f"{host!r} is not a valid host name")
    return host


def _parse_port(text: str, where: str) -> int:
    return parse_uint(text, 65535, f"port in {where!r}")


@dataclass(frozen=True, slots=True)
class SipURI:
    """A ``sip:`` or ``sips:`` URI (RFC 3261 §19.1.1), components decoded."""

    #: The host: a host name, dotted IPv4 address or bracketed IPv6 reference ("[::1]").
    host: str
    #: The user part, decoded; None when the URI has no userinfo.
    user: str | None = None
    #: The password, decoded; None when absent ("" when present but empty).
    password: str | None = None
    #: The port, or None for the transport's default.
    port: int | None = None
    #: uri-parameters in order, decoded: (name, value or None for a valueless one).
    params: Params = ()
    #: headers (``?name=value&...``) in order, decoded.
    headers: tuple[tuple[str, str], ...] = ()
    #: "sip" or "sips", lower case.
    scheme: str = "sip"

    def __post_init__(self) -> None:
        if self.scheme not in ("sip", "sips"):
            raise ValueError(f"SipURI scheme must be 'sip' or 'sips', got {self.scheme!r}")
        if self.user == "":
            raise ValueError("SipURI user must be None or non-empty")
        if self.password is not None and self.user is None:
            raise ValueError("SipURI cannot have a password without a user")
        if self.port is not None and not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is out of range")

    @classmethod
    def parse(cls, text: str) -> SipURI:
        """Parse a sip: or sips: URI; raise ParseError for anything else."""
        uri = parse_uri(text)
        if not isinstance(uri, SipURI):
            raise ParseError(f"{text!r} is not a SIP or SIPS URI")
        return uri

    def param(self, name: str) -> str | None:
        """The value of uri-parameter ``name`` (case-insensitive), None if absent or valueless."""
        return find_param(self.params, name)[1]

    def has_param(self, name: str) -> bool:
        """True when uri-parameter ``name`` is present (with or without a value)."""
        return find_param(self.params, name)[0]

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter, lower case."""
        value = self.param("transport")
        return value.lower() if value is not None else None

    @property
    def lr(self) -> bool:
        """True when the loose-routing ``lr`` parameter is present (RFC 3261 §19.1.1)."""
        return self.has_param("lr")

    @property
    def maddr(self) -> str | None:
        """The ``maddr`` parameter."""
        return self.param("maddr")

    @property
    def host_port(self) -> str:
        """``host[:port]`` as it appears in the URI."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def equivalent(self, other: object) -> bool:
        """URI equality as defined by RFC 3261 §19.1.4.

        Scheme, host and parameter names compare case-insensitively, userinfo case-sensitively;
        ``user``, ``ttl``, ``method``, ``maddr`` and ``transport`` must match when present in
        either URI; other parameters must match only when present in both; headers must match.
        """
        if not isinstance(other, SipURI):
            return False
        if (self.scheme, self.user, self.password, self.port) != (
            other.scheme,
            other.user,
            other.password,
            other.port,
        ):
            return False
        if self.host.lower() != other.host.lower():
            return False
        mine = {n.lower(): v for n, v in self.params}
        theirs = {n.lower(): v for n, v in other.params}
        for name in ("user", "ttl", "method", "maddr", "transport"):
            if (name in mine) != (name in theirs):
                return False
        for name in mine.keys() & theirs.keys():
            a, b = mine[name], theirs[name]
            if (a or "").lower() != (b or "").lower():
                return False
        return {(n.lower(), v) for n, v in self.headers} == {
            (n.lower(), v) for n, v in other.headers
        }

    def serialize(self) -> str:
        """The canonical text of this URI."""
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(escape(self.user, USER))
            if self.password is not None:
                out.append(":")
                out.append(escape(self.password, PASSWORD))
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out.append(f":{self.port}")
        for name, value in self.params:
            out.append(";" + escape(name, PARAMCHAR))
            if value is not None:
                out.append("=" + escape(value, PARAMCHAR))
        if self.headers:
            out.append("?")
            out.append(
                "&".join(
                    f"{escape(n, HEADERCHAR)}={escape(v, HEADERCHAR)}" for n, v in self.headers
                )
            )
        return "".join(out)

    def __str__(self) -> str:
        return self.serialize()


@dataclass(frozen=True, slots=True)
class TelURI:
    """A ``tel:`` URI (RFC 3966): a global (``+``) or local number and its parameters."""

    #: The telephone-subscriber number, visual separators included ("+1-201-555-0123").
    number: str
    #: Parameters in order, decoded (phone-context, ext, isub, ...).
    params: Params = ()

    @property
    def scheme(self) -> str:
        """Always "tel"."""
        return "tel"

    @property
    def is_global(self) -> bool:
        """True for a global number (one starting with '+')."""
        return self.number.startswith("+")

    def param(self, name: str) -> str | None:
        """The value of parameter ``name`` (case-insensitive)."""
        return find_param(self.params, name)[1]

    def serialize(self) -> str:
        """The canonical text of this URI."""
        params = "".join(
            f";{n}" if v is None else f";{n}={escape(v, PARAMCHAR)}" for n, v in self.params
        )
        return f"tel:{self.number}{params}"

    def __str__(self) -> str:
        return self.serialize()


@dataclass(frozen=True, slots=True)
class AbsoluteURI:
    """Any other URI scheme, kept opaque (RFC 3261 ``absoluteURI``; RFC 4475 §3.3.2-3.3.4)."""

    #: The scheme, lower case.
    scheme: str
    #: Everything after the colon, verbatim.
    rest: str

    def serialize(self) -> str:
        """The text of this URI."""
        return f"{self.scheme}:{self.rest}"

    def __str__(self) -> str:
        return self.serialize()


URI = SipURI | TelURI | AbsoluteURI


def _parse_sip(scheme: str, rest: str, text: str) -> SipURI:
    user: str | None = None
    password: str | None = None
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        raw_user, colon, raw_password = userinfo.partition(":")
        if not raw_user:
            raise ParseError(f"empty user part in URI {text!r}")
        user = unescape(raw_user, USER, "user part")
        if colon:
            password = unescape(raw_password, PASSWORD, "password")
    rest, qmark, raw_headers = rest.partition("?")
    headers: list[tuple[str, str]] = []
    if qmark:
        for item in raw_headers.split("&"):
            name, eq, value = item.partition("=")
            if not name or not eq:
                raise ParseError(f"malformed URI header {item!r} in {text!r}")
            headers.append(
                (unescape(name, HEADERCHAR, "URI header name"),
                 unescape(value, HEADERCHAR, "URI header value"))
            )
    hostport, *raw_params = rest.split(";")
    params: list[tuple[str, str | None]] = []
    for item in raw_params:
        name, eq, value = item.partition("=")
        if not name:
            raise ParseError(f"empty uri-parameter name in {text!r}")
        if eq and not value:
            raise ParseError(f"uri-parameter {name!r} has '=' but no value in {text!r}")
        params.append(
            (unescape(name, PARAMCHAR, "uri-parameter"),
             unescape(value, PARAMCHAR, "uri-parameter value") if eq else None)
        )
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ParseError(f"IPv6 reference lacks its closing ']' in {text!r}")
        host, after = hostport[: end + 1], hostport[end + 1 :]
        if after and not after.startswith(":"):
            raise ParseError(f"unexpected {after!r} after the IPv6 reference in {text!r}")
        port_text = after[1:] if after else None
    else:
        host, colon, port_text_ = hostport.partition(":")
        port_text = port_text_ if colon else None
    if not host:
        raise ParseError(f"URI {text!r} has no host")
    check_host(host)
    port = _parse_port(port_text, text) if port_text is not None else None
    return SipURI(
        scheme=scheme,
        user=user,
        password=password,
        host=host,
        port=port,
        params=tuple(params),
        headers=tuple(headers),
    )


_TEL_GLOBAL = re.compile(r"\+[0-9\-.()]*[0-9][0-9\-.()]*")
_TEL_LOCAL = re.compile(r"[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*")


def _parse_tel(scheme: str, rest: str, text: str) -> TelURI:
    number, *raw_params = rest.split(";")
    params: list[tuple[str, str | None]] = []
    for item in raw_params:
        name, eq, value = item.partition("=")
        if not name or not all(ch in _TEL_PNAME for ch in name):
            raise ParseError(f"invalid tel parameter name {name!r} in {text!r}")
        if eq and not value:
            raise ParseError(f"tel parameter {name!r} has '=' but no value in {text!r}")
        params.append((name, unescape(value, PARAMCHAR, "tel parameter") if eq else None))
    result = TelURI(number=number, params=tuple(params))
    if _TEL_GLOBAL.fullmatch(number):
        return result
    if _TEL_LOCAL.fullmatch(number):
        # RFC 3966 §5.1.5: a local number MUST carry a phone-context parameter.
        if result.param("phone-context") is None:
            raise ParseError(f"local number in {text!r} lacks the phone-context parameter")
        return result
    raise ParseError(f"{number!r} is not a valid telephone number in {text!r}")


def _parse_absolute(scheme: str, rest: str, text: str) -> AbsoluteURI:
    if not rest:
        raise ParseError(f"URI {text!r} is empty after its scheme")
    unescape(rest, URIC, "URI")  # validates characters and escapes
    return AbsoluteURI(scheme=scheme, rest=rest)


#: Dispatch table: scheme -> parser of the text after the colon.
_URI_PARSERS: dict[str, Callable[[str, str, str], URI]] = {
    "sip": _parse_sip,
    "sips": _parse_sip,
    "tel": _parse_tel,
}


@functools.lru_cache(maxsize=4096)
def parse_uri(text: str) -> URI:
    """Parse any URI: SIP/SIPS and tel are decoded, other schemes kept as :class:`AbsoluteURI`.

    Raises ParseError with a message naming the offending part.  Memoized (URIs are frozen,
    and the same ones recur in every call); errors are not cached.
    """
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME_RE.fullmatch(scheme):
        raise ParseError(f"{text!r} is not a URI (no valid scheme)")
    scheme = scheme.lower()
    parser = _URI_PARSERS.get(scheme, _parse_absolute)
    return parser(scheme, rest, text)


@dataclass(slots=True, init=False, unsafe_hash=True)
class NameAddress:
    """A name-addr or addr-spec with header parameters (From, To, Contact, Route, ...).

    Serialization always uses the ``"display" <uri>;params`` form, which RFC 3261 §20 allows in
    every header that takes either.
    """

    #: The URI.
    uri: Final[URI]
    #: The display name, unquoted and unescaped; None when absent ("" when present but empty).
    display_name: Final[str | None]
    #: Header parameters in order; values verbatim (quoted-string values keep their quotes).
    params: Final[Params]

    # Final fields and an explicit __init__ rather than a frozen dataclass: see Via.
    def __init__(self, uri: URI, display_name: str | None = None, params: Params = ()) -> None:
        self.uri = uri
        self.display_name = display_name
        self.params = params

    def param(self, name: str) -> str | None:
        """The value of header parameter ``name`` (case-insensitive)."""
        return find_param(self.params, name)[1]

    def has_param(self, name: str) -> bool:
        """True when header parameter ``name`` is present."""
        return find_param(self.params, name)[0]

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (From / To, RFC 3261 §19.3)."""
        return self.param("tag")

    def with_param(self, name: str, value: str | None) -> NameAddress:
        """A copy with parameter ``name`` set (replacing any existing one)."""
        kept = tuple((n, v) for n, v in self.params if n.lower() != name.lower())
        return NameAddress(self.uri, self.display_name, (*kept, (name, value)))

    def serialize(self) -> str:
        """The canonical text of this value."""
        display = "" if self.display_name is None else quote(self.display_name) + " "
        return f"{display}<{self.uri.serialize()}>{format_params(self.params)}"

    def __str__(self) -> str:
        return self.serialize()


def _name_addr_at(s: Scanner) -> NameAddress:
    """Read name-addr / addr-spec followed by header parameters from ``s``."""
    s.skip_ws()
    display: str | None = None
    bracketed = False
    if s.peek() == '"':
        display = s.quoted_string()
        s.skip_ws()
        if s.peek() != "<":
            raise s.error("a quoted display name must be followed by <URI>")
        bracketed = True
    elif s.peek() == "<":
        bracketed = True
    else:
        start = s.pos
        words: list[str] = []
        while s.peek() and s.peek() in TOKEN:
            words.append(s.take_while(TOKEN))
            had_ws = s.skip_ws()
            if s.peek() == "<":
                display = " ".join(words)
                bracketed = True
                break
            if not had_ws:
                break
        if not bracketed:
            s.pos = start
    if bracketed:
        s.expect("<")
        end = s.text.find(">", s.pos)
        if end < 0:
            raise s.error("'<' without a matching '>'")
        inner = s.text[s.pos : end]
        if inner != inner.strip(" \t"):
            # LAQUOT = SWS "<" and RAQUOT = ">" SWS: no whitespace inside (RFC 4475 §3.1.2.14).
            raise s.error("whitespace is not allowed between '<' '>' and the URI")
        uri = parse_uri(inner)
        s.pos = end + 1
    else:
        start = s.pos
        while s.peek() and s.peek() not in WS and s.peek() != ";":
            s.pos += 1
        raw = s.text[start : s.pos]
        lt = s.text.find("<", start)
        if lt >= 0:
            raise s.error(
                f"display name {s.text[start:lt].strip()!r} must be a quoted string "
                "or a sequence of tokens (RFC 3261 §25.1)"
            )
        if not raw:
            raise s.error("missing URI")
        for ch in ",?":
            if ch in raw:
                # RFC 3261 §20: a URI containing ',', '?' or ';' MUST be enclosed in <>.
                raise s.error(f"a URI containing {ch!r} must be enclosed in <> (RFC 3261 §20)")
        uri = parse_uri(raw)
    params = parse_params(s)
    return NameAddress(uri=uri, display_name=display, params=params)


#: Characters that take an addr-spec off the fast path (the Scanner decides about them).
_NOT_PLAIN_ADDR_SPEC = re.compile(r'[ \t",?<]')


@functools.lru_cache(maxsize=4096)
def _address_head(head: str) -> tuple[URI, str | None] | None:
    """``[display] <URI>`` parsed (memoized), or None when the Scanner must decide."""
    s = Scanner(head, "address")
    try:
        result = _name_addr_at(s)
    except ParseError:
        return None
    if result.params or not s.at_end():
        return None
    return result.uri, result.display_name


def _plain_address(text: str) -> NameAddress | None:
    """The common spellings of an address, parsed without the Scanner; None for the rest.

    ``[display] <URI>;params`` reuses the memoized parse of everything up to the first '>'
    and reads the parameters after it; an addr-spec without whitespace, quotes, ',' '?' or
    '<' is a memoized URI and parameters.  Whenever this returns a value it is the value the
    Scanner would return; whenever it is not sure (or the text is malformed) it returns None.
    """
    lt = text.find("<")
    if lt >= 0:
        gt = text.find(">", lt)
        if gt < 0:
            return None
        head = _address_head(text[: gt + 1])
        if head is None:
            return None
        params = plain_params(text[gt + 1 :])
        if params is None:
            return None
        return NameAddress(head[0], head[1], params)
    if _NOT_PLAIN_ADDR_SPEC.search(text) is not None:
        return None
    semi = text.find(";")
    raw = text if semi < 0 else text[:semi]
    params = plain_params("" if semi < 0 else text[semi:])
    if not raw or params is None:
        return None
    try:
        uri = parse_uri(raw)
    except ParseError:
        return None
    return NameAddress(uri, None, params)


def parse_name_addr(text: str, what: str = "address") -> NameAddress:
    """Parse ``( name-addr / addr-spec ) *( SEMI generic-param )`` from a header value.

    In the addr-spec form parameters belong to the header, not the URI (RFC 3261 §20.10).
    ParseError messages name ``what`` (the header).
    """
    plain = _plain_address(text)
    if plain is not None:
        return plain
    s = Scanner(text, what)
    result = _name_addr_at(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r} after the address")
    return result
