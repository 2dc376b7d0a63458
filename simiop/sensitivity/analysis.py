"""From simulated values to sensitivity figures: OAT differences, Morris, Sobol' indices, PSA.

Every function takes the values as an array ``y[point, replication]`` (one
KPI) and the design that made them, and nothing else, so the tests feed the
same code analytic functions (Ishigami, Sobol' G) with known answers.

Sources: one-at-a-time differences with common random numbers and paired t
intervals (Law, Simulation Modeling and Analysis, 5th ed., 2015, sec. 10.2);
elementary effects and mu* (Morris 1991, Technometrics 33(2):161;
Campolongo, Cariboni and Saltelli 2007, Environ Model Softw 22(10):1509);
first-order and total Sobol' indices by the Saltelli et al. 2010 estimators
(Comput Phys Commun 181(2):259) with bootstrap intervals, as SALib computes
them (Herman and Usher 2017, JOSS 2(9):97); the law of total variance for
PSA, Var Y = E[Var(Y | inputs)] + Var(E[Y | inputs]) (Briggs, Claxton and
Sculpher, Decision Modelling for Health Economic Evaluation, 2006, ch. 4-5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simiop.results.stats import paired_difference, summarise

CONFIDENCE = 0.95


@dataclass(frozen=True)
class OatEffect:
    """One input's low and high case against the base, for one KPI (paired over replications)."""

    input: str
    base_mean: float
    low_mean: float
    high_mean: float
    low_change: float
    low_change_ci: tuple[float, float]
    high_change: float
    high_change_ci: tuple[float, float]

    @property
    def swing(self) -> float:
        """How far the KPI moves between the two ends: the bar's length in the tornado."""
        return abs(self.high_mean - self.low_mean)


def oat_effects(y: np.ndarray, inputs: tuple[str, ...]) -> list[OatEffect]:
    """Paired differences of each input's low and high point from the base point (row 0).

    ``y`` has shape (1 + 2 * inputs, replications), rows as ``design.oat_design``
    orders them. Common random numbers make replication r of every point a
    pair, so each difference's 95% t interval is of the paired differences.
    """
    base = y[0]
    effects = []
    for index, name in enumerate(inputs):
        low, high = y[1 + 2 * index], y[2 + 2 * index]
        down, up = paired_difference(base, low), paired_difference(base, high)
        effects.append(
            OatEffect(
                name,
                summarise(base).mean,
                summarise(low).mean,
                summarise(high).mean,
                down.mean,
                (down.ci95_low, down.ci95_high),
                up.mean,
                (up.ci95_low, up.ci95_high),
            )
        )
    return effects


@dataclass(frozen=True)
class MorrisIndices:
    """Elementary-effects statistics per input: mu (signed), mu* (mean |effect|) with its CI, sigma."""

    mu: np.ndarray
    mu_star: np.ndarray
    mu_star_conf: np.ndarray
    sigma: np.ndarray


def morris_indices(unit: np.ndarray, y: np.ndarray, levels: int, resamples: int, seed: int) -> MorrisIndices:
    """Morris screening on the unit design (SALib), of the replication means at each point.

    Effects are per unit of the input's probability scale (low to high = 1),
    so inputs with different units are comparable (Campolongo et al. 2007).
    """
    from SALib.analyze import morris

    names = [f"x{i}" for i in range(unit.shape[1])]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    means = _point_means(y)
    found = morris.analyze(
        problem, unit, means, num_resamples=resamples, conf_level=CONFIDENCE, num_levels=levels, seed=seed
    )
    return MorrisIndices(
        np.asarray(found["mu"], float),
        np.asarray(found["mu_star"], float),
        np.asarray(found["mu_star_conf"], float),
        np.asarray(found["sigma"], float),
    )


@dataclass(frozen=True)
class SobolIndices:
    """First-order (S1) and total (ST) indices per input, each with the half-width of its bootstrap CI.

    ``noise_share``: the share of the variance of the point means that is
    simulation noise (within-point variance / replications, over the variance
    of the point means); NaN with one replication. Noise inflates every
    index's variance and leaves the total indices of inert inputs above 0.
    """

    s1: np.ndarray
    s1_conf: np.ndarray
    st: np.ndarray
    st_conf: np.ndarray
    noise_share: float


def sobol_indices(y: np.ndarray, dimensions: int, resamples: int, seed: int) -> SobolIndices:
    """Sobol' indices of the replication means at the Saltelli points (SALib, Saltelli et al. 2010).

    ``y`` has shape (N (dimensions + 2), replications), rows as
    ``design.unit_design("sobol", ...)`` orders them. A KPI that does not vary
    at all has indices 0 (nothing to apportion), with zero-width intervals.
    """
    from SALib.analyze import sobol

    means = _point_means(y)
    zeros = np.zeros(dimensions)
    noise = noise_share(y)
    if not np.all(np.isfinite(means)) or float(np.var(means)) == 0.0:
        return SobolIndices(zeros, zeros, zeros, zeros, noise)
    names = [f"x{i}" for i in range(dimensions)]
    problem = {"num_vars": dimensions, "names": names, "bounds": [[0.0, 1.0]] * dimensions}
    found = sobol.analyze(
        problem, means, calc_second_order=False, num_resamples=resamples, conf_level=CONFIDENCE, seed=seed
    )
    return SobolIndices(
        np.asarray(found["S1"], float),
        np.asarray(found["S1_conf"], float),
        np.asarray(found["ST"], float),
        np.asarray(found["ST_conf"], float),
        noise,
    )


def noise_share(y: np.ndarray) -> float:
    """Mean within-point variance / replications, over the variance of the point means (NaN if unknown)."""
    if y.shape[1] < 2:
        return math.nan
    total = float(np.var(_point_means(y), ddof=1))
    within = float(np.mean(np.var(y, axis=1, ddof=1))) / y.shape[1]
    return math.nan if total == 0.0 else min(within / total, 1.0)


@dataclass(frozen=True)
class PsaSummary:
    """One KPI's distribution over the input sets, its variance split by the law of total variance."""

    mean: float
    sd: float
    low: float
    """2.5th percentile of the input sets' expected values."""
    high: float
    """97.5th percentile of the input sets' expected values."""
    input_variance: float
    """Var over input sets of E[Y | inputs], corrected for the noise in each set's mean."""
    stochastic_variance: float
    """E over input sets of Var(Y | inputs): replication-to-replication noise."""

    @property
    def input_share(self) -> float:
        total = self.input_variance + self.stochastic_variance
        return math.nan if total == 0 else self.input_variance / total


def psa_summary(y: np.ndarray) -> PsaSummary:
    """The law of total variance on ``y[set, replication]``: Var Y = Var(E[Y|x]) + E[Var(Y|x)].

    The variance of the set means overstates Var(E[Y|x]) by E[Var(Y|x)] / R
    (each set mean is an average of R replications); that part is removed,
    and the estimate is floored at 0. With one replication the split is not
    identified: the stochastic part is NaN and all variance counts as input.
    """
    means = _point_means(y)
    replications = y.shape[1]
    between = float(np.var(means, ddof=1)) if len(means) > 1 else 0.0
    if replications > 1:
        within = float(np.mean(np.var(y, axis=1, ddof=1)))
        input_part = max(between - within / replications, 0.0)
    else:
        within, input_part = math.nan, between
    low, high = np.quantile(means, [0.025, 0.975]) if len(means) else (math.nan, math.nan)
    return PsaSummary(
        float(np.mean(means)),
        float(np.std(means, ddof=1)) if len(means) > 1 else math.nan,
        float(low),
        float(high),
        input_part,
        within,
    )


def rank_correlations(values: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|Spearman rank correlation| of each input's values with the set means, and its p-value.

    PSA's importance ranking; the p-value (scipy.stats.spearmanr) tells a
    correlation from the chance one of a finite number of input sets.
    """
    from scipy import stats

    means = _point_means(y)
    found, chances = [], []
    for column in values.T:
        if np.ptp(column) == 0 or np.ptp(means) == 0:
            found.append(0.0)
            chances.append(1.0)
            continue
        result = stats.spearmanr(column, means)
        found.append(abs(float(result.statistic)))
        chances.append(float(result.pvalue))
    return np.array(found), np.array(chances)


def _point_means(y: np.ndarray) -> np.ndarray:
    return np.asarray(np.mean(np.asarray(y, dtype=float), axis=1), dtype=float)
