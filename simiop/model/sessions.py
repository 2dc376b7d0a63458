"""Group sessions of one programme day of one track on the clock: merging small groups, facilitators
and rooms, and the sessions.csv rows.

A function over one track-day (``hold_sessions``; ``Sessions.hold`` when many
track-days are held in turn), run after the flow, every track-day of a day
before any care of that day (delivery.py). A session runs at the clock times of
config.clock.session_times; its facilitators and room are busy for the whole
programme day (nothing fits in a break) but direct only for the session
minutes. Who is busy when is on each person's timeline of the day, so tracks
at overlapping hours, and intake earlier the same day, are seen without being
passed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar, get_args, overload

import numpy as np

from simiop.model.attendance import Attendance
from simiop.model.clock import EPS, Timeline
from simiop.model.records import SessionKind, SessionReason, small_ints
from simiop.model.session_table import KEY_FIELDS, SessionKey, SessionTable
from simiop.model.staff import Person, Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState

T = TypeVar("T")


def merge_groups(came: list[list[T]], size_min: int, size_max: int) -> tuple[list[list[T]], int, int]:
    """Who meets together: groups below the minimum merge into others; (sessions, merges, cancelled).

    Groups are taken largest first; a small group joins the smallest running
    session it fits in, else a pending combination of small groups; a pending
    combination still below the minimum is cancelled (too few).
    """
    running, merged, cancelled = merge_and_cancel(came, size_min, size_max)
    return running, merged, len(cancelled)


def merge_and_cancel(
    came: list[list[T]], size_min: int, size_max: int
) -> tuple[list[list[T]], int, list[list[T]]]:
    """``merge_groups`` with the cancelled combinations themselves (each one cancelled group-day)."""
    nonempty = sorted((g for g in came if g), key=len, reverse=True)
    running = [list(g) for g in nonempty if len(g) >= size_min]
    pending: list[list[T]] = []
    merged = 0
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
    cancelled = []
    for combined in pending:
        if len(combined) >= size_min:
            running.append(combined)
        else:
            cancelled.append(combined)
    return running, merged, cancelled


class SessionLog:
    """The sessions.csv rows of the run as the after-pass writes them: int-coded columns (SessionTable's).

    Per row: the code of its key (``key``: the row's fields but the day and
    the patients, each distinct key numbered once by ``code``) and its number
    of patients (``sizes``); the patients' episode ids of every row, in row
    order, are one flat column (``ids``: a one-patient row appends an int, not
    a list of its own); its day is the day of the rows written since the
    last close (``at_day``), kept once per day, not per row. A patient care
    pulls out of a held group's row is marked ``REMOVED`` in place there
    (``RowPatients``: nothing written is moved) and left out by ``records``. Rows are
    written phase by phase (intake, groups, care); ``close_day`` marks the
    end of a day, and ``records`` puts each day's rows into (start, kind)
    order, missed care (no time) last, by one stable numpy sort of all rows.
    """

    __slots__ = ("_closed", "_closed_at", "_days", "codes", "ids", "key", "open_day", "removed", "sizes")

    def __init__(self) -> None:
        self.key: list[int] = []
        self.sizes: list[int] = []
        """Each row's number of patients."""
        self.ids: list[int] = []
        """Every row's patients' episode ids in row order (``REMOVED``: a patient pulled out of a group)."""
        self.removed = 0
        """How many of ``ids`` are ``REMOVED``."""
        self.codes: dict[SessionKey, int] = {}
        """Key -> its code: the keys in code order are the table's ``keys``."""
        self.open_day = 0
        """The day of the rows written since the last close (set by ``at_day`` before a day's rows)."""
        self._closed: list[int] = []
        """The number of rows at the end of each day closed (rows between two are sorted together)."""
        self._days: list[int] = []
        """The day of each day closed (of its rows)."""
        self._closed_at = 0
        """The number of rows at the last day closed (``_closed[-1]``, 0 before any)."""

    def code(self, key: SessionKey) -> int:
        """The code of a row's key (KEY_FIELDS' values in order), numbered when first seen."""
        found = self.codes.get(key)
        if found is None:
            found = self.codes[key] = len(self.codes)
        return found

    def at_day(self, day: int) -> None:
        """Rows written from now on are ``day``'s: rows of another day still open are closed first (a day's
        rows are never sorted with another's). Writers call it before they append to the columns."""
        if day != self.open_day:
            self.close_day()
            self.open_day = day

    def add(self, day: int, key: SessionKey, patients: Sequence[int]) -> None:
        """Write one row of ``day`` (callers on the hot paths call ``at_day`` and append to the three lists
        themselves)."""
        if day != self.open_day:
            self.at_day(day)
        self.key.append(self.code(key))
        self.sizes.append(len(patients))
        self.ids.extend(patients)

    def close_day(self) -> None:
        """End the day: its rows are sorted by (start, kind) among themselves."""
        size = len(self.key)
        if size > self._closed_at:
            self._closed.append(size)
            self._days.append(self.open_day)
            self._closed_at = size

    def records(self) -> SessionTable:
        """Every row written so far, each day's in (start, kind) order (rows of equal start and kind as
        written), as the run's table (the patient lists as they are now)."""
        self.close_day()
        size = len(self.key)
        if not size:
            return SessionTable()
        keys = list(self.codes)
        # Each key's place in (start, kind) order (no time: last), then each row's (day closed, that place):
        # one stable sort of ints, nearly sorted already (the days are written in order).
        start = np.array([key[_START] for key in keys], dtype=float)
        start[np.isnan(start)] = np.inf
        rank = np.array([KIND_ORDER[key[_KIND]] for key in keys], dtype=np.int64)
        by_place = np.lexsort((rank, start))
        start, rank = start[by_place], rank[by_place]
        after = (start[1:] != start[:-1]) | (rank[1:] != rank[:-1])  # keys of equal (start, kind) share one
        place = np.empty(len(keys), dtype=np.int64)
        place[by_place] = np.concatenate(([0], np.cumsum(after)))
        key = small_ints(self.key)  # codes, 0..255 when a run has at most 256 distinct keys
        ends = np.array(self._closed, dtype=np.intp)
        sizes = np.diff(ends, prepend=0)
        segment = np.repeat(np.arange(ends.size, dtype=np.int64), sizes)
        order = np.argsort(segment * len(keys) + place[key], kind="stable")  # ties stay as written
        day = np.array(self._days, dtype=np.int64)[segment]  # a day's rows stay together
        # The patients, flat as written, reordered by numpy: each row's ids are found at its first id plus
        # its positions (this replaces a list per row, reordered through an object array and flattened
        # again by the table's ``patient_ids``).
        sizes = small_ints(self.sizes)
        ids = np.fromiter(self.ids, dtype=np.int64, count=len(self.ids))
        if self.removed:
            ids = ids[ids != REMOVED]
        first = np.cumsum(sizes) - sizes
        sizes = sizes[order]
        # An id's place as written: its row's first id there plus its position in the row, i.e. the id's
        # own position (arange) shifted by its row's (first id as written - first id in the table). One
        # repeat and one array the size of the ids, added in place: ``np.repeat(first[order], sizes) +
        # positions_within(sizes)`` made five such arrays (each fresh memory: 0.3-0.4 ms more a 3-year run).
        at = np.repeat(first[order] - (np.cumsum(sizes) - sizes), sizes)
        at += np.arange(at.size)
        return SessionTable.from_flat(day, key[order], sizes, ids[at], keys)


REMOVED = -1
"""A pulled-out patient's place in ``SessionLog.ids`` (episode ids are never negative)."""


_episode_id = attrgetter("episode.episode_id")
"""An enrolment's episode id (in C: once per member of every session held)."""
_START = KEY_FIELDS.index("start_minute")
_KIND = KEY_FIELDS.index("kind")
KIND_ORDER: dict[str, int] = {kind: rank for rank, kind in enumerate(get_args(SessionKind))}


def hold_sessions(
    attendance: Attendance, roster: Roster, group_rooms: int, log: SessionLog | None = None
) -> list[HeldSession]:
    """Decide which group sessions run: merge small groups, then find facilitators and rooms.

    Facilitators are taken on the clock: each needs the whole programme day
    free and the session minutes within their daily and weekly direct budgets
    (Person.can_give); a room is free for the programme day. Hours are booked
    on the roster, counts and hours go on the day's row, a sessions.csv row
    per session of the day goes to ``log``. Returns the sessions that ran.
    One track-day on its own; the after-pass holds many through one Sessions.
    """
    return Sessions(roster, group_rooms, log or SessionLog()).hold(attendance)


class RowPatients(Sequence["FlatRow"]):
    """The patient lists of a held group's sessions.csv rows (session k of the day), as the log holds
    them: ``count`` rows of ``size`` ids each, one after another in the log's flat ``ids`` from ``at``
    (their sizes from ``row``).

    Row k is a ``FlatRow``: a view from which care removes a patient it pulls out of session k (marked
    ``REMOVED`` in place, that row's size one less); the other rows keep theirs.
    """

    __slots__ = ("_at", "_count", "_log", "_row", "_size")

    def __init__(self, log: SessionLog, at: int, row: int, count: int, size: int) -> None:
        self._log = log
        self._at = at
        self._row = row
        self._count = count
        self._size = size

    @overload
    def __getitem__(self, k: int) -> FlatRow: ...

    @overload
    def __getitem__(self, k: slice) -> list[FlatRow]: ...

    def __getitem__(self, k: int | slice) -> FlatRow | list[FlatRow]:
        if isinstance(k, slice):
            return [self[i] for i in range(self._count)[k]]
        if not -self._count <= k < self._count:
            raise IndexError(k)
        k %= self._count
        return FlatRow(self._log, self._at + k * self._size, self._row + k, self._size)

    def __len__(self) -> int:
        return self._count

    def take_out(self, k: int, episode_id: int) -> None:
        """Take ``episode_id`` out of row k (``self[k].remove(episode_id)`` without the FlatRow: care pulls a
        patient out of a held session ~2,300 times a 3-year baseline run). IndexError for a row k that is
        not there, ValueError if the patient is not in it."""
        if not 0 <= k < self._count:
            raise IndexError(k)
        log = self._log
        at = self._at + k * self._size
        place = log.ids.index(episode_id, at, at + self._size)
        log.ids[place] = REMOVED
        log.sizes[self._row + k] -= 1
        log.removed += 1


class FlatRow:
    """One row's patients in a SessionLog's flat ``ids``: what care reads and removes from."""

    __slots__ = ("_at", "_log", "_row", "_size")

    def __init__(self, log: SessionLog, at: int, row: int, size: int) -> None:
        self._log = log
        self._at = at
        self._row = row
        self._size = size

    def remove(self, episode_id: int) -> None:
        """Take ``episode_id`` out of the row (ValueError if it is not in it, as ``list.remove``)."""
        log = self._log
        place = log.ids.index(episode_id, self._at, self._at + self._size)
        log.ids[place] = REMOVED
        log.sizes[self._row] -= 1
        log.removed += 1

    def __iter__(self) -> Iterator[int]:
        return (i for i in self._log.ids[self._at : self._at + self._size] if i != REMOVED)

    def __len__(self) -> int:
        return self._log.sizes[self._row]

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


NO_ROWS: Sequence[FlatRow] = ()
"""A held session's rows where care pulls nobody out (no care service): never asked for."""


@dataclass(slots=True)
class HeldSession:
    """A group session that ran on a programme day: who was in it, and the patient list of each of its
    sessions.csv rows (session k of the day), from which care removes a patient it pulls out."""

    members: list[Enrolment]
    patients: Sequence[FlatRow] | Sequence[list[int]]
    """Row k's patients (a ``FlatRow`` of the log, or a hand-made list): care removes from one alone."""
    ids: list[int] | None = None
    """The members' episode ids in order, as the session was held (care reads them rather than each
    member's again); None if not kept (a hand-made session)."""


@dataclass(slots=True)
class _TrackRule:
    """What deciding a track's sessions reads of its spec and the roster, read once per run."""

    size_min: int
    size_max: int
    minutes: float
    """Direct minutes of a facilitator's day: the sessions, not the breaks."""
    hours: float
    start: float
    end: float
    times: tuple[tuple[float, float], ...]
    per_group: int
    facilitators: list[list[Person]]
    """Per day: the facilitator role's people at work on the track's shift (Roster.presence)."""
    cover: list[Person]
    """The role's cover (per-diem) people, called in only when its own people run out."""
    booked: list[float]
    """The facilitator role's group hours by day (Roster.booked_hours)."""
    held: dict[tuple[int, tuple[str, ...], int, int], list[int]] = field(default_factory=dict)
    """(group, staff, cover, room) -> the log's key codes of a held group's rows, one per session."""
    able: dict[int, tuple[list[Person], list[Person]]] = field(default_factory=dict)
    """id of a day's list of ``facilitators`` -> (that list, its people whose shift window holds the
    programme day and whose daily limit holds its minutes): what never changes, checked once per
    distinct list (days with the same people share one), not per track-day."""
    last: tuple[list[Person] | None, list[Person]] = (None, [])
    """The list of ``facilitators`` ``able_on`` was last asked about, and its answer (most days have
    the people of the day before: ``_hold_one`` reads it without a call)."""
    first_room: dict[str, list[int]] = field(default_factory=dict)
    """Person id -> ``held``'s codes for group 0 held by that person alone, no cover, in the first room
    (most track-days of a one-group track): found by the id, no key tuple made."""

    def able_on(self, day: int) -> list[Person]:
        """Those of the day's ``facilitators`` who could facilitate on an empty day (``_able``), found once
        per distinct list of people and kept in ``able``."""
        people = self.facilitators[day]
        kept = self.able.get(id(people))
        if kept is None or kept[0] is not people:
            kept = self.able[id(people)] = (people, _able(people, self.start, self.end, self.minutes))
        self.last = kept
        return kept[1]


def _able(people: list[Person], start: float, end: float, minutes: float) -> list[Person]:
    """Those of ``people`` who could facilitate a programme day [start, end) of ``minutes`` direct minutes
    on an empty day: their shift window holds it and their daily limit holds the minutes (what the day's
    bookings never change), in the same order."""
    return [
        p
        for p in people
        if p.window[0] - EPS <= start and end <= p.window[1] + EPS and minutes <= p.daily_limit + 1e-9
    ]


NOT_KNOWN = HeldSession([], NO_ROWS)
"""``Sessions._hold``'s mark that groups merged: which group was in which session is found afterwards."""


def sessions_of(came: Sequence[Sequence[Enrolment]], held: Sequence[HeldSession]) -> list[HeldSession | None]:
    """Per group of ``came``: the session its members were in, None if its session did not run.

    A session that merged nothing holds its group's own list of members (most
    days: found by the list's identity, with no look at its members); a group
    is never split (merging moves whole groups), so otherwise its first member
    tells.
    """
    if len(came) == 1:
        return [held[0] if held else None]
    if not held:
        return [None] * len(came)
    own = {id(session.members): session for session in held}
    found = [own.get(id(group)) if group else None for group in came]
    if all(session is not None or not group for session, group in zip(found, came, strict=True)):
        return found
    where = {id(enrolment): session for session in held for enrolment in session.members}
    return [where.get(id(group[0])) if group else None for group in came]


class Sessions:
    """Holds the group sessions of track-days one after another, reading each track's rules once."""

    def __init__(
        self,
        roster: Roster,
        group_rooms: int,
        log: SessionLog,
        pull_outs: bool = True,
        timelines: bool = True,
    ) -> None:
        """``pull_outs``: whether care may pull a patient out of a session (a run with a care service);
        without, a held one-group session gets no RowPatients (nothing is removed from its rows).

        ``timelines``: whether anything may ask a facilitator's day after their group sessions of a
        track-day (another track's groups that day, or care). Without (one track, no care service: the
        M/M/c clinic), a facilitator's first booking of a day makes no ``Timeline``: its only reader
        would be a later booking the same day, and there is none (the day's intake assessments, booked
        before its groups, made one already if they took the person)."""
        self._pull_outs = pull_outs
        self._timelines = timelines
        self._roster = roster
        self._group_rooms = group_rooms
        self._log = log
        self._rules: dict[str, _TrackRule] = {}
        self._booked = roster.booked_hours()["group"]
        self._room_day = -1
        self._rooms: list[Timeline | tuple[float, float]] = []
        """Today's rooms taken, in room order: the one interval of a room taken once, else its timeline."""
        self._room_names = [f"group_room_{j + 1}" for j in range(group_rooms)]

    def _rule(self, track: TrackState) -> _TrackRule:
        spec = track.spec
        role = spec.facilitator_role
        minutes = spec.group_sessions_per_day * spec.session_minutes
        start, end = track.programme
        rule = self._rules[track.name] = _TrackRule(
            spec.group_size.min,
            spec.group_size.max,
            minutes,
            minutes / 60.0,
            start,
            end,
            track.session_times,
            spec.facilitators_per_group,
            self._roster.presence(role, spec.shift),
            [p for p in self._roster.cover.get(role, ()) if p.works(spec.shift)],
            self._booked[role],
        )
        return rule

    def _row(
        self,
        rule: _TrackRule,
        attendance: Attendance,
        group: int,
        members: Sequence[Enrolment],
        reason: SessionReason,
    ) -> None:
        """The rows of a group cancelled for ``reason``: one per session of the day, nobody staffing it."""
        patients = [enrolment.episode.episode_id for enrolment in members]
        day, name, add = attendance.day, attendance.track.name, self._log.add
        for k, (s, e) in enumerate(rule.times):
            add(day, ("group", name, group, k, "programme", s, e, (), 0, "", "cancelled", reason), patients)

    def _hold_one(
        self, rule: _TrackRule, attendance: Attendance, group: list[Enrolment]
    ) -> list[HeldSession] | None:
        """``hold`` for a scheduled track-day of one group big enough to run, with one facilitator per
        group (most track-days): the same choice of facilitator (the least key of ``hold``'s sort) and
        room, counts and rows, without a list of candidates to sort or of sessions to walk. None, with
        nothing changed, when no facilitator of the role's own can take it and a cover person might
        (``hold``'s way decides)."""
        day, week = attendance.day, attendance.week
        minutes, hours = rule.minutes, rule.hours
        start, end = rule.start, rule.end
        last = rule.last
        able = last[1] if last[0] is rule.facilitators[day] else rule.able_on(day)
        chosen: Person | None = None
        best_day = best_week = 0.0
        best_id = ""
        for p in able:  # ``hold``'s candidates, written out: only the first in its order is wanted
            if p.timeline_day == day:
                timeline = p.timeline
                direct = timeline.direct
                if direct + minutes > p.daily_limit + 1e-9 or not timeline.free(start, end):
                    continue
            else:
                direct = 0.0
            used = p.hours_by_week[week]
            if used + hours <= p.weekly_hours + 1e-9:
                # the least key (direct - daily limit, used - weekly hours, id), compared as tuples are,
                # without making one per candidate
                left_day, left_week = direct - p.daily_limit, used - p.weekly_hours
                if (
                    chosen is None
                    or left_day < best_day
                    or (
                        left_day == best_day
                        and (left_week < best_week or (left_week == best_week and p.person_id < best_id))
                    )
                ):
                    chosen, best_day, best_week, best_id = p, left_day, left_week, p.person_id
        if chosen is None and rule.cover:
            return None
        row = attendance.row
        row.groups_scheduled += 1
        rooms = self._rooms
        if self._room_day != day:
            self._room_day = day
            rooms = self._rooms = []
        if chosen is None:
            row.cancelled_no_facilitator += 1
            self._row(rule, attendance, 0, group, "no_facilitator")
            return []
        room: int | None = 0
        if rooms or not self._group_rooms:
            room = self._take_room(rooms, start, end)
        else:  # the day's first room taken (``_take_room`` with no room taken yet, written out)
            rooms.append((start, end))
        if room is None:
            row.cancelled_no_room += 1
            self._row(rule, attendance, 0, group, "no_room")
            return []
        chosen.hours_by_week[week] += hours  # Roster.book, written out
        rule.booked[day] += hours
        if chosen.timeline_day == day:
            chosen.timeline.take(start, end, minutes)
        elif self._timelines:  # the facilitator's first booking today (Person.today, then take, written out)
            chosen.timeline_day = day
            chosen.timeline = Timeline(start, end, 0.0 + minutes)
        row.facilitation_hours += hours
        log = self._log
        if log.open_day != day:
            log.at_day(day)
        # rule.held's codes of (group 0, this facilitator, no cover, this room), by the id in the first room
        found = rule.first_room.get(chosen.person_id) if room == 0 else None
        if found is None:
            staffed = (chosen.person_id,)
            found = rule.held.get((0, staffed, 0, room))
            if found is None:
                found = self._codes(rule, attendance.track.name, 0, staffed, 0, room)
            if room == 0:
                rule.first_room[chosen.person_id] = found
        ids = [enrolment.episode.episode_id for enrolment in group]  # faster than map(attrgetter) here
        rows = len(found)
        at, first = len(log.ids), len(log.key)
        log.key.extend(found)
        size = len(ids)
        log.sizes.extend([size] * rows)
        log.ids.extend(ids * rows)
        row.groups_run += 1
        row.group_attendances += size * len(rule.times)
        if size > row.largest_group:
            row.largest_group = size
        return [
            HeldSession(group, RowPatients(log, at, first, rows, size) if self._pull_outs else NO_ROWS, ids)
        ]

    def _take_room(self, rooms: list[Timeline | tuple[float, float]], start: float, end: float) -> int | None:
        """Take the first room free for [start, end) today, if any: its number (``hold``'s search)."""
        room = 0
        for busy in rooms:
            if isinstance(busy, tuple):
                taken_from, taken_to = busy
                # Timeline.free for one interval, written out
                if taken_to <= start + EPS if start >= taken_from else taken_from >= end - EPS:
                    rooms[room] = timeline = Timeline.busy(taken_from, taken_to)
                    timeline.take(start, end)
                    return room
            elif busy.free(start, end):
                busy.take(start, end)
                return room
            room += 1
        if room >= self._group_rooms:
            return None
        rooms.append((start, end))
        return room

    def _codes(
        self, rule: _TrackRule, name: str, number: int, staffed: tuple[str, ...], cover: int, room: int
    ) -> list[int]:
        """The log's key codes of a held group's rows, one per session, coded once per group, staff,
        cover and room."""
        where = self._room_names[room]
        log = self._log
        found = rule.held[(number, staffed, cover, room)] = [
            log.code(("group", name, number, k, "programme", s, e, staffed, cover, where, "held", ""))
            for k, (s, e) in enumerate(rule.times)
        ]
        return found

    def hold(self, attendance: Attendance) -> list[HeldSession]:
        """``hold_sessions`` for one track-day (see there).

        This runs for every track-day, so the common case (a track of one
        group) has nothing to merge and needs no lookup of group indices.
        """
        return self._hold(attendance, None)

    def hold_groups(self, attendance: Attendance) -> list[HeldSession | None]:
        """``hold`` for one track-day, answered per group of ``attendance.came``: the session its members
        were in, None if its session did not run (``sessions_of(came, hold(attendance))``, known as the
        sessions are held when no group merged, so nothing is looked up afterwards)."""
        came = attendance.came
        if len(came) == 1:  # sessions_of's first case
            held = self._hold(attendance, None)
            return [held[0] if held else None]
        by_group: list[HeldSession | None] = [None] * len(came)
        held = self._hold(attendance, by_group)
        if by_group[0] is NOT_KNOWN:  # groups merged: found by membership
            return sessions_of(came, held)
        return by_group

    def _hold(self, attendance: Attendance, by_group: list[HeldSession | None] | None) -> list[HeldSession]:
        """``hold``; with ``by_group`` (as many Nones as groups), each held session is also put at its
        group's place there when no group merged (else ``by_group[0]`` is set to ``NOT_KNOWN``)."""
        track = attendance.track
        rule = self._rules.get(track.name) or self._rule(track)
        came = attendance.came
        if len(came) == 1 and rule.per_group == 1:
            group = came[0]
            if attendance.scheduled[0] and len(group) >= rule.size_min > 0:
                one = self._hold_one(rule, attendance, group)
                if one is not None:
                    return one
        row = attendance.row
        day, week = attendance.day, attendance.week
        # A scheduled group ends as exactly one of: run, merged into another session, or cancelled.
        numbers: Sequence[int]
        size_min = rule.size_min
        if len(came) == 1:  # one group: nothing to merge
            group = came[0]
            if attendance.scheduled[0]:
                row.groups_scheduled += 1
            if not group or len(group) < size_min:  # nobody came (if scheduled), or too few
                if group or attendance.scheduled[0]:
                    row.cancelled_too_few += 1
                    self._row(rule, attendance, 0, group, "too_few")
                return []
            running = [group]
            numbers = (0,)  # the one group's number is 0
        elif (
            len(came) == 2
            and len(came[0]) >= size_min
            and len(came[1]) >= size_min
            and came[0]
            and came[1]
            and attendance.scheduled[0]
            and attendance.scheduled[1]
        ):
            # Two groups that both came, big enough: nothing to merge or cancel, and each session's number
            # is its group's (the branch below, written out for a track of two groups, both scheduled).
            # Largest first, the first of equals first, as the branch's stable sort orders them.
            row.groups_scheduled += 2
            if len(came[1]) > len(came[0]):
                running, numbers = [came[1], came[0]], (1, 0)
            else:
                running, numbers = came, (0, 1)
        else:
            index_of = {id(group[0]): k for k, group in enumerate(came) if group}
            for k, (scheduled, group) in enumerate(zip(attendance.scheduled, came, strict=True)):
                if scheduled:
                    row.groups_scheduled += 1
                    if not group:
                        row.cancelled_too_few += 1
                        self._row(rule, attendance, k, group, "too_few")
            present = [group for group in came if group]
            if all(len(group) >= rule.size_min for group in present):  # nothing to merge: merge_groups' order
                running = sorted(present, key=len, reverse=True)
            else:
                running, merged, cancelled = merge_and_cancel(came, rule.size_min, rule.size_max)
                row.groups_merged += merged
                row.cancelled_too_few += len(cancelled)
                for combined in cancelled:
                    self._row(rule, attendance, index_of[id(combined[0])], combined, "too_few")
                if merged and by_group is not None:
                    by_group[0] = NOT_KNOWN
                    by_group = None
            if not running:  # nothing to staff: no facilitator or room is taken
                return []
            numbers = [index_of[id(session[0])] for session in running]

        rooms = self._rooms
        if self._room_day != day:  # a new day: every room free (a room's timeline is made when first taken)
            self._room_day = day
            rooms = self._rooms = []
        minutes, hours = rule.minutes, rule.hours
        start, end = rule.start, rule.end
        # Who can facilitate: free all programme day, inside their shift, with the minutes left today
        # and this week; most minutes left today first, then most hours left this week, then the
        # smaller id. Booking a session changes only the people it takes, who leave the list, so one
        # sort serves every session of the track-day.
        # Person.can_give written out (this asks every facilitator of every track-day), and a person not
        # yet asked about today has an empty day: no timeline is made for them until they are taken.
        last = rule.last  # the day before's people, most days (``_hold_one``'s look-up)
        able = last[1] if last[0] is rule.facilitators[day] else rule.able_on(day)
        candidates = []
        for p in able:
            if p.timeline_day == day:
                timeline = p.timeline
                direct = timeline.direct
                if direct + minutes > p.daily_limit + 1e-9 or not timeline.free(start, end):
                    continue
            else:  # an empty day: the daily limit holds the minutes (``_able``)
                direct = 0.0
            used = p.hours_by_week[week]
            if used + hours <= p.weekly_hours + 1e-9:
                candidates.append((direct - p.daily_limit, used - p.weekly_hours, p.person_id, p))
        if len(candidates) > 1:
            candidates.sort()
        per_group = rule.per_group
        covered = len(candidates)  # candidates from here on are cover people
        if rule.cover and len(candidates) < per_group * len(running):
            candidates.extend(
                (0.0, 0.0, p.person_id, p)
                for p in rule.cover
                if p.can_give(day, week, minutes)
                and p.window[0] - EPS <= start
                and end <= p.window[1] + EPS
                and p.today(day).free(start, end)
            )
        held: list[HeldSession] = []
        taken = 0
        log = self._log
        name = track.name
        times = rule.times
        booked = rule.booked
        codes = rule.held
        for session, number in zip(running, numbers, strict=True):
            if len(candidates) - taken < per_group:
                row.cancelled_no_facilitator += 1
                self._row(rule, attendance, number, session, "no_facilitator")
                continue
            # The first free room: rooms not yet taken today are free (nothing kept for them yet), a room
            # taken once today is its one busy interval (a timeline is made at its second booking).
            room = self._take_room(rooms, start, end)
            if room is None:
                row.cancelled_no_room += 1
                self._row(rule, attendance, number, session, "no_room")
                continue
            if per_group == 1:  # the loop below for one facilitator, written out: once per session held
                person = candidates[taken][3]
                person.hours_by_week[week] += hours  # Roster.book, written out
                booked[day] += hours
                if person.timeline_day == day:
                    person.timeline.take(start, end, minutes)
                else:  # the facilitator's first booking today (Person.today, then take, written out)
                    person.timeline_day = day
                    person.timeline = Timeline(start, end, 0.0 + minutes)
                row.facilitation_hours += hours
                staffed: tuple[str, ...] = (person.person_id,)
            else:
                staff = []
                for candidate in candidates[taken : taken + per_group]:
                    person = candidate[3]
                    person.hours_by_week[week] += hours
                    booked[day] += hours
                    person.today(day).take(start, end, minutes)
                    staff.append(person.person_id)
                    row.facilitation_hours += hours
                staff.sort()
                staffed = tuple(staff)
            cover = int(taken + per_group > covered)
            taken += per_group
            row.groups_covered += cover
            ids = list(map(_episode_id, session))
            found = codes.get((number, staffed, cover, room))
            if found is None:  # the key of each session's row, coded once per group, staff and room
                found = self._codes(rule, name, number, staffed, cover, room)
            rows = len(found)
            if log.open_day != day:
                log.at_day(day)
            at, first = len(log.ids), len(log.key)
            log.key.extend(found)  # one row per session of the day, for every track-day
            size = len(ids)
            log.sizes.extend([size] * rows)
            log.ids.extend(ids * rows)  # each row's patients, flat: care marks one it pulls out
            done = HeldSession(session, RowPatients(log, at, first, rows, size), ids)
            held.append(done)
            if by_group is not None:
                by_group[number] = done
            row.groups_run += 1
            row.group_attendances += len(ids) * len(times)
            if len(session) > row.largest_group:
                row.largest_group = len(session)
        return held
