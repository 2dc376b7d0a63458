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
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from simiop.report.data import ResultFolder, number
from simiop.report.figure import PALETTE, Drawing, NotDrawn, decimals, finish, new_figure

Drawn = Drawing | NotDrawn


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
        ("group_sessions_cancelled_no_facilitator", "groups cancelled, no facilitator"),
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
    colour_of = {
        "higher": PALETTE[2],
        "lower": PALETTE[5],
        "unclear": "#999999",
        "same": "#999999",
        "": "#999999",
    }
    rows: list[list[object]] = []
    for axes, (kpi, label) in zip(panels, kpis, strict=False):
        found = [by_key.get((name, kpi)) for name in names]
        mean = np.array([number(r["difference_mean"]) if r else np.nan for r in found])
        low = np.array([number(r["ci95_low"]) if r else np.nan for r in found])
        high = np.array([number(r["ci95_high"]) if r else np.nan for r in found])
        low, high = np.where(np.isnan(low), mean, low), np.where(np.isnan(high), mean, high)
        colours = [colour_of[r["direction"]] if r else "#999999" for r in found]
        axes.axvline(0.0, color="#333333", linewidth=0.8)
        _dots(axes, mean, low, high, colours)
        _label(axes, label, positions, names if axes in panels[::COLUMNS] else None)
        rows += [
            [name, kpi, r["n_pairs"], r["difference_mean"], r["ci95_low"], r["ci95_high"], r["direction"]]
            for name, r in zip(names, found, strict=True)
            if r
        ]
    caption = (
        f"Scenario minus '{folder.base.name}', replication by replication (common random numbers), "
        "with the paired 95% confidence interval; green: higher, red: lower, "
        "grey: not distinguishable from zero."
    )
    return finish(
        figure,
        "differences_from_base",
        title,
        caption,
        ["scenario", "kpi", "n_pairs", "difference_mean", "ci95_low", "ci95_high", "direction"],
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
        image = axes.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
        finite = grid[np.isfinite(grid)]
        middle = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                axes.text(
                    j,
                    i,
                    f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < middle else "black",
                )
        axes.set_xticks(range(len(column_levels)), column_levels)
        axes.set_yticks(range(len(row_levels)), row_levels)
        axes.set_xlabel(columns_factor)
        axes.set_ylabel(rows_factor)
        axes.set_title(label, fontsize=8)
        axes.grid(False)
        figure.colorbar(image, ax=axes, shrink=0.8)
    held = "; other factors at " + ", ".join(f"{f}={v}" for f, v in fixed.items()) if fixed else ""
    caption = f"Mean across replications for each combination of {rows_factor} and {columns_factor}{held}."
    return finish(
        figure, "heat_map", title, caption, ["kpi", rows_factor, columns_factor, "scenario", "mean"], rows
    )


EXPERIMENT_FIGURES: tuple[Callable[[ResultFolder], Drawn], ...] = (
    kpis_by_scenario,
    differences_from_base,
    heat_map,
)
