"""Clocks: where the core reads the time.

The core never asks the operating system for the time; it is handed a clock. The simulator uses a
:class:`VirtualClock` it moves forward itself; the server uses a :class:`RealClock`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time, in seconds since an epoch of its choosing."""

    def now(self) -> float:
        """Return the current time in seconds."""
        ...


class VirtualClock:
    """A clock that only moves when told to; used by the simulator and by tests."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        """Return the current virtual time."""
        return self._now

    def advance_to(self, when: float) -> None:
        """Move the clock to ``when``; time never runs backwards."""
        if when < self._now:
            raise ValueError(f"virtual clock cannot go back from {self._now} to {when}")
        self._now = when

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.advance_to(self._now + seconds)


class RealClock:
    """Wall-clock time (seconds since the Unix epoch); the only clock that reads the OS."""

    __slots__ = ("_source",)

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source

    def now(self) -> float:
        """Return the current wall-clock time."""
        return self._source()
