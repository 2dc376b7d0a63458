"""Tracks and groups: wait lists, admission rounds, and one discharge event per stay.

A stay is drawn whole at admission (stay.py), so the flow needs no event per
programme day: its events are the wait-list joins, the admission rounds, the
give-ups and one discharge per patient. Group sessions and care on the days
patients came are delivered after the flow (attendance.py, delivery.py),
since nothing in the flow depends on them.

Admission rounds run at a track's start time on its admission days, but only
when something can have changed since the last one: a wait-list join, a
discharge (a seat, or a therapist's caseload place), a hire. A round runs
before anything else at its instant: a patient whose assessment ends at that
very instant is not yet on the wait list for that round and starts on the
next one, and a seat freed by a discharge at the start of a programme day
goes to the next round (one freed at the end of a day, at another track's
start, goes to that track's round at once).

Every admission and discharge is counted on the daily row of its programme
day (continuous admission: of the day of its instant), and each row's census
and wait list at midnight are worked out from those counts at the end, so
census(yesterday) + admissions - discharges = census, whatever the hours.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from itertools import accumulate, chain, compress
from typing import TYPE_CHECKING, Any

import numpy as np

from simiop.model.attendance import Attendance
from simiop.model.discharge import Readmission
from simiop.model.events import call, until
from simiop.model.patients import PatientKey, Purpose
from simiop.model.records import LEFT_TRACK_FULL, LEFT_WAIT_LIST, Episode, TrackDay
from simiop.model.stay import Enrolment, Stay
from simiop.model.tracks import TrackState

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic


_until = until
"""The clock's never-negative wait (events.until), under the name the horizon tests know."""

# The purposes of the patients' streams, read once (an enum member costs a class lookup: 70 ns, per stay).
_STAY, _REVIEWS, _WAIT_LIST = Purpose.STAY, Purpose.REVIEWS, Purpose.WAIT_LIST
_DISENGAGE = Purpose.DISENGAGE
_SCHEDULED = [True]
"""The one group of a track-day someone started is scheduled: one list for every such day (never changed)."""


class Programme:
    """All tracks, their wait lists and admission rounds, and the stays in them."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        config = clinic.config
        calendar = clinic.calendar
        self.tracks = {
            name: TrackState(name, spec, calendar) for name, spec in config.tracks.items() if spec.enabled
        }
        self._track_list = list(self.tracks.values())
        self._order = {
            track.name: index
            for index, track in enumerate(sorted(self.tracks.values(), key=lambda t: (t.start_hours, t.name)))
        }
        """Clock order of tracks within a day: start time, then name."""
        self.rows = {name: [TrackDay(day, name) for day in range(calendar.days)] for name in self.tracks}
        self._wait_change = {name: [0] * (calendar.days + 1) for name in self.tracks}
        self._stay = Stay(config, clinic.horizon)
        self._readmission: Readmission | None = Readmission(config)
        if not self._readmission.possible:  # nobody is ever referred again: nothing to ask per discharge
            self._readmission = None
        self._by_role: dict[str, list[TrackState]] = {}
        """The tracks whose patients each role takes on: a discharge frees a caseload place in each."""
        for track in self._track_list:
            self._by_role.setdefault(track.spec.facilitator_role, []).append(track)
        self._fifo = {name: track.spec.wait_list.discipline == "fifo" for name, track in self.tracks.items()}
        self._wanted: dict[str, list[TrackState]] = {}
        """Per track preference: the tracks it may go to (those running its shift, else all), found once."""
        self._others = {
            track.name: [other for other in self._by_role[track.spec.facilitator_role] if other is not track]
            for track in self._track_list
        }
        """Per track: the other tracks whose patients its role takes on (a discharge frees a place there)."""
        # What every admission and discharge reads, held here rather than looked up through the clinic each
        # time (none of them is ever replaced during a run).
        self._env = clinic.env
        self._patience: dict[str, Callable[[np.random.Generator], float] | None] = {}
        """Per track: draws a patience on its wait list (None: no limit)."""
        for name, track in self.tracks.items():
            patience = track.spec.wait_list.patience_days
            self._patience[name] = None if patience is None else patience.sampler()
        self._keys = clinic.keys
        self._patients = clinic.patients
        self._roster = clinic.roster
        self._review_key: PatientKey | None = None
        """The patient whose stay ``plan`` is drawing: whose review stream ``_reviews`` gives (and
        ``_disengage`` its DISENGAGE stream)."""
        self._horizon = clinic.horizon
        self.enrolments: list[Enrolment] = []
        """Every enrolment, in admission order (the order of each group's members)."""
        self._open: list[Enrolment] = []
        """The enrolments whose stays end at or after the horizon (no discharge event), in admission order."""
        self.attendance: list[Attendance] = []
        """Who came to each track-day, in clock order: the after-pass's input, built by ``finish``."""
        for role, spec in config.staff.roles.items():  # a hire can make room on a caseload
            for hire in spec.hires:
                day = (hire.date - calendar.opening).days
                if 0 < day < calendar.days:
                    call(clinic.env, float(day), self._hire_round(role))

    def _hire_round(self, role: str) -> Callable[[Any], None]:
        return lambda _: self._rounds_for(role, True)

    # -- joining a track ---------------------------------------------------------------------------

    def refer_to_track(self, episode: Episode) -> None:
        """After an 'admit' decision: choose a track by preference and fullness, then wait or leave."""
        tracks = self._track_list
        # the only track, whatever the preference (as ``preferred`` would find)
        preferred = tracks[0] if len(tracks) == 1 else self.preferred(episode.track_preference)
        chosen = preferred
        now = self._env.now
        if preferred.free_seats() <= 0:
            policy = preferred.spec.wait_list.when_full
            if policy == "leave":
                episode.end(LEFT_TRACK_FULL, now)
                return
            if policy == "switch":
                others = [t for t in self.tracks.values() if t is not preferred and t.free_seats() > 0]
                if others:
                    chosen = max(others, key=lambda t: (t.free_seats(), t.name))
        name = chosen.name
        episode.track = name
        episode.wait_list_day = now
        patience = self._patience[name]
        if chosen.continuous and patience is None and not chosen.wait_list:
            # ``_admit`` for the list's only patient, written out: admitted at once if there is room,
            # never on the list (joining and leaving it the same day would add and take one from the
            # same day's count: nothing to write); else on it, as below.
            day = int(now)
            if chosen.census < chosen.seats and self._enrol(
                chosen, episode, day, chosen.index_now(now, True)
            ):
                self.rows[name][day].admissions += 1
            else:
                self._join(chosen, episode)
                self._wait_change[name][day] += 1
            return
        self._join(chosen, episode)
        self._wait_change[name][int(now)] += 1
        if patience is not None:
            rng = self._patients.of(self._keys[episode.episode_id], _WAIT_LIST)
            days = float(patience(rng))
            call(self._env, now + days, self._give_up, value=(chosen, episode, now))
        if chosen.continuous:
            self._admit(chosen, int(now))
        else:
            self._schedule_round(chosen, inclusive=False)

    def _join(self, track: TrackState, episode: Episode) -> None:
        """Put ``episode`` on ``track``'s wait list, in the order its rounds admit from it.

        A fifo list is in joining order. A ``step_down_first`` list is kept in admission order
        (``_admission_key``): inserted at its place, so a round reads the list as it is and cuts the
        admitted off its front, where it sorted the whole list and rebuilt it without them at every
        round. The key is fixed while the patient waits (source kind, day joined, episode id), so the
        list is always what that sort made of the joining order (a stable sort; no two keys are equal).
        """
        if self._fifo[track.name]:
            track.wait_list.append(episode)
        else:
            insort(track.wait_list, episode, key=_admission_key)

    def preferred(self, preference: str) -> TrackState:
        """The track a patient of ``preference`` asks for: of those running its shift (any, if none does),
        the one with the largest share of its seats free (ties: the later name)."""
        wanted = self._wanted.get(preference)
        if wanted is None:
            wanted = [t for t in self._track_list if preference in ("either", t.spec.shift)]
            if not wanted:  # nobody runs the preferred shift: any track will do
                wanted = self._track_list
            self._wanted[preference] = wanted
        # max(wanted, key=lambda t: (t.free_seats() / max(t.seats, 1), t.name)), written out (once per
        # admit decision): the same shares and keys, the first of the largest kept, as max keeps it.
        preferred = wanted[0]
        best = (preferred.free_seats() / max(preferred.seats, 1), preferred.name)
        for track in wanted[1:]:
            key = (track.free_seats() / max(track.seats, 1), track.name)
            if key > best:
                preferred, best = track, key
        return preferred

    def _give_up(self, joining: tuple[TrackState, Episode, float]) -> None:
        """Patience on the wait list ran out: ``joining`` is (track, episode, when it joined).

        The join time tells a stale give-up (the patient left this list and joined again) from a live one.
        """
        track, episode, joined = joining
        if episode.wait_list_day == joined and _drop(track.wait_list, episode):
            now = self._env.now
            self._wait_change[track.name][int(now)] -= 1
            episode.end(LEFT_WAIT_LIST, now)

    def leave_wait_list(self, episode: Episode) -> bool:
        """Take a waiting patient off their track's wait list (a lapsed warm hand-off); False if not on it."""
        track = self.tracks.get(episode.track or "")
        if track is None or not _drop(track.wait_list, episode):
            return False
        self._wait_change[track.name][int(self._env.now)] -= 1
        return True

    # -- admission rounds --------------------------------------------------------------------------

    def _schedule_round(self, track: TrackState, inclusive: bool) -> None:
        """A round at the next admission day's start (now too, if ``inclusive``) unless one is due by then."""
        if not track.wait_list:
            return
        env = self._env
        now = env.now
        time = track.next_round(now, inclusive)
        if time is None or now <= track.round_at <= time:
            return
        track.round_at = time
        call(env, time, self._round, urgent=True, value=track)

    def _rounds_for(self, role: str, inclusive: bool) -> None:
        """Rounds for every track whose patients ``role`` takes on: a place may have come free."""
        for track in self.tracks.values():
            if track.spec.facilitator_role == role:
                if track.continuous:
                    self._admit(track, int(self.clinic.env.now))
                else:
                    self._schedule_round(track, inclusive)

    def _round(self, track: TrackState) -> None:
        """A track's admission round (the value of its ``call``: one method for every round, no closure)."""
        track.round_at = -1.0
        self._admit(track, int(self._env.now))

    def _admit(self, track: TrackState, day: int) -> None:
        """Admit from the wait list while a group has a seat and a therapist has caseload room."""
        waiting = track.wait_list
        if not waiting or track.census >= track.seats:  # every group full (seats: groups x their maximum)
            return
        # The list is in admission order (``_join``): fifo, or step-downs first.
        # The stay's first programme day: the same for everyone admitted now.
        first = track.index_now(self._env.now, track.continuous)
        enrol = self._enrol
        admitted = 0
        for episode in waiting:
            if not enrol(track, episode, day, first):
                break
            admitted += 1
        if not admitted:
            return
        del waiting[:admitted]  # those admitted are the list's first: one cut, not a search per patient
        self.rows[track.name][day].admissions += admitted
        self._wait_change[track.name][day] -= admitted

    def _enrol(self, track: TrackState, episode: Episode, day: int, first: int) -> bool:
        """Admit ``episode`` now (on ``day``, from the track's programme day ``first``) if a group has a
        seat and a therapist of the track's role has caseload room; False if not (nothing changed).

        The stay is drawn from the patient's own streams (reviews only if one draws) and its discharge
        scheduled; the caller takes the patient off the wait list and counts the admission.
        """
        group = track.open_group()
        if group is None:
            return False
        roster = self._roster
        therapist = roster.primary_therapist(track.role, day, track.shift)
        if therapist is None:
            return False
        roster.assign(therapist, day)
        env = self._env
        now = env.now
        key = self._review_key = self._keys[episode.episode_id]
        stay = self._stay
        rng = self._patients.of(key, _STAY)
        if stay.plain:  # only the plan ends a stay: no other stream is ever asked for
            enrolment = stay.plain_plan(track, episode, group, therapist, first, day, now, rng)
        else:
            enrolment = stay.plan(
                track,
                episode,
                group,
                therapist,
                first,
                day,
                now,
                rng,
                self._reviews,
                recert_stream=self._recert,
                disengage=self._disengage,
            )
        track.groups[group].append(enrolment)
        track.census += 1
        self.enrolments.append(enrolment)
        if enrolment.ends_at < self._horizon:
            call(env, enrolment.ends_at, self._discharge, value=enrolment)
        else:
            self._open.append(enrolment)
        return True

    def _reviews(self) -> np.random.Generator:
        """The review stream of the patient whose stay is being drawn (``plan`` asks only while it draws)."""
        assert self._review_key is not None
        return self._patients.of(self._review_key, _REVIEWS)

    def _recert(self) -> np.random.Generator:
        """The recertification stream of the patient whose stay is being drawn (asked for only if needed)."""
        assert self._review_key is not None
        return self._patients.of(self._review_key, Purpose.RECERT)

    def _disengage(self) -> np.random.Generator:
        """The DISENGAGE stream of the patient whose stay is being drawn (``plan`` asks only if it draws)."""
        assert self._review_key is not None
        return self._patients.of(self._review_key, _DISENGAGE)

    # -- discharge ---------------------------------------------------------------------------------

    def _discharge(self, enrolment: Enrolment) -> None:
        """A stay's end (the value of its ``call``)."""
        track = enrolment.track
        day = enrolment.ends_on
        track.groups[enrolment.group].remove(enrolment)
        track.census -= 1
        self._roster.release(enrolment.therapist, day)
        episode = enrolment.episode
        episode.end(enrolment.state, self._env.now)
        self._stay.settle(enrolment, self._horizon)
        self.rows[track.name][day].discharges += 1
        if self._readmission is not None:
            self._readmission.after(self.clinic, episode, enrolment.state)
        inclusive = not enrolment.at_start
        if track.continuous:  # the freed seat goes to the wait list at once, counted on the same row
            if track.wait_list:
                self._admit(track, day)
        else:
            self._schedule_round(track, inclusive)
        for other in self._others[track.name]:
            if other.continuous:
                self._admit(other, day)
            else:
                self._schedule_round(other, inclusive)

    # -- after the flow ----------------------------------------------------------------------------

    def _who_came(self) -> list[list[Attendance]]:
        """Each track's programme days that someone started, with who came to each group, in day order.

        Counted without a step per patient-day where it can be: each group's members on each day from
        where stays begin and end (a running sum), so that only the days someone came are visited one by
        one (``compress``), to list them; the rows' absences are the members less those who came.
        """
        opening_weekday = self.clinic.calendar.opening_weekday  # ClinicCalendar.week_of, written out below
        started_by_track: dict[str, list[Enrolment]] = {name: [] for name in self.tracks}
        for enrolment in self.enrolments:
            if enrolment.started:
                started_by_track[enrolment.track.name].append(enrolment)
        held: list[list[Attendance]] = []
        for name, enrolled in started_by_track.items():
            track = self.tracks[name]
            groups = len(track.groups)
            length = max((e.first + e.started for e in enrolled), default=0)
            changes = [[0] * (length + 1) for _ in range(groups)]
            for enrolment in enrolled:
                change = changes[enrolment.group]
                change[enrolment.first] += 1
                change[enrolment.first + enrolment.started] -= 1
            # Per group and day index: the members who started that day (came or not).
            members = [list(accumulate(change)) for change in changes]
            everyone = members[0] if groups == 1 else [sum(counts) for counts in zip(*members, strict=True)]
            rows, days = self.rows[name], track.days
            # Per group, per day index: who came (an empty list for a day nobody started).
            came_on: list[list[list[Enrolment]]] = [[[] for _ in range(length)] for _ in range(groups)]
            for enrolment in enrolled:
                lists = came_on[enrolment.group]
                first = enrolment.first
                for index in compress(range(first, first + enrolment.started), enrolment.attended):
                    lists[index].append(enrolment)
            # One pass over the days someone started: the day's Attendance and its row's counts together.
            # Each day's groups are read from the lists turned day by group at once (zip, in C), with no
            # loop over groups per day; one group needs no turning, and its days share one ``[True]``.
            kept: list[Attendance] = []
            if groups == 1:
                only = came_on[0]
                for index in compress(range(length), everyone):
                    day = days[index]
                    row = rows[day]
                    here = only[index]
                    came_count = len(here)
                    row.attended += came_count
                    row.absent += everyone[index] - came_count
                    kept.append(Attendance(track, day, (opening_weekday + day) // 7, row, [here], _SCHEDULED))
            else:
                came_by_day = list(zip(*came_on, strict=True))
                marked = [[count > 0 for count in counts] for counts in members]
                scheduled_by_day = list(zip(*marked, strict=True))
                for index in compress(range(length), everyone):
                    day = days[index]
                    row = rows[day]
                    came = list(came_by_day[index])
                    came_count = sum(map(len, came))
                    row.attended += came_count
                    row.absent += everyone[index] - came_count
                    kept.append(
                        Attendance(
                            track, day, (opening_weekday + day) // 7, row, came, list(scheduled_by_day[index])
                        )
                    )
            held.append(kept)
        return held

    def _everyone_came(self) -> list[list[Attendance]]:
        """``_who_came`` when everyone always comes and each track has one group (the M/M/c clinic).

        Each track-day's members are who came: one list append per patient-day, nothing else.
        """
        opening_weekday = self.clinic.calendar.opening_weekday  # ClinicCalendar.week_of, written out below
        # A list per programme day started before the horizon, the only days a stay can have started.
        horizon = self._horizon
        members: dict[str, list[list[Enrolment]]] = {
            name: [[] for _ in range(track.index_from(horizon, False))] for name, track in self.tracks.items()
        }
        for enrolment in self.enrolments:
            started = enrolment.started
            if started:
                first = enrolment.first
                for here in members[enrolment.track.name][first : first + started]:
                    here.append(enrolment)
        held: list[list[Attendance]] = []
        for name, table in members.items():
            track = self.tracks[name]
            rows, days = self.rows[name], track.days
            kept: list[Attendance] = []
            for index, here in enumerate(table):
                if here:
                    day = days[index]
                    row = rows[day]
                    row.attended += len(here)
                    kept.append(Attendance(track, day, (opening_weekday + day) // 7, row, [here], _SCHEDULED))
            held.append(kept)
        return held

    def finish(self) -> list[TrackDay]:
        """Once the flow has stopped at the horizon: settle open stays, fill the rows, list attendance.

        Returns the daily rows in (day, track) order.
        """
        clinic = self.clinic
        horizon = clinic.horizon
        for enrolment in self._open:
            self._stay.settle(enrolment, horizon)
        for name, rows in self.rows.items():
            census = waiting = 0
            for row, change in zip(rows, self._wait_change[name], strict=False):
                census += row.admissions - row.discharges
                waiting += change
                row.census, row.wait_list = census, waiting
        clinic.roster.close_days()

        # Who came, per track-day and group: members in admission order, which is each group's order.
        if self._stay.always_attends and all(len(track.groups) == 1 for track in self._track_list):
            held = self._everyone_came()
        else:
            held = self._who_came()
        if len(held) == 1:  # one track: its days are in clock order already
            self.attendance = held[0]
        else:
            listed = [(a.day, self._order[a.track.name], a) for kept in held for a in kept]
            # Sorted as tuples, no key function: (day, track order) is each track-day's own (one
            # Attendance a track a day), so no comparison ever reaches the Attendance itself.
            listed.sort()
            self.attendance = [a for _, _, a in listed]
        names = sorted(self.rows)
        if len(names) == 1:
            return list(self.rows[names[0]])
        # The tracks' lists (a row for each of the calendar's days) interleaved: (day, track) order.
        return list(chain.from_iterable(zip(*(self.rows[name] for name in names), strict=True)))


def _admission_key(episode: Episode) -> tuple[bool, float, int]:
    """A ``step_down_first`` wait list's order: step-downs first, then by the time joined, then by id."""
    return (episode.source_kind != "step_down", episode.wait_list_day or 0.0, episode.episode_id)


def _drop(waiting: list[Episode], episode: Episode) -> bool:
    """Take ``episode`` off a wait list if it is on it (whether it was): found by identity, as ``in`` and
    ``list.remove`` would find it (no two episodes are equal: each has its own id) without comparing
    Episode dataclasses field by field with every patient ahead of it."""
    for index, other in enumerate(waiting):
        if other is episode:
            del waiting[index]
            return True
    return False
