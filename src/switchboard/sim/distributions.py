"""Random distributions for handle times, patience and the like, drawn from a passed-in RNG."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


def expovariate(rng: random.Random, rate: float) -> float:
    """An exponential draw with the given rate: ``rng.expovariate(rate)``, bit for bit.

    The same formula as CPython's ``Random.expovariate`` (``-log(1 - random()) / rate``), so a
    seed gives the same run either way; written here because the standard library's is
    Python code, which the mypyc build of the simulator would otherwise call into twice per
    call. tests/sim/test_scenario.py checks it against the standard library.
    """
    return -math.log(1.0 - rng.random()) / rate


class Distribution(Protocol):
    """Something that draws a non-negative number of seconds."""

    @property
    def mean(self) -> float:
        """The distribution's mean."""
        ...

    def sample(self, rng: random.Random) -> float:
        """Draw one value."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    """Always the same value."""

    mean: float

    def sample(self, rng: random.Random) -> float:
        """Return the value."""
        return self.mean


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean (memoryless: Erlang's assumption)."""

    mean: float

    def sample(self, rng: random.Random) -> float:
        """Draw one value."""
        return expovariate(rng, 1.0 / self.mean)


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Log-normal with the given mean and standard deviation (of the value, not its log)."""

    mean: float
    sd: float

    @property
    def _params(self) -> tuple[float, float]:
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)

    def sample(self, rng: random.Random) -> float:
        """Draw one value."""
        mu, sigma = self._params
        return rng.lognormvariate(mu, sigma)


@dataclass(frozen=True, slots=True)
class Empirical:
    """Resamples observed values uniformly (bootstrap), e.g. handle times from a report."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean of the observations."""
        return sum(self.values) / len(self.values)

    def sample(self, rng: random.Random) -> float:
        """Draw one of the values."""
        return self.values[int(rng.random() * len(self.values))]


def make(kind: str, *, mean: float | None = None, sd: float | None = None,
         values: Sequence[float] | None = None) -> Distribution:
    """Build a distribution by name: ``constant``, ``exponential``, ``lognormal``, ``empirical``."""
    if kind == "empirical":
        if not values:
            raise ValueError("an empirical distribution needs a non-empty list of values")
        if any(v < 0 for v in values):
            raise ValueError("empirical values must not be negative")
        return Empirical(tuple(float(v) for v in values))
    if mean is None or mean <= 0:
        raise ValueError(f"a {kind} distribution needs a positive mean")
    if kind == "constant":
        return Constant(mean)
    if kind == "exponential":
        return Exponential(mean)
    if kind == "lognormal":
        if sd is None or sd <= 0:
            raise ValueError("a lognormal distribution needs a positive sd")
        return LogNormal(mean, sd)
    raise ValueError(f"unknown distribution {kind!r}: use constant, exponential, lognormal "
                     "or empirical")
