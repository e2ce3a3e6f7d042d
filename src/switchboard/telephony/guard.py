"""Per-source protection: flood limits and authentication-failure throttling (sans I/O).

Theory of operation
-------------------
:class:`SourceGuard` keeps, per source IP, a token bucket for messages (a flood of garbage is
shed at the door, before parsing) and a count of recent authentication failures. After
``fail_limit`` failures within ``fail_window`` seconds a source is blocked for ``block_for``
seconds: its requests get no answer at all, and the block is logged with the source. Time is a
parameter; the transport passes the loop's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Source:
    tokens: float
    stamp: float
    failures: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class SourceGuard:
    """Rate limits and blocks by source address."""

    def __init__(self, *, rate: float = 500.0, burst: float = 1000.0, fail_limit: int = 5,
                 fail_window: float = 60.0, block_for: float = 600.0,
                 max_sources: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.fail_limit = fail_limit
        self.fail_window = fail_window
        self.block_for = block_for
        self.max_sources = max_sources
        self._sources: dict[str, _Source] = {}
        self.shed = 0
        """Messages dropped because their source exceeded its rate."""
        self.blocked_drops = 0
        """Messages dropped because their source is blocked."""

    def _source(self, host: str, now: float) -> _Source:
        source = self._sources.get(host)
        if source is None:
            if len(self._sources) >= self.max_sources:
                self._prune(now)
            source = self._sources[host] = _Source(self.burst, now)
        return source

    def _prune(self, now: float) -> None:
        for host in [h for h, s in self._sources.items()
                     if s.blocked_until <= now and not s.failures]:
            del self._sources[host]

    def admit(self, host: str, now: float) -> bool:
        """Whether a message from ``host`` may be processed now (spends one token)."""
        source = self._source(host, now)
        if source.blocked_until > now:
            self.blocked_drops += 1
            return False
        source.tokens = min(self.burst, source.tokens + (now - source.stamp) * self.rate)
        source.stamp = now
        if source.tokens < 1.0:
            self.shed += 1
            return False
        source.tokens -= 1.0
        return True

    def blocked(self, host: str, now: float) -> bool:
        """Whether ``host`` is blocked now."""
        source = self._sources.get(host)
        return source is not None and source.blocked_until > now

    def auth_failed(self, host: str, now: float) -> bool:
        """Record a failed authentication; True if the source is now blocked."""
        source = self._source(host, now)
        source.failures = [t for t in source.failures if t > now - self.fail_window]
        source.failures.append(now)
        if len(source.failures) >= self.fail_limit:
            source.blocked_until = now + self.block_for
            source.failures.clear()
            log.warning("blocking %s for %.0f s after %d failed authentications", host,
                        self.block_for, self.fail_limit)
            return True
        return False

    def auth_succeeded(self, host: str) -> None:
        """Forget a source's failures after a success."""
        source = self._sources.get(host)
        if source is not None:
            source.failures.clear()
