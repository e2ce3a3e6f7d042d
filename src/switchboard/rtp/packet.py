"""RTP and RTCP packets: ``parse`` / ``serialize`` pairs (RFC 3550 §5.1, §6.4-§6.6).

RTP (:class:`RtpPacket`) follows the fixed header of RFC 3550 §5.1, the CSRC list, the header
extension of §5.3.1 (kept opaque: profile and data) and padding.  Parsing applies the checks of
RFC 3550 §A.1 that need no session state: version 2, the CSRC list and the extension fit, and the
padding count is non-zero and fits in what follows the header.

RTCP is parsed as a compound packet (:func:`parse_rtcp`, RFC 3550 §6.1): a sequence of
:class:`SenderReport`, :class:`ReceiverReport`, :class:`SourceDescription`, :class:`Goodbye` and,
for every other packet type (APP, feedback, XR ...), :class:`UnknownRtcp` carrying the body
untouched.  Every packet must have version 2 and a length that fits; only the last one may carry
padding (§6.4.1).  The "first packet is SR or RR" rule of §A.2 is not enforced, since RFC 5506
(reduced-size RTCP) relaxes it; callers that want it can check ``packets[0]``.

Every field is validated on construction, so an object that exists can always be serialized, and
``parse(x.serialize()) == x`` for every valid ``x``.  Text fields (SDES items, BYE reason) are
kept as ``bytes``: RFC 3550 says UTF-8, but a peer's bad UTF-8 is not worth dropping a report for.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, TypeAlias

from .errors import ParseError

#: What the parsers accept: any contiguous octet buffer.
BytesLike: TypeAlias = bytes | bytearray | memoryview

__all__ = [
    "RTCP_BYE",
    "RTCP_RR",
    "RTCP_SDES",
    "RTCP_SR",
    "RTP_VERSION",
    "BytesLike",
    "Goodbye",
    "HeaderExtension",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "RtpPacket",
    "SdesChunk",
    "SdesItem",
    "SenderReport",
    "SourceDescription",
    "UnknownRtcp",
    "is_rtcp",
    "parse_rtcp",
    "serialize_rtcp",
    "serialize_rtp",
]

RTP_VERSION: Final = 2
RTP_HEADER_SIZE: Final = 12
RTCP_SR: Final = 200
RTCP_RR: Final = 201
RTCP_SDES: Final = 202
RTCP_BYE: Final = 203

#: SDES item types (RFC 3550 §6.5); 0 is END and never appears as an item.
SDES_CNAME: Final = 1
SDES_NAME: Final = 2
SDES_EMAIL: Final = 3
SDES_PHONE: Final = 4
SDES_LOC: Final = 5
SDES_TOOL: Final = 6
SDES_NOTE: Final = 7
SDES_PRIV: Final = 8

_U16 = 0xFFFF
_U32 = 0xFFFF_FFFF
_U64 = 0xFFFF_FFFF_FFFF_FFFF
_MAX_COUNT = 31  # five-bit count fields (CC is four bits)

_RTP_FIXED = struct.Struct("!BBHII")
_RTCP_HEADER = struct.Struct("!BBH")
_SR_INFO = struct.Struct("!IQIII")
_REPORT_BLOCK = struct.Struct("!IB3sIIII")


def _check_uint(name: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise ValueError(f"{name} must fit in {bits} unsigned bits, got {value}")


def _check_count(name: str, items: tuple[object, ...], limit: int = _MAX_COUNT) -> None:
    if len(items) > limit:
        raise ValueError(f"at most {limit} {name} fit in one packet, got {len(items)}")


def is_rtcp(data: BytesLike) -> bool:
    """Tell RTCP from RTP on a multiplexed port (RFC 5761 §4).

    True when the second octet is in 192-223 (RTCP packet types 192-223; RTP payload types 64-95
    with the marker set fall there, which is why RFC 5761 forbids those payload types when
    multiplexing).
    """
    return len(data) >= 2 and 192 <= data[1] <= 223


# --------------------------------------------------------------------------------------------
# RTP


@dataclass(frozen=True, slots=True, kw_only=True)
class HeaderExtension:
    """The RTP header extension (RFC 3550 §5.3.1), kept opaque.

    RFC 8285 one- and two-byte elements live inside ``data``; this layer does not interpret them.
    """

    #: The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte elements).
    profile: int
    #: The extension body; its length is a multiple of 4 octets (at most 65535 words).
    data: bytes = b""

    def __post_init__(self) -> None:
        _check_uint("extension profile", self.profile, 16)
        if len(self.data) % 4:
            raise ValueError(
                f"extension data must be a multiple of 4 octets, got {len(self.data)}"
            )
        if len(self.data) // 4 > _U16:
            raise ValueError(f"extension data of {len(self.data)} octets exceeds 65535 words")


@dataclass(frozen=True, slots=True, kw_only=True)
class RtpPacket:
    """One RTP packet (RFC 3550 §5.1).  The version is always 2."""

    #: Payload type, 0-127 (0 = PCMU, 8 = PCMA, dynamic 96-127 e.g. telephone-event).
    payload_type: int
    #: 16-bit sequence number; wraps at 65536.
    sequence_number: int
    #: 32-bit media timestamp in the payload's clock rate (8000 Hz for G.711).
    timestamp: int
    #: 32-bit synchronisation source identifier.
    ssrc: int
    #: The payload octets, without padding.
    payload: bytes = b""
    #: The marker bit (first packet of a talkspurt for audio, RFC 3551 §4.1).
    marker: bool = False
    #: Contributing sources, at most 15.
    csrc: tuple[int, ...] = ()
    #: The header extension, if the X bit is set.
    extension: HeaderExtension | None = None
    #: Padding octets appended, including the final count octet; 0 means the P bit is clear.
    padding: int = 0

    def __post_init__(self) -> None:
        _check_uint("payload_type", self.payload_type, 7)
        _check_uint("sequence_number", self.sequence_number, 16)
        _check_uint("timestamp", self.timestamp, 32)
        _check_uint("ssrc", self.ssrc, 32)
        _check_count("CSRCs", self.csrc, 15)
        for csrc in self.csrc:
            _check_uint("csrc", csrc, 32)
        _check_uint("padding", self.padding, 8)

    @classmethod
    def parse(cls, data: BytesLike) -> RtpPacket:
        """Parse one RTP datagram; raise :class:`ParseError` if it is not a valid RTP packet."""
        data = bytes(data)
        size = len(data)
        if size < RTP_HEADER_SIZE:
            raise ParseError(
                f"RTP packet of {size} octets is shorter than the 12-octet fixed header"
            )
        first, second, seq, timestamp, ssrc = _RTP_FIXED.unpack_from(data)
        version = first >> 6
        if version != RTP_VERSION:
            raise ParseError(f"RTP version {version} is not supported (expected 2)")
        csrc_count = first & 0x0F
        offset = RTP_HEADER_SIZE + 4 * csrc_count
        if offset > size:
            raise ParseError(
                f"CSRC count {csrc_count} needs {offset} header octets, packet has {size}"
            )
        csrc = struct.unpack_from(f"!{csrc_count}I", data, RTP_HEADER_SIZE)
        extension = None
        if first & 0x10:
            if offset + 4 > size:
                raise ParseError(
                    f"X bit set but only {size - offset} octets follow the CSRC list "
                    f"(the extension header needs 4)"
                )
            profile, words = struct.unpack_from("!HH", data, offset)
            end = offset + 4 + 4 * words
            if end > size:
                raise ParseError(
                    f"header extension of {words} words needs {end} octets, packet has {size}"
                )
            extension = HeaderExtension(profile=profile, data=data[offset + 4 : end])
            offset = end
        padding = 0
        payload_end = size
        if first & 0x20:
            if offset == size:
                raise ParseError("P bit set but the packet ends with the header")
            padding = data[-1]
            if padding == 0:
                raise ParseError("P bit set but the padding count is 0")
            if padding > size - offset:
                raise ParseError(
                    f"padding count {padding} exceeds the {size - offset} octets "
                    f"after the header"
                )
            payload_end = size - padding
        return cls(
            payload_type=second & 0x7F,
            sequence_number=seq,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=data[offset:payload_end],
            marker=bool(second & 0x80),
            csrc=csrc,
            extension=extension,
            padding=padding,
        )

    def serialize(self) -> bytes:
        """The packet as it goes on the wire."""
        first = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        second = (0x80 if self.marker else 0) | self.payload_type
        parts = [
            _RTP_FIXED.pack(first, second, self.sequence_number, self.timestamp, self.ssrc),
            struct.pack(f"!{len(self.csrc)}I", *self.csrc),
        ]
        if self.extension is not None:
            ext = self.extension
            parts.append(struct.pack("!HH", ext.profile, len(ext.data) // 4))
            parts.append(ext.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes((self.padding,)))
        return b"".join(parts)


def serialize_rtp(payload_type: int, sequence_number: int, timestamp: int, ssrc: int,
                  payload: bytes, *, marker: bool = False) -> bytes:
    """``RtpPacket(...).serialize()`` for the common packet (no CSRC, extension or padding).

    A media engine sends 50 of these a second per stream; this skips building the object.
    """
    if not 0 <= payload_type <= 127:
        raise ValueError(f"payload type {payload_type} is outside 0-127")
    return _RTP_FIXED.pack(RTP_VERSION << 6, (0x80 if marker else 0) | payload_type,
                           sequence_number, timestamp, ssrc) + payload


# --------------------------------------------------------------------------------------------
# RTCP


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportBlock:
    """One reception report block of an SR or RR (RFC 3550 §6.4.1)."""

    #: The source this block reports on.
    ssrc: int
    #: Fraction of packets lost since the previous report, in 1/256 (8 bits).
    fraction_lost: int
    #: Cumulative number of packets lost, signed 24 bits (duplicates can make it negative).
    packets_lost: int
    #: Extended highest sequence number received (cycles << 16 | highest).
    highest_sequence: int
    #: Interarrival jitter in timestamp units (RFC 3550 §6.4.1, §A.8).
    jitter: int
    #: Middle 32 bits of the NTP timestamp of the last SR received from ``ssrc`` (0 if none).
    last_sr: int = 0
    #: Delay since that SR was received, in units of 1/65536 s (0 if none).
    delay_since_last_sr: int = 0

    def __post_init__(self) -> None:
        _check_uint("ssrc", self.ssrc, 32)
        _check_uint("fraction_lost", self.fraction_lost, 8)
        if not -(1 << 23) <= self.packets_lost < (1 << 23):
            raise ValueError(f"packets_lost must fit in 24 signed bits, got {self.packets_lost}")
        _check_uint("highest_sequence", self.highest_sequence, 32)
        _check_uint("jitter", self.jitter, 32)
        _check_uint("last_sr", self.last_sr, 32)
        _check_uint("delay_since_last_sr", self.delay_since_last_sr, 32)

    def _serialize(self) -> bytes:
        lost = (self.packets_lost & 0xFF_FFFF).to_bytes(3, "big")
        return _REPORT_BLOCK.pack(
            self.ssrc, self.fraction_lost, lost, self.highest_sequence, self.jitter,
            self.last_sr, self.delay_since_last_sr,
        )

    @classmethod
    def _parse(cls, data: bytes, offset: int) -> ReportBlock:
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _REPORT_BLOCK.unpack_from(data, offset)
        packets_lost = int.from_bytes(lost, "big", signed=True)
        return cls(
            ssrc=ssrc, fraction_lost=fraction, packets_lost=packets_lost,
            highest_sequence=highest, jitter=jitter, last_sr=lsr, delay_since_last_sr=dlsr,
        )


def _check_extension(extension: bytes) -> None:
    if len(extension) % 4:
        raise ValueError(
            f"profile-specific extension must be a multiple of 4 octets, got {len(extension)}"
        )


def _parse_blocks(kind: str, body: bytes, offset: int, count: int) -> tuple[ReportBlock, ...]:
    need = offset + 24 * count
    if need > len(body):
        raise ParseError(
            f"{kind} with {count} report blocks needs {need + 4} octets, packet has "
            f"{len(body) + 4}"
        )
    if (len(body) - need) % 4:
        raise ParseError(
            f"{kind} extension of {len(body) - need} octets is not a multiple of 4 "
            f"(padding count misaligned)"
        )
    return tuple(ReportBlock._parse(body, offset + 24 * i) for i in range(count))


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderReport:
    """RTCP SR, packet type 200 (RFC 3550 §6.4.1)."""

    #: SSRC of the sender of this report.
    ssrc: int
    #: 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32).
    ntp_timestamp: int
    #: The same instant in the RTP timestamp units of the sender's stream.
    rtp_timestamp: int
    #: Packets sent since the start of transmission (32 bits, wraps).
    packet_count: int
    #: Payload octets sent since the start of transmission (32 bits, wraps).
    octet_count: int
    #: Reception report blocks, at most 31.
    reports: tuple[ReportBlock, ...] = ()
    #: Profile-specific extension octets after the report blocks (multiple of 4).
    extension: bytes = b""

    packet_type = RTCP_SR

    def __post_init__(self) -> None:
        _check_uint("ssrc", self.ssrc, 32)
        _check_uint("ntp_timestamp", self.ntp_timestamp, 64)
        _check_uint("rtp_timestamp", self.rtp_timestamp, 32)
        _check_uint("packet_count", self.packet_count, 32)
        _check_uint("octet_count", self.octet_count, 32)
        _check_count("report blocks", self.reports)
        _check_extension(self.extension)

    def _count_and_body(self) -> tuple[int, bytes]:
        info = _SR_INFO.pack(
            self.ssrc, self.ntp_timestamp, self.rtp_timestamp, self.packet_count,
            self.octet_count,
        )
        blocks = b"".join(block._serialize() for block in self.reports)
        return len(self.reports), info + blocks + self.extension

    @classmethod
    def _parse(cls, count: int, body: bytes) -> SenderReport:
        if len(body) < _SR_INFO.size:
            raise ParseError(
                f"SR of {len(body) + 4} octets is shorter than the 28 octets of its sender info"
            )
        ssrc, ntp, rtp_ts, packets, octets = _SR_INFO.unpack_from(body)
        reports = _parse_blocks("SR", body, _SR_INFO.size, count)
        return cls(
            ssrc=ssrc, ntp_timestamp=ntp, rtp_timestamp=rtp_ts, packet_count=packets,
            octet_count=octets, reports=reports, extension=body[_SR_INFO.size + 24 * count :],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiverReport:
    """RTCP RR, packet type 201 (RFC 3550 §6.4.2)."""

    #: SSRC of the sender of this report.
    ssrc: int
    #: Reception report blocks, at most 31.
    reports: tuple[ReportBlock, ...] = ()
    #: Profile-specific extension octets after the report blocks (multiple of 4).
    extension: bytes = b""

    packet_type = RTCP_RR

    def __post_init__(self) -> None:
        _check_uint("ssrc", self.ssrc, 32)
        _check_count("report blocks", self.reports)
        _check_extension(self.extension)

    def _count_and_body(self) -> tuple[int, bytes]:
        blocks = b"".join(block._serialize() for block in self.reports)
        return len(self.reports), struct.pack("!I", self.ssrc) + blocks + self.extension

    @classmethod
    def _parse(cls, count: int, body: bytes) -> ReceiverReport:
        if len(body) < 4:
            raise ParseError(f"RR of {len(body) + 4} octets has no SSRC (needs 8)")
        (ssrc,) = struct.unpack_from("!I", body)
        reports = _parse_blocks("RR", body, 4, count)
        return cls(ssrc=ssrc, reports=reports, extension=body[4 + 24 * count :])


@dataclass(frozen=True, slots=True, kw_only=True)
class SdesItem:
    """One SDES item (RFC 3550 §6.5): CNAME is type 1."""

    #: Item type 1-255 (1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV).
    type: int
    #: The item text, UTF-8 by RFC 3550 but kept as octets; at most 255.
    value: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.type <= 255:
            raise ValueError(f"SDES item type must be 1-255, got {self.type}")
        if len(self.value) > 255:
            raise ValueError(f"SDES item value must be at most 255 octets, got {len(self.value)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SdesChunk:
    """The SDES items of one source."""

    #: The source (SSRC or CSRC) described.
    ssrc: int
    #: Its items, in order.
    items: tuple[SdesItem, ...] = ()

    def __post_init__(self) -> None:
        _check_uint("ssrc", self.ssrc, 32)

    def _serialize(self) -> bytes:
        out = bytearray(struct.pack("!I", self.ssrc))
        for item in self.items:
            out += bytes((item.type, len(item.value))) + item.value
        # One END octet at least, then zeros to the next 32-bit boundary.
        out += bytes(4 - len(out) % 4)
        return bytes(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDescription:
    """RTCP SDES, packet type 202 (RFC 3550 §6.5)."""

    #: The chunks, at most 31.
    chunks: tuple[SdesChunk, ...] = ()

    packet_type = RTCP_SDES

    def __post_init__(self) -> None:
        _check_count("SDES chunks", self.chunks)

    def _count_and_body(self) -> tuple[int, bytes]:
        return len(self.chunks), b"".join(chunk._serialize() for chunk in self.chunks)

    @classmethod
    def _parse(cls, count: int, body: bytes) -> SourceDescription:
        chunks: list[SdesChunk] = []
        offset = 0
        size = len(body)
        for index in range(count):
            if offset + 4 > size:
                raise ParseError(f"SDES chunk {index + 1} of {count} is missing its SSRC")
            (ssrc,) = struct.unpack_from("!I", body, offset)
            offset += 4
            items: list[SdesItem] = []
            while True:
                if offset >= size:
                    raise ParseError(
                        f"SDES chunk {index + 1} ends without an END item"
                    )
                item_type = body[offset]
                if item_type == 0:
                    offset += 1
                    break
                if offset + 2 > size:
                    raise ParseError(f"SDES item of type {item_type} has no length octet")
                length = body[offset + 1]
                end = offset + 2 + length
                if end > size:
                    raise ParseError(
                        f"SDES item of type {item_type} claims {length} octets, "
                        f"{size - offset - 2} remain"
                    )
                items.append(SdesItem(type=item_type, value=body[offset + 2 : end]))
                offset = end
            # Skip the rest of the null octets up to the 32-bit boundary.
            aligned = (offset + 3) & ~3
            if aligned > size or any(body[offset:aligned]):
                raise ParseError(
                    f"SDES chunk {index + 1} is not null-padded to a 32-bit boundary"
                )
            offset = aligned
            chunks.append(SdesChunk(ssrc=ssrc, items=tuple(items)))
        if offset != size:
            raise ParseError(f"SDES packet has {size - offset} octets after its {count} chunks")
        return cls(chunks=tuple(chunks))


@dataclass(frozen=True, slots=True, kw_only=True)
class Goodbye:
    """RTCP BYE, packet type 203 (RFC 3550 §6.6)."""

    #: The sources leaving, at most 31.
    sources: tuple[int, ...] = ()
    #: Optional reason for leaving (UTF-8 text by RFC 3550, kept as octets; at most 255).
    reason: bytes | None = None

    packet_type = RTCP_BYE

    def __post_init__(self) -> None:
        _check_count("BYE sources", self.sources)
        for ssrc in self.sources:
            _check_uint("ssrc", ssrc, 32)
        if self.reason is not None and len(self.reason) > 255:
            raise ValueError(f"BYE reason must be at most 255 octets, got {len(self.reason)}")

    def _count_and_body(self) -> tuple[int, bytes]:
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason is not None:
            reason = bytes((len(self.reason),)) + self.reason
            body += reason + bytes(-len(reason) % 4)
        return len(self.sources), body

    @classmethod
    def _parse(cls, count: int, body: bytes) -> Goodbye:
        size = len(body)
        if 4 * count > size:
            raise ParseError(
                f"BYE with {count} sources needs {4 * count + 4} octets, packet has {size + 4}"
            )
        sources = struct.unpack_from(f"!{count}I", body)
        offset = 4 * count
        reason = None
        if offset < size:
            length = body[offset]
            end = offset + 1 + length
            if end > size:
                raise ParseError(f"BYE reason claims {length} octets, {size - offset - 1} remain")
            reason = body[offset + 1 : end]
            if any(body[end:]):
                raise ParseError("BYE reason is not null-padded to a 32-bit boundary")
            if size - end >= 4:
                raise ParseError(f"BYE has {size - end} octets after its reason")
        return cls(sources=sources, reason=reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownRtcp:
    """An RTCP packet of a type this layer does not interpret (APP, RTPFB, PSFB, XR ...)."""

    #: The packet type, 0-255.
    packet_type: int
    #: The five-bit count / subtype field.
    count: int
    #: Everything after the 4-octet header, padding removed (multiple of 4 octets).
    body: bytes = b""

    def __post_init__(self) -> None:
        _check_uint("packet_type", self.packet_type, 8)
        if self.packet_type in _PARSERS:
            raise ValueError(f"packet type {self.packet_type} has its own class")
        _check_uint("count", self.count, 5)
        if len(self.body) % 4:
            raise ValueError(f"RTCP body must be a multiple of 4 octets, got {len(self.body)}")

    def _count_and_body(self) -> tuple[int, bytes]:
        return self.count, self.body


RtcpPacket: TypeAlias = SenderReport | ReceiverReport | SourceDescription | Goodbye | UnknownRtcp

_PARSERS: Final[dict[int, Callable[[int, bytes], RtcpPacket]]] = {
    RTCP_SR: SenderReport._parse,
    RTCP_RR: ReceiverReport._parse,
    RTCP_SDES: SourceDescription._parse,
    RTCP_BYE: Goodbye._parse,
}


def parse_rtcp(data: BytesLike) -> list[RtcpPacket]:
    """Parse a compound RTCP datagram into its packets, in order.

    Raise :class:`ParseError` if any packet is malformed; a compound packet is valid or dropped
    as a whole (RFC 3550 §A.2).
    """
    data = bytes(data)
    size = len(data)
    if size == 0:
        raise ParseError("RTCP datagram is empty")
    packets: list[RtcpPacket] = []
    offset = 0
    while offset < size:
        index = len(packets) + 1
        if offset + 4 > size:
            raise ParseError(
                f"RTCP packet {index} has {size - offset} octets, shorter than its 4-octet header"
            )
        first, packet_type, words = _RTCP_HEADER.unpack_from(data, offset)
        version = first >> 6
        if version != RTP_VERSION:
            raise ParseError(f"RTCP packet {index} has version {version} (expected 2)")
        end = offset + 4 * (words + 1)
        if end > size:
            raise ParseError(
                f"RTCP packet {index} claims {4 * (words + 1)} octets, {size - offset} remain"
            )
        body = data[offset + 4 : end]
        if first & 0x20:
            if end != size:
                raise ParseError(
                    f"RTCP packet {index} has the padding bit set but is not the last packet"
                )
            padding = data[end - 1]
            if padding == 0 or padding > len(body):
                raise ParseError(
                    f"RTCP packet {index} has padding count {padding}, body has {len(body)} octets"
                )
            body = body[:-padding]
        count = first & 0x1F
        parser = _PARSERS.get(packet_type)
        if parser is None:
            if len(body) % 4:
                raise ParseError(
                    f"RTCP packet {index} of type {packet_type} has padding that leaves "
                    f"{len(body)} octets, not a multiple of 4"
                )
            packets.append(UnknownRtcp(packet_type=packet_type, count=count, body=body))
        else:
            packets.append(parser(count, body))
        offset = end
    return packets


def serialize_rtcp(packets: Iterable[RtcpPacket]) -> bytes:
    """Serialize packets into one compound RTCP datagram (no padding)."""
    out = bytearray()
    for packet in packets:
        count, body = packet._count_and_body()
        if len(body) % 4:  # pragma: no cover - every class keeps its body aligned
            raise AssertionError("RTCP body not 32-bit aligned")
        words = len(body) // 4
        if words > _U16:
            raise ValueError(f"RTCP packet of {len(body) + 4} octets is too long")
        out += _RTCP_HEADER.pack((RTP_VERSION << 6) | count, packet.packet_type, words) + body
    return bytes(out)
