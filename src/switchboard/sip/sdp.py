"""SDP (RFC 4566) and the offer/answer model (RFC 3264) for one audio stream.

:class:`SessionDescription` parses and serializes any SDP.  The offer/answer functions speak the
subset a contact centre needs: G.711 (PCMU 0, PCMA 8), RFC 4733 telephone-events on a dynamic
payload type, ``ptime``, and the direction attributes used for hold.

Theory of operation (RFC 3264):

* The answer has exactly as many m-lines as the offer, in the same order (§6).  A stream is
  rejected by answering it with port 0 (§6); we reject non-audio streams, non-RTP/AVP audio, any
  audio stream after the first accepted one, and streams the offer already set to port 0.
* Codecs are matched by encoding name and clock rate (``rtpmap``, or the static table of RFC 3551
  for payload types 0 and 8 without one), in the offerer's order, and the answer reuses the
  offer's payload type numbers (§6.1).
* The answer's direction is the mirror of the offer's, restricted by what we want (§6.1): an offer
  ``sendonly`` (the peer puts us on hold) is answered ``recvonly`` or ``inactive``.  A connection
  address of 0.0.0.0 is the RFC 2543 way of saying the same (§8.4).
* If no stream can be accepted, :class:`~switchboard.sip.errors.NegotiationError` (488).
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, replace
from typing import Final

from .errors import NegotiationError, ParseError

__all__ = [
    "PCMA",
    "PCMU",
    "TELEPHONE_EVENT",
    "AudioConfig",
    "Codec",
    "Connection",
    "Direction",
    "MediaDescription",
    "NegotiatedAudio",
    "Origin",
    "SessionDescription",
    "create_answer",
    "create_offer",
    "negotiated_from_answer",
    "reoffer",
]

_SESSION_ORDER = "vosiuepcbtrzkam"
_KNOWN_TYPES = frozenset(_SESSION_ORDER)


def _error(message: str) -> ParseError:
    return ParseError(f"SDP: {message}")


def _int(text: str, what: str, maximum: int = 2**63) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 20 or int(text) > maximum:
        raise _error(f"{what} {text!r} is not a valid number")
    return int(text)


@dataclass(slots=True, init=False, unsafe_hash=True)
class Origin:
    """The ``o=`` line (RFC 4566 §5.2)."""

    #: The originator's user name ("-" when none).
    username: Final[str]
    #: Session id, numeric string.
    session_id: Final[str]
    #: Session version; incremented on every change (RFC 3264 §8).
    session_version: Final[int]
    #: Unicast address of the originator.
    address: Final[str]
    #: "IN".
    nettype: Final[str]
    #: "IP4" or "IP6".
    addrtype: Final[str]

    # The values made per call have Final fields and an explicit __init__ (the generated
    # signature) rather than frozen=True: see switchboard.sip.values.Via.
    def __init__(self, username: str, session_id: str, session_version: int, address: str,
                 nettype: str = "IN", addrtype: str = "IP4") -> None:
        self.username = username
        self.session_id = session_id
        self.session_version = session_version
        self.address = address
        self.nettype = nettype
        self.addrtype = addrtype

    def serialize(self) -> str:
        return (f"{self.username} {self.session_id} {self.session_version} {self.nettype} "
                f"{self.addrtype} {self.address}")


_NO_ORIGIN = Origin("-", "0", 0, "0.0.0.0")


@dataclass(slots=True, init=False, unsafe_hash=True)
class Connection:
    """A ``c=`` line (RFC 4566 §5.7)."""

    #: The connection address (multicast TTL / count suffixes kept verbatim).
    address: Final[str]
    #: "IN".
    nettype: Final[str]
    #: "IP4" or "IP6".
    addrtype: Final[str]

    def __init__(self, address: str, nettype: str = "IN", addrtype: str = "IP4") -> None:
        self.address = address  # (explicit: see Origin)
        self.nettype = nettype
        self.addrtype = addrtype

    @classmethod
    def for_address(cls, address: str) -> Connection:
        """A connection for a unicast IPv4 or IPv6 address."""
        return cls(address, "IN", "IP6" if ":" in address else "IP4")

    def serialize(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


class Direction(enum.Enum):
    """The media direction attributes (RFC 4566 §6, RFC 3264 §5.1)."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    @property
    def sends(self) -> bool:
        """True when media flows from the side this direction describes."""
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        """True when media flows to the side this direction describes."""
        return self in (Direction.SENDRECV, Direction.RECVONLY)

    @classmethod
    def from_flags(cls, *, sends: bool, receives: bool) -> Direction:
        """The direction with these two flags."""
        if sends:
            return cls.SENDRECV if receives else cls.SENDONLY
        return cls.RECVONLY if receives else cls.INACTIVE

    def mirrored(self) -> Direction:
        """The same stream seen from the other side (sendonly <-> recvonly)."""
        return Direction.from_flags(sends=self.receives, receives=self.sends)

    def held(self) -> Direction:
        """The direction that puts this stream on hold (RFC 3264 §8.4)."""
        return Direction.from_flags(sends=self.sends, receives=False)


_DIRECTIONS: dict[str, Direction] = {direction.value: direction for direction in Direction}
"""Direction by attribute name (a lookup, not an exception for every other attribute)."""


@dataclass(slots=True, init=False)
class MediaDescription:
    """One ``m=`` section (RFC 4566 §5.14) with its c=, b=, i= and a= lines."""

    #: "audio", "video", ...
    media: str
    #: Transport port; 0 means the stream is rejected or disabled.
    port: int
    #: "RTP/AVP", ...
    proto: str
    #: Format list (payload type numbers as strings for RTP).
    formats: list[str]
    #: Number of ports after a slash, if given.
    port_count: int | None
    #: The i= line.
    title: str | None
    #: The media-level c= line.
    connection: Connection | None
    #: b= lines as (bwtype, bandwidth).
    bandwidths: list[tuple[str, int]]
    #: a= lines as (name, value or None for a property attribute), in order.
    attributes: list[tuple[str, str | None]]

    # An explicit __init__ (the generated one's signature): mypyc compiles it, where a
    # dataclass-generated one stays interpreted (docs/sip-bench.md).
    def __init__(self, media: str, port: int, proto: str, formats: list[str],
                 port_count: int | None = None, title: str | None = None,
                 connection: Connection | None = None,
                 bandwidths: list[tuple[str, int]] | None = None,
                 attributes: list[tuple[str, str | None]] | None = None) -> None:
        self.media = media
        self.port = port
        self.proto = proto
        self.formats = formats
        self.port_count = port_count
        self.title = title
        self.connection = connection
        self.bandwidths = [] if bandwidths is None else bandwidths
        self.attributes = [] if attributes is None else attributes

    def attribute(self, name: str) -> str | None:
        """The value of the first attribute ``name``, None if absent or a property."""
        for n, v in self.attributes:
            if n == name:
                return v
        return None

    def has_attribute(self, name: str) -> bool:
        """True when attribute ``name`` is present."""
        return any(n == name for n, _ in self.attributes)

    def rtpmaps(self) -> dict[str, tuple[str, int, int]]:
        """``a=rtpmap`` by payload type: (encoding name, clock rate, channels)."""
        result: dict[str, tuple[str, int, int]] = {}
        for name, value in self.attributes:
            if name != "rtpmap" or value is None:
                continue
            pt, _, spec = value.partition(" ")
            parts = spec.strip().split("/")
            if len(parts) < 2:
                raise _error(f"malformed rtpmap {value!r}")
            channels = _int(parts[2], "rtpmap channels") if len(parts) > 2 else 1
            result[pt] = (parts[0], _int(parts[1], "rtpmap clock rate"), channels)
        return result

    def fmtps(self) -> dict[str, str]:
        """``a=fmtp`` by payload type."""
        result: dict[str, str] = {}
        for name, value in self.attributes:
            if name == "fmtp" and value is not None:
                pt, _, params = value.partition(" ")
                result[pt] = params.strip()
        return result

    def direction(self, default: Direction = Direction.SENDRECV) -> Direction:
        """The direction attribute of this stream (``default`` when it has none)."""
        for name, _ in self.attributes:
            direction = _DIRECTIONS.get(name)
            if direction is not None:
                return direction
        return default

    def ptime(self) -> int | None:
        """The ``a=ptime`` value in milliseconds."""
        value = self.attribute("ptime")
        return _int(value, "ptime") if value is not None else None

    def serialize_lines(self) -> list[str]:
        port = f"{self.port}/{self.port_count}" if self.port_count is not None else str(self.port)
        lines = [f"m={self.media} {port} {self.proto} {' '.join(self.formats)}"]
        if self.title is not None:
            lines.append(f"i={self.title}")
        if self.connection is not None:
            lines.append(f"c={self.connection.serialize()}")
        lines.extend(f"b={t}:{bw}" for t, bw in self.bandwidths)
        lines.extend(f"a={n}" if v is None else f"a={n}:{v}" for n, v in self.attributes)
        return lines


@dataclass(slots=True, init=False)
class SessionDescription:
    """A whole SDP body."""

    #: The o= line.
    origin: Origin
    #: The s= line.
    session_name: str
    #: The session-level c= line.
    connection: Connection | None
    #: t= lines as (start, stop).
    timing: list[tuple[int, int]]
    #: Session-level b= lines.
    bandwidths: list[tuple[str, int]]
    #: Session-level a= lines.
    attributes: list[tuple[str, str | None]]
    #: The m= sections in order.
    media: list[MediaDescription]
    #: Other session-level lines kept verbatim as (type, value): i u e p r z k.
    other: list[tuple[str, str]]

    def __init__(self, origin: Origin, session_name: str = "-",
                 connection: Connection | None = None,
                 timing: list[tuple[int, int]] | None = None,
                 bandwidths: list[tuple[str, int]] | None = None,
                 attributes: list[tuple[str, str | None]] | None = None,
                 media: list[MediaDescription] | None = None,
                 other: list[tuple[str, str]] | None = None) -> None:  # explicit: see above
        self.origin = origin
        self.session_name = session_name
        self.connection = connection
        self.timing = [(0, 0)] if timing is None else timing
        self.bandwidths = [] if bandwidths is None else bandwidths
        self.attributes = [] if attributes is None else attributes
        self.media = [] if media is None else media
        self.other = [] if other is None else other

    def direction(self) -> Direction:
        """The session-level direction (sendrecv when absent)."""
        for name, _ in self.attributes:
            direction = _DIRECTIONS.get(name)
            if direction is not None:
                return direction
        return Direction.SENDRECV

    def connection_for(self, media: MediaDescription) -> Connection | None:
        """The effective connection of a stream (media level overrides session level)."""
        return media.connection or self.connection

    @classmethod
    def parse(cls, data: bytes | str) -> SessionDescription:
        """Parse an SDP body; ParseError (400) with a message naming the bad line.

        Lines end in CRLF; a bare LF is tolerated as RFC 4566 §5 asks of parsers.
        """
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _error(f"body is not UTF-8 (octet {exc.start})") from None
        else:
            text = data
        lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        while lines and lines[-1] == "":
            lines.pop()
        if not lines or lines[0] != "v=0":
            raise _error("the first line must be v=0")
        origin: Origin | None = None
        session_name: str | None = None
        session = cls(origin=_NO_ORIGIN, timing=[])  # the o= line's, once read
        current: MediaDescription | None = None
        for number, line in enumerate(lines[1:], start=2):
            if len(line) < 2 or line[1] != "=" or line[0] not in _KNOWN_TYPES:
                raise _error(f"line {number} {line!r} is not a known <type>=<value> line")
            kind, value = line[0], line[2:]
            if kind == "m":
                current = _parse_media(value)
                session.media.append(current)
            elif kind == "a":
                name, colon, attr_value = value.partition(":")
                if not name:
                    raise _error(f"line {number}: empty attribute name")
                (current or session).attributes.append((name, attr_value if colon else None))
            elif kind == "c":
                conn = _parse_connection(value)
                if current is None:
                    session.connection = conn
                else:
                    current.connection = conn
            elif kind == "b":
                bwtype, colon, bw = value.partition(":")
                if not colon or not bwtype:
                    raise _error(f"line {number}: malformed bandwidth {value!r}")
                (current or session).bandwidths.append((bwtype, _int(bw, "bandwidth")))
            elif current is not None:
                if kind != "i":
                    raise _error(f"line {number}: {kind}= is not allowed inside a media section")
                current.title = value
            elif kind == "v":
                raise _error(f"line {number}: repeated v= line")
            elif kind == "o":
                origin = _parse_origin(value)
            elif kind == "s":
                session_name = value
            elif kind == "t":
                start, _, stop = value.partition(" ")
                session.timing.append((_int(start, "start time"), _int(stop, "stop time")))
            else:
                session.other.append((kind, value))
        if origin is None:
            raise _error("missing o= line")
        if session_name is None:
            raise _error("missing s= line")
        if not session.timing:
            raise _error("missing t= line")
        if session.connection is None and any(m.connection is None for m in session.media):
            raise _error("a media section has no c= line and there is no session-level c=")
        session.origin = origin
        session.session_name = session_name
        return session

    def serialize(self) -> bytes:
        """The SDP body, lines in RFC 4566 order, CRLF-terminated."""
        lines = ["v=0", f"o={self.origin.serialize()}", f"s={self.session_name}"]
        lines.extend(f"{k}={v}" for k, v in self.other if k in "iuep")
        if self.connection is not None:
            lines.append(f"c={self.connection.serialize()}")
        lines.extend(f"b={t}:{bw}" for t, bw in self.bandwidths)
        lines.extend(f"t={start} {stop}" for start, stop in self.timing)
        lines.extend(f"{k}={v}" for k, v in self.other if k in "rzk")
        lines.extend(f"a={n}" if v is None else f"a={n}:{v}" for n, v in self.attributes)
        for media in self.media:
            lines.extend(media.serialize_lines())
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _parse_origin(value: str) -> Origin:
    parts = value.split(" ")
    if len(parts) != 6:
        raise _error(f"o= line {value!r} must have 6 fields")
    username, sess_id, version, nettype, addrtype, address = parts
    _int(sess_id, "session id")
    return Origin(username, sess_id, _int(version, "session version"), address, nettype, addrtype)


def _parse_connection(value: str) -> Connection:
    parts = value.split(" ")
    if len(parts) != 3 or not all(parts):
        raise _error(f"c= line {value!r} must have 3 fields")
    return Connection(parts[2], parts[0], parts[1])


def _parse_media(value: str) -> MediaDescription:
    parts = value.split(" ")
    if len(parts) < 4 or not all(parts):
        raise _error(f"m= line {value!r} needs media, port, proto and at least one format")
    media, port_text, proto, *formats = parts
    port_part, slash, count = port_text.partition("/")
    port = _int(port_part, "media port", 65535)
    port_count = _int(count, "port count") if slash else None
    return MediaDescription(media, port, proto, formats, port_count)


# ----------------------------------------------------------------------------------------------
# Offer / answer


@dataclass(slots=True, init=False, unsafe_hash=True)
class Codec:
    """An audio encoding and the payload type we offer it on."""

    #: Encoding name as in rtpmap ("PCMU").
    name: Final[str]
    #: RTP clock rate.
    clock_rate: Final[int]
    #: Payload type number (static, or our preferred dynamic one).
    payload_type: Final[int]

    def __init__(self, name: str, clock_rate: int, payload_type: int) -> None:
        self.name = name  # (explicit: see Origin)
        self.clock_rate = clock_rate
        self.payload_type = payload_type

    def matches(self, name: str, clock_rate: int) -> bool:
        """Same encoding (names compare case-insensitively) at the same rate."""
        return self.name.lower() == name.lower() and self.clock_rate == clock_rate


PCMU = Codec("PCMU", 8000, 0)
PCMA = Codec("PCMA", 8000, 8)
TELEPHONE_EVENT = Codec("telephone-event", 8000, 101)

#: RFC 3551 table 4: static payload types usable without an rtpmap.
_STATIC_PT: dict[str, tuple[str, int]] = {"0": ("PCMU", 8000), "8": ("PCMA", 8000)}
#: RFC 4733 §3.2: DTMF digits 0-9, *, #, A-D and flash are events 0-16.
_SUPPORTED_EVENTS = frozenset(range(17))
#: RFC 4733 §2.4.1: without fmtp, events 0-15 are implied.
_DEFAULT_EVENTS = frozenset(range(16))


@dataclass(slots=True, kw_only=True, init=False, unsafe_hash=True)
class AudioConfig:
    """What we offer or accept for audio."""

    #: Our RTP address.
    address: Final[str]
    #: Our RTP port.
    port: Final[int]
    #: Codecs in order of preference.
    codecs: Final[tuple[Codec, ...]]
    #: Offer / accept RFC 4733 telephone-events.
    telephone_event: Final[bool]
    #: The payload type we offer telephone-event on.
    telephone_event_pt: Final[int]
    #: Packetisation time we want to receive, ms.
    ptime: Final[int | None]
    #: The direction we want (from our side).
    direction: Final[Direction]
    #: o= user name.
    username: Final[str]

    def __init__(self, *, address: str, port: int, codecs: tuple[Codec, ...] = (PCMU, PCMA),
                 telephone_event: bool = True, telephone_event_pt: int = 101,
                 ptime: int | None = 20, direction: Direction = Direction.SENDRECV,
                 username: str = "-") -> None:
        self.address = address  # (explicit: see Origin)
        self.port = port
        self.codecs = codecs
        self.telephone_event = telephone_event
        self.telephone_event_pt = telephone_event_pt
        self.ptime = ptime
        self.direction = direction
        self.username = username


@dataclass(slots=True, kw_only=True, init=False, unsafe_hash=True)
class NegotiatedAudio:
    """The outcome of offer/answer for the audio stream, from our side."""

    #: Where to send RTP.
    remote_address: Final[str]
    #: Remote RTP port.
    remote_port: Final[int]
    #: The codec to send, with the payload type agreed for it.
    codec: Final[Codec]
    #: Payload type of telephone-event, None when not agreed.
    telephone_event_pt: Final[int | None]
    #: Events both sides support.
    telephone_events: Final[frozenset[int]]
    #: Our direction: whether we send and/or receive.
    direction: Final[Direction]
    #: The peer's ptime (how we should packetise what we send), if it gave one.
    remote_ptime: Final[int | None]
    #: Index of the m-line.
    index: Final[int]

    def __init__(self, *, remote_address: str, remote_port: int, codec: Codec,
                 telephone_event_pt: int | None, telephone_events: frozenset[int],
                 direction: Direction, remote_ptime: int | None, index: int) -> None:
        self.remote_address = remote_address  # (explicit: see Origin)
        self.remote_port = remote_port
        self.codec = codec
        self.telephone_event_pt = telephone_event_pt
        self.telephone_events = telephone_events
        self.direction = direction
        self.remote_ptime = remote_ptime
        self.index = index


@functools.lru_cache(maxsize=64)
def _format_events(events: frozenset[int]) -> str:
    ranges: list[str] = []
    ordered = sorted(events)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        ranges.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(ranges)


@functools.lru_cache(maxsize=256)
def _parse_events(text: str) -> frozenset[int]:
    events: set[int] = set()
    for item in text.split(","):
        low, dash, high = item.strip().partition("-")
        first = _int(low, "event", 255)
        last = _int(high, "event", 255) if dash else first
        if last < first:
            raise _error(f"event range {item!r} is reversed")
        events.update(range(first, last + 1))
    return frozenset(events)


def _audio_media(config: AudioConfig, codecs: list[Codec], te_pt: int | None,
                 events: frozenset[int], direction: Direction) -> MediaDescription:
    formats = [str(c.payload_type) for c in codecs]
    attributes: list[tuple[str, str | None]] = [
        ("rtpmap", f"{c.payload_type} {c.name}/{c.clock_rate}") for c in codecs
    ]
    if te_pt is not None:
        formats.append(str(te_pt))
        attributes.append(("rtpmap", f"{te_pt} telephone-event/8000"))
        attributes.append(("fmtp", f"{te_pt} {_format_events(events)}"))
    if config.ptime is not None:
        attributes.append(("ptime", str(config.ptime)))
    attributes.append((direction.value, None))
    return MediaDescription("audio", config.port, "RTP/AVP", formats, attributes=attributes)


def create_offer(config: AudioConfig, *, session_id: str, session_version: int = 0
                 ) -> SessionDescription:
    """An offer with one audio stream carrying our codecs (RFC 3264 §5)."""
    te_pt = config.telephone_event_pt if config.telephone_event else None
    media = _audio_media(config, list(config.codecs), te_pt, _SUPPORTED_EVENTS,
                         config.direction)
    conn = Connection.for_address(config.address)
    return SessionDescription(
        origin=Origin(config.username, session_id, session_version, config.address,
                      addrtype=conn.addrtype),
        connection=conn,
        media=[media],
    )


def _offered_codecs(media: MediaDescription) -> list[tuple[str, str, int]]:
    """(payload type, encoding, clock rate) for each format of an m-line."""
    rtpmaps = media.rtpmaps()
    out: list[tuple[str, str, int]] = []
    for pt in media.formats:
        if pt in rtpmaps:
            name, rate, _ = rtpmaps[pt]
            out.append((pt, name, rate))
        elif pt in _STATIC_PT:
            name, rate = _STATIC_PT[pt]
            out.append((pt, name, rate))
    return out


def _rejected(media: MediaDescription) -> MediaDescription:
    return MediaDescription(media.media, 0, media.proto, list(media.formats))


def create_answer(
    offer: SessionDescription,
    config: AudioConfig,
    *,
    session_id: str,
    session_version: int = 0,
) -> tuple[SessionDescription, NegotiatedAudio]:
    """Answer ``offer`` (RFC 3264 §6); raise NegotiationError (488) if nothing is acceptable."""
    answer_media: list[MediaDescription] = []
    result: NegotiatedAudio | None = None
    reasons: list[str] = []
    for index, media in enumerate(offer.media):
        if media.port == 0:
            answer_media.append(_rejected(media))
            reasons.append(f"m-line {index} was offered with port 0")
            continue
        if media.media != "audio" or media.proto != "RTP/AVP" or result is not None:
            answer_media.append(_rejected(media))
            reasons.append(f"m-line {index} is {media.media} over {media.proto}")
            continue
        offered = _offered_codecs(media)
        common = [
            Codec(local.name, local.clock_rate, int(pt))
            for pt, name, rate in offered
            for local in config.codecs
            if local.matches(name, rate)
        ]
        if not common:
            answer_media.append(_rejected(media))
            names = ", ".join(f"{n}/{r}" for _, n, r in offered) or "nothing we know"
            reasons.append(f"m-line {index} offers {names}; no codec in common")
            continue
        te_pt: int | None = None
        events: frozenset[int] = frozenset()
        if config.telephone_event:
            for pt, name, rate in offered:
                if TELEPHONE_EVENT.matches(name, rate):
                    fmtp = media.fmtps().get(pt)
                    offered_events = _parse_events(fmtp) if fmtp else _DEFAULT_EVENTS
                    events = offered_events & _SUPPORTED_EVENTS
                    if events:
                        te_pt = int(pt)
                    break
        conn = offer.connection_for(media)
        offered_dir = media.direction(offer.direction())
        if conn is not None and conn.address in ("0.0.0.0", "::"):
            # RFC 3264 §8.4: c=0.0.0.0 is the RFC 2543 way to put a stream on hold.
            offered_dir = Direction.from_flags(sends=offered_dir.sends, receives=False)
        direction = Direction.from_flags(
            sends=offered_dir.receives and config.direction.sends,
            receives=offered_dir.sends and config.direction.receives,
        )
        answer_media.append(_audio_media(config, common, te_pt, events, direction))
        result = NegotiatedAudio(
            remote_address=conn.address if conn is not None else "",
            remote_port=media.port,
            codec=common[0],
            telephone_event_pt=te_pt,
            telephone_events=events,
            direction=direction,
            remote_ptime=media.ptime(),
            index=index,
        )
    if result is None:
        raise NegotiationError("no acceptable audio stream in the offer: " + "; ".join(reasons)
                               if reasons else "the offer has no media streams")
    conn = Connection.for_address(config.address)
    answer = SessionDescription(
        origin=Origin(config.username, session_id, session_version, config.address,
                      addrtype=conn.addrtype),
        connection=conn,
        timing=list(offer.timing),  # RFC 3264 §6: the t= line must equal the offer's
        media=answer_media,
    )
    return answer, result


def negotiated_from_answer(offer: SessionDescription, answer: SessionDescription
                           ) -> NegotiatedAudio:
    """The offerer's view of the outcome (RFC 3264 §7); NegotiationError when it is unusable."""
    if len(answer.media) != len(offer.media):
        raise NegotiationError(
            f"the answer has {len(answer.media)} m-lines, the offer {len(offer.media)} "
            "(RFC 3264 §6 requires the same number)"
        )
    for index, (ours, theirs) in enumerate(zip(offer.media, answer.media, strict=True)):
        if ours.media != "audio" or theirs.port == 0:
            continue
        if theirs.media != ours.media:
            raise NegotiationError(f"m-line {index} changed from {ours.media} to {theirs.media}")
        offered = {pt: (name, rate) for pt, name, rate in _offered_codecs(ours)}
        answered = _offered_codecs(theirs)
        codecs = [c for c in answered if not TELEPHONE_EVENT.matches(c[1], c[2])]
        if not codecs:
            raise NegotiationError(f"m-line {index}: the answer accepts no audio codec")
        pt, name, rate = codecs[0]
        if pt not in offered or not Codec(name, rate, 0).matches(*offered[pt]):
            raise NegotiationError(f"m-line {index}: the answer picked {name}/{rate} on "
                                   f"payload type {pt}, which the offer did not contain")
        te = next((c for c in answered if TELEPHONE_EVENT.matches(c[1], c[2])), None)
        events: frozenset[int] = frozenset()
        if te is not None:
            fmtp = theirs.fmtps().get(te[0])
            events = (_parse_events(fmtp) if fmtp else _DEFAULT_EVENTS) & _SUPPORTED_EVENTS
        conn = answer.connection_for(theirs)
        mine = ours.direction(offer.direction())
        peer = theirs.direction(answer.direction())
        return NegotiatedAudio(
            remote_address=conn.address if conn is not None else "",
            remote_port=theirs.port,
            codec=Codec(name, rate, int(pt)),
            telephone_event_pt=int(te[0]) if te is not None and events else None,
            telephone_events=events if te is not None else frozenset(),
            direction=Direction.from_flags(sends=mine.sends and peer.receives,
                                           receives=mine.receives and peer.sends),
            remote_ptime=theirs.ptime(),
            index=index,
        )
    raise NegotiationError("the answer rejected every audio stream")


def reoffer(previous: SessionDescription, *, direction: Direction) -> SessionDescription:
    """A new offer from our previous SDP with every audio stream set to ``direction``.

    The o= version is incremented (RFC 3264 §8).  For hold pass ``previous_direction.held()``
    (sendrecv -> sendonly, recvonly -> inactive, §8.4); to resume, the original direction.
    """
    media = []
    for m in previous.media:
        if m.media == "audio" and m.port != 0:
            attrs = [(n, v) for n, v in m.attributes if n not in {d.value for d in Direction}]
            attrs.append((direction.value, None))
            m = replace(m, attributes=attrs, formats=list(m.formats))
        media.append(m)
    origin = replace(previous.origin, session_version=previous.origin.session_version + 1)
    attributes = [(n, v) for n, v in previous.attributes
                  if n not in {d.value for d in Direction}]
    return replace(previous, origin=origin, media=media, attributes=attributes)
