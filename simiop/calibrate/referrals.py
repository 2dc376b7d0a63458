"""Referral volume per source: Poisson maximum likelihood on weekly counts, in the config's own form.

The model is the simulator's (simiop/model/referrals.py ``rate_per_day``): a rate of ``weekly_rate / 7``
a day, times the ramp-up ``f + (1 - f) min(t / 7W, 1)`` (t days since opening), times the seasonality
``1 + A cos(2 pi (day_of_year - peak) / 365.25)``. Four candidates per source (constant, ramp-up,
seasonal, ramp-up and seasonal) are fitted by maximising the Poisson log-likelihood of the weekly counts
(a sum of Poisson counts is Poisson with the summed mean; McCullagh and Nelder, Generalized Linear Models,
2nd ed. 1989, ch. 6) with scipy.optimize and compared by AIC. Seasonality with less than two years of
data is flagged as not identifiable (one year cannot tell a season from a trend or a chance swing) and is
not chosen. Overdispersion: the Pearson dispersion statistic sum((y - mu)^2 / mu) / (n - k) of the chosen
fit (about 1 for Poisson counts; Cameron and Trivedi, Regression Analysis of Count Data, 2nd ed. 2013,
sec. 3.4), and a negative binomial (NB2) candidate with the same mean, compared by AIC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats
from scipy.special import gammaln

from simiop.calibrate.extract import READMISSION_SOURCE, Extract
from simiop.calibrate.fits import (
    Candidate,
    Chosen,
    Estimate,
    PartFit,
    expit,
    logit,
    poisson_rate_interval,
    wald_intervals,
)

DAYS_PER_YEAR = 365.25
SEASON_NEEDS_DAYS = 730
"""Days of data below which a seasonal fit is flagged not identifiable and never chosen (two years)."""

Form = Literal["constant", "ramp_up", "seasonal", "ramp_up_seasonal"]
FORMS: tuple[Form, ...] = ("constant", "ramp_up", "seasonal", "ramp_up_seasonal")


@dataclass(frozen=True)
class Counts:
    """Referrals of one source per week of the data window, with each day's place for the rate."""

    days: NDArray[np.float64]
    """Midpoint of each day of the window, days since opening (shape: days)."""
    day_of_year: NDArray[np.float64]
    week: NDArray[np.int64]
    """Week index of each day (0 = the window's first week)."""
    counts: NDArray[np.float64]
    """Referrals per week (shape: weeks)."""
    log_factorials: float
    """sum of log(y!) over the weeks (the Poisson likelihood's constant)."""
    first: dt.date
    opening: dt.date
    daily: NDArray[np.float64]
    """Referrals per day of the window (shape: days)."""
    month: NDArray[np.int64]
    """Calendar month index of each day (0 = the first day's month)."""


def weekly_counts(dates: Sequence[dt.date], opening: dt.date, first: dt.date, last: dt.date) -> Counts:
    """Count referral dates per week from ``first`` to ``last`` (inclusive; the last week may be short)."""
    total = (last - first).days + 1
    start = (first - opening).days
    days = np.arange(start, start + total, dtype=float) + 0.5
    calendar = np.datetime64(first, "D") + np.arange(total).astype("timedelta64[D]")
    day_of_year = (calendar - calendar.astype("datetime64[Y]")).astype(np.int64) + 1.0
    week = np.arange(total) // 7
    daily = np.zeros(total)
    for date in dates:
        offset = (date - first).days
        if 0 <= offset < total:
            daily[offset] += 1
    counts = np.bincount(week, weights=daily).astype(float)
    months = calendar.astype("datetime64[M]").astype(np.int64)
    constant = float(np.sum(gammaln(counts + 1.0)))
    return Counts(days, day_of_year, week, counts, constant, first, opening, daily, months - months[0])


def rate_per_day(
    days: NDArray[np.float64],
    day_of_year: NDArray[np.float64],
    weekly_rate: float,
    ramp: tuple[float, float] | None,
    season: tuple[float, float] | None,
) -> NDArray[np.float64]:
    """The simulator's rate (referrals/day): ramp = (initial_fraction, weeks_to_full), season = (amplitude,
    peak_day_of_year)."""
    rate = np.full_like(days, weekly_rate / 7.0)
    if ramp is not None:
        initial, weeks = ramp
        progress = np.ones_like(days) if weeks <= 0 else np.minimum(days / (weeks * 7.0), 1.0)
        rate = rate * (initial + (1.0 - initial) * progress)
    if season is not None:
        amplitude, peak = season
        rate = rate * (1.0 + amplitude * np.cos(2.0 * math.pi * (day_of_year - peak) / DAYS_PER_YEAR))
    return rate


def _shape(data: Counts, form: Form, shape: Sequence[float]) -> NDArray[np.float64]:
    """Expected referrals per week for a weekly rate of 1, given the natural shape parameters
    (initial_fraction, weeks_to_full for a ramp; amplitude, peak_day_of_year for a season)."""
    ramp = season = None
    rest = list(shape)
    if form in ("ramp_up", "ramp_up_seasonal"):
        ramp = (min(max(rest[0], 0.0), 1.0), max(rest[1], 0.0))
        rest = rest[2:]
    if form in ("seasonal", "ramp_up_seasonal"):
        season = (rest[0], rest[1])
    daily = rate_per_day(data.days, data.day_of_year, 1.0, ramp, season)
    weekly: NDArray[np.float64] = np.bincount(data.week, weights=daily, minlength=data.counts.size).astype(
        float
    )
    return weekly


def _log_likelihood(data: Counts, means: NDArray[np.float64]) -> float:
    """Poisson log-likelihood of the weekly counts, constant included (so AIC compares across families)."""
    if not np.all(np.isfinite(means)) or np.any(means <= 0):
        return -1e12
    return float(np.sum(data.counts * np.log(means) - means) - data.log_factorials)


def _natural(form: Form, free: NDArray[np.float64]) -> list[float]:
    """Unconstrained shape parameters -> natural ones (the season as A (cos, sin) of the peak's angle)."""
    rest = list(free)
    shape: list[float] = []
    if form in ("ramp_up", "ramp_up_seasonal"):
        # clipped so a search straying far (a flat rate: the ramp is not identified) cannot overflow
        shape += [expit(min(max(rest[0], -500.0), 500.0)), math.exp(min(rest[1], 50.0))]
        rest = rest[2:]
    if form in ("seasonal", "ramp_up_seasonal"):
        a, b = rest[0], rest[1]
        shape += [math.hypot(a, b), (math.atan2(b, a) / (2.0 * math.pi) * DAYS_PER_YEAR) % DAYS_PER_YEAR]
    return shape


def _starts(form: Form) -> list[list[float]]:
    ramps = [[logit(0.3), math.log(13.0)], [logit(0.3), math.log(39.0)], [logit(0.7), math.log(4.0)]]
    seasons = [[0.1, 0.1], [-0.1, -0.1]]
    starts: list[list[float]] = [[]]
    if form in ("ramp_up", "ramp_up_seasonal"):
        starts = [start + ramp for start in starts for ramp in ramps]
    if form in ("seasonal", "ramp_up_seasonal"):
        starts = [start + season for start in starts for season in seasons]
    return starts


@dataclass(frozen=True)
class FormFit:
    """One form's maximum-likelihood fit: natural parameters [weekly_rate, *shape]."""

    form: Form
    theta: NDArray[np.float64]
    log_likelihood: float


def _profile(data: Counts, form: Form, shape: Sequence[float]) -> tuple[float, float]:
    """(weekly_rate, log-likelihood) maximised over the rate for a given shape: rate = sum y / sum shape."""
    unit = _shape(data, form, shape)
    total = float(unit.sum())
    if not math.isfinite(total) or total <= 0:
        return (math.nan, -1e12)
    rate = max(float(data.counts.sum()) / total, 1e-9)
    return rate, _log_likelihood(data, rate * unit)


def fit_form(data: Counts, form: Form) -> FormFit:
    """The maximum-likelihood fit of one form: the rate profiled out in closed form, the shape by
    Nelder-Mead from a few starts (the ramp's kink makes the likelihood non-smooth in weeks_to_full)."""
    if form == "constant":
        rate, log_likelihood = _profile(data, form, [])
        return FormFit(form, np.array([rate]), log_likelihood)

    def objective(free: NDArray[np.float64]) -> float:
        try:
            shape = _natural(form, free)
        except OverflowError:  # a ramp-up of more weeks than a float holds: with little data, nowhere near
            return 1e12
        if form in ("seasonal", "ramp_up_seasonal") and shape[-2] >= 0.99:
            return 1e12
        return -_profile(data, form, shape)[1]

    best: optimize.OptimizeResult | None = None
    for start in _starts(form):
        result = optimize.minimize(
            objective,
            np.array(start),
            method="Nelder-Mead",
            options={"xatol": 1e-5, "fatol": 1e-7, "maxiter": 2000},
        )
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    shape = _natural(form, np.asarray(best.x, dtype=float))
    rate, log_likelihood = _profile(data, form, shape)
    return FormFit(form, np.array([rate, *shape]), log_likelihood)


def _means(data: Counts, form: Form, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    return float(theta[0]) * _shape(data, form, list(theta[1:]))


def _names(form: Form) -> list[str]:
    names = ["weekly_rate"]
    if form in ("ramp_up", "ramp_up_seasonal"):
        names += ["ramp_up.initial_fraction", "ramp_up.weeks_to_full"]
    if form in ("seasonal", "ramp_up_seasonal"):
        names += ["seasonality.amplitude", "seasonality.peak_day_of_year"]
    return names


def parameters(form: Form, theta: NDArray[np.float64]) -> dict[str, float]:
    """The fitted values in the config's terms."""
    return {name: float(value) for name, value in zip(_names(form), theta, strict=False)}


def pearson_dispersion(data: Counts, fit: FormFit) -> float:
    """sum((y - mu)^2 / mu) / (n - k) over the weeks (nan with no degrees of freedom)."""
    means = _means(data, fit.form, fit.theta)
    freedom = data.counts.size - fit.theta.size
    return float(np.sum((data.counts - means) ** 2 / means) / freedom) if freedom > 0 else math.nan


def negative_binomial_fit(data: Counts, fit: FormFit) -> tuple[float, float]:
    """(log-likelihood, alpha) of NB2 counts with the Poisson fit's weekly means (variance mu + alpha mu^2);
    the mean parameters are held at the Poisson MLE, which stays consistent under overdispersion."""
    means = _means(data, fit.form, fit.theta)

    def objective(log_alpha: float) -> float:
        size = 1.0 / math.exp(log_alpha)
        return float(-np.sum(stats.nbinom.logpmf(data.counts, size, size / (size + means))))

    result = optimize.minimize_scalar(objective, bounds=(-12.0, 3.0), method="bounded")
    return -float(result.fun), math.exp(float(result.x))


def fitted_means(data: Counts, fit: FormFit) -> NDArray[np.float64]:
    """Expected referrals per week of the fit (shape: weeks)."""
    return _means(data, fit.form, fit.theta)


def monthly(data: Counts, fit: FormFit) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(observed, expected) referrals per calendar month of the window (the first and last may be part
    months)."""
    values = parameters(fit.form, fit.theta)
    ramp = season = None
    if "ramp_up.initial_fraction" in values:
        ramp = (values["ramp_up.initial_fraction"], values["ramp_up.weeks_to_full"])
    if "seasonality.amplitude" in values:
        season = (values["seasonality.amplitude"], values["seasonality.peak_day_of_year"])
    daily = rate_per_day(data.days, data.day_of_year, values["weekly_rate"], ramp, season)
    observed = np.bincount(data.month, weights=data.daily).astype(float)
    expected = np.bincount(data.month, weights=daily).astype(float)
    return observed, expected


@dataclass(frozen=True)
class SourceFit:
    """One source's fit: the data, every form's fit, the chosen one."""

    name: str
    data: Counts
    fits: dict[Form, FormFit]
    chosen: Form
    dispersion: float
    window_days: int


def fit_referrals(
    extract: Extract, opening: dt.date, sources: Sequence[str], only: Chosen | None = None
) -> tuple[PartFit, list[SourceFit]]:
    """Fit every source of ``sources`` (the base config's) on the referrals of the extract.

    The window runs from the later of the opening and the first referral in the extract to ``as_of``.
    Readmission referrals are left out (the config makes them from discharge.<type>.readmission).
    ``only``: fit only these forms (simiop.calibrate.fits.Chosen), without the ramp-up's profile intervals.
    """
    first = max(opening, min(episode.referred for episode in extract.episodes))
    window = (extract.as_of - first).days + 1
    part = PartFit()
    fits: list[SourceFit] = []
    for name in sources:
        dates = [e.referred for e in extract.episodes if e.source == name and e.source != READMISSION_SOURCE]
        data = weekly_counts(dates, opening, first, extract.as_of)
        forced = (only or {}).get(f"referrals.sources.{name}")
        forms: tuple[Form, ...] = tuple(f for f in FORMS if f == forced) or FORMS
        by_form = {form: fit_form(data, form) for form in forms}
        seasonal_ok = window >= SEASON_NEEDS_DAYS
        candidates = [
            Candidate(
                f"referrals.sources.{name}",
                form,
                parameters(form, fit.theta),
                fit.log_likelihood,
                data.counts.size,
                notes=""
                if seasonal_ok or "seasonal" not in form
                else f"seasonality not identifiable: {window} days of data, under two years; not chosen",
            )
            for form, fit in by_form.items()
        ]
        eligible = [c for c in candidates if seasonal_ok or "seasonal" not in c.model] or candidates
        chosen_form: Form = min(eligible, key=lambda c: c.aic).model  # type: ignore[assignment]
        chosen = by_form[chosen_form]
        dispersion = pearson_dispersion(data, chosen)
        nb_log_likelihood, alpha = negative_binomial_fit(data, chosen)
        candidates = [
            Candidate(c.part, c.model, c.parameters, c.log_likelihood, c.n, c.model == chosen_form, c.notes)
            for c in candidates
        ]
        candidates.append(
            Candidate(
                f"referrals.sources.{name}",
                f"{chosen_form}+negative_binomial",
                parameters(chosen_form, chosen.theta) | {"alpha": alpha},
                nb_log_likelihood,
                data.counts.size,
                notes=f"Pearson dispersion of the Poisson fit {dispersion:.3f}",
            )
        )
        part.candidates += candidates
        part.estimates += _estimates(name, data, chosen, profile=only is None)
        part.fragment[name] = _fragment(chosen)
        if dispersion > 1.5:
            part.notes.append(
                f"referrals.sources.{name}: overdispersed weekly counts "
                f"(Pearson dispersion {dispersion:.2f}): "
                "the simulator's Poisson referrals will vary less than the clinic's"
            )
        if not seasonal_ok:
            part.notes.append(
                f"referrals.sources.{name}: seasonality not identifiable with {window} days of data "
                "(under two years); the fragment keeps none"
            )
        fits.append(SourceFit(name, data, by_form, chosen_form, dispersion, window))
    return part, fits


def _fragment(fit: FormFit) -> dict[str, object]:
    values = parameters(fit.form, fit.theta)
    ramp = "ramp_up.initial_fraction" in values
    season = "seasonality.amplitude" in values
    return {
        "weekly_rate": round(values["weekly_rate"], 4),
        "ramp_up": {
            "initial_fraction": round(values["ramp_up.initial_fraction"], 4),
            "weeks_to_full": round(min(values["ramp_up.weeks_to_full"], 520.0), 2),
        }
        if ramp
        else None,
        "seasonality": {
            "amplitude": round(min(values["seasonality.amplitude"], 0.99), 4),
            "peak_day_of_year": round(values["seasonality.peak_day_of_year"]) % 366 or 366,
        }
        if season
        else None,
    }


BOUNDED = {"ramp_up.initial_fraction": (0.0, 1.0), "seasonality.amplitude": (0.0, 0.99)}


def _estimates(name: str, data: Counts, fit: FormFit, profile: bool = True) -> list[Estimate]:
    """95% Wald intervals from the observed information in the natural parameters, clipped to each one's
    range (a fit on its boundary, e.g. an initial fraction of 0, gets a one-sided, approximate interval).
    ``profile``: False leaves the ramp-up's intervals nan (the bootstrap needs the values only)."""
    prefix = f"referrals.sources.{name}"

    def objective(theta: NDArray[np.float64]) -> float:
        return -_log_likelihood(data, _means(data, fit.form, theta))

    intervals = wald_intervals(objective, fit.theta)
    n = int(data.counts.sum())
    result = []
    for path, value, (low, high) in zip(_names(fit.form), fit.theta, intervals, strict=False):
        floor, ceiling = BOUNDED.get(path, (0.0, math.inf))
        method = "Poisson MLE, Wald"
        if path.endswith("peak_day_of_year"):
            floor, ceiling = -math.inf, math.inf
            method += " (days; circular: may pass 1 January)"
        if path.startswith("ramp_up."):
            low, high = _ramp_profile(data, fit, path) if profile else (math.nan, math.nan)
            method = "Poisson MLE, profile likelihood (rate and the other ramp parameter re-fitted)"
        if path == "weekly_rate" and n == 0:  # no curvature at the floor: the exact interval for 0 events
            exposure = float(_means(data, fit.form, fit.theta).sum()) / float(value)  # weeks at full rate
            low, high = poisson_rate_interval(0, exposure)
            method = "Poisson MLE, exact (Garwood) for 0 referrals"
        result.append(
            Estimate(f"{prefix}.{path}", float(value), max(low, floor), min(high, ceiling), method, n)
        )
    return result


PROFILE_DROP = 1.920729410347062
"""Half the chi-square(1) 0.95 quantile: a profile-likelihood 95% interval holds the values whose profile
log-likelihood is within this of the maximum (Pawitan 2001, sec. 3.4; Venzon and Moolgavkar, Appl Stat
1988;37(1):87-94, doi:10.2307/2347496)."""


def _ramp_profile(data: Counts, fit: FormFit, path: str) -> tuple[float, float]:
    """Profile-likelihood interval of one ramp parameter on a grid, the other re-fitted (any season held).

    Wald intervals fail here: the ramp's kink makes the likelihood's curvature in weeks_to_full
    meaningless, and initial_fraction often sits on its boundary 0."""
    season = list(fit.theta[3:])
    fraction_index = path.endswith("initial_fraction")

    def profile(fixed: float) -> float:
        def inner(free: float) -> float:
            shape = [fixed, math.exp(free)] if fraction_index else [expit(free), fixed]
            return -_profile(data, fit.form, shape + season)[1]

        bounds = (math.log(0.1), math.log(520.0)) if fraction_index else (-12.0, 12.0)
        return -float(optimize.minimize_scalar(inner, bounds=bounds, method="bounded").fun)

    value = float(fit.theta[1] if fraction_index else fit.theta[2])
    grid = (
        np.linspace(0.0, 1.0, 101)
        if fraction_index
        else np.unique(np.concatenate([np.linspace(0.0, 104.0, 209), [value]]))
    )
    inside = [float(x) for x in grid if profile(float(x)) >= fit.log_likelihood - PROFILE_DROP]
    if not inside:
        return (value, value)
    step = float(grid[1] - grid[0])
    return (max(min(min(inside), value) - step / 2, 0.0), max(max(inside), value) + step / 2)
