"""Readmission probability and delay by discharge type (discharge.<type>), allowing for short follow-up.

A discharge is followed from its date to the patient's next referral (a readmission after the delay) or to
the extract's as-of date (censored). A discharge followed only briefly has not had its chance to return, so
the share returned so far understates the probability. The model is a mixture ("cure") model: with
probability p the patient returns, after a delay with density f; the likelihood is p f(d) for a return
after d days and (1 - p) + p S(c) for no return in c days of follow-up (Boag, JRSS B 1949;11(1):15-53;
Farewell, Biometrics 1982;38(4):1041-1046, doi:10.2307/2529885). Lognormal and gamma delays (the config's
forms, by mean and sd) are fitted by maximum likelihood (scipy.optimize, scipy.stats) and compared by AIC;
intervals are Wald on logit p, log mean and log sd. The naive share returned is listed too.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from simiop.calibrate.extract import DISCHARGES, Episode, Extract
from simiop.calibrate.fits import (
    Candidate,
    Chosen,
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

FAMILIES = ("lognormal", "gamma")


def _frozen(family: str, mean: float, sd: float) -> stats.rv_continuous:
    if family == "gamma":
        shape = (mean / sd) ** 2
        return stats.gamma(shape, scale=mean / shape)
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return stats.lognorm(math.sqrt(sigma2), scale=mean / math.exp(sigma2 / 2.0))


def follow_up(extract: Extract) -> dict[str, tuple[NDArray[np.float64], NDArray[np.bool_]]]:
    """Per discharge type: (days to the next referral or to as-of, returned?) for every discharge."""
    by_patient: dict[str, list[Episode]] = defaultdict(list)
    for episode in extract.episodes:
        by_patient[episode.patient].append(episode)
    result: dict[str, tuple[list[float], list[bool]]] = {kind: ([], []) for kind in DISCHARGES}
    for episodes in by_patient.values():
        for episode in episodes:
            if episode.discharged is None or episode.discharge_type not in DISCHARGES:
                continue
            later = [e.referred for e in episodes if e is not episode and e.referred >= episode.discharged]
            days, returned = (
                ((min(later) - episode.discharged).days + 0.5, True)
                if later
                else ((extract.as_of - episode.discharged).days + 1.0, False)
            )
            result[episode.discharge_type][0].append(max(days, 0.5))
            result[episode.discharge_type][1].append(returned)
    return {kind: (np.array(days), np.array(flags, dtype=bool)) for kind, (days, flags) in result.items()}


def _nll(
    theta: NDArray[np.float64], family: str, days: NDArray[np.float64], returned: NDArray[np.bool_]
) -> float:
    p = expit(float(theta[0]))
    frozen = _frozen(family, math.exp(float(theta[1])), math.exp(float(theta[2])))
    events = np.log(p) + frozen.logpdf(days[returned])
    survival = np.log1p(-p + p * frozen.sf(days[~returned]))
    value = -float(np.sum(events) + np.sum(survival))
    return value if math.isfinite(value) else 1e12


def _negative(
    theta: NDArray[np.float64], *, family: str, days: NDArray[np.float64], returned: NDArray[np.bool_]
) -> float:
    return _nll(theta, family, days, returned)


def fit_readmission(extract: Extract, only: Chosen | None = None) -> PartFit:
    """Fit every discharge type's cure model; ``only``: the delay family of an earlier fit (fits.Chosen)."""
    part = PartFit()
    for kind, (days, returned) in follow_up(extract).items():
        n = int(days.size)
        back = int(returned.sum())
        if back < 3:
            part.notes.append(
                f"discharge.{kind}: {back} readmissions of {n} discharges; not fitted (fewer than 3)"
            )
            continue
        naive = back / n
        low, high = wilson(back, n)
        part.candidates.append(
            Candidate(
                f"discharge.{kind}",
                "naive_share",
                {"probability": naive},
                math.nan,
                n,
                notes=f"returned so far, Wilson 95% {low:.3f}-{high:.3f}; ignores short follow-up",
            )
        )
        observed = days[returned]
        start_mean = float(observed.mean())
        start_sd = float(max(observed.std(), start_mean / 3))
        fits = {}
        forced = (only or {}).get(f"discharge.{kind}", "").removeprefix("cure_")
        for family in [forced] if forced in FAMILIES else FAMILIES:
            start = np.array(
                [logit(min(max(naive * 1.2, 0.01), 0.95)), math.log(start_mean), math.log(start_sd)]
            )
            result = optimize.minimize(
                _nll,
                start,
                args=(family, days, returned),
                method="Nelder-Mead",
                options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000},
            )
            fits[family] = result
        candidates = [
            Candidate(
                f"discharge.{kind}",
                f"cure_{family}",
                {
                    "probability": expit(float(r.x[0])),
                    "delay_mean": math.exp(float(r.x[1])),
                    "delay_sd": math.exp(float(r.x[2])),
                },
                -float(r.fun),
                n,
            )
            for family, r in fits.items()
        ]
        ranked = choose(candidates, notes="mixture cure model, censored follow-up")
        part.candidates += ranked
        best = chosen_of(ranked)
        family = best.model.removeprefix("cure_")
        chosen = fits[family]

        def objective(
            theta: NDArray[np.float64],
            f: str = family,
            d: NDArray[np.float64] = days,
            r: NDArray[np.bool_] = returned,
        ) -> float:
            return _nll(theta, f, d, r)

        intervals = wald_intervals(
            functools.partial(_negative, family=family, days=days, returned=returned),
            np.asarray(chosen.x, dtype=float),
        )
        method = f"mixture cure MLE ({family} delay), Wald"
        part.estimates += [
            Estimate(
                f"discharge.{kind}.probability",
                best.parameters["probability"],
                expit(intervals[0][0]),
                expit(intervals[0][1]),
                method + " (logit scale)",
                n,
            ),
            Estimate(
                f"discharge.{kind}.delay_days.mean",
                best.parameters["delay_mean"],
                exp_bound(intervals[1][0]),
                exp_bound(intervals[1][1]),
                method + " (log scale)",
                back,
            ),
            Estimate(
                f"discharge.{kind}.delay_days.sd",
                best.parameters["delay_sd"],
                exp_bound(intervals[2][0]),
                exp_bound(intervals[2][1]),
                method + " (log scale)",
                back,
            ),
        ]
        part.fragment[kind] = {
            "probability": round(best.parameters["probability"], 4),
            "delay_days": {
                "dist": family,
                "mean": round(best.parameters["delay_mean"], 2),
                "sd": round(best.parameters["delay_sd"], 2),
            },
        }
    return part
