"""The experiment headline on hand-made comparison rows: which scenario it names for each goal, and how.

A staffing experiment judged on cost alone favours fewer staff; the goals
"fewest groups cancelled for want of a facilitator" and "highest weekly
individual-therapy coverage" (issue 18) say what the staff buy. These tests
build the comparison rows by hand, so every sentence is known exactly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from simiop.config import load_config
from simiop.experiments.plan import Plan, ScenarioPlan
from simiop.report.data import ResultFolder
from simiop.report.headline import (
    COVERAGE,
    EXPERIMENT_GOALS,
    MOST_UNNAMED,
    NO_FACILITATOR,
    REVENUE,
    SERVED,
    WAIT,
    experiment_sentences,
)
from tests.conftest import BASELINE

CONFIG = load_config(BASELINE)
SCENARIOS = ("base", "therapists=2", "therapists=4", "therapists=5")


def _row(
    scenario: str, kpi: str, base: float, mean: float, low: float, high: float, direction: str
) -> dict[str, str]:
    return {
        "scenario": scenario,
        "compared_with": "base",
        "kpi": kpi,
        "compared_with_mean": repr(base),
        "scenario_mean": repr(mean),
        "difference_mean": repr(mean - base),
        "ci95_low": repr(low),
        "ci95_high": repr(high),
        "direction": direction,
    }


def _folder(rows: list[dict[str, str]]) -> ResultFolder:
    plan = Plan(
        kind="experiment",
        name="therapists",
        scenarios=tuple(ScenarioPlan(name, CONFIG) for name in SCENARIOS),
        seed=1,
        replications=20,
        compare_to="base",
    )
    return ResultFolder(Path("unused"), {}, plan, {}, {}, rows, [])


def test_the_staffing_goals_are_goals_with_the_right_direction() -> None:
    goals = {kpi: better for kpi, better, *_ in EXPERIMENT_GOALS}
    assert goals[NO_FACILITATOR] == "lower"
    assert goals[COVERAGE] == "higher"
    assert NO_FACILITATOR == "group_days_cancelled_no_facilitator"
    assert COVERAGE == "individual_therapy_weekly_coverage"


def test_fewest_cancellations_names_the_scenario_with_the_largest_supported_drop() -> None:
    rows = [
        _row("therapists=2", NO_FACILITATOR, 45.4, 123.0, 70.0, 85.0, "higher"),
        _row("therapists=4", NO_FACILITATOR, 45.4, 34.4, -13.0, -9.0, "lower"),
        _row("therapists=5", NO_FACILITATOR, 45.4, 33.8, -14.0, -9.2, "lower"),
    ]
    sentences = experiment_sentences(_folder(rows))
    assert (
        "'therapists=5' has the fewest groups cancelled for want of a facilitator: 33.8 groups against "
        "45.4 groups (difference -11.6 groups, 95% CI -14.0 groups to -9.2 groups)."
    ) in sentences


def test_highest_coverage_is_a_share_and_an_unclear_difference_is_not_a_winner() -> None:
    rows = [
        _row("therapists=2", COVERAGE, 0.90, 0.80, -0.12, -0.08, "lower"),
        _row("therapists=4", COVERAGE, 0.90, 0.97, 0.05, 0.09, "higher"),
        _row("therapists=5", COVERAGE, 0.90, 0.99, -0.01, 0.19, "unclear"),  # larger, but not supported
    ]
    sentences = experiment_sentences(_folder(rows))
    assert (
        "'therapists=4' has the highest weekly individual-therapy coverage: 97.0% against 90.0% "
        "(difference +7.0 percentage points, 95% CI +5.0 percentage points to +9.0 percentage points)."
    ) in sentences


def test_no_scenario_better_on_a_goal_is_said_so() -> None:
    rows = [
        _row("therapists=2", NO_FACILITATOR, 45.4, 123.0, 70.0, 85.0, "higher"),
        _row("therapists=4", COVERAGE, 0.90, 0.90, 0.0, 0.0, "same"),
    ]
    sentences = experiment_sentences(_folder(rows))
    assert (
        "No scenario has fewer groups cancelled for want of a facilitator than 'base' by more than the "
        "replications can distinguish."
    ) in sentences
    assert (
        "No scenario has a higher weekly individual-therapy coverage than 'base' by more than the "
        "replications can distinguish."
    ) in sentences


def test_a_goal_without_its_kpi_in_the_comparison_is_left_out() -> None:
    sentences = experiment_sentences(_folder([]))
    assert not [s for s in sentences if "facilitator" in s or "individual-therapy" in s]
    assert (
        sentences[0]
        == "4 scenarios were each simulated 20 times with the same random numbers and compared with 'base'."
    )


def test_a_named_scenarios_significant_losses_are_said_largest_first() -> None:
    rows = [
        _row("therapists=2", "cost_per_completed_episode_usd", 5619.0, 4823.0, -910.0, -684.0, "lower"),
        _row("therapists=2", REVENUE, 2931787.0, 2798768.0, -203988.0, -62050.0, "lower"),
        _row("therapists=2", NO_FACILITATOR, 52.7, 132.7, 58.3, 101.7, "higher"),
        _row("therapists=2", SERVED, 730.0, 735.0, -2.0, 12.0, "unclear"),  # not significant: not a loss
    ]
    sentences = experiment_sentences(_folder(rows))
    assert sentences[-1] == (
        "But against 'base', 'therapists=2' has more groups cancelled for want of a facilitator: "
        "132.7 groups against 52.7 groups (difference +80.0 groups, 95% CI +58.3 groups to +101.7 groups) "
        "and less revenue: $2,798,768 against $2,931,787 (difference -$133,019, 95% CI -$203,988 to -$62,050)."
    )


def test_losses_of_scenarios_named_for_no_gain_are_said_when_few_and_counted_when_many() -> None:
    few = [_row("therapists=4", WAIT, 4.4, 12.0, 4.0, 11.2, "higher")]
    assert experiment_sentences(_folder(few))[-1] == (
        "Against 'base', 'therapists=4' has a longer median wait from referral to admission: 12.0 days "
        "against 4.4 days (difference +7.6 days, 95% CI +4.0 days to +11.2 days)."
    )
    many = [_row(name, WAIT, 4.4, 12.0, 4.0, 11.2, "higher") for name in SCENARIOS[1:]]
    plan = _folder(many).plan
    wide = dataclasses.replace(
        plan, scenarios=(*plan.scenarios, *(ScenarioPlan(f"extra_{k}", CONFIG) for k in range(MOST_UNNAMED)))
    )
    many += [_row(f"extra_{k}", WAIT, 4.4, 12.0, 4.0, 11.2, "higher") for k in range(MOST_UNNAMED)]
    folder = dataclasses.replace(_folder(many), plan=wide)
    assert experiment_sentences(folder)[-1] == (
        f"{3 + MOST_UNNAMED} other scenarios are worse than 'base' on at least one of these goals "
        "(comparison.csv, column verdict)."
    )
