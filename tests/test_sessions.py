"""Group sessions of one track-day on the clock: merges, cancellations, facilitators with daily and weekly
direct budgets and free time, rooms, and the sessions.csv rows."""

from __future__ import annotations

import pytest

from simiop.model.attendance import Attendance
from simiop.model.records import SessionRow, TrackDay
from simiop.model.sessions import SessionLog, Sessions, hold_sessions, merge_and_cancel, merge_groups
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


def _rows(log: SessionLog) -> list[SessionRow]:
    return log.records().rows()


def test_cancelled_combinations_are_returned_whole() -> None:
    # [x, y] and [z, v] cannot combine (4 > 3); w joins the last combination; [x, y] stays too few.
    assert merge_and_cancel([["x", "y"], ["z", "v"], ["w"]], 3, 3) == ([["z", "v", "w"]], 1, [["x", "y"]])
    assert merge_and_cancel([["x"], ["y"]], 3, 12) == ([], 1, [["x", "y"]])  # one cancelled combination


def test_each_session_takes_a_facilitator_with_the_minutes_and_a_room() -> None:
    config = tiny_config(tracks__day__groups=3, rooms__group_rooms=2)
    roster, track = roster_of(config), track_of(config)
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 5), _patients(track, roster, 20, 3)]
    attendance = _day(track, roster, came)
    log = SessionLog()
    held = hold_sessions(attendance, roster, 2, log)
    row = attendance.row
    assert [len(s.members) for s in held] == [5, 4]  # largest first; the third has no room left
    assert (row.groups_scheduled, row.groups_run, row.cancelled_no_room, row.cancelled_no_facilitator) == (
        3,
        2,
        1,
        0,
    )
    # Direct time is the sessions' minutes (3 x 50), not the programme day's 3 hours.
    assert (row.largest_group, row.facilitation_hours, row.group_attendances) == (5, 5.0, 27)
    assert roster.row("therapist", 0).group_hours == 5.0
    # The budget is 26 h a week (40 h x 0.65); the two with most left (all equal: smaller ids) ran them.
    assert [p.hours_left(0) for p in roster.by_role["therapist"]] == [23.5, 23.5, 26.0]
    first = roster.by_role["therapist"][0].today(0)
    assert (first.intervals(), first.direct) == ([(540.0, 720.0)], 150.0)  # busy all day, direct 150 min
    rows = _rows(log)
    assert len(rows) == 9  # three sessions of each group: two held, one cancelled
    held_rows = [r for r in rows if r.outcome == "held"]
    assert [(r.start_minute, r.end_minute) for r in held_rows[::2]] == [
        (540.0, 590.0),
        (600.0, 650.0),
        (660.0, 710.0),
    ]
    assert {(r.group, r.staff, r.room) for r in held_rows} == {
        (1, ("therapist_1",), "group_room_1"),
        (0, ("therapist_2",), "group_room_2"),
    }
    cancelled = [r for r in rows if r.outcome == "cancelled"]
    assert {(r.group, r.reason, r.staff, r.room, r.patients) for r in cancelled} == {
        (2, "no_room", (), "", (20, 21, 22))
    }
    assert [r.session for r in cancelled] == [0, 1, 2]


def test_facilitators_busy_at_overlapping_times_or_short_of_minutes_cancel_sessions() -> None:
    config = tiny_config(tracks__day__groups=2)
    roster, track = roster_of(config), track_of(config)
    therapists = roster.by_role["therapist"]
    roster.book(therapists[2], 1, 0, 24.0, "individual")  # 2 h left this week: less than 2.5
    roster.book_at(therapists[0], 0, 0, 600.0, 650.0, "individual")  # busy 10:00-10:50, inside 09:00-12:00
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 4)]
    attendance = _day(track, roster, came)
    held = hold_sessions(attendance, roster, 3)
    assert len(held) == 1
    assert (attendance.row.groups_run, attendance.row.cancelled_no_facilitator) == (1, 1)
    assert therapists[1].hours_left(0) == 23.5


def test_a_facilitator_needs_the_minutes_left_today() -> None:
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    for person in roster.by_role["therapist"]:  # 312 minutes a day: 170 left, more than 150, then 160
        roster.book_at(person, 0, 0, 780.0, 922.0, "individual")
    attendance = _day(track, roster, [_patients(track, roster, 0, 4)])
    assert len(hold_sessions(attendance, roster, 3)) == 1
    for person in roster.by_role["therapist"]:
        roster.book_at(person, 1, 0, 780.0, 943.0, "individual")  # 149 left: not enough
    later = _day(track, roster, [_patients(track, roster, 0, 4)], day=1)
    assert hold_sessions(later, roster, 3) == []
    assert later.row.cancelled_no_facilitator == 1


def test_a_group_nobody_came_to_is_scheduled_and_cancelled_and_takes_nobody() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    attendance = Attendance(track, 0, 0, TrackDay(day=0, track="day"), [[], []], [True, False])
    log = SessionLog()
    assert hold_sessions(attendance, roster, 3, log) == []
    assert (attendance.row.groups_scheduled, attendance.row.cancelled_too_few) == (1, 1)
    assert roster.row("therapist", 0).group_hours == 0.0
    assert [(r.group, r.session, r.outcome, r.reason, r.patients) for r in _rows(log)] == [
        (0, k, "cancelled", "too_few", ()) for k in range(3)
    ]


def test_one_group_takes_the_facilitator_with_most_minutes_left_today_then_this_week() -> None:
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    therapists = roster.by_role["therapist"]
    roster.book(therapists[0], 1, 0, 5.0, "individual")  # another day: 21 h left this week
    roster.book_at(therapists[1], 0, 0, 480.0, 530.0, "individual")  # today: 50 minutes fewer left
    attendance = _day(track, roster, [_patients(track, roster, 0, 4)])
    log = SessionLog()
    held = hold_sessions(attendance, roster, 3, log)
    assert [len(s.members) for s in held] == [4]
    # therapist_1 and therapist_3 have every minute today; therapist_3 has more hours left this week.
    assert {r.staff for r in _rows(log)} == {("therapist_3",)}
    roster.book_at(therapists[1], 1, 0, 480.0, 530.0, "individual")
    roster.book_at(therapists[2], 1, 0, 480.0, 530.0, "individual")
    second = _day(track, roster, [_patients(track, roster, 0, 4)], day=1)
    log = SessionLog()
    hold_sessions(second, roster, 3, log)
    # Only therapist_1 has every minute today: today's minutes come before the week's hours.
    assert {r.staff for r in _rows(log)} == {("therapist_1",)}


def test_one_group_takes_the_smallest_id_among_facilitators_equal_in_minutes_and_hours() -> None:
    """The least (minutes left today, hours left this week, id) as tuples compare: on equal minutes and
    hours the id decides; fewer hours left this week loses to more, whatever the id."""
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    log = SessionLog()
    hold_sessions(_day(track, roster, [_patients(track, roster, 0, 4)]), roster, 3, log)
    assert {r.staff for r in _rows(log)} == {("therapist_1",)}
    roster.book(roster.by_role["therapist"][1], 1, 0, 1.0, "individual")  # therapist_2: an hour fewer
    log = SessionLog()
    hold_sessions(_day(track, roster, [_patients(track, roster, 0, 4)], day=1), roster, 3, log)
    assert {r.staff for r in _rows(log)} == {("therapist_3",)}  # therapist_1 booked on day 0


def test_one_group_is_cancelled_when_nobody_has_the_hours_or_too_few_came() -> None:
    config = tiny_config(tracks__day__groups=1)
    roster, track = roster_of(config), track_of(config)
    for person in roster.by_role["therapist"]:
        roster.book(person, 1, 0, 24.0, "individual")  # 2 h left each: less than the 2.5 h of sessions
    attendance = _day(track, roster, [_patients(track, roster, 0, 4)])
    assert hold_sessions(attendance, roster, 3) == []
    assert (attendance.row.groups_run, attendance.row.cancelled_no_facilitator) == (0, 1)
    too_few = _day(track, roster, [_patients(track, roster, 0, 1)])
    log = SessionLog()
    assert hold_sessions(too_few, roster, 3, log) == []
    assert (too_few.row.groups_scheduled, too_few.row.cancelled_too_few) == (1, 1)
    assert {(r.reason, r.patients) for r in _rows(log)} == {("too_few", (0,))}


def test_groups_at_or_above_the_minimum_run_as_they_are_largest_first_ties_in_group_order() -> None:
    config = tiny_config(tracks__day__groups=3, rooms__group_rooms=3)
    roster, track = roster_of(config), track_of(config)
    came = [_patients(track, roster, 0, 3), _patients(track, roster, 10, 3), _patients(track, roster, 20, 4)]
    attendance = _day(track, roster, came)
    held = hold_sessions(attendance, roster, 3)
    assert [s.members for s in held] == [came[2], came[0], came[1]]
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
    log = SessionLog()
    sessions = Sessions(roster, 1, log)  # one room
    first = _day(day_track, roster, [_patients(day_track, roster, 0, 4)])
    assert [len(s.members) for s in sessions.hold(first)] == [4]
    # The evening track moved to 10:00 overlaps: its session finds the one room taken.
    overlapping = _day(evening, roster, [_patients(evening, roster, 10, 4)])
    assert sessions.hold(overlapping) == []
    assert overlapping.row.cancelled_no_room == 1
    log.close_day()
    # The next day starts afresh; the rules read for the day track serve it again.
    second = _day(day_track, roster, [_patients(day_track, roster, 20, 4)], day=1)
    assert [len(s.members) for s in sessions.hold(second)] == [4]
    rows = _rows(log)
    assert [(r.day, r.staff) for r in rows if r.outcome == "held"][::3] == [
        (0, ("therapist_1",)),
        (1, ("therapist_2",)),  # therapist_1 has 2.5 h fewer left this week
    ]
    assert [p.hours_left(0) for p in roster.by_role["therapist"]] == [23.5, 23.5, 26.0]
    assert roster.row("therapist", 1).group_hours == 2.5
    assert [r.day for r in rows] == sorted(r.day for r in rows)


def test_a_cover_person_leads_a_group_only_when_the_roles_own_people_run_out_and_is_paid_a_call_in() -> None:
    config = tiny_config(
        tracks__day__groups=2,
        staff__roles__therapist__count=1,
        staff__roles__therapist__cover={"people_per_day": 1, "hourly_cost_usd": 45.0, "min_paid_hours": 4},
    )
    roster, track = roster_of(config), track_of(config)
    came = [_patients(track, roster, 0, 4), _patients(track, roster, 10, 4)]
    attendance = _day(track, roster, came)
    log = SessionLog()
    held = hold_sessions(attendance, roster, 3, log)
    assert len(held) == 2
    assert (attendance.row.groups_run, attendance.row.groups_covered) == (2, 1)
    assert {(r.group, r.staff, r.cover) for r in _rows(log)} == {
        (0, ("therapist_1",), 0),
        (1, ("therapist_cover_1",), 1),
    }
    assert roster.row("therapist", 0).group_hours == 5.0  # the role's hours, cover's included
    roster.pay_cover(0)  # 09:00-12:00 is 3 h of span: paid the 4-hour minimum
    assert (roster.row("therapist", 0).cover_hours, roster.row("therapist", 0).cover_cost_usd) == (4.0, 180.0)
    roster.pay_cover(1)  # nobody called in on day 1
    assert roster.row("therapist", 1).cover_hours == 0.0


def test_a_held_group_s_rows_are_flat_in_the_log_and_a_pull_out_leaves_the_other_rows() -> None:
    """``RowPatients``: the log's rows of a held group are its patients once per session, flat; care
    removing a patient from row k (a ``FlatRow``) leaves the other rows as they were."""
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    log = SessionLog()
    (held,) = hold_sessions(_day(track, roster, [_patients(track, roster, 0, 4)]), roster, 1, log)
    assert len(held.patients) == len(log.sizes) == len(track.session_times) == 3
    assert log.ids == [0, 1, 2, 3] * 3
    held.patients[1].remove(2)  # care pulls patient 2 out of session 1
    assert log.sizes == [4, 3, 4]
    assert held.patients[1] == [0, 1, 3]
    assert held.patients[-1] == [0, 1, 2, 3]
    assert held.patients[0:2] == [[0, 1, 2, 3], [0, 1, 3]]
    with pytest.raises(IndexError):
        held.patients[3]  # a day of three sessions
    assert [r.patients for r in _rows(log)] == [
        (0, 1, 2, 3),
        (0, 1, 3),
        (0, 1, 2, 3),
    ]


def test_only_people_whose_shift_and_daily_limit_hold_the_programme_day_can_facilitate() -> None:
    from simiop.model.sessions import _able

    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    people = roster.by_role["therapist"]
    start, end = track.programme
    assert _able(people, start, end, 150.0) == [p for p in people if p.daily_limit >= 150.0]
    assert _able(people, start, end, 10_000.0) == []  # more than any daily limit
    assert _able(people, start - 24 * 60, end, 1.0) == []  # before every shift


def test_a_room_taken_once_today_is_free_before_and_after_its_session_and_taken_after() -> None:
    """One room, three tracks of one group on one day: the day track (09:00-12:00) takes it, an evening
    track at 12:00 (touching) takes it after, one at 11:00 (overlapping the first) finds it taken, and
    the room's day holds both sessions it ran."""
    from simiop.model.clock import Timeline

    for start, expected in (("12:00", [4]), ("11:00", []), ("06:00", [4])):
        config = tiny_config(
            tracks__day__groups=1, tracks__evening__start_time=start, tracks__evening__groups=1
        )
        roster = roster_of(config)
        day_track, evening = track_of(config, "day"), track_of(config, "evening")
        sessions = Sessions(roster, 1, SessionLog())
        assert len(sessions.hold(_day(day_track, roster, [_patients(day_track, roster, 0, 4)]))) == 1
        later = _day(evening, roster, [_patients(evening, roster, 10, 4)])
        assert [len(s.members) for s in sessions.hold(later)] == expected
        (room,) = sessions._rooms
        if expected:
            assert isinstance(room, Timeline)
            assert sorted(room.intervals()) == sorted([day_track.programme, evening.programme])
        else:
            assert room == day_track.programme
            assert later.row.cancelled_no_room == 1


@pytest.mark.parametrize(
    ("changes", "reasons", "covered"),
    [
        ([], {""}, False),  # everyone runs: one group, one facilitator, a room
        (["tracks.programme.group_size.min=3"], {"", "too_few"}, False),
        (
            ["staff.roles.therapist.count=1", "staff.roles.therapist.weekly_hours=10"],
            {"", "no_facilitator"},
            False,
        ),
        (
            [
                "staff.roles.therapist.count=1",
                "staff.roles.therapist.weekly_hours=10",
                "staff.roles.therapist.cover={hourly_cost_usd: 50}",
            ],
            {""},
            True,  # cover people called in: the long way decides
        ),
    ],
)
def test_a_one_group_track_day_held_the_short_way_is_held_as_the_long_way(
    changes: list[str], reasons: set[str], covered: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Sessions._hold_one`` (one group, one facilitator) against ``hold``'s general way on the M/M/c
    clinic's 120 days: the same sessions.csv rows, daily rows and staff rows."""
    from pathlib import Path

    from simiop.config import load_config
    from simiop.model import simulate

    config = load_config(
        Path(__file__).parent.parent / "configs" / "validation" / "mmc.yaml",
        ["simulation.horizon_days=120", *changes],
    )

    def run() -> tuple[list[SessionRow], list[TrackDay], list[object]]:
        records = simulate(config, 5, 0)
        return records.sessions.rows(), records.track_days, list(records.staff_days)

    short = run()
    monkeypatch.setattr(Sessions, "_hold_one", lambda *_: None)
    assert run() == short
    assert {row.reason for row in short[0]} == reasons  # the case each variant is for
    assert any(day.groups_covered for day in short[1]) == covered


@pytest.mark.parametrize(("seed", "groups"), [(seed, groups) for seed in range(6) for groups in (2, 3)])
def test_groups_held_and_found_per_group_are_held_and_found_as_the_long_way(seed: int, groups: int) -> None:
    """``Sessions.hold_groups`` (two groups: its written-out branch when both are big enough; three: the
    general way, each session put at its group's place unless groups merged) against ``hold`` (with a
    further, unscheduled empty group: the general way) and ``sessions_of``: per group the same session
    or None, and the same rows, daily row and hours, over days of random group sizes (some too small:
    merged or cancelled) with facilitators and rooms running short."""
    import random

    from simiop.model.sessions import sessions_of

    rng = random.Random(seed)
    config = tiny_config(tracks__day__groups=groups, rooms__group_rooms=rng.choice([1, 2]))
    short, long = (roster_of(config), SessionLog()), (roster_of(config), SessionLog())
    track = track_of(config)
    holders = (
        Sessions(short[0], config.rooms.group_rooms, short[1]),
        Sessions(long[0], config.rooms.group_rooms, long[1]),
    )
    extras: tuple[list[list[Enrolment]], ...] = ([], [[]])  # the long way's further empty group
    for day in range(12):
        sizes = [rng.choice([0, 1, 2, 3, 4, 6, 9]) for _ in range(groups)]
        found = []
        for (roster, log), sessions, extra in zip((short, long), holders, extras, strict=True):
            came = [_patients(track, roster, 100 * day + 20 * k, size) for k, size in enumerate(sizes)]
            attendance = Attendance(track, day, day // 7, TrackDay(day=day, track=track.name), came + extra,
                                    [bool(g) for g in came] + [False] * len(extra))  # fmt: skip
            if extra:
                per_group = sessions_of(came, sessions.hold(attendance))
            else:
                per_group = sessions.hold_groups(attendance)
            for group, session in zip(came, per_group, strict=True):
                assert session is None or (
                    {id(e) for e in group} <= {id(e) for e in session.members}
                    and (
                        session.ids is None or session.ids == [e.episode.episode_id for e in session.members]
                    )
                )
            found.append(([None if s is None else [e.episode.episode_id for e in s.members] for s in per_group],
                          attendance.row))  # fmt: skip
            log.close_day()
        assert found[0] == found[1], (day, sizes)
    assert _rows(short[1]) == _rows(long[1])
    assert [p.hours_by_week for p in short[0].by_role["therapist"]] == [
        p.hours_by_week for p in long[0].by_role["therapist"]
    ]


@pytest.mark.parametrize(
    "changes",
    [
        [],  # every track-day held the short way: no facilitator's day ever made
        [  # cover people called in on some days: the long way decides those
            "staff.roles.therapist.count=1",
            "staff.roles.therapist.weekly_hours=10",
            "staff.roles.therapist.cover={hourly_cost_usd: 50}",
        ],
        # intake assessments by the facilitators' role on Mondays at the groups' time, booked before them
        ["referrals.sources.arrivals.direct_admission=false"],
    ],
)
def test_a_one_track_clinic_without_care_holds_its_groups_as_with_facilitators_days_kept(
    changes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Sessions(timelines=False)`` (one track, no care service: the M/M/c clinic) against the same run
    with every facilitator's day kept (``timelines=True``): the same sessions.csv, daily and staff rows;
    and without, the short way makes no facilitator's ``Timeline`` at all."""
    from pathlib import Path

    from simiop.config import load_config
    from simiop.model import simulate

    config = load_config(
        Path(__file__).parent.parent / "configs" / "validation" / "mmc.yaml",
        ["simulation.horizon_days=120", *changes],
    )
    made: list[Sessions] = []
    plain_init = Sessions.__init__

    def kept(self: Sessions, *args: object, **kwargs: object) -> None:
        plain_init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(Sessions, "__init__", kept)
    records = simulate(config, 5, 0)
    without = records.sessions.rows(), records.track_days, list(records.staff_days)
    assert [sessions._timelines for sessions in made] == [False]
    if not changes:
        assert all(person.timeline_day == -1 for person in made[0]._roster.by_role["therapist"])

    def every_day_kept(self: Sessions, *args: object, **kwargs: object) -> None:
        kept(self, *args, **kwargs)
        self._timelines = True

    monkeypatch.setattr(Sessions, "__init__", every_day_kept)
    records = simulate(config, 5, 0)
    assert made[-1]._timelines
    assert (records.sessions.rows(), records.track_days, list(records.staff_days)) == without
    assert sum(day.groups_run for day in without[1]) > 20  # groups ran: the case is exercised
    if changes and "direct_admission=false" in changes[0]:
        assert any(row.kind == "intake" for row in without[0])  # assessments held: the case is exercised
