"""Staff a 96-interval x 50-queue day with Switchboard and with pyworkforce, side by side.

Run: ``python bench/bench_erlang.py`` (about 10-20 s). Exits 1 if the agent counts differ from
pyworkforce's ``ErlangC.required_positions`` or if the vectorised path is not >= 5x faster.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from pyworkforce.queuing import ErlangC
from rich.console import Console
from rich.table import Table

from switchboard.wfm.erlang import (
    agents_for_target,
    agents_for_target_grid,
    erlang_a_agents_for_target,
)
from switchboard.wfm.synthetic import StaffingGrid, intraday_grid

SEED = 20240601  # the same grid as tests/wfm/test_pyworkforce_parity.py
PATIENCE_S = 120.0
REPEATS = 3
GOAL = 5.0

T = TypeVar("T")


def best_of(fn: Callable[[], T], repeats: int = REPEATS) -> tuple[T, float]:
    """Run ``fn`` ``repeats`` times; return its result and the fastest wall time."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return result, best


def cells(grid: StaffingGrid) -> list[tuple[int, int]]:
    rows, cols = grid.calls.shape
    return [(i, j) for i in range(rows) for j in range(cols)]


def pyworkforce_grid(grid: StaffingGrid) -> npt.NDArray[np.int64]:
    out = np.zeros(grid.calls.shape, dtype=np.int64)
    for i, j in cells(grid):
        model = ErlangC(
            transactions=int(grid.calls[i, j]),
            aht=float(grid.aht[i, j]) / 60,
            asa=float(grid.target_time[i, j]) / 60,
            interval=grid.interval / 60,
        )
        res = model.required_positions(
            service_level=float(grid.service_level[i, j]),
            max_occupancy=float(grid.max_occupancy[i, j]),
        )
        out[i, j] = res["raw_positions"]
    return out


def ours_vectorised(grid: StaffingGrid) -> npt.NDArray[np.int64]:
    return agents_for_target_grid(
        grid.load, grid.aht, grid.service_level, grid.target_time, grid.max_occupancy
    )


def ours_scalar(grid: StaffingGrid) -> npt.NDArray[np.int64]:
    out = np.zeros(grid.calls.shape, dtype=np.int64)
    load = grid.load
    for i, j in cells(grid):
        out[i, j] = agents_for_target(
            float(load[i, j]),
            float(grid.aht[i, j]),
            float(grid.service_level[i, j]),
            float(grid.target_time[i, j]),
            max_occupancy=float(grid.max_occupancy[i, j]),
        )
    return out


def ours_erlang_a(grid: StaffingGrid) -> npt.NDArray[np.int64]:
    out = np.zeros(grid.calls.shape, dtype=np.int64)
    load = grid.load
    for i, j in cells(grid):
        out[i, j] = erlang_a_agents_for_target(
            float(load[i, j]),
            float(grid.aht[i, j]),
            PATIENCE_S,
            float(grid.service_level[i, j]),
            float(grid.target_time[i, j]),
            max_occupancy=float(grid.max_occupancy[i, j]),
        )
    return out


def main() -> int:
    console = Console(width=110)
    grid = intraday_grid(np.random.default_rng(SEED), intervals=96, queues=50)
    n_cells = grid.calls.size
    load = grid.load
    console.print(
        f"Grid: 96 intervals x 50 queues = {n_cells} cells, seed {SEED}; "
        f"load {load.min():.2f}-{load.max():.1f} Erlangs (mean {load.mean():.1f}); "
        f"{int((grid.max_occupancy < 1).sum())} cells with an occupancy cap"
    )
    theirs, t_pw = best_of(lambda: pyworkforce_grid(grid))
    vec, t_vec = best_of(lambda: ours_vectorised(grid))
    scal, t_scal = best_of(lambda: ours_scalar(grid))
    erl_a, t_a = best_of(lambda: ours_erlang_a(grid), repeats=1)

    same_vec = int((vec == theirs).sum())
    same_scal = int((scal == theirs).sum())
    table = Table(title=f"Erlang staffing, {n_cells} cells (best of {REPEATS})")
    for name in ("Method", "Time", "Per cell", "Speed vs pyworkforce", "Agents = pyworkforce"):
        table.add_column(name, justify="left" if name == "Method" else "right")

    def row(name: str, secs: float, same: str) -> None:
        table.add_row(
            name,
            f"{secs * 1e3:.1f} ms",
            f"{secs / n_cells * 1e6:.1f} µs",
            f"{t_pw / secs:.1f}x",
            same,
        )

    row("pyworkforce 0.5.1: ErlangC(...).required_positions loop", t_pw, "—")
    row("ours: agents_for_target_grid (vectorised)", t_vec, f"{same_vec}/{n_cells}")
    row("ours: agents_for_target (scalar loop)", t_scal, f"{same_scal}/{n_cells}")
    row(
        f"ours: erlang_a_agents_for_target (exact, patience {PATIENCE_S:g} s)",
        t_a,
        "other model",
    )
    console.print(table)
    diff = erl_a - vec
    console.print(
        f"Erlang A vs Erlang C agents: total {int(erl_a.sum())} vs {int(vec.sum())} "
        f"(mean difference {diff.mean():+.2f}, range {int(diff.min())}..{int(diff.max())})"
    )
    ok = same_vec == n_cells and same_scal == n_cells and t_pw / t_vec >= GOAL
    console.print(
        f"identical agent counts: {same_vec == n_cells}; "
        f"speed ratio {t_pw / t_vec:.1f}x (goal >= {GOAL:g}x): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
