"""`switchboard staff`: agents needed for an interval (Erlang C, or Erlang A with --patience).

Registered by the CLI package with ``app.command("staff")(staff_command)``. Every option is
taken as text and parsed here, so that any bad input ends in one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from switchboard.wfm.staffing import (
    ServiceTarget,
    StaffingError,
    StaffingReport,
    staff_forecast,
    staffing_report,
)

__all__ = ["parse_duration", "parse_fraction", "parse_target", "staff_command"]

EXIT_USAGE = 2
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION_PART = re.compile(rf"({_NUMBER})([hms])")
_DURATION = re.compile(rf"(?:{_NUMBER}[hms])+")


class UsageError(StaffingError):
    """A command-line value that cannot be parsed."""


def parse_duration(text: str, *, option: str) -> float:
    """Seconds from ``1800``, ``1800s``, ``30m``, ``1h``, ``1.5h`` or ``1h30m``."""
    raw = text.strip().lower()
    if re.fullmatch(_NUMBER, raw):
        return float(raw)
    if _DURATION.fullmatch(raw):
        return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(raw))
    raise UsageError(f"{option}: expected a duration like 30m, 1800s, 1h or 1800, got {text!r}")


def parse_fraction(text: str, *, option: str) -> float:
    """A fraction from ``30%`` or ``0.3``; a bare number above 1 is refused as ambiguous."""
    raw = text.strip()
    if raw.endswith("%"):
        number = raw[:-1].strip()
        if not re.fullmatch(_NUMBER, number):
            raise UsageError(f"{option}: expected a percentage like 30% or 0.3, got {text!r}")
        return float(number) / 100.0
    if not re.fullmatch(_NUMBER, raw):
        raise UsageError(f"{option}: expected a percentage like 30% or 0.3, got {text!r}")
    value = float(raw)
    if value > 1.0:
        raise UsageError(f"{option}: {text!r} is ambiguous, write {raw}% or {value / 100:g}")
    return value


def parse_target(text: str) -> ServiceTarget:
    """``80/20`` (or ``80%/20s``): 80 percent of calls answered within 20 seconds."""
    percent, sep, seconds = text.partition("/")
    percent = percent.strip().removesuffix("%")
    if not sep or not re.fullmatch(_NUMBER, percent.strip()):
        raise UsageError(f"--target: expected PERCENT/SECONDS like 80/20, got {text!r}")
    fraction = float(percent) / 100.0
    if not 0.0 < fraction < 1.0:
        raise UsageError(f"--target: percentage must be between 0 and 100, got {text!r}")
    return ServiceTarget(fraction=fraction, seconds=parse_duration(seconds, option="--target"))


def _parse_number(text: str, *, option: str) -> float:
    raw = text.strip()
    if not re.fullmatch(_NUMBER, raw):
        raise UsageError(f"{option}: expected a number >= 0, got {text!r}")
    return float(raw)


def _parse_agents(text: str) -> int:
    raw = text.strip()
    if not raw.isdecimal():
        raise UsageError(f"--agents: expected a whole number >= 0, got {text!r}")
    return int(raw)


def _positive_duration(text: str, *, option: str) -> float:
    value = parse_duration(text, option=option)
    if value <= 0:
        raise UsageError(f"{option}: must be greater than 0, got {text!r}")
    return value


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _secs(x: float) -> str:
    return f"{x:.1f} s" if math.isfinite(x) else "∞ (unstable)"


def _abandon(r: StaffingReport) -> str:
    return "n/a (Erlang C)" if r.abandonment is None else _pct(r.abandonment)


def _single_table(r: StaffingReport) -> Table:
    model = "Erlang C" if r.model == "erlang_c" else f"Erlang A (patience {r.patience_seconds:g} s)"
    table = Table(title=f"Staffing — {model}", show_header=True)
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_row("Offered load", f"{r.offered_load:.2f} Erlangs")
    table.add_row("Agents given" if r.agents_given else "Agents needed", str(r.agents))
    table.add_row(f"Scheduled (shrinkage {_pct(r.shrinkage)})", str(r.scheduled))
    target = f"{_pct(r.target.fraction)} in {r.target.seconds:g} s"
    table.add_row(f"Service level (target {target})", _pct(r.service_level))
    table.add_row("P(wait)", _pct(r.p_wait))
    table.add_row("ASA", _secs(r.asa))
    table.add_row("Occupancy", _pct(r.occupancy))
    table.add_row("Abandonment", _abandon(r))
    if not r.meets_target:
        table.caption = "target NOT met" if r.stable else "unstable: agents <= offered load"
    return table


def _forecast_table(reports: list[StaffingReport]) -> Table:
    table = Table(title="Staffing forecast", show_header=True)
    for name in ("Interval", "Calls", "Agents", "Sched.", "SL", "P(wait)", "ASA", "Occ.", "Aband."):
        table.add_column(name, justify="left" if name == "Interval" else "right", no_wrap=True)
    for r in reports:
        table.add_row(
            r.interval_start or "",
            f"{r.calls:g}",
            str(r.agents),
            str(r.scheduled),
            _pct(r.service_level),
            _pct(r.p_wait),
            _secs(r.asa),
            _pct(r.occupancy),
            "n/a" if r.abandonment is None else _pct(r.abandonment),
        )
    return table


def staff_command(
    calls: Annotated[
        str | None, typer.Option("--calls", help="Calls offered in the interval.")
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", help="Interval length: 30m, 1800s, 1h or seconds.")
    ] = "30m",
    aht: Annotated[
        str | None,
        typer.Option("--aht", help="Average handling time (seconds, or 3m); forecast default."),
    ] = None,
    target: Annotated[str, typer.Option("--target", help="PERCENT/SECONDS, e.g. 80/20.")] = "80/20",
    patience: Annotated[
        str | None,
        typer.Option("--patience", help="Mean caller patience: use Erlang A (abandonment)."),
    ] = None,
    agents: Annotated[
        str | None, typer.Option("--agents", help="Evaluate this many agents instead.")
    ] = None,
    shrinkage: Annotated[
        str, typer.Option("--shrinkage", help="Unavailable time: 30% or 0.3.")
    ] = "0",
    max_occupancy: Annotated[
        str | None, typer.Option("--max-occupancy", help="Occupancy cap, e.g. 85%.")
    ] = None,
    forecast: Annotated[
        str | None,
        typer.Option("--forecast", help="CSV with interval_start,calls[,aht] per interval."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Agents needed to meet a service-level target (Erlang C; Erlang A with --patience)."""
    try:
        reports = _run(
            calls=calls,
            interval=interval,
            aht=aht,
            target=target,
            patience=patience,
            agents=agents,
            shrinkage=shrinkage,
            max_occupancy=max_occupancy,
            forecast=forecast,
        )
    except StaffingError as exc:
        typer.echo(f"switchboard staff: error: {exc}", err=True)
        raise typer.Exit(code=EXIT_USAGE) from None

    if as_json:
        if forecast is None:
            payload: object = reports[0].to_dict()
        else:
            payload = [r.to_dict() for r in reports]
        typer.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    console = Console()
    console.print(_single_table(reports[0]) if forecast is None else _forecast_table(reports))


def _run(
    *,
    calls: str | None,
    interval: str,
    aht: str | None,
    target: str,
    patience: str | None,
    agents: str | None,
    shrinkage: str,
    max_occupancy: str | None,
    forecast: str | None,
) -> list[StaffingReport]:
    """Parse the options and compute; raises :class:`StaffingError` on any bad input."""
    if (calls is None) == (forecast is None):
        raise UsageError("give exactly one of --calls or --forecast")
    interval_s = _positive_duration(interval, option="--interval")
    aht_s = None if aht is None else _positive_duration(aht, option="--aht")
    goal = parse_target(target)
    patience_s = None if patience is None else _positive_duration(patience, option="--patience")
    n_agents = None if agents is None else _parse_agents(agents)
    shrink = parse_fraction(shrinkage, option="--shrinkage")
    if not 0.0 <= shrink < 1.0:
        raise UsageError(f"--shrinkage: must be at least 0% and below 100%, got {shrinkage!r}")
    occ = None
    if max_occupancy is not None:
        occ = parse_fraction(max_occupancy, option="--max-occupancy")
        if not 0.0 < occ <= 1.0:
            raise UsageError(f"--max-occupancy: must be above 0% and at most 100%, got {occ:g}")
    if forecast is not None:
        return staff_forecast(
            Path(forecast),
            interval_seconds=interval_s,
            aht_seconds=aht_s,
            target=goal,
            patience_seconds=patience_s,
            agents=n_agents,
            shrinkage=shrink,
            max_occupancy=occ,
        )
    if aht_s is None:
        raise UsageError("--aht is required with --calls")
    report = staffing_report(
        calls=_parse_number(str(calls), option="--calls"),
        interval_seconds=interval_s,
        aht_seconds=aht_s,
        target=goal,
        patience_seconds=patience_s,
        agents=n_agents,
        shrinkage=shrink,
        max_occupancy=occ,
    )
    return [report]
