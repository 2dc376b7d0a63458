"""Time in the model: whole-day horizons, days that close after every track, the same history
whatever the horizon, and day numbers that agree with their dates (issue 15)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simiop.billing import bill
from simiop.config import SimiopConfig, load_config, validate_config
from simiop.config.durations import duration_days, whole_days
from simiop.model import simulate
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import CENSORED, IN_PROGRAMME, Records
from simiop.results.kpis import compute_kpis
from simiop.results.periods import period_metrics
from simiop.results.tables import day_number, render_tables
from tests.conftest import BASELINE, accrued_years
from tests.invariants import check_invariants
from tests.test_cli import run
from tests.test_model import clinic_variants

# -- 1. a horizon that is not a whole number of days ---------------------------------------------


@pytest.mark.parametrize("text", ["7m", "18m", "0.5", "26w", "3y", "365.0000000001"])
def test_a_horizon_runs_whole_days_rounded_up(text: str) -> None:
    days = duration_days(text)
    config = load_config(BASELINE, [f"simulation.horizon_days={days}"])
    assert config.simulation.horizon_days == whole_days(days) == max(1, math.ceil(days - 1e-9))
    assert config.simulation.horizon_days >= days - 1e-9
    records = simulate(config)
    check_invariants(config, records)
    last = config.simulation.horizon_days - 1
    # The last day is a whole day like the others: its census is the patients still enrolled, its
    # staff rows count the people employed, and costs cover it.
    daily = [row for row in records.track_days if row.day == last]
    for row in daily:
        assert row.census == sum(
            e.end_state == IN_PROGRAMME and e.track == row.track for e in records.episodes
        )
    staff = [row for row in records.staff_days if row.day == last]
    assert staff
    assert all(row.employed > 0 for row in staff if config.staff.roles[row.role].count)
    kpis = compute_kpis(config, records)
    assert kpis["fixed_cost_usd"] == pytest.approx(
        config.money.fixed_costs_usd_per_year
        * accrued_years(config, range(math.ceil(config.simulation.horizon_days)))
    )


def test_seven_months_last_day_has_its_census_and_staff() -> None:
    """The issue's case: --horizon 7m left a last row with census 0 beside 20 attendances."""
    config = load_config(BASELINE, [f"simulation.horizon_days={duration_days('7m')}"])
    records = simulate(config)
    assert config.simulation.horizon_days == 213
    last = max(row.day for row in records.track_days)
    assert last == 212
    previous = {row.track: row.census for row in records.track_days if row.day == last - 1}
    for row in (row for row in records.track_days if row.day == last):
        assert row.census == previous[row.track] + row.admissions - row.discharges
        if row.attended:
            assert row.census > 0
    for staff in (staff for staff in records.staff_days if staff.day == last):
        assert staff.employed > 0 or staff.hours == 0


def test_periods_cover_the_same_whole_days_as_staff_cost() -> None:
    config = load_config(BASELINE, ["simulation.horizon_days=40.25"])
    records = simulate(config)
    for period, values in period_metrics(config, records):
        days = period.end_day - period.first_day
        assert days == len(
            {row.day for row in records.staff_days if period.first_day <= row.day < period.end_day}
        )
        assert values["fixed_cost_usd"] == pytest.approx(
            config.money.fixed_costs_usd_per_year
            * accrued_years(config, range(period.first_day, period.end_day))
        )


def test_fractional_warmup_costs_the_same_days_as_staff() -> None:
    config = load_config(BASELINE, ["simulation.horizon_days=100", "simulation.warmup_days=10.5"])
    records = simulate(config)
    kpis = compute_kpis(config, records)
    assert kpis["fixed_cost_usd"] == pytest.approx(
        config.money.fixed_costs_usd_per_year
        * accrued_years(config, range(11, 100))  # days 11..99: on or after the warm-up
    )
    # Flows from the same midnight as costs (were counted from 10.5 while costs began at day 11).
    assert config.simulation.warmup_days == 11
    assert kpis["referrals"] == sum(1 for e in records.episodes if e.referred_day >= 11)


@pytest.mark.parametrize("warmup", [0.25, 10.5, 29.999, 30.0000000001, 98.01])
def test_a_warmup_is_whole_days_rounded_up_like_the_horizon(warmup: float) -> None:
    config = load_config(BASELINE, ["simulation.horizon_days=100", f"simulation.warmup_days={warmup}"])
    assert config.simulation.warmup_days == math.ceil(warmup - 1e-9)
    whole = load_config(
        BASELINE, ["simulation.horizon_days=100", f"simulation.warmup_days={math.ceil(warmup - 1e-9)}"]
    )
    assert config == whole


@pytest.mark.parametrize(
    ("horizon", "warmup"), [("365", "364.5"), ("365", "365"), ("7m", "212.5"), ("0.5", "0.5")]
)
def test_a_warmup_leaving_no_whole_day_of_results_is_one_line(
    tmp_path: Path, horizon: str, warmup: str
) -> None:
    """364.5 of 365 days ran and printed every KPI as 0 or n/a."""
    days = whole_days(duration_days(horizon))
    code, out, err = run(
        "run", str(BASELINE), "--horizon", horizon, "--set", f"simulation.warmup_days={warmup}",
        "-r", "1", "-j", "1", "--no-report", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        f"command line: --set simulation.warmup_days={warmup}: simulation.warmup_days: warm-up must end before "
        "the horizon, leaving a whole day of results; a part day of warm-up counts as a whole day "
        f"(got {warmup}; allowed <= {days - 1} for horizon_days {days})\n"
    )
    assert not (tmp_path / "out").exists()


def test_cli_horizon_7m_writes_whole_days_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(
        "run", str(BASELINE), "--horizon", "7m", "-r", "1", "--jobs", "1", "--no-report", "--out", str(out)
    )
    assert code == 0, stderr
    assert "213 days" in stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (scenario,) = manifest["plan"]["scenarios"]
    assert scenario["config"]["simulation"]["horizon_days"] == 213
    assert scenario["changes"] == {"simulation.horizon_days": 213}  # the days run, not the 212.9 typed
    cell = out / "scenarios" / "base" / "r0000"
    daily = list(csv.DictReader(io.StringIO((cell / "daily.csv").read_text(encoding="utf-8"))))
    staff = list(csv.DictReader(io.StringIO((cell / "staff.csv").read_text(encoding="utf-8"))))
    assert {int(row["day"]) for row in daily} == {int(row["day"]) for row in staff} == set(range(213))


# -- 2. every daily row reconciles, whatever the track's hours ------------------------------------


def _late_track(start: str, hours: float, *more: str) -> SimiopConfig:
    return load_config(
        BASELINE,
        [
            "simulation.horizon_days=365",
            f"tracks.evening.start_time={start}",
            f"tracks.evening.hours_per_day={hours}",
            *more,
        ],
    )


def test_a_track_ending_at_midnight_reconciles_every_day() -> None:
    """Issue: a 21:00-24:00 track broke census(yesterday) + admissions - discharges on 72 of 365 days."""
    config = _late_track("21:00", 3)
    records = simulate(config)
    check_invariants(config, records)
    evening = [e for e in records.episodes if e.track == "evening" and e.end_state == "completed"]
    assert any(e.ended_day == int(e.ended_day or 0.5) for e in evening)  # some leave at 24:00


@pytest.mark.parametrize("policy", ["rolling", "continuous"])
def test_a_track_starting_at_23_59_runs(policy: str) -> None:
    """Issue: a start at 23:59 (validate accepts it) crashed with 'Negative delay'."""
    config = _late_track(
        "23:59",
        1 / 60,
        "tracks.evening.group_sessions_per_day=1",
        "tracks.evening.session_minutes=1",
        f"tracks.evening.admission.policy={policy}",
    )
    records = simulate(config)
    check_invariants(config, records)
    assert any(e.track == "evening" and e.admitted_day is not None for e in records.episodes)


# -- 3. the same seed gives the same history whatever the horizon ---------------------------------


def test_referrals_of_the_first_year_do_not_depend_on_the_horizon() -> None:
    """Issue: with ramp-up and seasonality year 1 had 547 referrals in a 1-year run, 553 in a 3-year one."""
    one = simulate(load_config(BASELINE, ["simulation.horizon_days=365"]))
    three = simulate(load_config(BASELINE, ["simulation.horizon_days=1095"]))
    assert_same_history(one, three)


def assert_same_history(short: Records, long: Records) -> None:
    """``long`` agrees with ``short`` on everything before short's horizon, up to what short censors."""
    horizon = short.horizon_days
    assert short.horizon_days < long.horizon_days
    assert len(short.episodes) == sum(e.referred_day < horizon for e in long.episodes)
    for mine, theirs in zip(short.episodes, long.episodes, strict=False):
        assert (mine.episode_id, mine.patient_id, mine.referred_day) == (
            theirs.episode_id,
            theirs.patient_id,
            theirs.referred_day,
        )
        assert (mine.source, mine.payer, mine.acuity, mine.track_preference, mine.readmission_of) == (
            theirs.source,
            theirs.payer,
            theirs.acuity,
            theirs.track_preference,
            theirs.readmission_of,
        )
        for name in ("assessed_day", "wait_list_day", "admitted_day", "ended_day"):
            later = getattr(theirs, name)
            expected = later if later is not None and later < horizon else None
            assert getattr(mine, name) == expected, (name, mine, theirs)
        if mine.end_state in CENSORED:
            assert theirs.end_state in CENSORED or (theirs.ended_day or 0.0) >= horizon, (mine, theirs)
        else:
            assert mine == theirs  # every field, the counters and billing included
    last = int(horizon) - 1
    # Rows before the last day are equal field for field; on the last day, what happens at its
    # midnight (a 24:00 track end, an admission then) falls after the shorter horizon.
    long_days = {(row.day, row.track): row for row in long.track_days}
    for row in short.track_days:
        theirs_row = long_days[(row.day, row.track)]
        if row.day < last:
            assert row == theirs_row
        else:
            assert (row.attended, row.absent, row.groups_run, row.facilitation_hours) == (
                theirs_row.attended,
                theirs_row.absent,
                theirs_row.groups_run,
                theirs_row.facilitation_hours,
            )
    long_staff = {(row.day, row.role): row for row in long.staff_days}
    for staff in short.staff_days:
        theirs_staff = long_staff[(staff.day, staff.role)]
        assert (staff.employed, staff.present, staff.employed_fte, staff.hours) == (
            theirs_staff.employed,
            theirs_staff.present,
            theirs_staff.employed_fte,
            theirs_staff.hours,
        )
        if staff.day < last:
            assert staff == theirs_staff
    long_patient_days = [
        (r.episode_id, r.day, r.services, r.hours) for r in long.patient_days if r.day < horizon
    ]
    assert [(r.episode_id, r.day, r.services, r.hours) for r in short.patient_days] == long_patient_days
    # Sessions on the clock (issue 18): every row before the last day, the intake rota's weekly
    # reservations included (a run ending mid-week reserves what a longer one does).
    assert [repr(r) for r in short.sessions if r.day < last] == [
        repr(r) for r in long.sessions if r.day < last
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_same_history_whatever_the_horizon(data: st.DataObject, baseline_data: dict[str, Any]) -> None:
    """Random clinics (ramp-up and seasonality included): a longer run extends a shorter one."""
    variant = data.draw(clinic_variants(baseline_data))
    for source in variant["referrals"]["sources"].values():
        if data.draw(st.booleans()):
            source["ramp_up"] = {
                "initial_fraction": data.draw(st.sampled_from([0.1, 0.5])),
                "weeks_to_full": 8,
            }
        if data.draw(st.booleans()):
            source["seasonality"] = {"amplitude": 0.3, "peak_day_of_year": data.draw(st.integers(1, 365))}
    short_days = data.draw(st.integers(1, 150))
    long_days = short_days + data.draw(st.integers(1, 150))
    configs = []
    for days in (short_days, long_days):
        copied = copy.deepcopy(variant)
        copied["simulation"]["horizon_days"] = days
        configs.append(validate_config(copied))
    assert_same_history(simulate(configs[0]), simulate(configs[1]))


# -- 4. day numbers agree with their dates ---------------------------------------------------------


@given(st.integers(0, 40_000), st.floats(0.0, 1.0, exclude_max=True))
def test_a_printed_day_is_the_day_of_the_time(day: int, fraction: float) -> None:
    time = day + fraction
    printed = day_number(time)
    whole, decimals = printed.split(".")
    assert int(whole) == math.floor(time)
    assert len(decimals) == 4
    assert 0.0 <= time - float(printed) < 1e-4 + 1e-9  # truncated, never rounded up


@pytest.mark.parametrize("day", [0, 1, 508, 1094, 36_499])
def test_a_time_just_before_midnight_prints_as_that_day(day: int) -> None:
    """Issue: 508.99997 printed as 509.0000 beside the date of day 508."""
    for time in (math.nextafter(day + 1.0, 0.0), day + 0.99995, day + 0.999999):
        assert day_number(time) == f"{day}.9999"
    assert day_number(float(day)) == f"{day}.0000"
    assert day_number(None) == ""


def test_episode_days_agree_with_their_dates_and_stay_before_the_horizon() -> None:
    config = load_config(BASELINE, ["simulation.horizon_days=120"])
    records = simulate(config)
    calendar = ClinicCalendar.for_config(config)
    # The cases: a referral a hair before midnight, and one a hair before the horizon.
    records.episodes[0].referred_day = math.nextafter(60.0, 0.0)
    records.episodes[-1].referred_day = math.nextafter(120.0, 0.0)
    kpis = compute_kpis(config, records)
    text = render_tables(bill(config, records), calendar, kpis, ("episodes",))["episodes.csv"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["referred_day"] == "59.9999"
    assert rows[0]["referred_date"] == calendar.date_of(59).isoformat()
    assert rows[-1]["referred_day"] == "119.9999"
    opening = config.clinic.opening_date
    checked = 0
    for row in rows:
        for name in ("referred", "admitted"):
            if row[f"{name}_day"]:
                day = math.floor(float(row[f"{name}_day"]))
                assert dt.date.fromisoformat(row[f"{name}_date"]) == opening + dt.timedelta(days=day)
                checked += 1
        for name in ("referred_day", "assessed_day", "wait_list_day", "admitted_day", "ended_day"):
            if row[name]:
                assert math.floor(float(row[name])) < config.simulation.horizon_days
    assert checked > len(rows)


def test_a_clock_time_one_ulp_behind_the_clock_waits_zero() -> None:
    """simpy's now + delay can pass a clock time by one ulp; the next wait for it must not be negative."""
    from simiop.model.programme import _until

    for time in (1.0, 365.375, 1094.0 + 21 / 24):
        assert _until(time, math.nextafter(time, math.inf)) == 0.0
        assert _until(time, time - 0.25) == pytest.approx(0.25)
