"""Typed SIP header values and the functions that parse them (RFC 3261 §20, §25.1).

Each ``parse_*`` function takes one unfolded header value (one element of a comma list) and
returns a frozen dataclass or a plain value, raising :class:`~switchboard.sip.errors.ParseError`
with a message naming the header.  The registry in :mod:`switchboard.sip.headers` maps header
names to these functions.
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ._grammar import (
    TOKEN,
    WORD,
    Params,
    Scanner,
    find_param,
    format_params,
    is_token,
    parse_params,
    parse_uint,
    plain_params,
    quote,
    unquote,
)
from .errors import ParseError
from .uri import NameAddress, check_host, parse_name_addr

__all__ = [
    "UINT32_MAX",
    "CSeq",
    "ContactWildcard",
    "MediaType",
    "RetryAfter",
    "Via",
    "Warning",
    "format_date",
    "parse_call_id",
    "parse_contact",
    "parse_cseq",
    "parse_date",
    "parse_delta_seconds",
    "parse_from_to",
    "parse_max_forwards",
    "parse_media_type",
    "parse_retry_after",
    "parse_route",
    "parse_token",
    "parse_via",
    "parse_warning",
]

#: Largest value of a 32-bit unsigned field (CSeq, delta-seconds; RFC 3261 §8.1.1.5, §25.1).
UINT32_MAX = 2**32 - 1


@dataclass(slots=True, init=False, unsafe_hash=True)
class Via:
    """One Via header value (RFC 3261 §20.42): sent-protocol, sent-by and via-params."""

    #: The transport ("UDP", "TCP", "TLS", "SCTP", "WS", ... or any token).
    transport: Final[str]
    #: The sent-by host.
    host: Final[str]
    #: The sent-by port, None when absent.
    port: Final[int | None]
    #: via-params in order; values verbatim.
    params: Final[Params]
    #: protocol-name, normally "SIP".
    protocol: Final[str]
    #: protocol-version, normally "2.0".
    version: Final[str]

    # Made several times per message, so not a frozen dataclass: its generated __init__
    # stays interpreted under mypyc, and a frozen class's fields can only be set through
    # object.__setattr__. Final fields instead: mypy refuses any assignment outside __init__,
    # and the mypyc build makes them read-only attributes (AttributeError on assignment), at
    # an eighth of the frozen class's construction cost (docs/sip-bench.md). Hashable and
    # comparable by value as before (unsafe_hash: safe, since nothing can change a field).
    def __init__(self, transport: str, host: str, port: int | None = None, params: Params = (),
                 protocol: str = "SIP", version: str = "2.0") -> None:
        self.transport = transport
        self.host = host
        self.port = port
        self.params = params
        self.protocol = protocol
        self.version = version

    def param(self, name: str) -> str | None:
        """The value of parameter ``name`` (case-insensitive), None if absent or valueless."""
        return find_param(self.params, name)[1]

    def has_param(self, name: str) -> bool:
        """True when parameter ``name`` is present."""
        return find_param(self.params, name)[0]

    @property
    def branch(self) -> str | None:
        """The ``branch`` parameter (transaction id, RFC 3261 §8.1.1.7)."""
        return self.param("branch")

    @property
    def received(self) -> str | None:
        """The ``received`` parameter (RFC 3261 §18.2.1)."""
        return self.param("received")

    @property
    def has_rport(self) -> bool:
        """True when ``rport`` is present, with or without a value (RFC 3581)."""
        return self.has_param("rport")

    @property
    def rport(self) -> int | None:
        """The value of ``rport``; None when absent or present without a value."""
        value = self.param("rport")
        return int(value) if value is not None else None

    @property
    def maddr(self) -> str | None:
        """The ``maddr`` parameter."""
        return self.param("maddr")

    @property
    def ttl(self) -> int | None:
        """The ``ttl`` parameter (0-255)."""
        value = self.param("ttl")
        return int(value) if value is not None else None

    @property
    def sent_by(self) -> tuple[str, int | None]:
        """(host lower-cased, port) — the sent-by used in transaction matching (§17.2.3)."""
        return self.host.lower(), self.port

    @property
    def is_rfc3261_branch(self) -> bool:
        """True when the branch starts with the magic cookie *and* has an id after it.

        A bare ``z9hG4bK`` (RFC 4475 §3.2.1) claims RFC 3261 matching but gives no identifier,
        so it is treated as an RFC 2543 branch (the fallback that section allows).
        """
        branch = self.branch
        return branch is not None and branch.startswith("z9hG4bK") and len(branch) > 7

    def with_param(self, name: str, value: str | None) -> Via:
        """A copy with parameter ``name`` set (replacing any existing one)."""
        kept = tuple((n, v) for n, v in self.params if n.lower() != name.lower())
        return Via(self.transport, self.host, self.port, (*kept, (name, value)),
                   self.protocol, self.version)

    def serialize(self) -> str:
        """The canonical text of this value."""
        port = "" if self.port is None else f":{self.port}"
        return (
            f"{self.protocol}/{self.version}/{self.transport} {self.host}{port}"
            f"{format_params(self.params)}"
        )


def _via_error(text: str, message: str) -> ParseError:
    return Scanner(text, "Via").error(message)


def _check_via_params(text: str, params: Params) -> None:
    """ParseError (naming the Via ``text``) for a ttl, rport, received, maddr or branch
    parameter that its grammar refuses."""
    for name, value in params:
        lname = name.lower()
        if lname == "ttl":
            parse_uint(value or "", 255, "Via ttl")
        elif lname == "rport":
            if value is not None:
                parse_uint(value, 65535, "Via rport")
        elif lname == "received":
            if value is None:
                raise _via_error(text, "received parameter without a value")
            try:
                ipaddress.ip_address(value.strip("[]"))
            except ValueError:
                raise _via_error(text, f"received={value!r} is not an IP address") from None
        elif lname == "maddr":
            if value is None:
                raise _via_error(text, "maddr parameter without a value")
            check_host(value)
        elif lname == "branch" and (value is None or not is_token(value)):
            raise _via_error(text, "branch parameter must be a token")


def parse_via(text: str) -> Via:
    """Parse one via-parm: ``sent-protocol LWS sent-by *( SEMI via-params )``.

    The part before the first ';' (protocol and sent-by, the same in every message from a
    peer) is parsed once and memoized; plain parameters after it are read without the
    Scanner.  Anything unusual takes the Scanner path, which also words the errors.
    """
    semi = text.find(";")
    if semi < 0:
        return _parse_via_head(text) or _parse_via(text)
    head = _parse_via_head(text[:semi])
    params = plain_params(text[semi:]) if head is not None else None
    if head is None or params is None:
        return _parse_via(text)
    _check_via_params(text, params)
    return Via(head.transport, head.host, head.port, params, head.protocol, head.version)


@functools.lru_cache(maxsize=1024)
def _parse_via_head(text: str) -> Via | None:
    try:
        return _parse_via(text)
    except ParseError:
        return None


def _parse_via(text: str) -> Via:
    s = Scanner(text, "Via")
    s.skip_ws()
    protocol = s.token("protocol name")
    s.skip_ws()
    s.expect("/")
    s.skip_ws()
    version = s.token("protocol version")
    s.skip_ws()
    s.expect("/")
    s.skip_ws()
    transport = s.token("transport")
    if not s.skip_ws():
        raise s.error("expected whitespace between the transport and sent-by")
    if s.peek() == "[":
        end = s.text.find("]", s.pos)
        if end < 0:
            raise s.error("IPv6 reference lacks its closing ']'")
        host = s.text[s.pos : end + 1]
        s.pos = end + 1
    else:
        host = s.take_while(TOKEN)
    check_host(host)
    port: int | None = None
    save = s.pos
    s.skip_ws()
    if s.accept(":"):
        s.skip_ws()
        port = parse_uint(s.take_while(frozenset("0123456789")), 65535, "Via port")
    else:
        s.pos = save
    params = parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    _check_via_params(text, params)
    return Via(transport, host, port, params, protocol, version)


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq header (RFC 3261 §20.16): a 32-bit sequence number and a method."""

    #: The sequence number, 0 .. 2**32-1.
    number: int
    #: The method, case-sensitive.
    method: str

    def serialize(self) -> str:
        """The canonical text of this value."""
        return f"{self.number} {self.method}"


@functools.lru_cache(maxsize=1024)
def parse_cseq(text: str) -> CSeq:
    """Parse ``1*DIGIT LWS Method``; numbers above 2**32-1 are rejected (RFC 4475 §3.1.2.4)."""
    s = Scanner(text, "CSeq")
    s.skip_ws()
    digits = s.take_while(frozenset("0123456789"))
    if not digits:
        word = text.strip(" \t").split(" ", 1)[0].split("\t", 1)[0]
        raise ParseError(f"CSeq sequence number {word!r} is not a non-negative integer")
    number = parse_uint(digits, UINT32_MAX, "CSeq sequence number")
    if not s.skip_ws():
        raise s.error("expected whitespace between the sequence number and the method")
    method = s.token("method")
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r} after the method")
    return CSeq(number, method)


_WORD_CLASS = "[" + "".join(re.escape(ch) for ch in sorted(WORD)) + "]"
_CALL_ID_RE = re.compile(f"{_WORD_CLASS}+(?:@{_WORD_CLASS}+)?")


def parse_call_id(text: str) -> str:
    """Validate ``callid = word [ "@" word ]`` and return it unchanged."""
    if _CALL_ID_RE.fullmatch(text) is None:
        raise ParseError(f"Call-ID {text!r} is not word[@word]")
    return text


@functools.lru_cache(maxsize=256)
def parse_max_forwards(text: str) -> int:
    """Parse Max-Forwards: 1*DIGIT in 0..255 (RFC 3261 §20.22)."""
    return parse_uint(text, 255, "Max-Forwards")


def parse_delta_seconds(text: str) -> int:
    """Parse delta-seconds: 1*DIGIT up to 2**32-1 (RFC 3261 §20.19, §25.1)."""
    return parse_uint(text, UINT32_MAX, "delta-seconds")


@dataclass(frozen=True, slots=True)
class MediaType:
    """A media type or media range (Content-Type, Accept; RFC 3261 §20.1, §20.15)."""

    #: m-type, e.g. "application" ("*" in a range).
    type: str
    #: m-subtype, e.g. "sdp" ("*" in a range).
    subtype: str
    #: Parameters in order; values verbatim.
    params: Params = ()

    @property
    def mime(self) -> str:
        """``type/subtype`` lower-cased, for comparisons."""
        return f"{self.type}/{self.subtype}".lower()

    def param(self, name: str) -> str | None:
        """The unquoted value of parameter ``name``."""
        value = find_param(self.params, name)[1]
        return unquote(value) if value is not None else None

    def matches(self, mime: str) -> bool:
        """True when this (possibly wildcard) range accepts ``mime`` ("type/subtype")."""
        t, _, sub = mime.lower().partition("/")
        return (self.type == "*" or self.type.lower() == t) and (
            self.subtype == "*" or self.subtype.lower() == sub
        )

    def serialize(self) -> str:
        """The canonical text of this value."""
        return f"{self.type}/{self.subtype}{format_params(self.params)}"


@functools.lru_cache(maxsize=256)
def parse_media_type(text: str) -> MediaType:
    """Parse ``m-type SLASH m-subtype *( SEMI m-parameter )``; wildcards allowed (Accept)."""
    s = Scanner(text, "media type")
    s.skip_ws()
    mtype = s.token("media type")
    s.skip_ws()
    s.expect("/")
    s.skip_ws()
    subtype = s.token("media subtype")
    params = parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    return MediaType(mtype, subtype, params)


@dataclass(frozen=True, slots=True)
class ContactWildcard:
    """``Contact: *`` — remove all bindings (RFC 3261 §10.2.2)."""

    def serialize(self) -> str:
        """The text ``*``."""
        return "*"


@functools.lru_cache(maxsize=1024)
def parse_contact(text: str) -> NameAddress | ContactWildcard:
    """Parse one contact-param, or the ``*`` wildcard."""
    if text.strip(" \t") == "*":
        return ContactWildcard()
    return _parse_address(text, "Contact")


@functools.lru_cache(maxsize=4096)
def _parse_address(text: str, what: str) -> NameAddress:
    """Memoized: a dialog's From and To recur in each of its requests (values are frozen)."""
    return parse_name_addr(text, what)


def parse_from_to(what: str) -> Callable[[str], NameAddress]:
    """A parser for From / To style single addresses that names the header in errors."""

    def parse(text: str) -> NameAddress:
        return _parse_address(text, what)

    return parse


def parse_route(what: str) -> Callable[[str], NameAddress]:
    """A parser for Route / Record-Route: name-addr only (RFC 3261 §20.30, §20.34)."""

    def parse(text: str) -> NameAddress:
        if "<" not in text:
            raise ParseError(f"{what}: value must be a name-addr in <...>, got {text!r}")
        return _parse_address(text, what)

    return parse


def parse_token(what: str) -> Callable[[str], str]:
    """A parser for headers whose values are single tokens (option-tags, methods)."""

    def parse(text: str) -> str:
        value = text.strip(" \t")
        if not is_token(value):
            raise ParseError(f"{what}: {text!r} is not a token")
        return value

    return parse


@dataclass(frozen=True, slots=True)
class Warning:
    """One Warning value (RFC 3261 §20.43)."""

    #: The three-digit warn-code.
    code: int
    #: The warn-agent (host[:port] or pseudonym).
    agent: str
    #: The warn-text, unquoted.
    text: str

    def serialize(self) -> str:
        """The canonical text of this value."""
        return f"{self.code} {self.agent} {quote(self.text)}"


def parse_warning(text: str) -> Warning:
    """Parse ``warn-code SP warn-agent SP warn-text``; codes have exactly three digits."""
    s = Scanner(text, "Warning")
    s.skip_ws()
    code_text = s.take_while(frozenset("0123456789"))
    if len(code_text) != 3:
        raise s.error(f"warn-code {code_text!r} must have exactly three digits")
    if not s.skip_ws():
        raise s.error("expected whitespace after the warn-code")
    agent = s.take_while(TOKEN | frozenset(":[]"))
    if not agent:
        raise s.error("missing warn-agent")
    if not s.skip_ws():
        raise s.error("expected whitespace after the warn-agent")
    warn_text = s.quoted_string()
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    return Warning(int(code_text), agent, warn_text)


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Retry-After (RFC 3261 §20.33): delta-seconds, optional comment, parameters."""

    #: Seconds to wait (0 .. 2**32-1).
    seconds: int
    #: The comment without its parentheses, if any.
    comment: str | None = None
    #: Parameters (e.g. duration); values verbatim.
    params: Params = ()

    def serialize(self) -> str:
        """The canonical text of this value."""
        comment = f" ({self.comment})" if self.comment is not None else ""
        return f"{self.seconds}{comment}{format_params(self.params)}"


def parse_retry_after(text: str) -> RetryAfter:
    """Parse Retry-After; overlarge values are rejected (RFC 4475 §3.1.2.5)."""
    s = Scanner(text, "Retry-After")
    s.skip_ws()
    seconds = parse_uint(s.take_while(frozenset("0123456789")), UINT32_MAX, "Retry-After")
    s.skip_ws()
    comment: str | None = None
    if s.accept("("):
        end = s.text.find(")", s.pos)
        if end < 0:
            raise s.error("unterminated comment")
        comment = s.text[s.pos : end]
        s.pos = end + 1
    params = parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    return RetryAfter(seconds, comment, params)


_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_date(text: str) -> _dt.datetime:
    """Parse SIP-date (RFC 3261 §20.17): RFC 1123 format, and the zone must be ``GMT``."""
    m = _DATE_RE.fullmatch(text.strip(" \t"))
    if m is None:
        raise ParseError(
            f"Date {text!r} is not an RFC 1123 date in GMT (RFC 3261 §20.17 allows only \"GMT\")"
        )
    _, day, month, year, hh, mm, ss = m.groups()
    try:
        return _dt.datetime(
            int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss),
            tzinfo=_dt.UTC,
        )
    except ValueError as exc:
        raise ParseError(f"Date {text!r} is not a valid date: {exc}") from None


def format_date(when: _dt.datetime) -> str:
    """Format a timezone-aware datetime as SIP-date."""
    utc = when.astimezone(_dt.UTC)
    wkday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[utc.weekday()]
    return (
        f"{wkday}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"
    )
