"""Erlang B / Erlang C: closed forms, exact rational arithmetic, a published example, stability."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from switchboard.wfm.erlang import (
    agents_for_target,
    agents_for_target_grid,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_metrics,
    erlang_c_occupancy,
    erlang_c_service_level,
    offered_load,
    scheduled_agents,
)


def textbook_erlang_c(agents: int, load: Fraction) -> Fraction:
    """The factorial formula, in exact rational arithmetic (only usable for small N)."""
    top = load**agents / math.factorial(agents) * Fraction(agents) / (agents - load)
    bottom = sum(load**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def textbook_erlang_b(agents: int, load: Fraction) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


# ---------------------------------------------------------------- published worked example


def test_callcentrehelper_worked_example() -> None:
    """callcentrehelper.com, "Erlang C Formula - Made Simple With an Easy Worked Example":
    100 calls in 30 minutes, AHT 180 s, target 80% answered in 20 s -> 10 Erlangs, 14 agents.

    Values re-derived here from the textbook formula in exact arithmetic: P(wait) with 14 agents
    = 0.17413, service level = 1 - 0.17413 * exp(-4 * 20/180) = 0.88835 (the article rounds to
    ~88.8-88.9%), ASA = 0.17413 * 180 / 4 = 7.84 s, occupancy 71.4%; 13 agents give 79.56%.
    """
    load = offered_load(100, 1800, 180)
    assert load == pytest.approx(10.0)
    exact_c14 = float(textbook_erlang_c(14, Fraction(10)))
    assert erlang_c(14, load) == pytest.approx(exact_c14, rel=1e-12)
    assert exact_c14 == pytest.approx(0.17413, abs=5e-6)
    sl14 = 1 - exact_c14 * math.exp(-4 * 20 / 180)
    sl13 = 1 - float(textbook_erlang_c(13, Fraction(10))) * math.exp(-3 * 20 / 180)
    assert sl13 < 0.8 <= sl14
    assert agents_for_target(load, 180, 0.8, 20) == 14
    m = erlang_c_metrics(14, load, 180, 20)
    assert m.service_level == pytest.approx(sl14, rel=1e-12)
    assert m.service_level == pytest.approx(0.8884, abs=1e-4)
    assert m.asa == pytest.approx(exact_c14 * 180 / 4, rel=1e-12)
    assert m.asa == pytest.approx(7.84, abs=0.01)
    assert m.occupancy == pytest.approx(10 / 14)
    assert m.abandonment is None and m.stable


# ---------------------------------------------------------------- known values


@pytest.mark.parametrize("agents", [1, 2, 3, 5, 8, 13, 21, 30])
@pytest.mark.parametrize("load", [Fraction(1, 2), Fraction(7, 3), Fraction(9, 1), Fraction(53, 4)])
def test_matches_exact_rational_formulas(agents: int, load: Fraction) -> None:
    assert erlang_b(agents, float(load)) == pytest.approx(
        float(textbook_erlang_b(agents, load)), rel=1e-12
    )
    if agents > load:
        assert erlang_c(agents, float(load)) == pytest.approx(
            float(textbook_erlang_c(agents, load)), rel=1e-12
        )
    else:
        assert erlang_c(agents, float(load)) == 1.0


def test_erlang_b_table_value() -> None:
    # Classic Erlang B table entry: 10 circuits, 5 Erlangs -> 1.84% blocking.
    assert erlang_b(10, 5.0) == pytest.approx(0.018384570, abs=1e-9)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_single_server_closed_forms(rho: float) -> None:
    """M/M/1: P(wait) = rho, ASA = rho AHT / (1 - rho), SL = 1 - rho exp(-(1 - rho) t / AHT)."""
    aht, t = 240.0, 30.0
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    assert erlang_c_asa(1, rho, aht) == pytest.approx(rho * aht / (1 - rho), rel=1e-12)
    assert erlang_c_service_level(1, rho, aht, t) == pytest.approx(
        1 - rho * math.exp(-(1 - rho) * t / aht), rel=1e-12
    )


def test_two_servers_one_erlang_is_one_third() -> None:
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)


# ---------------------------------------------------------------- unstable and degenerate


@pytest.mark.parametrize(("agents", "load"), [(10, 10.0), (10, 12.5), (0, 3.0), (1, 1.0)])
def test_unstable_queue_is_reported_clearly(agents: int, load: float) -> None:
    m = erlang_c_metrics(agents, load, 180, 20)
    assert not m.stable
    assert m.p_wait == 1.0
    assert m.service_level == 0.0
    assert m.asa == math.inf
    assert m.occupancy == 1.0


def test_zero_load() -> None:
    m = erlang_c_metrics(0, 0.0, 180, 20)
    assert m.stable and m.service_level == 1.0 and m.asa == 0.0 and m.p_wait == 0.0
    assert agents_for_target(0.0, 180, 0.8, 20) == 0
    assert erlang_c_occupancy(3, 0.0) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_c(-1, 2.0),
        lambda: erlang_c(3, -2.0),
        lambda: erlang_c(3, math.nan),
        lambda: erlang_c_service_level(3, 1.0, 0.0, 20),
        lambda: agents_for_target(5.0, 180, 1.0, 20),
        lambda: agents_for_target(5.0, 180, 0.8, 20, max_occupancy=0.0),
        lambda: agents_for_target(5.0, 180, 0.8, 20, max_asa=-1.0),
        lambda: scheduled_agents(10, 1.0),
        lambda: offered_load(10, 0, 180),
    ],
)
def test_invalid_arguments_raise_value_error(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- large systems


def _erlang_b_log_space(agents: int, load: float) -> float:
    """Independent formula: B = Poisson pmf(N) / Poisson cdf(N), both via scipy in log space."""
    log_pmf = stats.poisson.logpmf(agents, load)
    log_cdf = math.log(special.gammaincc(agents + 1, load))
    return math.exp(log_pmf - log_cdf)


@pytest.mark.parametrize(
    ("agents", "load"), [(10_000, 9_900.0), (10_000, 9_990.5), (12_000, 11_000.0), (10_000, 5.0)]
)
def test_ten_thousand_agents_is_stable(agents: int, load: float) -> None:
    b = erlang_b(agents, load)
    assert 0.0 <= b <= 1.0 and math.isfinite(b)
    if b > 1e-300:
        assert b == pytest.approx(_erlang_b_log_space(agents, load), rel=1e-9)
    m = erlang_c_metrics(agents, load, 180, 20)
    assert 0.0 <= m.p_wait <= 1.0 and 0.0 <= m.service_level <= 1.0
    assert math.isfinite(m.asa) and m.stable


def test_staffing_thousands_of_erlangs() -> None:
    load = 9_900.0
    n = agents_for_target(load, 180, 0.8, 20)
    assert erlang_c_service_level(n, load, 180, 20) >= 0.8
    assert erlang_c_service_level(n - 1, load, 180, 20) < 0.8
    assert 9_900 < n < 10_000


# ---------------------------------------------------------------- shrinkage


def test_shrinkage() -> None:
    assert scheduled_agents(14, 0.3) == 20  # exactly 20 in decimal; 14 / 0.7 in binary is 20.0..04
    assert scheduled_agents(14, 0.0) == 14
    assert scheduled_agents(15, 0.3) == 22  # 21.43 -> 22
    assert scheduled_agents(0, 0.5) == 0


@given(agents=st.integers(0, 5000), shrink=st.floats(0.0, 0.95))
def test_shrinkage_is_the_least_sufficient_roster(agents: int, shrink: float) -> None:
    s = scheduled_agents(agents, shrink)
    assert s * (1 - shrink) >= agents - 1e-6
    assert (s - 1) * (1 - shrink) < agents


# ---------------------------------------------------------------- properties

loads = st.floats(0.05, 400.0, allow_nan=False)
ahts = st.floats(10.0, 1200.0)
sl_targets = st.floats(0.05, 0.99)
times = st.floats(0.0, 300.0)


@settings(max_examples=60, deadline=None)
@given(load=loads, aht=ahts, t=times)
def test_service_level_and_asa_monotone_in_agents(load: float, aht: float, t: float) -> None:
    first = math.floor(load) + 1
    sls = [erlang_c_service_level(n, load, aht, t) for n in range(first, first + 40)]
    asas = [erlang_c_asa(n, load, aht) for n in range(first, first + 40)]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(sls))
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(asas))
    assert all(erlang_c(n, load) >= erlang_b(n, load) for n in range(first, first + 40))


@settings(max_examples=80, deadline=None)
@given(load=loads, aht=ahts, sl=sl_targets, t=times, occ=st.none() | st.floats(0.3, 1.0))
def test_agents_for_target_is_minimal(
    load: float, aht: float, sl: float, t: float, occ: float | None
) -> None:
    n = agents_for_target(load, aht, sl, t, max_occupancy=occ)

    def meets(k: int) -> bool:
        ok = k > load and erlang_c_service_level(k, load, aht, t) >= sl
        return ok and (occ is None or load / k <= occ * (1 + 1e-9))

    assert meets(n)
    assert not meets(n - 1)


@settings(max_examples=40, deadline=None)
@given(load=loads, aht=ahts, sl=sl_targets, t=times, asa=st.floats(1.0, 120.0))
def test_asa_cap_is_met_minimally(load: float, aht: float, sl: float, t: float, asa: float) -> None:
    n = agents_for_target(load, aht, sl, t, max_asa=asa)
    assert erlang_c_asa(n, load, aht) <= asa
    assert erlang_c_service_level(n, load, aht, t) >= sl
    below_ok = erlang_c_asa(n - 1, load, aht) <= asa
    below_ok = below_ok and erlang_c_service_level(n - 1, load, aht, t) >= sl
    assert not below_ok


@settings(max_examples=30, deadline=None)
@given(
    cells=st.lists(
        st.tuples(loads, ahts, sl_targets, times, st.sampled_from([1.0, 0.95, 0.85, 0.7])),
        min_size=1,
        max_size=40,
    )
)
def test_grid_equals_scalar(cells: list[tuple[float, float, float, float, float]]) -> None:
    load, aht, sl, t, occ = (np.array(c) for c in zip(*cells, strict=True))
    grid = agents_for_target_grid(load, aht, sl, t, occ)
    scalar = [agents_for_target(*c[:4], max_occupancy=c[4]) for c in cells]
    assert grid.tolist() == scalar


def test_grid_broadcasts_and_handles_zero_load() -> None:
    out = agents_for_target_grid(np.array([[0.0, 10.0], [5.0, 20.0]]), 180.0, 0.8, 20.0)
    assert out.shape == (2, 2)
    assert out[0, 0] == 0
    assert out[0, 1] == 14
    with pytest.raises(ValueError):
        agents_for_target_grid([1.0], 180.0, 1.5, 20.0)
