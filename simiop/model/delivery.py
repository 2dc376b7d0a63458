"""The after-pass: group sessions and care over the flow's track-days, in clock order."""

from __future__ import annotations

from itertools import chain

from simiop.config.model import SimiopConfig
from simiop.model.attendance import Attendance
from simiop.model.care import Care
from simiop.model.records import PatientDays
from simiop.model.sessions import HeldSessions, hold_sessions
from simiop.model.staff import Roster


def deliver(config: SimiopConfig, roster: Roster, days: list[Attendance], patient_days: PatientDays) -> None:
    """Run each track-day's sessions, then care for each patient who came, in the order of ``days``.

    ``days`` is in clock order (day, then track start time), the order in
    which staff hours are claimed: a track's sessions before its patients'
    care, an earlier track before a later one.
    """
    care = Care(config, roster, patient_days)
    group_rooms = config.rooms.group_rooms
    earlier: list[HeldSessions] = []
    today = -1
    for attendance in days:
        day, week, row = attendance.day, attendance.week, attendance.row
        if day != today:
            earlier, today = [], day
        spec = attendance.track.spec
        per_day = spec.group_sessions_per_day
        in_session: set[int] = set()
        for session in hold_sessions(attendance, roster, group_rooms, earlier):
            for enrolment in session:
                in_session.add(enrolment.episode.episode_id)
                enrolment.episode.group_sessions_attended += per_day
            row.group_attendances += per_day * len(session)
        care.care_for(day, week, row, chain.from_iterable(attendance.came), in_session)
