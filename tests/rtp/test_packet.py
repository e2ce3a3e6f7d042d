"""RTP and RTCP parse / serialize (RFC 3550 §5.1, §6), on hand-built octets."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.rtp.errors import ParseError
from switchboard.rtp.packet import (
    Goodbye,
    HeaderExtension,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    RtpPacket,
    SdesChunk,
    SdesItem,
    SenderReport,
    SourceDescription,
    UnknownRtcp,
    is_rtcp,
    parse_rtcp,
    serialize_rtcp,
)

# A PCMU packet: V=2, no P/X/CC, M=0, PT=0, seq=1, ts=160, SSRC 0x12345678, 160 octets of 0xFF.
PCMU = bytes.fromhex("80000001000000a012345678") + b"\xff" * 160

# Every optional feature at once: V=2 P=1 X=1 CC=2 | M=1 PT=96 | seq 0xFFFF | ts 0xFFFFFFFF
# SSRC DEADBEEF, CSRCs 1 and 2, extension 0xBEDE of one word, payload 01 02 03, padding 3.
FULL = bytes.fromhex(
    "b2e0ffff" "ffffffff" "deadbeef"
    "00000001" "00000002"
    "bede0001" "10aa0000"
    "010203"
    "000003"
)

# Compound RTCP: SR with one report block, SDES with a CNAME, BYE with a reason.
SR = bytes.fromhex(
    "81c8000c" "11223344"
    "e123456789abcdef" "00001f40" "00000064" "00003e80"
    "55667788" "40ffffff" "00010005" "00000020" "456789ab" "00010000"
)
SDES = bytes.fromhex("81ca0006" "11223344" "010f") + b"alice@host.test" + bytes(3)
BYE = bytes.fromhex("81cb0003" "11223344" "04") + b"done" + bytes(3)
COMPOUND = SR + SDES + BYE


# ---------------------------------------------------------------------------- RTP


def test_plain_pcmu_packet_fields() -> None:
    packet = RtpPacket.parse(PCMU)
    assert packet == RtpPacket(
        payload_type=0, sequence_number=1, timestamp=160, ssrc=0x12345678, payload=b"\xff" * 160
    )
    assert packet.serialize() == PCMU


def test_every_optional_feature() -> None:
    packet = RtpPacket.parse(FULL)
    assert packet.marker is True
    assert packet.payload_type == 96
    assert packet.sequence_number == 0xFFFF
    assert packet.timestamp == 0xFFFFFFFF
    assert packet.ssrc == 0xDEADBEEF
    assert packet.csrc == (1, 2)
    assert packet.extension == HeaderExtension(profile=0xBEDE, data=bytes.fromhex("10aa0000"))
    assert packet.payload == b"\x01\x02\x03"
    assert packet.padding == 3
    assert packet.serialize() == FULL


def test_trailing_octets_are_payload() -> None:
    packet = RtpPacket.parse(PCMU + b"tail")
    assert packet.payload == b"\xff" * 160 + b"tail"


def test_accepts_bytearray_and_memoryview() -> None:
    assert RtpPacket.parse(bytearray(PCMU)) == RtpPacket.parse(memoryview(PCMU)) == (
        RtpPacket.parse(PCMU)
    )


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (0, "RTP packet of 0 octets is shorter than the 12-octet fixed header"),
        (11, "RTP packet of 11 octets is shorter than the 12-octet fixed header"),
        (12, "CSRC count 2 needs 20 header octets, packet has 12"),
        (19, "CSRC count 2 needs 20 header octets, packet has 19"),
        (20, "X bit set but only 0 octets follow the CSRC list (the extension header needs 4)"),
        (23, "X bit set but only 3 octets follow the CSRC list (the extension header needs 4)"),
        (24, "header extension of 1 words needs 28 octets, packet has 24"),
        (27, "header extension of 1 words needs 28 octets, packet has 27"),
        (28, "P bit set but the packet ends with the header"),
        (32, "P bit set but the padding count is 0"),
        (33, "P bit set but the padding count is 0"),
    ],
)
def test_truncated_full_packet(cut: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        RtpPacket.parse(FULL[:cut])
    assert info.value.message == message


def test_prefixes_ending_in_a_plausible_padding_count_parse() -> None:
    # Octets 29-31 of FULL are 01 02 03: cut there, the last octet reads as a padding count that
    # fits after the header, so RFC 3550 §A.1 cannot tell the prefix from a valid packet.
    for cut in (29, 30, 31):
        packet = RtpPacket.parse(FULL[:cut])
        assert packet.payload == b""
        assert packet.padding == FULL[cut - 1] == cut - 28
    errors = 0
    for cut in range(len(FULL)):
        try:
            RtpPacket.parse(FULL[:cut])
        except ParseError:
            errors += 1
    assert errors == len(FULL) - 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x40" + PCMU[1:], "RTP version 1 is not supported (expected 2)"),
        (b"\x00" + PCMU[1:], "RTP version 0 is not supported (expected 2)"),
        (b"\xa0" + PCMU[1:-1] + b"\x00", "P bit set but the padding count is 0"),
        (
            b"\xa0" + PCMU[1:-1] + b"\xf0",
            "padding count 240 exceeds the 160 octets after the header",
        ),
        (b"\xa0" + PCMU[1:12], "P bit set but the packet ends with the header"),
    ],
)
def test_invalid_headers(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        RtpPacket.parse(data)
    assert info.value.message == message
    assert repr(info.value) == f"ParseError({message!r})"


def test_padding_may_consume_whole_payload() -> None:
    data = b"\xa0" + PCMU[1:-1] + b"\xa0"  # padding count 160 = everything after the header
    packet = RtpPacket.parse(data)
    assert packet.payload == b"" and packet.padding == 160


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payload_type": 128}, "payload_type must fit in 7 unsigned bits, got 128"),
        ({"sequence_number": 65536}, "sequence_number must fit in 16 unsigned bits, got 65536"),
        ({"timestamp": -1}, "timestamp must fit in 32 unsigned bits, got -1"),
        ({"ssrc": 1 << 32}, "ssrc must fit in 32 unsigned bits, got 4294967296"),
        ({"csrc": tuple(range(16))}, "at most 15 CSRCs fit in one packet, got 16"),
        ({"padding": 256}, "padding must fit in 8 unsigned bits, got 256"),
    ],
)
def test_constructor_validates(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "payload_type": 0, "sequence_number": 0, "timestamp": 0, "ssrc": 0,
    }
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        RtpPacket(**fields)  # type: ignore[arg-type]


def test_extension_must_be_word_aligned() -> None:
    with pytest.raises(ValueError, match="multiple of 4 octets, got 3"):
        HeaderExtension(profile=1, data=b"abc")


def test_is_rtcp_demultiplexes() -> None:
    assert is_rtcp(SR) and is_rtcp(BYE)
    assert not is_rtcp(PCMU) and not is_rtcp(FULL)
    assert not is_rtcp(b"\x80")


u32 = st.integers(0, 0xFFFF_FFFF)

rtp_packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=u32,
    ssrc=u32,
    payload=st.binary(max_size=64),
    marker=st.booleans(),
    csrc=st.lists(u32, max_size=15).map(tuple),
    extension=st.none() | st.builds(
        HeaderExtension,
        profile=st.integers(0, 0xFFFF),
        data=st.integers(0, 8).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n)),
    ),
    padding=st.integers(0, 255),
)


@given(rtp_packets)
def test_rtp_round_trip(packet: RtpPacket) -> None:
    assert RtpPacket.parse(packet.serialize()) == packet


@given(st.binary(max_size=80))
def test_arbitrary_octets_raise_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        RtpPacket.parse(data)


@given(st.binary(min_size=1, max_size=80))
def test_arbitrary_octets_after_a_version_2_octet(data: bytes) -> None:
    # Force version 2 so that the fuzzer reaches the CSRC / extension / padding checks.
    try:
        packet = RtpPacket.parse(bytes((0x80 | (data[0] & 0x3F),)) + data[1:])
    except ParseError:
        pass
    else:
        assert RtpPacket.parse(packet.serialize()) == packet


# ---------------------------------------------------------------------------- RTCP


def test_compound_sr_sdes_bye() -> None:
    packets = parse_rtcp(COMPOUND)
    assert packets == [
        SenderReport(
            ssrc=0x11223344,
            ntp_timestamp=0xE123456789ABCDEF,
            rtp_timestamp=8000,
            packet_count=100,
            octet_count=16000,
            reports=(
                ReportBlock(
                    ssrc=0x55667788, fraction_lost=64, packets_lost=-1,
                    highest_sequence=0x10005, jitter=32, last_sr=0x456789AB,
                    delay_since_last_sr=65536,
                ),
            ),
        ),
        SourceDescription(
            chunks=(
                SdesChunk(ssrc=0x11223344, items=(SdesItem(type=1, value=b"alice@host.test"),)),
            )
        ),
        Goodbye(sources=(0x11223344,), reason=b"done"),
    ]
    assert serialize_rtcp(packets) == COMPOUND


def test_receiver_report_and_unknown_type() -> None:
    rr = bytes.fromhex("80c90001" "0badcafe")
    app = bytes.fromhex("81cc0002" "0badcafe") + b"NAME"
    packets = parse_rtcp(rr + app)
    assert packets == [
        ReceiverReport(ssrc=0x0BADCAFE),
        UnknownRtcp(packet_type=204, count=1, body=bytes.fromhex("0badcafe") + b"NAME"),
    ]
    assert serialize_rtcp(packets) == rr + app


def test_padding_on_the_last_packet() -> None:
    padded = bytes.fromhex("a0c90002" "0badcafe" "00000004")
    assert parse_rtcp(padded) == [ReceiverReport(ssrc=0x0BADCAFE)]


def test_sdes_chunk_without_items_and_bye_without_reason() -> None:
    data = bytes.fromhex("81ca0002" "00000007" "00000000" "82cb0002" "00000001" "00000002")
    packets = parse_rtcp(data)
    assert packets == [
        SourceDescription(chunks=(SdesChunk(ssrc=7),)),
        Goodbye(sources=(1, 2)),
    ]
    assert serialize_rtcp(packets) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "RTCP datagram is empty"),
        (SR[:3], "RTCP packet 1 has 3 octets, shorter than its 4-octet header"),
        (SR + b"\x81", "RTCP packet 2 has 1 octets, shorter than its 4-octet header"),
        (b"\x41" + SR[1:], "RTCP packet 1 has version 1 (expected 2)"),
        (SR[:-4], "RTCP packet 1 claims 52 octets, 48 remain"),
        (SR + SDES[:10], "RTCP packet 2 claims 28 octets, 10 remain"),
        (b"\x81\xc8\x00\x05" + SR[4:24],
         "SR of 24 octets is shorter than the 28 octets of its sender info"),
        (b"\x81\xc8\x00\x06" + SR[4:28], "SR with 1 report blocks needs 52 octets, packet has 28"),
        (b"\x82\xc9\x00\x07" + SR[24:52], "RR with 2 report blocks needs 56 octets, packet has 32"),
        (b"\x80\xc9\x00\x00", "RR of 4 octets has no SSRC (needs 8)"),
        (b"\xa0\xc9\x00\x01\x00\x00\x00\x00" + BYE,
         "RTCP packet 1 has the padding bit set but is not the last packet"),
        (b"\xa0\xc9\x00\x01\x00\x00\x00\x00",
         "RTCP packet 1 has padding count 0, body has 4 octets"),
        (b"\xa0\xc9\x00\x01\x00\x00\x00\x09",
         "RTCP packet 1 has padding count 9, body has 4 octets"),
        (b"\xa0\xc9\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02",
         "RR extension of 2 octets is not a multiple of 4 (padding count misaligned)"),
        (b"\x82\xca\x00\x01\x00\x00\x00\x01", "SDES chunk 1 ends without an END item"),
        (b"\x81\xca\x00\x02\x00\x00\x00\x01\x01\x09\x41\x41",
         "SDES item of type 1 claims 9 octets, 2 remain"),
        (b"\x82\xca\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00",
         "SDES chunk 2 of 2 is missing its SSRC"),
        (b"\x81\xca\x00\x02\x00\x00\x00\x01\x00\x01\x00\x00",
         "SDES chunk 1 is not null-padded to a 32-bit boundary"),
        (b"\x81\xca\x00\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00",
         "SDES packet has 4 octets after its 1 chunks"),
        (b"\x82\xcb\x00\x01\x00\x00\x00\x01", "BYE with 2 sources needs 12 octets, packet has 8"),
        (b"\x81\xcb\x00\x02\x00\x00\x00\x01\x09abc", "BYE reason claims 9 octets, 3 remain"),
        (b"\x81\xcb\x00\x02\x00\x00\x00\x01\x01ab\x00",
         "BYE reason is not null-padded to a 32-bit boundary"),
        (b"\x81\xcb\x00\x03\x00\x00\x00\x01\x01a\x00\x00\x00\x00\x00\x00",
         "BYE has 6 octets after its reason"),
        (b"\xa1\xcc\x00\x02\x00\x00\x00\x01\x00\x00\x00\x03",
         "RTCP packet 1 of type 204 has padding that leaves 5 octets, not a multiple of 4"),
    ],
)
def test_invalid_rtcp(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_rtcp(data)
    assert info.value.message == message


def test_every_truncation_of_the_compound_raises() -> None:
    # Packet boundaries (52, 80) are valid shorter compounds; every other cut is an error.
    for cut in range(len(COMPOUND)):
        if cut in (len(SR), len(SR) + len(SDES)):
            assert len(parse_rtcp(COMPOUND[:cut])) == (1 if cut == len(SR) else 2)
            continue
        with pytest.raises(ParseError):
            parse_rtcp(COMPOUND[:cut])


def test_trailing_garbage_after_a_compound_raises() -> None:
    with pytest.raises(ParseError, match="RTCP packet 4 has 3 octets"):
        parse_rtcp(COMPOUND + b"xyz")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: ReportBlock(ssrc=0, fraction_lost=0, packets_lost=1 << 23, highest_sequence=0,
                             jitter=0), "packets_lost must fit in 24 signed bits, got 8388608"),
        (lambda: ReceiverReport(ssrc=0, extension=b"ab"),
         "profile-specific extension must be a multiple of 4 octets, got 2"),
        (lambda: SdesItem(type=0, value=b""), "SDES item type must be 1-255, got 0"),
        (lambda: SdesItem(type=1, value=bytes(256)),
         "SDES item value must be at most 255 octets, got 256"),
        (lambda: Goodbye(sources=tuple(range(32))), "at most 31 BYE sources fit in one packet"),
        (lambda: Goodbye(reason=bytes(256)), "BYE reason must be at most 255 octets, got 256"),
        (lambda: UnknownRtcp(packet_type=200, count=0), "packet type 200 has its own class"),
        (lambda: UnknownRtcp(packet_type=204, count=0, body=b"x"),
         "RTCP body must be a multiple of 4 octets, got 1"),
    ],
)
def test_rtcp_constructors_validate(factory: object, message: str) -> None:
    assert callable(factory)
    with pytest.raises(ValueError, match=message):
        factory()


blocks = st.builds(
    ReportBlock,
    ssrc=u32,
    fraction_lost=st.integers(0, 255),
    packets_lost=st.integers(-(1 << 23), (1 << 23) - 1),
    highest_sequence=u32,
    jitter=u32,
    last_sr=u32,
    delay_since_last_sr=u32,
)
words = st.integers(0, 3).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n))
rtcp_packets: st.SearchStrategy[RtcpPacket] = st.one_of(
    st.builds(
        SenderReport,
        ssrc=u32,
        ntp_timestamp=st.integers(0, (1 << 64) - 1),
        rtp_timestamp=u32,
        packet_count=u32,
        octet_count=u32,
        reports=st.lists(blocks, max_size=3).map(tuple),
        extension=words,
    ),
    st.builds(ReceiverReport, ssrc=u32, reports=st.lists(blocks, max_size=3).map(tuple),
              extension=words),
    st.builds(
        SourceDescription,
        chunks=st.lists(
            st.builds(
                SdesChunk,
                ssrc=u32,
                items=st.lists(
                    st.builds(SdesItem, type=st.integers(1, 255), value=st.binary(max_size=20)),
                    max_size=4,
                ).map(tuple),
            ),
            max_size=4,
        ).map(tuple),
    ),
    st.builds(Goodbye, sources=st.lists(u32, max_size=4).map(tuple),
              reason=st.none() | st.binary(max_size=20)),
    st.builds(UnknownRtcp, packet_type=st.integers(204, 255), count=st.integers(0, 31),
              body=words),
)


@given(st.lists(rtcp_packets, min_size=1, max_size=4))
def test_rtcp_round_trip(packets: list[RtcpPacket]) -> None:
    assert parse_rtcp(serialize_rtcp(packets)) == packets


@given(st.lists(rtcp_packets, min_size=1, max_size=3), st.data())
def test_mutated_rtcp_raises_only_parse_error(
    packets: list[RtcpPacket], data: st.DataObject
) -> None:
    wire = bytearray(serialize_rtcp(packets))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(wire) - 1))
        wire[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(wire)))
    with contextlib.suppress(ParseError):
        parse_rtcp(bytes(wire[:cut]))


@given(st.binary(max_size=80))
def test_arbitrary_rtcp_octets_raise_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_rtcp(data)


def test_serialize_rtp_is_the_plain_packet_serialized() -> None:
    from switchboard.rtp.packet import serialize_rtp

    for marker in (False, True):
        packet = RtpPacket(payload_type=8, sequence_number=65535, timestamp=2**32 - 1,
                           ssrc=0xDEADBEEF, payload=b"\xd5" * 160, marker=marker)
        assert serialize_rtp(8, 65535, 2**32 - 1, 0xDEADBEEF, b"\xd5" * 160,
                             marker=marker) == packet.serialize()
    with pytest.raises(ValueError):
        serialize_rtp(128, 0, 0, 0, b"")
