"""The timer wheel: deadlines rounded up to a tick, one bucket per tick, lazy moves."""

from __future__ import annotations

import pytest

from switchboard.sip.timers import TimerWheel


def fire_all(wheel: TimerWheel[str], slots: list[int]) -> list[tuple[int, str]]:
    fired = []
    for slot in sorted(slots):
        fired += [(slot, item) for item in wheel.due(slot)]
    return fired


def test_deadlines_round_up_to_the_next_tick_and_share_buckets() -> None:
    wheel: TimerWheel[str] = TimerWheel(0.5)
    slots = [s for s in (wheel.schedule("a", 1.2), wheel.schedule("b", 1.5),
                         wheel.schedule("c", 1.4), wheel.schedule("d", 0.1)) if s is not None]
    assert sorted(slots) == [1, 3]  # a new bucket reports its slot once: 1.2 and 1.4 share one
    assert len(wheel) == 4
    fired = fire_all(wheel, slots)
    assert fired == [(1, "d"), (3, "a"), (3, "b"), (3, "c")]
    assert all(slot * 0.5 >= deadline for (slot, _), deadline in
               zip(fired, (0.1, 1.2, 1.5, 1.4), strict=True))  # never early
    assert len(wheel) == 0


def test_rescheduling_moves_an_item_and_cancel_drops_it() -> None:
    wheel: TimerWheel[str] = TimerWheel(1.0)
    first = wheel.schedule("tx", 5.0)
    assert wheel.schedule("tx", 5.0) is None  # same slot: nothing to do
    second = wheel.schedule("tx", 9.5)
    assert (first, second) == (5, 10)
    assert wheel.due(5) == []  # it moved: the old bucket forgets it
    assert wheel.due(10) == ["tx"]
    assert wheel.schedule("tx", 3.0) == 3
    wheel.cancel("tx")
    wheel.cancel("never scheduled")
    assert "tx" not in wheel and wheel.due(3) == []


def test_an_item_moved_back_to_its_bucket_fires_once() -> None:
    wheel: TimerWheel[str] = TimerWheel(1.0)
    wheel.schedule("x", 2.0)
    wheel.schedule("x", 4.0)
    wheel.schedule("x", 2.0)
    assert wheel.due(2) == ["x"]
    assert wheel.due(4) == []


def test_clear_returns_the_slots_to_disarm() -> None:
    wheel: TimerWheel[int] = TimerWheel(0.02)
    for n in range(10):
        wheel.schedule(n, 0.05 * n)
    assert len(wheel.clear()) == 10
    assert len(wheel) == 0


def test_tick_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TimerWheel(0.0)
