"""The clinic calendar: weeks (week_of and week_start agree for any opening weekday), open days, clock times,
and the closed days of a list or a rule (simiop.config.closures)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from simiop.config.calendar import ClinicConfig
from simiop.config.closures import closures
from simiop.model import simulate
from simiop.model.calendar import ClinicCalendar, at
from tests.invariants import check_invariants
from tests.tiny_world import tiny_config

if TYPE_CHECKING:
    from simiop.experiments.runner import Outcome


@pytest.mark.parametrize("opening", [dt.date(2027, 1, 4), dt.date(2027, 1, 7), dt.date(2027, 1, 10)])
def test_each_week_starts_on_its_monday(opening: dt.date) -> None:
    calendar = ClinicCalendar(opening, [], 60)
    for week in range(1, 8):
        start = calendar.week_start(week)
        assert calendar.weekday_of(start) == "mon"
        assert (calendar.week_of(start - 1), calendar.week_of(start)) == (week - 1, week)
    assert calendar.week_start(0) == -opening.weekday()  # week 0 may begin before opening


def test_a_thursday_opening_has_its_second_week_from_day_4() -> None:
    calendar = ClinicCalendar(dt.date(2027, 1, 7), [], 28)  # a Thursday
    assert calendar.week_start(1) == 4


def test_open_days_are_the_marked_weekdays_less_holidays() -> None:
    calendar = ClinicCalendar(dt.date(2027, 1, 4), [dt.date(2027, 1, 6), dt.date(2027, 3, 1)], 28)
    mon_wed = [True, False, True, False, False, False, False]
    assert calendar.open_days(0, 15, mon_wed).tolist() == [0, 7, 9, 14]  # day 2 (a Wednesday) is a holiday
    assert calendar.open_days(50, 60, mon_wed).tolist() == [51, 58]  # day 56 (2027-03-01) past the run
    assert calendar.open_days(3, 3, mon_wed).tolist() == []


def test_a_clock_time_on_a_day_is_that_part_of_the_day() -> None:
    assert at(3, "09:00") == 3 + 9 / 24
    assert at(0, "18:30") == 18.5 / 24
    assert at(7, "09:00") - at(6, "09:00") == 1.0


# -- closures: a list of dates or a rule (simiop.config.closures) -------------------------------------

OPENING = dt.date(2027, 1, 4)  # a Monday

FEDERAL_2027_WEEKDAYS = [
    dt.date(2027, 1, 1),  # New Year's Day (Fri)
    dt.date(2027, 1, 18),  # Birthday of Martin Luther King, Jr.
    dt.date(2027, 2, 15),  # Washington's Birthday
    dt.date(2027, 5, 31),  # Memorial Day
    dt.date(2027, 6, 18),  # Juneteenth, Sat 19 June observed on Friday
    dt.date(2027, 7, 5),  # Independence Day, Sun 4 July observed on Monday
    dt.date(2027, 9, 6),  # Labor Day
    dt.date(2027, 10, 11),  # Columbus Day
    dt.date(2027, 11, 11),  # Veterans Day (Thu)
    dt.date(2027, 11, 25),  # Thanksgiving Day
    dt.date(2027, 12, 24),  # Christmas Day, Sat 25 December observed on Friday
    dt.date(2027, 12, 31),  # New Year's Day 2028, a Saturday, observed on Friday
]
"""The 11 federal holidays of 2027 as OPM lists them (5 U.S.C. 6103), on the weekdays they are observed,
and New Year's Day 2028 observed in 2027."""


def clinic(holidays: object, opening: dt.date = OPENING) -> ClinicConfig:
    return ClinicConfig.model_validate({"name": "c", "opening_date": opening, "holidays": holidays})


def weekdays_of(dates: frozenset[dt.date], year: int) -> list[dt.date]:
    return sorted(date for date in dates if date.year == year and date.weekday() < 5)


def test_the_us_rule_closes_the_11_federal_holidays_of_2027_and_new_year_2028_observed() -> None:
    closed = closures(clinic({"calendar": "US"}), 365)
    assert weekdays_of(closed, 2027) == FEDERAL_2027_WEEKDAYS
    # The weekend dates themselves stay closed too (they matter only to a weekend track) ...
    assert {dt.date(2027, 6, 19), dt.date(2027, 7, 4), dt.date(2027, 12, 25), dt.date(2028, 1, 1)} < closed
    # ... and without observed, only they are.
    unobserved = closures(clinic({"calendar": "US", "observed": False}), 365)
    assert {
        dt.date(2027, 6, 18),
        dt.date(2027, 7, 5),
        dt.date(2027, 12, 24),
        dt.date(2027, 12, 31),
    }.isdisjoint(unobserved)
    assert dt.date(2027, 6, 19) in unobserved


def test_a_rule_covers_every_year_of_the_run_and_one_more() -> None:
    """The years from opening to one past the run's last day: a run ending on 30 December 2027 has 2028's
    holidays too (New Year's Day 2028 is observed on Friday 31 December 2027), one ending on 3 January 2028
    has 2029's."""
    in_2027 = closures(clinic({"calendar": "US"}), 361)
    assert {date.year for date in in_2027} == {2027, 2028}
    assert len(weekdays_of(in_2027, 2028)) == 10  # New Year's Day 2028, a Saturday, is observed in 2027
    into_2028 = closures(clinic({"calendar": "US"}), 365)
    assert {date.year for date in into_2028} == {2027, 2028, 2029}
    twenty_years = closures(clinic({"calendar": "US"}), 20 * 365)  # to 2046-12-30
    assert {date.year for date in twenty_years} == set(range(2027, 2048))
    # 11 holidays a year (5 U.S.C. 6103), each year to the last covered one, not only the listed years.
    actual_dates = closures(clinic({"calendar": "US", "observed": False}), 20 * 365)
    assert [sum(date.year == year for date in actual_dates) for year in range(2027, 2048)] == [11] * 21
    # Observed on weekdays; New Year's Day on a Saturday is observed the year before.
    assert all(len(weekdays_of(twenty_years, year)) >= 10 for year in range(2027, 2048))


def test_extra_dates_close_and_removed_dates_open() -> None:
    rule = {"calendar": "US", "extra": ["2027-11-26", "2027-03-03"], "removed": ["2027-10-11", "2027-06-19"]}
    closed = closures(clinic(rule), 365)
    plain = closures(clinic({"calendar": "US"}), 365)
    assert closed == (plain | {dt.date(2027, 11, 26), dt.date(2027, 3, 3)}) - {
        dt.date(2027, 10, 11),
        dt.date(2027, 6, 19),
    }
    assert dt.date(2027, 6, 18) in closed  # removing the Saturday keeps the observed Friday


def test_a_subdivision_adds_its_own_holidays() -> None:
    country = closures(clinic({"calendar": "US"}), 365)
    new_york = closures(clinic({"calendar": "US", "subdivision": "NY"}), 365)
    assert country < new_york
    assert dt.date(2027, 2, 12) in new_york - country  # Lincoln's Birthday, a New York state holiday


def test_an_explicit_list_is_used_as_written() -> None:
    dates = ["2027-05-31", "2027-07-05", "2031-12-25"]
    config = clinic(dates)
    assert config.holidays == tuple(dt.date.fromisoformat(d) for d in dates)
    assert closures(config, 365) == {dt.date.fromisoformat(d) for d in dates}
    assert closures(clinic([]), 365) == frozenset()


def test_the_model_calendar_and_the_staffing_checks_close_the_rule_s_days() -> None:
    """One source of truth: a run opening on Martin Luther King Day 2027 has no programme day on its one day,
    for the model's calendar and for validate (which warns), with the rule; with no holidays it has one."""
    ruled = tiny_config(clinic__holidays={"calendar": "US"}, clinic__opening_date="2027-01-18")
    calendar = ClinicCalendar.for_config(ruled)
    assert calendar.is_holiday(0)
    assert calendar.date_of(28) == dt.date(2027, 2, 15)  # Washington's Birthday
    assert calendar.is_holiday(28)
    assert not calendar.is_holiday(1)
    one_day = tiny_config(
        clinic__holidays={"calendar": "US"}, clinic__opening_date="2027-01-18", simulation__horizon_days=1
    )
    assert "warning: tracks.day: the track has no programme day before the horizon (got horizon_days 1)" in (
        one_day.warnings()
    )
    open_day = tiny_config(clinic__holidays=[], clinic__opening_date="2027-01-18", simulation__horizon_days=1)
    assert not any(line.startswith("warning: tracks.day:") for line in open_day.warnings())


def test_a_run_past_2031_closes_the_holidays_of_its_last_year() -> None:
    """Opening 2031-06-02 for 600 days ends 2033-01-21: Martin Luther King Day 2033 (Mon 17 January) is closed,
    where a list like the shipped ones (stopping in 2030) would have left it open."""
    config = tiny_config(
        clinic__holidays={"calendar": "US"}, clinic__opening_date="2031-06-02", simulation__horizon_days=600
    )
    calendar = ClinicCalendar.for_config(config)
    records = simulate(config)
    check_invariants(config, records)
    king_day = (dt.date(2033, 1, 17) - config.clinic.opening_date).days
    assert calendar.date_of(calendar.days - 1).year == 2033
    scheduled = {(row.day, row.track): row.groups_scheduled for row in records.track_days}
    assert scheduled[king_day, "day"] == 0
    assert scheduled[king_day + 1, "day"] > 0  # the Tuesday after runs
    assert not any(e.admitted_day is not None and int(e.admitted_day) == king_day for e in records.episodes)


def test_same_rule_and_seed_give_identical_records() -> None:
    config = tiny_config(clinic__holidays={"calendar": "US"}, simulation__horizon_days=120)
    first, second = simulate(config, seed=3), simulate(config, seed=3)
    assert first == second
    listed = tiny_config(simulation__horizon_days=120)  # the baseline's list lacks 18 Jan and 15 Feb 2027
    assert simulate(listed, seed=3).track_days != first.track_days


def test_the_manifest_records_the_holidays_release_and_reproduce_names_a_change() -> None:
    from importlib.metadata import version

    from simiop.experiments.manifest import versions
    from simiop.experiments.reproduce import Reproduction

    now = versions()
    assert now["holidays"] == version("holidays")
    outcome = SimpleNamespace(manifest={"versions": now})
    before = {"versions": {**now, "holidays": "0.40"}}
    reproduction = Reproduction(checks=[], outcome=cast("Outcome", outcome), original=before)
    assert reproduction.version_changes() == {"holidays": ("0.40", now["holidays"])}


_ONE_COUNTRY = """
import sys
from simiop.config.closures import _country_holidays
import holidays
cases = [("US", None, True), ("US", None, False), ("US", "NY", True), ("USA", "CA", True), ("DE", "BY", True),
         ("GB", None, True), ("JP", None, False)]
ours = [sorted(_country_holidays(code, sub, range(2027, 2030), observed).items()) for code, sub, observed in cases]
print("holidays.countries" in sys.modules)
more = [("AS", None, True), ("MQ", None, True)]  # their modules import a sibling's: the package's own import
ours += [sorted(_country_holidays(code, sub, range(2027, 2030), observed).items()) for code, sub, observed in more]
theirs = [sorted(holidays.country_holidays(code, subdiv=sub, years=range(2027, 2030), observed=observed).items())
          for code, sub, observed in cases + more]
print(ours == theirs, sum(map(len, ours)))
"""


def test_a_rule_loads_one_country_module_and_gives_the_package_s_own_dates() -> None:
    """In a new process (nothing of the package loaded yet), a country's calendar is worked out without
    importing every country module, and gives the dates and names ``holidays.country_holidays`` gives."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _ONE_COUNTRY], capture_output=True, text=True, check=True)
    loaded_all, same, count = done.stdout.split()
    assert loaded_all == "False"
    assert same == "True"
    assert int(count) > 9 * 9


def test_an_unknown_country_or_subdivision_is_refused_as_the_package_refuses_it() -> None:
    from simiop.config.closures import _country_holidays

    with pytest.raises(NotImplementedError):
        _country_holidays("XX", None, range(2027, 2028), True)
    with pytest.raises(NotImplementedError):
        _country_holidays("US", "ZZ", range(2027, 2028), True)


def test_the_opening_weekday_gives_each_day_its_week() -> None:
    for opening in (dt.date(2027, 1, 4), dt.date(2027, 1, 7), dt.date(2027, 1, 10)):  # Mon, Thu, Sun
        calendar = ClinicCalendar(opening, [], 60)
        assert calendar.opening_weekday == opening.weekday()
        assert [calendar.week_of(day) for day in range(60)] == [
            (calendar.opening_weekday + day) // 7 for day in range(60)
        ]
        assert calendar.week_of(7 - calendar.opening_weekday) == 1  # the first Monday after opening
