"""SIP requests and responses (RFC 3261 §7) and their serialization.

A message is a mutable dataclass: start-line fields, a :class:`~switchboard.sip.headers.Headers`
container and a body kept as bytes (multipart bodies are never looked into).  ``Content-Length``
is not a header here: :meth:`serialize` writes it from ``len(body)``, so it is always right.
"""

from __future__ import annotations

from dataclasses import dataclass

from .headers import (
    CALL_ID,
    CONTACT,
    CONTENT_TYPE,
    CSEQ,
    FROM,
    MAX_FORWARDS,
    RECORD_ROUTE,
    ROUTE,
    TO,
    VIA,
    ContactWildcard,
    CSeq,
    Headers,
    MediaType,
    Via,
)
from .uri import URI, NameAddress

__all__ = ["REASON_PHRASES", "Message", "Request", "Response", "make_response"]

#: Headers whose elements are tokens or option tags (no quoted strings, no URIs): adjacent
#: values are written comma-separated on one line (RFC 3261 §7.3.1 makes the forms equal).
_JOINED = frozenset(("Allow", "Supported", "Require", "Proxy-Require", "Unsupported",
                     "Accept-Encoding", "Accept-Language", "Allow-Events"))

#: Default reason phrases (RFC 3261 §21 and common extensions).
REASON_PHRASES: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 199: "Early Dialog Terminated",
    200: "OK", 202: "Accepted", 204: "No Notification",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily",
    305: "Use Proxy", 380: "Alternative Service",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone",
    412: "Conditional Request Failed", 413: "Request Entity Too Large",
    414: "Request-URI Too Long", 415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
    420: "Bad Extension", 421: "Extension Required", 423: "Interval Too Brief",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    489: "Bad Event", 491: "Request Pending", 493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 580: "Precondition Failure",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

SIP_VERSION = "SIP/2.0"


class Message:
    """Behaviour shared by :class:`Request` and :class:`Response`: typed header shortcuts."""

    headers: Headers
    body: bytes

    @property
    def via(self) -> list[Via]:
        """All Via values, topmost first."""
        return self.headers.parsed(VIA)

    @property
    def top_via(self) -> Via:
        """The topmost Via (ParseError if there is none)."""
        return self.headers.require(VIA)

    @property
    def from_(self) -> NameAddress:
        """The From address (``from`` is a keyword)."""
        return self.headers.require(FROM)

    @property
    def to(self) -> NameAddress:
        """The To address."""
        return self.headers.require(TO)

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        return self.headers.require(CALL_ID)

    @property
    def cseq(self) -> CSeq:
        """The CSeq."""
        return self.headers.require(CSEQ)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards, None when absent (RFC 2543 peers omit it, RFC 4475 §3.4.1)."""
        return self.headers.parsed_one(MAX_FORWARDS)

    @property
    def contacts(self) -> list[NameAddress | ContactWildcard]:
        """All Contact values."""
        return self.headers.parsed(CONTACT)

    @property
    def routes(self) -> list[NameAddress]:
        """All Route values in order."""
        return self.headers.parsed(ROUTE)

    @property
    def record_routes(self) -> list[NameAddress]:
        """All Record-Route values in order."""
        return self.headers.parsed(RECORD_ROUTE)

    @property
    def content_type(self) -> MediaType | None:
        """The Content-Type, None when absent."""
        return self.headers.parsed_one(CONTENT_TYPE)

    def start_line(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def serialize(self) -> bytes:
        """The message as bytes: start line, headers, a computed Content-Length, body.

        Adjacent elements of a list of tokens or option tags (``Allow``, ``Supported`` ...,
        see ``_JOINED``) go out on one line, as phones send them; every other field keeps a
        line per value (Via, Route and Record-Route above all, which many peers expect so).
        """
        lines = [self.start_line()]
        previous = ""
        for name, value in self.headers._entries:
            if name == previous and name in _JOINED:
                lines[-1] += ", " + value
            else:
                lines.append(f"{name}: {value}")
                previous = name
        lines.append(f"Content-Length: {len(self.body)}\r\n\r\n")
        return "\r\n".join(lines).encode("utf-8") + self.body


@dataclass(eq=True, init=False)
class Request(Message):
    """A SIP request."""

    #: The method, case-sensitive ("INVITE", or any extension token).
    method: str
    #: The Request-URI.
    uri: URI
    #: The header fields.
    headers: Headers
    #: The body, verbatim.
    body: bytes

    # An explicit __init__ (not the dataclass-generated one): mypyc compiles it to native
    # code, where the generated one stays interpreted Python (see docs/sip-bench.md).
    def __init__(self, method: str, uri: URI, headers: Headers | None = None,
                 body: bytes = b"") -> None:
        self.method = method
        self.uri = uri
        self.headers = Headers() if headers is None else headers
        self.body = body

    def start_line(self) -> str:
        """``Method SP Request-URI SP SIP-Version``."""
        return f"{self.method} {self.uri.serialize()} {SIP_VERSION}"


@dataclass(eq=True, init=False)
class Response(Message):
    """A SIP response."""

    #: The status code, 100-699.
    status_code: int
    #: The reason phrase (may be empty).
    reason: str
    #: The header fields.
    headers: Headers
    #: The body, verbatim.
    body: bytes

    def __init__(self, status_code: int, reason: str = "", headers: Headers | None = None,
                 body: bytes = b"") -> None:  # explicit, as Request's
        if not 100 <= status_code <= 699:
            raise ValueError(f"status code {status_code} is outside 100-699")
        if "\r" in reason or "\n" in reason:
            raise ValueError(f"reason phrase contains CR or LF: {reason!r}")
        self.status_code = status_code
        self.reason = reason
        self.headers = Headers() if headers is None else headers
        self.body = body

    @property
    def is_provisional(self) -> bool:
        """True for 1xx."""
        return self.status_code < 200

    @property
    def is_success(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status_code < 300

    @property
    def is_final(self) -> bool:
        """True for 200-699."""
        return self.status_code >= 200

    def start_line(self) -> str:
        """``SIP-Version SP Status-Code SP Reason-Phrase``."""
        return f"{SIP_VERSION} {self.status_code} {self.reason}"


#: (header, canonical name, lower-case key) that a response copies from its request.
_COPIED = (
    (VIA, "Via", "via"),
    (FROM, "From", "from"),
    (TO, "To", "to"),
    (CALL_ID, "Call-ID", "call-id"),
    (CSEQ, "CSeq", "cseq"),
)


def make_response(
    request: Request,
    status_code: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
) -> Response:
    """Build a response to ``request`` as RFC 3261 §8.2.6.2 says.

    Via (all values, in order), From, Call-ID and CSeq are copied; To is copied and, when
    ``to_tag`` is given and the request's To has no tag, the tag is added.  100 Trying also
    copies Timestamp (§8.2.6.1).

    The copied values are the request's text, already validated by the parser, and their
    parsed values travel with them (they are immutable), so the response's typed headers
    cost nothing.
    """
    source = request.headers
    headers = Headers()
    for spec, name, key in _COPIED:
        values = source._values(key)
        if not values:
            continue
        if key == "to" and to_tag is not None:
            to = request.to
            if to.tag is None:
                tagged = to.with_param("tag", to_tag)
                if to.has_param("tag"):
                    values = [tagged.serialize()]
                else:
                    # Keep the peer's spelling of its To, and add our tag to it.
                    values = [f"{values[0]};tag={to_tag}"]
                headers._append(name, key, values)
                headers._seed(TO, (tagged,))
                continue
        headers._append(name, key, values)
        known = source._cache.get(key)
        if known is not None:
            headers._seed(spec, known)
    if status_code == 100:
        timestamp = source.get("Timestamp")
        if timestamp is not None:
            headers.add("Timestamp", timestamp)
    return Response(
        status_code=status_code,
        reason=REASON_PHRASES.get(status_code, "") if reason is None else reason,
        headers=headers,
    )
