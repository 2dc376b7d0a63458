"""Group sessions of one track-day: merges, cancellations, facilitators with weekly hours, rooms."""

from __future__ import annotations

from simiop.model.attendance import Attendance
from simiop.model.records import TrackDay
from simiop.model.sessions import HeldSessions, Sessions, hold_sessions, merge_groups
from simiop.model.staff import Roster
from simiop.model.stay import Enrolment
from simiop.model.tracks import TrackState
from tests.tiny_world import enrolment, roster_of, tiny_config, track_of


def test_small_groups_join_the_smallest_session_they_fit() -> None:
    sessions, merged, cancelled = merge_groups([["a", "b", "c", "d"], ["e"], ["f"], []], 3, 12)
    assert (sessions, merged, cancelled) == ([["a", "b", "c", "d", "e", "f"]], 2, 0)


def test_small_groups_combine_up_to_the_maximum_or_are_cancelled() -> None:
    assert merge_groups([["x", "y"], ["z"], ["w"]], 3, 4) == ([["x", "y", "z", "w"]], 2, 0)
    # [x, y] and [z, v] cannot combine (4 > 3); w joins the last combination; [x, y] stays too few.
    assert merge_groups([["x", "y"], ["z", "v"], ["w"]], 3, 3) == ([["z", "v", "w"]], 1, 1)
    assert merge_groups([["x"]], 3, 12) == ([], 0, 1)


def _day(track: TrackState, roster: Roster, came: list[list[Enrolment]], day: int = 0) -> Attendance:
    return Attendance(track, day, 0, TrackDay(day=day, track=track.name), came, [bool(g) for g in came])


def _patients(track: TrackState, roster: Roster, first: int, count: int) -> list[Enrolment]:
    therapist = roster.by_role["therapist"][0]
    return [enrolment(first + i, track, therapist) for i in range(count)]


def test_each_session_takes_a_facilitator_with_hours_and_a_room() -> None:
    config = tiny_config(tracks__day__groups=3, rooms__group_rooms=2)
    roster, track = roster_of(config), track_of(config)
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 5), _patients(track, roster, 20, 3)]
    attendance = _day(track, roster, came)
    earlier: list[HeldSessions] = []
    held = hold_sessions(attendance, roster, 2, earlier)
    row = attendance.row
    assert [len(s) for s in held] == [5, 4]  # largest first; the third has no room left
    assert (row.groups_scheduled, row.groups_run, row.cancelled_no_room, row.cancelled_no_facilitator) == (
        3,
        2,
        1,
        0,
    )
    assert (row.largest_group, row.facilitation_hours) == (5, 6.0)
    assert roster.row("therapist", 0).group_hours == 6.0
    # The two with most hours left (all equal: smaller ids) ran the sessions.
    assert [p.hours_left(0) for p in roster.by_role["therapist"]] == [37.0, 37.0, 40.0]
    assert len(earlier) == 1
    assert earlier[0].rooms == 2
    assert earlier[0].facilitators == {"therapist_1", "therapist_2"}


def test_facilitators_busy_at_overlapping_hours_or_short_of_hours_cancel_sessions() -> None:
    config = tiny_config(tracks__day__groups=2)
    roster, track = roster_of(config), track_of(config)
    roster.book(roster.by_role["therapist"][2], 0, 0, 38.0, "individual")  # 2 h left: less than 3
    earlier = [HeldSessions(10.0, 11.0, 1, {"therapist_1"})]  # overlaps 09:00-12:00
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 4)]
    attendance = _day(track, roster, came)
    held = hold_sessions(attendance, roster, 3, earlier)
    assert len(held) == 1
    assert (attendance.row.groups_run, attendance.row.cancelled_no_facilitator) == (1, 1)
    assert roster.by_role["therapist"][1].hours_left(0) == 37.0


def test_a_group_nobody_came_to_is_scheduled_and_cancelled_and_takes_nobody() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    attendance = Attendance(track, 0, 0, TrackDay(day=0, track="day"), [[], []], [True, False])
    earlier: list[HeldSessions] = []
    assert hold_sessions(attendance, roster, 3, earlier) == []
    assert (attendance.row.groups_scheduled, attendance.row.cancelled_too_few) == (1, 1)
    assert earlier == []
    assert roster.row("therapist", 0).group_hours == 0.0


def test_one_group_takes_the_facilitator_with_most_hours_left_ties_to_the_smaller_id() -> None:
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    therapists = roster.by_role["therapist"]
    roster.book(therapists[0], 0, 0, 5.0, "individual")  # 35 h left; the other two 40 h each
    attendance = _day(track, roster, [_patients(track, roster, 0, 4)])
    earlier: list[HeldSessions] = []
    held = hold_sessions(attendance, roster, 3, earlier)
    assert [len(s) for s in held] == [4]
    assert earlier[0].facilitators == {"therapist_2"}
    assert [p.hours_left(0) for p in therapists] == [35.0, 37.0, 40.0]
    assert (attendance.row.groups_scheduled, attendance.row.groups_run, attendance.row.largest_group) == (
        1,
        1,
        4,
    )


def test_one_group_is_cancelled_when_nobody_has_the_hours_or_too_few_came() -> None:
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    for person in roster.by_role["therapist"]:
        roster.book(person, 0, 0, 38.0, "individual")  # 2 h left each: less than the 3 h day
    attendance = _day(track, roster, [_patients(track, roster, 0, 4)])
    assert hold_sessions(attendance, roster, 3, []) == []
    assert (attendance.row.groups_run, attendance.row.cancelled_no_facilitator) == (0, 1)
    too_few = _day(track, roster, [_patients(track, roster, 0, 1)])
    earlier: list[HeldSessions] = []
    assert hold_sessions(too_few, roster, 3, earlier) == []
    assert (too_few.row.groups_scheduled, too_few.row.cancelled_too_few, earlier) == (1, 1, [])


def test_groups_at_or_above_the_minimum_run_as_they_are_largest_first_ties_in_group_order() -> None:
    config = tiny_config(tracks__day__groups=3, rooms__group_rooms=3)
    roster, track = roster_of(config), track_of(config)
    came = [_patients(track, roster, 0, 3), _patients(track, roster, 10, 3), _patients(track, roster, 20, 4)]
    attendance = _day(track, roster, came)
    held = hold_sessions(attendance, roster, 3, [])
    assert held == [came[2], came[0], came[1]]
    assert (attendance.row.groups_merged, attendance.row.cancelled_too_few, attendance.row.groups_run) == (
        0,
        0,
        3,
    )
    # The same groups through the general merge give the same sessions.
    assert merge_groups(came, 3, 12) == ([came[2], came[0], came[1]], 0, 0)


def test_one_sessions_holds_day_after_day_and_track_after_track_as_the_function_would() -> None:
    config = tiny_config(
        tracks__day__groups=1, tracks__evening__start_time="10:00", tracks__evening__groups=1
    )
    roster = roster_of(config)
    day_track, evening = track_of(config, "day"), track_of(config, "evening")
    sessions = Sessions(roster, 1)  # one room
    earlier: list[HeldSessions] = []
    first = _day(day_track, roster, [_patients(day_track, roster, 0, 4)])
    assert [len(s) for s in sessions.hold(first, earlier)] == [4]
    assert earlier == [HeldSessions(9.0, 12.0, 1, {"therapist_1"})]
    # The evening track moved to 10:00 overlaps: its session finds the one room taken.
    overlapping = _day(evening, roster, [_patients(evening, roster, 10, 4)])
    assert sessions.hold(overlapping, earlier) == []
    assert overlapping.row.cancelled_no_room == 1
    # The next day starts afresh; the rules read for the day track serve it again.
    second = _day(day_track, roster, [_patients(day_track, roster, 20, 4)], day=1)
    later: list[HeldSessions] = []
    assert [len(s) for s in sessions.hold(second, later)] == [4]
    assert later[0].facilitators == {"therapist_2"}  # therapist_1 has 3 h fewer left this week
    assert [p.hours_left(0) for p in roster.by_role["therapist"]] == [37.0, 37.0, 40.0]
    assert roster.row("therapist", 1).group_hours == 3.0
