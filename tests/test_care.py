"""Care on attended days on the clock: individual, prescriber and family sessions when due, placed as a
pull-out, before or after the programme day with a person of the patient's shift, or missed with a reason."""

from __future__ import annotations

import pytest

from simiop.model.attendance import Attendance
from simiop.model.care import Care, _fitting
from simiop.model.delivery import deliver
from simiop.model.records import PatientDays, TrackDay
from simiop.model.sessions import HeldSession, SessionLog, sessions_of
from simiop.model.stay import Enrolment
from tests.tiny_world import enrolment, roster_of, tiny_config, track_of


def ran(group: list[Enrolment], sessions: int = 3) -> HeldSession:
    """The session a group met in, its patients listed in each of the day's sessions."""
    return HeldSession(group, [[e.episode.episode_id for e in group] for _ in range(sessions)])


def rows_of(log: SessionLog) -> list[tuple[object, ...]]:
    """(day, kind, placement, session, start, end, staff, outcome, reason) of each row."""
    return [
        (r.day, r.kind, r.placement, r.session, r.start_minute, r.end_minute, r.staff, r.outcome, r.reason)
        for r in log.records().rows()
    ]


def test_first_day_gets_individual_prescriber_and_family_then_each_waits_until_due() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    patient = enrolment(0, track, therapist, family=True)
    days = PatientDays()
    log = SessionLog()
    care = Care(config, roster, days, log)
    for day in (0, 1, 7, 14):
        care.care_for(track, day, day // 7, TrackDay(day=day, track="day"), [[patient]], [ran([patient])])
        log.close_day()
    care.close()
    services = [(d.day, d.individual_hours, d.prescriber_hours, d.family_hours) for d in days]
    assert services == [
        (0, 50 / 60, 1.0, 50 / 60),  # everything due at admission; the first prescriber visit is 60 min
        (1, 0.0, 0.0, 0.0),  # one individual session a week; the others every two weeks
        (7, 50 / 60, 0.0, 0.0),
        (14, 50 / 60, 20 / 60, 50 / 60),  # follow-up visit 20 min
    ]
    assert [d.prescriber_initial for d in days] == [True, False, False, False]
    # The individual session is pulled out of the first group (one service, not two): 2 groups + care.
    assert [d.groups for d in days] == [2, 3, 2, 2]
    assert [d.services for d in days] == [2 + 3, 3, 2 + 1, 2 + 3]
    assert days[0].hours == pytest.approx(2.5 - 50 / 60 + 50 / 60 + 1 + 50 / 60)
    assert (patient.episode.individual_sessions, patient.episode.prescriber_visits) == (3, 2)
    assert patient.episode.family_sessions == 2
    assert patient.episode.group_sessions_attended == 2 + 3 + 2 + 2
    assert therapist.hours_left(0) == pytest.approx(26 - 50 / 60 - 50 / 60)
    assert roster.row("prescriber", 0).prescriber_hours == 1.0
    therapist_1, prescriber_1 = ("therapist_1",), ("prescriber_1",)
    # One pull-out a day: the prescriber goes just before the programme day (09:00), inside the
    # prescriber's window (08:00-22:00); the family session cannot fit before 08:00 for the
    # day-shift therapist, so it goes just after (12:00).
    assert rows_of(log) == [
        (0, "prescriber_initial", "before", -1, 480.0, 540.0, prescriber_1, "held", ""),
        (0, "individual", "pull_out", 0, 540.0, 590.0, therapist_1, "held", ""),
        (0, "family", "after", -1, 720.0, 770.0, therapist_1, "held", ""),
        (7, "individual", "pull_out", 0, 540.0, 590.0, therapist_1, "held", ""),
        (14, "prescriber_follow_up", "before", -1, 520.0, 540.0, prescriber_1, "held", ""),
        (14, "individual", "pull_out", 0, 540.0, 590.0, therapist_1, "held", ""),
        (14, "family", "after", -1, 720.0, 770.0, therapist_1, "held", ""),
    ]


def test_care_competes_for_hours_and_an_absent_group_is_not_billed_as_programme_hours() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    roster.book(therapist, 0, 0, 25.5, "group")  # 0.5 h of the 26 h left: no 50-minute session
    prescriber = roster.by_role["prescriber"][0]
    roster.book(prescriber, 0, 0, 11.5, "prescriber")  # half time, 12 h direct: 0.5 h left, not 60 min
    patient = enrolment(0, track, therapist, family=True)
    patient.denied_on = 0
    days = PatientDays()
    log = SessionLog()
    care = Care(config, roster, days, log)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [None])  # no group ran
    care.close()
    (record,) = days
    assert (record.services, record.hours, record.groups, record.programme_hours) == (0, 0.0, 0, 0.0)
    assert record.review_denied
    assert patient.care.next_prescriber_day == 0  # still due: tried again on the next attended day
    assert [(kind, outcome, reason) for _, kind, _, _, _, _, _, outcome, reason in rows_of(log)] == [
        ("individual", "missed", "no_staff_time"),
        ("family", "missed", "no_staff_time"),  # a day's rows in (start, kind) order; missed last
        ("prescriber_initial", "missed", "no_staff_time"),
    ]
    assert all(r.start_minute != r.start_minute for r in log.records().rows())  # missed: no time (nan)


def test_delivery_holds_every_group_of_the_day_before_care_and_pull_outs_leave_the_group() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapists = roster.by_role["therapist"]
    came = [[enrolment(i, track, therapists[0]) for i in range(3)], [enrolment(9, track, therapists[1])]]
    row = TrackDay(day=0, track="day")
    days = PatientDays()
    log = deliver(config, roster, [Attendance(track, 0, 0, row, came, [True, True])], days)
    assert [d.episode_id for d in days] == [0, 1, 2, 9]
    # The lone patient merged into the session; three patients were pulled out of one group each.
    assert [d.groups for d in days] == [2, 2, 3, 2]
    assert (row.groups_run, row.groups_merged, row.group_attendances) == (1, 1, 12 - 3)
    assert came[1][0].episode.group_sessions_attended == 2
    # Facilitation (150 min, the smallest id) came before individual sessions: therapist_1 is busy
    # 09:00-12:00, so their patients come before (08:10-09:00) or after the programme day.
    assert therapists[0].hours_left(0) == pytest.approx(26 - 2.5 - 3 * 50 / 60)
    assert row.individual_hours == pytest.approx(4 * 50 / 60)
    held = [r for r in log.records().rows() if r.outcome == "held"]
    groups = [r for r in held if r.kind == "group"]
    assert [r.patients for r in groups] == [(1, 2), (0, 2, 9), (0, 1, 2, 9)]
    assert [(r.kind, r.placement, r.start_minute, r.patients) for r in held if r.kind != "group"] == [
        ("individual", "before", 490.0, (0,)),
        ("individual", "pull_out", 540.0, (9,)),
        ("prescriber_initial", "pull_out", 540.0, (0,)),
        ("prescriber_initial", "pull_out", 600.0, (1,)),
        ("individual", "after", 720.0, (1,)),
        ("individual", "after", 770.0, (2,)),  # stacked after the last, on the 10-minute grid
    ]
    # The half-time prescriber's day holds 144 direct minutes (4 paid hours x 0.6): two visits.
    missed = [(r.kind, r.patients, r.reason) for r in log.records().rows() if r.outcome == "missed"]
    assert missed == [
        ("prescriber_initial", (2,), "no_staff_time"),
        ("prescriber_initial", (9,), "no_staff_time"),
    ]


def test_close_adds_each_episodes_group_sessions_and_hours_in_row_order() -> None:
    config = tiny_config(services__individual_therapy=None, services__prescriber=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    first, second = enrolment(0, track, therapist), enrolment(1, track, therapist)
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[first, second]], [ran([first, second])])
    care.care_for(track, 1, 0, TrackDay(day=1, track="day"), [[second], [first]], [None, ran([first])])
    care.care_for(track, 2, 0, TrackDay(day=2, track="day"), [[first]], [ran([first])])
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
        care.care_for(
            track, day, 0, TrackDay(day=day, track="day"), [[denied, other]], [ran([denied, other])]
        )
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
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [ran([patient])])
    assert patient.care.next_due == 7  # the next week's Monday; the prescriber not before day 14
    # Only next_due decides whether the patient is looked at: moved by hand here (care keeps the
    # two in step), the earlier prescriber day is not seen before day 7.
    patient.care.next_prescriber_day = 1
    for day in (1, 2):
        care.care_for(track, day, 0, TrackDay(day=day, track="day"), [[patient]], [ran([patient])])
    assert patient.care.next_due == 7
    care.care_for(track, 7, 1, TrackDay(day=7, track="day"), [[patient]], [ran([patient])])
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
    roster.book(therapist, 0, 0, 25.5, "group")  # 0.5 h of 26 left this week: no 50-minute session
    patient = enrolment(0, track, therapist)
    days = PatientDays()
    care = Care(config, roster, days)
    care.care_for(track, 3, 0, TrackDay(day=3, track="day"), [[patient]], [ran([patient])])
    assert patient.care.next_due == 3  # still due
    care.care_for(
        track, 7, 1, TrackDay(day=7, track="day"), [[patient]], [ran([patient])]
    )  # a new week's hours
    care.close()
    assert [d.individual_hours for d in days] == [0.0, 50 / 60]
    assert patient.episode.individual_sessions == 1


def test_sessions_of_each_group_by_identity_or_membership() -> None:
    config = tiny_config()
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    a, b, c = ([enrolment(10 * g + i, track, therapist) for i in range(n)] for g, n in enumerate((3, 1, 2)))
    session, merged = ran(a), ran([*a, *b])
    assert sessions_of([a], [session]) == [session]
    assert sessions_of([a], []) == [None]
    assert sessions_of([a, [], c], [session]) == [session, None, None]
    assert sessions_of([a, b, c], [merged]) == [merged, merged, None]  # b merged into a's session
    own_c = ran(c)
    assert sessions_of([a, c], [own_c, session]) == [session, own_c]  # each its own list: by identity
    assert sessions_of([c, b, a], [own_c, merged]) == [own_c, merged, merged]  # one own, two merged


def test_exact_trace_of_one_evening_patient_with_one_evening_therapist() -> None:
    """Groups 18:00-21:00 by the one evening therapist; the patient's care around them, or missed."""
    config = tiny_config(tracks__evening__group_size={"min": 1, "max": 12})
    roster, track = roster_of(config), track_of(config, "evening")
    (therapist,) = roster.by_role["evening_therapist"]
    patient = enrolment(0, track, therapist, family=True)
    days = PatientDays()
    attendances = [
        Attendance(track, day, day // 7, TrackDay(day=day, track="evening"), [[patient]], [True])
        for day in (0, 7)
    ]
    log = deliver(config, roster, attendances, days)
    evening_1, prescriber_1 = ("evening_therapist_1",), ("prescriber_1",)
    nan = pytest.approx(float("nan"), nan_ok=True)
    assert rows_of(log) == [
        # Before the groups: the therapist facilitates 18:00-21:00, so individual therapy is 17:10-18:00.
        (0, "individual", "before", -1, 1030.0, 1080.0, evening_1, "held", ""),
        (0, "group", "programme", 0, 1080.0, 1130.0, evening_1, "held", ""),
        # The prescriber works both shifts (08:00-22:00): pulled out of the first group.
        (0, "prescriber_initial", "pull_out", 0, 1080.0, 1140.0, prescriber_1, "held", ""),
        (0, "group", "programme", 1, 1140.0, 1190.0, evening_1, "held", ""),
        (0, "group", "programme", 2, 1200.0, 1250.0, evening_1, "held", ""),
        # Family sessions are by the day-shift therapist role: nobody of it works evenings.
        (0, "family", "", -1, nan, nan, (), "missed", "no_staff_on_shift"),
        (7, "individual", "before", -1, 1030.0, 1080.0, evening_1, "held", ""),
        (7, "group", "programme", 0, 1080.0, 1130.0, evening_1, "held", ""),
        (7, "group", "programme", 1, 1140.0, 1190.0, evening_1, "held", ""),
        (7, "group", "programme", 2, 1200.0, 1250.0, evening_1, "held", ""),
        (7, "family", "", -1, nan, nan, (), "missed", "no_staff_on_shift"),
    ]
    assert [(d.day, d.groups, d.services) for d in days] == [(0, 2, 4), (7, 3, 4)]
    assert (patient.episode.group_sessions_attended, patient.episode.individual_sessions) == (5, 2)
    assert patient.episode.service_hours == pytest.approx((5 * 50 + 2 * 50 + 60) / 60)
    assert therapist.hours_left(1) == pytest.approx(26 - (150 + 50) / 60)
    assert therapist.today(7).direct == 200.0
    assert patient.care.next_family_day == 0  # the family session is still due


def test_missed_care_says_why_absent_no_slot_or_no_pull_out_left() -> None:
    config = tiny_config(
        services__individual_therapy__placement=["pull_out"],
        services__max_pull_outs_per_day=0,
        services__family=None,
        services__prescriber__placement=["before"],
        services__outside_window_minutes=0,
    )
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    patient = enrolment(0, track, therapist)
    days = PatientDays()
    log = SessionLog()
    care = Care(config, roster, days, log)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [ran([patient])])
    log.close_day()
    therapist.absent[1] = True  # the primary therapist is away: no substitute for individual therapy
    care.care_for(track, 1, 0, TrackDay(day=1, track="day"), [[patient]], [ran([patient])])
    care.close()
    assert [(day, kind, reason) for day, kind, *_, reason in rows_of(log)] == [
        (0, "individual", "no_slot"),  # no pull-out allowed and nowhere else to go
        (0, "prescriber_initial", "no_slot"),  # before the programme day, with no time allowed before it
        (1, "individual", "staff_absent"),
        (1, "prescriber_initial", "no_slot"),
    ]
    assert [d.services for d in days] == [3, 3]


def test_pull_out_slots_a_session_fits_in() -> None:
    """A session pulled out at a slot's start must end by the slot's end (floats within EPS)."""
    slots = [(540.0, 590.0), (600.0, 650.0 - 1e-12), (660.0, 700.0)]
    assert _fitting(slots, 50.0) == [(0, 540.0, 590.0), (1, 600.0, 650.0)]
    assert _fitting(slots, 20.0) == [(0, 540.0, 560.0), (1, 600.0, 620.0), (2, 660.0, 680.0)]
    assert _fitting(slots, 60.0) == []


def test_able_is_who_has_the_minutes_left_else_why_nobody() -> None:
    """Care._able: the pool's people with the minutes left today and this week, in pool order; an empty
    pool is staff_absent if the role works the shift, no_staff_on_shift if nobody of it ever does;
    a pool with nobody who has the minutes left is no_staff_time."""
    config = tiny_config()
    roster = roster_of(config)
    care = Care(config, roster, PatientDays(), SessionLog())
    first, second, third = roster.by_role["therapist"][:3]
    assert care._able([], "therapist", "day", 0, 0, 50.0) == "staff_absent"
    assert care._able([], "therapist", "evening", 0, 0, 50.0) == "no_staff_on_shift"
    assert care._able([first, second, third], "therapist", "day", 0, 0, 50.0) == [first, second, third]
    first.today(0).direct = first.daily_limit - 49.0  # 49 minutes left today
    second.hours_by_week[0] = second.weekly_hours - 0.5  # 30 minutes left this week
    assert care._able([first, second, third], "therapist", "day", 0, 0, 50.0) == [third]
    assert care._able([first, second, third], "therapist", "day", 0, 0, 30.0) == [first, second, third]
    assert care._able([first, second], "therapist", "day", 0, 0, 50.0) == "no_staff_time"
    assert care._able([first], "therapist", "day", 1, 0, 50.0) == [first]  # a new day: its own minutes


@pytest.mark.parametrize(
    ("busy", "expected"),
    [
        ((), ("pull_out", 0, 540.0)),
        (((540.0, 590.0),), ("pull_out", 1, 600.0)),  # the first slot taken: the next one
        (((540.0, 650.0),), ("pull_out", 2, 660.0)),
        (((540.0, 720.0),), ("before", -1, 490.0)),  # busy across every slot: none is tried
        (((530.0, 540.0), (540.0, 720.0)), ("before", -1, 480.0)),  # below what is in the way, from 08:00
        (((500.0, 540.0), (540.0, 720.0)), ("after", -1, 720.0)),  # no 50 minutes from 08:00 to 08:20
    ],
)
def test_one_therapist_s_session_goes_in_the_first_free_slot_else_next_to_the_programme_day(
    busy: tuple[tuple[float, float], ...], expected: tuple[str, int, float]
) -> None:
    """The one-person search (the patient's own therapist): pull-out slots in clock order, then before
    the programme day (09:00-12:00) stepping back from it, then after; the therapist's day as given."""
    config = tiny_config(services__prescriber=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    for start, end in busy:
        therapist.today(0).take(start, end)
    patient = enrolment(0, track, therapist)
    log = SessionLog()
    care = Care(config, roster, PatientDays(), log)
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [ran([patient])])
    (row,) = log.records().rows()
    placement, slot, start = expected
    assert (row.kind, row.placement, row.session, row.start_minute, row.end_minute) == (
        "individual", placement, slot, start, start + 50.0,
    )  # fmt: skip
    assert therapist.today(0).direct == 50.0  # the session's minutes; the hand-made busy time is not direct


def test_a_day_the_prescriber_lacks_the_minutes_misses_each_patient_but_a_shorter_visit_still_fits() -> None:
    """Nobody of the pool with the minutes for a first visit stays so for the rest of the day's care (care
    only adds minutes): every patient due one is missed; a 20-minute follow-up still fits the same day,
    and the next day the first visits are held again."""
    config = tiny_config(services__individual_therapy=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    prescriber = roster.by_role["prescriber"][0]
    prescriber.today(0).direct = prescriber.daily_limit - 30.0  # 30 minutes left on day 0
    first, second, seen = (enrolment(i, track, therapist) for i in range(3))
    seen.care.prescriber_seen = True  # due a follow-up (20 minutes)
    log = SessionLog()
    care = Care(config, roster, PatientDays(), log)
    group = [first, second, seen]
    for day in (0, 1):
        care.care_for(track, day, 0, TrackDay(day=day, track="day"), [group], [ran(group)])
        log.close_day()
    care.close()
    rows = [(r.day, r.kind, r.patients, r.outcome, r.reason) for r in log.records().rows()]
    assert [r for r in rows if r[1] != "group"] == [
        (0, "prescriber_follow_up", (2,), "held", ""),
        (0, "prescriber_initial", (0,), "missed", "no_staff_time"),
        (0, "prescriber_initial", (1,), "missed", "no_staff_time"),
        (1, "prescriber_initial", (0,), "held", ""),
        (1, "prescriber_initial", (1,), "held", ""),
    ]
    assert (first.care.next_prescriber_day, second.care.next_prescriber_day) == (15, 15)


def test_a_pool_nobody_of_which_is_at_work_or_on_the_shift_is_asked_once_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pool's reason for missing a session (nobody of the role at work: staff_absent; nobody of it on the
    track's shift at all: no_staff_on_shift) holds all day: the pool is asked about the first patient
    of the day only, and every patient due gets the missed row with that reason."""
    config = tiny_config(services__individual_therapy=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    absent = roster.presence("prescriber", track.spec.shift)
    absent[0] = []  # nobody of the role at work on day 0 (the table every question reads)
    patients = [enrolment(i, track, therapist) for i in range(3)]
    asked: list[object] = []
    able = Care._able

    def counted(self: Care, *args: object) -> object:
        asked.append(args[3])  # the day
        return able(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Care, "_able", counted)
    log = SessionLog()
    care = Care(config, roster, PatientDays(), log)
    groups = [patients[:2], patients[2:]]
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), groups, [ran(g) for g in groups])
    log.close_day()
    assert asked == [0]  # the first patient's question answered the day's other two
    rows = [(r.day, r.kind, r.patients, r.reason) for r in log.records().rows()]
    assert rows == [(0, "prescriber_initial", (i,), "staff_absent") for i in range(3)]
    # Family sessions (the therapist role's) for the evening track's patients, whose therapist is an
    # evening therapist: nobody of the therapist role ever works the evening shift.
    config = tiny_config(services__individual_therapy=None, services__prescriber=None)
    roster, evening = roster_of(config), track_of(config, "evening")
    theirs = roster.by_role["evening_therapist"][0]
    patients = [enrolment(10 + i, evening, theirs, family=True) for i in range(3)]
    asked.clear()
    log = SessionLog()
    care = Care(config, roster, PatientDays(), log)
    care.care_for(evening, 0, 0, TrackDay(day=0, track="evening"), [patients], [ran(patients)])
    care.care_for(evening, 1, 0, TrackDay(day=1, track="evening"), [patients], [ran(patients)])
    log.close_day()
    assert asked == [0, 1]  # once a day
    rows = [(r.day, r.kind, r.patients, r.reason) for r in log.records().rows()]
    assert rows == [(d, "family", (10 + i,), "no_staff_on_shift") for d in (0, 1) for i in range(3)]


def test_a_patient_s_day_holds_an_assessment_outside_the_programme_day_and_nothing_else_until_booked() -> (
    None
):
    from simiop.model.care import NOTHING_BOOKED, PatientToday

    programme = (540.0, 720.0)
    assert PatientToday(programme).timeline is NOTHING_BOOKED  # shared: nothing booked yet
    assert PatientToday(programme, (480.0, 530.0)).timeline.intervals() == [(480.0, 530.0)]
    assert PatientToday(programme, (720.0, 780.0)).timeline.intervals() == [(720.0, 780.0)]  # touching
    inside = PatientToday(programme, (600.0, 660.0))  # joined during the day: not busy next to it
    assert inside.timeline is NOTHING_BOOKED
    assert not inside.free_in_programme(630.0, 680.0)
    assert inside.free_in_programme(660.0, 710.0)
    # A session booked before the programme day gives the patient a timeline of their own.
    config = tiny_config(services__prescriber=None, services__family=None)
    roster, track = roster_of(config), track_of(config)
    therapist = roster.by_role["therapist"][0]
    therapist.today(0).take(540.0, 720.0, 150.0)  # facilitating all day: no pull-out
    patient = enrolment(0, track, therapist)
    care = Care(config, roster, PatientDays(), SessionLog())
    care.care_for(track, 0, 0, TrackDay(day=0, track="day"), [[patient]], [ran([patient])])
    assert NOTHING_BOOKED.intervals() == []  # never written
    assert therapist.today(0).intervals() == [(490.0, 540.0), (540.0, 720.0)]


@pytest.mark.parametrize("seed", range(4))
def test_searches_next_to_the_programme_day_do_not_see_the_programme_day_itself(seed: int) -> None:
    """``_steps_before`` and ``_steps_after`` give the same steps whether or not the patient's timeline holds
    the programme day (PatientToday leaves it out): on random busy days of a person and a patient."""
    import random

    from simiop.model.care import _steps_after, _steps_before
    from simiop.model.clock import Timeline

    rng = random.Random(seed)
    first, last = 540.0, 720.0
    for _ in range(300):
        person, bare = Timeline(), Timeline()
        for timeline, count in ((person, rng.randrange(5)), (bare, rng.randrange(3))):
            for _ in range(count):
                start = rng.choice([first, last]) + rng.choice([-1, 1]) * rng.randrange(0, 200, 5)
                end = start + rng.choice([20.0, 50.0, 60.0])
                if (end <= first or start >= last or timeline is person) and timeline.free(start, end):
                    timeline.take(start, end)
        with_day = Timeline(first, last)
        for start, end in bare.intervals():
            with_day.take(start, end)
        window = (rng.choice([420.0, 480.0]), rng.choice([900.0, 1020.0]))
        minutes = rng.choice([20.0, 50.0, 60.0])
        assert _steps_before(person, bare, window, first, minutes, first - 120.0) == _steps_before(
            person, with_day, window, first, minutes, first - 120.0
        )
        assert _steps_after(person, bare, window, last, minutes, last + 120.0) == _steps_after(
            person, with_day, window, last, minutes, last + 120.0
        )
