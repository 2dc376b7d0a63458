"""What every fitter returns: candidate fits (compared by AIC/BIC) and estimates with 95% intervals.

Information criteria: AIC = 2k - 2 log L (Akaike, IEEE Trans Autom Control 1974;19(6):716-723,
doi:10.1109/TAC.1974.1100705); BIC = k log n - 2 log L (Schwarz, Ann Stat 1978;6(2):461-464,
doi:10.1214/aos/1176344136). Wald intervals come from the observed information (the numerical Hessian of
the negative log-likelihood at the maximum) on an unconstrained scale (log, logit) and are transformed
back, so they stay inside the parameter's range (Pawitan, In All Likelihood, 2001, ch. 2 and 4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Z95 = 1.959963984540054
"""The standard normal 0.975 quantile (scipy.stats.norm.ppf(0.975))."""


@dataclass(frozen=True)
class Candidate:
    """One candidate model fitted to one part of the data (a row of fits.csv)."""

    part: str
    """What was fitted, e.g. ``referrals.community`` or ``length_of_stay.planned_stay``."""
    model: str
    """The candidate, e.g. ``constant``, ``ramp_up``, ``gamma``."""
    parameters: Mapping[str, float]
    log_likelihood: float
    n: int
    """Observations the likelihood counts (days, episodes)."""
    chosen: bool = False
    notes: str = ""
    free_parameters: int | None = None
    """Parameters estimated, when that is not one per listed value: the pooled intake shares are listed
    for a source but estimated on every source (0 of its own); a source's own shares sum to 1 (one fewer
    than the outcomes it had)."""

    @property
    def k(self) -> int:
        return len(self.parameters) if self.free_parameters is None else self.free_parameters

    @property
    def aic(self) -> float:
        return 2.0 * self.k - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        return self.k * math.log(max(self.n, 1)) - 2.0 * self.log_likelihood


@dataclass(frozen=True)
class Estimate:
    """One fitted config value with its 95% interval (a row of estimates.csv)."""

    path: str
    """The config field it sets, dotted (``referrals.sources.community.weekly_rate``)."""
    value: float
    low: float
    high: float
    method: str
    n: int
    """Observations behind it (episodes, days)."""


@dataclass
class PartFit:
    """A fitter's result: its candidates, its estimates and the config fragment it proposes."""

    candidates: list[Candidate] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    fragment: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


Chosen = Mapping[str, str]
"""The model chosen per part (``Candidate.part`` -> ``Candidate.model``) by a fit on the full extract. A
fitter given it fits only that model (the bootstrap refits the chosen model of every part, not every
candidate: simiop.calibrate.bootstrap) and skips the intervals that need a profile."""


def chosen_models(candidates: list[Candidate]) -> dict[str, str]:
    """``Chosen`` of a fit: every part's chosen candidate."""
    return {c.part: c.model for c in candidates if c.chosen}


def choose(candidates: list[Candidate], notes: str | None = None) -> list[Candidate]:
    """The same candidates with the lowest-AIC one (the first, on a tie) marked chosen; ``notes``, when
    given, replaces each candidate's notes."""
    best = min(range(len(candidates)), key=lambda index: candidates[index].aic)
    return [
        Candidate(
            c.part,
            c.model,
            c.parameters,
            c.log_likelihood,
            c.n,
            index == best,
            c.notes if notes is None else notes,
        )
        for index, c in enumerate(candidates)
    ]


def chosen_of(candidates: list[Candidate]) -> Candidate:
    """The candidate ``choose`` marked chosen."""
    return next(c for c in candidates if c.chosen)


def hessian(
    function: Callable[[NDArray[np.float64]], float], point: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Central-difference Hessian of ``function`` at ``point`` (step 1e-4 relative, at least 1e-5)."""
    size = point.size
    steps = np.maximum(1e-4 * np.abs(point), 1e-5)
    result = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            shift_i = np.zeros(size)
            shift_j = np.zeros(size)
            shift_i[i] = steps[i]
            shift_j[j] = steps[j]
            value = (
                function(point + shift_i + shift_j)
                - function(point + shift_i - shift_j)
                - function(point - shift_i + shift_j)
                + function(point - shift_i - shift_j)
            ) / (4.0 * steps[i] * steps[j])
            result[i, j] = result[j, i] = value
    return result


def wald_intervals(
    negative_log_likelihood: Callable[[NDArray[np.float64]], float], point: NDArray[np.float64]
) -> list[tuple[float, float]]:
    """95% Wald intervals (on the scale of ``point``) from the observed information; nan if singular."""
    information = hessian(negative_log_likelihood, point)
    try:
        covariance = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return [(math.nan, math.nan)] * point.size
    variances = np.diag(covariance)
    return [
        (float(value - Z95 * math.sqrt(var)), float(value + Z95 * math.sqrt(var)))
        if var > 0 and math.isfinite(var)
        else (math.nan, math.nan)
        for value, var in zip(point, variances, strict=False)
    ]


def exp_bound(x: float) -> float:
    """exp of an interval's end on the log scale; inf past the float range (a flat likelihood on a small
    extract gives a Wald interval so wide that math.exp would raise OverflowError)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def expit(x: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # x below about -709, where an optimiser may wander: the share is 0
        return 0.0


def wilson(successes: int, trials: int) -> tuple[float, float]:
    """Wilson score 95% interval of a binomial share (Wilson, JASA 1927;22(158):209-212,
    doi:10.1080/01621459.1927.10502953; as Brown, Cai and DasGupta advise, Stat Sci 2001;16(2):101-133)."""
    if trials == 0:
        return (math.nan, math.nan)
    share = successes / trials
    z2 = Z95 * Z95
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = Z95 * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson_rate_interval(events: int, exposure: float) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson rate events/exposure, from chi-square quantiles
    (Garwood, Biometrika 1936;28(3/4):437-442, doi:10.2307/2333958)."""
    from scipy import stats

    low = 0.0 if events == 0 else stats.chi2.ppf(0.025, 2 * events) / 2.0
    high = stats.chi2.ppf(0.975, 2 * events + 2) / 2.0
    return (float(low) / exposure, float(high) / exposure)
