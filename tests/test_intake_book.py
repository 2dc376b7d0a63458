"""The intake book: first-fit booking of assessment slots, with full slots skipped."""

from __future__ import annotations

import random

import pytest

from simiop.config.base import minutes_of
from simiop.model.calendar import at
from simiop.model.clock import EPS
from simiop.model.intake import IntakeBook
from tests.tiny_world import clinic_of, tiny_config


def _book_of(**changes: object) -> IntakeBook:
    return IntakeBook(clinic_of(tiny_config(**changes)))


def test_each_booking_is_the_first_slot_with_room_in_its_window() -> None:
    book = _book_of()
    assert book.book(0.0, 28.0) == 0  # builds the slots on first use
    times, capacity = list(book.times), list(book.capacity)
    booked = [0] * len(times)
    booked[0] = 1
    assert len(times) > 20
    assert max(capacity) >= 1
    rng = random.Random(5)
    for _ in range(400):
        earliest = rng.uniform(0.0, 27.0)
        latest = earliest + rng.choice([0.0, 0.5, 2.0, 10.0])
        expected = next(
            (i for i, time in enumerate(times) if earliest <= time <= latest and booked[i] < capacity[i]),
            None,
        )
        assert book.book(earliest, latest) == expected
        if expected is not None:
            booked[expected] += 1
    assert book.booked == booked
    assert all(b <= c for b, c in zip(book.booked, capacity, strict=True))
    assert booked == capacity  # every slot filled up: later bookings had full slots to skip


def test_the_rota_seats_a_person_only_within_their_daily_and_weekly_direct_budget() -> None:
    # One intake clinician at share 0.35 (the baseline has 0.25 since 0e438a7): 8 paid hours x 0.65 = 312
    # direct minutes a day hold three of the four 90-minute slots (the fourth has no seat); 26 h a week hold
    # all fifteen.
    book = _book_of(staff__roles__intake_clinician__non_direct_share=0.35)
    book.book(0.0, 0.0)
    opening_week = [seats for time, seats in zip(book.times, book.capacity, strict=True) if time < 7]
    assert opening_week == [1, 1, 1, 0] * 5
    assert {person.person_id for seats in book.seat_person for person in seats} == {"intake_clinician_1"}
    # The baseline's 0.25: 360 minutes a day seat all four slots, and 30 h a week all twenty.
    book = _book_of()
    book.book(0.0, 0.0)
    assert [seats for time, seats in zip(book.times, book.capacity, strict=True) if time < 7] == [1] * 20
    # Without a paid day (days_per_week) the day is the shift window (9 h, 540 minutes: all four
    # slots), and the week's 20 direct hours hold thirteen 90-minute assessments: Monday to Wednesday
    # and the first on Thursday.
    book = _book_of(
        staff__roles__intake_clinician__weekly_hours=20,
        staff__roles__intake_clinician__days_per_week=None,
        staff__roles__intake_clinician__non_direct_share=0.0,
    )
    book.book(0.0, 0.0)
    first_week = [seats for time, seats in zip(book.times, book.capacity, strict=True) if time < 7]
    assert first_week == [1] * 13 + [0] * 7
    second_week = [seats for time, seats in zip(book.times, book.capacity, strict=True) if 7 <= time < 14]
    assert second_week == first_week  # a new week, a new budget


def test_parallel_seats_go_to_different_people_in_roster_order() -> None:
    book = _book_of(
        staff__roles__intake_clinician__count=2,
        intake__schedule=[{"weekday": "mon", "start_time": "09:00", "parallel_slots": 3}],
    )
    book.book(0.0, 0.0)
    assert book.capacity[0] == 2  # three seats asked, two people
    assert [p.person_id for p in book.seat_person[0]] == ["intake_clinician_1", "intake_clinician_2"]


def _at(book: IntakeBook, now: float) -> None:
    """Move the book's clock to ``now`` (the book reads the time from the clinic's environment)."""
    env = book._clinic.env
    env.run(until=now)


def test_priority_seats_are_held_until_their_release_then_open_to_all() -> None:
    # Monday 09:00 (day 0.375) with two seats, one kept for priority until 6 hours before it.
    book = _book_of(
        staff__roles__intake_clinician__count=2,
        intake__schedule=[{"weekday": "mon", "start_time": "09:00", "parallel_slots": 2}],
        intake__priority_seats_per_slot=1,
        intake__priority_release_days=0.25,
        intake__by_source={"step_down": {"priority": True}},
    )
    monday, next_monday = 0.375, 7.375
    assert book.book(0.0, 28.0) == 0  # the first normal booking takes the seat not kept
    assert book.book(0.0, 28.0) == 1  # the next normal booking skips the kept seat: next Monday
    assert book.book(0.0, 28.0, priority=True) == 0  # a priority booking takes the kept seat
    assert book.booked[:2] == [2, 1]
    assert book.book(0.0, next_monday) is None  # next Monday's kept seat is held from a normal booking
    _at(book, next_monday - 0.26)
    assert book.book(0.0, next_monday) is None  # still held just before the release
    _at(book, next_monday - 0.25)  # released: now anyone may take it
    assert book.book(0.0, next_monday) == 1
    assert book.booked[:2] == [2, 2]
    assert book.times[:2] == [monday, next_monday]


def test_without_priority_seats_a_priority_booking_books_as_any_other() -> None:
    book = _book_of(intake__by_source={"step_down": {"priority": True}})
    assert book.book(0.0, 28.0, priority=True) == 0
    assert book.book(0.0, 28.0) == 1


def test_a_source_has_its_own_lead_time_show_curve_patience_and_rebookings() -> None:
    book = _book_of(
        intake__by_source={
            "step_down": {
                "lead_time_days": 0.0,
                "show_rate_by_days_waited": {"curve": "piecewise_linear", "points": [[0, 0.99], [7, 0.5]]},
                "max_rebookings": 3,
                "priority": True,
            },
            "community": {"patience_days": {"dist": "fixed", "value": 2}},
        }
    )
    config = book._clinic.config
    step_down = book.rules("step_down")
    assert step_down.lead_time_days == 0.0
    assert step_down.show_rate_by_days_waited.value_at(0.0) == 0.99
    assert step_down.max_rebookings == 3
    assert step_down.priority
    assert step_down.patience_days == config.intake.patience_days  # left out: intake's own
    community = book.rules("community")
    assert community.lead_time_days == config.intake.lead_time_days
    assert community.show_rate_by_days_waited == config.intake.show_rate_by_days_waited
    assert community.patience_days.mean == 2.0
    assert not community.priority
    assert book.rules("readmission") == book.rules("step_up")  # no by_source entry: intake's own values
    assert book.rules("step_up").max_rebookings == config.intake.max_rebookings


def _rota_the_long_way(
    book: IntakeBook,
) -> tuple[list[tuple[float, float, list[str]]], dict[tuple[str, int], float], dict[int, list[str]]]:
    """The rota as ``IntakeBook._build`` laid it out before it worked each distinct day out once: every
    day and slot in turn, the week's hours per (person, week), then a sort of the slots by time."""
    clinic = book._clinic
    intake, calendar, roster = clinic.config.intake, clinic.calendar, clinic.roster
    length = intake.assessment_minutes
    by_weekday: dict[str, list[tuple[float, float, int, str]]] = {}
    for minute, _, slot in sorted(
        (minutes_of(slot.start_time), order, slot) for order, slot in enumerate(intake.schedule)
    ):
        by_weekday.setdefault(slot.weekday, []).append(
            (minute, minute + length, slot.parallel_slots, slot.start_time)
        )
    hours = length / 60.0
    weekly: dict[tuple[str, int], float] = {}
    slots: list[tuple[float, float, list[str]]] = []
    offered: dict[int, list[str]] = {}
    rota_end = calendar.week_start(calendar.week_of(calendar.days - 1) + 1)
    for day in range(rota_end):
        if calendar.weekday_of(day) not in by_weekday or calendar.is_holiday(day):
            continue
        week = calendar.week_of(day)
        present = roster.present(book.role, day)
        free_from: dict[str, float] = {}
        direct: dict[str, float] = {}
        for minute, end, parallel, start_time in by_weekday[calendar.weekday_of(day)]:
            seats: list[str] = []
            for person in present:
                if len(seats) >= parallel:
                    break
                key = person.person_id
                used = weekly.get((key, week), 0.0)
                given = direct.get(key, 0.0)
                low, high = person.window
                if (
                    given + length <= person.daily_limit + 1e-9
                    and used + hours <= person.weekly_hours + 1e-9
                    and low - EPS <= minute
                    and end <= high + EPS
                    and minute >= free_from.get(key, -1.0) - EPS
                ):
                    free_from[key] = end
                    direct[key] = given + length
                    weekly[(key, week)] = used + hours
                    seats.append(key)
            if seats:
                offered.setdefault(day, []).extend(seats)
            if day < calendar.days:
                slots.append((at(day, start_time), minute, seats))
    slots.sort(key=lambda slot: slot[0])
    return slots, weekly, offered


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"staff__roles__intake_clinician__non_direct_share": 0.35},  # the daily budget binds
        {  # the weekly budget binds, in the middle of a day
            "staff__roles__intake_clinician__weekly_hours": 20,
            "staff__roles__intake_clinician__days_per_week": None,
            "staff__roles__intake_clinician__non_direct_share": 0.0,
        },
        {  # absences, a hire, two people, parallel seats, two slots at one time, a holiday
            "simulation__horizon_days": 120,
            "staff__roles__intake_clinician__count": 2,
            "staff__roles__intake_clinician__absence_days_per_year": 60,
            "staff__roles__intake_clinician__hires": [{"date": "2027-02-01", "count": 1}],
            "clinic__holidays": ["2027-01-25"],
            "intake__schedule": [
                {"weekday": "mon", "start_time": "09:00", "parallel_slots": 2},
                {"weekday": "mon", "start_time": "09:00"},
                {"weekday": "mon", "start_time": "08:00"},
                {"weekday": "wed", "start_time": "13:30", "parallel_slots": 3},
                {"weekday": "sat", "start_time": "10:00"},
            ],
        },
    ],
)
def test_the_rota_worked_out_once_per_distinct_day_is_the_day_by_day_rota(changes: dict[str, object]) -> None:
    """``_build`` shares the seats of days alike (weekday, people at work, their week's hours so far):
    the same slots, seats, reserved hours (in the same order) and seats offered as day by day."""
    book = _book_of(**changes)
    book.build()
    slots, weekly, offered = _rota_the_long_way(book)
    assert book.times == [time for time, _, _ in slots]
    assert book.minutes == [minute for _, minute, _ in slots]
    assert [[person.person_id for person in seats] for seats in book.seat_person] == [
        seats for _, _, seats in slots
    ]
    assert book.capacity == [len(seats) for _, _, seats in slots]
    assert list(book.reserved.items()) == list(weekly.items())
    assert {day: [person.person_id for person in people] for day, people in book.offered.items()} == offered
    assert list(book.offered) == list(offered)
    assert any(capacity == 0 for capacity in book.capacity) or not changes  # a budget or absence bit
