"""The figures of one scenario: census, waits, funnel, stays, attendance, staff, groups and ramp-up.

Lines over time are the median across replications with a band holding the
middle 95% of replications: the spread of futures the clinic could see.
Bars are means across replications with the 95% confidence interval of the
mean: how precisely the simulation pins down the expected value. Captions
say which is which, because the two answer different questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from simiop.experiments.plan import ScenarioPlan
from simiop.model.records import (
    ADMINISTRATIVE,
    DECLINED,
    DROPOUT,
    GAVE_UP_BEFORE_INTAKE,
    IN_PROGRAMME,
    LEFT_TRACK_FULL,
    LEFT_WAIT_LIST,
    LOST_BEFORE_CONTACT,
    NO_SHOW,
    NO_START,
    ON_WAIT_LIST,
    REDIRECTED_OUTPATIENT,
    REDIRECTED_STEP_UP,
    STEP_UP,
    WAITING_FOR_INTAKE,
    EndState,
)
from simiop.report.data import ResultFolder
from simiop.report.figure import PALETTE, Drawing, NotDrawn, band, date_axis, decimals, finish, new_figure
from simiop.results.labels import DISCHARGE_KPIS, END_STATE_LABELS, end_state_kpi
from simiop.results.periods import MONTH
from simiop.results.stats import Summary, summarise

BAND = "Line: median across replications; band: middle 95% of replications"
CI = "Bars: mean across replications; whiskers: 95% confidence interval of the mean"
RAMP_UP_MONTHS = 24
DAILY = ("day", "track", "census", "wait_list", "attended", "absent", "group_attendances", "groups_run")
EPISODES = ("referred_day", "admitted_day", "admitted_date", "length_of_stay_days")
"""The columns of the cells' tables the figures read (only these are parsed)."""

Drawn = Drawing | NotDrawn

# The pathway as a funnel: each stage keeps the referrals that did not end in one of the states listed
# before it (each shown by its END_STATE_LABELS label). Every referral ends in exactly one state, so the
# stages are exact counts per replication.
FUNNEL: tuple[tuple[str, tuple[EndState, ...]], ...] = (
    ("referred", ()),
    ("contacted", (LOST_BEFORE_CONTACT,)),
    ("assessed (or admitted directly)", (GAVE_UP_BEFORE_INTAKE, NO_SHOW, WAITING_FOR_INTAKE)),
    (
        "admitted",
        (REDIRECTED_STEP_UP, REDIRECTED_OUTPATIENT, DECLINED, LEFT_TRACK_FULL, LEFT_WAIT_LIST, ON_WAIT_LIST),
    ),
    ("completed", (NO_START, DROPOUT, STEP_UP, ADMINISTRATIVE, IN_PROGRAMME)),
)
DISCHARGE_MIX = tuple((kpi, END_STATE_LABELS[state]) for state, kpi in DISCHARGE_KPIS.items())
CANCELLATIONS = (
    ("group_days_merged", "merged"),
    ("group_days_cancelled_too_few", "too few"),
    ("group_days_cancelled_no_facilitator", "no facilitator"),
    ("group_days_cancelled_no_room", "no room"),
)


def _dates(opening: dt.date, days: np.ndarray) -> np.ndarray:
    return np.datetime64(opening, "D") + days.astype(int).astype("timedelta64[D]")


def _tracks(scenario: ScenarioPlan) -> list[str]:
    return [name for name, track in scenario.config.tracks.items() if track.enabled]


def _needs(folder: ResultFolder, title: str, *tables: str) -> NotDrawn | None:
    missing = [table for table in tables if not folder.has_table(table)]
    if not missing:
        return None
    names = ", ".join(f"{table}.csv" for table in missing)
    return NotDrawn(title, f"needs {names}, which this run did not keep (run with --tables all)")


def _track_series(
    cells: Sequence[dict[str, np.ndarray]], track: str, value: Callable[[dict[str, np.ndarray]], np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Days of one track and, per replication, ``value`` of its daily rows."""
    rows = [cell["track"] == track for cell in cells]
    days = cells[0]["day"][rows[0]]
    return days, [value(cell)[mask] for cell, mask in zip(cells, rows, strict=True)]


def _weekly(days: np.ndarray, series: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """First day of each 7-day block and each replication's mean over it (daily values are too jagged)."""
    blocks = (days // 7).astype(int)
    counts = np.bincount(blocks)
    keep = counts > 0
    means = [np.bincount(blocks, weights=s[: len(blocks)])[keep] / counts[keep] for s in series]
    return np.flatnonzero(keep) * 7.0, means


def _line_with_band(
    axes: Axes,
    x: np.ndarray,
    line: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    colour: str,
    label: str | None,
    steps: bool = False,
) -> None:
    """A line with a shaded band; ``steps`` for monthly values, which hold for the whole month."""
    axes.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0, step="mid" if steps else None)
    axes.plot(
        x, line, color=colour, linewidth=1.2, label=label, drawstyle="steps-mid" if steps else "default"
    )


def _monthly(
    days: np.ndarray, opening: dt.date, numerator: np.ndarray, denominator: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Month labels and sum(numerator)/sum(denominator) per calendar month (NaN where nothing to divide)."""
    months = _dates(opening, days).astype("datetime64[M]")
    labels, index = np.unique(months, return_inverse=True)
    top = np.bincount(index, weights=numerator, minlength=len(labels))
    bottom = np.bincount(index, weights=denominator, minlength=len(labels))
    with np.errstate(all="ignore"):
        ratio = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)
    return [str(label) for label in labels], ratio


def _bars(
    axes: Axes,
    labels: Sequence[str],
    samples: Sequence[np.ndarray],
    colour: str,
    height: float = 0.8,
    *,
    offset: float = 0.0,
    legend: str | None = None,
) -> tuple[list[Summary], list[list[object]]]:
    """Horizontal bars of means with 95% CI whiskers; their summaries, and the rows (label, n, mean,
    low, high) for the CSV. ``offset`` shifts the bars off their label (two measures per label)."""
    summaries = [summarise(sample) for sample in samples]
    means = np.array([s.mean for s in summaries])
    low = np.array([_low(s) for s in summaries])
    high = np.array([_high(s) for s in summaries])
    positions = np.arange(len(labels))[::-1]
    errors = np.vstack([np.nan_to_num(means - low), np.nan_to_num(high - means)])
    axes.barh(
        positions + offset,
        np.nan_to_num(means),
        height,
        xerr=errors,
        color=colour,
        alpha=0.85,
        capsize=3,
        label=legend,
    )
    axes.set_yticks(positions, labels)
    axes.grid(axis="y", visible=False)
    # At most 5 value ticks: these panels are narrow (the groups figure's is 2/5 of the page). With nothing to
    # show (a 1-day run cancels no group) the axis would span -0.05 to 0.05 in crowded '-0.050' ticks: 0 to 1.
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    if not np.any(np.nan_to_num(means) + errors[1]):
        axes.set_xlim(0.0, 1.0)
    rows: list[list[object]] = [
        [label, s.n, decimals(s.mean), decimals(s.ci95_low), decimals(s.ci95_high)]
        for label, s in zip(labels, summaries, strict=True)
    ]
    return summaries, rows


def _low(summary: Summary) -> float:
    return summary.ci95_low if summary.n > 1 else summary.mean


def _high(summary: Summary) -> float:
    return summary.ci95_high if summary.n > 1 else summary.mean


def census_by_track(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Census by track against seats"
    if missing := _needs(folder, title, "daily"):
        return missing
    cells = folder.cells(scenario.name, "daily", DAILY)
    opening = scenario.config.clinic.opening_date
    figure, (axes,) = new_figure(height=3.4)
    rows: list[list[object]] = []
    for colour, track in zip(PALETTE, _tracks(scenario), strict=False):
        days, series = _weekly(*_track_series(cells, track, lambda cell: cell["census"]))
        median, low, high = band(series)
        dates = _dates(opening, days[: len(median)])
        seats = scenario.config.tracks[track].seats
        _line_with_band(axes, dates, median, low, high, colour, f"{track}: census")
        axes.axhline(seats, color=colour, linestyle="--", linewidth=1, label=f"{track}: seats ({seats})")
        rows += [
            [str(d), track, seats, decimals(m, 2), decimals(lo, 2), decimals(hi, 2)]
            for d, m, lo, hi in zip(dates, median, low, high, strict=True)
        ]
    date_axis(axes, "week")
    axes.set_ylabel("patients enrolled\n(weekly mean of end of day)")  # one line is taller than the axes
    axes.legend(loc="lower right", ncols=2)
    caption = (
        "Patients enrolled in each track at the end of the day, averaged over each week; "
        f"dashed: seats (groups x maximum group size). {BAND}."
    )
    return finish(
        figure,
        "census_by_track",
        title,
        caption,
        ["week_starting", "track", "seats", "census_median", "census_low95", "census_high95"],
        rows,
    )


def waits_over_time(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Wait list and waits over time"
    if missing := _needs(folder, title, "daily", "episodes"):
        return missing
    opening = scenario.config.clinic.opening_date
    figure, (left, right) = new_figure(1, 2, height=3.2)
    rows: list[list[object]] = []
    cells = folder.cells(scenario.name, "daily", DAILY)
    for colour, track in zip(PALETTE, _tracks(scenario), strict=False):
        days, series = _weekly(*_track_series(cells, track, lambda cell: cell["wait_list"]))
        median, low, high = band(series)
        dates = _dates(opening, days[: len(median)])
        _line_with_band(left, dates, median, low, high, colour, track)
        rows += [
            ["wait_list", str(d), track, decimals(m, 2), decimals(lo, 2), decimals(hi, 2)]
            for d, m, lo, hi in zip(dates, median, low, high, strict=True)
        ]
    date_axis(left, "week")
    left.set_ylabel("on the wait list (weekly mean)")
    left.legend(loc="upper left")
    months: list[str] = sorted({p.period for p in folder.projection_rows(scenario.name, MONTH)})
    per_month = []
    for cell in folder.cells(scenario.name, "episodes", EPISODES):
        admitted = np.isfinite(cell["admitted_day"])
        waits = cell["admitted_day"][admitted] - cell["referred_day"][admitted]
        month_of = np.array([str(text)[:7] for text in cell["admitted_date"][admitted]])
        per_month.append(
            np.array([np.median(waits[month_of == m]) if np.any(month_of == m) else np.nan for m in months])
        )
    median, low, high = band(per_month)
    positions = np.array(months, dtype="datetime64[M]")
    _line_with_band(right, positions, median, low, high, PALETTE[2], None, steps=True)
    date_axis(right, "month of admission")
    right.set_ylabel("median wait, referral to admission (days)")
    rows += [
        ["median_wait_days", m, "all", decimals(a, 2), decimals(b, 2), decimals(c, 2)]
        for m, a, b, c in zip(months, median, low, high, strict=True)
    ]
    caption = (
        "Left: patients waiting for a seat (end of day, averaged over each week). Right: each month's "
        f"median wait from referral to admission, by month of admission. {BAND}."
    )
    return finish(
        figure,
        "waits_over_time",
        title,
        caption,
        ["series", "week_or_month", "track", "median", "low95", "high95"],
        rows,
    )


def referral_funnel(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Referral funnel"
    referred = folder.values(scenario.name, "referrals")
    remaining = referred.copy()
    stages, samples, losses = [], [], []
    for stage, lost_states in FUNNEL:
        lost = {
            END_STATE_LABELS[state]: folder.values(scenario.name, end_state_kpi(state))
            for state in lost_states
        }
        if stage == "completed":
            remaining = folder.values(scenario.name, "completions")
        else:
            remaining = remaining - sum(lost.values(), np.zeros_like(referred))
        stages.append(stage)
        samples.append(remaining)
        losses.append(
            ", ".join(
                f"{short} {np.mean(v):,.0f}" for short, v in lost.items() if round(float(np.mean(v))) >= 1
            )
        )
    figure, (axes,) = new_figure(height=3.4)
    summaries, rows = _bars(axes, stages, samples, PALETTE[0], height=0.5)
    ends = [max(s.mean, _high(s)) if np.isfinite(_high(s)) else s.mean for s in summaries]
    top = max([*ends, 1.0])
    for position, (summary, loss, end) in enumerate(zip(summaries, losses, ends, strict=True)):
        y = len(stages) - 1 - position
        # Labels sit inside the axes and stay out of the layout, which must not shrink the plot to fit them.
        axes.text(end + 0.015 * top, y, f"{summary.mean:,.0f}", va="center", fontsize=8, in_layout=False)
        if loss:
            axes.text(
                0.005 * top,
                y + 0.5,
                f"left: {loss}",
                va="center",
                fontsize=7,
                color="#444444",
                in_layout=False,
            )
    axes.set_xlabel("referrals per run (mean)")
    axes.set_xlim(0, top * 1.12)
    for row, loss in zip(rows, losses, strict=True):
        row.append(loss)
    caption = (
        "Referrals reaching each step of the pathway and, under each bar, how the others left (mean per run; "
        "episodes still waiting at the horizon count as lost at the step they had not passed). " + CI + "."
    )
    return finish(
        figure,
        "referral_funnel",
        title,
        caption,
        ["stage", "n", "mean", "ci95_low", "ci95_high", "lost_before_this_step"],
        rows,
    )


def stays_and_discharges(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Length of stay and discharge mix"
    if missing := _needs(folder, title, "episodes"):
        return missing
    figure, (left, right) = new_figure(1, 2, height=3.0)
    stays = [
        cell["length_of_stay_days"][np.isfinite(cell["length_of_stay_days"])]
        for cell in folder.cells(scenario.name, "episodes", EPISODES)
    ]
    pooled = np.concatenate(stays) if stays else np.zeros(0)
    longest = float(np.quantile(pooled, 0.99)) if pooled.size else 7.0
    edges = np.arange(0.0, 7.0 * (np.ceil(longest / 7.0) + 1.0), 7.0)
    counts = np.vstack([np.histogram(np.minimum(s, edges[-1] - 1e-9), bins=edges)[0] for s in stays])
    mean = counts.mean(axis=0)
    low, high = np.percentile(counts, [2.5, 97.5], axis=0)
    left.bar(edges[:-1] / 7.0, mean, width=0.9, align="edge", color=PALETTE[0], alpha=0.85)
    left.errorbar(
        edges[:-1] / 7.0 + 0.45,
        mean,
        yerr=np.vstack([mean - low, high - mean]),
        fmt="none",
        ecolor="#333333",
        capsize=2,
        linewidth=0.8,
    )
    left.set_xlabel("length of stay (weeks; last bar: that long or longer)")
    left.set_ylabel("discharges per run")
    rows: list[list[object]] = [
        [
            "length_of_stay",
            f"{edges[i] / 7:.0f}-{edges[i + 1] / 7:.0f} weeks",
            counts.shape[0],
            decimals(mean[i], 2),
            decimals(low[i], 2),
            decimals(high[i], 2),
        ]
        for i in range(len(mean))
    ]
    _, mix = _bars(
        right,
        [label for _, label in DISCHARGE_MIX],
        [folder.values(scenario.name, kpi) for kpi, _ in DISCHARGE_MIX],
        PALETTE[1],
    )
    right.set_xlabel("discharges per run")
    rows += [["discharge_mix", *row] for row in mix]
    caption = (
        "Left: discharges by length of stay from admission to discharge, mean per run with whiskers "
        "spanning the middle 95% of runs. "
        f"Right: how episodes ended. {CI}."
    )
    return finish(
        figure,
        "stays_and_discharges",
        title,
        caption,
        ["series", "bin_or_state", "n", "mean", "low95", "high95"],
        rows,
    )


def attendance(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Attendance"
    if missing := _needs(folder, title, "daily"):
        return missing
    cells = folder.cells(scenario.name, "daily", DAILY)
    opening = scenario.config.clinic.opening_date
    figure, (axes,) = new_figure(height=3.0)
    rows: list[list[object]] = []
    for colour, track in zip(PALETTE, _tracks(scenario), strict=False):
        days, attended = _track_series(cells, track, lambda cell: cell["attended"])
        _, absent = _track_series(cells, track, lambda cell: cell["absent"])
        monthly = [_monthly(days, opening, a, a + b) for a, b in zip(attended, absent, strict=True)]
        months = monthly[0][0]
        median, low, high = band([100.0 * ratio for _, ratio in monthly])
        positions = np.array(months, dtype="datetime64[M]")
        _line_with_band(axes, positions, median, low, high, colour, track, steps=True)
        rows += [
            [m, track, decimals(a, 2), decimals(b, 2), decimals(c, 2)]
            for m, a, b, c in zip(months, median, low, high, strict=True)
        ]
    overall = summarise(folder.values(scenario.name, "attendance_rate"))
    axes.axhline(
        100.0 * overall.mean, color="#555555", linestyle=":", linewidth=1, label=f"overall {overall.mean:.1%}"
    )
    date_axis(axes, "month")
    axes.set_ylabel("programme days attended (%)")
    axes.legend(loc="lower right", ncols=3)
    caption = f"Share of enrolled patients' programme days attended, per month and track. {BAND}."
    return finish(
        figure,
        "attendance",
        title,
        caption,
        ["month", "track", "attendance_percent_median", "low95", "high95"],
        rows,
    )


def staff(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Staff utilisation and caseloads"
    roles = list(scenario.config.staff.roles)
    figure, (left, right) = new_figure(1, 2, height=2.6 + 0.3 * len(roles))
    _, contracted = _bars(
        left,
        roles,
        [100.0 * folder.values(scenario.name, f"staff_contracted_share_{role}") for role in roles],
        PALETTE[0],
        0.38,
        offset=0.2,
        legend="share of contracted hours",
    )
    _, use = _bars(
        left,
        roles,
        [100.0 * folder.values(scenario.name, f"staff_utilisation_{role}") for role in roles],
        PALETTE[2],
        0.38,
        offset=-0.2,
        legend="utilisation of direct-care hours",
    )
    left.set_xlabel("direct care (% of hours)")
    left.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=1, fontsize=7, frameon=False)
    _, load = _bars(
        right,
        roles,
        [folder.values(scenario.name, f"caseload_mean_per_fte_{role}") for role in roles],
        PALETTE[3],
    )
    right.set_xlabel("primary patients per FTE (mean)")
    right.set_yticks(right.get_yticks(), [""] * len(roles))
    caption = (
        "Left: direct care (group, individual, prescriber, family and intake sessions) as a share of "
        "contracted hours, and as a share of the hours left for direct care once the role's non-direct "
        "share (documentation, meetings, supervision) is set aside: the utilisation. Right: primary "
        f"caseload per full-time equivalent. {CI}."
    )
    rows = (
        [["contracted_share_percent", *row] for row in contracted]
        + [["utilisation_percent", *row] for row in use]
        + [["caseload_per_fte", *row] for row in load]
    )
    return finish(
        figure, "staff", title, caption, ["measure", "role", "n", "mean", "ci95_low", "ci95_high"], rows
    )


def groups(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Group sizes and cancelled group-days"
    if missing := _needs(folder, title, "daily"):
        return missing
    cells = folder.cells(scenario.name, "daily", DAILY)
    opening = scenario.config.clinic.opening_date
    figure, (left, right) = new_figure(1, 2, height=3.0, width_ratios=(3, 2))
    rows: list[list[object]] = []
    for colour, track in zip(PALETTE, _tracks(scenario), strict=False):
        spec = scenario.config.tracks[track]
        days, present = _track_series(cells, track, lambda cell: cell["group_attendances"])
        _, groups_run = _track_series(cells, track, lambda cell: cell["groups_run"])
        run = [held * spec.group_sessions_per_day for held in groups_run]
        monthly = [_monthly(days, opening, a, b) for a, b in zip(present, run, strict=True)]
        months = monthly[0][0]
        median, low, high = band([ratio for _, ratio in monthly])
        positions = np.array(months, dtype="datetime64[M]")
        label = f"{track} (max {spec.group_size.max})"
        _line_with_band(left, positions, median, low, high, colour, label, steps=True)
        left.axhline(spec.group_size.max, color=colour, linestyle="--", linewidth=1)
        rows += [
            ["mean_attending", m, track, "", decimals(a, 2), decimals(b, 2), decimals(c, 2)]
            for m, a, b, c in zip(months, median, low, high, strict=True)
        ]
    date_axis(left, "month")
    left.set_ylabel("patients per group session held")
    left.legend(loc="lower right")
    held = folder.values(scenario.name, "group_days_run")
    _, lost = _bars(
        right,
        [label for _, label in CANCELLATIONS],
        [folder.values(scenario.name, kpi) for kpi, _ in CANCELLATIONS],
        PALETTE[5],
    )
    right.set_xlabel(f"group-days per run\n(of {np.mean(held):,.0f} group-days run)")
    rows += [["group_days", label, "all", n, m, lo, hi] for label, n, m, lo, hi in lost]
    caption = (
        "Left: mean patients attending each group session held, per month; dashed: the maximum "
        f"group size. {BAND}. "
        "Right: group-days merged into another group (too few came, another group had room) or cancelled: "
        f"too few attendees, no facilitator with hours left, no room free. {CI}."
    )
    return finish(
        figure,
        "groups",
        title,
        caption,
        ["series", "month_or_reason", "track", "n", "median_or_mean", "low95", "high95"],
        rows,
    )


def ramp_up(folder: ResultFolder, scenario: ScenarioPlan) -> Drawn:
    title = "Monthly referrals and admissions during ramp-up"
    rows_by_metric = {
        metric: [p for p in folder.projection_rows(scenario.name, MONTH) if p.metric == metric][
            :RAMP_UP_MONTHS
        ]
        for metric in ("referrals", "admissions", "completions")
    }
    figure, (axes,) = new_figure(height=3.0)
    rows: list[list[object]] = []
    for colour, (metric, projections) in zip(PALETTE, rows_by_metric.items(), strict=False):
        months = np.array([p.period for p in projections], dtype="datetime64[M]")
        mean = np.array([p.summary.mean for p in projections])
        low = np.array([p.summary.ci95_low for p in projections])
        high = np.array([p.summary.ci95_high for p in projections])
        axes.fill_between(months, low, high, color=colour, alpha=0.2, linewidth=0)
        axes.plot(months, mean, color=colour, marker="o", markersize=3, linewidth=1.2, label=metric)
        rows += [
            [
                p.period,
                p.days,
                metric,
                p.summary.n,
                decimals(p.summary.mean, 2),
                decimals(p.summary.ci95_low, 2),
                decimals(p.summary.ci95_high, 2),
            ]
            for p in projections
        ]
    date_axis(axes, "month")
    axes.set_ylabel("people per month\n(first month: days open)")  # one line is taller than the axes
    axes.legend(loc="lower right", ncols=3)
    caption = (
        f"Referrals, admissions and completions in each of the first {RAMP_UP_MONTHS} calendar months; "
        "line: mean across replications; band: its 95% confidence interval."
    )
    return finish(
        figure,
        "ramp_up",
        title,
        caption,
        ["month", "days_open", "metric", "n", "mean", "ci95_low", "ci95_high"],
        rows,
    )


RUN_FIGURES: tuple[Callable[[ResultFolder, ScenarioPlan], Drawn], ...] = (
    census_by_track,
    waits_over_time,
    referral_funnel,
    stays_and_discharges,
    attendance,
    staff,
    groups,
    ramp_up,
)
"""Figures drawn for a scenario, in report order."""
