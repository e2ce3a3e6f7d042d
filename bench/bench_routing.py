"""Routing decision latency with 5,000 agents, 100 queues and 10,000 waiting calls.

Two decisions are timed, each as the whole center operation that contains it (the event log
and the KPIs included, as in production):

* agent side: a busy agent hangs up (wrap-up 0) while 10,000 calls wait; the center picks the
  best call across the agent's 5 queues (queue priority, call priority with ageing, longest
  wait, skills) and offers it;
* call side: a call arrives while 5,000 agents are available; the queue's strategy picks the
  agent (each strategy timed separately).

Baseline in the same run: a plain ``min()`` over the candidates, the naive O(n) scan the queue
structures avoid.

Run: .venv/bin/python bench/bench_routing.py
"""

from __future__ import annotations

import random
import statistics
import time

from rich.console import Console
from rich.table import Table

from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.log import EventLog
from switchboard.core.metrics import Metrics
from switchboard.core.queues import STRATEGIES, QueueConfig

AGENTS, QUEUES, WAITING, PER_AGENT = 5000, 100, 10000, 5
SKILLS = [f"s{i}" for i in range(20)]


class NullPort:
    """A CallControl that does nothing: the telephony is not what is measured."""

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return lambda *args: None


def build(strategy: str, rng: random.Random) -> tuple[ContactCenter, VirtualClock]:
    clock = VirtualClock()
    log = EventLog(keep=False)
    log.subscribe(Metrics().observe)
    center = ContactCenter(clock=clock, port=NullPort(), sink=log)  # type: ignore[arg-type]
    for q in range(QUEUES):
        center.add_queue(QueueConfig(queue_id=f"q{q}", priority=rng.randrange(3),
                                     skills=((SKILLS[q % 20], 1 + q % 3),), strategy=strategy,
                                     ageing=0.01 * (q % 2), ring_timeout=0))
    for a in range(AGENTS):
        queues = rng.sample(range(QUEUES), PER_AGENT)
        skills = {SKILLS[q % 20]: rng.randint(3, 10) for q in queues}
        center.add_agent(Agent(f"a{a}", skills=skills, queues=[f"q{q}" for q in queues]))
    return center, clock


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    samples.sort()
    return (statistics.median(samples) * 1e6, samples[int(0.99 * len(samples))] * 1e6,
            samples[-1] * 1e6)


def agent_side(rng: random.Random) -> tuple[list[float], list[float]]:
    center, clock = build("longest_idle", rng)
    for a in range(AGENTS):
        center.login(f"a{a}")
    # occupy every agent
    for i in range(AGENTS):
        clock.advance(0.01)
        agent = center.agents[f"a{i}"]
        q = agent.queues[0]
        center.call_arrived(f"busy{i}")
        center.enqueue(f"busy{i}", q)
        center.offer_answered(f"busy{i}", agent.agent_id)
    for i in range(WAITING):
        clock.advance(0.01)
        center.call_arrived(f"w{i}")
        center.enqueue(f"w{i}", f"q{rng.randrange(QUEUES)}", priority=rng.randrange(3))
    timings, naive = [], []
    busy = [f"busy{i}" for i in range(AGENTS)]
    rng.shuffle(busy)
    for call_id in busy[:2000]:
        clock.advance(0.5)
        agent = center.agents[center.calls[call_id].agent_id]
        started = time.perf_counter()
        center.agent_hung_up(call_id)
        timings.append(time.perf_counter() - started)
        # naive baseline: scan every waiting call of the agent's queues
        started = time.perf_counter()
        min((e for q in agent.queues for _, _, e in center.queues[q]._heap
             if e.active and agent.has_skills(e.skills)), key=lambda e: (-e.priority, e.seq),
            default=None)
        naive.append(time.perf_counter() - started)
        if agent.call_id:
            center.offer_answered(agent.call_id, agent.agent_id)
    return timings, naive


def call_side(strategy: str, rng: random.Random) -> list[float]:
    center, clock = build(strategy, rng)
    for a in range(AGENTS):
        clock.advance(0.001)
        center.login(f"a{a}")
    timings = []
    for i in range(2000):
        clock.advance(0.5)
        center.call_arrived(f"c{i}")
        started = time.perf_counter()
        center.enqueue(f"c{i}", f"q{rng.randrange(QUEUES)}")
        timings.append(time.perf_counter() - started)
        call = center.calls[f"c{i}"]
        if call.agent_id:  # hang up at once so the pool stays full
            center.offer_answered(call.call_id, call.agent_id)
            center.agent_hung_up(call.call_id)
    return timings


def main() -> None:
    rng = random.Random(1)
    table = Table(title=f"Routing latency: {AGENTS:,} agents, {QUEUES} queues, "
                        f"{PER_AGENT} queues per agent, 20 skills with levels (microseconds)")
    for col in ("decision", "p50 us", "p99 us", "max us", "p99 vs naive scan"):
        table.add_column(col, justify="left" if col == "decision" else "right")
    timings, naive = agent_side(rng)
    p50, p99, worst = percentiles(timings)
    n50, n99, nworst = percentiles(naive)
    table.add_row(f"agent frees, {WAITING:,} calls waiting (whole hang-up)", f"{p50:.1f}",
                  f"{p99:.1f}", f"{worst:.1f}", f"{n99 / p99:.1f}x faster")
    table.add_row("  naive baseline: scan the waiting calls", f"{n50:.1f}", f"{n99:.1f}",
                  f"{nworst:.1f}", "1.0x")
    for strategy in STRATEGIES:
        p50, p99, worst = percentiles(call_side(strategy, rng))
        table.add_row(f"call arrives, {strategy}", f"{p50:.1f}", f"{p99:.1f}", f"{worst:.1f}",
                      "")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
