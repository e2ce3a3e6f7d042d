"""`switchboard serve`: run the center. Until the telephony layer lands, ``--demo`` runs the demo
center on the simulator, paced against the wall clock, with a live text dashboard."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from switchboard.core.events import AgentState
from switchboard.sim.engine import Simulation
from switchboard.sim.report import clock_label
from switchboard.sim.scenario import load, parse_clock

DEMO_SCENARIO = "demo-center.yaml"


def _dashboard(sim: Simulation, start: float, speed: float) -> Group:
    center = sim.center
    metrics = sim.metrics
    now = sim.clock.now()
    queues = Table(title=f"Switchboard demo center - {clock_label(now, start)} "
                         f"(simulated, {speed:g}x real time)", header_style="bold")
    for name in ("queue", "waiting", "longest wait", "available", "staffed", "offered",
                 "answered", "abandoned", "SL", "ASA"):
        queues.add_column(name, justify="left" if name == "queue" else "right")
    for queue_id in center.queues:
        status = center.queue_status(queue_id)
        k = metrics.kpis(queue_id)
        queues.add_row(queue_id, str(status.waiting), f"{status.longest_wait:.0f} s",
                       str(status.available), str(status.staffed), str(k.offered),
                       str(k.answered), str(k.abandoned),
                       "-" if k.service_level != k.service_level else f"{k.service_level:.0%}",
                       "-" if k.asa != k.asa else f"{k.asa:.0f} s")
    agents = Table(title="Agents", header_style="bold")
    counts = {state: 0 for state in AgentState}
    for agent in center.agents.values():
        counts[agent.state] += 1
    for state in AgentState:
        agents.add_column(state.value.replace("_", " "), justify="right")
    agents.add_row(*(str(counts[s]) for s in AgentState))
    return Group(queues, agents)


def serve_command(
    demo: Annotated[bool, typer.Option(help="Run the demo center (simulated callers).")] = False,
    speed: Annotated[float, typer.Option(min=0.1, help="Simulated seconds per real second.")]
    = 60.0,
    duration: Annotated[float | None, typer.Option(help="Stop after this many real seconds.")]
    = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario to run instead of the demo.")]
    = None,
    seed: Annotated[int, typer.Option(help="Random seed of the first simulated day.")] = 1,
) -> None:
    """Start the contact center (for now: the demo center on the simulator, with a dashboard)."""
    err = Console(stderr=True)
    if not demo and scenario is None:
        err.print("[red]error:[/red] the SIP/RTP telephony layer is not built yet, so `serve` "
                  "can only run a simulated center: use `switchboard serve --demo` "
                  "(or --scenario FILE.yaml)", highlight=False)
        raise typer.Exit(2)
    if scenario is None:
        path = Path(str(resources.files("switchboard.sim") / "scenarios" / DEMO_SCENARIO))
    else:
        path = scenario
    try:
        parsed, model = load(path)
    except Exception as exc:  # a ScenarioError names file and line
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    start = parse_clock(parsed.start)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    wall_start = time.monotonic()
    day = 0
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while duration is None or time.monotonic() - wall_start < duration:
            sim = Simulation(model, seed=seed + day)
            sim.start()
            day_start = time.monotonic()
            running = True
            while running:
                elapsed = time.monotonic() - day_start
                running = sim.advance(elapsed * speed)
                live.update(_dashboard(sim, start, speed))
                if duration is not None and time.monotonic() - wall_start >= duration:
                    break
                time.sleep(0.25)
            else:
                day += 1
                continue
            break
    console.print(f"demo center stopped after {time.monotonic() - wall_start:.1f} s")
