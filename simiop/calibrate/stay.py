"""Length of stay with right-censoring and competing discharge types.

Each admitted episode is followed from admission to its discharge, or to the extract's as-of date while
still open (right-censored). The discharge types compete: each cause is fitted on its cause-specific
hazard, treating every other ending as censoring at that time, which is valid when the causes' latent
times are independent given the model (Kalbfleisch and Prentice, The Statistical Analysis of Failure Time
Data, 2nd ed. 2002, ch. 8; Putter, Fiocco and Geskus, Stat Med 2007;26(11):2389-2430, doi:10.1002/sim.2712).

- planned stay (length_of_stay.planned_stay, weeks): the time to completion, fitted by maximum likelihood
  with censoring (scipy.stats ``fit`` on ``scipy.stats.CensoredData``); gamma, lognormal and exponential
  candidates by AIC. With the base's progress reviews (``PlanRules.reviews``) each candidate is then
  refitted through them (simiop.calibrate.reviews) and the fragment keeps them; without, the fit is the
  whole time to completion, which includes what reviews add, and the fragment drops progress_review.
  In the form the simulator applies it (``PlanRules``, from the base config): a plan of P weeks ends on
  the last programme day before admission + 7P days, so a completion on day d after admission says only
  that 7P lies in (d, g], g the days to the track's next programme day: interval-censored (Turnbull,
  JRSS B 1976;38(3):290-295), not exact. The base's recertification stops plans of its payers at the
  first recertification date, and the simulation will stop them again: their episodes are right-censored
  there (independent censoring), so the fit sees the plan, not the stops.
- step-up and administrative hazards (per week): events / person-weeks (the exponential MLE), exact
  Poisson (Garwood) intervals, written as the weekly probability 1 - exp(-rate).
- dropout hazard by week of stay: piecewise-constant rates from person-time in weeks 1, 2, ..., K-1 and
  K onwards, K chosen by AIC (Poisson likelihood of the events given the exposure; Holford, Biometrics
  1980;36(2):299-305, doi:10.2307/2529982).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import (
    Candidate,
    Chosen,
    Estimate,
    PartFit,
    choose,
    chosen_of,
    exp_bound,
    poisson_rate_interval,
    wald_intervals,
)
from simiop.calibrate.reviews import (
    Observations,
    ReviewLikelihood,
    Reviews,
    completion_survival,
    programme_back,
)

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


@dataclass(frozen=True)
class PlanRules:
    """What the base config does to a plan that the fit must undo (simiop.calibrate.pipeline builds it).

    ``gaps[track][weekday]``: calendar days from a programme day on ``weekday`` (0 = Monday) to the
    track's next programme day (ASSUMPTION: closures and holidays ignored); ``recert_payers``: payers whose
    plans the base recertifies (None: every payer), ``recert_after_days``: its first recertification
    (None: no recertification)."""

    gaps: dict[str, tuple[int, ...]]
    recert_payers: frozenset[str] | None = None
    recert_after_days: float | None = None
    reviews: Reviews | None = None
    """The base's progress reviews: the plan is fitted through them (simiop.calibrate.reviews) and the
    fragment keeps them; None: the plan is the time to completion and the fragment drops them."""


@dataclass(frozen=True)
class Plans:
    """The plan of every admitted episode as a censored observation, in weeks (shape: episodes): exact
    where ``low == high``, right-censored where ``high`` is inf, interval-censored otherwise."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]

    @property
    def exact(self) -> NDArray[np.bool_]:
        return np.asarray(self.low == self.high)

    @property
    def right(self) -> NDArray[np.bool_]:
        return np.isinf(self.high)

    @property
    def interval(self) -> NDArray[np.bool_]:
        return ~self.exact & ~self.right

    def censored(self) -> stats.CensoredData:
        box = self.interval
        return stats.CensoredData(
            uncensored=self.low[self.exact],
            right=self.low[self.right],
            interval=np.column_stack([self.low[box], self.high[box]]),
        )


def plans(extract: Extract, data: Stays, rules: PlanRules | None) -> Plans:
    """Every admitted episode's plan, in the order of ``stays``: completions exact (no ``rules``) or
    interval-censored to the next programme day; other endings and open episodes right-censored; plans of
    recertified payers right-censored at the first recertification."""
    low = data.weeks.copy()
    high = np.where(np.array([e == "completed" for e in data.ending]), low, np.inf)
    admitted = [e for e in extract.episodes if e.admitted is not None]
    if rules is None:
        return Plans(low, high)
    for index, episode in enumerate(admitted):
        days = low[index] * DAYS_PER_WEEK
        cut = rules.recert_after_days
        if (
            cut is not None
            and (rules.recert_payers is None or episode.payer in rules.recert_payers)
            and days >= cut
        ):
            low[index], high[index] = cut / DAYS_PER_WEEK, np.inf
            continue
        gaps = rules.gaps.get(episode.track or "")
        if data.ending[index] == "completed" and gaps is not None and episode.discharged is not None:
            high[index] = (days + gaps[episode.discharged.weekday()]) / DAYS_PER_WEEK
    return Plans(low, high)


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


def censored_log_likelihood(frozen: stats.rv_continuous, data: Plans) -> float:
    """sum log f(t) over exact times + sum log S(t) over right-censored + sum log (F(high) - F(low)) over
    interval-censored ones."""
    box = data.interval
    inside = frozen.cdf(data.high[box]) - frozen.cdf(data.low[box])
    return float(
        np.sum(frozen.logpdf(data.low[data.exact]))
        + np.sum(frozen.logsf(data.low[data.right]))
        + np.sum(np.log(np.maximum(inside, 1e-300)))
    )


@dataclass(frozen=True)
class StayFit:
    """The stay fits kept for the figures: data, and the chosen planned-stay distribution."""

    data: Stays
    family: Family
    mean: float
    sd: float
    dropout_rates: tuple[float, ...]
    reviews: Reviews | None = None
    """The base's progress reviews the plan was fitted through (None: the plan is the time to completion)."""


MIN_COMPLETIONS = 3
"""Completions below which the planned stay is not fitted (the base's is kept): a two-parameter family
cannot be fitted to fewer (scipy's fit fails on one), as the readmissions need 3 returns."""


def fit_stay(
    extract: Extract, only: Chosen | None = None, rules: PlanRules | None = None
) -> tuple[PartFit, StayFit | None]:
    """Fit the planned stay, the step-up and administrative hazards and the dropout hazard by week.

    ``only``: fit only the planned-stay family and dropout pieces of an earlier fit (fits.Chosen);
    ``rules``: the base's programme days and recertification (without: completions are exact times)."""
    part = PartFit()
    data = stays(extract)
    if data.weeks.size == 0:
        part.notes.append("length_of_stay: no admitted episodes; not fitted")
        return part, None
    plan = plans(extract, data, rules)
    censored = plan.censored()
    fits: dict[Family, tuple[float, float, float]] = {}
    forced = (only or {}).get("length_of_stay.planned_stay")
    completions = int(data.events("completed").sum())
    if completions < MIN_COMPLETIONS:
        part.notes.append(
            f"length_of_stay.planned_stay: {completions} completions; not fitted (fewer than "
            f"{MIN_COMPLETIONS}), the base's planned stay is kept"
        )
    for family, distribution in FAMILIES.items() if completions >= MIN_COMPLETIONS else ():
        if forced is not None and family != forced:
            continue
        if family == "exponential" and not plan.interval.any():
            mean = float(plan.low.sum() / max(plan.exact.sum(), 1))
            sd = mean
        else:
            try:
                with warnings.catch_warnings():  # log(0) of interval-censored terms far out: scipy penalises
                    warnings.simplefilter("ignore", RuntimeWarning)
                    fitted = distribution(*distribution.fit(censored, floc=0))
            except stats.FitError as exc:  # e.g. every completion on one day: no spread to fit
                part.notes.append(f"length_of_stay.planned_stay: {family} not fitted ({exc})")
                continue
            mean, sd = _mean_sd(family, fitted)
            sd = mean if family == "exponential" else sd
        fits[family] = (mean, sd, censored_log_likelihood(_frozen(family, mean, sd), plan))
    through = rules.reviews if rules is not None else None
    likelihood = ReviewLikelihood(_observations(extract, plan, rules), through) if through and fits else None
    if likelihood is not None:
        fits = {
            family: _through_reviews(family, mean, sd, likelihood) for family, (mean, sd, _) in fits.items()
        }

    def log_likelihood(family: Family, mean: float, sd: float) -> float:
        frozen = _frozen(family, mean, sd)
        return likelihood(frozen) if likelihood is not None else censored_log_likelihood(frozen, plan)

    n = int(data.weeks.size)
    candidates = [
        Candidate(
            "length_of_stay.planned_stay",
            family,
            {"mean": mean, "sd": sd} if family != "exponential" else {"mean": mean},
            log_likelihood,
            n,
            notes="weeks; completions, other endings censored"
            + ("; the plan, through the base's progress reviews" if likelihood is not None else ""),
        )
        for family, (mean, sd, log_likelihood) in fits.items()
    ]
    fragment: dict[str, object] = {}
    chosen: Family | None = None
    mean = sd = math.nan
    if candidates:
        ranked = choose(candidates)
        part.candidates += ranked
        chosen = family = chosen_of(ranked).model
        mean, sd, _ = fits[family]
        part.estimates += [
            dataclasses.replace(e, method=f"{e.method}; the plan, through the base's progress reviews")
            if likelihood is not None
            else e
            for e in _planned_intervals(family, mean, sd, plan, log_likelihood)
        ]
        planned: dict[str, object] = {"dist": family, "mean": round(mean, 3)}
        if family != "exponential":
            planned["sd"] = round(sd, 3)
        fragment |= {"planned_stay_unit": "weeks", "planned_stay": planned}
        if likelihood is None:
            fragment["progress_review"] = None
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
    if chosen is None:
        return part, None
    return part, StayFit(data, chosen, mean, sd, tuple(rates), through)


def _planned_intervals(
    family: Family,
    mean: float,
    sd: float,
    data: Plans,
    log_likelihood: Callable[[Family, float, float], float],
) -> list[Estimate]:
    def objective(theta: NDArray[np.float64]) -> float:
        m = math.exp(theta[0])
        s = math.exp(theta[1]) if family != "exponential" else m
        return -log_likelihood(family, m, s)

    point = (
        np.array([math.log(mean), math.log(sd)]) if family != "exponential" else np.array([math.log(mean)])
    )
    intervals = wald_intervals(objective, point)
    n = int((~data.right).sum())
    method = f"{family} MLE with right- and interval-censoring, Wald (log scale)"
    result = [
        Estimate(
            "length_of_stay.planned_stay.mean",
            mean,
            exp_bound(intervals[0][0]),
            exp_bound(intervals[0][1]),
            method,
            n,
        )
    ]
    if family != "exponential":
        result.append(
            Estimate(
                "length_of_stay.planned_stay.sd",
                sd,
                exp_bound(intervals[1][0]),
                exp_bound(intervals[1][1]),
                method,
                n,
            )
        )
    return result


def _observations(extract: Extract, plan: Plans, rules: PlanRules | None) -> Observations:
    """The plans of ``plans`` in days, for the fit through the reviews: a completion's days to the next and
    since the previous programme day of its track (1 and 1 where the track's days are not known)."""
    admitted = [e for e in extract.episodes if e.admitted is not None]
    done = ~plan.right
    back = np.ones(int(done.sum()))
    for row, index in enumerate(np.flatnonzero(done)):
        episode = admitted[index]
        gaps = rules.gaps.get(episode.track or "") if rules is not None else None
        if gaps is not None and episode.discharged is not None:
            back[row] = programme_back(gaps, episode.discharged.weekday())
    low = plan.low * DAYS_PER_WEEK
    ahead = np.where(np.isfinite(plan.high), plan.high * DAYS_PER_WEEK - low, 0.0)
    return Observations(low[done], np.maximum(ahead[done], 1.0), back, low[plan.right])


def _through_reviews(
    family: Family, mean: float, sd: float, likelihood: ReviewLikelihood
) -> tuple[float, float, float]:
    """(mean, sd, log-likelihood) of the plan maximising ``likelihood``, from the smooth fit's mean and sd
    (Nelder-Mead on their logs)."""

    def objective(theta: NDArray[np.float64]) -> float:
        m = math.exp(theta[0])
        s = math.exp(theta[-1]) if family != "exponential" else m
        return -likelihood(_frozen(family, m, s))

    start = np.log([mean, sd]) if family != "exponential" else np.log([mean])
    found = optimize.minimize(objective, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-6})
    m = math.exp(found.x[0])
    s = math.exp(found.x[-1]) if family != "exponential" else m
    return m, s, -float(found.fun)


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
    ranked = choose(candidates)
    part.candidates += ranked
    best = chosen_of(ranked)
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
    """The survival function of the time to completion at ``weeks``: the chosen plan's, through the
    base's progress reviews where it was fitted through them."""
    plan = _frozen(fit.family, fit.mean, fit.sd)
    if fit.reviews is not None:
        return completion_survival(plan, fit.reviews, weeks)
    result: NDArray[np.float64] = plan.sf(weeks)
    return result
