"""RtpSession and EchoSession: two peers wired in memory on a virtual clock (no sockets)."""

from __future__ import annotations

import numpy as np
import pytest

from switchboard.rtp.errors import ProtocolError
from switchboard.rtp.events import (
    AudioReceived,
    DtmfReceived,
    Event,
    PacketDropped,
    SsrcChanged,
    StreamEnded,
)
from switchboard.rtp.g711 import alaw_encode, ulaw_decode, ulaw_encode
from switchboard.rtp.packet import (
    Goodbye,
    ReceiverReport,
    RtpPacket,
    SdesItem,
    SenderReport,
    SourceDescription,
    parse_rtcp,
    serialize_rtcp,
)
from switchboard.rtp.session import EchoSession, RtpSession, SessionConfig
from switchboard.rtp.stats import ReceptionStats
from switchboard.rtp.tone import TEST_TONE, ToneSource, render

TICK = 0.02


def config(**overrides: object) -> SessionConfig:
    fields: dict[str, object] = {
        "ssrc": 0xA1A1A1A1, "initial_sequence": 65530, "initial_timestamp": 0xFFFFFF00,
    }
    fields.update(overrides)
    return SessionConfig(**fields)  # type: ignore[arg-type]


def parsed(datagrams: list[bytes]) -> list[RtpPacket]:
    return [RtpPacket.parse(d) for d in datagrams]


def audio(events: list[Event]) -> list[AudioReceived]:
    return [e for e in events if isinstance(e, AudioReceived)]


def digits(events: list[Event]) -> list[DtmfReceived]:
    return [e for e in events if isinstance(e, DtmfReceived)]


# ---------------------------------------------------------------------------- sending


def test_one_second_is_fifty_packets_with_wrapping_sequence_and_timestamp() -> None:
    session = RtpSession(config())
    pcm = render(TEST_TONE, 8000)
    packets = parsed(session.send_audio(pcm, now=0.0))
    assert len(packets) == 50
    assert [p.sequence_number for p in packets[:8]] == [*range(65530, 65536), 0, 1]
    assert [p.timestamp for p in packets[:3]] == [0xFFFFFF00, 0xFFFFFFA0, 0x00000040]
    assert [p.marker for p in packets] == [True] + [False] * 49
    assert {p.ssrc for p in packets} == {0xA1A1A1A1}
    assert {p.payload_type for p in packets} == {0}
    assert b"".join(p.payload for p in packets) == ulaw_encode(pcm)


def test_pcma_and_ptime_30() -> None:
    session = RtpSession(config(payload_type=8, ptime_ms=30))
    pcm = render(TEST_TONE, 2400)
    packets = parsed(session.send_audio(pcm, now=0.0))
    assert [len(p.payload) for p in packets] == [240] * 10
    assert [p.payload_type for p in packets] == [8] * 10
    assert b"".join(p.payload for p in packets) == alaw_encode(pcm)


def test_partial_packets_wait_for_more_samples() -> None:
    session = RtpSession(config())
    pcm = render(TEST_TONE, 320)
    assert session.send_audio(pcm[:100], now=0.0) == []
    packets = parsed(session.send_audio(pcm[100:], now=0.0))
    assert len(packets) == 2 and b"".join(p.payload for p in packets) == ulaw_encode(pcm)


def test_continuous_real_time_calls_never_set_the_marker_again() -> None:
    session = RtpSession(config())
    frames = render(TEST_TONE, 160 * 100).reshape(100, 160)
    packets = [p for i, f in enumerate(frames) for p in parsed(session.send_audio(f, i * TICK))]
    assert [p.marker for p in packets] == [True] + [False] * 99
    assert np.all(np.diff([p.timestamp for p in packets[10:]]) == 160)


def test_marker_and_timestamp_jump_after_silence() -> None:
    session = RtpSession(config(initial_timestamp=1000))
    first = parsed(session.send_audio(np.zeros(160, np.int16), now=5.0))
    later = parsed(session.send_audio(np.zeros(160, np.int16), now=6.0))
    assert first[0].marker and later[0].marker
    assert later[0].timestamp - first[0].timestamp == 8000  # one second of media clock
    assert later[0].sequence_number == first[0].sequence_number + 1


def test_leftover_is_padded_and_flushed_before_a_pause() -> None:
    session = RtpSession(config(initial_timestamp=0))
    assert session.send_audio(np.full(100, 1000, np.int16), now=0.0) == []
    packets = parsed(session.send_audio(np.full(160, 2000, np.int16), now=1.0))
    assert [(p.timestamp, p.marker) for p in packets] == [(0, True), (8000, True)]
    assert ulaw_decode(packets[0].payload).tolist()[98:102] == [
        ulaw_decode(ulaw_encode(np.array([1000], np.int16)))[0]
    ] * 2 + [0, 0]


# ---------------------------------------------------------------------------- prompts & timers


def drive(session: RtpSession, until: float) -> list[tuple[float, bytes]]:
    """Run the session's timer on a virtual clock, as the asyncio shell would."""
    sent = []
    while (timer := session.get_timer()) is not None and timer <= until:
        for datagram in session.handle_timer(timer).datagrams:
            sent.append((timer, datagram))
    return sent


def test_prompt_is_paced_one_packet_per_ptime() -> None:
    session = RtpSession(config())
    prompt = render(TEST_TONE, 8000)
    session.play(prompt, now=10.0)
    assert session.playing and session.get_timer() == 10.0
    sent = drive(session, until=100.0)
    assert len(sent) == 50
    assert [t for t, _ in sent] == pytest.approx([10.0 + i * TICK for i in range(50)])
    packets = parsed([d for _, d in sent])
    assert b"".join(p.payload for p in packets) == ulaw_encode(prompt)
    assert [p.marker for p in packets] == [True] + [False] * 49
    assert not session.playing and session.get_timer() is None


def test_late_timer_catches_up_without_a_timestamp_gap() -> None:
    session = RtpSession(config(initial_timestamp=0))
    session.play(ToneSource(TEST_TONE, samples=1600), now=0.0)
    first = session.handle_timer(0.0).datagrams
    late = session.handle_timer(0.105).datagrams  # 5 frames were due at 0.02 .. 0.10
    packets = parsed(first + late)
    assert [p.timestamp for p in packets] == [0, 160, 320, 480, 640, 800]
    assert [p.marker for p in packets] == [True] + [False] * 5
    assert session.get_timer() == pytest.approx(0.12)


def test_prompts_queue_back_to_back_and_the_last_is_padded() -> None:
    session = RtpSession(config())
    session.play(np.full(200, 100, np.int16), now=0.0)
    session.play(ToneSource(TEST_TONE, samples=200), now=0.0)
    packets = parsed([d for _, d in drive(session, until=1.0)])
    assert [len(p.payload) for p in packets] == [160, 160, 160]
    decoded = ulaw_decode(b"".join(p.payload for p in packets))
    assert decoded[:200].tolist() == [ulaw_decode(ulaw_encode([100]))[0]] * 200
    assert decoded[400:].tolist() == [0] * 80


def test_stop_playback() -> None:
    session = RtpSession(config())
    session.play(render(TEST_TONE, 8000), now=0.0)
    session.handle_timer(0.0)
    session.stop_playback()
    assert session.get_timer() is None and session.handle_timer(1.0).datagrams == []


# ---------------------------------------------------------------------------- DTMF sending


def test_send_dtmf_packet_sequence() -> None:
    session = RtpSession(config(initial_timestamp=5000, initial_sequence=10))
    first = parsed(session.send_dtmf("7", now=1.0))
    rest = parsed([d for _, d in drive(session, until=5.0)])
    packets = first + rest
    assert len(first) == 1 and len(packets) == 7
    assert {p.payload_type for p in packets} == {101}
    assert {p.timestamp for p in packets} == {5000}
    assert [p.sequence_number for p in packets] == list(range(10, 17))
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert [p.payload.hex() for p in packets] == [
        "070a00a0", "070a0140", "070a01e0", "070a0280", "078a0320", "078a0320", "078a0320",
    ]
    # Audio after the event resumes on the media clock, after the event's 800 samples.
    after = parsed(session.send_audio(np.zeros(160, np.int16), now=1.1))
    assert after[0].timestamp == 5800 and after[0].marker


def test_dtmf_errors() -> None:
    session = RtpSession(config())
    session.send_dtmf("1", now=0.0)
    with pytest.raises(ProtocolError, match="a DTMF event is being sent until"):
        session.send_dtmf("2", now=0.05)
    drive(session, until=1.0)
    session.send_dtmf("2", now=1.0)
    with pytest.raises(ProtocolError, match="telephone-event was not negotiated"):
        RtpSession(config(telephone_event_pt=None)).send_dtmf("1", now=0.0)


def test_dtmf_pauses_a_prompt() -> None:
    session = RtpSession(config(initial_timestamp=0))
    session.play(render(TEST_TONE, 8000), now=0.0)
    session.handle_timer(0.0)
    session.send_dtmf("5", now=0.01)
    sent = drive(session, until=0.3)
    audio_times = [t for t, d in sent if RtpPacket.parse(d).payload_type == 0]
    assert audio_times and min(audio_times) >= 0.01 + 0.1 - 1e-9


# ---------------------------------------------------------------------------- two peers


def wire(
    sender: RtpSession, receiver: RtpSession, datagrams: list[tuple[float, bytes]],
    drop: frozenset[int] | set[int] = frozenset(), delay: float = 0.05,
) -> list[Event]:
    events: list[Event] = []
    for index, (t, datagram) in enumerate(datagrams):
        if index in drop:
            continue
        now = t + delay
        while (timer := receiver.get_timer()) is not None and timer <= now:
            events += receiver.handle_timer(timer).events
        events += receiver.receive_datagram(datagram, now)
    if (timer := receiver.get_timer()) is not None:
        events += receiver.handle_timer(timer + 10).events
    return events


def test_prompt_and_digits_between_two_peers_with_loss() -> None:
    alice = RtpSession(config(ssrc=1))
    bob = RtpSession(config(ssrc=2))
    alice.play(render(TEST_TONE, 1600), now=0.0)
    sent = drive(alice, until=0.5)
    sent += [(1.0, d) for d in alice.send_dtmf("4", now=1.0)] + drive(alice, until=2.0)
    sent += [(3.0, d) for d in alice.send_dtmf("#", now=3.0)] + drive(alice, until=4.0)
    dtmf_indices = [i for i, (_, d) in enumerate(sent) if RtpPacket.parse(d).payload_type == 101]
    # Lose the 3rd audio packet, the first key press's three end packets, and the marker
    # packet of the second.
    drop = {2, *dtmf_indices[4:7], dtmf_indices[7]}
    events = wire(alice, bob, sent, drop=drop)
    assert isinstance(events[0], SsrcChanged) and events[0].new_ssrc == 1
    received = audio(events)
    assert len(received) == 9
    assert all(np.array_equal(e.pcm, ulaw_decode(e.payload)) for e in received)  # type: ignore[arg-type]
    assert [(d.digit, d.duration) for d in digits(events)] == [("4", 640), ("#", 800)]


def test_receiver_report_after_loss_and_jitter() -> None:
    alice = RtpSession(config(ssrc=1, initial_sequence=65500))
    bob = RtpSession(config(ssrc=2))
    frames = render(TEST_TONE, 160 * 100).reshape(100, 160)
    sent = [(i * TICK, d) for i, f in enumerate(frames) for d in alice.send_audio(f, i * TICK)]
    delays = [0.05 + 0.003 * ((i * 7) % 5) for i in range(100)]  # deterministic jitter
    drop = {10, 11, 50}
    for i, (t, datagram) in enumerate(sent):
        if i not in drop:
            bob.receive_datagram(datagram, t + delays[i])
    (rr, sdes) = parse_rtcp(bob.rtcp_report(now=3.0))
    assert isinstance(rr, ReceiverReport) and rr.ssrc == 2
    assert isinstance(sdes, SourceDescription)
    assert sdes.chunks[0].items == (SdesItem(type=1, value=b"switchboard"),)
    (block,) = rr.reports
    # Probation swallows the first packet: statistics start at the second (seq 65501).
    assert block.highest_sequence == 65536 + (65500 + 99 - 65536)
    assert block.packets_lost == 3
    assert block.fraction_lost == (3 << 8) // 99
    assert block.jitter == reference_jitter(
        [(i * 160 + 0xFFFFFF00, round((t + delays[i]) * 8000)) for i, (t, _) in enumerate(sent)
         if i not in drop][1:]
    )
    # A second report covers a fresh interval: nothing new, nothing lost.
    (rr2, _) = parse_rtcp(bob.rtcp_report(now=4.0))
    assert isinstance(rr2, ReceiverReport) and rr2.reports[0].fraction_lost == 0


def reference_jitter(packets: list[tuple[int, int]]) -> int:
    """RFC 3550 A.8 (integer form) transcribed independently: (timestamp, arrival) pairs.

    The C code's ``int`` arithmetic wraps at 32 bits; so does this.
    """
    jitter = 0
    previous = None
    for timestamp, arrival in packets:
        transit = arrival - (timestamp % (1 << 32))
        if previous is not None:
            diff = (transit - previous) & 0xFFFFFFFF
            if diff >= 1 << 31:
                diff -= 1 << 32
            d = abs(diff)
            jitter += d - ((jitter + 8) >> 4)
        previous = transit
    return jitter >> 4


def test_jitter_matches_the_floating_point_estimator() -> None:
    stats = ReceptionStats(9, 0)
    rng = np.random.default_rng(4)
    arrivals = np.cumsum(np.full(500, 0.02)) + rng.uniform(0, 0.01, 500)
    float_jitter = 0.0
    previous = None
    for i, arrival in enumerate(arrivals):
        stats.update_seq(i)
        stats.update_jitter(i * 160, float(arrival))
        transit = round(arrival * 8000) - i * 160
        if previous is not None:
            float_jitter += (abs(transit - previous) - float_jitter) / 16
        previous = transit
    assert abs(stats.jitter - float_jitter) <= 1.0
    assert stats.jitter > 5  # the estimator did measure something


def test_sender_report_and_lsr_dlsr() -> None:
    alice = RtpSession(config(ssrc=1, wallclock_offset=1_700_000_000.0))
    bob = RtpSession(config(ssrc=2))
    for i in range(10):
        for d in alice.send_audio(np.zeros(160, np.int16), i * TICK):
            bob.receive_datagram(d, i * TICK + 0.01)
    sr_wire = alice.rtcp_report(now=0.2)
    (sr, _) = parse_rtcp(sr_wire)
    assert isinstance(sr, SenderReport)
    assert sr.packet_count == 10 and sr.octet_count == 1600
    assert sr.ntp_timestamp >> 32 == 1_700_000_000 + 2_208_988_800
    bob.receive_datagram(sr_wire, now=0.25)
    (rr, _) = parse_rtcp(bob.rtcp_report(now=1.25))
    assert isinstance(rr, ReceiverReport)
    assert rr.reports[0].last_sr == (sr.ntp_timestamp >> 16) & 0xFFFFFFFF
    assert rr.reports[0].delay_since_last_sr == 65536
    # Alice has not sent since her report: her next one is an RR.
    assert isinstance(parse_rtcp(alice.rtcp_report(now=0.4))[0], ReceiverReport)


def test_ssrc_change_bye_and_garbage() -> None:
    bob = RtpSession(config(ssrc=2))
    first = RtpPacket(payload_type=0, sequence_number=1, timestamp=0, ssrc=5, payload=b"\xff")
    second = RtpPacket(payload_type=0, sequence_number=9, timestamp=0, ssrc=6, payload=b"\xff")
    assert bob.receive_datagram(first.serialize(), 0.0)[0] == SsrcChanged(old_ssrc=None, new_ssrc=5)
    assert bob.receive_datagram(first.serialize(), 0.0)[0].__class__ is AudioReceived
    assert bob.receive_datagram(second.serialize(), 0.1)[0] == SsrcChanged(old_ssrc=5, new_ssrc=6)
    assert bob.stats is not None and bob.stats.ssrc == 6
    assert bob.receive_datagram(b"\x80\x00", 0.2) == [
        PacketDropped(reason="RTP packet of 2 octets is shorter than the 12-octet fixed header")
    ]
    assert bob.dropped == 1
    bye = serialize_rtcp([Goodbye(sources=(6,), reason=b"bye")])
    assert bob.receive_datagram(bye, 0.3) == [StreamEnded(ssrc=6, reason=b"bye")]
    (_rr, _sdes, goodbye) = parse_rtcp(bob.bye(b"done"))
    assert goodbye == Goodbye(sources=(2,), reason=b"done")


def test_unknown_payload_type_is_delivered_undecoded() -> None:
    bob = RtpSession(config(ssrc=2))
    packet = RtpPacket(payload_type=18, sequence_number=1, timestamp=0, ssrc=5, payload=b"g729")
    (event,) = audio(bob.receive_datagram(packet.serialize(), 0.0))
    assert event.pcm is None and event.payload == b"g729"


# ---------------------------------------------------------------------------- echo


def test_echo_restamps_every_audio_packet() -> None:
    caller = RtpSession(config(ssrc=0xCA11, initial_sequence=100, initial_timestamp=1000))
    echo = EchoSession(config(ssrc=0xEC40, initial_sequence=7, initial_timestamp=50_000))
    pcm = render(TEST_TONE, 1600)
    sent = caller.send_audio(pcm[:800], now=0.0) + caller.send_audio(pcm[800:], now=2.0)
    sent += caller.send_dtmf("9", now=3.0)
    returned: list[bytes] = []
    events: list[Event] = []
    for i, datagram in enumerate(sent):
        if i == 3:  # lost on the way in
            continue
        got_events, datagrams = echo.receive_datagram(datagram, 0.05 + i * TICK)
        events += got_events
        returned += datagrams
    back = parsed(returned)
    original = [p for i, p in enumerate(parsed(sent)) if i != 3 and p.payload_type == 0]
    assert len(back) == len(original) == 9
    assert {p.ssrc for p in back} == {0xEC40}
    assert [p.sequence_number for p in back] == list(range(7, 16))
    assert [p.timestamp - 50_000 for p in back] == [p.timestamp - 1000 for p in original]
    assert [p.payload for p in back] == [p.payload for p in original]
    assert [p.marker for p in back] == [p.marker for p in original]
    assert digits(events) == []  # the key press is still in progress


def test_config_validation() -> None:
    with pytest.raises(ValueError, match=r"payload_type must be one of \[0, 8\], got 3"):
        config(payload_type=3)
    with pytest.raises(ValueError, match="ptime_ms must be a multiple of 5 in 5-120, got 22"):
        config(ptime_ms=22)
    with pytest.raises(ValueError, match="telephone_event_pt must be dynamic"):
        config(telephone_event_pt=50)
    with pytest.raises(ValueError, match="initial_sequence must fit in 16 unsigned bits"):
        config(initial_sequence=70000)
    with pytest.raises(ValueError, match="dtmf_duration_ms must be positive"):
        config(dtmf_duration_ms=0)


# ---------------------------------------------------------------------------- A.1 statistics


def feed(stats: ReceptionStats, sequence: list[int]) -> list[bool]:
    return [stats.update_seq(s) for s in sequence]


def test_probation_then_wrap() -> None:
    stats = ReceptionStats(1, 65534)
    assert feed(stats, [65534, 65535, 0, 1]) == [False, True, True, True]
    assert stats.extended_max == 65536 + 1 and stats.cycles == 65536
    assert stats.expected == 3 and stats.received == 3 and stats.lost == 0


def test_duplicates_make_loss_negative_and_reordering_is_counted() -> None:
    stats = ReceptionStats(1, 10)
    feed(stats, [10, 11, 12, 12, 12, 14, 13])
    assert stats.expected == 4 and stats.received == 6 and stats.lost == -2


def test_big_jump_is_believed_only_when_confirmed() -> None:
    stats = ReceptionStats(1, 10)
    assert feed(stats, [10, 11, 12, 20000]) == [False, True, True, False]
    assert stats.max_seq == 12
    assert feed(stats, [20001, 20002]) == [True, True]
    assert stats.base_seq == 20001 and stats.expected == 2


def test_probation_restarts_on_a_gap() -> None:
    stats = ReceptionStats(1, 10)
    assert feed(stats, [10, 12, 13, 14]) == [False, False, True, True]
    assert stats.base_seq == 13
