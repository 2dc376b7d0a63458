"""The roster: staff rows, hours booked through one place, caseloads, who is present and has hours."""

from __future__ import annotations

import pytest

from tests.tiny_world import roster_of, tiny_config


def test_rows_hold_headcounts_from_the_start_and_hires_join_on_their_date() -> None:
    config = tiny_config(
        staff__roles__therapist__hires=[{"date": "2027-01-11", "count": 2}],  # day 7
    )
    roster = roster_of(config)
    rows = roster.staff_days().rows()
    roles = sorted(config.staff.roles)
    assert [(r.day, r.role) for r in rows[: len(roles)]] == [(0, role) for role in roles]
    assert len(rows) == 28 * len(roles)
    assert (roster.row("therapist", 6).employed, roster.row("therapist", 7).employed) == (3, 5)
    assert roster.row("therapist", 7).present == 5
    assert roster.row("prescriber", 0).employed_fte == 0.5


def test_booking_charges_the_persons_week_and_the_roles_row_of_the_day() -> None:
    roster = roster_of(tiny_config())
    person = roster.by_role["therapist"][1]
    roster.book(person, 3, 0, 3.0, "group")
    roster.book(person, 3, 0, 50 / 60, "individual")
    roster.book(person, 4, 0, 1.0, "family")
    roster.book(roster.by_role["prescriber"][0], 4, 0, 1.0, "prescriber")
    assessor = roster.by_role["intake_clinician"][0]
    roster.book(assessor, 3, 0, 1.5, "intake")
    assert person.weekly_hours == 26.0  # the direct budget: 40 h x (1 - non_direct_share 0.35)
    assert person.hours_left(0) == pytest.approx(26 - 3 - 50 / 60 - 1)
    row = roster.row("therapist", 3)
    assert (row.group_hours, row.individual_hours, row.family_hours) == (3.0, 50 / 60, 0.0)
    assert roster.row("therapist", 4).family_hours == 1.0
    assert roster.row("prescriber", 4).prescriber_hours == 1.0
    assert roster.row("intake_clinician", 3).intake_hours == 1.5
    # 40 h x (1 - 0.25) - 1.5: assessments are direct time of the assessor's week
    assert assessor.hours_left(0) == 28.5


def test_booking_on_the_clock_takes_the_persons_time_and_direct_minutes_of_the_day() -> None:
    config = tiny_config(
        staff__roles__therapist__non_direct_share=0.25, staff__roles__therapist__days_per_week=5
    )
    roster = roster_of(config)
    person = roster.by_role["therapist"][0]
    assert person.weekly_hours == 30.0  # 40 h x (1 - 0.25): the direct budget
    assert person.daily_limit == 360.0  # 8 paid hours x 0.75, in minutes
    roster.book_at(person, 2, 0, 540.0, 590.0, "individual")
    assert person.today(2).intervals() == [(540.0, 590.0)]
    assert person.today(2).direct == 50.0
    assert person.hours_left(0) == pytest.approx(30 - 50 / 60)
    assert roster.row("therapist", 2).individual_hours == pytest.approx(50 / 60)
    assert not person.today(2).free(580.0, 600.0)
    assert person.can_give(2, 0, 310.0)
    assert not person.can_give(2, 0, 310.0 + 1e-6)  # 360 minutes a day at most
    assert person.today(3).direct == 0.0  # a new day starts empty
    roster.book(person, 3, 0, 30 - 50 / 60 - 1.0, "group")
    assert person.can_give(3, 0, 60.0)
    assert not person.can_give(3, 0, 61.0)  # the week's budget binds first


def test_caseload_at_each_close_and_admission_picks_the_lightest() -> None:
    roster = roster_of(tiny_config(staff__roles__therapist__caseload_cap=1))
    first = roster.primary_therapist("therapist", 0, "day")
    assert first is not None
    assert first.person_id == "therapist_1"
    roster.assign(first, 0)
    second = roster.primary_therapist("therapist", 0, "day")
    assert second is not None
    assert second.person_id == "therapist_2"
    roster.assign(second, 0)
    roster.release(first, 1)
    roster.assign(roster.by_role["therapist"][0], 3)
    roster.assign(roster.by_role["therapist"][2], 3)
    roster.close_days()
    caseloads = [roster.row("therapist", day).caseload for day in range(5)]
    assert caseloads == [2, 1, 1, 3, 3]  # at each midnight, from the changes counted on each day
    assert roster.primary_therapist("therapist", 2, "day") is None  # everyone at the cap


def test_with_hours_takes_the_most_hours_left_and_refuses_when_nobody_can_spare_them() -> None:
    roster = roster_of(tiny_config())
    people = roster.present("therapist", 0)
    roster.book(people[0], 0, 0, 25.0, "group")
    chosen = roster.with_hours(people, 0, 1.0)
    assert chosen is not None
    assert chosen.person_id == "therapist_3"
    for person in people[1:]:
        roster.book(person, 0, 0, 25.5, "group")
    chosen = roster.with_hours(people, 0, 1.0)
    assert chosen is not None
    assert chosen.person_id == "therapist_1"
    roster.book(people[0], 0, 0, 0.5, "group")
    assert roster.with_hours(people, 0, 1.0) is None


@pytest.mark.parametrize("count", [3, 70])  # 70: more people than a day's bit pattern holds
def test_who_is_present_and_employed_each_day_follows_hires_absences_and_shifts(count: int) -> None:
    config = tiny_config(
        staff__roles__therapist__count=count,
        staff__roles__therapist__absence_days_per_year=80,
        staff__roles__therapist__hires=[{"date": "2027-01-11", "count": 2}],  # day 7
    )
    roster = roster_of(config)
    people = roster.by_role["therapist"]
    absences = 0
    for day in range(28):
        here = [p for p in people if p.present(day)]
        absences += sum(1 for p in people if p.employed(day) and not p.present(day))
        assert roster.present("therapist", day) == here
        assert roster.present("therapist", day, "day") == [p for p in here if p.works("day")]
        assert roster.present("therapist", day, "evening") == [p for p in here if p.works("evening")]
        assert roster.employed("therapist", day) == [p for p in people if p.employed(day)]
    assert absences > 0  # the days differ: absences were drawn
    assert len(roster.employed("therapist", 6)) == count
    assert len(roster.employed("therapist", 7)) == count + 2


def test_presence_is_the_table_present_answers_from_and_booked_hours_the_lists_book_adds_to() -> None:
    config = tiny_config(staff__roles__therapist__hires=[{"date": "2027-01-11", "count": 1}])  # day 7
    roster = roster_of(config)
    table = roster.presence("therapist", "day")
    assert len(table) == 29  # every day of the run and the one after
    assert [p.person_id for p in table[6]] == ["therapist_1", "therapist_2", "therapist_3"]
    assert [p.person_id for p in table[7]][-1] == "therapist_4"
    assert all(roster.present("therapist", day, "day") is table[day] for day in range(28))
    assert roster.presence("therapist", "evening") == [[]] * 29  # day-shift therapists only
    booked = roster.booked_hours()
    roster.book(roster.by_role["therapist"][0], 5, 0, 3.0, "group")
    assert booked["group"]["therapist"][5] == 3.0 == roster.row("therapist", 5).group_hours
    booked["family"]["therapist"][6] += 1.0  # what the after-pass writes, the staff row shows
    assert roster.row("therapist", 6).family_hours == 1.0
