"""Workforce management: Erlang B/C/A queueing maths and interval staffing reports."""

from switchboard.wfm.erlang import (
    QueueMetrics,
    agents_for_target,
    agents_for_target_grid,
    erlang_a_agents_for_target,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    offered_load,
    scheduled_agents,
)

__all__ = [
    "QueueMetrics",
    "agents_for_target",
    "agents_for_target_grid",
    "erlang_a_agents_for_target",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "offered_load",
    "scheduled_agents",
]
