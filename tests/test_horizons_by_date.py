"""Horizons by date (issue 20): until, fiscal_years, 3y as calendar years, partial periods marked,
dates outside the run warned about, and which "group sessions" each name counts."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import simiop
from simiop.cli.common import HORIZON_HELP, command_line_overrides
from simiop.config import ConfigError, SimiopConfig, load_config, validate_config
from simiop.config.durations import calendar_duration_days, duration_days, fiscal_years_end
from simiop.experiments.plan import experiment_plan
from simiop.model import simulate
from simiop.results.kpis import compute_kpis
from simiop.results.periods import FISCAL_YEAR, METRICS, period_metrics, periods
from simiop.results.projections import is_partial
from tests.conftest import BASELINE
from tests.test_cli import run

OPENING = dt.date(2027, 1, 4)  # the baseline's opening date


def ending(data: dict[str, Any], opening: dt.date | None = None, **simulation: Any) -> SimiopConfig:
    """The baseline with its horizon_days replaced by ``simulation`` (until=..., fiscal_years=...)."""
    changed = copy.deepcopy(data)
    del changed["simulation"]["horizon_days"]
    changed["simulation"].update(simulation)
    if opening is not None:
        changed["clinic"]["opening_date"] = opening
    return validate_config(changed, "test")


def last_day(config: SimiopConfig) -> dt.date:
    return config.clinic.opening_date + dt.timedelta(days=config.simulation.horizon_days - 1)


# -- 1. the run's end as a date, as fiscal years, as calendar years ---------------------------------


def test_three_years_are_calendar_years_from_opening() -> None:
    # 2027-01-04 to 2030-01-04 holds 29 February 2028: 365 + 366 + 365 days.
    assert calendar_duration_days("3y", OPENING) == 1096 == (dt.date(2030, 1, 4) - OPENING).days
    assert calendar_duration_days("3y", dt.date(2025, 1, 4)) == 1095  # no leap day inside
    assert calendar_duration_days("1y", dt.date(2028, 2, 29)) == 366  # to 1 March 2029
    assert calendar_duration_days("1.5y", OPENING) == 365 + 182.5
    assert calendar_duration_days("26w", OPENING) == duration_days("26w") == 182


def test_horizon_3y_on_the_command_line_is_1096_days_and_the_help_says_so() -> None:
    config = load_config(BASELINE, command_line_overrides([], "3y"))
    assert config.simulation.horizon_days == 1096
    assert "calendar years" in HORIZON_HELP
    assert "1,096 days" in HORIZON_HELP
    code, out, _ = run("run", "--help")
    assert code == 0
    assert "calendar years" in out
    assert "--until DATE" in out


def test_until_is_the_last_day_inclusive(baseline_data: dict[str, Any]) -> None:
    config = ending(baseline_data, until="2030-06-30")
    assert last_day(config) == dt.date(2030, 6, 30)
    assert config.simulation.horizon_days == (dt.date(2030, 6, 30) - OPENING).days + 1 == 1274
    # A leap day inside the run is one of its days; the opening day alone is a one-day run.
    leap = ending(baseline_data, opening=dt.date(2028, 2, 1), until="2028-02-29")
    assert leap.simulation.horizon_days == 29
    assert ending(baseline_data, until=OPENING).simulation.horizon_days == 1


@pytest.mark.parametrize(
    ("opening", "month", "years", "last"),
    [
        (dt.date(2027, 7, 1), 7, 3, dt.date(2030, 6, 30)),  # on a fiscal year's first day: 1,096 days
        (OPENING, 7, 3, dt.date(2030, 6, 30)),  # mid-year: the partial FY2027 does not count
        (dt.date(2027, 7, 2), 7, 1, dt.date(2029, 6, 30)),  # one day late: FY2028 is partial
        (dt.date(2027, 1, 1), 1, 2, dt.date(2028, 12, 31)),  # calendar fiscal years, 2028 a leap year
    ],
)
def test_fiscal_years_run_whole_fiscal_years_after_opening(
    baseline_data: dict[str, Any], opening: dt.date, month: int, years: int, last: dt.date
) -> None:
    data = copy.deepcopy(baseline_data)
    data["money"]["fiscal_year_start_month"] = month
    config = ending(data, opening=opening, fiscal_years=years)
    assert last_day(config) == last == fiscal_years_end(opening, years, month) - dt.timedelta(days=1)
    fiscal = [p for p in periods(config) if p.kind == FISCAL_YEAR]
    assert fiscal[-1].end_date == last  # the run ends with a whole fiscal year
    whole = [p for p in fiscal if not is_partial(str(p.start_date), str(p.end_date), p.end_day - p.first_day)]
    assert len(whole) == years
    assert len(fiscal) == years + (opening != fiscal[0].start_date)  # the partial first year, if any


def test_july_opening_with_three_fiscal_years_has_exactly_fy2028_to_fy2030(
    baseline_data: dict[str, Any],
) -> None:
    config = ending(baseline_data, opening=dt.date(2027, 7, 1), fiscal_years=3)
    assert config.simulation.horizon_days == 1096
    fiscal = [(p.label, p.end_day - p.first_day) for p in periods(config) if p.kind == FISCAL_YEAR]
    assert fiscal == [("FY2028", 366), ("FY2029", 365), ("FY2030", 365)]


def test_written_out_config_keeps_the_way_given_and_reads_back_the_same(
    baseline_data: dict[str, Any],
) -> None:
    config = ending(baseline_data, until="2030-06-30")
    written = config.model_dump(mode="json")["simulation"]
    assert written["until"] == "2030-06-30"
    assert "horizon_days" not in written
    assert "fiscal_years" not in written
    assert validate_config(config.model_dump(mode="json"), "again") == config
    # A changed opening date moves the number of days, not the last day.
    later = simiop.with_changes(config, {"clinic.opening_date": "2028-01-03"})
    assert last_day(later) == dt.date(2030, 6, 30)
    plain = validate_config(baseline_data, "plain").model_dump(mode="json")["simulation"]
    assert plain["horizon_days"] == 1095
    assert "until" not in plain
    assert "fiscal_years" not in plain


# -- 2. one way at a time, in one line ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"horizon_days": 1095, "until": "2030-06-30"}, ("simulation.until", "simulation.horizon_days")),
        ({"horizon_days": 1095, "fiscal_years": 3}, ("simulation.fiscal_years", "simulation.horizon_days")),
        ({"until": "2030-06-30", "fiscal_years": 3}, ("simulation.fiscal_years", "simulation.until")),
    ],
)
def test_two_ways_of_ending_the_run_are_refused_naming_both(
    baseline_data: dict[str, Any], given: dict[str, Any], named: tuple[str, str]
) -> None:
    data = copy.deepcopy(baseline_data)
    del data["simulation"]["horizon_days"]
    data["simulation"].update(given)
    with pytest.raises(ConfigError) as caught:
        validate_config(data, "clinic.yaml")
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"clinic.yaml: {named[0]}: given together with {named[1]}")


def test_until_before_opening_says_the_last_day_is_inclusive(baseline_data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        ending(baseline_data, until="2027-01-03")
    assert caught.value.lines() == [
        "test: simulation.until: the run's last day (inclusive) is before clinic.opening_date "
        "(got 2027-01-03; allowed on or after 2027-01-04)"
    ]


def test_until_past_the_longest_run_names_until_and_its_last_allowed_day(
    baseline_data: dict[str, Any],
) -> None:
    last = OPENING + dt.timedelta(days=36_499)  # a run of 36,500 days, the longest, ends on this day
    assert ending(copy.deepcopy(baseline_data), until=last.isoformat()).simulation.horizon_days == 36_500
    with pytest.raises(ConfigError) as caught:
        ending(baseline_data, until=(last + dt.timedelta(days=1)).isoformat())
    assert caught.value.lines() == [
        f"test: simulation.until: makes a run longer than the longest (36,500 days from clinic.opening_date) "
        f"(got {last + dt.timedelta(days=1)}; allowed on or before {last})"
    ]


@pytest.mark.parametrize("opening", [dt.date(2027, 7, 1), dt.date(2027, 7, 2)])
def test_fiscal_years_past_the_longest_run_name_fiscal_years_and_the_most_allowed(
    baseline_data: dict[str, Any], opening: dt.date
) -> None:
    most = max(n for n in range(1, 101) if (fiscal_years_end(opening, n, 7) - opening).days <= 36_500)
    assert ending(copy.deepcopy(baseline_data), opening, fiscal_years=most).simulation.horizon_days <= 36_500
    with pytest.raises(ConfigError) as caught:
        ending(baseline_data, opening, fiscal_years=most + 1)
    (line,) = caught.value.lines()
    assert line.startswith("test: simulation.fiscal_years: runs ")
    assert line.endswith(f"(got {most + 1}; allowed 1 to {most} from this opening date and fiscal year)")


def test_command_line_refuses_horizon_and_until_together(tmp_path: Path) -> None:
    code, _, err = run(
        "run", str(BASELINE), "--horizon", "3y", "--until", "2030-06-30", "--out", str(tmp_path / "o")
    )
    assert code == 2
    assert err.strip().splitlines() == [
        "command line: --horizon 3y and --until 2030-06-30: the run ends one way; give one"
    ]
    code, _, err = run(
        "run", str(BASELINE), "--until", "2030-06-30", "--set", "simulation.horizon_days=30",
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--until 2030-06-30" in err
    assert "--set simulation.horizon_days=30" in err
    assert not (tmp_path / "o").exists()


def test_until_on_the_command_line_replaces_the_files_horizon() -> None:
    config = load_config(BASELINE, command_line_overrides([], until="2027-03-31"))
    assert config.simulation.horizon_days == 87
    assert config.simulation.until == dt.date(2027, 3, 31)


def test_api_refuses_horizon_and_until_together() -> None:
    with pytest.raises(ConfigError) as caught:
        simiop.run(BASELINE, horizon="3y", until="2030-06-30")
    assert caught.value.lines() == [
        "arguments: horizon='3y': given with until='2030-06-30': the run ends one way; give one"
    ]


def test_experiment_until_and_calendar_horizon_reach_every_scenario() -> None:
    path = Path("experiments/group_size.yaml")
    plan = experiment_plan(path, until="2027-03-31")
    assert {s.config.simulation.horizon_days for s in plan.scenarios} == {87}
    plan = experiment_plan(path, horizon_days="3y")
    assert {s.config.simulation.horizon_days for s in plan.scenarios} == {1096}


# -- 3. partial periods are marked -------------------------------------------------------------------


def test_projections_mark_partial_periods(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, err = run(
        "run", str(BASELINE), "--until", "2027-03-31", "-r", "2", "-j", "1", "--tables", "none",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    with (out / "projections.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    partial = {(row["period_kind"], row["period"]): row["partial"] for row in rows}
    assert partial == {
        ("month", "2027-01"): "1",  # opened on the 4th
        ("month", "2027-02"): "0",
        ("month", "2027-03"): "0",
        ("quarter", "FY2027 Q3"): "1",
        ("fiscal_year", "FY2027"): "1",
        ("programme_year", "Year 1"): "1",
        ("grant_period", "FY2027"): "1",  # the budget's total over the fiscal years: partial as they are
    }
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "FY2027 (partial, 87 days)" in report
    assert "FY2027 Q3 (partial)" in report
    assert "a person served across two fiscal years counts in both" in report


@pytest.mark.parametrize(
    ("start", "end", "days", "partial"),
    [("2027-01-01", "2027-01-31", 31, False), ("2027-01-01", "2027-01-31", 28, True),
     ("2027-07-01", "2028-06-30", 366, False), ("2027-07-01", "2028-06-30", 365, True)],
)  # fmt: skip
def test_is_partial_compares_the_days_run_with_the_periods_length(
    start: str, end: str, days: int, partial: bool
) -> None:
    assert is_partial(start, end, days) is partial


# -- 4. dates outside the run are warned about -------------------------------------------------------


def test_validate_warns_of_listed_holidays_and_hires_outside_the_run(baseline_data: dict[str, Any]) -> None:
    data = copy.deepcopy(baseline_data)
    data["clinic"]["holidays"] = [
        "2026-12-25",
        "2027-05-31",
        "2028-01-01",
        "2029-01-01",
        "2030-01-01",
        "2031-01-01",
    ]
    role = next(iter(data["staff"]["roles"]))
    data["staff"]["roles"][role]["hires"] = [{"date": "2028-01-03", "count": 1}]
    config = ending(data, until="2027-12-31")
    warnings = config.warnings()
    assert (
        "warning: clinic.holidays: 1 date(s) before opening_date 2027-01-04 close nothing in this run "
        "(got 2026-12-25; allowed dates from 2027-01-04 to 2027-12-31, or a longer run)"
    ) in warnings
    assert (
        "warning: clinic.holidays: 4 date(s) after the run's last day 2027-12-31 close nothing in this run "
        "(got 2028-01-01, 2029-01-01, 2030-01-01 and 1 more; allowed dates from 2027-01-04 to 2027-12-31, "
        "or a longer run)"
    ) in warnings
    assert any(
        f"staff.roles.{role}.hires[0].date: the hire starts after the run's last day" in w for w in warnings
    )
    code, _, err = run(
        "validate",
        str(BASELINE),
        "--set",
        "clinic.holidays=[2026-12-25]",
        "--set",
        "simulation.horizon_days=30",
    )
    assert code == 0
    assert "clinic.holidays: 1 date(s) before opening_date" in err


def test_holidays_inside_the_run_are_not_warned_about(baseline_data: dict[str, Any]) -> None:
    data = copy.deepcopy(baseline_data)
    data["clinic"]["holidays"] = ["2027-01-04", "2027-05-31", "2027-12-31"]
    assert not any("close nothing" in w for w in ending(data, until="2027-12-31").warnings())


# -- 5. names: group-days (KPIs) and clock sessions (periods, projections) ---------------------------


def test_group_sessions_held_are_clock_sessions_and_group_days_run_are_group_days(
    baseline_data: dict[str, Any],
) -> None:
    config = ending(baseline_data, until="2027-03-31")
    records = simulate(config, replication=0)
    kpis = compute_kpis(config, records)
    run_period = next(
        values for period, values in period_metrics(config, records) if period.kind == FISCAL_YEAR
    )
    per_day = {name: track.group_sessions_per_day for name, track in config.tracks.items()}
    group_days = sum(row.groups_run for row in records.track_days)
    sessions = sum(row.groups_run * per_day[row.track] for row in records.track_days)
    assert kpis["group_days_run"] == group_days > 0
    assert run_period["group_sessions_held"] == sessions
    assert sessions > group_days  # the baseline holds three sessions a group-day
    assert "clock sessions" in METRICS["group_sessions_held"]
    assert "group-days" in METRICS["group_sessions_held"]
    outputs = Path("docs/outputs.md").read_text(encoding="utf-8")
    assert "Group sessions or group-days" in outputs
