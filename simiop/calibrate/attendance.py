"""Attendance propensity (attendance.propensity) by beta-binomial maximum likelihood, and the no-start share.

Each episode that attended at least one programme day gives (attended, scheduled). If every patient had the
same attendance probability the counts would be binomial; the config draws a per-patient probability from a
beta distribution, which makes them beta-binomial (Skellam, JRSS B 1948;10(2):257-261; Griffiths, Biometrics
1973;29(4):637-648, doi:10.2307/2529131). Both are fitted by maximum likelihood (scipy.stats.binom,
scipy.stats.betabinom, scipy.optimize) and compared by AIC; intervals are Wald on the logit of the mean and
the log of the concentration. No-starts (admitted, never attended) are left out of the propensity fit and
give attendance.no_start_probability as a binomial share with a Wilson interval.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import (
    Candidate,
    Estimate,
    PartFit,
    choose,
    chosen_of,
    exp_bound,
    expit,
    logit,
    wald_intervals,
    wilson,
)


def _beta_binomial_nll(
    theta: NDArray[np.float64], attended: NDArray[np.int64], scheduled: NDArray[np.int64]
) -> float:
    mean = expit(float(theta[0]))
    concentration = math.exp(float(theta[1]))
    return float(
        -np.sum(stats.betabinom.logpmf(attended, scheduled, mean * concentration, (1 - mean) * concentration))
    )


def fit_attendance(extract: Extract) -> PartFit:
    part = PartFit()
    admitted = [e for e in extract.episodes if e.admitted is not None and e.discharged is not None]
    no_starts = sum(1 for e in admitted if e.discharge_type == "no_start")
    low, high = wilson(no_starts, len(admitted))
    if admitted:
        share = no_starts / len(admitted)
        part.estimates.append(
            Estimate(
                "attendance.no_start_probability", share, low, high, "binomial share, Wilson", len(admitted)
            )
        )
        part.fragment["no_start_probability"] = round(share, 4)
    rows = [e for e in extract.episodes if e.scheduled and e.attended and e.discharge_type != "no_start"]
    if len(rows) < 2:
        part.notes.append("attendance: fewer than 2 episodes with programme days; propensity not fitted")
        return part
    attended = np.array([e.attended for e in rows], dtype=np.int64)
    scheduled = np.array([e.scheduled for e in rows], dtype=np.int64)
    pooled = float(attended.sum() / scheduled.sum())
    binomial = float(np.sum(stats.binom.logpmf(attended, scheduled, pooled)))
    start = np.array([logit(min(max(pooled, 0.01), 0.99)), math.log(10.0)])
    result = optimize.minimize(
        _beta_binomial_nll,
        start,
        args=(attended, scheduled),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
    )
    mean = expit(float(result.x[0]))
    concentration = math.exp(float(result.x[1]))
    n = len(rows)
    candidates = [
        Candidate("attendance.propensity", "binomial", {"p": pooled}, binomial, n),
        Candidate(
            "attendance.propensity",
            "beta_binomial",
            {"mean": mean, "concentration": concentration},
            -float(result.fun),
            n,
        ),
    ]
    ranked = choose(candidates, notes="episodes attending at least one day")
    part.candidates += ranked
    best = chosen_of(ranked)
    intervals = wald_intervals(
        lambda theta: _beta_binomial_nll(theta, attended, scheduled), np.asarray(result.x, dtype=float)
    )
    part.estimates += [
        Estimate(
            "attendance.propensity.mean",
            mean,
            expit(intervals[0][0]),
            expit(intervals[0][1]),
            "beta-binomial MLE, Wald (logit scale)",
            n,
        ),
        Estimate(
            "attendance.propensity.concentration",
            concentration,
            exp_bound(intervals[1][0]),
            math.exp(min(intervals[1][1], 700.0)),
            "beta-binomial MLE, Wald (log scale)",
            n,
        ),
    ]
    if best.model == "beta_binomial":
        part.fragment["propensity"] = {
            "dist": "beta",
            "mean": round(mean, 4),
            "concentration": round(concentration, 3),
        }
    else:
        part.fragment["propensity"] = {"dist": "fixed", "value": round(pooled, 4)}
    part.notes.append(
        "attendance.propensity: days scheduled and attended per episode include the absences that ended a "
        "stay by the run of absences, so the fitted mean is a little below the propensity of those who stay"
    )
    return part
