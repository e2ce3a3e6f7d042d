"""Interval staffing reports (Erlang C, or Erlang A when a patience is given) and CSV forecasts.

Forecast CSV format
-------------------
UTF-8 text (a byte-order mark is tolerated) with a header row. Column names are matched after
trimming spaces, case-insensitively; blank lines are skipped; ``#`` lines are comments.

``interval_start`` (required)
    A label for the interval, e.g. ``2024-06-03T08:00`` or ``08:00``; kept verbatim, non-empty.
``calls`` (required)
    Calls offered in the interval, a finite number >= 0.
``aht`` (optional)
    Average handling time in seconds, a finite number > 0. An empty cell, or no such column,
    means the default AHT given to :func:`staff_forecast` (``--aht`` on the command line).

Example::

    interval_start,calls,aht
    08:00,100,180
    08:30,140,175

Every interval has the same length (``interval_seconds``). Any defect raises
:class:`ForecastError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from switchboard.wfm.erlang import (
    QueueMetrics,
    agents_for_target,
    erlang_a_agents_for_target,
    erlang_a_metrics,
    erlang_c_metrics,
    offered_load,
    scheduled_agents,
)

__all__ = [
    "ForecastError",
    "ForecastRow",
    "ServiceTarget",
    "StaffingError",
    "StaffingReport",
    "read_forecast",
    "staff_forecast",
    "staffing_report",
]

REQUIRED_COLUMNS = ("interval_start", "calls")
OPTIONAL_COLUMNS = ("aht",)


class StaffingError(ValueError):
    """Invalid staffing input (a domain error: shown to the user as one line, no traceback)."""


class ForecastError(StaffingError):
    """A forecast file that cannot be used; names the file, line (1-based) and column."""

    def __init__(self, path: Path | str, line: int | None, column: str | None, message: str):
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path if line is None else f"{self.path}:{line}"
        what = message if column is None else f"column '{column}': {message}"
        super().__init__(f"{where}: {what}")


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceTarget:
    """``fraction`` of calls to be answered within ``seconds`` (80/20 is 0.8 within 20 s)."""

    fraction: float
    """Target fraction, strictly between 0 and 1."""
    seconds: float
    """Answer-time threshold in seconds, >= 0."""

    def __post_init__(self) -> None:
        if not 0.0 < self.fraction < 1.0:
            raise StaffingError(f"target fraction must be between 0 and 1, got {self.fraction}")
        if not (math.isfinite(self.seconds) and self.seconds >= 0):
            raise StaffingError(f"target time must be >= 0 seconds, got {self.seconds}")


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffingReport:
    """Staffing figures for one interval. Times in seconds, probabilities as fractions."""

    interval_start: str | None
    """Label of the interval (from a forecast), or None for a single computation."""
    calls: float
    """Calls offered in the interval."""
    interval_seconds: float
    """Interval length."""
    aht_seconds: float
    """Average handling time."""
    offered_load: float
    """Offered load in Erlangs, calls x AHT / interval."""
    target: ServiceTarget
    """The service-level target used."""
    model: Literal["erlang_c", "erlang_a"]
    """Queueing model: Erlang C, or Erlang A when a patience was given."""
    patience_seconds: float | None
    """Mean patience (Erlang A only)."""
    agents: int
    """Agents needed to meet the target, or the agents given."""
    agents_given: bool
    """True when ``agents`` was fixed by the caller rather than computed."""
    shrinkage: float
    """Fraction of paid time unavailable for calls."""
    scheduled: int
    """Agents to schedule: ``ceil(agents / (1 - shrinkage))``."""
    service_level: float
    """Fraction of all calls answered within the target time."""
    p_wait: float
    """Probability that a call has to queue."""
    asa: float
    """Average speed of answer of answered calls (``inf`` when unstable)."""
    occupancy: float
    """Fraction of time agents are busy."""
    abandonment: float | None
    """Probability of abandoning (Erlang A); None for Erlang C."""
    stable: bool
    """False when the queue has no steady state (Erlang C with agents <= load)."""
    meets_target: bool
    """Whether ``service_level >= target.fraction`` (and any occupancy cap) hold."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping; an infinite ASA becomes ``None``."""
        return {
            "interval_start": self.interval_start,
            "calls": self.calls,
            "interval_seconds": self.interval_seconds,
            "aht_seconds": self.aht_seconds,
            "offered_load": self.offered_load,
            "target": {"fraction": self.target.fraction, "seconds": self.target.seconds},
            "model": self.model,
            "patience_seconds": self.patience_seconds,
            "agents": self.agents,
            "agents_given": self.agents_given,
            "shrinkage": self.shrinkage,
            "scheduled": self.scheduled,
            "service_level": self.service_level,
            "p_wait": self.p_wait,
            "asa_seconds": self.asa if math.isfinite(self.asa) else None,
            "occupancy": self.occupancy,
            "abandonment": self.abandonment,
            "stable": self.stable,
            "meets_target": self.meets_target,
        }


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise StaffingError(message)


def staffing_report(
    *,
    calls: float,
    interval_seconds: float,
    aht_seconds: float,
    target: ServiceTarget,
    patience_seconds: float | None = None,
    agents: int | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    interval_start: str | None = None,
) -> StaffingReport:
    """Staff one interval, or evaluate a fixed number of ``agents``.

    Erlang C is used unless ``patience_seconds`` is given, in which case the exact Erlang A model
    is used. ``max_occupancy`` optionally caps the occupancy when computing the agents needed.
    """
    _require(math.isfinite(calls) and calls >= 0, f"calls must be >= 0, got {calls}")
    _require(
        math.isfinite(interval_seconds) and interval_seconds > 0,
        f"interval must be > 0 seconds, got {interval_seconds}",
    )
    _require(
        math.isfinite(aht_seconds) and aht_seconds > 0,
        f"AHT must be > 0 seconds, got {aht_seconds}",
    )
    _require(0.0 <= shrinkage < 1.0, f"shrinkage must be in [0, 1), got {shrinkage}")
    if patience_seconds is not None:
        _require(
            math.isfinite(patience_seconds) and patience_seconds > 0,
            f"patience must be > 0 seconds, got {patience_seconds}",
        )
    if agents is not None:
        _require(agents >= 0, f"agents must be >= 0, got {agents}")
    if max_occupancy is not None:
        _require(
            0.0 < max_occupancy <= 1.0, f"max occupancy must be in (0, 1], got {max_occupancy}"
        )

    load = offered_load(calls, interval_seconds, aht_seconds)
    sl, t = target.fraction, target.seconds
    n: int
    if agents is not None:
        n = agents
    elif patience_seconds is None:
        n = agents_for_target(load, aht_seconds, sl, t, max_occupancy=max_occupancy)
    else:
        n = erlang_a_agents_for_target(
            load, aht_seconds, patience_seconds, sl, t, max_occupancy=max_occupancy
        )
    m: QueueMetrics
    if patience_seconds is None:
        m = erlang_c_metrics(n, load, aht_seconds, t)
    else:
        m = erlang_a_metrics(n, load, aht_seconds, patience_seconds, t)
    meets = m.service_level >= sl and m.stable
    if max_occupancy is not None:
        meets = meets and m.occupancy <= max_occupancy * (1 + 1e-9)
    return StaffingReport(
        interval_start=interval_start,
        calls=calls,
        interval_seconds=interval_seconds,
        aht_seconds=aht_seconds,
        offered_load=load,
        target=target,
        model=m.model,
        patience_seconds=patience_seconds,
        agents=n,
        agents_given=agents is not None,
        shrinkage=shrinkage,
        scheduled=scheduled_agents(n, shrinkage),
        service_level=m.service_level,
        p_wait=m.p_wait,
        asa=m.asa,
        occupancy=m.occupancy,
        abandonment=m.abandonment,
        stable=m.stable,
        meets_target=meets,
    )


# --------------------------------------------------------------------------------------------
# Forecast CSV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class ForecastRow:
    """One interval of a forecast file."""

    line: int
    """1-based line number in the file."""
    interval_start: str
    """Interval label, verbatim."""
    calls: float
    """Calls offered."""
    aht_seconds: float | None
    """AHT for this interval, or None to use the default."""


def _number(path: Path, line: int, column: str, text: str, *, positive: bool) -> float:
    value_text = text.strip()
    if not value_text:
        raise ForecastError(path, line, column, "empty value")
    try:
        value = float(value_text)
    except ValueError:
        raise ForecastError(path, line, column, f"not a number: {value_text!r}") from None
    if not math.isfinite(value):
        raise ForecastError(path, line, column, f"not a finite number: {value_text!r}")
    if positive and value <= 0:
        raise ForecastError(path, line, column, f"must be > 0, got {value_text}")
    if value < 0:
        raise ForecastError(path, line, column, f"must be >= 0, got {value_text}")
    return value


def _content_lines(path: Path, text: str) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    while True:
        start = reader.line_num + 1  # a quoted field may span lines: report where it began
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ForecastError(path, start, None, f"malformed CSV: {exc}") from None
        if not fields or all(not f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        yield start, fields


def read_forecast(path: Path | str) -> list[ForecastRow]:
    """Parse a forecast CSV (format in the module docstring); raises :class:`ForecastError`."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ForecastError(path, None, None, "no such file") from None
    except IsADirectoryError:
        raise ForecastError(path, None, None, "is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise ForecastError(path, None, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ForecastError(path, None, None, f"cannot read: {exc.strerror}") from None

    lines = iter(_content_lines(path, text))
    first = next(lines, None)
    if first is None:
        raise ForecastError(
            path, None, None, "empty file: expected a header 'interval_start,calls'"
        )
    header_line, header = first
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            known = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
            raise ForecastError(
                path, header_line, name or "(empty)", f"unknown column (expected {known})"
            )
        if names.count(name) > 1:
            raise ForecastError(path, header_line, name, "column appears twice")
    for name in REQUIRED_COLUMNS:
        if name not in names:
            raise ForecastError(path, header_line, name, "required column is missing")

    rows: list[ForecastRow] = []
    for line, fields in lines:
        if len(fields) != len(names):
            raise ForecastError(
                path, line, None, f"expected {len(names)} fields ({','.join(names)}), "
                f"got {len(fields)}"
            )  # fmt: skip
        cells = dict(zip(names, fields, strict=True))
        label = cells["interval_start"].strip()
        if not label:
            raise ForecastError(path, line, "interval_start", "empty value")
        calls = _number(path, line, "calls", cells["calls"], positive=False)
        aht_text = cells.get("aht", "")
        aht = _number(path, line, "aht", aht_text, positive=True) if aht_text.strip() else None
        rows.append(ForecastRow(line=line, interval_start=label, calls=calls, aht_seconds=aht))
    if not rows:
        raise ForecastError(path, header_line, None, "no data rows after the header")
    return rows


def staff_forecast(
    path: Path | str,
    *,
    interval_seconds: float,
    target: ServiceTarget,
    aht_seconds: float | None = None,
    patience_seconds: float | None = None,
    agents: int | None = None,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> list[StaffingReport]:
    """Read a forecast file and staff each interval; ``aht_seconds`` is the default AHT."""
    rows = read_forecast(path)
    reports = []
    for row in rows:
        aht = row.aht_seconds if row.aht_seconds is not None else aht_seconds
        if aht is None:
            raise ForecastError(
                path, row.line, "aht", "no AHT for this interval and no default AHT given"
            )
        reports.append(
            staffing_report(
                calls=row.calls,
                interval_seconds=interval_seconds,
                aht_seconds=aht,
                target=target,
                patience_seconds=patience_seconds,
                agents=agents,
                shrinkage=shrinkage,
                max_occupancy=max_occupancy,
                interval_start=row.interval_start,
            )
        )
    return reports
