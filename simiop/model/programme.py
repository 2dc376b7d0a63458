"""Tracks and groups: wait lists, admission, and each programme day of each track.

One simpy process walks the calendar and runs every open track's day at its
start time, handling all of that track's patients in one batch (attendance,
group sessions, individual care, reviews, hazards, discharges). That keeps the
event count proportional to days x tracks, not patients x sessions.

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

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simiop.config.base import hours_of
from simiop.config.care import ProgressReview
from simiop.config.tracks import Track
from simiop.model.calendar import HOURS_PER_DAY, ClinicCalendar
from simiop.model.discharge import discharge_outcome
from simiop.model.records import (
    ADMINISTRATIVE,
    COMPLETED,
    DROPOUT,
    LEFT_TRACK_FULL,
    LEFT_WAIT_LIST,
    STEP_UP,
    EndState,
    Episode,
    PatientDay,
    TrackDay,
)
from simiop.model.staff import Person

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic

DAYS_PER_WEEK = 7.0


def _until(time: float, now: float) -> float:
    """The delay from ``now`` to a clock time, never negative.

    simpy stores now + delay, which can land one unit in the last place past
    the time meant; a later clock time equal to it (two tracks starting
    together, a track ending at 24:00 and the midnight close) must then wait 0,
    not raise 'Negative delay'.
    """
    return max(0.0, time - now)


def weekly_to_daily(weekly_probability: float, days_per_week: int) -> float:
    """Per-programme-day probability giving ``weekly_probability`` over one programme week."""
    return float(1.0 - (1.0 - min(weekly_probability, 1.0)) ** (1.0 / days_per_week))


@dataclass(slots=True, eq=False)
class Enrolment:
    """A patient in the programme: their group, therapist and where they are in their plan."""

    episode: Episode
    track: TrackState
    group: int
    therapist: Person
    propensity: float
    planned_end_day: float
    planned_days: int
    step_up_daily: float
    administrative_daily: float
    next_review_day: float
    family: bool
    next_family_day: float
    next_prescriber_day: float
    days_held: int = 0
    consecutive_absences: int = 0
    extensions: int = 0
    prescriber_seen: bool = False
    individual_week: int = -1
    individual_this_week: int = 0
    group_ran_today: bool = False
    authorized_until: float = math.inf
    """Attended days (or the calendar day) the payer has authorized so far; inf: no authorization needed."""
    review_denied: bool = False


class TrackState:
    """One enabled track: its groups (lists of enrolments) and its wait list."""

    def __init__(self, name: str, spec: Track) -> None:
        self.name = name
        self.spec = spec
        self.groups: list[list[Enrolment]] = [[] for _ in range(spec.groups)]
        self.wait_list: list[Episode] = []
        policy = spec.admission
        self.admission_weekdays = (
            set(policy.cohort_weekdays or ()) if policy.policy == "cohort" else set(spec.weekdays)
        )
        self.continuous = policy.policy == "continuous"
        """Admit and discharge at any instant: the textbook queue, for verification."""
        self.start_hours = hours_of(spec.start_time)
        self.end_hours = self.start_hours + spec.hours_per_day

    @property
    def census(self) -> int:
        return sum(len(group) for group in self.groups)

    @property
    def seats(self) -> int:
        return self.spec.seats

    def free_seats(self) -> int:
        return self.seats - self.census - len(self.wait_list)

    def next_programme_day(self, calendar: ClinicCalendar, day: int) -> int:
        """The first day after ``day`` on one of this track's weekdays (holidays included)."""
        following = day + 1
        while calendar.weekday_of(following) not in self.spec.weekdays:
            following += 1
        return following

    def open_group(self) -> int | None:
        """The group with the fewest members that still has a seat."""
        sizes = [
            (len(group), index)
            for index, group in enumerate(self.groups)
            if len(group) < self.spec.group_size.max
        ]
        return min(sizes)[1] if sizes else None


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
        self._reviews = clinic.streams.get("programme.reviews")
        self._authorization = clinic.streams.get("programme.authorization")
        self._absences_to_dropout = config.attendance.consecutive_absences_to_dropout
        self._services = config.services
        self._progress_review = config.length_of_stay.progress_review
        self._patient_days = clinic.records.patient_days
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
            sessions: list[tuple[float, float, int, set[str]]] = []  # (start, end, rooms, facilitators)
            for track in running:
                yield env.timeout(_until(day + track.start_hours / HOURS_PER_DAY, env.now))
                self._run_day(track, day, sessions)
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
        roster = self.clinic.roster
        for role in roster.by_role:
            staff_row = self.clinic.roster_log(role, day)
            staff_row.employed, staff_row.present, staff_row.employed_fte = roster.headcount(role, day)
            staff_row.caseload = roster.caseload_by_role[role]  # only employed people hold patients

    # -- one programme day of one track ---------------------------------------------------------------

    def _run_day(
        self, track: TrackState, day: int, sessions: list[tuple[float, float, int, set[str]]]
    ) -> None:
        clinic = self.clinic
        spec = track.spec
        row = self.track_days[(day, track.name)]
        start = day + track.start_hours / HOURS_PER_DAY
        end = day + track.end_hours / HOURS_PER_DAY
        week = clinic.calendar.week_of(day)
        if clinic.calendar.weekday_of(day) in track.admission_weekdays:
            self._admit(track, day, row)
        review = self._progress_review

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
                    state: EndState | None = STEP_UP
                elif u_admin < enrolment.administrative_daily:
                    state = ADMINISTRATIVE
                else:
                    state = None
                    if review is not None and day >= enrolment.next_review_day:
                        state = self._review(enrolment, review)
                    if state is None:
                        state = self._authorize(enrolment, day)
                if state is not None:
                    self._discharge(track, enrolment, state, start, row)
                    continue
                staying.append(enrolment)
            for enrolment, u in zip(staying, self._attendance.random(len(staying)).tolist(), strict=True):
                enrolment.group_ran_today = False
                if u < enrolment.propensity:
                    enrolment.consecutive_absences = 0
                    came.append(enrolment)
                else:
                    enrolment.consecutive_absences += 1
            attended += len(came)
            absent += len(staying) - len(came)
        row.attended += attended
        row.absent += absent

        per_day = spec.group_sessions_per_day
        for session in self._hold_sessions(track, day, week, attendees, sessions, row):
            for enrolment in session:
                enrolment.group_ran_today = True
                enrolment.episode.group_sessions_attended += per_day
            row.group_attendances += per_day * len(session)

        group_hours = per_day * spec.session_minutes / 60.0
        for group in attendees:
            for enrolment in group:
                self._care_for(enrolment, day, week, row, group_hours if enrolment.group_ran_today else None)

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
            state = self._after_session(enrolment, next_day)
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
            enrolment = self._enrol(track, episode, group, therapist, day)
            track.groups[group].append(enrolment)
            admitted.append(episode)
            if track.continuous and clinic.config.length_of_stay.planned_stay_unit == "weeks":
                clinic.env.process(self._stay(enrolment))
        for episode in admitted:
            track.wait_list.remove(episode)
        row.admissions += len(admitted)

    def _enrol(
        self, track: TrackState, episode: Episode, group: int, therapist: Person, day: int
    ) -> Enrolment:
        config = self.clinic.config
        streams = self._streams
        stay = config.length_of_stay
        acuity = config.referrals.acuity_classes[episode.acuity]
        planned = float(stay.planned_stay.sample(streams.get("programme.planned_stay")))
        days_per_week = len(track.spec.weekdays)
        review = stay.progress_review
        family = config.services.family
        episode.admitted_day = self.clinic.env.now
        episode.therapist = therapist.person_id
        episode.group = group
        begin = episode.admitted_day if track.continuous else day
        authorization = config.money.payers[episode.payer].authorization
        return Enrolment(
            episode=episode,
            track=track,
            group=group,
            therapist=therapist,
            propensity=float(config.attendance.propensity.sample(streams.get("programme.propensity"))),
            planned_end_day=begin + planned * DAYS_PER_WEEK
            if stay.planned_stay_unit == "weeks"
            else math.inf,
            planned_days=max(1, math.ceil(planned)) if stay.planned_stay_unit == "programme_days" else 0,
            step_up_daily=weekly_to_daily(
                stay.step_up_weekly_hazard * acuity.step_up_hazard_multiplier, days_per_week
            ),
            administrative_daily=weekly_to_daily(stay.administrative_weekly_hazard, days_per_week),
            next_review_day=day + review.interval_weeks * DAYS_PER_WEEK if review else math.inf,
            family=family is not None and streams.get("programme.family").random() < family.share_of_patients,
            next_family_day=day,
            next_prescriber_day=day,
            authorized_until=math.inf if authorization is None else float(authorization.initial_days),
        )

    def _review(self, enrolment: Enrolment, review: ProgressReview) -> EndState | None:
        """A due progress review: complete early, extend the planned stay, or carry on."""
        enrolment.next_review_day += review.interval_weeks * DAYS_PER_WEEK
        u = self._reviews.random()
        if u < review.early_completion_probability:
            return COMPLETED
        if u < review.early_completion_probability + review.extend_probability and (
            enrolment.extensions < review.max_extensions
        ):
            enrolment.extensions += 1
            enrolment.planned_end_day += review.extension_weeks * DAYS_PER_WEEK
            if enrolment.planned_days:
                days_per_week = len(enrolment.track.spec.weekdays)
                enrolment.planned_days += math.ceil(review.extension_weeks * days_per_week)
        return None

    def _authorize(self, enrolment: Enrolment, day: int) -> EndState | None:
        """A concurrent review when the authorized days have run out; ADMINISTRATIVE if denied and so set.

        Draws from its own stream, only when a review is due, so payers without
        authorization (and every other random element) draw exactly as before.
        """
        if enrolment.review_denied:
            return None
        episode = enrolment.episode
        rule = self.clinic.config.money.payers[episode.payer].authorization
        if rule is None:
            return None
        used = (
            episode.programme_days_attended
            if rule.unit == "attended_days"
            else day - math.floor(episode.admitted_day or 0.0)
        )
        while used >= enrolment.authorized_until:
            episode.authorization_reviews += 1
            if self._authorization.random() < rule.approval_probability:
                enrolment.authorized_until += rule.days_per_approval
                continue
            episode.authorization_denied = True
            if rule.on_denial == "administrative_discharge":
                return ADMINISTRATIVE
            enrolment.review_denied = True
            return None
        return None

    def _after_session(self, enrolment: Enrolment, next_day: int) -> EndState | None:
        """Dropout after too many absences in a row, or completion; ``next_day``: the track's next day."""
        if enrolment.consecutive_absences >= self._absences_to_dropout:
            return DROPOUT
        if enrolment.planned_days and enrolment.days_held >= enrolment.planned_days:
            return COMPLETED
        # A stay ends on the last programme day before its planned end (continuous: see _stay).
        if not enrolment.track.continuous and next_day >= enrolment.planned_end_day:
            return COMPLETED
        return None

    def _stay(self, enrolment: Enrolment) -> Generator[Any, Any, None]:
        """Continuous admission: complete the moment the planned stay (with any extensions) ends."""
        env = self.clinic.env
        while env.now < enrolment.planned_end_day:
            yield env.timeout(enrolment.planned_end_day - env.now)
        if enrolment.episode.end_state is None:
            track = enrolment.track
            self._discharge(track, enrolment, COMPLETED, env.now, self.track_days[(self.today, track.name)])

    def _hold_sessions(
        self,
        track: TrackState,
        day: int,
        week: int,
        attendees: list[list[Enrolment]],
        sessions: list[tuple[float, float, int, set[str]]],
        row: TrackDay,
    ) -> list[list[Enrolment]]:
        """Decide which group sessions run today: merge small groups, then find facilitators and rooms."""
        spec = track.spec
        clinic = self.clinic
        size = spec.group_size
        # A scheduled group ends as exactly one of: run, merged into another session, or cancelled.
        for group, came in zip(track.groups, attendees, strict=True):
            if group:
                row.groups_scheduled += 1
                if not came:
                    row.cancelled_too_few += 1
        nonempty = sorted((g for g in attendees if g), key=len, reverse=True)
        running = [list(g) for g in nonempty if len(g) >= size.min]
        pending: list[list[Enrolment]] = []
        for small in (g for g in nonempty if len(g) < size.min):
            target = min((r for r in running if len(r) + len(small) <= size.max), key=len, default=None)
            if target is not None:
                target.extend(small)
                row.groups_merged += 1
            elif pending and len(pending[-1]) + len(small) <= size.max:
                pending[-1].extend(small)
                row.groups_merged += 1
            else:
                pending.append(list(small))
        for combined in pending:
            if len(combined) >= size.min:
                running.append(combined)
            else:
                row.cancelled_too_few += 1

        if not running:  # nothing to staff: no facilitator or room is taken
            return []
        hours = spec.hours_per_day
        start, end = track.start_hours, track.end_hours
        overlapping = [s for s in sessions if s[0] < end and start < s[1]]
        rooms_free = clinic.config.rooms.group_rooms - sum(s[2] for s in overlapping)
        busy = set().union(*(s[3] for s in overlapping)) if overlapping else set()
        candidates = [
            p
            for p in clinic.roster.present(spec.facilitator_role, day, spec.shift)
            if p.person_id not in busy and p.hours_left(week) >= hours - 1e-9
        ]
        held: list[list[Enrolment]] = []
        used_people: set[str] = set()
        log = clinic.roster_log(spec.facilitator_role, day)
        for session in running:
            if len(candidates) < spec.facilitators_per_group:
                row.cancelled_no_facilitator += 1
                continue
            if rooms_free <= 0:
                row.cancelled_no_room += 1
                continue
            candidates.sort(key=lambda p: (-p.hours_left(week), p.person_id))
            for person in candidates[: spec.facilitators_per_group]:
                person.hours_by_week[week] += hours
                used_people.add(person.person_id)
                log.group_hours += hours
                row.facilitation_hours += hours
            candidates = candidates[spec.facilitators_per_group :]
            rooms_free -= 1
            held.append(session)
            row.groups_run += 1
            row.largest_group = max(row.largest_group, len(session))
        sessions.append((start, end, len(held), used_people))
        return held

    def _care_for(
        self, enrolment: Enrolment, day: int, week: int, row: TrackDay, group_hours: float | None
    ) -> None:
        """Individual therapy, prescriber and family sessions for a patient who came today, and the
        day's billing record; ``group_hours``: the day's group hours if their group ran, else None."""
        roster = self.clinic.roster
        services = self._services
        episode = enrolment.episode
        episode.programme_days_attended += 1
        extra_services = 0
        extra_hours = 0.0
        individual_hours = family_hours = prescriber_hours = 0.0
        prescriber_initial = False
        if enrolment.individual_week != week:
            enrolment.individual_week, enrolment.individual_this_week = week, 0
        therapist = enrolment.therapist
        # Person.present and Person.hours_left written out: this runs for every attended patient-day.
        therapist_here = day >= therapist.start_day and not therapist.absent[day]
        individual = services.individual_therapy
        if individual is not None and enrolment.individual_this_week < individual.sessions_per_week:
            hours = individual.session_minutes / 60.0
            if therapist_here and therapist.weekly_hours - therapist.hours_by_week[week] >= hours:
                self._book_hours(therapist, day, week, hours, "individual_hours", row)
                enrolment.individual_this_week += 1
                episode.individual_sessions += 1
                extra_services += 1
                extra_hours += hours
                individual_hours = hours
        prescriber = services.prescriber
        if prescriber is not None and day >= enrolment.next_prescriber_day:
            minutes = (
                prescriber.follow_up_minutes if enrolment.prescriber_seen else prescriber.initial_minutes
            )
            hours = minutes / 60.0
            person = roster.with_hours(roster.present(prescriber.role, day), week, hours)
            if person is not None:
                self._book_hours(person, day, week, hours, "prescriber_hours", row)
                prescriber_initial = not enrolment.prescriber_seen
                prescriber_hours = hours
                enrolment.prescriber_seen = True
                enrolment.next_prescriber_day = day + prescriber.follow_up_interval_weeks * DAYS_PER_WEEK
                episode.prescriber_visits += 1
                extra_services += 1
                extra_hours += hours
        family = services.family
        if family is not None and enrolment.family and day >= enrolment.next_family_day:
            hours = family.session_minutes / 60.0
            people = (
                [therapist]
                if family.role == therapist.role and therapist_here
                else roster.present(family.role, day)
            )
            person = roster.with_hours(people, week, hours)
            if person is not None:
                self._book_hours(person, day, week, hours, "family_hours", row)
                enrolment.next_family_day = day + family.interval_weeks * DAYS_PER_WEEK
                episode.family_sessions += 1
                extra_services += 1
                extra_hours += hours
                family_hours = hours
        spec = enrolment.track.spec
        groups = 0 if group_hours is None else spec.group_sessions_per_day
        hours_today = extra_hours if group_hours is None else group_hours + extra_hours
        episode.service_hours += hours_today
        self._patient_days.append(
            PatientDay(
                episode.episode_id,
                day,
                week,
                groups + extra_services,
                hours_today,
                groups=groups,
                programme_hours=0.0 if group_hours is None else spec.hours_per_day,
                individual_hours=individual_hours,
                family_hours=family_hours,
                prescriber_hours=prescriber_hours,
                prescriber_initial=prescriber_initial,
                review_denied=enrolment.review_denied,
            )
        )

    def _book_hours(
        self, person: Person, day: int, week: int, hours: float, activity: str, row: TrackDay
    ) -> None:
        """Charge a care session to the person's week, the role's day and the track's day.

        ``activity`` names the hours column that staff.csv (StaffDay) and
        daily.csv (TrackDay) share, so one call keeps all three in step.
        """
        person.hours_by_week[week] += hours
        log = self.clinic.roster_log(person.role, day)
        setattr(log, activity, getattr(log, activity) + hours)
        setattr(row, activity, getattr(row, activity) + hours)

    def _discharge(
        self, track: TrackState, enrolment: Enrolment, state: EndState, time: float, row: TrackDay
    ) -> None:
        track.groups[enrolment.group].remove(enrolment)
        self.clinic.roster.release(enrolment.therapist)
        enrolment.episode.end(state, time)
        row.discharges += 1
        discharge_outcome(self.clinic, enrolment.episode, state)
        if track.continuous:  # the freed seat goes to the wait list at once, counted on the same row
            self._admit(track, row.day, row)
