"""The simulator, driving the real core, reproduces queueing theory within its confidence interval.

M/M/c is Erlang C; M/M/c+M is Erlang A (exact birth-death solution in switchboard.wfm.erlang).
Each run is cut into batches (one report interval each); the batch means give a t-based 99%
confidence interval, and the theoretical value must fall inside it.
"""

from __future__ import annotations

import math
import statistics

import pytest
from scipy import stats

from switchboard.core.metrics import Metrics
from switchboard.core.queues import QueueConfig
from switchboard.sim.distributions import Exponential
from switchboard.sim.engine import AgentSpec, EntrySpec, Model, QueueSpec, Simulation
from switchboard.wfm.erlang import erlang_a_metrics, erlang_c_metrics

AHT = 180.0
T = 20.0
BATCH = 20 * 3600.0
BATCHES = 22  # the first (warm-up) and the last (unfinished calls) are dropped


def mmc(agents: int, load: float, patience: float | None, seed: int) -> Metrics:
    queue = QueueSpec(
        config=QueueConfig(queue_id="q", sl_seconds=T, short_abandon=0.0, ring_timeout=0.0),
        handle=Exponential(AHT),
        patience=Exponential(patience) if patience else None,
    )
    model = Model(
        queues=(queue,),
        entries=(EntrySpec(entry_id="e", calls_per_hour=load / AHT * 3600, branches=(("q", 1),)),),
        agents=tuple(AgentSpec(agent_id=f"a{i}", queues=("q",)) for i in range(agents)),
        duration=BATCHES * BATCH,
        interval=BATCH,
        drain=0.0,
    )
    return Simulation(model, seed=seed).run().metrics


def interval(samples: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(samples)
    half = stats.t.ppf(0.995, len(samples) - 1) * statistics.stdev(samples) / math.sqrt(
        len(samples)
    )
    return mean - half, mean + half


def batches(metrics: Metrics, kpi: str) -> list[float]:
    return [getattr(metrics.kpis("q", b), kpi) for b in range(1, BATCHES - 1)]


@pytest.mark.slow
def test_mmc_matches_erlang_c() -> None:
    agents, load = 20, 17.0
    theory = erlang_c_metrics(agents, load, AHT, T)
    metrics = mmc(agents, load, None, seed=7)
    lo, hi = interval(batches(metrics, "asa"))
    assert lo <= theory.asa <= hi, (lo, theory.asa, hi)
    lo, hi = interval(batches(metrics, "service_level"))
    assert lo <= theory.service_level <= hi, (lo, theory.service_level, hi)
    # the interval is informative: narrower than a third of the value it brackets
    assert hi - lo < theory.service_level / 3


@pytest.mark.slow
def test_mmc_plus_m_matches_erlang_a() -> None:
    agents, load, patience = 20, 21.0, 120.0  # overloaded: only abandonment keeps it stable
    theory = erlang_a_metrics(agents, load, AHT, patience, T)
    assert theory.abandonment is not None
    metrics = mmc(agents, load, patience, seed=11)
    lo, hi = interval(batches(metrics, "abandon_rate"))
    assert lo <= theory.abandonment <= hi, (lo, theory.abandonment, hi)
    lo, hi = interval(batches(metrics, "asa"))
    assert lo <= theory.asa <= hi, (lo, theory.asa, hi)
    # Erlang A's service level counts abandons as misses: answered within T / offered.
    lo, hi = interval(batches(metrics, "service_level_net"))
    assert lo <= theory.service_level <= hi, (lo, theory.service_level, hi)


@pytest.mark.slow
def test_erlang_c_is_not_inside_an_erlang_a_interval() -> None:
    """The comparison can fail: with impatient callers, Erlang C's ASA is far off."""
    agents, load = 20, 19.0
    metrics = mmc(agents, load, 60.0, seed=3)
    lo, hi = interval(batches(metrics, "asa"))
    wrong = erlang_c_metrics(agents, load, AHT, T).asa
    assert not lo <= wrong <= hi
