"""Per-queue, per-interval KPI rows from a run, for tables, CSV and JSON."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from switchboard.core.metrics import Metrics

COLUMNS = (
    "interval", "queue", "offered", "answered", "abandoned", "short_abandoned", "overflowed",
    "service_level", "service_level_offered", "service_level_net", "asa", "aht",
    "abandon_rate", "abandon_rate_net", "transfer_rate", "average_hold", "longest_wait",
    "occupancy",
)


def _clean(value: float) -> float | None:
    return None if isinstance(value, float) and math.isnan(value) else value


def clock_label(seconds: float, start: float) -> str:
    """Interval start as ``HH:MM`` (``d2 HH:MM`` from the second day), from the run's start."""
    t = start + seconds
    day, rest = divmod(round(t), 86400)
    label = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"d{day + 1} {label}" if day else label


def rows(metrics: Metrics, *, start: float = 0.0, total: bool = True) -> list[dict[str, Any]]:
    """One row per queue per interval, then (``total``) one row per queue for the whole run.

    Occupancy is center-wide for the interval (agents serve several queues).
    """
    out: list[dict[str, Any]] = []
    queue_ids = sorted(metrics.queues)
    for bucket in metrics.buckets():
        occupancy = _clean(metrics.occupancy(bucket=bucket))
        for queue_id in queue_ids:
            if bucket not in metrics.queues[queue_id]:
                continue
            out.append(_row(metrics, queue_id, bucket,
                            clock_label(bucket * metrics.interval, start), occupancy))
    if total:
        occupancy = _clean(metrics.occupancy())
        for queue_id in queue_ids:
            out.append(_row(metrics, queue_id, None, "total", occupancy))
        out.append(_row(metrics, None, None, "total", occupancy))
    return out


def _row(metrics: Metrics, queue_id: str | None, bucket: int | None, label: str,
         occupancy: float | None) -> dict[str, Any]:
    k = metrics.kpis(queue_id, bucket)
    row: dict[str, Any] = {"interval": label, "queue": queue_id or "ALL"}
    for name in COLUMNS[2:-1]:
        row[name] = _clean(getattr(k, name))
    row["occupancy"] = occupancy
    return row


def write_csv(path: Path, table: Sequence[dict[str, Any]]) -> None:
    """Write rows as CSV with a header (empty cells where a ratio has no denominator)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in table:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
