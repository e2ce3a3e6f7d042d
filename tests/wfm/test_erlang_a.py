"""Erlang A (M/M/N+M): against a brute-force Markov-chain solution, identities, limits, scale."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg

from switchboard.wfm.erlang import (
    erlang_a_agents_for_target,
    erlang_a_metrics,
    erlang_c_metrics,
)


def brute_force(
    agents: int, load: float, aht: float, patience: float, t: float, cap: int = 400
) -> dict[str, float]:
    """Independent reference: truncated generator matrix solved by linear algebra, and the
    tagged caller's progress through the queue as an absorbing chain solved with ``expm``."""
    lam, mu, theta = load / aht, 1 / aht, 1 / patience
    size = agents + cap + 1
    q = np.zeros((size, size))
    for s in range(size):
        if s + 1 < size:
            q[s, s + 1] = lam
        if s > 0:
            q[s, s - 1] = min(s, agents) * mu + max(0, s - agents) * theta
        q[s, s] = -q[s].sum()
    a_mat = np.vstack([q.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(a_mat, rhs, rcond=None)[0]
    p_free = pi[:agents].sum()
    queued = pi[agents:]
    cap = queued.size
    # Tagged caller with j callers ahead (j = 0..cap-1): moves forward at N mu + j theta,
    # abandons at theta. States 0..cap-1 transient, cap = served, cap+1 = abandoned.
    m = cap + 2
    g = np.zeros((m, m))
    for j in range(cap):
        g[j, j - 1 if j > 0 else cap] = agents * mu + j * theta
        g[j, cap + 1] = theta
        g[j, j] = -(agents * mu + j * theta + theta)
    p_t = linalg.expm(g * t)
    served_by_t = p_t[:cap, cap]
    transient = g[:cap, :cap]
    exit_served = np.zeros(cap)
    exit_served[0] = agents * mu
    # P(served | j) and E[W 1{served} | j] from the fundamental matrix.
    fund = np.linalg.inv(-transient)
    p_served = fund @ exit_served
    w_served = fund @ (fund @ exit_served)
    k = np.arange(cap)
    served = p_free + float(queued @ p_served)
    return {
        "p_wait": float(queued.sum()),
        "service_level": p_free + float(queued @ served_by_t),
        "abandonment": 1 - served,
        "asa": float(queued @ w_served) / served,
        "mean_wait": float(queued @ k) / lam,
    }


@pytest.mark.parametrize(
    ("agents", "load", "aht", "patience", "t"),
    [
        (14, 10.0, 180.0, 120.0, 20.0),
        (5, 6.0, 300.0, 60.0, 30.0),  # overloaded: only abandonment keeps it stable
        (1, 0.7, 200.0, 400.0, 10.0),
        (20, 18.0, 240.0, 90.0, 0.0),
        (8, 5.0, 150.0, 30.0, 60.0),
    ],
)
def test_matches_brute_force_chain(
    agents: int, load: float, aht: float, patience: float, t: float
) -> None:
    ref = brute_force(agents, load, aht, patience, t)
    m = erlang_a_metrics(agents, load, aht, patience, t)
    assert m.model == "erlang_a"
    assert m.p_wait == pytest.approx(ref["p_wait"], abs=1e-9)
    assert m.service_level == pytest.approx(ref["service_level"], abs=1e-9)
    assert m.abandonment == pytest.approx(ref["abandonment"], abs=1e-9)
    assert m.asa == pytest.approx(ref["asa"], rel=1e-8)
    assert m.mean_wait == pytest.approx(ref["mean_wait"], rel=1e-8)


def test_converges_to_erlang_c_as_patience_grows() -> None:
    c = erlang_c_metrics(14, 10.0, 180, 20)
    gaps = []
    for patience in (1e3, 1e5, 1e7, 1e9):
        a = erlang_a_metrics(14, 10.0, 180, patience, 20)
        gaps.append(abs(a.service_level - c.service_level))
        assert a.abandonment is not None
    assert all(b < a for a, b in itertools.pairwise(gaps))
    a = erlang_a_metrics(14, 10.0, 180, 1e9, 20)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.p_wait == pytest.approx(c.p_wait, abs=1e-6)
    assert a.asa == pytest.approx(c.asa, rel=1e-5)
    assert a.occupancy == pytest.approx(c.occupancy, rel=1e-6)
    assert a.abandonment == pytest.approx(0.0, abs=1e-6)


def test_large_pool_at_low_load_never_abandons() -> None:
    m = erlang_a_metrics(200, 20.0, 180, 30, 20)
    assert m.abandonment is not None and m.abandonment < 1e-12
    assert m.service_level == pytest.approx(1.0, abs=1e-12)
    assert m.occupancy == pytest.approx(0.1, rel=1e-9)


def test_ten_thousand_agents() -> None:
    m = erlang_a_metrics(10_000, 9_950.0, 180, 120, 20)
    assert m.abandonment is not None
    for p in (m.p_wait, m.service_level, m.abandonment, m.occupancy):
        assert 0.0 <= p <= 1.0 and math.isfinite(p)
    # Identities that hold only if the stationary law is right (see the property test below).
    assert m.abandonment == pytest.approx(m.mean_wait / 120, rel=1e-9)
    assert m.occupancy * 10_000 == pytest.approx(9_950 * (1 - m.abandonment), rel=1e-9)
    n = erlang_a_agents_for_target(9_950.0, 180, 120, 0.8, 20)
    assert erlang_a_metrics(n, 9_950.0, 180, 120, 20).service_level >= 0.8
    assert erlang_a_metrics(n - 1, 9_950.0, 180, 120, 20).service_level < 0.8


def test_zero_agents_means_everyone_abandons() -> None:
    m = erlang_a_metrics(0, 3.0, 180, 60, 20)
    assert m.abandonment == pytest.approx(1.0)
    assert m.service_level == 0.0 and m.asa == math.inf and m.p_wait == pytest.approx(1.0)


def test_zero_load() -> None:
    m = erlang_a_metrics(3, 0.0, 180, 60, 20)
    assert m.service_level == 1.0 and m.abandonment == 0.0
    assert erlang_a_agents_for_target(0.0, 180, 60, 0.8, 20) == 0


def test_rejects_bad_patience() -> None:
    with pytest.raises(ValueError):
        erlang_a_metrics(3, 1.0, 180, 0.0, 20)
    with pytest.raises(ValueError):
        erlang_a_metrics(3, 1.0, 180, math.inf, 20)


agents_st = st.integers(1, 60)
load_st = st.floats(0.1, 80.0)
aht_st = st.floats(30.0, 900.0)
patience_st = st.floats(5.0, 3000.0)
t_st = st.floats(0.0, 120.0)


@settings(max_examples=60, deadline=None)
@given(n=agents_st, load=load_st, aht=aht_st, patience=patience_st, t=t_st)
def test_identities(n: int, load: float, aht: float, patience: float, t: float) -> None:
    """Two independent routes to the same figure must agree:
    abandonment = theta E[Q] / lambda = mean wait / patience, and carried load = busy agents."""
    m = erlang_a_metrics(n, load, aht, patience, t)
    assert m.abandonment is not None
    assert m.abandonment == pytest.approx(m.mean_wait / patience, rel=1e-7, abs=1e-13)
    assert m.occupancy * n == pytest.approx(load * (1 - m.abandonment), rel=1e-7, abs=1e-12)
    assert m.service_level <= 1 - m.abandonment + 1e-12
    assert 1 - m.p_wait <= m.service_level + 1e-12


@settings(max_examples=40, deadline=None)
@given(load=load_st, aht=aht_st, patience=patience_st, t=t_st)
def test_monotone_in_agents(load: float, aht: float, patience: float, t: float) -> None:
    first = max(1, math.floor(load * 0.7))
    ms = [erlang_a_metrics(n, load, aht, patience, t) for n in range(first, first + 25)]
    for lo, hi in itertools.pairwise(ms):
        assert lo.abandonment is not None and hi.abandonment is not None
        assert hi.abandonment <= lo.abandonment + 1e-12
        assert hi.service_level >= lo.service_level - 1e-12
        assert hi.asa <= lo.asa * (1 + 1e-9) + 1e-12
        assert hi.occupancy <= lo.occupancy + 1e-12


@settings(max_examples=30, deadline=None)
@given(
    load=load_st, aht=aht_st, patience=patience_st, t=t_st, sl=st.floats(0.1, 0.95),
    occ=st.none() | st.floats(0.5, 1.0),
)  # fmt: skip
def test_agents_for_target_is_minimal(
    load: float, aht: float, patience: float, t: float, sl: float, occ: float | None
) -> None:
    n = erlang_a_agents_for_target(load, aht, patience, sl, t, max_occupancy=occ)

    def meets(k: int) -> bool:
        m = erlang_a_metrics(k, load, aht, patience, t)
        return m.service_level >= sl and (occ is None or m.occupancy <= occ)

    assert meets(n)
    assert n == 1 or not meets(n - 1)
