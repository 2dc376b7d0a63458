"""Figure text is never clipped (issue 20): after layout, every text of every report figure lies inside it,
and no two tick labels of an axis overlap.

A y-label taller than its axes or a panel title wider than its panel is cut
at the figure's edge in the PNG; constrained layout cannot move it back in.
The check draws each figure (Agg) and compares each drawn text's window
extent with the figure's box, on a run folder and on an experiment folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from simiop.report.data import ResultFolder, load
from simiop.report.experiment_figures import EXPERIMENT_FIGURES
from simiop.report.figure import Drawing, drawing
from simiop.report.run_figures import RUN_FIGURES
from tests.conftest import BASELINE, REPO
from tests.test_cli import run

TOLERANCE_PIXELS = 0.5
"""Anti-aliasing of a glyph's edge: less than a pixel outside is not a clipped letter."""


def _tick_labels_not_drawn(axis: Axis) -> set[int]:
    """Ids of the axis's tick labels matplotlib does not draw: ticks kept for reuse beyond the locations,
    or at locations outside the view (their positions are stale or off the axes)."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * (high - low)
    hidden: set[int] = set()
    for ticks, locations in (
        (axis.get_major_ticks(), axis.get_majorticklocs()),
        (axis.get_minor_ticks(), axis.get_minorticklocs()),
    ):
        for position, tick in enumerate(ticks):
            if position >= len(locations) or not low - slack <= locations[position] <= high + slack:
                hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def texts_outside(figure: Figure) -> list[str]:
    """Each drawn, non-empty text whose extent after layout leaves the figure's box, with both boxes."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # type: ignore[no-untyped-call]
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    hidden = {
        i for axes in figure.axes for axis in (axes.xaxis, axes.yaxis) for i in _tick_labels_not_drawn(axis)
    }
    box = figure.bbox
    outside = []
    for text in figure.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        extent = text.get_window_extent(renderer)
        if (
            extent.x0 < box.x0 - TOLERANCE_PIXELS
            or extent.y0 < box.y0 - TOLERANCE_PIXELS
            or extent.x1 > box.x1 + TOLERANCE_PIXELS
            or extent.y1 > box.y1 + TOLERANCE_PIXELS
        ):
            bounds = tuple(round(float(v), 1) for v in extent.bounds)
            outside.append(
                f"{text.get_text()!r} at {bounds} (x, y, width, height) outside {box.width}x{box.height}"
            )
    return outside


def tick_labels_overlapping(figure: Figure) -> list[str]:
    """Pairs of drawn tick labels of one axis whose boxes overlap (run after texts_outside drew the figure).

    A rotated label's box is the upright rectangle around it, so this is a little stricter than the ink.
    """
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    found = []
    for axes in figure.axes:
        if not axes.get_visible():
            continue
        for axis in (axes.xaxis, axes.yaxis):
            hidden = _tick_labels_not_drawn(axis)
            labels = [
                tick.label1
                for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]
                if id(tick.label1) not in hidden
                and tick.label1.get_visible()
                and tick.label1.get_text().strip()
            ]
            boxes = [(label.get_text(), label.get_window_extent(renderer)) for label in labels]
            found += [
                f"{axes.get_title()!r}: {first!r} and {second!r}"
                for position, (first, box) in enumerate(boxes)
                for second, other in boxes[position + 1 :]
                if box.overlaps(other)
            ]
    return found


def _check(folder: ResultFolder, experiment: bool) -> int:
    """Draw every figure of the folder and assert none has text outside; the number of figures checked."""
    with drawing():
        drawn = [draw(folder, folder.base) for draw in RUN_FIGURES]
        if experiment:
            drawn += [draw(folder) for draw in EXPERIMENT_FIGURES]
        figures = [figure for figure in drawn if isinstance(figure, Drawing)]
        assert len(figures) == len(drawn), [figure for figure in drawn if not isinstance(figure, Drawing)]
        clipped = {figure.name: texts_outside(figure.figure) for figure in figures}
        crowded = {figure.name: tick_labels_overlapping(figure.figure) for figure in figures}
    assert {name: texts for name, texts in clipped.items() if texts} == {}
    assert {name: pairs for name, pairs in crowded.items() if pairs} == {}
    return len(figures)


def test_no_run_figure_has_text_outside_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, err = run(
        "run", str(BASELINE), "-r", "2", "--horizon", "400d", "-j", "1", "--no-report", "--out", str(out)
    )
    assert code == 0, err
    assert _check(load(out), experiment=False) == len(RUN_FIGURES)


def test_a_one_day_run_has_no_text_outside_or_crowded(tmp_path: Path) -> None:
    """A 1-day run cancels no group: the groups figure's bar axis spanned -0.05 to 0.05 in overlapping
    '-0.050 -0.025' ticks on its narrow panel; every figure of such a run is checked."""
    out = tmp_path / "one_day"
    code, _, err = run(
        "run", str(BASELINE), "-r", "2", "--horizon", "1d", "-j", "1", "--no-report", "--out", str(out)
    )
    assert code == 0, err
    assert _check(load(out), experiment=False) == len(RUN_FIGURES)


def test_no_experiment_figure_has_text_outside_it(tmp_path: Path) -> None:
    """A two-factor grid of twelve scenarios with long names: the crowded case (heat maps too)."""
    code, _, err = run(
        "experiment", str(REPO / "experiments" / "staffing_and_group_size.yaml"), "-r", "2", "--horizon", "200d",
        "-j", "1", "--no-report", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    assert _check(load(tmp_path / "out"), experiment=True) == len(RUN_FIGURES) + len(EXPERIMENT_FIGURES)


def test_the_check_finds_a_label_taller_than_its_axes() -> None:
    """The check itself: a y-label longer than the figure is tall is found, a short one is not."""
    with drawing():
        figure = Figure(figsize=(4.0, 2.0), layout="constrained")
        axes = figure.subplots()
        axes.set_ylabel("a label far too long to fit beside axes only two inches tall, it runs off")
        axes.set_xlabel("fits")
        (found,) = texts_outside(figure)
        assert found.startswith("'a label far too long")
        axes.set_ylabel("short")
        assert texts_outside(figure) == []


@pytest.mark.parametrize("limits", [(0.0, 10.0), (2.5, 7.5)])
def test_tick_labels_outside_the_view_are_not_checked(limits: tuple[float, float]) -> None:
    """Ticks matplotlib keeps but does not draw (off the view) must not count as clipped text."""
    with drawing():
        figure = Figure(figsize=(4.0, 2.0), layout="constrained")
        axes = figure.subplots()
        axes.plot([0.0, 10.0], [0.0, 1.0])
        axes.set_xticks([-100.0, 0.0, 5.0, 10.0, 100.0])
        axes.set_xlim(*limits)
        assert texts_outside(figure) == []


def test_the_check_finds_tick_labels_on_top_of_each_other() -> None:
    with drawing():
        figure = Figure(figsize=(2.0, 2.0), layout="constrained")
        axes = figure.subplots()
        axes.set_xticks([0.0, 1.0, 2.0], ["1,000,000", "2,000,000", "3,000,000"])
        assert texts_outside(figure) == []  # inside the figure, but crowded
        assert tick_labels_overlapping(figure)
        axes.set_xticks([0.0, 2.0], ["1", "3"])
        texts_outside(figure)
        assert tick_labels_overlapping(figure) == []


@pytest.mark.parametrize("limits", [(-0.14, 0.005), (-0.155, 0.002), (-0.6, 0.4)])
def test_a_share_difference_panel_has_no_crowded_ticks(limits: tuple[float, float]) -> None:
    """A coverage share 12 points down in a 3-scenario, 8-panel experiment: matplotlib's default six ticks
    '-0.125 -0.100 ... 0.000' touched each other on the half-page panel (the money axes were already cut to 3)."""
    from simiop.report.experiment_figures import _label, _panel_grid

    with drawing():
        figure, panels = _panel_grid(8, 3)
        axes = panels[5]
        axes.plot(list(limits), [0.0, 2.0])
        axes.set_xlim(*limits)
        _label(axes, "weeks with individual therapy (share)", np.arange(3), None)
        assert texts_outside(figure) == []
        assert tick_labels_overlapping(figure) == []
