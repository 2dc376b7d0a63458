"""The intake book: first-fit booking of assessment slots, with full slots skipped."""

from __future__ import annotations

import random

import simpy

from simiop.model.calendar import ClinicCalendar
from simiop.model.clinic import Clinic
from simiop.model.intake import IntakeBook
from simiop.model.patients import PatientStreams
from simiop.model.records import Records
from simiop.streams import RandomStreams
from tests.tiny_world import roster_of, tiny_config


def _book_of(**changes: object) -> IntakeBook:
    config = tiny_config(**changes)
    calendar = ClinicCalendar.for_config(config)
    clinic = Clinic(
        config=config,
        env=simpy.Environment(),
        calendar=calendar,
        streams=RandomStreams(1, 0),
        roster=roster_of(config),
        records=Records(seed=1, replication=0, horizon_days=calendar.horizon_days),
        patients=PatientStreams(1, 0),
    )
    return IntakeBook(clinic)


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
