"""Transaction timer values (RFC 3261 §17, table 4) and a timer wheel for their adapter.

Nothing here reads the clock: deadlines are computed from the ``now`` the caller passes in.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_TIMERS", "TimerConfig", "TimerWheel"]

H = TypeVar("H", bound=Hashable)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerConfig:
    """T1, T2, T4 (seconds) and the durations derived from them (RFC 3261 table 4)."""

    #: RTT estimate, default 500 ms.
    t1: float = 0.5
    #: Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s.
    t2: float = 4.0
    #: Maximum duration a message remains in the network, default 5 s.
    t4: float = 5.0
    #: Delay before an INVITE server transaction sends 100 Trying itself (§17.2.1: 200 ms).
    trying_delay: float = 0.2

    @property
    def timeout(self) -> float:
        """64*T1: Timers B, F, H, J (unreliable) and RFC 6026's L and M."""
        return 64 * self.t1

    @property
    def timer_d(self) -> float:
        """Timer D for unreliable transports: at least 32 s (§17.1.1.2)."""
        return max(32.0, self.timeout)


DEFAULT_TIMERS = TimerConfig()


class TimerWheel(Generic[H]):
    """Deadlines of many items rounded up to a tick: one bucket, and one adapter timer, per tick.

    Every SIP call leaves transactions waiting tens of seconds (Timers J and L: 64*T1) for
    retransmissions that seldom come; giving each its own loop timer fills the loop's heap.
    Here an item (anything hashable: a transaction handle) is filed in the bucket of its
    deadline rounded *up* to a multiple of ``tick``, so a timer fires at most one tick late and
    never early (the RFC's timers are lower bounds).

    :meth:`schedule` returns the bucket's slot when the bucket is new: the adapter then arms
    one timer at ``slot * tick`` and calls :meth:`due` with the slot when it fires.
    Rescheduling an item moves it and :meth:`cancel` drops it, both at once: a bucket is an
    insertion-ordered dict, so that a cancelled item (a 2xx retransmission stopped by its ACK,
    holding the whole call's messages) is released now rather than when its bucket comes due;
    released at once, that state is freed by reference counting, and never reaches the garbage
    collector's older generations.
    """

    __slots__ = ("_buckets", "_slot", "tick")

    def __init__(self, tick: float = 0.02) -> None:
        if tick <= 0:
            raise ValueError(f"tick must be positive, got {tick}")
        #: The resolution, in seconds.
        self.tick = tick
        self._buckets: dict[int, dict[H, None]] = {}
        self._slot: dict[H, int] = {}

    def __len__(self) -> int:
        """How many items are scheduled."""
        return len(self._slot)

    def __contains__(self, item: object) -> bool:
        return item in self._slot

    def schedule(self, item: H, deadline: float) -> int | None:
        """File ``item`` to fire at ``deadline``; the slot to arm when its bucket is new."""
        slot = math.ceil(deadline / self.tick)
        old = self._slot.get(item)
        if old == slot:
            return None
        if old is not None:
            self._unfile(item, old)
        self._slot[item] = slot
        bucket = self._buckets.get(slot)
        if bucket is None:
            self._buckets[slot] = {item: None}
            return slot
        bucket[item] = None
        return None

    def _unfile(self, item: H, slot: int) -> None:
        bucket = self._buckets.get(slot)
        if bucket is not None:
            bucket.pop(item, None)  # an emptied bucket stays until its timer fires

    def cancel(self, item: H) -> None:
        """Forget ``item`` (absent items are ignored)."""
        slot = self._slot.pop(item, None)
        if slot is not None:
            self._unfile(item, slot)

    def due(self, slot: int) -> list[H]:
        """Empty bucket ``slot``: the items still filed there, in the order they were filed."""
        bucket = self._buckets.pop(slot, None)
        if not bucket:
            return []
        current = self._slot
        for item in bucket:
            del current[item]
        return list(bucket)

    def clear(self) -> list[int]:
        """Forget every item; returns the slots that had buckets (to disarm their timers)."""
        slots = list(self._buckets)
        self._buckets.clear()
        self._slot.clear()
        return slots
