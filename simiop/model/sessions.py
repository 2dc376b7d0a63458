"""Group sessions of one programme day of one track: merging small groups, facilitators and rooms.

A function over one track-day (``hold_sessions``; ``Sessions.hold`` when many
track-days are held in turn), run after the flow in clock order; the sessions
of other tracks earlier the same day are passed in, since they hold rooms and
facilitators at overlapping hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from simiop.model.attendance import Attendance
from simiop.model.staff import Person, Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState

T = TypeVar("T")


@dataclass(slots=True)
class HeldSessions:
    """The sessions one track ran at some hours of a day: what they hold of the clinic's rooms and staff."""

    start_hours: float
    end_hours: float
    rooms: int
    facilitators: set[str] = field(default_factory=set)


def merge_groups(came: list[list[T]], size_min: int, size_max: int) -> tuple[list[list[T]], int, int]:
    """Who meets together: groups below the minimum merge into others; (sessions, merges, cancelled).

    Groups are taken largest first; a small group joins the smallest running
    session it fits in, else a pending combination of small groups; a pending
    combination still below the minimum is cancelled (too few).
    """
    nonempty = sorted((g for g in came if g), key=len, reverse=True)
    running = [list(g) for g in nonempty if len(g) >= size_min]
    pending: list[list[T]] = []
    merged = cancelled = 0
    for small in (g for g in nonempty if len(g) < size_min):
        target = min((r for r in running if len(r) + len(small) <= size_max), key=len, default=None)
        if target is not None:
            target.extend(small)
            merged += 1
        elif pending and len(pending[-1]) + len(small) <= size_max:
            pending[-1].extend(small)
            merged += 1
        else:
            pending.append(list(small))
    for combined in pending:
        if len(combined) >= size_min:
            running.append(combined)
        else:
            cancelled += 1
    return running, merged, cancelled


def hold_sessions(
    attendance: Attendance, roster: Roster, group_rooms: int, earlier: list[HeldSessions]
) -> list[list[Enrolment]]:
    """Decide which group sessions run: merge small groups, then find facilitators and rooms.

    ``earlier``: sessions held earlier the same day (by tracks starting no
    later); this track's are appended. Facilitator hours are booked on the
    roster; counts and hours go on the day's row. Returns the sessions that ran.
    One track-day on its own; the after-pass holds many through one Sessions.
    """
    return Sessions(roster, group_rooms).hold(attendance, earlier)


_NOBODY: frozenset[str] = frozenset()
"""No facilitator busy elsewhere (the common case, with no set made)."""


@dataclass(slots=True)
class _TrackRule:
    """What deciding a track's sessions reads of its spec and the roster, read once per run."""

    size_min: int
    size_max: int
    hours: float
    needed: float
    """``hours`` less a rounding tolerance: a facilitator needs this many hours left."""
    start: float
    end: float
    per_group: int
    facilitators: list[list[Person]]
    """Per day: the facilitator role's people at work on the track's shift (Roster.presence)."""
    booked: list[float]
    """The facilitator role's group hours by day (Roster.booked_hours)."""


class Sessions:
    """Holds the group sessions of track-days one after another, reading each track's rules once."""

    def __init__(self, roster: Roster, group_rooms: int) -> None:
        self._roster = roster
        self._group_rooms = group_rooms
        self._rules: dict[str, _TrackRule] = {}
        self._booked = roster.booked_hours()["group"]

    def _rule(self, track: TrackState) -> _TrackRule:
        spec = track.spec
        role = spec.facilitator_role
        rule = self._rules[track.name] = _TrackRule(
            spec.group_size.min,
            spec.group_size.max,
            spec.hours_per_day,
            spec.hours_per_day - 1e-9,
            track.start_hours,
            track.end_hours,
            spec.facilitators_per_group,
            self._roster.presence(role, spec.shift),
            self._booked[role],
        )
        return rule

    def hold(self, attendance: Attendance, earlier: list[HeldSessions]) -> list[list[Enrolment]]:
        """``hold_sessions`` for one track-day (see there).

        This runs for every track-day, so the common cases take short cuts with
        the same outcome: a track of one group has nothing to merge, nothing
        held earlier the same day leaves every room and facilitator free, and
        one session wanting one facilitator needs no list or sort.
        """
        track = attendance.track
        rule = self._rules.get(track.name) or self._rule(track)
        row = attendance.row
        day, week = attendance.day, attendance.week
        came = attendance.came
        # A scheduled group ends as exactly one of: run, merged into another session, or cancelled.
        if len(came) == 1:  # one group: nothing to merge
            group = came[0]
            if attendance.scheduled[0]:
                row.groups_scheduled += 1
            if not group or len(group) < rule.size_min:  # nobody came (if scheduled), or too few
                if group or attendance.scheduled[0]:
                    row.cancelled_too_few += 1
                return []
            running = [group]
        else:
            for scheduled, group in zip(attendance.scheduled, came, strict=True):
                if scheduled:
                    row.groups_scheduled += 1
                    if not group:
                        row.cancelled_too_few += 1
            present = [group for group in came if group]
            if all(len(group) >= rule.size_min for group in present):  # nothing to merge: merge_groups' order
                running = sorted(present, key=len, reverse=True)
            else:
                running, merged, cancelled = merge_groups(came, rule.size_min, rule.size_max)
                row.groups_merged += merged
                row.cancelled_too_few += cancelled
            if not running:  # nothing to staff: no facilitator or room is taken
                return []

        hours, needed = rule.hours, rule.needed
        start, end = rule.start, rule.end
        rooms_free = self._group_rooms
        people = rule.facilitators[day]
        busy: frozenset[str] | set[str] = _NOBODY
        if earlier:
            overlapping = [s for s in earlier if s.start_hours < end and start < s.end_hours]
            if overlapping:
                rooms_free -= sum(s.rooms for s in overlapping)
                busy = set().union(*(s.facilitators for s in overlapping))
        per_group = rule.per_group
        if len(running) == 1 and per_group == 1:
            # One session, one facilitator: the first of ``people`` in (most hours left, smaller id)
            # order if they have ``needed`` hours (Person.hours_left written out), then a room.
            best: Person | None = None
            best_left = 0.0
            for person in people:
                left = person.weekly_hours - person.hours_by_week[week]
                if (
                    left >= needed
                    and (
                        best is None
                        or left > best_left
                        or (left == best_left and person.person_id < best.person_id)
                    )
                    and not (busy and person.person_id in busy)
                ):
                    best, best_left = person, left
            if best is None:
                row.cancelled_no_facilitator += 1
                return []
            if rooms_free <= 0:
                row.cancelled_no_room += 1
                return []
            best.hours_by_week[week] += hours  # Roster.book, written out
            rule.booked[day] += hours
            earlier.append(HeldSessions(start, end, 1, {best.person_id}))
            session = running[0]
            row.facilitation_hours += hours
            row.groups_run += 1
            if len(session) > row.largest_group:
                row.largest_group = len(session)
            return running
        # Who can facilitate, most hours left first (ties: smaller id). Booking a session changes only the
        # hours of the people it takes, who leave the list, so one sort serves every session of the day.
        # (Ids are unique, so the tuples never compare the people themselves.)
        candidates = [
            (-left, p.person_id, p)
            for p in people
            if (left := p.weekly_hours - p.hours_by_week[week]) >= needed and p.person_id not in busy
        ]
        candidates.sort()
        held: list[list[Enrolment]] = []
        used = HeldSessions(start, end, 0)
        taken = 0
        for session in running:
            if len(candidates) - taken < per_group:
                row.cancelled_no_facilitator += 1
                continue
            if rooms_free <= 0:
                row.cancelled_no_room += 1
                continue
            for _, person_id, person in candidates[taken : taken + per_group]:
                person.hours_by_week[week] += hours  # Roster.book, written out
                rule.booked[day] += hours
                used.facilitators.add(person_id)
                row.facilitation_hours += hours
            taken += per_group
            rooms_free -= 1
            held.append(session)
            row.groups_run += 1
            if len(session) > row.largest_group:
                row.largest_group = len(session)
        used.rooms = len(held)
        if held:
            earlier.append(used)
        return held
