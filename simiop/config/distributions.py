"""The one registry of named probability distributions used by config files.

Every random quantity in the model (patience, length of stay, attendance, ...)
is written in YAML as a mapping with a ``dist`` tag, for example
``{dist: lognormal, mean: 21, sd: 9}``. Keeping all kinds in one registry means
a new kind is added once and is immediately usable by every config field,
documented in the JSON schema and reported the same way in error messages.

Parameters are unit-free: the config field that holds a distribution carries
the unit in its name (``patience_days``), so the same ``exponential`` works for
days, hours or counts without conversion code here.

Each distribution knows its analytic ``mean`` and ``variance`` so that callers
(capacity checks, reports, tests) never have to estimate them by sampling, and
its ``support`` so that a field can refuse, at load time, a distribution that
could produce impossible values (a negative duration, a probability above 1).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from abc import abstractmethod
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, overload

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simiop.config.base import FromList, Frozen, at_most, exact, rule_error

__all__ = [
    "DISTRIBUTIONS",
    "AnyDistribution",
    "Beta",
    "CountDistribution",
    "Distribution",
    "DurationDistribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "NonNegativeCurve",
    "Normal",
    "PiecewiseLinear",
    "Poisson",
    "ProbabilityCurve",
    "ProbabilityDistribution",
    "Triangular",
    "Uniform",
]

FloatArray = NDArray[np.float64]

_MIN_KEPT_MASS = 0.001
"""Smallest share of a normal's mass that truncation may keep.

Keeping less almost always means truncate_below was written in the wrong unit
or on the wrong side of the mean; such a distribution is also a poor model of
anything, because nearly all of it is the artificial cut-off tail.
"""

_Z_KEEP_MIN_MASS = 3.090232306167813
"""Standard normal quantile at 1 - _MIN_KEPT_MASS (used only to word errors)."""


# --------------------------------------------------------------------------
# Common base
# --------------------------------------------------------------------------


PARAMETER_LIMIT = 1e6
"""Largest magnitude of any distribution parameter: far beyond any clinic quantity in days,
minutes or counts, and small enough that sums of many draws stay exact in float64."""

Real = Annotated[float, Field(ge=-PARAMETER_LIMIT, le=PARAMETER_LIMIT)]
Positive = Annotated[float, Field(gt=0.0, le=PARAMETER_LIMIT)]
NonNegative = Annotated[float, Field(ge=0.0, le=PARAMETER_LIMIT)]


class Distribution(Frozen):
    """Base of every distribution: analytic moments, support and vectorised sampling.

    Sampling always goes through a caller-supplied ``numpy.random.Generator``
    (one of the named streams) so that runs are reproducible and adding a
    random element elsewhere never shifts the numbers drawn here.
    """

    if TYPE_CHECKING:
        # Declared for type checkers only: several distributions are
        # parameterised by their mean, so there ``mean`` is a plain field, and
        # a runtime property here would be shadowed by it (pydantic warns).
        @property
        def dist(self) -> str: ...

        @property
        def mean(self) -> float: ...

    @property
    @abstractmethod
    def variance(self) -> float:
        """Analytic variance."""

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take (may be infinite)."""

    @property
    def integer_valued(self) -> bool:
        """Whether every draw is a whole number (needed for counts)."""
        return False

    @abstractmethod
    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values as a float64 array."""

    def _draw_one(self, rng: np.random.Generator) -> float:
        """One draw: the first element of a one-element batch (a family's ``sampler`` may shortcut it)."""
        return float(self._draw(rng, 1)[0])

    def sampler(self) -> Callable[[np.random.Generator], float]:
        """A function drawing one value as ``sample(rng)`` draws it (the same float), parameters read now.

        For the model's draws per patient (a planned stay, a patience), made once per run: ``sample``
        works numpy's parameters out at every draw, most of a gamma draw's cost. A family with
        parameters overrides this with a function over them, drawing numpy's scalar, which is the first
        of a one-element batch (the same value, tests/test_distributions.py); the rest draw a batch of
        one. ``sample(rng)`` draws through it, so the one formula serves both.
        """
        return self._draw_one

    @overload
    def sample(self, rng: np.random.Generator, size: None = None) -> float: ...

    @overload
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray: ...

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | FloatArray:
        """Draw one value (as a Python float) or ``size`` values (as a float64 array).

        A single draw is the first element of a one-element batch, so
        ``sample(rng)`` and ``sample(rng, 1)[0]`` agree: switching between
        the two never changes a run's numbers.
        """
        if size is None:
            return self.sampler()(rng)
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
            raise ValueError(f"size must be a non-negative integer or None, got {size!r}")
        return np.asarray(self._draw(rng, int(size)), dtype=np.float64)


def _tag_of(cls: type[Distribution]) -> str:
    """The ``dist`` literal of a distribution class (the registry key)."""
    (name,) = get_args(cls.model_fields["dist"].annotation)
    return str(name)


# --------------------------------------------------------------------------
# The distributions
# --------------------------------------------------------------------------


class Fixed(Distribution):
    """A constant; lets any random input be switched off for what-if runs and tests."""

    dist: Literal["fixed"]
    value: Real
    """The value every draw takes."""

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @property
    def integer_valued(self) -> bool:
        return self.value.is_integer()

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value, dtype=np.float64)

    def sampler(self) -> Callable[[np.random.Generator], float]:
        value = float(self.value)
        return lambda rng: value


class Exponential(Distribution):
    """Memoryless waiting time: constant hazard, e.g. time between independent referrals."""

    dist: Literal["exponential"]
    mean: Positive
    """Average value; also the standard deviation."""

    @property
    def variance(self) -> float:
        return self.mean**2

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.exponential(self.mean, size)

    def sampler(self) -> Callable[[np.random.Generator], float]:
        mean = self.mean
        return lambda rng: float(rng.exponential(mean))


def _require_low_below_high(low: float, high: float) -> None:
    """A range distribution with low == high is a constant in disguise; say so."""
    if not low < high:
        raise rule_error(
            "high",
            "high must be greater than low",
            high,
            f"greater than low ({exact(low)}); for a constant use dist: fixed",
        )


class Uniform(Distribution):
    """Only a range is known; every value in it equally likely."""

    dist: Literal["uniform"]
    low: Real
    """Smallest value."""
    high: Real
    """Largest value; must exceed low."""

    @model_validator(mode="after")
    def _check_range(self) -> Uniform:
        _require_low_below_high(self.low, self.high)
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size)


class Triangular(Distribution):
    """Expert estimate as minimum / most likely / maximum, when no data exist."""

    dist: Literal["triangular"]
    low: Real
    """Smallest possible value."""
    mode: Real
    """Most likely value; between low and high."""
    high: Real
    """Largest possible value; must exceed low."""

    @model_validator(mode="after")
    def _check_order(self) -> Triangular:
        _require_low_below_high(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise rule_error(
                "mode",
                "mode must lie between low and high",
                self.mode,
                f"{exact(self.low)} to {exact(self.high)}",
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, size)


def _std_normal_pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _std_normal_upper_tail(z: float) -> float:
    """P(Z > z), via erfc so that it stays accurate far in the tail."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


class Normal(Distribution):
    """Symmetric variation around a mean; optionally cut off below (e.g. at 0 for durations).

    The YAML key ``mean`` is the location of the underlying (untruncated)
    normal and is stored as the attribute ``location``; the ``mean`` property
    is the mean of the distribution actually sampled, which differs once
    ``truncate_below`` cuts off part of the lower tail.
    """

    model_config = ConfigDict(serialize_by_alias=True)

    dist: Literal["normal"]
    location: Real = Field(alias="mean")
    """Mean of the normal before truncation."""
    sd: Positive
    """Standard deviation of the normal before truncation."""
    truncate_below: Real | None = None
    """If set, values below this are never drawn (the normal is conditioned on being at least this)."""

    @model_validator(mode="after")
    def _check_truncation_keeps_mass(self) -> Normal:
        if self.truncate_below is not None and self._kept_mass() < _MIN_KEPT_MASS:
            raise rule_error(
                "truncate_below",
                "truncation keeps less than 0.1% of the normal's mass",
                self.truncate_below,
                f"at most {at_most(self.location + _Z_KEEP_MIN_MASS * self.sd)} "
                f"for mean {self.location:g} and sd {self.sd:g}",
            )
        return self

    def _alpha(self) -> float:
        """Truncation point in standard units (-inf when not truncated)."""
        if self.truncate_below is None:
            return -math.inf
        return (self.truncate_below - self.location) / self.sd

    def _kept_mass(self) -> float:
        alpha = self._alpha()
        return 1.0 if alpha == -math.inf else _std_normal_upper_tail(alpha)

    def _inverse_mills(self) -> float:
        """phi(alpha) / (1 - Phi(alpha)): the shift of the standardised mean."""
        alpha = self._alpha()
        if alpha == -math.inf:
            return 0.0
        return _std_normal_pdf(alpha) / self._kept_mass()

    @property
    def mean(self) -> float:
        return self.location + self.sd * self._inverse_mills()

    @property
    def variance(self) -> float:
        alpha = self._alpha()
        if alpha == -math.inf:
            return self.sd**2
        lam = self._inverse_mills()
        return self.sd**2 * (1.0 + alpha * lam - lam * lam)

    @property
    def support(self) -> tuple[float, float]:
        low = -math.inf if self.truncate_below is None else self.truncate_below
        return (low, math.inf)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        alpha = self._alpha()
        propose = _normal_proposal(rng, alpha) if alpha <= 0.0 else _tail_proposal(rng, alpha)
        return self.location + self.sd * _rejection_fill(size, propose)


_Proposal = Callable[[int], tuple[FloatArray, NDArray[np.bool_]]]
"""Given n, return n candidate draws and which of them are accepted."""


def _rejection_fill(size: int, propose: _Proposal) -> FloatArray:
    """Vectorised rejection sampling that redraws only the rejected slots."""
    out = np.empty(size, dtype=np.float64)
    pending = np.arange(size)
    while pending.size:
        candidates, accepted = propose(pending.size)
        out[pending[accepted]] = candidates[accepted]
        pending = pending[~accepted]
    return out


def _normal_proposal(rng: np.random.Generator, alpha: float) -> _Proposal:
    """Standard normal candidates, kept when at least alpha.

    Used for alpha <= 0, where at least half of the candidates are kept (and
    none are rejected when there is no truncation at all).
    """

    def propose(n: int) -> tuple[FloatArray, NDArray[np.bool_]]:
        candidates = rng.standard_normal(n)
        return candidates, candidates >= alpha

    return propose


def _tail_proposal(rng: np.random.Generator, alpha: float) -> _Proposal:
    """Robert (1995) proposal for a standard normal truncated below at alpha > 0.

    Proposing from the normal itself would reject P(Z < alpha) of the draws
    (up to 99.9%); a shifted exponential with the optimal rate is accepted
    more than 75% of the time for every alpha > 0, and is still exact.
    """
    rate = (alpha + math.sqrt(alpha * alpha + 4.0)) / 2.0

    def propose(n: int) -> tuple[FloatArray, NDArray[np.bool_]]:
        candidates = alpha + rng.exponential(1.0 / rate, n)
        u = rng.random(n)
        return candidates, u <= np.exp(-0.5 * (candidates - rate) ** 2)

    return propose


# numpy's parameters of the families given by their mean and spread, worked out once per pair of
# values rather than at every draw (a lognormal patience at every referral, a gamma stay and a beta
# propensity at every admission). Cached by value, not on the frozen model, so that a copy with other
# values (model_copy) never carries the old ones; the floats are the same as computed each time.


@functools.lru_cache(maxsize=256)
def _lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


@functools.lru_cache(maxsize=256)
def _gamma_params(mean: float, sd: float) -> tuple[float, float]:
    return (mean / sd) ** 2, sd**2 / mean


@functools.lru_cache(maxsize=256)
def _beta_params(mean: float, concentration: float) -> tuple[float, float]:
    return mean * concentration, (1.0 - mean) * concentration


class Lognormal(Distribution):
    """Right-skewed positive quantity (lengths of stay, waits), given by its own mean and sd.

    Parameterised by the mean and sd of the variable itself rather than of its
    logarithm, because those are what clinicians and data extracts report.
    """

    dist: Literal["lognormal"]
    mean: Positive
    """Average value."""
    sd: Positive
    """Standard deviation of the value (not of its logarithm)."""

    @property
    def _log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the logarithm (worked out once per mean and sd: drawn at every referral)."""
        return _lognormal_params(self.mean, self.sd)

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        mu, sigma = self._log_params
        return rng.lognormal(mu, sigma, size)

    def sampler(self) -> Callable[[np.random.Generator], float]:
        mu, sigma = self._log_params
        return lambda rng: float(rng.lognormal(mu, sigma))


class Gamma(Distribution):
    """Positive, right-skewed quantity with a lighter tail than the lognormal; by mean and sd."""

    dist: Literal["gamma"]
    mean: Positive
    """Average value."""
    sd: Positive
    """Standard deviation."""

    @property
    def variance(self) -> float:
        return self.sd**2

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def _shape_scale(self) -> tuple[float, float]:
        """numpy's (shape, scale) (worked out once per mean and sd: drawn at every admission)."""
        return _gamma_params(self.mean, self.sd)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        shape, scale = self._shape_scale
        return rng.gamma(shape, scale, size)

    def sampler(self) -> Callable[[np.random.Generator], float]:
        shape, scale = self._shape_scale
        return lambda rng: float(rng.gamma(shape, scale))


class Beta(Distribution):
    """Uncertain probability or share (e.g. a patient's attendance rate).

    Given by its mean and a concentration k (a = mean*k, b = (1-mean)*k):
    k acts like a number of prior observations, so a larger k means less
    spread around the mean, which is easier to elicit than a and b.
    """

    dist: Literal["beta"]
    mean: float = Field(gt=0.0, lt=1.0)
    """Average value, strictly between 0 and 1."""
    concentration: Positive
    """a + b; larger means draws cluster more tightly around the mean."""

    @property
    def variance(self) -> float:
        return self.mean * (1.0 - self.mean) / (self.concentration + 1.0)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    @property
    def _a_b(self) -> tuple[float, float]:
        """numpy's (a, b) (worked out once per mean and concentration: drawn at every admission)."""
        return _beta_params(self.mean, self.concentration)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        a, b = self._a_b
        return rng.beta(a, b, size)

    def sampler(self) -> Callable[[np.random.Generator], float]:
        a, b = self._a_b
        return lambda rng: float(rng.beta(a, b))


class Poisson(Distribution):
    """Number of independent events in a period (e.g. referrals per day)."""

    dist: Literal["poisson"]
    mean: NonNegative
    """Average count; also the variance."""

    @property
    def variance(self) -> float:
        return self.mean

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def integer_valued(self) -> bool:
        return True

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.poisson(self.mean, size).astype(np.float64)


class Empirical(Distribution):
    """Resample observed values directly, when no parametric form fits the data."""

    dist: Literal["empirical"]
    values: Annotated[tuple[Real, ...], FromList] = Field(min_length=1)
    """The possible values (e.g. observed data points)."""
    weights: Annotated[tuple[NonNegative, ...], FromList] | None = None
    """Relative weight of each value (need not sum to 1); omitted means equally likely."""

    @model_validator(mode="after")
    def _check_weights(self) -> Empirical:
        if self.weights is None:
            return self
        if len(self.weights) != len(self.values):
            raise rule_error(
                "weights",
                "weights must have one entry per value",
                f"{len(self.weights)} weights",
                f"{len(self.values)} weights (one per value), or omit weights",
            )
        if not math.fsum(self.weights) > 0.0:
            raise rule_error(
                "weights",
                "weights must not all be zero",
                list(self.weights),
                "at least one weight above 0",
            )
        return self

    def _probabilities(self) -> FloatArray:
        if self.weights is None:
            return np.full(len(self.values), 1.0 / len(self.values))
        w = np.asarray(self.weights, dtype=np.float64)
        return np.asarray(w / w.sum(), dtype=np.float64)

    @property
    def mean(self) -> float:
        p = self._probabilities()
        return math.fsum(float(pi) * v for pi, v in zip(p, self.values, strict=True))

    @property
    def variance(self) -> float:
        m = self.mean
        p = self._probabilities()
        return math.fsum(float(pi) * (v - m) ** 2 for pi, v in zip(p, self.values, strict=True))

    @property
    def support(self) -> tuple[float, float]:
        # Values with zero weight can never be drawn, so they do not widen it.
        p = self._probabilities()
        drawable = [v for pi, v in zip(p, self.values, strict=True) if pi > 0.0]
        return (min(drawable), max(drawable))

    @property
    def integer_valued(self) -> bool:
        p = self._probabilities()
        return all(v.is_integer() for pi, v in zip(p, self.values, strict=True) if pi > 0.0)

    def _draw(self, rng: np.random.Generator, size: int) -> FloatArray:
        values = np.asarray(self.values, dtype=np.float64)
        index = rng.choice(len(values), size=size, p=self._probabilities())
        return values[index]


# --------------------------------------------------------------------------
# Registry and the discriminated union used by config fields
# --------------------------------------------------------------------------

_CLASSES: tuple[type[Distribution], ...] = (
    Fixed,
    Exponential,
    Uniform,
    Triangular,
    Normal,
    Lognormal,
    Gamma,
    Beta,
    Poisson,
    Empirical,
)

DISTRIBUTIONS: dict[str, type[Distribution]] = {_tag_of(cls): cls for cls in _CLASSES}
"""Every distribution kind by its ``dist`` name: the one registry."""

_KNOWN = ", ".join(sorted(DISTRIBUTIONS))


def _dist_tag(value: Any) -> str | None:
    """Union tag for a raw mapping or an already-built distribution.

    Tags look like ``dist=lognormal`` so that error locations read naturally
    and the error formatter can recognise and strip them.
    """
    if isinstance(value, dict):
        name = value.get("dist")
        return f"dist={name}" if isinstance(name, str) else None
    name = getattr(value, "dist", None)
    return f"dist={name}" if isinstance(name, str) else None


def _check_dist_key(value: Any) -> Any:
    """Explain a missing or unknown ``dist`` before the union gives a generic error."""
    if isinstance(value, Distribution):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "distribution_type",
            "expected a distribution (a mapping with a dist key)",
            {"got": value, "allowed": f"e.g. {{dist: fixed, value: ...}}; dist one of {_KNOWN}"},
        )
    if "dist" not in value:
        raise PydanticCustomError(
            "distribution_kind",
            "distribution has no dist key",
            {"got": sorted(str(k) for k in value), "allowed": f"dist: one of {_KNOWN}"},
        )
    if not isinstance(value["dist"], str) or value["dist"] not in DISTRIBUTIONS:
        raise PydanticCustomError(
            "distribution_kind",
            "unknown distribution kind",
            {"got": value["dist"], "allowed": f"dist: one of {_KNOWN}"},
        )
    return value


AnyDistribution = Annotated[
    Annotated[
        Annotated[Fixed, Tag("dist=fixed")]
        | Annotated[Exponential, Tag("dist=exponential")]
        | Annotated[Uniform, Tag("dist=uniform")]
        | Annotated[Triangular, Tag("dist=triangular")]
        | Annotated[Normal, Tag("dist=normal")]
        | Annotated[Lognormal, Tag("dist=lognormal")]
        | Annotated[Gamma, Tag("dist=gamma")]
        | Annotated[Beta, Tag("dist=beta")]
        | Annotated[Poisson, Tag("dist=poisson")]
        | Annotated[Empirical, Tag("dist=empirical")],
        # Only the plain callable: metadata must stay hashable so that
        # ``DurationDistribution | None`` and friends can be written.
        Discriminator(_dist_tag),
    ],
    BeforeValidator(_check_dist_key),
]
"""Any registered distribution, chosen by its ``dist`` key."""


# --------------------------------------------------------------------------
# Restricted distribution field types
# --------------------------------------------------------------------------


def _describe(d: Distribution) -> str:
    """Say which values a distribution can produce, for the "got" part of an error."""
    lo, hi = d.support
    if lo == hi:
        return f"{d.dist} always {lo:g}"
    kind = "whole-number" if d.integer_valued else "real"
    return f"{d.dist} with {kind} values from {lo:g} to {hi:g}"


def _non_negative(d: Distribution) -> Distribution:
    if d.support[0] < 0.0:
        raise PydanticCustomError(
            "duration_distribution",
            "distribution can produce negative values",
            {
                "got": _describe(d),
                "allowed": "a distribution of non-negative values (for normal set "
                "truncate_below: 0; uniform/triangular need low >= 0; "
                "fixed/empirical values >= 0)",
            },
        )
    return d


def _probability(d: Distribution) -> Distribution:
    lo, hi = d.support
    if lo < 0.0 or hi > 1.0:
        raise PydanticCustomError(
            "probability_distribution",
            "distribution can produce values outside 0 to 1",
            {
                "got": _describe(d),
                "allowed": "a distribution of values within 0 to 1 (e.g. beta, or "
                "fixed/uniform/triangular/empirical within 0 to 1)",
            },
        )
    return d


def _count(d: Distribution) -> Distribution:
    if not d.integer_valued or d.support[0] < 0.0:
        raise PydanticCustomError(
            "count_distribution",
            "distribution can produce values that are not counts",
            {
                "got": _describe(d),
                "allowed": "a distribution of whole numbers >= 0 (poisson, fixed with a "
                "whole number, or empirical with whole-number values)",
            },
        )
    return d


DurationDistribution = Annotated[AnyDistribution, AfterValidator(_non_negative)]
"""A distribution that can never produce a negative value (durations, waits)."""

ProbabilityDistribution = Annotated[AnyDistribution, AfterValidator(_probability)]
"""A distribution whose every value is a valid probability (0 to 1)."""

CountDistribution = Annotated[AnyDistribution, AfterValidator(_count)]
"""A distribution of whole non-negative numbers (patients, sessions)."""


# --------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------


class PiecewiseLinear(Frozen):
    """A deterministic relation y(x) given by points, e.g. intake show rate vs days waited.

    Linear between points and flat beyond the first and last point, so the
    curve never extrapolates a trend past the data it was drawn from.
    """

    curve: Literal["piecewise_linear"]
    points: Annotated[tuple[Annotated[tuple[Real, Real], FromList], ...], FromList] = Field(min_length=1)
    """[x, y] pairs with x strictly increasing."""

    @model_validator(mode="after")
    def _check_increasing(self) -> PiecewiseLinear:
        xs = [x for x, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise rule_error(
                "points",
                "x values of the points must be strictly increasing",
                xs,
                "each point's x greater than the previous point's x",
            )
        return self

    @cached_property
    def _arrays(self) -> tuple[FloatArray, FloatArray]:
        """The points as arrays, built once: the show-rate curve is read at every intake booking."""
        return (
            np.array([p[0] for p in self.points], dtype=np.float64),
            np.array([p[1] for p in self.points], dtype=np.float64),
        )

    @overload
    def value_at(self, x: float) -> float: ...

    @overload
    def value_at(self, x: FloatArray) -> FloatArray: ...

    def value_at(self, x: float | FloatArray) -> float | FloatArray:
        """y at x (a number or an array of numbers)."""
        if type(x) is float or np.ndim(x) == 0:  # the type test first: np.ndim costs a call per booking
            return self._at(float(x))
        xs, ys = self._arrays
        return np.asarray(np.interp(x, xs, ys), dtype=np.float64)

    def _at(self, x: float) -> float:
        """np.interp for one number, step for step, without building arrays for it.

        The intake show curve is read once per booking; numpy's per-call
        overhead was most of that cost. The branches and the arithmetic are
        numpy's (compiled_base.c, arr_interp), so the result is the same double,
        which a property test checks against np.interp.
        """
        xs, ys = self._lists
        if x != x:  # NaN
            return x
        last = len(xs) - 1
        if x < xs[0]:
            return ys[0]
        if x > xs[last]:
            return ys[last]
        j = bisect.bisect_right(xs, x) - 1
        if j == last or xs[j] == x:
            return ys[j]
        slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
        result = slope * (x - xs[j]) + ys[j]
        if result != result:  # NaN one way: try the other end, as numpy does
            result = slope * (x - xs[j + 1]) + ys[j + 1]
            if result != result and ys[j] == ys[j + 1]:
                result = ys[j]
        return result

    @cached_property
    def _lists(self) -> tuple[list[float], list[float]]:
        return [float(p[0]) for p in self.points], [float(p[1]) for p in self.points]

    @property
    def mean(self) -> float:
        """Average height of the curve between its first and last x."""
        if len(self.points) == 1:
            return self.points[0][1]
        area = math.fsum(
            (x1 - x0) * (y0 + y1) / 2.0 for (x0, y0), (x1, y1) in itertools.pairwise(self.points)
        )
        return area / (self.points[-1][0] - self.points[0][0])


def _curve_in_unit_interval(c: PiecewiseLinear) -> PiecewiseLinear:
    ys = [y for _, y in c.points]
    if any(not 0.0 <= y <= 1.0 for y in ys):
        raise PydanticCustomError(
            "probability_curve",
            "curve has values outside 0 to 1",
            {"got": ys, "allowed": "every y between 0 and 1"},
        )
    return c


def _curve_non_negative(c: PiecewiseLinear) -> PiecewiseLinear:
    ys = [y for _, y in c.points]
    if any(y < 0.0 for y in ys):
        raise PydanticCustomError(
            "non_negative_curve",
            "curve has negative values",
            {"got": ys, "allowed": "every y >= 0"},
        )
    return c


ProbabilityCurve = Annotated[PiecewiseLinear, AfterValidator(_curve_in_unit_interval)]
"""A curve of probabilities; since it interpolates linearly, every value is in 0 to 1."""

NonNegativeCurve = Annotated[PiecewiseLinear, AfterValidator(_curve_non_negative)]
"""A curve of non-negative quantities (rates, multipliers)."""
