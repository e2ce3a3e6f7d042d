"""Parity with pyworkforce 0.5.1 (``pyworkforce.queuing.ErlangC``) and the cases where it is wrong.

pyworkforce semantics: ``transactions`` per ``interval`` minutes, ``aht`` minutes, ``asa`` = the
target answer time in minutes; ``required_positions(service_level, max_occupancy)`` returns
``raw_positions`` (agents before shrinkage).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyworkforce.queuing import ErlangC

from switchboard.wfm.erlang import (
    agents_for_target,
    agents_for_target_grid,
    erlang_c_service_level,
    scheduled_agents,
)
from switchboard.wfm.synthetic import intraday_grid


def pyworkforce_positions(
    calls: float, interval_s: float, aht_s: float, sl: float, t_s: float, occ: float = 1.0
) -> int:
    model = ErlangC(transactions=calls, aht=aht_s / 60, asa=t_s / 60, interval=interval_s / 60)
    return int(model.required_positions(service_level=sl, max_occupancy=occ)["raw_positions"])


BENCH_SEED = 20240601  # the grid bench/bench_erlang.py uses


def _both(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    grid = intraday_grid(np.random.default_rng(seed), intervals=96, queues=50)
    ours = agents_for_target_grid(
        grid.load, grid.aht, grid.service_level, grid.target_time, grid.max_occupancy
    )
    theirs = np.array(
        [
            [
                pyworkforce_positions(
                    float(grid.calls[i, j]),
                    grid.interval,
                    float(grid.aht[i, j]),
                    float(grid.service_level[i, j]),
                    float(grid.target_time[i, j]),
                    float(grid.max_occupancy[i, j]),
                )
                for j in range(grid.calls.shape[1])
            ]
            for i in range(grid.calls.shape[0])
        ]
    )
    assert (grid.max_occupancy < 1).any()  # the occupancy cap is exercised too
    return ours, theirs, grid.load, grid.max_occupancy


def test_identical_agent_counts_on_the_bench_grid() -> None:
    ours, theirs, _, _ = _both(BENCH_SEED)
    assert ours.shape == theirs.shape == (96, 50)
    mismatches = np.argwhere(ours != theirs)
    assert mismatches.size == 0, f"cells differ: {mismatches[:10].tolist()}"


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_every_difference_on_other_grids_is_a_documented_pyworkforce_defect(seed: int) -> None:
    """Over other random grids the counts agree except where pyworkforce hits one of the two
    defects pinned below (seed 7 has one: 510 calls / 15 min, AHT 162 s, A = 91.8, cap 90%:
    91.8 / 0.9 = 102 exactly, pyworkforce asks for 103)."""
    ours, theirs, load, occ = _both(seed)
    for i, j in np.argwhere(ours != theirs):
        a, n, cap = float(load[i, j]), int(ours[i, j]), float(occ[i, j])
        occupancy_fuzz = theirs[i, j] == n + 1 and math.isclose(a / n, cap, rel_tol=1e-12)
        skipped_start = n == math.floor(a) + 1 and a - math.floor(a) >= 0.5
        assert occupancy_fuzz or skipped_start, (seed, i, j, a, n, theirs[i, j])


def test_pyworkforce_start_point_skips_a_valid_smaller_n() -> None:
    """pyworkforce 0.5.1, queuing/erlang.py, ErlangC.required_positions starts its search at
    ``round(intensity + 1)``. When the fractional part of A is >= 0.5 that is floor(A) + 2, so
    N = floor(A) + 1 is never tried even when it meets the target.

    6 calls / 30 min, AHT 3 min -> A = 0.6; target 50% answered within 3 min. One agent gives
    SL = 1 - 0.6 exp(-0.4) = 0.598 >= 0.5, so exact theory says 1; pyworkforce says 2.
    """
    assert pyworkforce_positions(6, 1800, 180, 0.5, 180) == 2
    assert erlang_c_service_level(1, 0.6, 180, 180) == pytest.approx(1 - 0.6 * math.exp(-0.4))
    assert erlang_c_service_level(1, 0.6, 180, 180) >= 0.5
    assert agents_for_target(0.6, 180, 0.5, 180) == 1


def test_pyworkforce_occupancy_cap_rounds_binary_fuzz_up() -> None:
    """pyworkforce 0.5.1, queuing/erlang.py, ErlangC.required_positions applies the occupancy cap
    as ``ceil(intensity / max_occupancy)``. 105 calls / 30 min with AHT 6 min is A = 21 Erlangs;
    21 / 0.7 is 30 in decimal but 30.000000000000004 in binary, so it asks for 31 agents although
    30 agents run at exactly 70% occupancy. We round the quotient to 9 decimals first."""
    assert pyworkforce_positions(105, 1800, 360, 0.8, 20, occ=0.7) == 31
    ours = agents_for_target(21.0, 360, 0.8, 20, max_occupancy=0.7)
    assert ours == 30
    assert 21 / 30 == 0.7


def test_pyworkforce_shrinkage_rounds_binary_fuzz_up() -> None:
    """pyworkforce 0.5.1 computes ``positions = ceil(raw_positions / (1 - shrinkage))``;
    21 / (1 - 0.3) = 30.000000000000004 -> 31, where 30 agents x 70% = 21 exactly."""
    model = ErlangC(transactions=1, aht=1, asa=1, interval=30, shrinkage=0.3)
    assert math.ceil(21 / (1 - model.shrinkage)) == 31
    assert scheduled_agents(21, 0.3) == 30
