"""The figures of an experiment: each headline KPI by scenario, paired differences from the base, heat maps.

Differences use the paired (common random numbers) intervals of
comparison.csv, which are much narrower than the scenarios' own intervals:
the forest plot, not the by-scenario plot, is the one that says whether a
change made a difference.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import CenteredNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from simiop.report.data import ResultFolder, number
from simiop.report.figure import PALETTE, Drawing, NotDrawn, decimals, finish, new_figure
from simiop.results.directions import Verdict, better_direction, verdict

Drawn = Drawing | NotDrawn

VERDICT_COLOURS: dict[Verdict, str] = {
    "better": PALETTE[0],  # blue
    "worse": PALETTE[5],  # vermilion
    "unclear": "#BBBBBB",
    "neutral": "#555555",
}
"""A difference from the base coloured by what it means for the clinic's goals (simiop/results/directions.py),
not by its sign: a longer wait or a higher cost is worse, so vermilion. Okabe-Ito blue and vermilion stay
apart with the common colour-vision deficiencies; the heat maps use the same two hues (ColorBrewer RdBu)."""


def row_verdict(row: dict[str, str]) -> Verdict:
    """A comparison row's verdict, from its KPI's better direction (also for a comparison.csv written before
    the verdict column; a KPI without a declared direction reads as neutral)."""
    try:
        return verdict(row["kpi"], row["direction"])
    except KeyError:
        return "neutral"


def experiment_kpis(folder: ResultFolder) -> list[tuple[str, str]]:
    """(kpi, label with unit) shown for every scenario: people, waits, the therapists' time, care, money."""
    base = folder.base.config
    tracks = [name for name, track in base.tracks.items() if track.enabled]
    facilitator = base.tracks[tracks[0]].facilitator_role if tracks else "therapist"
    chosen = [
        ("unduplicated_patients_served", "people served"),
        ("wait_referral_to_admission_days_median", "median wait to admission (days)"),
        *((f"occupancy_{track}", f"occupancy, {track} track (share of seats)") for track in tracks[:1]),
        (f"staff_utilisation_{facilitator}", f"utilisation, {facilitator} (share of direct-care hours)"),
        ("group_days_cancelled_no_facilitator", "groups cancelled, no facilitator"),
        ("individual_therapy_weekly_coverage", "weeks with individual therapy (share)"),
        ("revenue_usd", "revenue (USD)"),
        ("cost_per_completed_episode_usd", "cost per completed episode (USD)"),
    ]
    return [(kpi, label) for kpi, label in chosen if (folder.base.name, kpi) in folder.summary]


TITLE_CHARACTERS = 36
"""Longest panel title line: a panel beside the scenario names is about 2.5 inches wide at 8.5 pt."""


def _label(axes: Axes, title: str, positions: np.ndarray, names: list[str] | None) -> None:
    """Title, scenario names on the left column only, and thousands separators on money axes."""
    axes.set_title(textwrap.fill(title, TITLE_CHARACTERS), fontsize=8.5)
    axes.set_yticks(positions, names if names is not None else [""] * len(positions))
    low, high = axes.get_xlim()
    if max(abs(low), abs(high)) >= 10_000:
        axes.xaxis.set_major_locator(MaxNLocator(nbins=3))  # wide labels: more would touch each other
        axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.tick_params(axis="x", labelrotation=20)
    else:  # at most 5 ticks: six labels such as '-0.125' (a share's difference) touched on a 2-column page
        axes.xaxis.set_major_locator(MaxNLocator(nbins=4))


COLUMNS = 2
"""Panels per row: scenario names are long, so only two panels fit beside them on a page."""


def _panel_grid(panels: int, scenarios: int) -> tuple[Figure, list[Axes]]:
    """One panel per KPI, two per row, tall enough for a line per scenario; spare panels hidden."""
    rows = -(-panels // COLUMNS)
    figure, axes = new_figure(rows, COLUMNS, height=rows * (0.9 + 0.2 * scenarios))
    for spare in axes[panels:]:
        spare.set_visible(False)
    return figure, axes


def _dots(axes: Axes, mean: np.ndarray, low: np.ndarray, high: np.ndarray, colours: list[str]) -> None:
    """One point per scenario with its interval as a horizontal whisker."""
    axes.errorbar(
        mean,
        np.arange(len(mean))[::-1],
        xerr=np.nan_to_num(np.vstack([mean - low, high - mean])),
        fmt="none",
        ecolor="#555555",
        capsize=2,
        linewidth=0.8,
    )
    axes.scatter(mean, np.arange(len(mean))[::-1], c=colours, s=16, zorder=3)


def _names(folder: ResultFolder) -> list[str]:
    return [scenario.name for scenario in folder.plan.scenarios]


def kpis_by_scenario(folder: ResultFolder) -> Drawn:
    title = "Headline KPIs by scenario"
    kpis = experiment_kpis(folder)
    names = _names(folder)
    figure, panels = _panel_grid(len(kpis), len(names))
    positions = np.arange(len(names))[::-1]
    rows: list[list[object]] = []
    for axes, (kpi, label) in zip(panels, kpis, strict=False):
        summaries = [folder.summary[(name, kpi)] for name in names]
        mean = np.array([s.mean for s in summaries])
        low = np.array([s.ci95_low if s.n > 1 else s.mean for s in summaries])
        high = np.array([s.ci95_high if s.n > 1 else s.mean for s in summaries])
        colours = [PALETTE[1] if name == folder.base.name else PALETTE[0] for name in names]
        _dots(axes, mean, low, high, colours)
        _label(axes, label, positions, names if axes in panels[::COLUMNS] else None)
        rows += [
            [name, kpi, s.n, decimals(s.mean), decimals(s.ci95_low), decimals(s.ci95_high)]
            for name, s in zip(names, summaries, strict=True)
        ]
    caption = (
        "Each scenario's mean across replications with its 95% confidence interval; "
        f"orange: the base scenario '{folder.base.name}'."
    )
    return finish(
        figure,
        "kpis_by_scenario",
        title,
        caption,
        ["scenario", "kpi", "n", "mean", "ci95_low", "ci95_high"],
        rows,
    )


def differences_from_base(folder: ResultFolder) -> Drawn:
    title = f"Differences from '{folder.base.name}' (paired)"
    if not folder.comparison:
        return NotDrawn(title, "needs comparison.csv: an experiment with more than one scenario")
    kpis = experiment_kpis(folder)
    names = [name for name in _names(folder) if name != folder.base.name]
    by_key = {(row["scenario"], row["kpi"]): row for row in folder.comparison}
    figure, panels = _panel_grid(len(kpis), len(names))
    positions = np.arange(len(names))[::-1]
    rows: list[list[object]] = []
    for axes, (kpi, label) in zip(panels, kpis, strict=False):
        found = [by_key.get((name, kpi)) for name in names]
        mean = np.array([number(r["difference_mean"]) if r else np.nan for r in found])
        low = np.array([number(r["ci95_low"]) if r else np.nan for r in found])
        high = np.array([number(r["ci95_high"]) if r else np.nan for r in found])
        low, high = np.where(np.isnan(low), mean, low), np.where(np.isnan(high), mean, high)
        verdicts = [row_verdict(r) if r else "unclear" for r in found]
        colours = [VERDICT_COLOURS[v] for v in verdicts]
        axes.axvline(0.0, color="#333333", linewidth=0.8)
        _dots(axes, mean, low, high, colours)
        _label(axes, label, positions, names if axes in panels[::COLUMNS] else None)
        rows += [
            [name, kpi, r["n_pairs"], r["difference_mean"], r["ci95_low"], r["ci95_high"], r["direction"], v]
            for name, r, v in zip(names, found, verdicts, strict=True)
            if r
        ]
    caption = (
        f"Scenario minus '{folder.base.name}', replication by replication (common random numbers), "
        "with the paired 95% confidence interval; blue: better for the clinic's goals (more people served, "
        "a shorter wait, a lower cost), vermilion: worse, light grey: not distinguishable from zero, "
        "dark grey: a KPI with no better direction (occupancy, utilisation)."
    )
    return finish(
        figure,
        "differences_from_base",
        title,
        caption,
        ["scenario", "kpi", "n_pairs", "difference_mean", "ci95_low", "ci95_high", "direction", "verdict"],
        rows,
    )


def grid_factors(names: list[str]) -> dict[str, list[str]]:
    """Factor -> levels in first-seen order, from grid scenario names 'f=a,g=b' (named scenarios skipped)."""
    factors: dict[str, list[str]] = {}
    for name in names:
        parts = [part.split("=", 1) for part in name.split(",")]
        if not all(len(part) == 2 for part in parts):
            continue
        for factor, level in parts:
            levels = factors.setdefault(factor, [])
            if level not in levels:
                levels.append(level)
    return factors


HEAT_MAP_FULL_COLOUR = 0.10
"""A heat map reaches full colour at this share of the base's value, or at the largest difference when that
is larger, so near-equal cells (336 and 341 people) look near-equal instead of opposite extremes."""

HEAT_MAP_KPIS = (
    ("unduplicated_patients_served", "people served"),
    ("wait_referral_to_admission_days_median", "median wait (days)"),
    ("cost_per_completed_episode_usd", "cost per completion (USD)"),
)


def heat_map(folder: ResultFolder) -> Drawn:
    title = "Two factors at once"
    factors = grid_factors(_names(folder))
    if len(factors) < 2:
        return NotDrawn(title, "heat maps need a grid of at least two factors")
    (rows_factor, row_levels), (columns_factor, column_levels), *others = factors.items()
    fixed = {factor: levels[0] for factor, levels in others}
    figure, panels = new_figure(1, len(HEAT_MAP_KPIS), height=1.4 + 0.35 * len(row_levels))
    rows: list[list[object]] = []
    for axes, (kpi, label) in zip(panels, HEAT_MAP_KPIS, strict=True):
        grid = np.full((len(row_levels), len(column_levels)), np.nan)
        for i, row_level in enumerate(row_levels):
            for j, column_level in enumerate(column_levels):
                levels = {rows_factor: row_level, columns_factor: column_level, **fixed}
                name = ",".join(f"{factor}={levels[factor]}" for factor in factors)
                summary = folder.summary.get((name, kpi))
                if summary is not None:
                    grid[i, j] = summary.mean
                    rows.append([kpi, row_level, column_level, name, decimals(summary.mean)])
        norm = _centred_on_base(folder, kpi, grid)
        # RdBu runs red (low) to blue (high): reversed when lower is better, so blue is always better.
        cmap = "RdBu" if better_direction(kpi) == "higher" else "RdBu_r"
        image = axes.imshow(grid, cmap=cmap, norm=norm, aspect="auto", origin="lower")
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                axes.text(
                    j,
                    i,
                    f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(float(norm(value)) - 0.5) > 0.35 else "black",
                )
        axes.set_xticks(range(len(column_levels)), column_levels)
        axes.set_yticks(range(len(row_levels)), row_levels)
        axes.set_xlabel(columns_factor)
        axes.set_ylabel(rows_factor)
        axes.set_title(label, fontsize=8)
        axes.grid(False)
        bar = figure.colorbar(image, ax=axes, shrink=0.8)
        shown = [norm.vcenter, *grid[np.isfinite(grid)].tolist()]
        if min(shown) < max(shown):  # the scale's values that occur: no negative wait
            bar.ax.set_ylim(min(shown), max(shown))
    held = "; other factors at " + ", ".join(f"{f}={v}" for f, v in fixed.items()) if fixed else ""
    caption = (
        f"Mean across replications for each combination of {rows_factor} and {columns_factor}{held}; "
        f"coloured by the difference from '{folder.base.name}' (white: the same), blue better and red worse "
        f"for the clinic's goals, full colour at {HEAT_MAP_FULL_COLOUR:.0%} of the base or the largest "
        "difference. Whether a difference is more than chance: comparison.csv."
    )
    return finish(
        figure, "heat_map", title, caption, ["kpi", rows_factor, columns_factor, "scenario", "mean"], rows
    )


def _centred_on_base(folder: ResultFolder, kpi: str, grid: np.ndarray) -> CenteredNorm:
    """A colour scale centred on the base scenario's mean (the grid's median without one)."""
    finite = grid[np.isfinite(grid)]
    base = folder.summary.get((folder.base.name, kpi))
    if base is not None and np.isfinite(base.mean):
        centre = base.mean
    else:
        centre = float(np.median(finite)) if finite.size else 0.0
    largest = float(np.max(np.abs(finite - centre))) if finite.size else 0.0
    return CenteredNorm(vcenter=centre, halfrange=max(largest, HEAT_MAP_FULL_COLOUR * abs(centre), 1e-9))


EXPERIMENT_FIGURES: tuple[Callable[[ResultFolder], Drawn], ...] = (
    kpis_by_scenario,
    differences_from_base,
    heat_map,
)


def experiment_figures(folder: ResultFolder) -> tuple[Callable[[ResultFolder], Drawn], ...]:
    """The experiment figures that apply to ``folder``: heat maps only for a grid of two factors or more
    (an experiment of named scenarios has none to draw, and the report does not list it as missing)."""
    grid = len(grid_factors(_names(folder))) >= 2
    return tuple(draw for draw in EXPERIMENT_FIGURES if grid or draw is not heat_map)
