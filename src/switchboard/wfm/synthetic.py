"""A reproducible synthetic staffing grid (intervals x queues) for benchmarks and tests.

Each queue gets a daily volume, an intraday double-hump profile, an AHT, a service-level target
and an occupancy cap; each interval gets an integer call count and an integer AHT in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["StaffingGrid", "intraday_grid"]

_TARGETS = ((0.8, 20.0), (0.9, 30.0), (0.7, 60.0), (0.8, 30.0), (0.95, 15.0), (0.85, 10.0))
_OCCUPANCY_CAPS = (1.0, 1.0, 0.85, 0.9)


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffingGrid:
    """Arrays of shape ``(intervals, queues)``; times in seconds."""

    calls: npt.NDArray[np.int64]
    """Calls offered per interval (>= 1)."""
    interval: float
    """Interval length in seconds."""
    aht: npt.NDArray[np.int64]
    """Average handling time per cell, whole seconds."""
    service_level: npt.NDArray[np.float64]
    """Target fraction answered within ``target_time``."""
    target_time: npt.NDArray[np.float64]
    """Target answer time in seconds."""
    max_occupancy: npt.NDArray[np.float64]
    """Occupancy cap per cell (1.0 = no cap)."""

    @property
    def load(self) -> npt.NDArray[np.float64]:
        """Offered load in Erlangs per cell."""
        return self.calls * self.aht / self.interval


def intraday_grid(
    rng: np.random.Generator, *, intervals: int = 96, queues: int = 50
) -> StaffingGrid:
    """Build a grid of ``intervals`` equal slices of one day for ``queues`` queues."""
    interval = 86_400.0 / intervals
    hours = (np.arange(intervals) + 0.5) * 24.0 / intervals
    shape = (
        0.05
        + np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2)
        + 0.8 * np.exp(-0.5 * ((hours - 15.0) / 2.2) ** 2)
    )
    shape /= shape.sum()
    daily = np.exp(rng.uniform(np.log(300.0), np.log(30_000.0), size=queues))
    mean_calls = shape[:, None] * daily[None, :] * rng.uniform(0.9, 1.1, (intervals, queues))
    calls = np.maximum(1, rng.poisson(mean_calls)).astype(np.int64)
    base_aht = rng.uniform(120.0, 600.0, size=queues)
    aht = np.rint(base_aht[None, :] * rng.uniform(0.9, 1.1, (intervals, queues))).astype(np.int64)
    pick = rng.integers(0, len(_TARGETS), size=queues)
    sl = np.array([_TARGETS[i][0] for i in pick])
    tt = np.array([_TARGETS[i][1] for i in pick])
    occ = np.array(_OCCUPANCY_CAPS)[rng.integers(0, len(_OCCUPANCY_CAPS), size=queues)]
    full = (intervals, queues)
    return StaffingGrid(
        calls=calls,
        interval=interval,
        aht=aht,
        service_level=np.broadcast_to(sl, full).copy(),
        target_time=np.broadcast_to(tt, full).copy(),
        max_occupancy=np.broadcast_to(occ, full).copy(),
    )
