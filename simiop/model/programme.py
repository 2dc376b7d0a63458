"""Tracks and groups over the calendar: wait lists, admission, the flow of each programme day.

One simpy process walks the calendar and runs every open track's day at its
start time, handling all of that track's patients in one batch (hazards,
reviews, attendance, discharges). That keeps the event count proportional to
days x tracks, not patients x sessions. What a patient's stay does from day to
day is in stay.py; the group sessions and care of the days patients came are
delivered after the flow (attendance.py, delivery.py), since nothing in the
flow depends on them.

Admission rounds run at the track's start time on admission days. A patient
whose assessment ends at that very instant is not yet on the wait list for
that round (the round was scheduled first) and starts on the next one.

A day closes at midnight, after every track's programme day has ended (a
track may end at 24:00): its daily row then holds the census at midnight, and
every admission and discharge counted on the row happened before that close,
so census(yesterday) + admissions - discharges = census, whatever the hours.
Admissions and discharges at any instant (continuous admission) are counted
on the day still open when they happen, not on int(time), which differs at
exactly midnight.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simiop.model.attendance import Attendance
from simiop.model.calendar import HOURS_PER_DAY
from simiop.model.discharge import discharge_outcome
from simiop.model.records import (
    ADMINISTRATIVE,
    COMPLETED,
    LEFT_TRACK_FULL,
    LEFT_WAIT_LIST,
    STEP_UP,
    Episode,
    TrackDay,
)
from simiop.model.stay import Enrolment, Stay
from simiop.model.tracks import TrackState

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic


def _until(time: float, now: float) -> float:
    """The delay from ``now`` to a clock time, never negative.

    simpy stores now + delay, which can land one unit in the last place past
    the time meant; a later clock time equal to it (two tracks starting
    together, a track ending at 24:00 and the midnight close) must then wait 0,
    not raise 'Negative delay'.
    """
    return max(0.0, time - now)


class Programme:
    """All tracks, the calendar walk that runs their days, and admission from the wait lists."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        config = clinic.config
        self.tracks = {name: TrackState(name, spec) for name, spec in config.tracks.items() if spec.enabled}
        self.track_days = {
            (day, name): TrackDay(day=day, track=name)
            for day in range(clinic.calendar.days)
            for name in self.tracks
        }
        self._streams = clinic.streams
        self._attendance = clinic.streams.get("programme.attendance")
        self._hazards = clinic.streams.get("programme.hazards")
        self._stay = Stay(config, clinic.streams)
        self.attendance: list[Attendance] = []
        """Who came to each track-day, in clock order: the after-pass's input (delivery.py)."""
        self.today = 0
        """The day not yet closed: instant admissions and discharges are counted on its row."""
        clinic.env.process(self._calendar_walk())

    # -- joining a track ---------------------------------------------------------------------------

    def refer_to_track(self, episode: Episode) -> None:
        """After an 'admit' decision: choose a track by preference and fullness, then wait or leave."""
        wanted = [t for t in self.tracks.values() if episode.track_preference in ("either", t.spec.shift)]
        if not wanted:  # nobody runs the preferred shift: any track will do
            wanted = list(self.tracks.values())
        preferred = max(wanted, key=lambda t: (t.free_seats() / max(t.seats, 1), t.name))
        chosen = preferred
        if preferred.free_seats() <= 0:
            policy = preferred.spec.wait_list.when_full
            if policy == "leave":
                episode.end(LEFT_TRACK_FULL, self.clinic.env.now)
                return
            if policy == "switch":
                others = [t for t in self.tracks.values() if t is not preferred and t.free_seats() > 0]
                if others:
                    chosen = max(others, key=lambda t: (t.free_seats(), t.name))
        episode.track = chosen.name
        now = self.clinic.env.now
        episode.wait_list_day = now
        chosen.wait_list.append(episode)
        patience = chosen.spec.wait_list.patience_days
        if patience is not None:
            days = float(patience.sample(self._streams.get("wait_list.patience")))
            self.clinic.env.process(self._give_up(chosen, episode, days))
        if chosen.continuous:
            self._admit(chosen, self.today, self.track_days[(self.today, chosen.name)])

    def _give_up(self, track: TrackState, episode: Episode, days: float) -> Generator[Any, Any, None]:
        yield self.clinic.env.timeout(days)
        if episode in track.wait_list:
            track.wait_list.remove(episode)
            episode.end(LEFT_WAIT_LIST, self.clinic.env.now)

    # -- the calendar ------------------------------------------------------------------------------

    def _calendar_walk(self) -> Generator[Any, Any, None]:
        clinic = self.clinic
        env = clinic.env
        calendar = clinic.calendar
        by_start = sorted(self.tracks.values(), key=lambda t: (t.start_hours, t.name))
        last = calendar.days - 1
        for day in range(calendar.days):
            weekday = calendar.weekday_of(day)
            running = [] if calendar.is_holiday(day) else [t for t in by_start if weekday in t.spec.weekdays]
            for track in running:
                yield env.timeout(_until(day + track.start_hours / HOURS_PER_DAY, env.now))
                self._run_day(track, day)
            if day < last:  # the last day is closed by close_last_day, at the horizon
                # Scheduled after every end-of-day event of today's tracks (even one at 24:00), so
                # at midnight those run first; simpy orders equal times by scheduling order.
                yield env.timeout(_until(day + 1, env.now))
                self._close_day(day)

    def close_last_day(self) -> None:
        """Close the run's last day once the run has stopped at the horizon (its midnight).

        simpy runs nothing at the horizon itself, so the last close is made
        here, on the state after every event before the horizon.
        """
        self._close_day(self.clinic.calendar.days - 1)

    def _close_day(self, day: int) -> None:
        self.today = day + 1
        for name, track in self.tracks.items():
            row = self.track_days[(day, name)]
            row.census = track.census
            row.wait_list = len(track.wait_list)
        self.clinic.roster.close_day(day)  # only employed people hold patients

    # -- one programme day of one track ---------------------------------------------------------------

    def _run_day(self, track: TrackState, day: int) -> None:
        clinic = self.clinic
        row = self.track_days[(day, track.name)]
        start = day + track.start_hours / HOURS_PER_DAY
        end = day + track.end_hours / HOURS_PER_DAY
        if clinic.calendar.weekday_of(day) in track.admission_weekdays:
            self._admit(track, day, row)
        stay = self._stay
        review = stay.progress_review

        attendees: list[list[Enrolment]] = []
        attended = absent = 0
        for group in track.groups:
            came: list[Enrolment] = []
            attendees.append(came)
            if not group:
                continue
            # Each stream is drawn from in the same order as one draw per patient would, only in one
            # call per group: the same numbers, without a numpy call per patient and day.
            members = list(group)
            hazards = self._hazards.random(2 * len(members)).tolist()
            staying = []
            for enrolment, u_step_up, u_admin in zip(members, hazards[0::2], hazards[1::2], strict=True):
                # Step-up and administrative hazards, a progress review if one is due, then the payer's
                # concurrent review if the authorized days have run out.
                if u_step_up < enrolment.step_up_daily:
                    state: str | None = STEP_UP
                elif u_admin < enrolment.administrative_daily:
                    state = ADMINISTRATIVE
                else:
                    state = None
                    if review is not None and day >= enrolment.next_review_day:
                        state = stay.review(enrolment, review)
                    if state is None:
                        state = stay.authorize(enrolment, day)
                if state is not None:
                    self._discharge(track, enrolment, state, start, row)
                    continue
                staying.append(enrolment)
            for enrolment, u in zip(staying, self._attendance.random(len(staying)).tolist(), strict=True):
                if u < enrolment.propensity:
                    enrolment.consecutive_absences = 0
                    enrolment.episode.programme_days_attended += 1
                    came.append(enrolment)
                else:
                    enrolment.consecutive_absences += 1
            attended += len(came)
            absent += len(staying) - len(came)
        row.attended += attended
        row.absent += absent
        scheduled = [bool(group) for group in track.groups]
        self.attendance.append(
            Attendance(track, day, clinic.calendar.week_of(day), row, attendees, scheduled)
        )

        # A bare timeout with a callback, not a process: two events fewer per track-day.
        clinic.env.timeout(_until(end, clinic.env.now)).callbacks.append(
            lambda _: self._finish_day(track, day, end, row)
        )

    def _finish_day(self, track: TrackState, day: int, end: float, row: TrackDay) -> None:
        """At the end of the programme day: count the day, then discharge completions and dropouts.

        Runs as its own event at the end time, so seats and caseloads are freed
        when the patient actually leaves, not at the start of their last day.
        """
        # Everyone enrolled when the day ends, taken before any discharge: under continuous
        # admission a discharge admits at once, and the newcomer has not held this day.
        enrolled = [enrolment for group in track.groups for enrolment in group]
        next_day = track.next_programme_day(self.clinic.calendar, day)
        for enrolment in enrolled:
            enrolment.days_held += 1
            enrolment.episode.programme_days += 1
            state = self._stay.after_session(enrolment, next_day)
            if state is not None:
                self._discharge(track, enrolment, state, end, row)

    def _admit(self, track: TrackState, day: int, row: TrackDay) -> None:
        clinic = self.clinic
        spec = track.spec
        order = track.wait_list
        if spec.wait_list.discipline == "step_down_first":
            order = sorted(
                order, key=lambda e: (e.source_kind != "step_down", e.wait_list_day or 0.0, e.episode_id)
            )
        admitted: list[Episode] = []
        for episode in order:
            group = track.open_group()
            therapist = clinic.roster.primary_therapist(spec.facilitator_role, day, spec.shift)
            if group is None or therapist is None:
                break
            clinic.roster.assign(therapist)
            enrolment = self._stay.enrol(track, episode, group, therapist, day, clinic.env.now)
            track.groups[group].append(enrolment)
            admitted.append(episode)
            if track.continuous and clinic.config.length_of_stay.planned_stay_unit == "weeks":
                clinic.env.process(self._continuous_stay(enrolment))
        for episode in admitted:
            track.wait_list.remove(episode)
        row.admissions += len(admitted)

    def _continuous_stay(self, enrolment: Enrolment) -> Generator[Any, Any, None]:
        """Continuous admission: complete the moment the planned stay (with any extensions) ends."""
        env = self.clinic.env
        while env.now < enrolment.planned_end_day:
            yield env.timeout(enrolment.planned_end_day - env.now)
        if enrolment.episode.end_state is None:
            track = enrolment.track
            self._discharge(track, enrolment, COMPLETED, env.now, self.track_days[(self.today, track.name)])

    def _discharge(
        self, track: TrackState, enrolment: Enrolment, state: str, time: float, row: TrackDay
    ) -> None:
        track.groups[enrolment.group].remove(enrolment)
        self.clinic.roster.release(enrolment.therapist)
        enrolment.episode.end(state, time)
        row.discharges += 1
        discharge_outcome(self.clinic, enrolment.episode, state)
        if track.continuous:  # the freed seat goes to the wait list at once, counted on the same row
            self._admit(track, row.day, row)
