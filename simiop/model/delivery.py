"""The after-pass: group sessions and care over the flow's track-days, in clock order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simiop.config.model import SimiopConfig
from simiop.model.attendance import Attendance
from simiop.model.care import Care
from simiop.model.records import PatientDays
from simiop.model.sessions import HeldSessions, Sessions
from simiop.model.staff import Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment


def deliver(config: SimiopConfig, roster: Roster, days: list[Attendance], patient_days: PatientDays) -> None:
    """Run each track-day's sessions, then care for each patient who came, in the order of ``days``.

    ``days`` is in clock order (day, then track start time), the order in
    which staff hours are claimed: a track's sessions before its patients'
    care, an earlier track before a later one. The episodes' counts are
    added up from the record at the end (Care.close).
    """
    care = Care(config, roster, patient_days)
    hold = Sessions(roster, config.rooms.group_rooms).hold
    earlier: list[HeldSessions] = []
    today = -1
    for attendance in days:
        day, row, came = attendance.day, attendance.row, attendance.came
        if day != today:
            earlier, today = [], day
        held = hold(attendance, earlier)
        if held:
            per_day = attendance.track.spec.group_sessions_per_day
            row.group_attendances += per_day * sum(map(len, held))
        ran = [bool(held)] if len(came) == 1 else groups_ran(came, held)
        care.care_for(attendance.track, day, attendance.week, row, came, ran)
    care.close()


def groups_ran(came: Sequence[Sequence[Enrolment]], held: Sequence[Sequence[Enrolment]]) -> list[bool]:
    """Per group of ``came``: whether its session ran, i.e. its members are in one of ``held``.

    A session that merged nothing is its group's own list; a group is never
    split (merging moves whole groups), so otherwise its first member tells.
    """
    if len(came) == 1:
        return [bool(held)]
    sessions = {id(session) for session in held}
    return [
        bool(group) and (id(group) in sessions or any(group[0] in session for session in held))
        for group in came
    ]
