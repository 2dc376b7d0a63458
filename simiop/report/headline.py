"""The plain-language headline at the top of a report, written from the results, never by hand.

Every number in it is read from summary.csv, projections.csv or
comparison.csv and formatted the way the report's tables format it, so a
reader who checks the headline against the tables finds the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from simiop.experiments.plan import ScenarioPlan
from simiop.report.data import ResultFolder, number
from simiop.results.directions import better_direction, verdict
from simiop.results.periods import PROGRAMME_YEAR
from simiop.results.stats import Summary

SERVED = "unduplicated_patients_served"
WAIT = "wait_referral_to_admission_days_median"
NO_FACILITATOR = "group_days_cancelled_no_facilitator"
COVERAGE = "individual_therapy_weekly_coverage"

REVENUE = "revenue_usd"
COST_PER_COMPLETION = "cost_per_completed_episode_usd"

# (kpi, better direction, phrase for the best scenario, phrase when none is better, format). The direction is
# the KPI's own in simiop/results/directions.py. Cost alone favours fewer staff; the staffing goals (cancelled
# groups, individual therapy each week) and revenue say what the staff buy, so a staffing experiment's
# headline weighs them all, and names each named scenario's significant losses on the others (LOSSES).
EXPERIMENT_GOALS = (
    (SERVED, better_direction(SERVED), "serves the most people", "serves more people than", "{:,.0f}"),
    (
        WAIT,
        better_direction(WAIT),
        "has the shortest median wait from referral to admission",
        "has a shorter median wait than",
        "{:.1f} days",
    ),
    (
        NO_FACILITATOR,
        better_direction(NO_FACILITATOR),
        "has the fewest groups cancelled for want of a facilitator",
        "has fewer groups cancelled for want of a facilitator than",
        "{:,.1f} groups",
    ),
    (
        COVERAGE,
        better_direction(COVERAGE),
        "has the highest weekly individual-therapy coverage",
        "has a higher weekly individual-therapy coverage than",
        "{:.1%}",
    ),
    (
        REVENUE,
        better_direction(REVENUE),
        "earns the most revenue",
        "earns more revenue than",
        "${:,.0f}",
    ),
    (
        COST_PER_COMPLETION,
        better_direction(COST_PER_COMPLETION),
        "has the lowest cost per completed episode",
        "has a lower cost per completed episode than",
        "${:,.0f}",
    ),
)

LOSSES = {
    SERVED: "fewer people served",
    WAIT: "a longer median wait from referral to admission",
    NO_FACILITATOR: "more groups cancelled for want of a facilitator",
    COVERAGE: "a lower weekly individual-therapy coverage",
    REVENUE: "less revenue",
    COST_PER_COMPLETION: "a higher cost per completed episode",
}
"""How the headline names a significant loss on each goal (the goal's KPI moved the worse way)."""

MOST_UNNAMED = 3
"""Scenarios the headline names no gain for have their losses said one by one up to this many; beyond it,
counted (a large grid would otherwise fill the headline)."""


def with_ci(summary: Summary, form: str, unit: str = "") -> str:
    """'310 people (95% CI of the mean 290 to 330)': the mean, and its confidence interval when there is one.

    A value equal in every replication (e.g. salaries with no hiring
    uncertainty) has no interval worth printing.
    """
    return _with_interval(summary, summary.ci95_low, summary.ci95_high, "95% CI of the mean", form, unit)


def with_range(summary: Summary, form: str, unit: str = "") -> str:
    """'310 people (95% outcome range 270 to 350)': the mean, and where one replication falls 95 times in 100.

    The headline gives the outcome range: a reader plans for the outcome of
    one future, not for the average of many. A value equal in every
    replication is given once, without a range.
    """
    return _with_interval(
        summary, summary.outcome95_low, summary.outcome95_high, "95% outcome range", form, unit
    )


def _with_interval(summary: Summary, low: float, high: float, name: str, form: str, unit: str) -> str:
    text = form.format(summary.mean) + unit
    low_text, high_text = form.format(low), form.format(high)
    if summary.n >= 2 and math.isfinite(low) and low_text != high_text:
        text += f" ({name} {low_text} to {high_text})"
    return text


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def staffing_phrase(scenario: ScenarioPlan) -> str:
    """'3 therapists and 1 evening therapist at opening, ...': the policies administrators vary most.

    Roles are named as the config names them, so the phrase matches the
    experiment's factors (a grid over staff.roles.therapist.count).
    """
    config = scenario.config
    tracks = {name: track for name, track in config.tracks.items() if track.enabled}
    roles = sorted({track.facilitator_role for track in tracks.values()}, key=list(config.staff.roles).index)
    staff = _join([_count(config.staff.roles[role].count, role.replace("_", " ")) for role in roles])
    sizes = {track.group_size.max for track in tracks.values()}
    if len(sizes) == 1:
        groups = f"groups of up to {sizes.pop()}"
    else:
        groups = "groups of up to " + _join([f"{t.group_size.max} ({name})" for name, t in tracks.items()])
    names = _join(list(tracks))
    track_phrase = f"{names} tracks" if len(tracks) > 1 else f"a {names} track"
    return f"{staff} at opening, {track_phrase} and {groups}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _signed(value: float, form: str) -> str:
    """'-$530' or '+1.2 days': a difference in the KPI's own unit; a difference of shares in percentage
    points ('+2.8 percentage points'), which a relative '+2.8%' would misstate."""
    sign = "-" if value < 0 else "+"
    if form.endswith("%}"):
        return f"{sign}{100 * abs(value):.1f} percentage points"
    return sign + form.format(abs(value))


def first_year_served(folder: ResultFolder, scenario: str) -> tuple[str, Summary] | None:
    """('its first year', summary) of people served in programme year 1 (or the shorter run)."""
    for projection in folder.projection_rows(scenario, PROGRAMME_YEAR):
        if projection.metric == SERVED and projection.period == "Year 1":
            span = "its first year" if projection.days >= 365 else f"its first {projection.days} days"
            return span, projection.summary
    return None


def scenario_sentences(folder: ResultFolder, scenario: ScenarioPlan) -> list[str]:
    """What one scenario is expected to do: people served in year 1, the wait, money over the run."""
    clinic = scenario.config.clinic.name
    sentences = []
    served = first_year_served(folder, scenario.name)
    wait = folder.summary.get((scenario.name, WAIT))
    opening = f"With {staffing_phrase(scenario)}, {clinic} is expected to serve"
    if served is not None:
        span, summary = served
        sentence = f"{opening} {with_range(summary, '{:,.0f}', ' people')} in {span}"
    else:
        sentence = f"{opening} people from its first year"
    if wait is not None and math.isfinite(wait.mean):
        sentence += f"; the median wait from referral to admission is {with_range(wait, '{:.1f}', ' days')}"
    sentences.append(sentence + ".")
    revenue = folder.summary.get((scenario.name, "revenue_usd"))
    cost = folder.summary.get((scenario.name, "total_cost_usd"))
    completion = folder.summary.get((scenario.name, "cost_per_completed_episode_usd"))
    config = scenario.config.simulation
    if revenue is not None and cost is not None:
        years = (config.horizon_days - config.warmup_days) / 365.25
        span = f"{years:.1f} years" if years >= 1 else f"{config.horizon_days - config.warmup_days:.0f} days"
        after = f" after a {config.warmup_days:g}-day warm-up" if config.warmup_days else ""
        money = (
            f"Over the {span} simulated{after}, revenue is {with_range(revenue, '${:,.0f}')} "
            f"against a total cost of {with_range(cost, '${:,.0f}')}"
        )
        if completion is not None and math.isfinite(completion.mean):
            money += f", or {with_range(completion, '${:,.0f}')} per completed episode"
        sentences.append(money + ".")
    return sentences


def _comparisons(folder: ResultFolder, kpi: str) -> Iterable[dict[str, str]]:
    return (row for row in folder.comparison if row["kpi"] == kpi)


def _difference(row: dict[str, str], form: str) -> str:
    """'264 against 208 (difference +56, 95% CI +18 to +95)'."""
    low, high = number(row["ci95_low"]), number(row["ci95_high"])
    mean, base = number(row["scenario_mean"]), number(row["compared_with_mean"])
    return (
        f"{form.format(mean)} against {form.format(base)} "
        f"(difference {_signed(number(row['difference_mean']), form)}, "
        f"95% CI {_signed(low, form)} to {_signed(high, form)})"
    )


def _losses(folder: ResultFolder, scenario: str) -> list[str]:
    """The goals on which ``scenario`` is significantly worse than the base, largest relative loss first."""
    worse = []
    for kpi, _, _, _, form in EXPERIMENT_GOALS:
        for row in _comparisons(folder, kpi):
            if row["scenario"] == scenario and verdict(kpi, row["direction"]) == "worse":
                base = abs(number(row["compared_with_mean"]))
                size = abs(number(row["difference_mean"])) / base if base else math.inf
                worse.append((size, f"{LOSSES[kpi]}: {_difference(row, form)}"))
    return [text for _, text in sorted(worse, key=lambda loss: -loss[0])]


def loss_sentences(folder: ResultFolder, named: list[str]) -> list[str]:
    """What each scenario the headline names costs: its significant losses on the other goals. The losses of
    scenarios it names no gain for are said one by one when they are few, else counted."""
    base = folder.base.name
    sentences = []
    for scenario in named:
        if losses := _losses(folder, scenario):
            sentences.append(f"But against '{base}', '{scenario}' has {_join(losses)}.")
    others = [s.name for s in folder.plan.scenarios if s.name != base and s.name not in named]
    losing = [(scenario, losses) for scenario in others if (losses := _losses(folder, scenario))]
    if len(losing) <= MOST_UNNAMED:
        sentences += [f"Against '{base}', '{scenario}' has {_join(losses)}." for scenario, losses in losing]
    else:
        sentences.append(
            f"{len(losing)} other scenarios are worse than '{base}' on at least one of these goals "
            "(comparison.csv, column verdict)."
        )
    return sentences


def experiment_sentences(folder: ResultFolder) -> list[str]:
    """Which scenario does best on each goal, against the base, counting only differences the CI supports,
    and what each scenario it names loses on the other goals: a gain is never said without its costs."""
    base = folder.base
    count = len(folder.plan.scenarios)
    sentences = [
        f"{count} scenarios were each simulated {folder.plan.replications} times "
        f"with the same random numbers and compared with '{base.name}'."
    ]
    sentences += scenario_sentences(folder, base)
    named: list[str] = []
    for kpi, better, phrase, none_phrase, form in EXPERIMENT_GOALS:
        rows = [row for row in _comparisons(folder, kpi) if row["direction"] == better]
        if not rows:
            if any(True for _ in _comparisons(folder, kpi)):
                sentences.append(
                    f"No scenario {none_phrase} '{base.name}' by more than the replications can distinguish."
                )
            continue
        best = max(rows, key=lambda row: number(row["difference_mean"]) * (1 if better == "higher" else -1))
        sentences.append(f"'{best['scenario']}' {phrase}: {_difference(best, form)}.")
        if best["scenario"] not in named:
            named.append(best["scenario"])
    return sentences + loss_sentences(folder, named)
