"""Drawing and saving one report figure: PNG and SVG with byte-stable output, and the CSV it was drawn from.

Figures are made with matplotlib's object API (``Figure``), never pyplot,
so no global figure state leaks between reports or into a user's notebook.
Saved files carry no date or software stamp and SVG ids come from a fixed
salt, so the same results always give the same bytes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from simiop.results.tables import to_csv

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale print."""

WIDTH_INCHES = 7.0
"""Fits an A4 or Letter page with margins, so printed figures are not scaled down."""

_STYLE: dict[Any, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "svg.hashsalt": "simiop",
    "svg.fonttype": "none",
    "figure.dpi": 100.0,
}


@dataclass(frozen=True)
class ReportFigure:
    """One saved figure: what it shows, its images, and the data behind it."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: bytes
    data_csv: str


@dataclass(frozen=True)
class Drawing:
    """A figure as drawn: shown inline by notebooks, or rendered to files for the report."""

    name: str
    title: str
    caption: str
    figure: Figure
    data_csv: str

    def render(self) -> ReportFigure:
        """PNG (150 dpi) and SVG bytes, with no date or software stamp so equal figures give equal bytes."""
        images = {}
        for kind, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format=kind, dpi=150, metadata=metadata)
            images[kind] = buffer.getvalue()
            # The layout found for the PNG holds for the SVG too; solving it again was a third of the time.
            self.figure.set_layout_engine("none")
        return ReportFigure(self.name, self.title, self.caption, images["png"], images["svg"], self.data_csv)


@dataclass(frozen=True)
class NotDrawn:
    """A figure the folder's files cannot support, and why (the report says so instead of hiding it)."""

    title: str
    reason: str


class InlineFigure(Figure):
    """A matplotlib Figure that Jupyter shows as an image without pyplot or %matplotlib inline."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        with drawing():
            self.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
        return buffer.getvalue()


def drawing() -> AbstractContextManager[None]:
    """The report style, for the duration of drawing and saving (matplotlib reads it as artists are made)."""
    return matplotlib.rc_context(_STYLE)


def new_figure(
    rows: int = 1, columns: int = 1, height: float = 3.2, width_ratios: Sequence[float] | None = None
) -> tuple[Figure, list[Axes]]:
    figure = InlineFigure(figsize=(WIDTH_INCHES, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, width_ratios=width_ratios)
    return figure, [ax for row in axes for ax in row]


def finish(
    figure: Figure,
    name: str,
    title: str,
    caption: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> Drawing:
    """A drawn figure with what it shows and the data behind it, not yet saved."""
    return Drawing(name, title, caption, figure, to_csv(header, rows))


def band(series: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and middle 95% (2.5th and 97.5th percentiles) across replications, point by point."""
    length = min(len(s) for s in series)
    stacked = np.vstack([np.asarray(s[:length], dtype=float) for s in series])
    with warnings.catch_warnings():  # a month nobody was admitted in is NaN in every replication
        warnings.simplefilter("ignore", RuntimeWarning)
        low, median, high = np.nanpercentile(stacked, [2.5, 50.0, 97.5], axis=0)
    return median, low, high


def date_axis(axes: Axes, label: str) -> None:
    """Few, short date ticks: a 3-year run has 36 months and the figure is page width."""
    locator = AutoDateLocator(minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.set_xlabel(label)


def decimals(value: float, places: int = 4) -> str:
    """A number for a figure's CSV, with fixed decimals; empty when not finite."""
    return "" if not np.isfinite(value) else f"{value:.{places}f}"
