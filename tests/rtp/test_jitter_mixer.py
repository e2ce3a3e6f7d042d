"""Jitter buffer under scripted loss/reordering on a virtual clock; mixer saturation and modes."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.rtp.jitter import BufferState, FrameKind, JitterBuffer, PlayoutFrame
from switchboard.rtp.mixer import barge, conference, mix, mix_for_listeners, monitor, whisper

TICK = 0.02


def frame(value: int) -> npt.NDArray[np.int16]:
    return np.full(160, value, dtype=np.int16)


def run(
    buffer: JitterBuffer,
    arrivals: list[tuple[float, int]],
    ticks: int,
    start_seq: int = 0,
    timestamp_gap: tuple[int, int] = (1 << 30, 0),
) -> list[PlayoutFrame]:
    """Deliver packets (arrival time, index) and pop once per 20 ms tick on a virtual clock.

    Packet ``i`` has sequence ``start_seq + i`` (mod 65536), timestamp ``160 i`` (plus
    ``timestamp_gap[1]`` from index ``timestamp_gap[0]`` on, for a silence) and samples all
    equal to ``i + 1``, so each played frame says which packet it was.
    """
    pending = sorted(arrivals)
    out = []
    now = 0.0
    for _ in range(ticks):
        while pending and pending[0][0] <= now:
            arrived, i = pending.pop(0)
            timestamp = 160 * i + (timestamp_gap[1] if i >= timestamp_gap[0] else 0)
            buffer.put((start_seq + i) % 65536, timestamp, frame(i + 1), arrived)
        out.append(buffer.pop())
        now += TICK
    return out


def labels(frames: list[PlayoutFrame]) -> list[object]:
    return [
        int(f.pcm[0]) - 1 if f.kind is FrameKind.AUDIO else f.kind.value[0] for f in frames
    ]


def test_in_order_stream_plays_after_the_initial_depth() -> None:
    buffer = JitterBuffer(initial_depth=3)
    out = run(buffer, [(i * TICK, i) for i in range(20)], ticks=25)
    assert labels(out)[:6] == ["s", "s", 0, 1, 2, 3]
    assert buffer.stats.played == 20 and buffer.stats.late == 0


def test_reordering_within_the_depth_is_repaired() -> None:
    order = [0, 2, 1, 3, 5, 4, 6, 7, 9, 8, 10, 11]
    buffer = JitterBuffer(initial_depth=3, min_depth=3)
    out = run(buffer, [(k * TICK, i) for k, i in enumerate(order)], ticks=16)
    assert [x for x in labels(out) if isinstance(x, int)] == list(range(12))


def test_sequence_wrap_around() -> None:
    buffer = JitterBuffer(initial_depth=2)
    order = [0, 1, 3, 2, 4, 5, 6, 7]  # sequence numbers 65533 .. 4
    out = run(buffer, [(k * TICK, i) for k, i in enumerate(order)], ticks=12, start_seq=65533)
    played = [f for f in out if f.kind is FrameKind.AUDIO]
    assert [f.sequence_number for f in played] == [65533, 65534, 65535, 0, 1, 2, 3, 4]


def test_loss_is_concealed_by_fading_repetition_then_silence() -> None:
    buffer = JitterBuffer(initial_depth=1, max_concealed=2)
    arrivals = [(i * TICK, i) for i in [0, 1, 2, 7, 8]]
    out = run(buffer, arrivals, ticks=10)
    assert labels(out) == [0, 1, 2, "c", "c", "s", "s", 7, 8, "c"]
    assert out[3].pcm[0] == 3 >> 1 and out[4].pcm[0] == 3 >> 2


def test_late_and_duplicate_packets_are_dropped() -> None:
    buffer = JitterBuffer(initial_depth=1)
    assert buffer.put(10, 0, frame(1), 0.0)
    assert not buffer.put(10, 0, frame(1), 0.0)
    assert buffer.pop().kind is FrameKind.AUDIO
    assert not buffer.put(10, 0, frame(1), 0.02)
    assert not buffer.put(9, 0, frame(1), 0.02)
    assert (buffer.stats.duplicates, buffer.stats.late) == (1, 2)


def test_target_depth_grows_with_jitter_and_shrinks_back() -> None:
    buffer = JitterBuffer(initial_depth=1, min_depth=1, max_depth=12)
    rng = random.Random(1)
    arrivals = [(i * TICK + rng.uniform(0, 0.1), i) for i in range(300)]
    run(buffer, arrivals, ticks=320)
    assert buffer.target_depth >= 5
    grown = buffer.target_depth
    calm = JitterBuffer(initial_depth=1)
    run(calm, [(i * TICK, i) for i in range(300)], ticks=320)
    assert calm.target_depth == 1 < grown


def test_depth_is_trimmed_when_a_burst_arrives() -> None:
    buffer = JitterBuffer(initial_depth=2, max_depth=4)
    # 20 packets arrive at once after a network stall: latency must not stay at 400 ms.
    out = run(buffer, [(0.5, i) for i in range(20)], ticks=40)
    assert buffer.stats.discarded > 0
    audio = [x for x in labels(out) if isinstance(x, int)]
    assert audio == sorted(audio) and audio[-1] == 19


def test_talkspurt_gap_rebuffers() -> None:
    buffer = JitterBuffer(initial_depth=2, max_concealed=1)
    arrivals = [(i * TICK, i) for i in range(5)] + [(1.0 + k * TICK, 5 + k) for k in range(5)]
    # The sender's timestamps jump over the 0.9 s of silence, as RFC 3551 §4.1 has it.
    out = run(buffer, arrivals, ticks=70, timestamp_gap=(5, 7200))
    assert buffer.jitter < 0.001
    assert buffer.state is BufferState.BUFFERING
    assert [x for x in labels(out) if isinstance(x, int)] == list(range(10))


@settings(max_examples=100)
@given(st.integers(0, 2**32 - 1), st.floats(0, 0.3), st.integers(0, 65535))
def test_output_is_ordered_unique_and_paced(seed: int, loss: float, start_seq: int) -> None:
    """Whatever the loss and jitter: one frame per tick, audio in increasing order, no repeats,
    every frame the right length."""
    rng = random.Random(seed)
    arrivals = [
        (i * TICK + rng.expovariate(1 / 0.03), i) for i in range(200) if rng.random() >= loss
    ]
    buffer = JitterBuffer()
    out = run(buffer, arrivals, ticks=260, start_seq=start_seq)
    assert len(out) == 260 and all(f.pcm.size == 160 for f in out)
    audio = [x for x in labels(out) if isinstance(x, int)]
    assert audio == sorted(set(audio))
    s = buffer.stats
    assert s.received == s.played + s.discarded + buffer.depth
    assert s.played + s.concealed + s.silence == 260


def test_jitter_buffer_validation() -> None:
    with pytest.raises(ValueError, match="need 1 <= min_depth <= initial_depth <= max_depth"):
        JitterBuffer(min_depth=4, initial_depth=2)
    with pytest.raises(ValueError, match="frames must be 160 samples, got 80"):
        JitterBuffer().put(0, 0, np.zeros(80, np.int16), 0.0)


# ---------------------------------------------------------------------------- mixer


def test_mix_saturates_instead_of_wrapping() -> None:
    a = np.array([30000, -30000, 100, 32767], np.int16)
    b = np.array([10000, -10000, -50, 1], np.int16)
    assert mix([a, b]).tolist() == [32767, -32768, 50, 32767]
    assert mix([a, b], gains=[0.5, 0.5]).tolist() == [20000, -20000, 25, 16384]


def test_mix_errors() -> None:
    with pytest.raises(ValueError, match="nothing to mix"):
        mix([])
    with pytest.raises(ValueError, match=r"frames must have equal lengths, got \[2, 3\]"):
        mix([np.zeros(2, np.int16), np.zeros(3, np.int16)])
    with pytest.raises(ValueError, match="1 gains for 2 frames"):
        mix([np.zeros(2, np.int16)] * 2, gains=[1.0])


FRAMES = {"caller": frame(1000), "agent": frame(200), "supervisor": frame(30)}


def heard(matrix: dict[str, set[str]]) -> dict[str, int]:
    return {k: int(v[0]) for k, v in mix_for_listeners(FRAMES, matrix).items()}


def test_whisper_supervisor_heard_only_by_agent() -> None:
    assert heard(whisper("caller", "agent", "supervisor")) == {
        "caller": 200, "agent": 1030, "supervisor": 1200,
    }


def test_monitor_and_barge() -> None:
    assert heard(monitor("caller", "agent", "supervisor")) == {
        "caller": 200, "agent": 1000, "supervisor": 1200,
    }
    assert heard(barge("caller", "agent", "supervisor")) == {
        "caller": 230, "agent": 1030, "supervisor": 1200,
    }


def test_listener_never_hears_itself_and_missing_talker_is_silence() -> None:
    matrix = conference(["a", "b", "c"])
    matrix["a"].add("a")
    out = mix_for_listeners({"a": frame(32000), "b": frame(32000)}, matrix)
    assert {k: int(v[0]) for k, v in out.items()} == {"a": 32000, "b": 32000, "c": 32767}


def test_mix_for_listeners_checks_frame_length() -> None:
    with pytest.raises(ValueError, match="frame of 'a' has 80 samples, not 160"):
        mix_for_listeners({"a": np.zeros(80, np.int16)}, {"b": {"a"}})
