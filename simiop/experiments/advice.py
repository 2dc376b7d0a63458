"""Advice on how many replications to run and how long a warm-up to cut.

Replications: the confidence-interval method with look-ahead of Hoad,
Robinson & Davies (2010), "Automated selection of the number of replications
for a discrete-event simulation", J. Oper. Res. Soc. 61:1632-1644. Add
replications until the 95% interval's half-width is within a target fraction
of the mean, and stays within it for the next few replications, so that a
lucky dip does not stop the count too early.

Warm-up: a clinic that opens empty takes months to fill, and days from that
transient bias steady-state KPIs. MSER-5 (White 1997; White, Cobb & Spratt
2000) picks the truncation point that minimises the standard error of the
mean of what is kept, on batch means of 5. Welch's moving average (Law &
Kelton) of the across-replication mean is the picture to check it against.
MSER searches up to half the run, and an answer at that limit means the
series had not settled, not that the warm-up is half the run (``Warmup``).

The functions are pure; the two plot functions write PNGs atomically, drawn
on a bare matplotlib Figure (no pyplot state), with metadata that names no
version so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simiop.atomic import write_bytes_atomic
from simiop.results.stats import summarise

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DPI = 120


def relative_half_width(values: Sequence[float]) -> float:
    """The 95% confidence interval's half-width over |mean|, of the finite values.

    NaN with fewer than two finite values; with mean 0 it is inf, or 0 when the
    half-width is 0 too.
    """
    summary = summarise(values)
    if summary.n < 2:
        return math.nan
    half = summary.half_width
    if summary.mean == 0.0:
        return math.inf if half > 0.0 else 0.0
    return half / abs(summary.mean)


def replications_needed(
    values: Sequence[float], precision: float, look_ahead: int = 5, min_replications: int = 3
) -> int | None:
    """The fewest replications whose relative half-width is within ``precision`` and stays there.

    Hoad, Robinson & Davies (2010): the smallest n >= ``min_replications`` with
    relative_half_width(values[:n]) <= precision and also for every n' in
    n+1 .. n+look_ahead. ``values`` are KPI values in replication order. None
    when no n is confirmed yet, including when the look-ahead would run past
    the values given (run more replications and ask again). Hoad et al. widen
    the look-ahead to floor(5 n / 100) beyond n = 100; here it is fixed.
    """
    if not precision > 0.0:
        raise ValueError(f"precision must be positive, got {precision!r}")
    if look_ahead < 0:
        raise ValueError(f"look_ahead must be >= 0, got {look_ahead}")
    if min_replications < 1:
        raise ValueError(f"min_replications must be >= 1, got {min_replications}")
    count = len(values)
    widths = [relative_half_width(values[:n]) for n in range(1, count + 1)]  # widths[n - 1] is n's

    def within(n: int) -> bool:
        return widths[n - 1] <= precision  # False for NaN

    for n in range(min_replications, count + 1):
        if not within(n):
            continue
        if n + look_ahead > count:
            return None
        if all(within(later) for later in range(n + 1, n + look_ahead + 1)):
            return n
    return None


def _finite_series(series: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    data = np.asarray(series, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return data


def batch_means(series: Sequence[float] | np.ndarray, batch: int) -> np.ndarray:
    """Means of consecutive batches of ``batch`` values; an incomplete last batch is dropped."""
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    data = np.asarray(series, dtype=float)
    if data.ndim != 1:
        raise ValueError(f"series must be one-dimensional, got shape {data.shape}")
    batches = data.size // batch
    return np.asarray(data[: batches * batch].reshape(batches, batch).mean(axis=1), dtype=float)


def mser(series: Sequence[float] | np.ndarray, batch: int = 5) -> int:
    """MSER-``batch`` truncation point, in observations (White 1997; White, Cobb & Spratt 2000).

    On the batch means Y_1..Y_k, for each d in 0..k//2,
    MSER(d) = sum_{j>d} (Y_j - mean_{j>d})^2 / (k - d)^2; the d with the least
    value wins (ties to the smallest) and d * batch is returned. ValueError
    with fewer than two complete batches or a non-finite value.
    """
    means = batch_means(_finite_series(series, "series"), batch)
    k = means.size
    if k < 2:
        raise ValueError(f"MSER needs at least 2 batches of {batch}, got {k}")
    scores = np.empty(k // 2 + 1)
    for d in range(k // 2 + 1):
        kept = means[d:]
        scores[d] = float(np.sum((kept - kept.mean()) ** 2)) / (k - d) ** 2
    return int(np.argmin(scores)) * batch  # argmin returns the first of equal minima


def mser_limit(length: int, batch: int = 5) -> int:
    """The longest truncation ``mser`` considers on a series of ``length``: half its complete batches."""
    return (length // batch) // 2 * batch


NEAR_LIMIT = 0.9
"""An MSER truncation at or beyond this share of its search limit is no answer. MSER's statistic
keeps falling while the kept data still trend, so a minimum at (or just before) the end of the
search means the series had not settled within the run: the limit, not a steady state, stopped it."""

MIN_KEPT_DAYS = 365
"""Days of results a warm-up should leave at least: referrals have a yearly season, so steady-state
KPIs over less than a year depend on which months they happen to cover."""


@dataclass(frozen=True)
class Warmup:
    """MSER-5's answer on a daily series, with what is needed to judge it."""

    days: int
    """The truncation point MSER-5 chose, in days."""
    limit: int
    """The longest truncation it searched (half the run, in whole batches)."""
    length: int
    """Days in the series."""

    @property
    def at_limit(self) -> bool:
        """The answer sits at or near the end of the search: no steady state found in a run this short."""
        return self.days >= NEAR_LIMIT * self.limit

    @property
    def kept_days(self) -> int:
        """Days of results left after the warm-up."""
        return self.length - self.days

    @property
    def leaves_too_little(self) -> bool:
        """A warm-up is advised and leaves fewer than MIN_KEPT_DAYS days of results.

        No warm-up (0 days) leaves the whole run, however short: that is the run's
        length, which the user chose, not a cost of the advice.
        """
        return self.days > 0 and self.kept_days < MIN_KEPT_DAYS


def mser_warmup(series: Sequence[float] | np.ndarray, batch: int = 5) -> Warmup | None:
    """MSER-``batch`` on a daily series, judged; None when the series has fewer than two batches."""
    data = _finite_series(series, "series")
    if data.size // batch < 2:
        return None
    return Warmup(mser(data, batch), mser_limit(data.size, batch), int(data.size))


def pending_within(values: Sequence[float], precision: float, min_replications: int = 3) -> int | None:
    """The fewest replications from which the precision holds up to the last value, else None.

    When ``replications_needed`` found nothing but this is not None, the
    answer was cut off by the number of values, not refuted: the look-ahead
    ran past the last replication.
    """
    start = None
    for n in range(len(values), min_replications - 1, -1):
        if not relative_half_width(values[:n]) <= precision:  # NaN counts as not within
            break
        start = n
    return start


def welch_moving_average(series: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average (Law & Kelton), of length m - window.

    For 1-based i in 1..m-w the mean of the 2w+1 values centred at i, and for
    i <= w, where there is not room, of the 2i-1 values centred at i.
    """
    data = _finite_series(series, "series")
    m = data.size
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    if m <= window:
        raise ValueError(f"series of length {m} is too short for window {window}")
    i = np.arange(1, m - window + 1)
    half = np.minimum(i - 1, window)
    start = i - 1 - half
    stop = i + half  # exclusive, 0-based
    sums = np.concatenate(([0.0], np.cumsum(data)))
    return np.asarray((sums[stop] - sums[start]) / (stop - start), dtype=float)


def _write_png(figure: Figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    write_bytes_atomic(Path(path), buffer.getvalue())


def plot_warmup(
    series_by_replication: np.ndarray,
    path: Path,
    *,
    window: int,
    truncation: int,
    ylabel: str,
    title: str,
    at_limit: bool = False,
) -> None:
    """PNG of a daily series' across-replication mean, its Welch moving average and the suggested cut.

    ``series_by_replication`` has shape (replications, days), finite values.
    With ``at_limit`` the cut is MSER-5's search limit, labelled as no steady state found.
    """
    from matplotlib.figure import Figure

    data = np.asarray(series_by_replication, dtype=float)
    if data.ndim != 2 or data.shape[0] < 1:
        raise ValueError(f"series_by_replication must have shape (replications, days), got {data.shape}")
    mean = data.mean(axis=0)
    smooth = welch_moving_average(mean, window)
    replications = data.shape[0]
    figure = Figure(figsize=(8.0, 4.5), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(
        np.arange(mean.size),
        mean,
        color="0.6",
        linewidth=0.7,
        label=f"mean of {replications} replication{'s' if replications != 1 else ''}",
    )
    axes.plot(
        np.arange(smooth.size), smooth, color="C0", linewidth=1.8, label=f"Welch moving average (w={window})"
    )
    label = (
        f"no steady state found: MSER-5's {truncation} days is at its search limit"
        if at_limit
        else f"suggested warm-up: {truncation} days (MSER-5)"
    )
    axes.axvline(truncation, color="C3", linestyle="--", label=label)
    axes.set_xlabel("days since opening")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best")
    _write_png(figure, path)


def plot_precision(
    values: Sequence[float], path: Path, *, precision: float, needed: int | None, kpi: str
) -> None:
    """PNG of the running mean with its 95% band, and the relative half-width against the target.

    ``values`` are one KPI's values in replication order; ``needed`` (if not
    None) is marked on both panels.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatter, MaxNLocator

    count = len(values)
    if count < 1:
        raise ValueError("values must not be empty")
    n = np.arange(1, count + 1)
    summaries = [summarise(values[:k]) for k in range(1, count + 1)]
    means = np.array([s.mean for s in summaries])
    lows = np.array([s.ci95_low for s in summaries])
    highs = np.array([s.ci95_high for s in summaries])
    widths = np.array([relative_half_width(values[:k]) for k in range(1, count + 1)])
    band = np.isfinite(lows) & np.isfinite(highs)
    shown = np.where(np.isfinite(widths) & (widths > 0.0), widths, np.nan)  # log axis: positive only

    figure = Figure(figsize=(8.0, 6.0), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(n, means, color="C0", marker="o", markersize=3, linewidth=1.2, label="running mean")
    if band.any():
        top.fill_between(
            n[band], lows[band], highs[band], color="C0", alpha=0.2, label="95% confidence interval"
        )
    top.set_ylabel(kpi)
    top.set_title(f"{kpi}: precision versus replications")
    bottom.axhline(precision, color="C3", linestyle="--", label=f"target precision {precision:g}")
    if np.isfinite(shown).any():
        bottom.plot(
            n, shown, color="C2", marker="o", markersize=3, linewidth=1.2, label="relative half-width"
        )
        bottom.set_yscale("log")
        bottom.yaxis.set_major_formatter(LogFormatter())  # 0.05, not 5 x 10^-2
        bottom.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlabel("replications")
    bottom.set_ylabel("95% CI half-width / |mean|")
    if needed is not None:
        for axes in (top, bottom):
            axes.axvline(needed, color="0.3", linestyle=":", label=f"replications needed: {needed}")
    for axes in (top, bottom):
        axes.grid(True, alpha=0.3)
        axes.legend(loc="best")
    _write_png(figure, path)
