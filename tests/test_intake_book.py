"""The intake book: first-fit booking of assessment slots, with full slots skipped."""

from __future__ import annotations

import random

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
