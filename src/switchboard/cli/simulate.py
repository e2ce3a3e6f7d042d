"""`switchboard simulate`: run a scenario on the virtual clock and print the KPIs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from switchboard.core.errors import ConfigError
from switchboard.sim.engine import Simulation
from switchboard.sim.report import rows, write_csv
from switchboard.sim.scenario import load, parse_clock


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _sec(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (see examples/).")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same run.")] = 1,
    days: Annotated[int, typer.Option(min=1, help="Number of days to simulate.")] = 1,
    out: Annotated[Path | None, typer.Option(help="Also write the rows to this CSV file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    totals_only: Annotated[bool, typer.Option("--totals", help="Print only the totals.")] = False,
) -> None:
    """Run a contact center on a virtual clock and print KPIs per queue and interval."""
    err = Console(stderr=True)
    try:
        parsed, model = load(scenario, days=days)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    sim = Simulation(model, seed=seed)
    started = time.perf_counter()
    with Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as progress:
        task = progress.add_task("run", total=1.0)
        result = sim.run(lambda f: progress.update(task, completed=f))
    elapsed = time.perf_counter() - started
    table = rows(result.metrics, start=parse_clock(parsed.start))
    if out is not None:
        write_csv(out, table)
    summary: dict[str, Any] = {
        "scenario": parsed.name or scenario.stem, "seed": seed, "days": days,
        "calls": result.calls, "core_events": result.core_events,
        "unfinished_calls": len(result.unfinished), "fcr": result.metrics.fcr(),
        "calls_per_agent": result.metrics.calls_per_agent(),
        "wall_seconds": round(elapsed, 3),
    }
    if as_json:
        json.dump({"summary": summary, "rows": table}, sys.stdout, indent=2, allow_nan=False,
                  default=str)
        sys.stdout.write("\n")
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    shown = [r for r in table if r["interval"] == "total"] if totals_only else table
    t = Table(title=f"{summary['scenario']} - seed {seed}, {days} day(s), "
                    f"{result.calls} calls", header_style="bold")
    for name in ("interval", "queue", "offered", "answered", "abandoned", "SL", "ASA s",
                 "AHT s", "abandon", "transfer", "occupancy"):
        t.add_column(name, justify="left" if name in ("interval", "queue") else "right")
    for r in shown:
        t.add_row(r["interval"], r["queue"], str(r["offered"]), str(r["answered"]),
                  str(r["abandoned"]), _pct(r["service_level"]), _sec(r["asa"]), _sec(r["aht"]),
                  _pct(r["abandon_rate"]), _pct(r["transfer_rate"]), _pct(r["occupancy"]))
    console.print(t)
    fcr = summary["fcr"]
    console.print(f"FCR {_pct(fcr if fcr == fcr else None)}  calls/agent "
                  f"{summary['calls_per_agent']:.1f}  unfinished {summary['unfinished_calls']}  "
                  f"({result.core_events} events in {elapsed:.2f} s)")
    if out is not None:
        console.print(f"rows written to {out}")
