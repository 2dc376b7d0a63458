"""The intake show rate against days waited (intake.show_rate_by_days_waited), from a bookings file.

The config's curve is piecewise linear in days waited, flat beyond its first and last point
(``simiop.config.distributions.PiecewiseLinear``). Each booking is a Bernoulli trial whose probability is
that curve at the booking's days waited (as the simulator draws it: simiop.model.intake), so with the
points' x fixed the probability is linear in their heights, p = W y with W the interpolation weights,
and the log-likelihood sum(a log p + (1 - a) log(1 - p)) is concave in y: its maximum on [0, 1]^k is
found by L-BFGS-B with the exact gradient (scipy.optimize.minimize). The x of the points are the base
config's (intake.show_rate_by_days_waited), less any point whose neighbourhood holds under
MIN_WEIGHT bookings' worth of interpolation weight (the data cannot place it; the curve is flat or
linear there instead, noted). Candidates: that curve and a constant show rate (one point), compared by
AIC (simiop.calibrate.fits). Intervals: Wald from the observed information on the logit scale,
transformed back (Pawitan, In All Likelihood, 2001, ch. 2 and 4).

Per source (intake.by_source.<source>.show_rate_by_days_waited), as for the outcome shares
(simiop.calibrate.intake): a source's own curve of the chosen form is compared by AIC with the curve
pooled over every booking; it gets its own entry only when that wins, and the pooled curve is refitted
on the bookings of every other source and of readmissions (which use intake's own curve in the
simulator). A base config's per-source curve that is not refitted is replaced by that curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simiop.calibrate.extract import Extract
from simiop.calibrate.fits import Z95, Candidate, Chosen, Estimate, PartFit

MIN_WEIGHT = 5.0
"""Least interpolation weight (bookings' worth) a point of the curve must carry to be fitted."""
EDGE = 1e-6
"""Heights are kept in [EDGE, 1 - EDGE] so every log-likelihood term is finite."""
POOLED = "intake.show_rate_by_days_waited"
CURVE = "piecewise_linear"
CONSTANT = "constant"


def weights(days: np.ndarray, knots: Sequence[float]) -> np.ndarray:
    """``W[booking, point]``: the interpolation weights of np.interp (flat beyond the ends), so that the
    curve through heights y at ``knots`` is W @ y at ``days``."""
    xs = np.asarray(knots, dtype=float)
    result = np.zeros((days.size, xs.size))
    if xs.size == 1:
        result[:, 0] = 1.0
        return result
    clipped = np.clip(days, xs[0], xs[-1])
    upper = np.clip(np.searchsorted(xs, clipped, side="right"), 1, xs.size - 1)
    lower = upper - 1
    share = (clipped - xs[lower]) / (xs[upper] - xs[lower])
    rows = np.arange(days.size)
    result[rows, lower] = 1.0 - share
    result[rows, upper] += share
    return result


@dataclass(frozen=True)
class CurveFit:
    """The maximum-likelihood heights of a show-rate curve at ``knots`` with 95% intervals."""

    knots: tuple[float, ...]
    heights: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    log_likelihood: float
    n: int

    def points(self) -> list[list[float]]:
        """The curve as the config writes it: [[x, y], ...] (heights to 4 decimals)."""
        return [[_x(x), round(y, 4)] for x, y in zip(self.knots, self.heights, strict=True)]

    def at(self, days: np.ndarray) -> np.ndarray:
        return np.asarray(np.interp(days, self.knots, self.heights), dtype=float)


def _x(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def log_likelihood(
    days: np.ndarray, came: np.ndarray, knots: Sequence[float], heights: Sequence[float] | np.ndarray
) -> float:
    """Bernoulli log-likelihood of the bookings (``came`` 1 or 0) under the curve."""
    p = np.clip(weights(days, knots) @ np.asarray(heights, dtype=float), EDGE, 1.0 - EDGE)
    return float(np.sum(came * np.log(p) + (1.0 - came) * np.log1p(-p)))


def fit_curve(days: np.ndarray, came: np.ndarray, knots: Sequence[float]) -> CurveFit:
    """Maximum-likelihood heights at ``knots`` (one knot: a constant show rate) with Wald intervals on
    the logit scale. ``days``: days waited per booking; ``came``: 1 attended, 0 not."""
    from scipy import optimize

    w = weights(days, knots)
    if len(knots) == 1:
        heights = np.array([min(max(float(came.mean()), EDGE), 1.0 - EDGE)])
    else:

        def objective(y: np.ndarray) -> tuple[float, np.ndarray]:
            p = np.clip(w @ y, EDGE, 1.0 - EDGE)
            value = -float(np.sum(came * np.log(p) + (1.0 - came) * np.log1p(-p)))
            gradient = -(w.T @ (came / p - (1.0 - came) / (1.0 - p)))
            return value, gradient

        # Start from each point's weighted share of attended bookings (the binned estimate).
        start = np.clip((w.T @ came) / np.maximum(w.sum(axis=0), 1e-12), 0.05, 0.95)
        found = optimize.minimize(
            objective, start, jac=True, method="L-BFGS-B", bounds=[(EDGE, 1.0 - EDGE)] * len(knots)
        )
        heights = np.asarray(found.x, dtype=float)
    p = np.clip(w @ heights, EDGE, 1.0 - EDGE)
    information = w.T @ (w * (came / p**2 + (1.0 - came) / (1.0 - p) ** 2)[:, None])
    try:
        covariance = np.linalg.inv(information)
        variances = np.diag(covariance)
    except np.linalg.LinAlgError:
        variances = np.full(len(knots), math.nan)
    low, high = [], []
    for y, var in zip(heights.tolist(), variances.tolist(), strict=True):
        if not (var > 0 and math.isfinite(var)):
            low.append(math.nan)
            high.append(math.nan)
            continue
        centre = math.log(y / (1.0 - y))
        half = Z95 * math.sqrt(var) / (y * (1.0 - y))  # delta method: d logit(y)/dy = 1/(y(1-y))
        low.append(_expit(centre - half))
        high.append(_expit(centre + half))
    return CurveFit(
        tuple(float(x) for x in knots),
        tuple(heights.tolist()),
        tuple(low),
        tuple(high),
        log_likelihood(days, came, knots, heights),
        int(days.size),
    )


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def fitted_knots(days: np.ndarray, knots: Sequence[float]) -> tuple[tuple[float, ...], list[float]]:
    """``knots`` less those whose interpolation weight is under MIN_WEIGHT (fewest first, one at a time,
    as the weights move to the neighbours), and the knots dropped."""
    kept = [float(x) for x in knots]
    dropped: list[float] = []
    while len(kept) > 1:
        mass = weights(days, kept).sum(axis=0)
        lightest = int(np.argmin(mass))
        if mass[lightest] >= MIN_WEIGHT:
            break
        dropped.append(kept.pop(lightest))
    return tuple(kept), dropped


@dataclass(frozen=True)
class ShowGroup:
    """The bookings one curve was fitted to, and the curves (for the observed-vs-fitted figure)."""

    name: str
    days: np.ndarray
    came: np.ndarray
    curve: CurveFit
    constant: CurveFit
    chosen: str


@dataclass(frozen=True)
class ShowFit:
    """What the show-rate fit used and found: a group for intake's own curve, one per source with its own."""

    groups: tuple[ShowGroup, ...]


def _data(extract: Extract, sources: set[str] | None, exclude: set[str]) -> tuple[np.ndarray, np.ndarray]:
    days, came = [], []
    for episode in extract.episodes:
        if (sources is not None and episode.source not in sources) or episode.source in exclude:
            continue
        for booking in episode.bookings:
            if booking.attended is not None:
                days.append(booking.days_waited)
                came.append(1.0 if booking.attended else 0.0)
    return np.asarray(days, dtype=float), np.asarray(came, dtype=float)


def _candidate(part: str, model: str, fit: CurveFit, chosen: bool, notes: str) -> Candidate:
    parameters = {f"y_at_{_x(x)}": y for x, y in zip(fit.knots, fit.heights, strict=True)}
    return Candidate(part, model, parameters, fit.log_likelihood, fit.n, chosen, notes)


def _estimates(prefix: str, fit: CurveFit) -> list[Estimate]:
    return [
        Estimate(
            f"{prefix}.points[{index}][1]",
            y,
            low,
            high,
            f"Bernoulli MLE of the curve's height at {_x(x)} days waited, Wald (logit)",
            fit.n,
        )
        for index, (x, y, low, high) in enumerate(zip(fit.knots, fit.heights, fit.low, fit.high, strict=True))
    ]


def _curve(fit: CurveFit) -> dict[str, object]:
    return {"curve": CURVE, "points": fit.points()}


def fit_show(
    extract: Extract,
    knots: Sequence[float],
    sources: Sequence[str],
    by_source_base: Sequence[str],
    only: Chosen | None = None,
) -> tuple[PartFit, ShowFit | None]:
    """Fit intake's show-rate curve and the sources' own where AIC says so, from the bookings attached to
    ``extract``'s episodes. ``knots``: the x of the base's curve; ``by_source_base``: sources whose base
    config has its own curve (they are written either way). An empty PartFit without bookings."""
    part = PartFit()
    days, came = _data(extract, None, set())
    if days.size == 0:
        return part, None
    used, dropped = fitted_knots(days, knots)
    if dropped:
        part.notes.append(
            f"{POOLED}: the base's points at {', '.join(f'{_x(x)}' for x in dropped)} days waited left out: "
            f"under {MIN_WEIGHT:g} bookings near them"
        )
    forced = (only or {}).get(POOLED)
    form = forced
    if form is None:
        curve, constant = fit_curve(days, came, used), fit_curve(days, came, used[:1])
        curve_aic = 2.0 * len(used) - 2.0 * curve.log_likelihood
        form = CURVE if len(used) > 1 and curve_aic < 2.0 - 2.0 * constant.log_likelihood else CONSTANT
    shape = used if form == CURVE else used[:1]
    pooled = fit_curve(days, came, shape)
    own: dict[str, CurveFit] = {}
    groups: list[ShowGroup] = []
    for source in sources:
        source_days, source_came = _data(extract, {source}, set())
        if source_days.size == 0:
            continue
        alone = fit_curve(source_days, source_came, shape)
        shared = log_likelihood(source_days, source_came, shape, pooled.heights)
        path = f"intake.by_source.{source}.show_rate_by_days_waited"
        decided = (only or {}).get(path)
        wins = alone.log_likelihood - len(shape) > shared if decided is None else decided == "own"
        part.candidates += [
            Candidate(
                path, "pooled", {}, shared, alone.n, not wins, "the pooled curve (no parameters of its own)"
            ),
            _candidate(path, "own", alone, wins, f"this source's own {form} curve"),
        ]
        if wins:
            own[source] = alone
            part.estimates += _estimates(path, alone)
            if only is None:
                groups.append(
                    ShowGroup(
                        source,
                        source_days,
                        source_came,
                        alone,
                        fit_curve(source_days, source_came, used[:1]),
                        form,
                    )
                )
    rest_days, rest_came = _data(extract, None, set(own))
    if rest_days.size == 0:
        rest_days, rest_came = days, came
    rest_curve = fit_curve(rest_days, rest_came, used)
    rest_constant = fit_curve(rest_days, rest_came, used[:1])
    rest = rest_curve if form == CURVE else rest_constant
    note = "every source without its own curve, readmissions included"
    if only is None:
        part.candidates[:0] = [
            _candidate(POOLED, CURVE, rest_curve, form == CURVE, f"{note}; the base's days waited"),
            _candidate(POOLED, CONSTANT, rest_constant, form == CONSTANT, f"{note}; one show rate"),
        ]
        groups.insert(0, ShowGroup("intake (pooled)", rest_days, rest_came, rest_curve, rest_constant, form))
    else:
        part.candidates.insert(0, _candidate(POOLED, form, rest, True, note))
    part.estimates[:0] = _estimates(POOLED, rest)
    by_source = {source: {"show_rate_by_days_waited": _curve(fit)} for source, fit in own.items()}
    for source in by_source_base:
        if source not in own:
            by_source[source] = {"show_rate_by_days_waited": _curve(rest)}
    part.fragment = {"show_rate_by_days_waited": _curve(rest)}
    if by_source:
        part.fragment["by_source"] = by_source
    part.notes.append(
        f"{POOLED}: {int(came.sum())} of {came.size} bookings attended ({came.mean():.1%}); chosen: {form}"
        + (f"; own curves: {', '.join(own)}" if own else "")
    )
    return part, (ShowFit(tuple(groups)) if only is None else None)
