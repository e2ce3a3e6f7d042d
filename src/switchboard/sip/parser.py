"""Parsing SIP messages from datagrams and from byte streams (RFC 3261 §7, §18.3).

Two entry points share one head parser:

* :func:`parse_message` takes one UDP datagram.  ``Content-Length`` is optional; when present and
  larger than what the datagram holds the message is rejected (400), when smaller the extra octets
  are discarded (RFC 3261 §18.3, RFC 4475 §3.1.1.8 and §3.1.2.2).
* :class:`StreamParser` frames messages on TCP/TLS: ``receive_data(bytes)`` then
  ``next_message()`` until it returns None.  CRLFs before a start line are ignored (RFC 3261
  §7.5, the RFC 5626 keep-alive).  ``Content-Length`` is mandatory here; after any error the
  stream cannot be re-synchronised and the parser stays failed.

After framing, the parser checks what every element relies on: the start line, the mandatory
headers (Via, From, To, Call-ID, CSeq; RFC 3261 §8.1.1 — Max-Forwards is tolerated missing for
RFC 2543 peers, RFC 4475 §3.4.1), single-valued headers appearing once, CSeq's method matching the
request's, and an eager parse of the headers in ``ParserLimits.eager`` so that a malformed Via or
From is refused at the door.  Every other header is parsed lazily on typed access.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from ._grammar import is_token, parse_uint, split_commas
from .errors import ParseError
from .headers import _NAME_INFO, CSEQ, REGISTRY, Headers, HeaderSpec, name_info
from .message import Request, Response
from .uri import SipURI, parse_uri

__all__ = ["DEFAULT_LIMITS", "ParserLimits", "StreamParser", "parse_message"]

_VERSION_RE = re.compile(r"SIP/([0-9]+)\.([0-9]+)", re.IGNORECASE)
#: Methods known to be tokens (any other is checked).
_METHODS = frozenset(("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO", "UPDATE",
                      "PRACK", "REFER", "NOTIFY", "SUBSCRIBE", "MESSAGE", "PUBLISH"))
_MANDATORY = (("Via", "via"), ("From", "from"), ("To", "to"), ("Call-ID", "call-id"),
              ("CSeq", "cseq"))


@dataclass(frozen=True, slots=True)
class ParserLimits:
    """Resource limits and strictness knobs of the parser."""

    #: Largest message (start line, headers and body) accepted; larger -> 513.
    max_message_size: int = 65535
    #: Most header lines accepted; more -> 400.
    max_headers: int = 200
    #: Headers parsed while parsing the message, in this order (lower-case canonical names).
    eager: tuple[str, ...] = (
        "via", "from", "to", "call-id", "cseq", "max-forwards", "contact", "route",
        "record-route",
    )


DEFAULT_LIMITS = ParserLimits()


class _Head:
    """A parsed start line and header section, before the body is attached."""

    __slots__ = ("content_length", "headers", "start_line")

    def __init__(self, start_line: str, headers: Headers, content_length: int | None) -> None:
        self.start_line = start_line
        self.headers = headers
        self.content_length = content_length


def _too_large(size: int, limits: ParserLimits) -> ParseError:
    return ParseError(
        f"message of {size} octets exceeds the limit of {limits.max_message_size}",
        status_code=513,
    )


def _bare_cr_or_lf(lines: list[str]) -> ParseError:
    number = next(i for i, line in enumerate(lines) if "\r" in line or "\n" in line)
    return ParseError(f"bare CR or LF in line {number + 1}; lines must end in CRLF")


def _unfold(lines: list[str], limits: ParserLimits) -> list[tuple[tuple[str, str, bool], str]]:
    """The header fields of ``lines`` (start line first), continuation lines joined."""
    fields: list[tuple[tuple[str, str, bool], str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            # Folding: CRLF + whitespace is one SP (RFC 3261 §7.3.1).
            if not fields:
                raise ParseError(f"continuation line {line!r} before any header field")
            known, folded = fields[-1]
            fields[-1] = (known, folded.rstrip(" \t") + " " + line.strip(" \t"))
            continue
        name, colon, value = line.partition(":")
        info = name_info(name.rstrip(" \t")) if colon else None
        if info is None:
            raise ParseError(f"malformed header line {line!r}")
        fields.append((info, value))
        if len(fields) > limits.max_headers:
            raise ParseError(f"more than {limits.max_headers} header fields")
    return fields


def _add_field(canonical: str, key: str, list_valued: bool, value: str,
               entries: list[tuple[str, str]], keys: list[str], lengths: list[str]) -> None:
    """File one header field: Content-Length aside, a list split into its elements."""
    value = value.strip(" \t")
    if key == "content-length":
        lengths.append(value)
    elif list_valued and "," in value:
        for element in split_commas(value):
            entries.append((canonical, element))
            keys.append(key)
    else:
        entries.append((canonical, value))
        keys.append(key)


def _parse_head(head: bytes, limits: ParserLimits) -> _Head:
    """Parse the start line and header fields (``head`` excludes the final CRLF CRLF)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"header section is not valid UTF-8 (octet {exc.start})") from None
    lines = text.split("\r\n")
    breaks = len(lines) - 1
    if text.count("\r") != breaks or text.count("\n") != breaks:
        raise _bare_cr_or_lf(lines)
    start_line = lines[0]
    if start_line[:1] in (" ", "\t"):
        raise ParseError("start line begins with whitespace")
    entries: list[tuple[str, str]] = []
    keys: list[str] = []
    lengths: list[str] = []
    folded = len(lines) - 1 > limits.max_headers
    if not folded:
        # One field per line (nearly every message), in one pass; a continuation line
        # (folding) sends the whole section through _unfold instead.
        memo = _NAME_INFO
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            info = memo.get(name) if colon else None
            if info is None:
                if line[:1] in (" ", "\t"):
                    folded = True
                    break
                info = name_info(name.rstrip(" \t")) if colon else None
                if info is None:
                    raise ParseError(f"malformed header line {line!r}")
            canonical, key, list_valued = info
            _add_field(canonical, key, list_valued, value, entries, keys, lengths)
    if folded:
        # Folded lines to join (or too many lines: _unfold finds the first bad one, or the
        # excess).
        entries, keys, lengths = [], [], []
        for (canonical, key, list_valued), value in _unfold(lines, limits):
            _add_field(canonical, key, list_valued, value, entries, keys, lengths)
    headers = Headers(entries, keys)
    content_length: int | None = None
    if len(lengths) > 1:
        raise ParseError(f"{len(lengths)} Content-Length header fields; exactly one is allowed")
    if lengths:
        content_length = parse_uint(lengths[0], limits.max_message_size * 16, "Content-Length")
    return _Head(start_line, headers, content_length)


def _check_version(version: str) -> None:
    if version == "SIP/2.0":
        return
    m = _VERSION_RE.fullmatch(version)
    if m is None:
        raise ParseError(f"malformed SIP-Version {version!r}")
    if (int(m.group(1)), int(m.group(2))) != (2, 0):
        raise ParseError(f"SIP version {version!r} is not supported", status_code=505)


def _build(head: _Head, body: bytes, limits: ParserLimits) -> Request | Response:
    line = head.start_line
    first, _, rest = line.partition(" ")
    message: Request | Response
    if first == "SIP/2.0" or (first[:4].upper() == "SIP/"
                              and _VERSION_RE.fullmatch(first) is not None):
        # Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
        _check_version(first)
        code_text, sp, reason = rest.partition(" ")
        if not sp:
            raise ParseError(f"Status-Line {line!r} lacks the SP before the Reason-Phrase")
        if len(code_text) != 3 or not code_text.isascii() or not code_text.isdigit():
            raise ParseError(f"status code {code_text!r} is not three digits")
        code = int(code_text)
        if not 100 <= code <= 699:
            raise ParseError(f"status code {code} is outside 100-699")
        if not reason.isprintable() and any(
            (ch < " " and ch != "\t") or ch == "\x7f" for ch in reason
        ):
            raise ParseError(f"control character in Reason-Phrase {reason!r}")
        message = Response(status_code=code, reason=reason, headers=head.headers, body=body)
    else:
        # Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly two single SPs.
        parts = line.split(" ")
        if len(parts) != 3 or not all(parts):
            if "" in parts:
                raise ParseError(
                    f"Request-Line {line!r} has extra SP characters (exactly one SP must "
                    "separate its three elements, RFC 3261 §7.1)"
                )
            raise ParseError(
                f"Request-Line {line!r} does not have three SP-separated elements "
                "(whitespace in the Request-URI?)"
            )
        method, uri_text, version = parts
        if method not in _METHODS and not is_token(method):
            raise ParseError(f"method {method!r} is not a token")
        _check_version(version)
        if uri_text.startswith("<"):
            raise ParseError(f"Request-URI {uri_text!r} must not be enclosed in <>")
        uri = parse_uri(uri_text)
        if isinstance(uri, SipURI) and uri.headers:
            # RFC 3261 §19.1.1, table 1: headers are not allowed in a Request-URI.
            raise ParseError(f"Request-URI {uri_text!r} carries headers, which is not allowed")
        message = Request(method=method, uri=uri, headers=head.headers, body=body)
    _validate(message, limits)
    return message


@functools.lru_cache(maxsize=8)
def _eager_specs(eager: tuple[str, ...]) -> tuple[tuple[str, HeaderSpec[Any]], ...]:
    """The registered headers among ``eager``, in order, with their specs."""
    return tuple((key, REGISTRY[key]) for key in eager if key in REGISTRY)


@functools.lru_cache(maxsize=8)
def _eager_keys(eager: tuple[str, ...]) -> frozenset[str]:
    return frozenset(key for key, _ in _eager_specs(eager))


def _validate(message: Request | Response, limits: ParserLimits) -> None:
    headers = message.headers
    keys = headers._keys
    entries = headers._entries
    wanted = _eager_keys(limits.eager)
    # One pass over the fields collects the raw values of every eagerly parsed header.
    raw: dict[str, list[str]] = {}
    for i, key in enumerate(keys):
        if key in wanted:
            values = raw.get(key)
            if values is None:
                raw[key] = [entries[i][1]]
            else:
                values.append(entries[i][1])
    missing = [name for name, key in _MANDATORY if key not in raw and key not in keys]
    if missing:
        raise ParseError(f"missing mandatory header fields: {', '.join(missing)}")
    for key, spec in _eager_specs(limits.eager):
        values = raw.get(key)
        if values is not None:
            headers._fill(spec, values)
    if isinstance(message, Request):
        cseq = headers.require(CSEQ)
        if cseq.method != message.method:
            raise ParseError(
                f"CSeq method {cseq.method!r} does not match the request method "
                f"{message.method!r}"
            )


def parse_message(data: bytes, *, limits: ParserLimits = DEFAULT_LIMITS) -> Request | Response:
    """Parse one message from a datagram (UDP semantics; RFC 3261 §18.3).

    Leading CRLFs are skipped.  Raises ParseError; its ``status_code`` is what to answer a
    request with (responses that fail to parse are dropped, RFC 3261 §18.1.2).
    """
    if len(data) > limits.max_message_size:
        raise _too_large(len(data), limits)
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    if start == len(data):
        raise ParseError("datagram holds no message (only CRLF keep-alives)")
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        raise ParseError("header section is not terminated by an empty line")
    head = _parse_head(data[start:end], limits)
    body_start = end + 4
    available = len(data) - body_start
    if head.content_length is None:
        body = data[body_start:]
    elif head.content_length > available:
        raise ParseError(
            f"Content-Length {head.content_length} is larger than the {available} octets "
            "left in the datagram"
        )
    else:
        body = data[body_start : body_start + head.content_length]
    return _build(head, body, limits)


class StreamParser:
    """Frames SIP messages out of a byte stream (TCP, TLS, ...), sans I/O.

    Feed bytes with :meth:`receive_data`; call :meth:`next_message` until it returns None.  A
    ParseError leaves the parser failed: every later call re-raises it, and the transport should
    answer (if it can) and close the connection, since framing is lost (RFC 4475 §3.1.2.3).
    """

    def __init__(self, *, limits: ParserLimits = DEFAULT_LIMITS) -> None:
        self._limits = limits
        self._buffer = bytearray()
        self._head: _Head | None = None
        self._head_size = 0
        self._scan_from = 0
        self._error: ParseError | None = None
        #: How many CRLF keep-alives were skipped (a peer doing RFC 5626 expects a CRLF back).
        self.keepalives = 0

    @property
    def buffered(self) -> int:
        """Octets received but not yet returned as part of a message."""
        return len(self._buffer)

    def receive_data(self, data: bytes) -> None:
        """Append bytes read from the stream."""
        self._buffer += data

    def next_message(self) -> Request | Response | None:
        """The next complete message, or None when more bytes are needed."""
        if self._error is not None:
            raise self._error
        try:
            return self._next()
        except ParseError as exc:
            self._error = exc
            raise

    def _next(self) -> Request | Response | None:
        limits = self._limits
        if self._head is None:
            buf = self._buffer
            skipped = 0
            while buf.startswith(b"\r\n", skipped):
                skipped += 2
            if skipped:
                self.keepalives += skipped // 2
                del buf[:skipped]
                self._scan_from = 0
            end = buf.find(b"\r\n\r\n", max(0, self._scan_from - 3))
            if end < 0:
                if len(buf) > limits.max_message_size:
                    raise _too_large(len(buf), limits)
                self._scan_from = len(buf)
                return None
            if end + 4 > limits.max_message_size:
                raise _too_large(end + 4, limits)
            head = _parse_head(bytes(buf[:end]), limits)
            if head.content_length is None:
                raise ParseError(
                    "Content-Length is missing; it is mandatory on stream transports "
                    "(RFC 3261 §18.3)"
                )
            if end + 4 + head.content_length > limits.max_message_size:
                raise _too_large(end + 4 + head.content_length, limits)
            del buf[: end + 4]
            self._head = head
            self._scan_from = 0
        assert self._head.content_length is not None
        length = self._head.content_length
        if len(self._buffer) < length:
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        head, self._head = self._head, None
        return _build(head, body, limits)
