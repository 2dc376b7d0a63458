"""Care on attended days: individual, prescriber and family sessions when due, competing for hours."""

from __future__ import annotations

import pytest

from simiop.model.attendance import Attendance
from simiop.model.care import Care
from simiop.model.delivery import deliver
from simiop.model.records import PatientDays, TrackDay
from tests.tiny_world import enrolment, roster_of, tiny_config, track_of


def test_first_day_gets_individual_prescriber_and_family_then_each_waits_until_due() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    patient = enrolment(0, track, therapist, family=True)
    days = PatientDays()
    care = Care(config, roster, days)
    for day in (0, 1, 7, 14):
        care.care_for(track, day, day // 7, TrackDay(day=day, track="day"), [[patient]], [True])
    care.close()
    services = [(d.day, d.individual_hours, d.prescriber_hours, d.family_hours) for d in days]
    assert services == [
        (0, 50 / 60, 1.0, 1.0),  # everything due at admission; the first prescriber visit is 60 min
        (1, 0.0, 0.0, 0.0),  # one individual session a week; the others every two weeks
        (7, 50 / 60, 0.0, 0.0),
        (14, 50 / 60, 20 / 60, 1.0),  # follow-up visit 20 min
    ]
    assert [d.prescriber_initial for d in days] == [True, False, False, False]
    assert [d.services for d in days] == [3 + 3, 3, 3 + 1, 3 + 3]
    assert days[0].hours == pytest.approx(2.5 + 50 / 60 + 1 + 1)
    assert (patient.episode.individual_sessions, patient.episode.prescriber_visits) == (3, 2)
    assert patient.episode.family_sessions == 2
    assert therapist.hours_left(0) == pytest.approx(40 - 50 / 60 - 1)
    assert roster.row("prescriber", 0).prescriber_hours == 1.0


def test_care_competes_for_hours_and_an_absent_group_is_not_billed_as_programme_hours() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    roster.book(therapist, 0, 0, 39.5, "group")  # 0.5 h left: no 50-minute session, no family hour
    prescriber = roster.by_role["prescriber"][0]
    roster.book(prescriber, 0, 0, 19.5, "prescriber")  # half time: 0.5 h left, not the 60 min needed
    patient = enrolment(0, track, therapist, family=True)
    patient.denied_on = 0
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [False])  # no group ran
    care.close()
    (record,) = days
    assert (record.services, record.hours, record.groups, record.programme_hours) == (0, 0.0, 0, 0.0)
    assert record.review_denied
    assert patient.care.next_prescriber_day == 0  # still due: tried again on the next attended day


def test_delivery_runs_sessions_before_care_and_counts_group_attendance() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapists = roster.by_role["therapist"]
    came = [[enrolment(i, track, therapists[0]) for i in range(3)], [enrolment(9, track, therapists[1])]]
    row = TrackDay(day=0, track="day")
    days = PatientDays()
    deliver(config, roster, [Attendance(track, 0, 0, row, came, [True, True])], days)
    assert [d.episode_id for d in days] == [0, 1, 2, 9]
    assert [d.groups for d in days] == [3, 3, 3, 3]  # the lone patient merged into the session
    assert (row.groups_run, row.groups_merged, row.group_attendances) == (1, 1, 12)
    assert came[1][0].episode.group_sessions_attended == 3
    # Facilitation (3 h, the lightest with the smallest id) came before individual sessions.
    assert therapists[0].hours_left(0) == pytest.approx(40 - 3 - 3 * 50 / 60)
    assert row.individual_hours == pytest.approx(4 * 50 / 60)
