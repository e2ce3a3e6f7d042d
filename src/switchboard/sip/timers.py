"""Transaction timer values (RFC 3261 §17, table 4) and a small deadline set.

Nothing here reads the clock: deadlines are computed from the ``now`` the caller passes in.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_TIMERS", "TimerConfig", "TimerSet"]


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


class TimerSet:
    """Named deadlines; at most one per name."""

    __slots__ = ("_deadlines",)

    def __init__(self) -> None:
        self._deadlines: dict[str, float] = {}

    def arm(self, name: str, deadline: float) -> None:
        """Set (or reset) timer ``name`` to fire at ``deadline``."""
        self._deadlines[name] = deadline

    def cancel(self, *names: str) -> None:
        """Stop the named timers (absent ones are ignored)."""
        for name in names:
            self._deadlines.pop(name, None)

    def clear(self) -> None:
        """Stop every timer."""
        self._deadlines.clear()

    def is_armed(self, name: str) -> bool:
        """True when timer ``name`` is pending."""
        return name in self._deadlines

    def next_deadline(self) -> float | None:
        """The earliest deadline, or None when no timer is armed."""
        return min(self._deadlines.values(), default=None)

    def pop_due(self, now: float) -> str | None:
        """Remove and return the earliest timer due at ``now`` (ties by name), if any."""
        due = [(when, name) for name, when in self._deadlines.items() if when <= now]
        if not due:
            return None
        _, name = min(due)
        del self._deadlines[name]
        return name
