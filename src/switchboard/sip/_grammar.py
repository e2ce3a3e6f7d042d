"""Character classes and a small scanner for the RFC 3261 §25.1 grammar (private).

Everything here works on ``str``: the parser decodes the header section as UTF-8 first, and
characters above U+007F only ever appear inside quoted strings, reason phrases and free text.
"""

from __future__ import annotations

import functools
import re
import string

from .errors import ParseError

ALPHANUM = frozenset(string.ascii_letters + string.digits)
MARK = frozenset("-_.!~*'()")
UNRESERVED = ALPHANUM | MARK
#: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN = ALPHANUM | frozenset("-.!%*_+`'~")
#: word additionally allows the separators that Call-ID values use.
WORD = TOKEN | frozenset('()<>:\\"/[]?{}')
USER_UNRESERVED = frozenset("&=+$,;?/")
USER = UNRESERVED | USER_UNRESERVED
PASSWORD = UNRESERVED | frozenset("&=+$,")
PARAM_UNRESERVED = frozenset("[]/:&+$")
PARAMCHAR = PARAM_UNRESERVED | UNRESERVED
HNV_UNRESERVED = frozenset("[]/?:+$")
HEADERCHAR = HNV_UNRESERVED | UNRESERVED
RESERVED = frozenset(";/?:@&=+$,")
URIC = RESERVED | UNRESERVED
WS = frozenset(" \t")
HEXDIG = frozenset(string.hexdigits)


def _char_class(chars: frozenset[str]) -> str:
    """A regular-expression character class matching exactly ``chars``."""
    return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]"


_TOKEN_RE = re.compile(_char_class(TOKEN) + "+")


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 token."""
    return _TOKEN_RE.fullmatch(text) is not None


def unescape(text: str, allowed: frozenset[str], what: str) -> str:
    """Decode ``%XX`` escapes in a URI component after checking every character is allowed.

    Escaped octets are decoded as UTF-8 with ``surrogateescape`` so that any octet sequence,
    including ``%00`` (RFC 4475 §3.1.1.4) and non-UTF-8 bytes, survives a round trip.
    """
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            pair = text[i + 1 : i + 3]
            if len(pair) != 2 or not all(c in HEXDIG for c in pair):
                raise ParseError(f"invalid %-escape {text[i : i + 3]!r} in {what} {text!r}")
            out.append(int(pair, 16))
            i += 3
            continue
        if ch not in allowed:
            raise ParseError(f"character {ch!r} is not allowed in {what} {text!r}")
        out.append(ord(ch))
        i += 1
    return out.decode("utf-8", "surrogateescape")


def escape(text: str, allowed: frozenset[str]) -> str:
    """Encode ``text`` for a URI component: characters outside ``allowed`` become ``%XX``."""
    out: list[str] = []
    for ch in text:
        if ch in allowed:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape"))
    return "".join(out)


def quote(text: str) -> str:
    """Render ``text`` as an RFC 3261 quoted-string, backslash-escaping what qdtext forbids.

    CR and LF cannot be represented at all (quoted-pair excludes them) and raise ValueError.
    """
    if "\r" in text or "\n" in text:
        raise ValueError(f"a quoted string cannot hold CR or LF: {text!r}")
    out = ['"']
    for ch in text:
        if ch in '"\\' or (ch < " " and ch != "\t") or ch == "\x7f":
            out.append("\\")
        out.append(ch)
    out.append('"')
    return "".join(out)


class Scanner:
    """A cursor over one header value, with the primitives of the RFC 3261 grammar.

    The value has already been unfolded, so LWS is plain SP / HTAB here.
    """

    __slots__ = ("pos", "text", "what")

    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.pos = 0
        self.what = what

    def error(self, message: str) -> ParseError:
        """A ParseError naming the header and showing the value."""
        return ParseError(f"{self.what}: {message} in {self.text!r}")

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_ws(self) -> bool:
        """Skip SP / HTAB; return True when at least one was skipped."""
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] in WS:
            self.pos += 1
        return self.pos > start

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = repr(self.peek()) if self.peek() else "end of value"
            raise self.error(f"expected {ch!r} at offset {self.pos}, found {found}")
        self.pos += 1

    def accept(self, ch: str) -> bool:
        if self.peek() == ch:
            self.pos += 1
            return True
        return False

    def take_while(self, chars: frozenset[str]) -> str:
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] in chars:
            self.pos += 1
        return text[start : self.pos]

    def token(self, what: str = "token") -> str:
        tok = self.take_while(TOKEN)
        if not tok:
            found = repr(self.peek()) if self.peek() else "end of value"
            raise self.error(f"expected a {what} at offset {self.pos}, found {found}")
        return tok

    def quoted_string(self) -> str:
        """Read a quoted-string at the cursor and return its unescaped content."""
        self.expect('"')
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.error("unterminated quoted string")
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                if self.pos + 1 >= len(text):
                    raise self.error("unterminated quoted string")
                nxt = text[self.pos + 1]
                if nxt in "\r\n":
                    raise self.error("quoted-pair cannot escape CR or LF")
                out.append(nxt)
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1

    def raw_quoted_string(self) -> str:
        """Read a quoted-string and return it verbatim, quotes and escapes included."""
        start = self.pos
        self.quoted_string()
        return self.text[start : self.pos]


@functools.lru_cache(maxsize=512)
def split_commas_memo(value: str) -> tuple[str, ...]:
    """:func:`split_commas` memoized, for values that recur (``Allow``, ``Supported``)."""
    return tuple(split_commas(value))


def split_commas(value: str) -> list[str]:
    """Split a header value at commas outside quoted strings and angle brackets.

    Elements are stripped of surrounding whitespace; empty elements are kept so that the caller
    can reject them (RFC 3261 lists have no empty elements; RFC 4475 §3.1.2.1).
    """
    parts: list[str] = []
    start = 0
    i = 0
    n = len(value)
    in_quotes = False
    in_angle = False
    while i < n:
        ch = value[i]
        if in_quotes:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == "," and not in_angle:
            parts.append(value[start:i].strip(" \t"))
            start = i + 1
        i += 1
    parts.append(value[start:].strip(" \t"))
    return parts


#: gen-value = token / host / quoted-string; ':' admits the bare IPv6address of ``received``.
GEN_VALUE = TOKEN | frozenset(":[]")

Params = tuple[tuple[str, str | None], ...]

# The common spelling of a parameter list: no whitespace, no quoted values.  Anything else
# (LWS around ';' or '=', quoted strings, errors) goes through the Scanner.
_PLAIN_PARAM = _char_class(TOKEN) + "+(?:=" + _char_class(GEN_VALUE) + "+)?"
_PLAIN_PARAMS_RE = re.compile(f"(?:;{_PLAIN_PARAM})*")
_PLAIN_PARAM_RE = re.compile(
    ";(" + _char_class(TOKEN) + "+)(=" + _char_class(GEN_VALUE) + "+)?"
)


_ONE_PLAIN_PARAM_RE = re.compile(
    ";(" + _char_class(TOKEN) + "+)(?:=(" + _char_class(GEN_VALUE) + "+))?"
)


@functools.lru_cache(maxsize=2048)
def plain_params(text: str) -> Params | None:
    """``text`` (``;a=b;c``...) as parameters when it is in the plain form, else None.

    The plain form is what nearly every peer sends; for it the result is exactly what
    :func:`parse_params` gives.  None means "use :func:`parse_params`" (which also reports
    errors), never that the text is malformed.  Memoized: a dialog's tags recur in each of
    its messages.
    """
    if not text:
        return ()
    one = _ONE_PLAIN_PARAM_RE.fullmatch(text)
    if one is not None:
        return ((one[1], one[2]),)
    if _PLAIN_PARAMS_RE.fullmatch(text) is None:
        return None
    return tuple(
        [(name, value[1:] if value else None) for name, value in _PLAIN_PARAM_RE.findall(text)]
    )


def parse_params(s: Scanner) -> Params:
    """Read ``*( SEMI generic-param )`` at the cursor (RFC 3261 §25.1).

    Values are kept verbatim: a quoted-string value keeps its quotes and escapes, so that it
    serializes back unchanged and callers can tell ``x="a"`` from ``x=a``.
    """
    params: list[tuple[str, str | None]] = []
    while True:
        s.skip_ws()
        if not s.accept(";"):
            return tuple(params)
        s.skip_ws()
        name = s.token("parameter name")
        s.skip_ws()
        value: str | None = None
        if s.accept("="):
            s.skip_ws()
            if s.peek() == '"':
                value = s.raw_quoted_string()
            else:
                value = s.take_while(GEN_VALUE)
                if not value:
                    raise s.error(f"parameter {name!r} has '=' but no value")
        params.append((name, value))


def format_params(params: Params) -> str:
    """Serialize generic parameters as ``;name[=value]...``."""
    return "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)


def find_param(params: Params, name: str) -> tuple[bool, str | None]:
    """Look a parameter up case-insensitively: (present, value)."""
    lname = name.lower()
    for n, v in params:
        if n.lower() == lname:
            return True, v
    return False, None


def unquote(value: str) -> str:
    """Undo quoted-string quoting when ``value`` is quoted; return it unchanged otherwise."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return Scanner(value, "value").quoted_string()
    return value


def parse_uint(text: str, maximum: int, what: str) -> int:
    """Parse ``1*DIGIT`` (ASCII only) no larger than ``maximum``; ParseError otherwise."""
    if not (text.isascii() and text.isdigit()):
        raise ParseError(f"{what} {text!r} is not a non-negative integer")
    significant = text.lstrip("0")
    # Compare lengths first: int() of thousands of digits is slow and may raise ValueError.
    if len(significant) > len(str(maximum)) or int(significant or "0") > maximum:
        raise ParseError(f"{what} {text!r} is larger than {maximum}")
    return int(significant or "0")
