"""Care on attended days: individual, prescriber and family sessions when due, competing for hours."""

from __future__ import annotations

import pytest

from simiop.model.attendance import Attendance
from simiop.model.care import Care
from simiop.model.delivery import deliver, groups_ran
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


def test_close_adds_each_episodes_group_sessions_and_hours_in_row_order() -> None:
    config = tiny_config(services__individual_therapy=None, services__prescriber=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    first, second = enrolment(0, track, therapist), enrolment(1, track, therapist)
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[first, second]], [True])
    care.care_for(track, 1, 0, TrackDay(day=1, track="day"), [[second], [first]], [False, True])
    care.care_for(track, 2, 0, TrackDay(day=2, track="day"), [[first]], [True])
    care.close()
    assert [(d.episode_id, d.day, d.groups) for d in days] == [
        (0, 0, 3),
        (1, 0, 3),
        (1, 1, 0),
        (0, 1, 3),
        (0, 2, 3),
    ]
    group_hours = 3 * 50 / 60
    assert (first.episode.group_sessions_attended, second.episode.group_sessions_attended) == (9, 3)
    assert first.episode.service_hours == (group_hours + group_hours) + group_hours  # added day by day
    assert second.episode.service_hours == group_hours
    assert (first.episode.individual_sessions, first.episode.prescriber_visits) == (0, 0)


def test_close_marks_the_rows_after_a_denied_review_by_episode() -> None:
    config = tiny_config(services__individual_therapy=None, services__prescriber=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    denied, other = enrolment(0, track, therapist), enrolment(1, track, therapist)
    denied.denied_on = 1
    days = PatientDays()
    care = Care(config, roster, days)
    for day in (0, 1, 2):
        care.care_for(track, day, 0, TrackDay(day=day, track="day"), [[denied, other]], [True])
    care.close()
    assert days.denied_from == {0: 1}
    assert [(d.episode_id, d.day) for d in days if d.review_denied] == [(0, 1), (0, 2)]


def test_a_patient_with_nothing_due_is_passed_over_until_a_service_is() -> None:
    config = tiny_config(services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    patient = enrolment(0, track, therapist)
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [True])
    assert patient.care.next_due == 7  # the next week's Monday; the prescriber not before day 14
    # Only next_due decides whether the patient is looked at: moved by hand here (care keeps the
    # two in step), the earlier prescriber day is not seen before day 7.
    patient.care.next_prescriber_day = 1
    for day in (1, 2):
        care.care_for(track, day, 0, TrackDay(day=day, track="day"), [[patient]], [True])
    assert patient.care.next_due == 7
    care.care_for(track, 7, 1, TrackDay(day=7, track="day"), [[patient]], [True])
    assert (patient.care.individual_week, patient.care.next_due) == (1, 14)  # prescriber every 2 weeks
    care.close()
    assert [(d.day, d.individual_hours, d.prescriber_hours) for d in days] == [
        (0, 50 / 60, 1.0),
        (1, 0.0, 0.0),
        (2, 0.0, 0.0),
        (7, 50 / 60, 20 / 60),
    ]


def test_a_service_nobody_had_hours_for_is_tried_again_the_next_attended_day() -> None:
    config = tiny_config(services__family=None, services__prescriber=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    roster.book(therapist, 0, 0, 39.5, "group")  # 0.5 h left this week: no 50-minute session
    patient = enrolment(0, track, therapist)
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 3, 0, TrackDay(day=3, track="day"), [[patient]], [True])
    assert patient.care.next_due == 3  # still due
    care.care_for(track, 7, 1, TrackDay(day=7, track="day"), [[patient]], [True])  # a new week's hours
    care.close()
    assert [d.individual_hours for d in days] == [0.0, 50 / 60]
    assert patient.episode.individual_sessions == 1


def test_groups_ran_by_session_identity_or_membership() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    a, b, c = ([enrolment(10 * g + i, track, therapist) for i in range(n)] for g, n in enumerate((3, 1, 2)))
    assert groups_ran([a], [a]) == [True]
    assert groups_ran([a], []) == [False]
    assert groups_ran([a, [], c], [a]) == [True, False, False]
    assert groups_ran([a, b, c], [[*a, *b]]) == [True, True, False]  # b merged into a's session
