"""The clock of a programme day and of a person's working day, worked out from the config alone.

One clock for everything, in minutes since midnight as floats (config minutes
are floats, ``session_minutes: 50.0``, so the clock is never rounded). These
helpers are pure and shared: the model books sessions with them, the staffing
rules refuse configs with them, and the tests check sessions.csv with them, so
the three can never disagree about when a session runs or how much direct
time a person has.

Sources (issue 18, sources.md):

- non-direct share of paid time (documentation, meetings, supervision): direct
  care is 60-77% of paid time (Sullivan et al. 2003, J Ment Health Policy Econ
  6(2):89-97: 77% clinical; Psychiatric Services 1999;50(5):695: a 60% example;
  a 75% productivity standard, Frontiers in Psychology 2023);
- the base shift windows 08:00-17:00 and 13:00-22:00 are ASSUMPTION (the
  evening track's 18:00-21:00 follows a published Mon/Tue/Thu evening-track
  example, the window around it does not);
- breaks: the programme day's slack is spread evenly, one break after each
  session (ASSUMPTION; the baseline gets 09:00-09:50, 10:00-10:50, 11:00-11:50,
  like UCSF's day-track example of three 50-minute groups).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from simiop.config.base import minutes_of

if TYPE_CHECKING:
    from simiop.config.model import SimiopConfig
    from simiop.config.staff import StaffRole
    from simiop.config.tracks import Track

Window = tuple[float, float]
"""[start, end) in minutes since midnight."""

Shift = Literal["day", "evening", "both"]

MINUTES_PER_DAY = 24 * 60.0

BASE_WINDOWS: dict[Literal["day", "evening"], Window] = {
    "day": (8 * 60.0, 17 * 60.0),
    "evening": (13 * 60.0, 22 * 60.0),
}
"""The shift windows a config gets when it names none and its tracks and intake slots fit inside them:
day 08:00-17:00 and evening 13:00-22:00 (ASSUMPTION; 9 h each, room for an 8 h paid day)."""


def programme_minutes(track: Track) -> Window:
    """(start, end) of the track's programme day, in minutes since midnight (end may be 1440, midnight)."""
    start = minutes_of(track.start_time)
    return start, start + track.hours_per_day * 60.0


def _slot_length(track: Track) -> float:
    """Minutes from one session's start to the next: the programme day split evenly among its sessions."""
    return track.hours_per_day * 60.0 / track.group_sessions_per_day


def session_times(track: Track) -> tuple[Window, ...]:
    """(start, end) minute of each group session of a programme day, in order.

    Session k starts at ``start + k * L`` with ``L = hours_per_day * 60 / n``
    and lasts ``session_minutes``; the rest of its slot (L - session_minutes)
    is the break after it (ASSUMPTION: breaks spread evenly).
    """
    start = minutes_of(track.start_time)
    length = _slot_length(track)
    return tuple(
        (start + k * length, start + k * length + track.session_minutes)
        for k in range(track.group_sessions_per_day)
    )


def pull_out_slots(track: Track) -> tuple[Window, ...]:
    """Each group session with the break after it: where a pulled-out care session may go."""
    start = minutes_of(track.start_time)
    length = _slot_length(track)
    return tuple((start + k * length, start + (k + 1) * length) for k in range(track.group_sessions_per_day))


def _hull(window: Window, other: Window) -> Window:
    return min(window[0], other[0]), max(window[1], other[1])


def shift_windows(config: SimiopConfig) -> dict[Shift, Window]:
    """The clock window of each shift: ``staff.shifts`` where given, else derived; ``both`` spans the two.

    A derived window is the span of its base window (``BASE_WINDOWS``), the
    programme hours of every enabled track of the shift, and the slots of the
    intake role when it works that shift. A ``both`` intake role's slots
    widen the day window when they start before the evening base window does,
    else the evening one. So every existing config, which names no windows,
    gets windows that hold all of its work.
    """
    explicit = {"day": config.staff.shifts.day, "evening": config.staff.shifts.evening}
    windows: dict[Shift, Window] = {}
    for shift in ("day", "evening"):
        given = explicit[shift]
        if given is not None:
            windows[shift] = (minutes_of(given.start), minutes_of(given.end))
            continue
        window = BASE_WINDOWS[shift]
        for track in config.tracks.values():
            if track.enabled and track.shift == shift:
                window = _hull(window, programme_minutes(track))
        for slot_shift, slot in intake_slot_windows(config):
            if slot_shift == shift:
                window = _hull(window, slot)
        windows[shift] = window
    windows["both"] = _hull(windows["day"], windows["evening"])
    return windows


def intake_slot_windows(config: SimiopConfig) -> list[tuple[Literal["day", "evening"], Window]]:
    """(shift, [start, end)) of every intake slot, the shift being the one whose window must hold it."""
    role = config.staff.roles.get(config.intake.staff_role)
    if role is None:
        return []
    found: list[tuple[Literal["day", "evening"], Window]] = []
    for slot in config.intake.schedule:
        start = minutes_of(slot.start_time)
        window = (start, start + config.intake.assessment_minutes)
        if role.shift == "both":
            found.append(("day" if start < BASE_WINDOWS["evening"][0] else "evening", window))
        else:
            found.append((role.shift, window))
    return found


def paid_hours_per_day(role: StaffRole, window_hours: float) -> float:
    """Paid hours of one person of ``role`` on a working day (hours).

    With ``days_per_week``: ``weekly_hours * fte / days_per_week`` (8 h for a
    full-timer on 5 days). Without: the whole shift window on any day,
    bounded by the week, ``min(window_hours, weekly_hours * fte)``; so configs
    written before issue 18 (an 80 h validation week, an 8 h test week) keep
    every day they could work.
    """
    weekly = role.weekly_hours * role.fte
    if role.days_per_week is not None:
        return weekly / role.days_per_week
    return min(window_hours, weekly)


def daily_direct_limit_minutes(role: StaffRole, window_hours: float) -> float:
    """Most direct-care minutes one person of ``role`` may be booked on one day (minutes).

    ``60 * paid_hours_per_day * (1 - non_direct_share)``: the rest of the paid
    day is documentation, meetings and supervision (direct care is 60-77% of
    paid time in the sources above; the shipped share 0.35 is ASSUMPTION within
    that range). The baseline therapist: 8 h x 0.65 = 312 minutes.
    """
    return 60.0 * paid_hours_per_day(role, window_hours) * (1.0 - role.non_direct_share)


def weekly_direct_limit_hours(role: StaffRole) -> float:
    """Most direct-care hours one person of ``role`` may be booked in a calendar week (hours).

    ``weekly_hours * fte * (1 - non_direct_share)``: 26 h for the baseline therapist.
    """
    return role.weekly_hours * role.fte * (1.0 - role.non_direct_share)


def window_hours(window: Window) -> float:
    """Length of a clock window in hours."""
    return (window[1] - window[0]) / 60.0


def clock_text(minute: float) -> str:
    """A minute since midnight as "HH:MM" ("24:00" at midnight), with seconds only when not whole minutes."""
    seconds = round(minute * 60)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
