"""The after-pass's written-out fast paths against the plain ones: the searches next to the programme day
against a step-by-step search, a pull-out marked in the log without a FlatRow, a clinic's one prescriber
checked without ``_able``, and a person's first booking of a day making their timeline at once."""

from __future__ import annotations

import random

import pytest

from simiop.model.attendance import Attendance
from simiop.model.care import SLOT_STEP_MINUTES, Care, _steps_after, _steps_before
from simiop.model.clock import EPS, Timeline
from simiop.model.records import PatientDays, TrackDay
from simiop.model.sessions import HeldSession, SessionLog, Sessions, hold_sessions
from simiop.model.stay import Enrolment
from tests.tiny_world import enrolment, roster_of, tiny_config, track_of


def _plain_before(
    person: Timeline,
    patient: Timeline,
    window: tuple[float, float],
    first: float,
    minutes: float,
    lowest: float,
) -> int | None:
    """``_steps_before`` step by step: the first k whose session ends k steps before ``first``, free for
    both, inside the window and not before ``lowest``."""
    low, high = window
    k = 0
    while True:
        end = first - k * SLOT_STEP_MINUTES
        start = end - minutes
        if start < max(lowest, low) - EPS:
            return None
        if end <= high + EPS and person.free(start, end) and patient.free(start, end):
            return k
        k += 1


def _plain_after(
    person: Timeline,
    patient: Timeline,
    window: tuple[float, float],
    last: float,
    minutes: float,
    highest: float,
) -> int | None:
    """``_steps_after`` step by step (the mirror of ``_plain_before``)."""
    low, high = window
    k = 0
    while True:
        start = last + k * SLOT_STEP_MINUTES
        end = start + minutes
        if end > min(highest, high) + EPS:
            return None
        if start >= low - EPS and person.free(start, end) and patient.free(start, end):
            return k
        k += 1


def _random_day(rng: random.Random, anchors: tuple[float, float], count: int) -> Timeline:
    """A timeline of up to ``count`` busy intervals near the programme day's ends, on and off the grid."""
    timeline = Timeline()
    for _ in range(count):
        start = rng.choice(anchors) + rng.choice([-1, 1]) * rng.choice(
            [rng.randrange(0, 200, 5), rng.random() * 200]
        )
        end = start + rng.choice([20.0, 50.0, 60.0, 180.0])
        if timeline.free(start, end):
            timeline.take(start, end)
    return timeline


@pytest.mark.parametrize("seed", range(3))
def test_the_searches_next_to_the_programme_day_give_the_step_by_step_answer(seed: int) -> None:
    """On random busy days of a person and a patient (often nothing booked for the patient, the fast
    path), windows that cut into the programme day's ends and either bound binding, the jumping searches
    give the fewest steps a step-by-step search finds, or None when it finds none."""
    rng = random.Random(seed)
    first, last = 540.0, 720.0
    nones = found = 0
    for _ in range(400):
        person = _random_day(rng, (first, last), rng.randrange(6))
        patient = _random_day(rng, (first, last), rng.choice([0, 0, 1, 2]))
        window = (rng.choice([420.0, 480.0, 515.0, 560.0]), rng.choice([700.0, 745.0, 900.0, 1020.0]))
        minutes = rng.choice([20.0, 50.0, 60.0])
        lowest, highest = first - rng.choice([60.0, 120.0]), last + rng.choice([60.0, 120.0])
        before = _steps_before(person, patient, window, first, minutes, lowest)
        after = _steps_after(person, patient, window, last, minutes, highest)
        assert before == _plain_before(person, patient, window, first, minutes, lowest)
        assert after == _plain_after(person, patient, window, last, minutes, highest)
        nones += (before is None) + (after is None)
        found += (before is not None) + (after is not None)
    assert nones > 50  # both answers were exercised
    assert found > 50


def _patients(track: object, roster: object, first: int, count: int) -> list[Enrolment]:
    therapist = roster.by_role["therapist"][0]  # type: ignore[attr-defined]
    return [enrolment(first + i, track, therapist) for i in range(count)]  # type: ignore[arg-type]


def test_a_pull_out_marked_in_the_log_is_the_flat_row_s_removal() -> None:
    """``RowPatients.take_out(k, id)`` leaves the log as ``patients[k].remove(id)`` does; a row that is not
    there is an IndexError and a patient not in the row a ValueError, with nothing changed."""
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    logs = []
    for way in ("flat_row", "take_out"):
        log = SessionLog()
        attendance = Attendance(
            track, 0, 0, TrackDay(day=0, track="day"), [_patients(track, roster, 0, 4)], [True]
        )
        (held,) = hold_sessions(attendance, roster_of(config), 1, log)
        if way == "flat_row":
            held.patients[1].remove(2)
            held.patients[2].remove(0)
        else:
            held.patients.take_out(1, 2)  # type: ignore[union-attr]
            held.patients.take_out(2, 0)  # type: ignore[union-attr]
        logs.append((list(log.ids), list(log.sizes), log.removed, [list(p) for p in held.patients]))
    assert logs[0] == logs[1]
    assert logs[1][3] == [[0, 1, 2, 3], [0, 1, 3], [1, 2, 3]]
    log = SessionLog()
    attendance = Attendance(
        track, 0, 0, TrackDay(day=0, track="day"), [_patients(track, roster, 0, 4)], [True]
    )
    (held,) = hold_sessions(attendance, roster_of(config), 1, log)
    with pytest.raises(IndexError):
        held.patients.take_out(3, 1)  # type: ignore[union-attr]
    with pytest.raises(IndexError):
        held.patients.take_out(-1, 1)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not in list"):
        held.patients.take_out(0, 9)  # type: ignore[union-attr]
    assert (log.ids, log.sizes, log.removed) == ([0, 1, 2, 3] * 3, [4, 4, 4], 0)


def test_a_clinic_s_one_prescriber_is_checked_without_able_and_answers_as_able_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A prescriber pool of one is checked in line (``_able`` never asked): a first visit is held while
    the prescriber has its minutes left, missed for no_staff_time when not, and the answer holds for the
    day's other patients; a pool with nobody at work still asks ``_able`` (which says why)."""
    asked: list[object] = []
    able = Care._able

    def counted(self: Care, *args: object) -> object:
        asked.append(args[3])
        return able(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Care, "_able", counted)
    config = tiny_config(services__individual_therapy=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    (prescriber,) = roster.by_role["prescriber"]
    prescriber.today(0).direct = prescriber.daily_limit - 90.0  # one 60-minute first visit left today
    patients = [enrolment(i, track, therapist) for i in range(3)]
    log = SessionLog()
    care = Care(config, roster, PatientDays(), log)
    care.care_for(
        track, 0, 0, TrackDay(day=0, track="day"), [patients], [HeldSession(patients, [[0, 1, 2]] * 3)]
    )
    log.close_day()
    assert asked == []
    rows = [(r.kind, r.patients, r.outcome, r.reason) for r in log.records().rows()]
    assert sorted(rows) == [
        ("prescriber_initial", (0,), "held", ""),
        ("prescriber_initial", (1,), "missed", "no_staff_time"),
        ("prescriber_initial", (2,), "missed", "no_staff_time"),
    ]
    absent = roster.presence("prescriber", track.spec.shift)
    absent[1] = []  # nobody at work on day 1: the general path says why
    care.care_for(track, 1, 0, TrackDay(day=1, track="day"), [patients[1:]], [None])
    log.close_day()
    assert asked == [1]
    assert [(r.day, r.reason) for r in log.records().rows() if r.day == 1] == [(1, "staff_absent")] * 2


def test_a_facilitator_s_first_booking_of_a_day_replaces_yesterday_s_timeline() -> None:
    """The general group path (two groups) books a facilitator whose timeline is of an earlier day: their
    timeline becomes the day's, busy for the programme day with its session minutes direct, as
    ``Person.today`` then ``take`` would leave it; a second track the same day adds to it."""
    config = tiny_config(tracks__day__groups=2, rooms__group_rooms=2)
    roster, track = roster_of(config), track_of(config)
    for person in roster.by_role["therapist"]:
        person.today(0).take(540.0, 600.0, 60.0)  # yesterday's (day 0) bookings
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 5)]
    attendance = Attendance(track, 1, 0, TrackDay(day=1, track="day"), came, [True, True])
    sessions = Sessions(roster, 2, SessionLog())
    held = sessions.hold_groups(attendance)
    assert all(session is not None for session in held)
    start, end = track.programme
    minutes = track.spec.group_sessions_per_day * track.spec.session_minutes
    taken = [p for p in roster.by_role["therapist"] if p.timeline_day == 1]
    assert len(taken) == 2
    for person in taken:
        assert person.timeline.intervals() == [(start, end)]
        assert person.timeline.direct == minutes
        assert person.today(1) is person.timeline  # the day's timeline, asked again
