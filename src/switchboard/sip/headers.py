"""The header registry and the :class:`Headers` container.

The registry is a dispatch table from a header's canonical name to a :class:`HeaderSpec`: its
compact form (RFC 3261 §7.3.3 and later RFCs), whether it is a comma-separated list, whether it may
appear only once, and the function that parses one value into a typed object (those live in
:mod:`switchboard.sip.values` and are re-exported here).  :class:`Headers` keeps raw text and
parses a header only when typed access asks for it (then caches the result), so an unusual
``Date`` does not cost a rejection unless someone reads the ``Date`` (RFC 4475 §3.1.2.12).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ._grammar import is_token, parse_uint, split_commas_memo
from .errors import ParseError
from .uri import NameAddress
from .values import (
    UINT32_MAX,
    ContactWildcard,
    CSeq,
    MediaType,
    RetryAfter,
    Via,
    Warning,
    format_date,
    parse_call_id,
    parse_contact,
    parse_cseq,
    parse_date,
    parse_delta_seconds,
    parse_from_to,
    parse_max_forwards,
    parse_media_type,
    parse_retry_after,
    parse_route,
    parse_token,
    parse_via,
    parse_warning,
)

__all__ = [
    "ACCEPT",
    "ALLOW",
    "CALL_ID",
    "CONTACT",
    "CONTENT_TYPE",
    "CSEQ",
    "DATE",
    "EXPIRES",
    "FROM",
    "MAX_FORWARDS",
    "PROXY_REQUIRE",
    "RECORD_ROUTE",
    "REGISTRY",
    "REQUIRE",
    "RETRY_AFTER",
    "ROUTE",
    "SUPPORTED",
    "TO",
    "UINT32_MAX",
    "UNSUPPORTED",
    "VIA",
    "WARNING",
    "CSeq",
    "ContactWildcard",
    "HeaderSpec",
    "Headers",
    "MediaType",
    "RetryAfter",
    "Via",
    "Warning",
    "canonical_name",
    "format_date",
    "parse_call_id",
    "parse_contact",
    "parse_cseq",
    "parse_date",
    "parse_delta_seconds",
    "parse_max_forwards",
    "parse_media_type",
    "parse_retry_after",
    "parse_via",
    "parse_warning",
]

T = TypeVar("T")


def _text(value: str) -> str:
    return value


# --------------------------------------------------------------------------------------------
# The registry


class HeaderSpec(Generic[T]):
    """How one header is named, framed and parsed (immutable by contract).

    A plain class rather than a frozen dataclass: mypyc cannot compile a generic dataclass.
    """

    __slots__ = ("compact", "key", "list_valued", "may_be_empty", "name", "parse", "single")

    def __init__(self, name: str, parse: Callable[[str], T], compact: str | None = None, *,
                 list_valued: bool = False, single: bool = False,
                 may_be_empty: bool = False) -> None:
        #: The canonical (long) name, in the capitalisation used on output.
        self.name = name
        #: Parser of one value (one list element for list headers).
        self.parse = parse
        #: The compact form (RFC 3261 §7.3.3 and later RFCs), if any.
        self.compact = compact
        #: True when values may be comma-combined (``#element`` grammar); input is split.
        self.list_valued = list_valued
        #: True when the header may appear at most once (RFC 3261 §7.3.1).
        self.single = single
        #: True when the grammar allows an empty value (``[element *(COMMA element)]``):
        #: Accept, Allow and Supported (RFC 3261 §20.1, §20.5, §20.37); an empty value is no
        #: element.
        self.may_be_empty = may_be_empty
        #: The lower-case name: the key of the registry and of :class:`Headers`' index.
        self.key = name.lower()

    def __repr__(self) -> str:
        return f"HeaderSpec({self.name!r})"


VIA: HeaderSpec[Via] = HeaderSpec("Via", parse_via, "v", list_valued=True)
FROM: HeaderSpec[NameAddress] = HeaderSpec("From", parse_from_to("From"), "f", single=True)
TO: HeaderSpec[NameAddress] = HeaderSpec("To", parse_from_to("To"), "t", single=True)
CALL_ID: HeaderSpec[str] = HeaderSpec("Call-ID", parse_call_id, "i", single=True)
CSEQ: HeaderSpec[CSeq] = HeaderSpec("CSeq", parse_cseq, single=True)
MAX_FORWARDS: HeaderSpec[int] = HeaderSpec("Max-Forwards", parse_max_forwards, single=True)
CONTACT: HeaderSpec[NameAddress | ContactWildcard] = HeaderSpec(
    "Contact", parse_contact, "m", list_valued=True
)
ROUTE: HeaderSpec[NameAddress] = HeaderSpec("Route", parse_route("Route"), list_valued=True)
RECORD_ROUTE: HeaderSpec[NameAddress] = HeaderSpec(
    "Record-Route", parse_route("Record-Route"), list_valued=True
)
CONTENT_TYPE: HeaderSpec[MediaType] = HeaderSpec(
    "Content-Type", parse_media_type, "c", single=True
)
CONTENT_LENGTH: HeaderSpec[int] = HeaderSpec(
    "Content-Length", lambda v: parse_uint(v, 2**63, "Content-Length"), "l", single=True
)
EXPIRES: HeaderSpec[int] = HeaderSpec("Expires", parse_delta_seconds, single=True)
DATE: HeaderSpec[_dt.datetime] = HeaderSpec("Date", parse_date, single=True)
ACCEPT: HeaderSpec[MediaType] = HeaderSpec("Accept", parse_media_type, list_valued=True,
                                           may_be_empty=True)
ALLOW: HeaderSpec[str] = HeaderSpec("Allow", parse_token("Allow"), list_valued=True,
                                    may_be_empty=True)
REQUIRE: HeaderSpec[str] = HeaderSpec("Require", parse_token("Require"), list_valued=True)
PROXY_REQUIRE: HeaderSpec[str] = HeaderSpec(
    "Proxy-Require", parse_token("Proxy-Require"), list_valued=True
)
SUPPORTED: HeaderSpec[str] = HeaderSpec(
    "Supported", parse_token("Supported"), "k", list_valued=True, may_be_empty=True
)
UNSUPPORTED: HeaderSpec[str] = HeaderSpec(
    "Unsupported", parse_token("Unsupported"), list_valued=True
)
WARNING: HeaderSpec[Warning] = HeaderSpec("Warning", parse_warning, list_valued=True)
RETRY_AFTER: HeaderSpec[RetryAfter] = HeaderSpec("Retry-After", parse_retry_after, single=True)

_TEXT_HEADERS: tuple[HeaderSpec[str], ...] = (
    HeaderSpec("Subject", _text, "s", single=True),
    HeaderSpec("Content-Encoding", _text, "e", list_valued=True),
    HeaderSpec("Event", _text, "o", single=True),  # RFC 6665
    HeaderSpec("Refer-To", _text, "r", single=True),  # RFC 3515
    HeaderSpec("Referred-By", _text, "b", single=True),  # RFC 3892
    HeaderSpec("Allow-Events", _text, "u", list_valued=True),  # RFC 6665
    HeaderSpec("Accept-Contact", _text, "a", list_valued=True),  # RFC 3841
    HeaderSpec("Reject-Contact", _text, "j", list_valued=True),  # RFC 3841
    HeaderSpec("Request-Disposition", _text, "d", list_valued=True),  # RFC 3841
    HeaderSpec("Session-Expires", _text, "x", single=True),  # RFC 4028
    HeaderSpec("Identity", _text, "y"),  # RFC 8224
    HeaderSpec("Identity-Info", _text, "n"),  # RFC 4474
    HeaderSpec("Accept-Encoding", _text, list_valued=True),
    HeaderSpec("Accept-Language", _text, list_valued=True),
    HeaderSpec("Alert-Info", _text, list_valued=True),
    HeaderSpec("Call-Info", _text, list_valued=True),
    HeaderSpec("Content-Language", _text, list_valued=True),
    HeaderSpec("Error-Info", _text, list_valued=True),
    HeaderSpec("In-Reply-To", _text, list_valued=True),
    HeaderSpec("Path", _text, list_valued=True),  # RFC 3327
    HeaderSpec("Service-Route", _text, list_valued=True),  # RFC 3608
    HeaderSpec("Authorization", _text),
    HeaderSpec("Proxy-Authorization", _text),
    HeaderSpec("WWW-Authenticate", _text),
    HeaderSpec("Proxy-Authenticate", _text),
    HeaderSpec("Authentication-Info", _text, single=True),
    HeaderSpec("User-Agent", _text, single=True),
    HeaderSpec("Server", _text, single=True),
    HeaderSpec("Organization", _text, single=True),
    HeaderSpec("Priority", _text, single=True),
    HeaderSpec("Timestamp", _text, single=True),
    HeaderSpec("MIME-Version", _text, single=True),
    HeaderSpec("Content-Disposition", _text, single=True),
    HeaderSpec("Min-Expires", _text, single=True),
    HeaderSpec("Reply-To", _text, single=True),
)

#: Dispatch table: lower-case canonical name -> spec.
_ALL_SPECS: tuple[HeaderSpec[Any], ...] = (
    VIA, FROM, TO, CALL_ID, CSEQ, MAX_FORWARDS, CONTACT, ROUTE, RECORD_ROUTE,
    CONTENT_TYPE, CONTENT_LENGTH, EXPIRES, DATE, ACCEPT, ALLOW, REQUIRE, PROXY_REQUIRE,
    SUPPORTED, UNSUPPORTED, WARNING, RETRY_AFTER, *_TEXT_HEADERS,
)
REGISTRY: dict[str, HeaderSpec[Any]] = {spec.name.lower(): spec for spec in _ALL_SPECS}
#: Compact form (lower case) -> lower-case canonical name.
COMPACT: dict[str, str] = {
    spec.compact: key for key, spec in REGISTRY.items() if spec.compact is not None
}


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name: compact forms expanded, known names recased.

    Unknown names are returned unchanged (header names compare case-insensitively, §7.3.1).
    """
    lower = name.lower()
    key = COMPACT.get(lower, lower)
    spec = REGISTRY.get(key)
    return spec.name if spec is not None else name


# --------------------------------------------------------------------------------------------
# Name lookup (memoized: the same few dozen names arrive in every message)

_MEMO_LIMIT = 4096  # names come from the network: the memo tables stop growing here

#: name as spelled -> (canonical name, lower-case key, list-valued), for valid tokens only.
_NAME_INFO: dict[str, tuple[str, str, bool]] = {}
#: name as spelled -> lower-case key (any spelling, valid or not).
_KEYS: dict[str, str] = {}


def name_info(name: str) -> tuple[str, str, bool] | None:
    """(canonical name, lower-case key, list-valued) of a header name; None if not a token."""
    info = _NAME_INFO.get(name)
    if info is None:
        if not is_token(name):
            return None
        canonical = canonical_name(name)
        key = canonical.lower()
        spec = REGISTRY.get(key)
        info = (canonical, key, spec is not None and spec.list_valued)
        if len(_NAME_INFO) < _MEMO_LIMIT:
            _NAME_INFO[name] = info
    return info


def header_key(name: str) -> str:
    """The lower-case canonical name that every spelling of ``name`` is looked up by."""
    key = _KEYS.get(name)
    if key is None:
        key = canonical_name(name).lower()
        if len(_KEYS) < _MEMO_LIMIT:
            _KEYS[name] = key
    return key


# --------------------------------------------------------------------------------------------
# The container


class Headers:
    """An ordered multi-map of header fields, raw text in, typed values out on demand.

    Names are canonicalised on insertion (``v`` -> ``Via``, ``cseq`` -> ``CSeq``); values of
    list-valued headers are split at top-level commas so that each entry holds one element.
    ``Content-Length`` is not stored: a message derives it from its body.

    Beside the entries, a parallel list holds each entry's lookup key (the lower-case canonical
    name), so that a lookup is a scan in C rather than a name comparison per entry in Python.
    Two lists per message, not one per header name: thousands of messages stay alive for 32 s
    in the transactions' wait states, and every container is work for the garbage collector.
    """

    __slots__ = ("_cache", "_entries", "_keys")

    def __init__(self, entries: list[tuple[str, str]] | None = None,
                 keys: list[str] | None = None) -> None:
        self._cache: dict[str, tuple[Any, ...]] = {}
        if keys is not None and entries is not None:
            # Prepared (by the parser, by copy()): the entries and their lookup keys, taken
            # as they are, in step.
            self._entries: list[tuple[str, str]] = entries
            self._keys: list[str] = keys
            return
        self._entries = []
        self._keys = []
        for name, value in entries or ():
            self.add(name, value)

    # raw access ------------------------------------------------------------------------

    def _values(self, key: str) -> list[str]:
        """Every value stored under lookup key ``key``, in order."""
        keys = self._keys
        count = keys.count(key)
        if count == 0:
            return []
        if count == 1:
            return [self._entries[keys.index(key)][1]]
        entries = self._entries
        return [entries[i][1] for i, k in enumerate(keys) if k == key]

    def add(self, name: str, value: str) -> None:
        """Append a header field (split into elements when the header is a list)."""
        canonical, key, values = self._prepare(name, value)
        self._append(canonical, key, values)

    def _append(self, canonical: str, key: str, values: list[str]) -> None:
        """Append prepared values (the parser and make_response call this directly)."""
        if len(values) == 1:
            self._entries.append((canonical, values[0]))
            self._keys.append(key)
        else:
            self._entries.extend([(canonical, v) for v in values])
            self._keys.extend([key] * len(values))
        if self._cache:
            self._cache.pop(key, None)  # typed values of other headers stand

    def prepend(self, name: str, value: str) -> None:
        """Insert a field before the first field of the same name (or at the top)."""
        canonical, key, values = self._prepare(name, value)
        index = self._keys.index(key) if key in self._keys else 0
        self._entries[index:index] = [(canonical, v) for v in values]
        self._keys[index:index] = [key] * len(values)
        self._cache.pop(key, None)

    def set(self, name: str, value: str) -> None:
        """Replace every field named ``name`` with this value, at the first one's position."""
        canonical, key, values = self._prepare(name, value)
        if key not in self._keys:
            self._append(canonical, key, values)
            return
        index = self._keys.index(key)
        self.remove(name)
        self._entries[index:index] = [(canonical, v) for v in values]
        self._keys[index:index] = [key] * len(values)
        self._cache.pop(key, None)

    def remove(self, name: str) -> int:
        """Remove every field named ``name``; return how many were removed."""
        key = header_key(name)
        self._cache.pop(key, None)
        removed = self._keys.count(key)
        if removed:
            kept = [(e, k) for e, k in zip(self._entries, self._keys, strict=True) if k != key]
            self._entries = [e for e, _ in kept]
            self._keys = [k for _, k in kept]
        return removed

    def get(self, name: str) -> str | None:
        """The first value of ``name`` (any spelling or compact form), or None."""
        key = header_key(name)
        keys = self._keys
        return self._entries[keys.index(key)][1] if key in keys else None

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` in order."""
        return self._values(header_key(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and header_key(name) in self._keys

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._entries == other._entries

    def __repr__(self) -> str:
        return f"Headers({self._entries!r})"

    def copy(self) -> Headers:
        """A shallow copy (entries are immutable strings)."""
        return Headers(list(self._entries), list(self._keys))

    # typed access ----------------------------------------------------------------------

    def _parsed(self, spec: HeaderSpec[T]) -> tuple[T, ...]:
        key = spec.key
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        return self._fill(spec, self._values(key) if key in self._keys else [])

    def _fill(self, spec: HeaderSpec[T], raw: list[str]) -> tuple[T, ...]:
        """Parse and cache the header's values, given its raw values (the parser's eager
        pass collects those of several headers in one scan)."""
        if spec.single and len(raw) > 1:
            raise ParseError(
                f"header field {spec.name} appears {len(raw)} times but may appear only once"
            )
        if spec.may_be_empty:
            raw = [v for v in raw if v.strip(" \t")]
        parse = spec.parse
        values = tuple([parse(v) for v in raw]) if raw else ()
        self._cache[spec.key] = values
        return values

    def _seed(self, spec: HeaderSpec[T], values: tuple[T, ...]) -> None:
        """Record already-known typed values of a header (make_response copies them)."""
        self._cache[spec.key] = values

    def parsed(self, spec: HeaderSpec[T]) -> list[T]:
        """Every value of the header, parsed (cached until the next mutation).

        Raises ParseError naming the header when a value is malformed, or when a header that
        may appear once appears more often (RFC 3261 §7.3.1; RFC 4475 §3.3.8).
        """
        return list(self._parsed(spec))

    def parsed_one(self, spec: HeaderSpec[T]) -> T | None:
        """The single (or first) parsed value, None when the header is absent."""
        values = self._parsed(spec)
        return values[0] if values else None

    def require(self, spec: HeaderSpec[T]) -> T:
        """The single (or first) parsed value; ParseError when the header is absent."""
        values = self._parsed(spec)
        if not values:
            raise ParseError(f"missing mandatory header field {spec.name}")
        return values[0]

    # helpers ---------------------------------------------------------------------------

    @staticmethod
    def _prepare(name: str, value: str) -> tuple[str, str, list[str]]:
        info = name_info(name)
        if info is None:
            raise ValueError(f"header name {name!r} is not a token")
        if "\r" in value or "\n" in value:
            raise ValueError(f"header value for {name} contains CR or LF: {value!r}")
        canonical, key, list_valued = info
        if key == "content-length":
            raise ValueError("Content-Length is derived from the body; do not set it")
        value = value.strip(" \t")
        if list_valued and "," in value:
            return canonical, key, list(split_commas_memo(value))
        return canonical, key, [value]
