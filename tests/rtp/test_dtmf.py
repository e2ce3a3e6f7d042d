"""RFC 4733 telephone-events and in-band DTMF (Goertzel), on scripted streams."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.rtp.dtmf import (
    DetectorSettings,
    DtmfReceiver,
    InbandDtmfDetector,
    ReceiverState,
    TelephoneEvent,
    digit_event,
    dtmf_sequence,
    dtmf_tone,
    event_digit,
    event_packets,
    parse_events,
)
from switchboard.rtp.errors import ParseError
from switchboard.rtp.events import DIGITS, DtmfReceived

# ---------------------------------------------------------------------------- payload


def test_payload_fields_on_hand_built_octets() -> None:
    # Event 5, E=1, R=0, volume 10, duration 800.
    assert TelephoneEvent.parse(bytes.fromhex("058a0320")) == TelephoneEvent(
        event=5, end=True, volume=10, duration=800
    )
    assert TelephoneEvent(event=5, end=True, volume=10, duration=800).serialize() == (
        bytes.fromhex("058a0320")
    )


def test_reserved_bit_is_ignored() -> None:
    assert TelephoneEvent.parse(bytes.fromhex("0bca00a0")) == TelephoneEvent(
        event=11, end=True, volume=10, duration=160
    )
    assert TelephoneEvent.parse(bytes.fromhex("0b4a00a0")).end is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "telephone-event payload must be a non-empty multiple of 4 octets, got 0"),
        (b"\x05\x8a\x03",
         "telephone-event payload must be a non-empty multiple of 4 octets, got 3"),
        (b"\x05\x8a\x03\x20\x00",
         "telephone-event payload must be a non-empty multiple of 4 octets, got 5"),
    ],
)
def test_bad_payload_lengths(data: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_events(data)
    assert info.value.message == message


def test_single_block_parser_wants_exactly_four() -> None:
    with pytest.raises(ParseError, match="must be 4 octets, got 8"):
        TelephoneEvent.parse(bytes(8))


def test_several_blocks() -> None:
    assert parse_events(bytes.fromhex("018a0320" "020a00a0")) == [
        TelephoneEvent(event=1, end=True, volume=10, duration=800),
        TelephoneEvent(event=2, volume=10, duration=160),
    ]


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 65535))
def test_payload_round_trip(event: int, end: bool, volume: int, duration: int) -> None:
    block = TelephoneEvent(event=event, end=end, volume=volume, duration=duration)
    assert TelephoneEvent.parse(block.serialize()) == block


@given(st.binary(max_size=16))
def test_arbitrary_payload_raises_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_events(data)


def test_digit_codes() -> None:
    assert [digit_event(d) for d in "09*#AD"] == [0, 9, 10, 11, 12, 15]
    assert digit_event("a") == 12
    assert event_digit(16) is None and event_digit(11) == "#"
    with pytest.raises(ValueError, match="not a DTMF digit: 'E'"):
        digit_event("E")
    with pytest.raises(ValueError, match="not a DTMF digit: '12'"):
        digit_event("12")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": 256}, "event must be 0-255, got 256"),
        ({"event": 1, "volume": 64}, "volume must be 0-63, got 64"),
        ({"event": 1, "duration": 65536}, "duration must be 0-65535, got 65536"),
    ],
)
def test_block_validation(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TelephoneEvent(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- sender


def test_sender_sequence_for_100_ms() -> None:
    packets = event_packets("5", 800, interval=160)
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert [p.event.duration for p in packets] == [160, 320, 480, 640, 800, 800, 800]
    assert [p.event.end for p in packets] == [False] * 4 + [True] * 3
    assert [p.send_offset for p in packets] == [160, 320, 480, 640, 800, 960, 1120]
    assert {p.event.event for p in packets} == {5}
    assert {p.event.volume for p in packets} == {10}


def test_sender_press_shorter_than_one_interval() -> None:
    packets = event_packets("#", 100)
    assert [(p.marker, p.event.end, p.event.duration) for p in packets] == [
        (True, True, 100), (False, True, 100), (False, True, 100),
    ]


@pytest.mark.parametrize(
    ("digit", "duration", "interval", "message"),
    [
        ("E", 800, 160, "not a DTMF digit"),
        ("1", 0, 160, "duration must be 1-65535 timestamp units, got 0"),
        ("1", 65536, 160, "duration must be 1-65535 timestamp units, got 65536"),
        ("1", 800, 0, "interval must be positive, got 0"),
    ],
)
def test_sender_validation(digit: str, duration: int, interval: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_packets(digit, duration, interval=interval)


# ---------------------------------------------------------------------------- receiver


@dataclass(frozen=True)
class Arrival:
    time: float
    timestamp: int
    payload: bytes
    press: int
    end: bool


def script(presses: list[tuple[str, int, int]], interval: int = 160) -> list[Arrival]:
    """Packets of each (digit, start timestamp, duration) at their send times (8 kHz)."""
    out = []
    for index, (digit, start, duration) in enumerate(presses):
        for packet in event_packets(digit, duration, interval=interval):
            out.append(
                Arrival(
                    time=((start + packet.send_offset) % (1 << 32)) / 8000,
                    timestamp=start % (1 << 32),
                    payload=packet.event.serialize(),
                    press=index,
                    end=packet.event.end,
                )
            )
    return out


def run(receiver: DtmfReceiver, arrivals: list[Arrival]) -> list[DtmfReceived]:
    """Deliver in list order on a virtual clock, firing the receiver's timer when it is due."""
    got: list[DtmfReceived] = []
    now = 0.0
    for arrival in arrivals:
        now = max(now, arrival.time)
        timer = receiver.get_timer()
        if timer is not None and timer <= now:
            got += receiver.handle_timer(timer)
        got += receiver.receive(arrival.timestamp, arrival.payload, now)
    timer = receiver.get_timer()
    if timer is not None:
        got += receiver.handle_timer(timer)
    assert receiver.get_timer() is None and receiver.state is ReceiverState.IDLE
    return got


def test_clean_stream_gives_one_digit_at_the_first_end_packet() -> None:
    receiver = DtmfReceiver(ssrc=7)
    arrivals = script([("5", 1000, 800)])
    got = []
    for index, arrival in enumerate(arrivals):
        events = receiver.receive(arrival.timestamp, arrival.payload, arrival.time)
        got.append(events)
        if index == 4:
            assert events == [DtmfReceived(digit="5", duration=800, timestamp=1000, ssrc=7)]
        else:
            assert events == []
    assert receiver.get_timer() is None


def test_all_end_packets_lost_reported_on_timeout() -> None:
    receiver = DtmfReceiver(timeout=0.5)
    updates = [a for a in script([("7", 0, 1600)]) if not a.end]
    for arrival in updates:
        assert receiver.receive(arrival.timestamp, arrival.payload, arrival.time) == []
    last = updates[-1].time
    assert receiver.get_timer() == pytest.approx(last + 0.5)
    assert receiver.handle_timer(last + 0.49) == []
    assert receiver.handle_timer(last + 0.5) == [
        DtmfReceived(digit="7", duration=1440, timestamp=0)
    ]
    assert receiver.handle_timer(last + 9) == []


def test_all_end_packets_lost_reported_when_next_press_starts() -> None:
    arrivals = script([("1", 0, 800), ("2", 4000, 800)])
    arrivals = [a for a in arrivals if not (a.press == 0 and a.end)]
    got = run(DtmfReceiver(), arrivals)
    assert [(e.digit, e.duration) for e in got] == [("1", 640), ("2", 800)]


def test_same_digit_twice_is_two_presses() -> None:
    got = run(DtmfReceiver(), script([("9", 0, 800), ("9", 2400, 800)]))
    assert [(e.digit, e.timestamp) for e in got] == [("9", 0), ("9", 2400)]


def test_end_packets_reordered_and_duplicated() -> None:
    a = script([("3", 0, 800)])
    updates, ends = a[:4], a[4:]
    order = [*updates[:2], ends[2], updates[3], ends[0], updates[2], ends[1], ends[0], updates[1]]
    got = run(DtmfReceiver(), order)
    assert got == [DtmfReceived(digit="3", duration=800, timestamp=0)]


def test_later_press_ending_first_flushes_the_current_one() -> None:
    a = script([("1", 0, 800), ("2", 4000, 320)])
    first_updates = [x for x in a if x.press == 0 and not x.end]
    second_end = next(x for x in a if x.press == 1 and x.end)
    got = run(DtmfReceiver(), [*first_updates, second_end])
    assert [e.digit for e in got] == ["1", "2"]


def test_late_update_of_an_earlier_press_is_reported_once_in_order() -> None:
    a = script([("1", 0, 320), ("2", 4000, 800)])
    first_update = a[0]
    second = [x for x in a if x.press == 1]
    got = run(DtmfReceiver(), [second[0], first_update, *second[1:]])
    assert [(e.digit, e.duration) for e in got] == [("1", 160), ("2", 800)]


def test_flash_and_tone_events_are_counted_not_reported() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(0, TelephoneEvent(event=16, end=True).serialize(), 0.0) == []
    assert receiver.ignored_events == 1


def test_multi_block_payload_start_times() -> None:
    receiver = DtmfReceiver()
    payload = (
        TelephoneEvent(event=1, end=True, duration=800).serialize()
        + TelephoneEvent(event=2, end=True, duration=400).serialize()
    )
    got = receiver.receive(10_000, payload, 0.0)
    assert [(e.digit, e.timestamp) for e in got] == [("1", 10_000), ("2", 10_800)]


def test_timestamp_wrap_around() -> None:
    start = (1 << 32) - 400
    got = run(DtmfReceiver(), script([("4", start, 800), ("6", start + 4000, 800)]))
    assert [(e.digit, e.timestamp) for e in got] == [("4", start), ("6", 3600)]


def test_receiver_validation() -> None:
    with pytest.raises(ValueError, match="timeout must be positive, got 0"):
        DtmfReceiver(timeout=0)


presses_strategy = st.lists(
    st.tuples(st.sampled_from(DIGITS), st.integers(160, 4000), st.integers(800, 8000)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=300)
@given(
    presses_strategy,
    st.integers(0, (1 << 32) - 1),
    st.integers(0, 2**32 - 1),
    st.floats(0, 0.5),
    st.floats(0, 0.3),
    st.booleans(),
)
def test_exactly_one_digit_per_surviving_press(
    shape: list[tuple[str, int, int]],
    base: int,
    seed: int,
    loss: float,
    duplicate: float,
    reorder: bool,
) -> None:
    """Loss, duplicates and adjacent swaps on a virtual clock: each press with at least one
    surviving packet is reported exactly once, in press order."""
    rng = random.Random(seed)
    presses = []
    start = base
    for digit, gap, duration in shape:
        presses.append((digit, start, duration))
        start += duration + 3 * 160 + gap  # the end packets go out before the next press
    arrivals = script(presses)
    kept = [a for a in arrivals if rng.random() >= loss]
    with_duplicates = []
    for arrival in kept:
        with_duplicates.append(arrival)
        if rng.random() < duplicate:
            with_duplicates.append(arrival)
    if reorder:
        for i in range(len(with_duplicates) - 1):
            if rng.random() < 0.3:
                pair = with_duplicates[i + 1], with_duplicates[i]
                with_duplicates[i], with_duplicates[i + 1] = pair
    got = run(DtmfReceiver(), with_duplicates)
    surviving = sorted({a.press for a in with_duplicates})
    assert [(e.digit, e.timestamp) for e in got] == [
        (presses[i][0], presses[i][1] % (1 << 32)) for i in surviving
    ]
    for event, index in zip(got, surviving, strict=True):
        assert 0 < event.duration <= presses[index][2]
        ends_first = any(a.press == index and a.end for a in with_duplicates)
        if ends_first and not reorder:
            assert event.duration == presses[index][2]


# ---------------------------------------------------------------------------- in-band


def noisy(signal: npt.NDArray[np.int16], snr_db: float, seed: int) -> npt.NDArray[np.int16]:
    rng = np.random.default_rng(seed)
    power = np.mean(signal.astype(np.float64) ** 2)
    noise = rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), signal.size)
    return np.clip(np.round(signal + noise), -32768, 32767).astype(np.int16)


def detect(pcm: npt.NDArray[np.int16], chunk: int = 160) -> str:
    detector = InbandDtmfDetector()
    out = []
    for i in range(0, pcm.size, chunk):
        out += detector.feed(pcm[i : i + chunk])
    return "".join(e.digit for e in out)


@pytest.mark.parametrize("digit", list(DIGITS))
def test_every_digit_in_noise(digit: str) -> None:
    silence = np.zeros(400, np.int16)
    signal = np.concatenate([silence, dtmf_tone(digit, 640), silence])
    assert detect(noisy(signal, 15.0, seed=ord(digit))) == digit


def test_a_sequence_in_noise_fed_in_odd_chunks() -> None:
    digits = "159D*#0A"
    signal = noisy(dtmf_sequence(digits, tone_ms=70, gap_ms=60, amplitude=4000), 18.0, seed=3)
    assert detect(signal, chunk=97) == digits
    assert detect(signal, chunk=1) == digits
    assert detect(signal, chunk=signal.size) == digits


def test_quiet_tones_with_normal_twist() -> None:
    tone = dtmf_tone("8", 800, amplitude=400, twist_db=-6.0)
    signal = np.concatenate([tone, np.zeros(400, np.int16)])
    assert detect(noisy(signal, 20.0, seed=1)) == "8"


def test_held_key_is_one_digit_and_gap_makes_two() -> None:
    assert detect(dtmf_tone("2", 8000)) == "2"
    assert detect(dtmf_sequence("22", tone_ms=100, gap_ms=60)) == "22"


def test_tone_lengths_over_every_alignment() -> None:
    for offset in range(0, 205, 5):
        lead = np.zeros(offset, dtype=np.int16)
        tail = np.zeros(410, dtype=np.int16)
        assert detect(np.concatenate([lead, dtmf_tone("6", 464), tail])) == "6", offset
        assert detect(np.concatenate([lead, dtmf_tone("6", 240), tail])) == "", offset


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param(dtmf_tone("1", 1600, twist_db=6.0), id="reverse-twist-6dB"),
        pytest.param(dtmf_tone("1", 1600, twist_db=-10.0), id="normal-twist-10dB"),
        pytest.param(dtmf_tone("1", 1600, amplitude=50), id="too-quiet"),
        pytest.param(
            np.round(8000 * np.sin(2 * np.pi * 697 * np.arange(1600) / 8000)).astype(np.int16),
            id="single-tone",
        ),
        pytest.param(noisy(dtmf_tone("1", 1600), 0.0, seed=5), id="noise-as-loud-as-tone"),
        pytest.param(
            (dtmf_tone("1", 1600).astype(np.int32) + dtmf_tone("5", 1600)).clip(-32768, 32767)
            .astype(np.int16),
            id="two-digits-at-once",
        ),
        pytest.param(noisy(np.full(8000, 3000, np.int16), 0.0, seed=9), id="white-noise"),
    ],
)
def test_rejections(signal: npt.NDArray[np.int16]) -> None:
    assert detect(signal) == ""


def test_detector_reports_position_and_duration() -> None:
    detector = InbandDtmfDetector(DetectorSettings(min_blocks=3))
    pcm = np.concatenate([np.zeros(410, np.int16), dtmf_tone("0", 2000)])
    (event,) = detector.feed(pcm)
    assert event.digit == "0" and event.timestamp == 410 and event.duration == 615


def test_generator_validation() -> None:
    assert dtmf_tone("1", 0).size == 0
    assert dtmf_sequence("").size == 0
    with pytest.raises(ValueError, match="samples must be >= 0, got -1"):
        dtmf_tone("1", -1)
    with pytest.raises(ValueError, match="not a DTMF digit"):
        dtmf_tone("x", 10)
