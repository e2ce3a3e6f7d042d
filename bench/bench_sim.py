"""Simulator speed: our full core (routing + event log + KPIs) against SimPy on the same M/M/c.

Model: 200 agents, 1 call/s Poisson, exponential handle time with mean 180 s, no abandonment,
FCFS, run for the same simulated time. SimPy runs the textbook Resource model (no routing
logic, no event log, no KPIs); ours runs the real ContactCenter through the simulator.
Both count their own events: SimPy the events its scheduler processes, ours the events the
core writes to the log plus the simulated world's events. Calls per second is the like-for-like
figure: the same work, the same number of calls.

Ours runs twice: from the Python source (as in development) and, when ``make compiled`` has
built it, from the mypyc build of the same source (setup.py; what ``SWITCHBOARD_MYPYC=1 pip
install .`` installs), in a subprocess with ``build/compiled`` on its path. SimPy runs in both
processes and each ratio is taken against the SimPy run of its own process.

Run: make compiled && .venv/bin/python bench/bench_sim.py [--seconds 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import simpy
from rich.console import Console
from rich.table import Table

from switchboard.core.queues import QueueConfig
from switchboard.sim.distributions import Exponential
from switchboard.sim.engine import AgentSpec, EntrySpec, Model, QueueSpec, Simulation

ROOT = Path(__file__).resolve().parent.parent
COMPILED = ROOT / "build" / "compiled"

AGENTS, RATE, AHT = 200, 1.0, 180.0


def run_simpy(duration: float, seed: int) -> tuple[int, int, float, float]:
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    waits: list[float] = []

    def caller(env: simpy.Environment):  # type: ignore[no-untyped-def]
        arrived = env.now
        with agents.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1.0 / AHT))

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(rng.expovariate(RATE))
            if env.now >= duration:
                return
            env.process(caller(env))

    env.process(source(env))
    events = 0
    started = time.perf_counter()
    try:
        while True:
            env.step()
            events += 1
    except simpy.core.EmptySchedule:
        pass
    elapsed = time.perf_counter() - started
    return len(waits), events, elapsed, sum(waits) / len(waits)


def run_ours(duration: float, seed: int) -> tuple[int, int, float, float]:
    queue = QueueSpec(config=QueueConfig(queue_id="q", ring_timeout=0), handle=Exponential(AHT))
    model = Model(
        queues=(queue,),
        entries=(EntrySpec(entry_id="e", calls_per_hour=RATE * 3600, branches=(("q", 1.0),)),),
        agents=tuple(AgentSpec(agent_id=f"a{i}", queues=("q",)) for i in range(AGENTS)),
        duration=duration,
    )
    sim = Simulation(model, seed=seed)
    started = time.perf_counter()
    result = sim.run()
    elapsed = time.perf_counter() - started
    kpis = result.metrics.kpis("q")
    return kpis.answered, result.core_events + result.sim_events, elapsed, kpis.asa


Run = tuple[int, int, float, float]


def best_runs(seconds: float, repeat: int) -> dict[str, Run]:
    """SimPy and ours, ``repeat`` seeds each; the fastest run of each (least time per call)."""
    best: dict[str, Run] = {}
    for name, fn in (("simpy", run_simpy), ("ours", run_ours)):
        runs = [fn(seconds, seed) for seed in range(1, repeat + 1)]
        best[name] = min(runs, key=lambda r: r[2] / r[0])
    return best


def compiled_runs(seconds: float, repeat: int) -> dict[str, Run] | None:
    """The same runs in a subprocess that imports the mypyc build; None if it is not built."""
    if not (COMPILED / ".built").exists():
        return None
    env = {**os.environ, "PYTHONPATH": str(COMPILED)}
    out = subprocess.run([sys.executable, __file__, "--worker", "--seconds", str(seconds),
                          "--repeat", str(repeat)], env=env, check=True, capture_output=True,
                         text=True).stdout
    result: dict[str, Run] = {k: tuple(v) for k, v in json.loads(out).items()}  # type: ignore[misc]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40000.0, help="simulated seconds")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import switchboard.core.center as center

        assert not center.__file__.endswith(".py"), "the worker must run the compiled build"
        print(json.dumps(best_runs(args.seconds, args.repeat)))
        return
    rows: list[tuple[str, Run, Run]] = []
    here = best_runs(args.seconds, args.repeat)
    rows.append(("SimPy (Resource model)", here["simpy"], here["simpy"]))
    rows.append(("Switchboard core, Python source", here["ours"], here["simpy"]))
    compiled = compiled_runs(args.seconds, args.repeat)
    if compiled is not None:
        rows.append(("SimPy, in the compiled run's process", compiled["simpy"],
                     compiled["simpy"]))
        rows.append(("Switchboard core, mypyc build", compiled["ours"], compiled["simpy"]))
    from switchboard.wfm.erlang import erlang_c_metrics  # numpy: only after the timed runs

    theory = erlang_c_metrics(AGENTS, RATE * AHT, AHT, 20.0).asa
    table = Table(title=f"M/M/{AGENTS}, {RATE:g} call/s, AHT {AHT:g} s, {args.seconds:g} "
                        f"simulated s (best of {args.repeat}); Erlang C ASA {theory:.2f} s")
    for col in ("simulator", "calls", "events", "wall s", "events/s", "calls/s",
                "events/s vs SimPy", "calls/s vs SimPy", "ASA s"):
        table.add_column(col, justify="left" if col == "simulator" else "right")
    for name, (calls, events, elapsed, asa), (b_calls, b_events, b_time, _) in rows:
        table.add_row(name, f"{calls:,}", f"{events:,}", f"{elapsed:.2f}",
                      f"{events / elapsed:,.0f}", f"{calls / elapsed:,.0f}",
                      f"{(events / elapsed) / (b_events / b_time):.2f}x",
                      f"{(calls / elapsed) / (b_calls / b_time):.2f}x", f"{asa:.2f}")
    Console(width=160).print(table)
    if compiled is None:
        Console().print("(no mypyc build: `make compiled` adds its rows)")


if __name__ == "__main__":
    main()
