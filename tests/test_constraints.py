"""The binding constraint, named (issue 20): each threshold just below and at, the ranking, and real runs.

Unit tests give hand-made KPI means (a tiny clinic whose numbers are chosen
to sit on either side of one threshold); the run tests check that doubling
every referral rate of the baseline names intake or full tracks, that an idle
clinic names nothing, and that `simiop run` and the report say the same
sentences as the module does from summary.csv.
"""

from __future__ import annotations

import csv
import html
import math
from pathlib import Path

import pytest

from simiop.config import read_config_data
from simiop.experiments.cells import scheduled_groups
from simiop.model.records import TrackDay
from simiop.report.data import ResultFolder, load
from simiop.report.limits import folder_limits, scheduled_groups_by_track
from simiop.results.columns import Columns
from simiop.results.constraints import (
    CANCELLED_SHARE,
    INTAKE_BOOKED_AHEAD_DAYS,
    INTAKE_GAVE_UP_SHARE,
    MAX_FINDINGS,
    MISSED_PER_ADMISSION,
    NOTHING_BINDS,
    OCCUPANCY_FULL,
    UTILISATION_FULL,
    WAIT_LIST_LOSS_SHARE,
    Finding,
    binding_constraints,
    constraint_sentences,
    scenario_limits,
)
from simiop.results.stats import Summary
from tests.conftest import BASELINE
from tests.test_cli import run

IDLE: dict[str, float] = {
    "referrals": 1000.0,
    "admissions": 900.0,
    "end_state_gave_up_before_intake": 10.0,
    "end_state_left_wait_list": 20.0,
    "end_state_left_track_full": 0.0,
    "end_state_censored_on_wait_list": 0.0,
    "wait_referral_to_assessment_days_p90": 4.0,
    "intake_days_booked_ahead_mean": 2.0,
    "occupancy_day": 0.5,
    "wait_list_mean_day": 0.0,
    "occupancy_evening": 0.4,
    "wait_list_mean_evening": 0.0,
    "group_days_scheduled": 1000.0,
    "group_days_cancelled_too_few": 400.0,
    "group_days_cancelled_no_facilitator": 10.0,
    "group_days_cancelled_no_facilitator_day": 4.0,
    "group_days_cancelled_no_facilitator_evening": 6.0,
    "group_days_cancelled_no_room": 0.0,
    "care_missed_individual_staff_absent": 50.0,
    "care_missed_individual_no_staff_time": 50.0,
    "care_missed_prescriber_initial_no_staff_time": 0.0,
    "staff_utilisation_therapist": 0.5,
    "staff_utilisation_prescriber": 0.6,
    "staff_utilisation_shift_day": 0.99,
}
"""A clinic with room to spare: every check below its threshold (too-few cancellations and a shift's
utilisation are not constraints, so their high values name nothing)."""


def with_changes(**changes: float) -> dict[str, float]:
    return {**IDLE, **changes}


def test_an_idle_clinic_names_nothing_and_says_so() -> None:
    assert binding_constraints(IDLE) == []
    assert constraint_sentences([]) == [NOTHING_BINDS]


@pytest.mark.parametrize(
    ("below", "at", "kind", "words"),
    [
        # 49 / 1000 and 50 / 1000 referrals gave up before intake (threshold 5%)
        (
            {"end_state_gave_up_before_intake": 49.0},
            {"end_state_gave_up_before_intake": 50.0},
            "intake",
            [
                "Intake slots are booked 2.0 days ahead on average (from booking to the assessment): "
                "50 referrals (5%) gave up before assessment",
                "waited 4 days or more",
            ],
        ),
        # a book full 6.99 and 7 days ahead (threshold 7 days), with few giving up (10 of 1000)
        (
            {"intake_days_booked_ahead_mean": 6.99},
            {"intake_days_booked_ahead_mean": 7.0},
            "intake",
            [
                "Intake slots are booked 7.0 days ahead on average",
                "10 referrals (1%) gave up before assessment",
            ],
        ),
        # left / (admissions + left + still waiting): 99 / 999 and 100 / 1000 (threshold 10%)
        (
            {"end_state_left_wait_list": 99.0},
            {"end_state_left_wait_list": 60.0, "end_state_left_track_full": 40.0},
            "wait_list",
            ["100 people accepted for the programme (10%) left before a seat came free"],
        ),
        (
            {"occupancy_evening": 0.8499},
            {"occupancy_evening": 0.85, "wait_list_mean_evening": 7.4},
            "track_full",
            ["The evening track is full: 85% of its seats", "with 7 people on its wait list"],
        ),
        # 49 and 50 of 1000 group-days cancelled for want of a facilitator (threshold 5%)
        (
            {"group_days_cancelled_no_facilitator": 49.0},
            {
                "group_days_cancelled_no_facilitator": 50.0,
                "group_days_cancelled_no_facilitator_evening": 46.0,
            },
            "cancellations",
            [
                "5.0% of group-days (50 of 1,000) were cancelled for want of a facilitator",
                "46 of them in the evening",
            ],
        ),
        # 1799 and 1800 failed attempts over 900 admissions (threshold 2 per admission)
        (
            {"care_missed_prescriber_initial_no_staff_time": 1799.0},
            {
                "care_missed_prescriber_initial_no_staff_time": 1500.0,
                "care_missed_prescriber_initial_staff_absent": 300.0,
            },
            "missed_care",
            [
                "Prescriber initial visits could not be placed 1,800 times (2.0 per admission)",
                "no prescriber had direct-care time left (1,500)",
            ],
        ),
        (
            {"staff_utilisation_therapist": 0.8999},
            {"staff_utilisation_therapist": 0.9},
            "staff_time",
            ["the therapist role uses 90% of its direct-care hours"],
        ),
    ],
)
def test_each_threshold_names_its_constraint_from_the_threshold_on(
    below: dict[str, float], at: dict[str, float], kind: str, words: list[str]
) -> None:
    assert binding_constraints(with_changes(**below)) == []
    (found,) = binding_constraints(with_changes(**at))
    assert found.kind == kind
    assert found.value == pytest.approx(found.threshold)
    for phrase in words:
        assert phrase in found.sentence, (phrase, found.sentence)


def test_the_thresholds_are_the_ones_the_cases_above_sit_on() -> None:
    """The parametrised cases are built on these values: a changed threshold must change them too."""
    assert (INTAKE_GAVE_UP_SHARE, WAIT_LIST_LOSS_SHARE, OCCUPANCY_FULL) == (0.05, 0.10, 0.85)
    assert (CANCELLED_SHARE, MISSED_PER_ADMISSION, UTILISATION_FULL) == (0.05, 2.0, 0.90)
    assert INTAKE_BOOKED_AHEAD_DAYS == 7.0


def test_intake_without_the_booked_ahead_kpi_says_only_who_gave_up() -> None:
    """A folder from before intake_days_booked_ahead_mean: the share alone names intake, without a made-up
    0 days ahead."""
    means = with_changes(end_state_gave_up_before_intake=80.0)
    del means["intake_days_booked_ahead_mean"]
    (found,) = binding_constraints(means)
    assert found.sentence.startswith("Intake is a limit: 80 referrals (8%) gave up before assessment")


def test_with_each_tracks_scheduled_groups_cancellations_are_a_share_of_that_track() -> None:
    """7 of 100 evening group-days: named, though 7 of the 1000 of both tracks would not be; the day
    track's 4 of 900 are not; a track with no scheduled groups names nothing."""
    scheduled = {"day": 900.0, "evening": 100.0}
    means = with_changes(group_days_cancelled_no_facilitator_evening=7.0)
    assert binding_constraints(means) == []
    (found,) = binding_constraints(means, scheduled_by_track=scheduled)
    assert (found.kind, found.subject) == ("cancellations", "no_facilitator_evening")
    assert found.sentence == (
        "7.0% of the evening track's group-days (7 of 100) were cancelled for want of a facilitator."
    )
    just_below = with_changes(group_days_cancelled_no_facilitator_evening=4.99)
    assert binding_constraints(just_below, scheduled_by_track=scheduled) == []
    assert binding_constraints(means, scheduled_by_track={"day": 900.0}) == []


def test_people_turned_away_come_first_then_the_furthest_over_its_threshold() -> None:
    means = with_changes(
        staff_utilisation_therapist=0.99,  # 1.1x its threshold
        care_missed_individual_no_staff_time=9000.0,  # 10x: far over, but care of people admitted
        occupancy_day=0.9,  # 1.06x
        end_state_gave_up_before_intake=100.0,  # 2x
    )
    found = binding_constraints(means, limit=10)
    assert [f.kind for f in found] == ["intake", "track_full", "missed_care", "staff_time"]
    assert binding_constraints(means) == found[:MAX_FINDINGS]
    assert [f.kind for f in binding_constraints(means, limit=2)] == ["intake", "track_full"]
    assert found[0].severity == pytest.approx(2.0)


def test_a_kpi_missing_or_not_a_number_counts_as_zero() -> None:
    """A folder from an older simiop (fewer KPIs) names fewer constraints, never a wrong one."""
    assert binding_constraints({}) == []
    means = with_changes(end_state_gave_up_before_intake=math.nan, occupancy_day=math.nan)
    assert binding_constraints(means) == []
    assert binding_constraints({"occupancy_day": 0.9}) == [
        Finding(
            "track_full",
            "day",
            0.9,
            OCCUPANCY_FULL,
            "The day track is full: 90% of its seats are taken on an average day, with 0 people on its wait list.",
        )
    ]


def test_scenario_limits_reads_one_scenario_of_the_summary() -> None:
    def summary(mean: float) -> Summary:
        return Summary(2, mean, 0.0, mean, mean)

    table = {("base", "occupancy_day"): summary(0.5), ("more", "occupancy_day"): summary(0.95)}
    assert scenario_limits(table, "base") == [NOTHING_BINDS]
    (sentence,) = scenario_limits(table, "more")
    assert sentence.startswith("The day track is full: 95%")


def _rates(factor: float) -> list[str]:
    """--set arguments multiplying every referral source's weekly rate of the baseline by ``factor``."""
    sources = read_config_data(BASELINE)["referrals"]["sources"]
    return [
        arg
        for name, source in sources.items()
        for arg in ("--set", f"referrals.sources.{name}.weekly_rate={source['weekly_rate'] * factor:g}")
    ]


def _printed(stdout: str) -> list[str]:
    """The indented lines after 'what limits the clinic:', up to the next line that is not indented."""
    lines = stdout.splitlines()
    start = lines.index("what limits the clinic:") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    return [line.strip() for line in lines[start:end]]


def _summary_means(out: Path) -> dict[str, float]:
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        return {row["kpi"]: float(row["mean"]) for row in csv.DictReader(handle) if row["scenario"] == "base"}


def test_doubled_referrals_name_intake_or_the_full_tracks_in_the_run_and_the_report(tmp_path: Path) -> None:
    """Twice the referrals hardly serve more people: the printed summary and the report say why."""
    out = tmp_path / "doubled"
    code, stdout, err = run("run", str(BASELINE), "-r", "2", "-j", "1", "--out", str(out), *_rates(2.0))
    assert code == 0, err
    expected = folder_limits(load(out), "base")
    printed = _printed(stdout)
    assert printed == expected
    kinds = {f.kind for f in binding_constraints(_summary_means(out))}
    assert kinds & {"intake", "wait_list", "track_full"}, expected
    assert any("Intake" in s or "track is full" in s for s in expected), expected
    ahead = _summary_means(out)["intake_days_booked_ahead_mean"]
    intake = [s for s in expected if s.startswith("Intake")]
    assert all(f"booked {ahead:.1f} days ahead" in s for s in intake), (ahead, intake)
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page.split("<h2>What limits the clinic</h2>", 1)[1].split("<h2>", 1)[0]
    assert page.index("<h2>Key results</h2>") < page.index("<h2>What limits the clinic</h2>")
    for sentence in expected:
        assert f"<li>{html.escape(sentence)}</li>" in section


def test_an_idle_clinic_prints_that_nothing_binds(tmp_path: Path) -> None:
    out = tmp_path / "idle"
    code, stdout, err = run(
        "run", str(BASELINE), "-r", "2", "-j", "1", "--horizon", "365d", "--no-report", "--tables", "none",
        "--out", str(out), *_rates(0.25),
    )  # fmt: skip
    assert code == 0, err
    assert _printed(stdout) == [NOTHING_BINDS]
    assert scheduled_groups_by_track(load(out), "base") is None  # no daily.csv: all tracks' groups
    assert _summary_means(out)["admissions"] > 0  # idle, not closed


def test_the_baseline_names_the_evening_tracks_facilitator_cancellations(tmp_path: Path) -> None:
    """The baseline has no evening cover (its config warns): a share of the evening track's own groups,
    read from daily.csv, is named; the scheduled groups of both tracks add up to summary.csv's."""
    out = tmp_path / "baseline"
    code, stdout, err = run("run", str(BASELINE), "-r", "2", "-j", "1", "--no-report", "--out", str(out))
    assert code == 0, err
    folder = load(out)
    scheduled = scheduled_groups_by_track(folder, "base")
    assert scheduled is not None
    assert sum(scheduled.values()) == pytest.approx(_summary_means(out)["group_days_scheduled"])
    printed = _printed(stdout)
    assert printed == folder_limits(folder, "base")
    assert any("of the evening track's group-days" in s and "want of a facilitator" in s for s in printed)


def test_a_run_names_its_limits_from_the_sums_its_cells_returned_not_from_daily_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each cell returns its tracks' scheduled group-days (cells.scheduled_groups) with its files; the
    run's "what limits the clinic" uses them rather than reading every daily.csv back (issue 17), and
    they are the sums daily.csv holds, so the sentences are those drawn from the files."""
    out = tmp_path / "baseline"

    def unread(*_: object) -> None:
        raise AssertionError("daily.csv read back at the end of the run")

    with monkeypatch.context() as patched:
        patched.setattr(ResultFolder, "cells", unread)
        code, stdout, err = run(
            "run", str(BASELINE), "-r", "3", "-j", "1", "--horizon", "120d", "--no-report",
            "--tables", "daily", "--out", str(out),
        )  # fmt: skip
    assert code == 0, err
    folder = load(out)
    assert _printed(stdout) == folder_limits(folder, "base")
    plan = folder.plan.scenarios[0]
    warmup = plan.config.simulation.warmup_days
    for replication, cell in enumerate(folder.cells("base", "daily", ("day", "track", "groups_scheduled"))):
        sums = scheduled_groups(plan.config, _track_days(out, replication))
        for track in plan.config.tracks:
            rows = (cell["day"] >= warmup) & (cell["track"] == track)
            assert sums[track] == float(cell["groups_scheduled"][rows].sum())
    assert sum(sums.values()) > 0
    known = [scheduled_groups(plan.config, _track_days(out, r)) for r in range(3)]
    assert scheduled_groups_by_track(folder, "base", known) == scheduled_groups_by_track(folder, "base")
    assert scheduled_groups_by_track(folder, "base", known[:2]) == scheduled_groups_by_track(folder, "base")


def test_a_resumed_run_reads_the_kept_cells_daily_csv_for_its_limits(tmp_path: Path) -> None:
    """A cell kept from before returned nothing to this run: the limits are drawn from the files."""
    out = tmp_path / "resumed"
    args = ("run", str(BASELINE), "-r", "2", "-j", "1", "--horizon", "120d", "--no-report", "--out", str(out))
    code, first, err = run(*args)
    assert code == 0, err
    for path in (out / "scenarios" / "base" / "r0001").iterdir():
        path.unlink()
    code, again, err = run(*args)
    assert code == 0, err
    assert "(1 kept from before)" in again
    assert _printed(again) == _printed(first) == folder_limits(load(out), "base")


def _track_days(out: Path, replication: int) -> Columns:
    """A cell's daily.csv read back as the TrackDay columns the cell summed (a test's stand-in)."""
    rows = (out / "scenarios" / "base" / f"r{replication:04d}" / "daily.csv").read_text().splitlines()
    header = rows[0].split(",")
    cells = [row.split(",") for row in rows[1:]]
    days = [TrackDay(int(c[header.index("day")]), c[header.index("track")]) for c in cells]
    for day, c in zip(days, cells, strict=True):
        day.groups_scheduled = int(c[header.index("groups_scheduled")])
    return Columns(TrackDay, days)
