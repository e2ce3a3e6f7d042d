"""Agents: the agent state machine, skills with levels, queue membership.

Theory of operation
-------------------
An agent is in exactly one :class:`~switchboard.core.events.AgentState`. The table
``TRANSITIONS`` lists every legal move; :meth:`Agent.move` checks it, and anything else raises
:class:`~switchboard.core.errors.IllegalTransition`. The center calls ``move`` and records an
``AgentStateChanged`` event for each transition (the center owns the log; the agent only knows its
own state).

::

    LOGGED_OUT --login--> AVAILABLE --offer--> RESERVED --answer--> TALKING <--> ON_HOLD
        ^                  ^  |  ^                |  (RONA)           |           |
        |                  |  v  |                v                   v           v
        +----logout----- PAUSED <--------------- PAUSED            WRAP_UP <------+
                            ^                                         |
                            +------------- pause (pending) -----------+--timer/ready--> AVAILABLE

A pause asked for while the agent is busy is remembered (``pending_pause``) and taken when the
wrap-up ends. Time spent in each state is kept for occupancy and utilisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from switchboard.core.errors import ConfigError, IllegalTransition
from switchboard.core.events import AgentState

S = AgentState

TRANSITIONS: Final[Mapping[AgentState, frozenset[AgentState]]] = {
    S.LOGGED_OUT: frozenset({S.AVAILABLE, S.PAUSED}),
    S.AVAILABLE: frozenset({S.RESERVED, S.PAUSED, S.LOGGED_OUT}),
    S.RESERVED: frozenset({S.TALKING, S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.TALKING: frozenset({S.ON_HOLD, S.WRAP_UP}),
    S.ON_HOLD: frozenset({S.TALKING, S.WRAP_UP}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.PAUSED: frozenset({S.AVAILABLE, S.LOGGED_OUT}),
}
"""Legal moves of the agent state machine: ``TRANSITIONS[old]`` holds every allowed ``new``."""

BUSY_STATES: Final = frozenset({S.RESERVED, S.TALKING, S.ON_HOLD, S.WRAP_UP})
"""States in which the agent is working on a call (handle time, for occupancy)."""


def check_level(skill: str, level: int) -> int:
    """Return ``level`` if it is a valid skill level (1-10), else raise ConfigError."""
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 10:
        raise ConfigError(f"skill {skill!r}: level must be an integer from 1 to 10, got {level!r}")
    return level


class Agent:
    """One agent: identity, skills, queues, and where the state machine stands."""

    __slots__ = (
        "_order",
        "agent_id",
        "busy_time",
        "call_id",
        "calls_today",
        "capacity",
        "last_offer",
        "logged_time",
        "name",
        "pause_reason",
        "pending_pause",
        "queues",
        "since",
        "skills",
        "state",
    )

    def __init__(
        self,
        agent_id: str,
        *,
        name: str = "",
        skills: Mapping[str, int] | None = None,
        queues: Iterable[str] = (),
        capacity: int = 1,
    ) -> None:
        if capacity < 1:
            raise ConfigError(f"agent {agent_id!r}: capacity must be at least 1, got {capacity}")
        self.agent_id = agent_id
        self.name = name or agent_id
        self.skills: dict[str, int] = {
            skill: check_level(skill, level) for skill, level in (skills or {}).items()
        }
        self.queues: tuple[str, ...] = tuple(queues)
        self.capacity = capacity
        """How many voice interactions the agent takes at once (1 for voice)."""
        self.state = AgentState.LOGGED_OUT
        self.since = 0.0
        """When the agent entered the current state (also: idle since, when AVAILABLE)."""
        self.call_id = ""
        """The call the agent is reserved for, talking on or wrapping up."""
        self.pause_reason = ""
        self.pending_pause = ""
        """A pause reason asked for while busy; taken when the wrap-up ends."""
        self.calls_today = 0
        self.busy_time = 0.0
        """Seconds spent in BUSY_STATES so far (closed intervals only)."""
        self.logged_time = 0.0
        """Seconds logged in so far (closed intervals only)."""
        self.last_offer = float("-inf")
        """When the agent was last offered a call (round robin)."""
        self._order = 0

    def move(self, new: AgentState, now: float) -> AgentState:
        """Move to ``new`` at ``now``; return the old state. Illegal moves raise."""
        old = self.state
        if new not in TRANSITIONS[old]:
            raise IllegalTransition(
                f"agent {self.agent_id}: cannot go from {old.value} to {new.value}"
            )
        spent = now - self.since
        if old in BUSY_STATES:
            self.busy_time += spent
        if old is not AgentState.LOGGED_OUT:
            self.logged_time += spent
        self.state = new
        self.since = now
        return old

    def occupancy(self, now: float) -> float:
        """Share of logged-in, non-paused time spent handling calls, up to ``now``."""
        busy = self.busy_time
        logged = self.logged_time
        if self.state in BUSY_STATES:
            busy += now - self.since
        if self.state is not AgentState.LOGGED_OUT:
            logged += now - self.since
        return busy / logged if logged > 0 else 0.0

    def has_skills(self, required: Iterable[tuple[str, int]]) -> bool:
        """True when the agent has every required skill at or above its minimum level."""
        skills = self.skills
        return all(skills.get(skill, 0) >= level for skill, level in required)

    def skill_score(self, required: Iterable[tuple[str, int]]) -> int:
        """Sum of the agent's levels on the required skills (for best-skill routing)."""
        skills = self.skills
        return sum(skills.get(skill, 0) for skill, _ in required)

    def __repr__(self) -> str:
        return f"Agent({self.agent_id!r}, {self.state.value})"
