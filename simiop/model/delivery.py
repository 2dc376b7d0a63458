"""The after-pass: each day's intake assessments, group sessions and care on the clock, day by day.

A day is planned in phases (issue 18): the intake assessments the flow booked
(fixed appointments, charged to the rota's person), then the group sessions of
every track-day of the day in clock order, then care for every track-day of
the day in clock order, then the day's sessions.csv rows are closed. Groups
come before care for the whole day: otherwise care pulled out of an earlier
track could take a facilitator a later, overlapping track needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING

from simiop.config.model import SimiopConfig
from simiop.model.attendance import Attendance
from simiop.model.care import Care
from simiop.model.clock import Timeline
from simiop.model.records import Booking, PatientDays
from simiop.model.sessions import SessionLog, Sessions
from simiop.model.staff import Roster

if TYPE_CHECKING:
    from simiop.model.intake import IntakeBook


def deliver(
    config: SimiopConfig,
    roster: Roster,
    days: list[Attendance],
    patient_days: PatientDays,
    intake: IntakeBook | None = None,
    bookings: Sequence[Booking] = (),
    log: SessionLog | None = None,
) -> SessionLog:
    """Hold each day's assessments, group sessions and care, in the order of ``days`` (clock order:
    day, then track start time); returns the sessions.csv rows (``log``, made if not given).

    ``bookings`` are the flow's intake bookings (in slot order) in ``intake``'s
    slots. The episodes' counts are added up from the record at the end
    (Care.close).
    """
    log = log if log is not None else SessionLog()
    care = Care(config, roster, patient_days, log)
    one_track = sum(1 for track in config.tracks.values() if track.enabled) == 1
    sessions = Sessions(
        roster,
        config.rooms.group_rooms,
        log,
        pull_outs=care.any_service,
        timelines=care.any_service or not one_track,
    )
    hold, hold_groups = sessions.hold, sessions.hold_groups
    if intake is not None:
        intake.build()  # its rota is reserved whether or not the flow booked any assessment
    assessments = _Assessments(config, roster, intake, bookings, log)
    none_held: dict[int, tuple[float, float]] = {}
    if not care.any_service:  # groups only: each track-day's records follow its groups (nothing is booked)
        record, cover = care.record_groups, roster.cover
        for day, batch in groupby(days, key=_day):
            if day >= assessments.next_day:
                assessments.until(day)
            for attendance in batch:
                record(attendance, hold(attendance))
            if cover:
                roster.pay_cover(day)
            log.close_day()
        assessments.until(None)
        care.close()
        return log
    for day, batch in groupby(days, key=_day):
        care.assessed = assessments.until(day) if day >= assessments.next_day else none_held
        planned = [(attendance, hold_groups(attendance)) for attendance in batch]
        for attendance, per_group in planned:
            care.care_for(attendance.track, day, attendance.week, attendance.row, attendance.came, per_group)
        if roster.cover:
            roster.pay_cover(day)
        log.close_day()
    assessments.until(None)
    care.close()
    return log


_day = attrgetter("day")

NEVER_DAY = 1 << 62
"""A day after every run's last (no assessments left to hold)."""


class _Assessments:
    """Phase 1 of each day: the intake assessments booked in its slots, each with its seat's person.

    The rota's seats are reserved in their people's weekly direct budgets
    from the start (IntakeBook.reserved, whole weeks), so the week's groups
    and care never take the time an assessment later in the week needs. On a
    seat's day its reservation becomes what happened: an assessment held is
    direct time, a seat nobody booked or a no-show gives its hours back.
    """

    def __init__(
        self,
        config: SimiopConfig,
        roster: Roster,
        intake: IntakeBook | None,
        bookings: Sequence[Booking],
        log: SessionLog,
    ) -> None:
        self._intake = intake
        self._log = log
        self._minutes = config.intake.assessment_minutes
        self._week_of = roster.calendar.week_of
        booked = {day: list(found) for day, found in groupby(bookings, key=lambda b: int(b.slot_day))}
        offered = intake.offered if intake is not None else {}
        last = roster.calendar.days
        self._by_day = sorted(
            (day, booked.get(day, [])) for day in {*booked, *(day for day in offered if day < last)}
        )
        self._next = 0
        self.next_day = self._by_day[0][0] if self._by_day else NEVER_DAY
        """The first day with assessments not yet held (``until`` an earlier day does nothing)."""
        self._codes: dict[tuple[float, str, str], int] = {}
        """(start, person, outcome) -> the log's code of an assessment row's key (the end follows)."""
        self._booked = roster.booked_hours()["intake"]
        if intake is not None:
            people = {person.person_id: person for persons in offered.values() for person in persons}
            for (person_id, week), hours in intake.reserved.items():
                people[person_id].hours_by_week[week] += hours

    def until(self, day: int | None) -> dict[int, tuple[float, float]]:
        """Hold the assessments of every day up to ``day`` (None: all), each day's rows closed but
        ``day``'s, whose groups and care follow; returns ``day``'s assessments held, by episode
        (a patient admitted the same day is busy then)."""
        by_day, intake = self._by_day, self._intake
        held: dict[int, tuple[float, float]] = {}
        while self._next < len(by_day) and (day is None or by_day[self._next][0] <= day):
            when, bookings = by_day[self._next]
            self._next += 1
            self.next_day = by_day[self._next][0] if self._next < len(by_day) else NEVER_DAY
            assert intake is not None, "intake bookings without the intake book"
            found = self._hold(intake, when, bookings)
            if when != day:
                self._log.close_day()
            else:
                held = found
        return held

    def _hold(self, intake: IntakeBook, day: int, bookings: list[Booking]) -> dict[int, tuple[float, float]]:
        minutes, log, codes = self._minutes, self._log, self._codes
        hours = minutes / 60.0
        week = self._week_of(day)
        log.at_day(day)
        for person in intake.offered.get(day, ()):  # the day's reservations end: what was held is charged
            person.hours_by_week[week] -= hours
        held: dict[int, tuple[float, float]] = {}
        for booking in bookings:
            person = intake.seat_person[booking.slot][booking.seat]
            start = intake.minutes[booking.slot]
            end = start + minutes
            person_id = person.person_id
            showed = booking.showed
            direct = minutes if showed else 0.0  # a seat's person who waited for nobody: busy, no direct time
            if person.timeline_day == day:
                person.timeline.take(start, end, direct)
            else:  # the person's first booking today (Person.today, then Timeline.take, written out)
                person.timeline_day = day
                person.timeline = Timeline(start, end, 0.0 + direct)
            if showed:
                person.hours_by_week[week] += hours
                self._booked[person.role][day] += hours  # Roster.book, written out
                outcome = "held"
                held[booking.episode_id] = (start, end)
            else:
                outcome = "no_show"
            code = codes.get((start, person_id, outcome))
            if code is None:  # the row's key, coded once per slot time, person and outcome (SessionLog.add)
                code = codes[(start, person_id, outcome)] = log.code(
                    ("intake", "", -1, -1, "intake_slot", start, end, (person_id,), 0, f"office:{person_id}",
                     outcome, "")
                )  # fmt: skip
            log.key.append(code)
            log.sizes.append(1)
            log.ids.append(booking.episode_id)
        return held
