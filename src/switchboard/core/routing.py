"""ACD strategies: which available agent gets a call.

Each strategy is a plain function ``(candidates, required, now) -> Agent | None`` over the
queue's available agents, which come longest-idle first; ties therefore go to the agent idle
longest. Which *call* an agent gets is the queues' business (priority with ageing, then arrival:
see :mod:`switchboard.core.queues`) and the center's (across all the queues an agent serves).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from switchboard.core.agents import Agent

Strategy = Callable[[Iterable[Agent], tuple[tuple[str, int], ...], float], Agent | None]


def longest_idle(
    candidates: Iterable[Agent], required: tuple[tuple[str, int], ...], now: float
) -> Agent | None:
    """The agent available for the longest time (the industry default)."""
    for agent in candidates:
        if agent.has_skills(required):
            return agent
    return None


def _least(key: Callable[[Agent], float]) -> Strategy:
    def choose(
        candidates: Iterable[Agent], required: tuple[tuple[str, int], ...], now: float
    ) -> Agent | None:
        best: Agent | None = None
        best_key = 0.0
        for agent in candidates:
            if not agent.has_skills(required):
                continue
            k = key(agent)
            if best is None or k < best_key:
                best, best_key = agent, k
        return best

    return choose


def least_occupied(
    candidates: Iterable[Agent], required: tuple[tuple[str, int], ...], now: float
) -> Agent | None:
    """The agent with the lowest occupancy so far today (evens out workload)."""
    return _least(lambda agent: agent.occupancy(now))(candidates, required, now)


fewest_calls: Strategy = _least(lambda agent: agent.calls_today)
"""The agent who has handled the fewest calls today."""

round_robin: Strategy = _least(lambda agent: agent.last_offer)
"""The agent offered a call least recently: agents take turns."""

def best_skill(
    candidates: Iterable[Agent], required: tuple[tuple[str, int], ...], now: float
) -> Agent | None:
    """The agent with the highest levels on the call's skills."""
    best: Agent | None = None
    best_score = -1
    for agent in candidates:
        if not agent.has_skills(required):
            continue
        score = agent.skill_score(required)
        if score > best_score:
            best, best_score = agent, score
    return best


STRATEGY_TABLE: Mapping[str, Strategy] = {
    "longest_idle": longest_idle,
    "least_occupied": least_occupied,
    "fewest_calls": fewest_calls,
    "round_robin": round_robin,
    "best_skill": best_skill,
}
"""Strategy name (as in :class:`~switchboard.core.queues.QueueConfig`) to function."""
