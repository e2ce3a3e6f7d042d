"""Queues: configuration, the waiting line, position and expected wait.

Theory of operation
-------------------
A queue holds :class:`Entry` objects, one per waiting call, in a binary heap ordered by
``(-key, seq)``. The key is ``priority - ageing * enqueued_at``: a call's effective priority at
time ``t`` is ``priority + ageing * (t - enqueued_at)``, and since every call in one queue ages at
the same rate, the order between two calls never changes while they wait, so one static key
serves (ties go to the earlier ``seq``: first come, first served). An entry that leaves (answered,
abandoned, overflowed) is only marked inactive and dropped lazily when it reaches the top.

A call that comes back (ring-no-answer, a callback request) keeps its ``enqueued_at`` and ``seq``
and so its place. Available agents who serve the queue are kept in an insertion-ordered dict:
the first is the one idle longest.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from switchboard.core.agents import Agent
from switchboard.core.errors import ConfigError
from switchboard.core.events import AgentState

STRATEGIES = (
    "longest_idle",
    "least_occupied",
    "fewest_calls",
    "round_robin",
    "best_skill",
)
"""Names of the agent-selection strategies (see :mod:`switchboard.core.routing`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    """A queue's settings. Times are in seconds."""

    queue_id: str
    """Identifier."""
    name: str = ""
    """Display name."""
    tenant: str = ""
    """The client company the queue belongs to."""
    priority: int = 0
    """Queue priority: for an agent serving several queues, higher is served first."""
    skills: tuple[tuple[str, int], ...] = ()
    """Skills an agent needs, with minimum levels (1-10)."""
    strategy: str = "longest_idle"
    """Agent-selection strategy, one of :data:`STRATEGIES`."""
    ageing: float = 0.0
    """Priority points a waiting call gains per second (0: strict priority, then FIFO)."""
    sl_seconds: float = 20.0
    """Service-level threshold: answered within this many seconds counts as in service level."""
    sl_target: float = 0.8
    """Service-level goal, as a fraction (0.8 for 80/20)."""
    short_abandon: float = 5.0
    """Abandons within this many seconds are short abandons (misdials, not lost callers)."""
    max_wait: float = 0.0
    """After this long in the queue a call leaves it (0: no limit)."""
    max_wait_to: str = ""
    """Where a call goes at ``max_wait``: another queue, or empty to end the call."""
    overflow_after: float = 0.0
    """After this long the call overflows / escalates to ``overflow_to`` (0: never)."""
    overflow_to: str = ""
    """The overflow or escalation queue (a next tier)."""
    ring_timeout: float = 15.0
    """Ring-no-answer: an offer not answered in this many seconds goes back (0: no limit)."""
    rona_pause: str = "rona"
    """Pause reason given to an agent who let an offer ring out."""
    wrap_up: float = 0.0
    """Wrap-up time after each call, in seconds."""
    expected_aht: float = 180.0
    """Handle time assumed for expected-wait estimates until calls have been handled."""
    fcr_window: float = 7 * 86400.0
    """A repeat call from the same caller within this window means the first was not resolved."""

    def __post_init__(self) -> None:
        problems = []
        if self.strategy not in STRATEGIES:
            problems.append(f"strategy must be one of {', '.join(STRATEGIES)}")
        for name in ("sl_seconds", "short_abandon", "max_wait", "overflow_after", "ring_timeout",
                     "wrap_up", "ageing", "fcr_window"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if not 0.0 <= self.sl_target <= 1.0:
            problems.append("sl_target must be a fraction between 0 and 1")
        if self.expected_aht <= 0:
            problems.append("expected_aht must be positive")
        if self.overflow_after and not self.overflow_to:
            problems.append("overflow_after is set but overflow_to names no queue")
        for skill, level in self.skills:
            if not 1 <= level <= 10:
                problems.append(f"skill {skill!r} level must be 1-10")
        if problems:
            raise ConfigError(f"queue {self.queue_id!r}: " + "; ".join(problems))


class Entry:
    """A call waiting in (or ringing an agent from) a queue.

    A plain class rather than a dataclass: one is built per queued call, and under mypyc a
    hand-written ``__init__`` is native code where a dataclass's generated one is not.
    """

    __slots__ = ("active", "call_id", "callback", "enqueued_at", "first_queued_at", "in_heap",
                 "key", "priority", "queue_id", "seq", "skills")

    def __init__(self, call_id: str, queue_id: str, priority: int,
                 skills: tuple[tuple[str, int], ...], enqueued_at: float,
                 first_queued_at: float, seq: int, key: float, callback: str = "") -> None:
        self.call_id = call_id
        self.queue_id = queue_id
        self.priority = priority
        self.skills = skills
        self.enqueued_at = enqueued_at
        """When the call entered this queue (its place)."""
        self.first_queued_at = first_queued_at
        """When the call first entered any queue (the caller's whole wait)."""
        self.seq = seq
        self.key = key
        self.callback = callback
        """For a callback request: the number to call back."""
        self.active = True
        self.in_heap = False
        """Whether the heap still holds this entry (perhaps inactive, waiting to be dropped)."""

    def __repr__(self) -> str:
        return f"Entry({self.call_id!r}, {self.queue_id!r}, seq={self.seq})"


class Queue:
    """A queue's live state: the waiting calls and the available agents who serve it."""

    __slots__ = ("_heap", "aht_estimate", "available", "config", "members", "waiting")

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self._heap: list[tuple[float, int, Entry]] = []
        self.waiting = 0
        """Number of active entries."""
        self.available: dict[str, Agent] = {}
        """Available member agents, longest idle first."""
        self.members: dict[str, Agent] = {}
        """Every agent who serves the queue."""
        self.aht_estimate = config.expected_aht

    @property
    def queue_id(self) -> str:
        """The queue's identifier."""
        return self.config.queue_id

    def push(self, entry: Entry) -> None:
        """Add a waiting call (new, or back at its old place)."""
        if entry.active and entry.in_heap:
            return
        entry.active = True
        if not entry.in_heap:
            entry.in_heap = True
            heapq.heappush(self._heap, (-entry.key, entry.seq, entry))
        self.waiting += 1

    def remove(self, entry: Entry) -> None:
        """Take a call out of the line (answered elsewhere, abandoned, overflowed)."""
        if entry.active:
            entry.active = False
            self.waiting -= 1
            if self.waiting == 0:
                # Nothing waits: every entry left in the heap is a removed one. Drop them all
                # now, or calls answered at once (never at the head when an agent frees up)
                # would pile up in the heap for ever.
                for item in self._heap:
                    item[2].in_heap = False
                self._heap.clear()

    def head(self) -> Entry | None:
        """The call to serve next, or None."""
        heap = self._heap
        while heap and not heap[0][2].active:
            heapq.heappop(heap)[2].in_heap = False
        return heap[0][2] if heap else None

    def first_for(self, agent: Agent) -> Entry | None:
        """The best waiting call that ``agent`` has the skills for."""
        head = self.head()
        if head is None or agent.has_skills(head.skills):
            return head
        best: tuple[float, int, Entry] | None = None
        for item in self._heap:
            entry = item[2]
            if entry.active and agent.has_skills(entry.skills) and (best is None or item < best):
                best = item
        return best[2] if best else None

    def entries(self) -> Iterator[Entry]:
        """Active entries in service order."""
        return (item[2] for item in sorted(self._heap) if item[2].active)

    def position(self, entry: Entry) -> int:
        """1-based position of ``entry`` in the line (1: next to be served)."""
        mine = (-entry.key, entry.seq)
        return 1 + sum(
            1 for k, s, e in self._heap if e.active and e is not entry and (k, s) < mine
        )

    def expected_wait(self, position: int) -> float:
        """Expected wait for a caller at ``position``, for announcements.

        ``position * AHT / N`` with ``N`` the member agents logged in and not paused, and AHT the
        queue's moving average of handle time: the time for the agents to work through the
        calls ahead of the caller. Infinite when nobody serves the queue.
        """
        staffed = sum(
            1 for a in self.members.values()
            if a.state not in (AgentState.LOGGED_OUT, AgentState.PAUSED)
        )
        if staffed == 0:
            return float("inf")
        return position * self.aht_estimate / staffed

    def learn_handle_time(self, seconds: float, weight: float = 0.05) -> None:
        """Fold a finished call's handle time into the AHT estimate (exponential average)."""
        self.aht_estimate += weight * (seconds - self.aht_estimate)
