"""Erlang B, Erlang C and Erlang A (M/M/N+M) queueing formulas for staffing.

Theory of operation
-------------------
All functions take the *offered load* ``A`` in Erlangs (arrival rate x mean handling time) and
times (AHT, answer-time target, patience) in one consistent unit, seconds by convention.

* Erlang B uses the stable recursion ``B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1))``: no factorial,
  no overflow, O(N), exact to rounding for 10,000+ agents and loads of thousands of Erlangs.
* Erlang C (M/M/N, infinite patience) is derived from it:
  ``C = N B / (N - A (1 - B))`` for ``N > A``. With ``N <= A`` the queue is unstable: every call
  waits (``C = 1``), the service level is 0, the ASA is infinite and occupancy is 1.
* Erlang A (M/M/N+M, exponential patience) is solved exactly as a birth-death chain in log space
  (see :func:`erlang_a_metrics` and ``docs/erlang.md``); the answer-time distribution uses the
  closed form ``P(served, wait <= t | k queued ahead) = a/(a+k+1) * I_x(k+1, a+1)`` where ``I`` is
  the regularised incomplete beta function, ``a = N mu / theta`` and ``x = 1 - exp(-theta t)``.

Staffing searches return the *minimum* number of agents meeting every constraint given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "QueueMetrics",
    "agents_for_target",
    "agents_for_target_grid",
    "erlang_a_agents_for_target",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_metrics",
    "erlang_c_occupancy",
    "erlang_c_service_level",
    "offered_load",
    "scheduled_agents",
]

Model = Literal["erlang_c", "erlang_a"]

#: Relative size below which the infinite queue tail of Erlang A is cut off.
TAIL_TOLERANCE = 1e-16
#: Hard cap on the number of queue states kept for Erlang A (guards absurd patience values).
MAX_QUEUE_STATES = 20_000_000
#: Agents advanced per step of the vectorised grid search.
_GRID_BLOCK = 32


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueMetrics:
    """Steady-state performance of one queue with a given number of agents.

    Times are in the unit of the inputs (seconds by convention).
    """

    model: Model
    """``"erlang_c"`` (no abandonment) or ``"erlang_a"`` (exponential patience)."""
    agents: int
    """Number of agents N answering the queue."""
    offered_load: float
    """Offered load A in Erlangs (arrival rate x AHT)."""
    p_wait: float
    """Probability that an arriving call finds every agent busy and has to queue."""
    service_level: float
    """Fraction of *all* arriving calls answered within the target time (abandons count as
    misses)."""
    asa: float
    """Average speed of answer: mean wait of answered calls (``inf`` if none are answered)."""
    mean_wait: float
    """Mean time in queue over all arrivals, abandoned ones included (equals ``asa`` for C)."""
    occupancy: float
    """Carried load / N: the fraction of time an agent is busy (1.0 when unstable)."""
    abandonment: float | None
    """Probability that a call abandons (Erlang A); ``None`` for Erlang C."""
    stable: bool
    """False when the model has no steady state (Erlang C with N <= A)."""


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer) or agents < 0:
        raise ValueError(f"agents must be a non-negative integer, got {agents!r}")


def _check_nonneg(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _check_positive(name: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")


def offered_load(calls: float, interval: float, aht: float) -> float:
    """Offered load in Erlangs: ``calls`` arriving per ``interval``, each taking ``aht``.

    ``interval`` and ``aht`` must be in the same unit.
    """
    _check_nonneg("calls", calls)
    _check_positive("interval", interval)
    _check_positive("aht", aht)
    return calls * aht / interval


def scheduled_agents(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` remain after ``shrinkage`` (breaks, training...).

    ``ceil(N / (1 - shrinkage))``. The quotient is rounded to 9 decimals before the ceiling so
    that binary floating point does not turn an exact quotient (``14 / 0.7 = 20``) into 21.
    """
    _check_agents(agents)
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


# --------------------------------------------------------------------------------------------
# Erlang B / Erlang C
# --------------------------------------------------------------------------------------------


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of an M/M/N/N loss system (Erlang B), by the stable recursion."""
    _check_agents(agents)
    _check_nonneg("load", load)
    b = 1.0
    for n in range(1, agents + 1):
        ab = load * b
        b = ab / (n + ab)
    return b


def _c_from_b(agents: int, load: float, b: float) -> float:
    """Erlang C from Erlang B for a stable queue (``agents > load``)."""
    return agents * b / (agents - load * (1.0 - b))


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting in an M/M/N queue (Erlang C); 1.0 when ``agents <= load``."""
    _check_agents(agents)
    _check_nonneg("load", load)
    if load == 0.0:
        return 0.0
    if agents <= load:
        return 1.0
    return _c_from_b(agents, load, erlang_b(agents, load))


def _c_service_level(agents: int, load: float, c: float, aht: float, target_time: float) -> float:
    if agents <= load:
        return 0.0 if load > 0 else 1.0
    return max(0.0, 1.0 - c * math.exp(-(agents - load) * target_time / aht))


def erlang_c_service_level(agents: int, load: float, aht: float, target_time: float) -> float:
    """Erlang C service level ``P(wait <= t) = 1 - C exp(-(N - A) t / AHT)``; 0 if unstable."""
    _check_positive("aht", aht)
    _check_nonneg("target_time", target_time)
    return _c_service_level(agents, load, erlang_c(agents, load), aht, target_time)


def erlang_c_asa(agents: int, load: float, aht: float) -> float:
    """Erlang C average speed of answer ``C AHT / (N - A)``; ``inf`` if ``agents <= load``."""
    _check_positive("aht", aht)
    c = erlang_c(agents, load)
    if load == 0.0:
        return 0.0
    if agents <= load:
        return math.inf
    return c * aht / (agents - load)


def erlang_c_occupancy(agents: int, load: float) -> float:
    """Agent occupancy ``A / N`` capped at 1.0 (an unstable queue keeps everyone busy)."""
    _check_agents(agents)
    _check_nonneg("load", load)
    if load == 0.0:
        return 0.0
    if agents <= load:
        return 1.0
    return load / agents


def erlang_c_metrics(agents: int, load: float, aht: float, target_time: float) -> QueueMetrics:
    """All Erlang C figures for ``agents`` answering ``load`` Erlangs."""
    _check_positive("aht", aht)
    _check_nonneg("target_time", target_time)
    c = erlang_c(agents, load)
    asa = erlang_c_asa(agents, load, aht)
    return QueueMetrics(
        model="erlang_c",
        agents=int(agents),
        offered_load=load,
        p_wait=c,
        service_level=_c_service_level(agents, load, c, aht, target_time),
        asa=asa,
        mean_wait=asa,
        occupancy=erlang_c_occupancy(agents, load),
        abandonment=None,
        stable=agents > load or load == 0.0,
    )


def _occupancy_floor(load: float, max_occupancy: float | None) -> int:
    """Smallest N with ``load / N <= max_occupancy`` (0 when there is no cap).

    Like :func:`scheduled_agents`, the quotient is rounded to 9 decimals before the ceiling:
    ``11.9 / 0.7`` is 17 in decimal but ``17.000000000000004`` in binary floating point.
    """
    if max_occupancy is None or load == 0.0:
        return 0
    return max(1, math.ceil(round(load / max_occupancy, 9)))


def _check_targets(
    service_level: float, target_time: float, max_occupancy: float | None, max_asa: float | None
) -> None:
    _check_fraction("service_level", service_level)
    _check_nonneg("target_time", target_time)
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if max_asa is not None:
        _check_positive("max_asa", max_asa)


def agents_for_target(
    load: float,
    aht: float,
    service_level: float,
    target_time: float,
    *,
    max_occupancy: float | None = None,
    max_asa: float | None = None,
) -> int:
    """Minimum agents so that Erlang C answers ``service_level`` of calls within ``target_time``.

    Optionally also ``A / N <= max_occupancy`` and ``ASA <= max_asa``. Every stable N from
    ``floor(A) + 1`` upwards is examined, in one O(N) pass of the Erlang B recursion.
    Returns 0 for a load of 0.
    """
    _check_nonneg("load", load)
    _check_positive("aht", aht)
    _check_targets(service_level, target_time, max_occupancy, max_asa)
    if load == 0.0:
        return 0
    n_min = max(math.floor(load) + 1, _occupancy_floor(load, max_occupancy))
    b = 1.0
    n = 0
    while True:
        n += 1
        ab = load * b
        b = ab / (n + ab)
        if n < n_min:
            continue
        c = _c_from_b(n, load, b)
        if 1.0 - c * math.exp(-(n - load) * target_time / aht) < service_level:
            continue
        if max_asa is not None and c * aht / (n - load) > max_asa:
            continue
        return n


def agents_for_target_grid(
    load: npt.ArrayLike,
    aht: npt.ArrayLike,
    service_level: npt.ArrayLike,
    target_time: npt.ArrayLike,
    max_occupancy: npt.ArrayLike | None = None,
    max_asa: npt.ArrayLike | None = None,
) -> npt.NDArray[np.int64]:
    """Vectorised :func:`agents_for_target` (Erlang C) over broadcast arrays of cells.

    The Erlang B recursion advances all unfinished cells at once, a block of agents at a time,
    and each block is tested with whole-matrix operations, so the Python work grows with
    ``max(N)``, not with the number of cells. Each cell sees the same arithmetic, in the same
    order, as :func:`agents_for_target`, so the counts are the same.
    """
    arrays = [np.asarray(load, dtype=float), np.asarray(aht, dtype=float)]
    arrays += [np.asarray(service_level, dtype=float), np.asarray(target_time, dtype=float)]
    arrays.append(np.asarray(1.0 if max_occupancy is None else max_occupancy, dtype=float))
    arrays.append(np.asarray(math.inf if max_asa is None else max_asa, dtype=float))
    bl, ba, bs, bt, bo, bq = np.broadcast_arrays(*arrays)
    shape = bl.shape
    a, h, sl, tt = bl.ravel(), ba.ravel(), bs.ravel(), bt.ravel()
    occ, qmax = bo.ravel(), bq.ravel()
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise ValueError("load must be finite and >= 0")
    if np.any(~(h > 0)) or np.any(~np.isfinite(h)):
        raise ValueError("aht must be finite and > 0")
    if np.any(~((sl > 0) & (sl < 1))):
        raise ValueError("service_level must be strictly between 0 and 1")
    if np.any(~(tt >= 0)):
        raise ValueError("target_time must be >= 0")
    if np.any(~((occ > 0) & (occ <= 1))):
        raise ValueError("max_occupancy must be in (0, 1]")
    if np.any(~(qmax > 0)):
        raise ValueError("max_asa must be > 0")

    result = np.zeros(a.size, dtype=np.int64)
    n_min = np.floor(a).astype(np.int64) + 1
    if max_occupancy is not None:
        capped = np.flatnonzero((a > 0) & (occ < 1.0))
        n_occ = [_occupancy_floor(float(a[i]), float(occ[i])) for i in capped]
        n_min[capped] = np.maximum(n_min[capped], np.asarray(n_occ, dtype=np.int64))
    idx = np.flatnonzero(a > 0)
    a, h, sl, tt, qmax, n_min = a[idx], h[idx], sl[idx], tt[idx], qmax[idx], n_min[idx]
    b = np.ones(idx.size)
    n0 = 0  # b holds Erlang B at n0 agents for every unfinished cell
    while idx.size:
        # Advance the recursion a block of agents at a time, keeping every B(n), then test
        # all (n, cell) pairs of the block in a few whole-matrix operations.
        block = np.empty((_GRID_BLOCK, idx.size))
        for k in range(_GRID_BLOCK):
            ab = a * b
            b = ab / (n0 + k + 1 + ab)
            block[k] = b
        ns = np.arange(n0 + 1, n0 + _GRID_BLOCK + 1)[:, None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = ns * block / (ns - a * (1.0 - block))
            ok = (ns >= n_min) & (1.0 - c * np.exp(-(ns - a) * tt / h) >= sl)
            ok &= c * h / (ns - a) <= qmax
        done = ok.any(axis=0)
        result[idx[done]] = n0 + 1 + ok.argmax(axis=0)[done]
        keep = ~done
        idx, a, h, sl, tt, qmax, n_min, b = (
            idx[keep],
            a[keep],
            h[keep],
            sl[keep],
            tt[keep],
            qmax[keep],
            n_min[keep],
            b[keep],
        )
        n0 += _GRID_BLOCK
    return result.reshape(shape)


# --------------------------------------------------------------------------------------------
# Erlang A (M/M/N+M)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ChainA:
    """Stationary law of the M/M/N+M chain, in units where the mean handling time is 1."""

    log_low: npt.NDArray[np.float64]  # log pi_n, n = 0..N (normalised)
    log_queue: npt.NDArray[np.float64]  # log pi_{N+k}, k = 0..K (normalised)
    gamma: float  # abandonment rate / service rate = AHT / patience


def _queue_log_terms(
    agents: int, load: float, gamma: float, log_top: float
) -> npt.NDArray[np.float64]:
    """Unnormalised ``log pi_{N+k} - log pi_N`` for k = 0..K, K chosen by the tail bound.

    Term k+1 / term k = A / (N + (k+1) gamma) decreases in k; once that ratio r < 1 the rest of
    the tail is below ``term * r / (1 - r)`` and we stop when that is under ``TAIL_TOLERANCE``
    times the largest state probability seen (``log_top``, relative to pi_N).
    """
    log_a = math.log(load)
    pieces: list[npt.NDArray[np.float64]] = [np.zeros(1)]
    last = 0.0
    start, chunk = 1, 256
    log_tol = math.log(TAIL_TOLERANCE)
    while True:
        j = np.arange(start, start + chunk, dtype=float)
        steps = log_a - np.log(agents + j * gamma)
        logs = last + np.cumsum(steps)
        top = max(log_top, float(logs.max()))
        r = np.exp(steps)
        with np.errstate(divide="ignore"):
            bound = logs + np.log(r) - np.log1p(-np.minimum(r, 1.0))
        done = np.flatnonzero((r < 1.0) & (bound < top + log_tol))
        if done.size:
            pieces.append(logs[: done[0] + 1])
            return np.concatenate(pieces)
        pieces.append(logs)
        log_top, last = top, float(logs[-1])
        start += chunk
        chunk *= 2
        if start > MAX_QUEUE_STATES:
            raise ValueError(
                "Erlang A queue tail does not converge within "
                f"{MAX_QUEUE_STATES} states; patience is too long for this load (use Erlang C)"
            )


def _solve_chain_a(agents: int, load: float, gamma: float) -> _ChainA:
    """Exact stationary distribution of M/M/N+M, computed in log space (no overflow)."""
    n = np.arange(agents + 1, dtype=float)
    log_low = n * math.log(load) - special.gammaln(n + 1.0)  # relative to pi_0
    log_pn = float(log_low[-1])
    log_queue = log_pn + _queue_log_terms(agents, load, gamma, float(log_low.max()) - log_pn)
    log_total = float(special.logsumexp(np.concatenate([log_low[:-1], log_queue])))
    return _ChainA(log_low=log_low - log_total, log_queue=log_queue - log_total, gamma=gamma)


def erlang_a_metrics(
    agents: int, load: float, aht: float, patience: float, target_time: float
) -> QueueMetrics:
    """Exact Erlang A (M/M/N+M) figures: Poisson arrivals, exponential handling times with mean
    ``aht`` and exponential patience with mean ``patience``; FCFS queue.

    With k callers already queued, an arrival is answered with probability ``a / (a + k + 1)``
    (``a = N AHT / patience``), within ``t`` with probability ``a/(a+k+1) I_x(k+1, a+1)``, and if
    answered waits on average ``sum_{i=1..k+1} 1 / (N mu + i theta)``. These are weighted by the
    state probabilities seen on arrival (PASTA). See ``docs/erlang.md`` for the derivation.
    """
    _check_agents(agents)
    _check_nonneg("load", load)
    _check_positive("aht", aht)
    _check_positive("patience", patience)
    _check_nonneg("target_time", target_time)
    if load == 0.0:
        return QueueMetrics(
            model="erlang_a", agents=int(agents), offered_load=0.0, p_wait=0.0,
            service_level=1.0, asa=0.0, mean_wait=0.0, occupancy=0.0, abandonment=0.0,
            stable=True,
        )  # fmt: skip
    gamma = aht / patience
    chain = _solve_chain_a(agents, load, gamma)
    pi_low = np.exp(chain.log_low)
    pi_q = np.exp(chain.log_queue)
    k = np.arange(pi_q.size, dtype=float)
    a = agents / gamma  # N mu / theta
    p_wait = float(pi_q.sum())
    p_not_full = float(pi_low[:-1].sum())
    p_served_k = a / (a + k + 1.0)
    # Mean wait until service of those served from state k: sum_{i=1}^{k+1} 1/(N + i gamma),
    # in AHT units (tilted hypoexponential: rates N + i gamma, i = 1..k+1).
    h_k = np.cumsum(1.0 / (agents + gamma * (k + 1.0)))
    x = -math.expm1(-gamma * target_time / aht)
    within = special.betainc(k + 1.0, a + 1.0, x) if agents > 0 else np.zeros_like(k)
    served = p_not_full + float(np.dot(pi_q, p_served_k))
    abandonment = max(0.0, 1.0 - served)
    sl = p_not_full + float(np.dot(pi_q, p_served_k * within))
    served_wait = float(np.dot(pi_q, p_served_k * h_k)) * aht
    asa = served_wait / served if served > 0 else math.inf
    mean_queue = float(np.dot(pi_q, k))
    busy = float(np.dot(pi_low[:-1], np.arange(agents, dtype=float))) + agents * p_wait
    return QueueMetrics(
        model="erlang_a",
        agents=int(agents),
        offered_load=load,
        p_wait=min(1.0, p_wait),
        service_level=min(1.0, max(0.0, sl)),
        asa=asa,
        mean_wait=mean_queue / load * aht,  # Little's law: E[Q] / lambda
        occupancy=min(1.0, busy / agents) if agents > 0 else 1.0,
        abandonment=abandonment,
        stable=True,
    )


def erlang_a_agents_for_target(
    load: float,
    aht: float,
    patience: float,
    service_level: float,
    target_time: float,
    *,
    max_occupancy: float | None = None,
    max_asa: float | None = None,
) -> int:
    """Minimum agents meeting the service-level target under Erlang A (and optional caps).

    The service level and ASA improve and occupancy falls as N grows (checked by property tests),
    so a monotone search is exact: it brackets the answer around the Erlang C staffing, then
    bisects, a handful of exact evaluations. Returns 0 for a load of 0.
    """
    _check_nonneg("load", load)
    _check_positive("aht", aht)
    _check_positive("patience", patience)
    _check_targets(service_level, target_time, max_occupancy, max_asa)
    if load == 0.0:
        return 0

    def ok(n: int) -> bool:
        m = erlang_a_metrics(n, load, aht, patience, target_time)
        if m.service_level < service_level:
            return False
        if max_occupancy is not None and m.occupancy > max_occupancy:
            return False
        return max_asa is None or m.asa <= max_asa

    # Start from the Erlang C answer (usually within a few agents), gallop to bracket the
    # answer between a failing ``lo`` and a passing ``hi``, then bisect. N = 0 always fails.
    hi = max(1, agents_for_target(load, aht, service_level, target_time))
    if ok(hi):
        lo, step = 0, 1
        while hi - step > 0:
            if not ok(hi - step):
                lo = hi - step
                break
            hi -= step
            step *= 2
    else:
        lo, hi = hi, 2 * hi
        while not ok(hi):
            lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
