"""Length of stay with right-censoring and competing discharge types.

Each admitted episode is followed from admission to its discharge, or to the extract's as-of date while
still open (right-censored). The discharge types compete: each cause is fitted on its cause-specific
hazard, treating every other ending as censoring at that time, which is valid when the causes' latent
times are independent given the model (Kalbfleisch and Prentice, The Statistical Analysis of Failure Time
Data, 2nd ed. 2002, ch. 8; Putter, Fiocco and Geskus, Stat Med 2007;26(11):2389-2430, doi:10.1002/sim.2712).

- planned stay (length_of_stay.planned_stay, weeks): the time to completion, fitted by maximum likelihood
  with censoring (scipy.stats ``fit`` on ``scipy.stats.CensoredData``); gamma, lognormal and exponential
  candidates by AIC. It includes what reviews and extensions add, so the fragment drops progress_review.
- step-up and administrative hazards (per week): events / person-weeks (the exponential MLE), exact
  Poisson (Garwood) intervals, written as the weekly probability 1 - exp(-rate).
- dropout hazard by week of stay: piecewise-constant rates from person-time in weeks 1, 2, ..., K-1 and
  K onwards, K chosen by AIC (Poisson likelihood of the events given the exposure; Holford, Biometrics
  1980;36(2):299-305, doi:10.2307/2529982).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import Candidate, Chosen, Estimate, PartFit, poisson_rate_interval, wald_intervals

DAYS_PER_WEEK = 7.0
MAX_DROPOUT_PIECES = 6


@dataclass(frozen=True)
class Stays:
    """Admitted episodes: weeks followed (shape: episodes) and how each ended ('' = still open)."""

    weeks: NDArray[np.float64]
    ending: tuple[str, ...]

    def events(self, cause: str) -> NDArray[np.bool_]:
        return np.array([ending == cause for ending in self.ending])


def stays(extract: Extract) -> Stays:
    """Follow-up of every admitted episode, in weeks (at least a tenth of a day, so none is 0)."""
    weeks = []
    ending = []
    for episode in extract.episodes:
        if episode.admitted is None:
            continue
        end = episode.discharged or extract.as_of
        days = (end - episode.admitted).days + (0 if episode.discharged else 1)
        weeks.append(max(days, 0.1) / DAYS_PER_WEEK)
        ending.append(episode.discharge_type or "")
    return Stays(np.array(weeks), tuple(ending))


Family = str
FAMILIES: dict[Family, stats.rv_continuous] = {
    "gamma": stats.gamma,
    "lognormal": stats.lognorm,
    "exponential": stats.expon,
}


def _frozen(family: Family, mean: float, sd: float) -> stats.rv_continuous:
    if family == "gamma":
        shape = (mean / sd) ** 2
        return stats.gamma(shape, scale=mean / shape)
    if family == "lognormal":
        sigma2 = math.log(1.0 + (sd / mean) ** 2)
        return stats.lognorm(math.sqrt(sigma2), scale=mean / math.exp(sigma2 / 2.0))
    return stats.expon(scale=mean)


def _mean_sd(family: Family, fitted: stats.rv_continuous) -> tuple[float, float]:
    return float(fitted.mean()), float(fitted.std())


def censored_log_likelihood(
    frozen: stats.rv_continuous, times: NDArray[np.float64], event: NDArray[np.bool_]
) -> float:
    """sum log f(t) over events + sum log S(t) over censored times."""
    return float(np.sum(frozen.logpdf(times[event])) + np.sum(frozen.logsf(times[~event])))


@dataclass(frozen=True)
class StayFit:
    """The stay fits kept for the figures: data, and the chosen planned-stay distribution."""

    data: Stays
    family: Family
    mean: float
    sd: float
    dropout_rates: tuple[float, ...]


def fit_stay(extract: Extract, only: Chosen | None = None) -> tuple[PartFit, StayFit | None]:
    """Fit the planned stay, the step-up and administrative hazards and the dropout hazard by week.

    ``only``: fit only the planned-stay family and dropout pieces of an earlier fit (fits.Chosen)."""
    part = PartFit()
    data = stays(extract)
    if data.weeks.size == 0:
        part.notes.append("length_of_stay: no admitted episodes; not fitted")
        return part, None
    completed = data.events("completed")
    censored = stats.CensoredData(uncensored=data.weeks[completed], right=data.weeks[~completed])
    fits: dict[Family, tuple[float, float, float]] = {}
    forced = (only or {}).get("length_of_stay.planned_stay")
    for family, distribution in FAMILIES.items():
        if forced is not None and family != forced:
            continue
        if family == "exponential":
            mean = float(data.weeks.sum() / max(completed.sum(), 1))
            sd = mean
        else:
            fitted = distribution(*distribution.fit(censored, floc=0))
            mean, sd = _mean_sd(family, fitted)
        fits[family] = (mean, sd, censored_log_likelihood(_frozen(family, mean, sd), data.weeks, completed))
    n = int(data.weeks.size)
    candidates = [
        Candidate(
            "length_of_stay.planned_stay",
            family,
            {"mean": mean, "sd": sd} if family != "exponential" else {"mean": mean},
            log_likelihood,
            n,
            notes="weeks; completions, other endings censored",
        )
        for family, (mean, sd, log_likelihood) in fits.items()
    ]
    best = min(candidates, key=lambda c: c.aic)
    part.candidates += [
        Candidate(c.part, c.model, c.parameters, c.log_likelihood, c.n, c is best, c.notes)
        for c in candidates
    ]
    family = best.model
    mean, sd, _ = fits[family]
    part.estimates += _planned_intervals(family, mean, sd, data, completed)
    planned: dict[str, object] = {"dist": family, "mean": round(mean, 3)}
    if family != "exponential":
        planned["sd"] = round(sd, 3)
    fragment: dict[str, object] = {
        "planned_stay_unit": "weeks",
        "planned_stay": planned,
        "progress_review": None,
    }
    exposure = float(data.weeks.sum())
    for cause, field in (
        ("step_up", "step_up_weekly_hazard"),
        ("administrative", "administrative_weekly_hazard"),
    ):
        events = int(data.events(cause).sum())
        rate = events / exposure
        low, high = poisson_rate_interval(events, exposure)
        part.estimates.append(
            Estimate(
                f"length_of_stay.{field}",
                1 - math.exp(-rate),
                1 - math.exp(-low),
                1 - math.exp(-high),
                "events / person-weeks, Garwood; 1 - exp(-rate)",
                events,
            )
        )
        part.candidates.append(
            Candidate(
                f"length_of_stay.{field}",
                "constant",
                {"rate_per_week": rate},
                events * math.log(rate) - rate * exposure if events else 0.0,
                n,
                True,
            )
        )
        fragment[field] = round(1 - math.exp(-rate), 5)
    pieces = (only or {}).get("length_of_stay.dropout_hazard")
    rates = _dropout(part, data, int(pieces.split("_")[0]) if pieces else None)
    fragment["dropout_hazard"] = {"weekly_by_week": [round(1 - math.exp(-rate), 5) for rate in rates]}
    part.fragment = fragment
    return part, StayFit(data, family, mean, sd, tuple(rates))


def _planned_intervals(
    family: Family, mean: float, sd: float, data: Stays, event: NDArray[np.bool_]
) -> list[Estimate]:
    def objective(theta: NDArray[np.float64]) -> float:
        m = math.exp(theta[0])
        s = math.exp(theta[1]) if family != "exponential" else m
        return -censored_log_likelihood(_frozen(family, m, s), data.weeks, event)

    point = (
        np.array([math.log(mean), math.log(sd)]) if family != "exponential" else np.array([math.log(mean)])
    )
    intervals = wald_intervals(objective, point)
    n = int(event.sum())
    method = f"{family} MLE with right-censoring, Wald (log scale)"
    result = [
        Estimate(
            "length_of_stay.planned_stay.mean",
            mean,
            math.exp(intervals[0][0]),
            math.exp(intervals[0][1]),
            method,
            n,
        )
    ]
    if family != "exponential":
        result.append(
            Estimate(
                "length_of_stay.planned_stay.sd",
                sd,
                math.exp(intervals[1][0]),
                math.exp(intervals[1][1]),
                method,
                n,
            )
        )
    return result


def person_weeks(data: Stays, cause: str, pieces: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(events, exposure in weeks) in weeks 1 .. pieces-1 of stay and from week ``pieces`` on."""
    events = np.zeros(pieces)
    exposure = np.zeros(pieces)
    for weeks, ending in zip(data.weeks, data.ending, strict=False):
        for piece in range(pieces):
            start = float(piece)
            end = math.inf if piece == pieces - 1 else start + 1.0
            exposure[piece] += max(0.0, min(weeks, end) - start)
            if ending == cause and start <= weeks < end:
                events[piece] += 1
    return events, exposure


def _dropout(part: PartFit, data: Stays, only: int | None = None) -> list[float]:
    candidates = []
    rates_by_k: dict[int, list[float]] = {}
    for pieces in [only] if only else range(1, MAX_DROPOUT_PIECES + 1):
        events, exposure = person_weeks(data, "dropout", pieces)
        rates = [float(e / x) if x > 0 else 0.0 for e, x in zip(events, exposure, strict=False)]
        log_likelihood = sum(
            e * math.log(r) - r * x for e, r, x in zip(events, rates, exposure, strict=False) if r > 0
        )
        rates_by_k[pieces] = rates
        candidates.append(
            Candidate(
                "length_of_stay.dropout_hazard",
                f"{pieces}_pieces",
                {f"week_{i + 1}{'+' if i == pieces - 1 else ''}_rate": r for i, r in enumerate(rates)},
                log_likelihood,
                int(data.weeks.size),
            )
        )
    best = min(candidates, key=lambda c: c.aic)
    part.candidates += [
        Candidate(c.part, c.model, c.parameters, c.log_likelihood, c.n, c is best, c.notes)
        for c in candidates
    ]
    pieces = int(best.model.split("_")[0])
    events, exposure = person_weeks(data, "dropout", pieces)
    for index, (e, x) in enumerate(zip(events, exposure, strict=False)):
        low, high = poisson_rate_interval(int(e), float(x))
        rate = rates_by_k[pieces][index]
        part.estimates.append(
            Estimate(
                f"length_of_stay.dropout_hazard.weekly_by_week[{index}]",
                1 - math.exp(-rate),
                1 - math.exp(-low),
                1 - math.exp(-high),
                "events / person-weeks in the week of stay, Garwood; 1 - exp(-rate)",
                int(e),
            )
        )
    part.notes.append(
        "length_of_stay.dropout_hazard: every dropout of the extract, including those a run of absences "
        "caused; with the base's attendance.consecutive_absences_to_dropout both act, so simulated "
        "dropout can exceed the extract's"
    )
    return rates_by_k[pieces]


def fitted_survival(fit: StayFit, weeks: NDArray[np.float64]) -> NDArray[np.float64]:
    """The chosen planned-stay distribution's survival function at ``weeks``."""
    result: NDArray[np.float64] = _frozen(fit.family, fit.mean, fit.sd).sf(weeks)
    return result
