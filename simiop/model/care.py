"""Individual therapy, prescriber and family sessions on the clock, and the record of each attended day.

Care is attempted on the days a patient came, when a service is due, after
every group session of the day (delivery.py). Each session is placed at a
clock time with a person: pulled out of a group session's slot (the patient
misses that group: one service, not two) or just before or after the
programme day, in the order the config gives per service
(``services.<service>.placement``). The person must work the patient's
track's shift, be free then and inside their shift window, and have the
minutes left in their daily and weekly direct budgets. A due session that
cannot be placed is a ``missed`` sessions.csv row with its reason and stays
due for the next attended day. Care draws no random numbers; who gets family
sessions was drawn at enrolment (CarePlan).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from simiop.config.care import Placement
from simiop.config.clock import Window
from simiop.config.model import SimiopConfig
from simiop.model.clock import EPS, Timeline
from simiop.model.records import PatientDays, SessionKind, SessionReason, TrackDay
from simiop.model.session_table import NO_TIME
from simiop.model.sessions import HeldSession, SessionLog
from simiop.model.staff import Activity, Person, Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState

DAYS_PER_WEEK = 7.0

SLOT_STEP_MINUTES = 10.0
"""Before or after the programme day, candidate starts step away from it by this much (ASSUMPTION:
appointments on a 10-minute grid relative to the patient's day)."""


class PatientToday:
    """One patient's day while their care is placed: busy for the programme day and any care booked
    next to it (a timeline), and the group sessions they were pulled out of."""

    __slots__ = ("assessed", "pulled", "timeline")

    def __init__(self, programme: tuple[float, float], assessed: tuple[float, float] | None = None) -> None:
        timeline = self.timeline = Timeline()  # Timeline.busy, written out: one per patient with care due
        timeline.starts.append(programme[0])
        timeline.ends.append(programme[1])
        self.pulled: list[int] = []
        self.assessed = assessed
        """The patient's intake assessment today, if any (admitted the day they were assessed)."""
        if assessed is not None and self.timeline.free(*assessed):
            self.timeline.take(*assessed)

    def free_in_programme(self, start: float, end: float) -> bool:
        """Whether a pull-out at ``[start, end)`` misses the patient's assessment (the only thing that can
        be busy inside the programme day besides groups: a patient who joined during the day)."""
        assessed = self.assessed
        return assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS


Placed = tuple[float, Person, Placement, int]
"""(start minute, person, placement, group session pulled out of or -1)."""


@dataclass(slots=True, eq=False)
class CarePlan:
    """One enrolled patient's care: whether they have family sessions and when each service is next due."""

    family: bool
    next_family_day: float
    next_prescriber_day: float
    prescriber_seen: bool = False
    individual_week: int = -1
    individual_this_week: int = 0
    next_due: float = 0.0
    """No service is due before this day (the earliest of the three): care skips the patient until then."""


class _Service:
    """One care service as the after-pass books it, read once from the config and the record: the hours
    a session books, its minutes (as ``_give`` places it) and the hours ``_able`` checks (minutes / 60),
    where it may go, the roster's hours per role and day of its activity and the record's (rows, hours)."""

    __slots__ = ("activity", "booked", "check_hours", "hours", "minutes", "placements", "record")

    def __init__(
        self,
        activity: Activity,
        hours: float,
        placements: tuple[Placement, ...],
        booked: dict[str, list[float]],
        record: tuple[list[int], list[float]],
    ) -> None:
        self.activity = activity
        self.hours = hours
        self.minutes = hours * 60.0
        self.check_hours = self.minutes / 60.0
        self.placements = placements
        self.booked = booked
        self.record = record


class Care:
    """The services of the config, booking hours on the roster and writing patient-day records.

    Records go straight into the columns of ``patient_days`` (PatientDays):
    a row's episode and whether its group ran, the track-day once, and a
    session's hours only on the rows that had one. ``close`` ends the pass
    (after the last ``care_for``): what is added up from the record.
    """

    def __init__(
        self, config: SimiopConfig, roster: Roster, patient_days: PatientDays, log: SessionLog | None = None
    ) -> None:
        self._roster = roster
        self._log = log if log is not None else SessionLog()
        self._days = patient_days
        self._episode_ids = patient_days.episode_id
        self._ran = patient_days.ran
        self._rows = len(patient_days.episode_id)
        self._groups: list[Sequence[Enrolment]] = []
        """Every group of patients who came, in order (``close`` finds the episodes in them)..."""
        self._served: list[Enrolment] = []
        """...or, when care has services, each patient at their first attended day."""
        self._shapes: dict[str, tuple[int, float, float]] = {}
        """Per track: group sessions a day, programme hours and a patient's group hours (read once)."""
        self._hours = roster.booked_hours()
        self._week_start = roster.calendar.week_start
        services = config.services
        individual, prescriber, family = services.individual_therapy, services.prescriber, services.family
        # Read once: this runs for every attended patient-day.
        self._individual_per_week = individual.sessions_per_week if individual is not None else 0
        self._individual_hours = individual.session_minutes / 60.0 if individual is not None else 0.0
        self._prescriber = prescriber
        self._prescriber_hours = (
            (prescriber.initial_minutes / 60.0, prescriber.follow_up_minutes / 60.0)
            if prescriber is not None
            else (0.0, 0.0)
        )
        self._prescriber_every = (
            prescriber.follow_up_interval_weeks * DAYS_PER_WEEK if prescriber is not None else 0.0
        )
        self._family = family
        self._family_hours = family.session_minutes / 60.0 if family is not None else 0.0
        self._family_every = family.interval_weeks * DAYS_PER_WEEK if family is not None else 0.0
        booked = self._hours
        self._individual = (
            _Service(
                "individual",
                self._individual_hours,
                individual.placement,
                booked["individual"],
                patient_days.individual,
            )
            if individual is not None
            else None
        )
        self._prescriber_services = (
            tuple(
                _Service(
                    "prescriber", hours, prescriber.placement, booked["prescriber"], patient_days.prescriber
                )
                for hours in self._prescriber_hours
            )
            if prescriber is not None
            else ()
        )
        """The first visit's and a follow-up's (indexed by CarePlan.prescriber_seen)."""
        self._family_service = (
            _Service("family", self._family_hours, family.placement, booked["family"], patient_days.family)
            if family is not None
            else None
        )
        self._outside = services.outside_window_minutes
        self._max_pull_outs = services.max_pull_outs_per_day
        self.assessed: dict[int, tuple[float, float]] = {}
        """Today's intake assessments held, by episode: [start, end) (delivery.py sets it each day)."""
        self._pull_outs: dict[tuple[str, float], list[tuple[int, float, float]]] = {}
        """Per (track, session minutes): the pull-out slots a session fits in (``_fitting``), found once."""
        self._on_shift: dict[tuple[str, str], bool] = {}
        """Per (role, shift): whether anybody of the role ever works the shift (else: no_staff_on_shift)."""
        self._any_service = self._individual_per_week > 0 or prescriber is not None or family is not None
        """Whether any patient can be due a service (else a group's records are written in one go)."""
        self._missed_codes: dict[tuple[str, str, str], int] = {}
        """(kind, track, reason) -> the log's code of a missed session's key."""
        self._held_codes: dict[tuple[str, str, int, str, float, str], int] = {}
        """(kind, track, slot, placement, start, person) -> the log's code of a held session's key (the kind
        gives the minutes, so the end)."""

    def care_for(
        self,
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        groups: Sequence[Sequence[Enrolment]],
        sessions: Sequence[HeldSession | None],
    ) -> None:
        """Individual therapy, prescriber and family sessions for the patients who came to one track-day
        (``row`` of ``track``), group by group in order, and each one's record; ``sessions``: per group,
        the group session it was in, None if its session did not run.

        One call per track-day, not per patient: what every patient of the day
        shares is read once, a patient with nothing due (CarePlan.next_due) is
        passed over in one comparison, and a run with none of the services
        writes each group's records in one go (this is the model's innermost
        loop). A session given counts on the episode at once; the episodes'
        group sessions and service hours, and denied reviews, are written by
        ``close``, from the record.
        """
        index = self._rows
        shape = self._shapes.get(track.name)
        if shape is None:
            spec = track.spec
            per_day = spec.group_sessions_per_day
            shape = self._shapes[track.name] = (
                per_day,
                spec.hours_per_day,
                per_day * spec.session_minutes / 60.0,
            )
        self._days.track_days.append((index, day, week, *shape))
        episode_ids, ran_days, served = self._episode_ids, self._ran, self._groups
        for group, session in zip(groups, sessions, strict=True):
            count = len(group)
            if not count:
                continue
            if not self._any_service:
                served.append(group)
            episode_ids.extend(map(_episode_id, group))
            ran_days.extend([session is not None] * count)
            if self._any_service:
                self._serve(track, day, week, row, group, session, index)
            index += count
        self._rows = index

    def _serve(
        self,
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        group: Sequence[Enrolment],
        session: HeldSession | None,
        index: int,
    ) -> None:
        """The services due to each patient of one group who came, from record row ``index`` on.

        Only a patient with something due (CarePlan.next_due) is looked at:
        this runs for every attended patient-day. The patient's own therapist
        (individual therapy, family sessions of the therapist's role) is
        checked here without a list (``_able`` for one person, written out).
        """
        per_week = self._individual_per_week
        prescriber, family = self._prescriber, self._family
        next_week: int | None = None
        shift = track.spec.shift
        name = track.name
        missed_codes = self._missed_codes
        log = self._log
        log_day, log_key, log_patients = log.day.append, log.key.append, log.patients.append
        individual = self._individual
        # Who can give a prescriber or family session today on the track's shift: the same for every
        # patient of the group (read-only lists; _able makes its own), looked up at the first need.
        prescribers: list[Person] | None = None
        family_pool: list[Person] | None = None
        family_role = family.role if family is not None else ""
        for at, enrolment in enumerate(group, index):
            plan = enrolment.care
            if day < plan.next_due:  # nothing due today: most patient-days
                continue
            if plan.individual_week != week:
                if plan.individual_week < 0:  # the patient's first attended day
                    self._served.append(enrolment)
                plan.individual_week, plan.individual_this_week = week, 0
            therapist = enrolment.therapist
            episode = enrolment.episode
            episode_id = episode.episode_id
            # The therapist at work today (individual therapy and a family session of their role).
            present = day >= therapist.start_day and not therapist.absent[day]
            # The patient's day, made at the first session that gets as far as a search for a slot (most
            # due sessions fail earlier: nobody at work or nobody with the minutes left).
            patient: PatientToday | None = None
            if plan.individual_this_week < per_week:
                assert individual is not None
                reason: SessionReason | None = None
                if not present:
                    reason = self._nobody(therapist.role, shift)
                else:  # _able for the one therapist, written out
                    timeline = therapist.timeline if therapist.timeline_day == day else therapist.today(day)
                    if not (
                        timeline.direct + individual.minutes <= therapist.daily_limit + 1e-9
                        and therapist.hours_by_week[week] + individual.check_hours
                        <= therapist.weekly_hours + 1e-9
                    ):
                        reason = "no_staff_time"
                if reason is not None:
                    code = missed_codes.get(("individual", name, reason))
                    if code is None:
                        code = self._missed_code("individual", name, reason)
                    log_day(day)
                    log_key(code)
                    log_patients([episode_id])
                else:
                    patient = PatientToday(track.programme, self.assessed.get(episode_id))
                    if self._give(
                        individual, "individual", [therapist], track, day, week, row, episode_id, at, session,
                        patient,
                    ):  # fmt: skip
                        plan.individual_this_week += 1
                        episode.individual_sessions += 1
            if prescriber is not None and day >= plan.next_prescriber_day:
                seen = plan.prescriber_seen
                kind: SessionKind = "prescriber_follow_up" if seen else "prescriber_initial"
                service = self._prescriber_services[seen]
                if prescribers is None:
                    prescribers = self._roster.present(prescriber.role, day, shift)
                able = self._able(prescribers, prescriber.role, shift, day, week, service.minutes)
                if isinstance(able, str):
                    code = missed_codes.get((kind, name, able))
                    if code is None:
                        code = self._missed_code(kind, name, able)
                    log_day(day)
                    log_key(code)
                    log_patients([episode_id])
                else:
                    if patient is None:
                        patient = PatientToday(track.programme, self.assessed.get(episode_id))
                    if self._give(
                        service, kind, able, track, day, week, row, episode_id, at, session, patient
                    ):
                        if not seen:
                            self._days.prescriber_initial.append(at)
                        plan.prescriber_seen = True
                        plan.next_prescriber_day = day + self._prescriber_every
                        episode.prescriber_visits += 1
            if family is not None and plan.family and day >= plan.next_family_day:
                family_service = self._family_service
                assert family_service is not None
                if present and therapist.role == family_role:
                    people = [therapist]
                else:
                    if family_pool is None:
                        family_pool = self._roster.present(family.role, day, shift)
                    people = family_pool
                able = self._able(people, family.role, shift, day, week, family_service.minutes)
                if isinstance(able, str):
                    code = missed_codes.get(("family", name, able))
                    if code is None:
                        code = self._missed_code("family", name, able)
                    log_day(day)
                    log_key(code)
                    log_patients([episode_id])
                else:
                    if patient is None:
                        patient = PatientToday(track.programme, self.assessed.get(episode_id))
                    if self._give(
                        family_service, "family", able, track, day, week, row, episode_id, at, session, patient
                    ):  # fmt: skip
                        plan.next_family_day = day + self._family_every
                        episode.family_sessions += 1
            # When to look again: today's week's sessions done, the next week; a service still due
            # (it could not be placed), the next attended day.
            if plan.individual_this_week >= per_week:
                if next_week is None:
                    next_week = self._week_start(week + 1)
                due: float = next_week
            else:
                due = day
            if prescriber is not None and plan.next_prescriber_day < due:
                due = plan.next_prescriber_day
            if family is not None and plan.family and plan.next_family_day < due:
                due = plan.next_family_day
            plan.next_due = due

    def _able(
        self, people: Sequence[Person], role: str, shift: str, day: int, week: int, minutes: float
    ) -> list[Person] | SessionReason:
        """Who of ``people`` (at work, on the track's shift) has ``minutes`` left in their daily and weekly
        direct budgets (Person.can_give, written out); else why a session is missed before any slot is
        looked at: no_staff_on_shift (nobody of the role ever works the shift), staff_absent (nobody at
        work), no_staff_time (nobody with the minutes left).

        Most missed sessions end here (a session stays due and is tried again on each attended day),
        so this is the cheap first question, asked before the patient's day is laid out.
        """
        if not people:
            return self._nobody(role, shift)
        able = []
        hours = minutes / 60.0
        for person in people:
            timeline = person.timeline if person.timeline_day == day else person.today(day)
            if (
                timeline.direct + minutes <= person.daily_limit + 1e-9
                and person.hours_by_week[week] + hours <= person.weekly_hours + 1e-9
            ):
                able.append(person)
        return able or "no_staff_time"

    def _give(
        self,
        service: _Service,
        kind: SessionKind,
        able: list[Person],
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        episode_id: int,
        at: int,
        session: HeldSession | None,
        patient: PatientToday,
    ) -> bool:
        """Place one due session of ``service`` with one of ``able`` (at work, on the track's shift, with
        the minutes left: ``_able``) and book it, or write a missed row (no_slot); whether it was given."""
        minutes = service.minutes  # the config's minutes / 60 and back: within a rounding error
        if len(able) == 1:
            placed = self._place_one(minutes, service.placements, track, able[0], patient)
        else:
            placed = self._place(day, week, minutes, service.placements, track, able, patient)
        log = self._log
        if placed is None:
            self._missed(day, kind, track.name, episode_id, "no_slot")
            return False
        start, person, placement, k = placed
        end = start + minutes
        hours = service.hours
        person.hours_by_week[week] += hours  # Roster.book_at, written out, with the config's hours
        service.booked[person.role][day] += hours
        person.timeline.take(start, end, minutes)  # today's: _able asked for it
        activity = service.activity
        if activity == "individual":
            row.individual_hours += hours
        elif activity == "prescriber":
            row.prescriber_hours += hours
        else:
            row.family_hours += hours
        rows, booked = service.record
        rows.append(at)
        booked.append(hours)
        if placement == "pull_out":
            patient.pulled.append(k)
            if session is not None:  # the patient misses group session k: out of its row and counts
                session.patients[k].remove(episode_id)
                pulled_out = self._days.pulled_out
                pulled_out[0].append(at)
                pulled_out[1].append(track.spec.session_minutes / 60.0)
                row.group_attendances -= 1
        else:
            patient.timeline.take(start, end)
        person_id = person.person_id
        found = (kind, track.name, k, placement, start, person_id)
        code = self._held_codes.get(found)
        if code is None:  # the row's key, coded once per kind, track, slot, time and person
            code = self._held_codes[found] = log.code(
                (kind, track.name, -1, k, placement, start, end, (person_id,), 0, f"office:{person_id}",
                 "held", "")
            )  # fmt: skip
        log.day.append(day)
        log.key.append(code)
        log.patients.append([episode_id])
        return True

    def _missed(
        self, day: int, kind: SessionKind, track: str, episode_id: int, reason: SessionReason
    ) -> None:
        """Write the sessions.csv row of a due care session missed for ``reason`` (no time, no staff)."""
        log = self._log
        code = self._missed_codes.get((kind, track, reason))
        if code is None:
            code = self._missed_code(kind, track, reason)
        log.day.append(day)
        log.key.append(code)
        log.patients.append([episode_id])

    def _missed_code(self, kind: SessionKind, track: str, reason: SessionReason) -> int:
        """The log's code of a missed session's key, numbered at its first row."""
        code = self._missed_codes[(kind, track, reason)] = self._log.code(
            (kind, track, -1, -1, "", NO_TIME, NO_TIME, (), 0, "", "missed", reason)
        )
        return code

    def _nobody(self, role: str, shift: str) -> SessionReason:
        """Why a session of ``role`` on ``shift`` is missed when nobody of the role is at work."""
        return "staff_absent" if self._works_shift(role, shift) else "no_staff_on_shift"

    def _works_shift(self, role: str, shift: str) -> bool:
        known = self._on_shift.get((role, shift))
        if known is None:
            known = self._on_shift[(role, shift)] = any(p.works(shift) for p in self._roster.by_role[role])
        return known

    def _place(
        self,
        day: int,
        week: int,
        minutes: float,
        placements: tuple[Placement, ...],
        track: TrackState,
        able: list[Person],
        patient: PatientToday,
    ) -> Placed | None:
        """The first (placement, slot, person) that fits, in the config's order of placements, slots in
        clock order (away from the programme day), people with the most minutes left today first (``able``:
        each has the minutes left, ``_able``); None if there is no common free time (no_slot)."""
        if len(able) > 1:  # most direct minutes left today, then most hours left this week, then the id
            # (each one's timeline is today's: _able asked for it)
            able.sort(
                key=lambda p: (
                    p.timeline.direct - p.daily_limit,
                    p.hours_by_week[week] - p.weekly_hours,
                    p.person_id,
                )
            )
        first, last = track.programme
        for placement in placements:
            if placement == "pull_out":
                pulled = patient.pulled
                if len(pulled) >= self._max_pull_outs:
                    continue
                slots = self._pull_outs.get((track.name, minutes))
                if slots is None:
                    slots = self._pull_outs[(track.name, minutes)] = _fitting(track.pull_out_slots, minutes)
                assessed = patient.assessed
                for k, start, end in slots:
                    if k in pulled or not (
                        assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS
                    ):  # PatientToday.free_in_programme, written out
                        continue
                    for person in able:  # each one's timeline is today's: _able asked for it
                        low, high = person.window
                        if low - EPS <= start and end <= high + EPS and person.timeline.free(start, end):
                            return start, person, placement, k
            elif placement == "before":  # back from the programme day: sessions stack next to it
                found = _nearest(able, _steps_before, patient.timeline, first, minutes, first - self._outside)
                if found is not None:
                    end = first - found[0] * SLOT_STEP_MINUTES
                    return end - minutes, found[1], placement, -1
            else:
                found = _nearest(able, _steps_after, patient.timeline, last, minutes, last + self._outside)
                if found is not None:
                    return last + found[0] * SLOT_STEP_MINUTES, found[1], placement, -1
        return None

    def _place_one(
        self,
        minutes: float,
        placements: tuple[Placement, ...],
        track: TrackState,
        person: Person,
        patient: PatientToday,
    ) -> Placed | None:
        """``_place`` for one person (most due sessions: the patient's own therapist, a clinic's one
        prescriber): the same search without the sort and the loops over people."""
        first, last = track.programme
        for placement in placements:
            if placement == "pull_out":
                pulled = patient.pulled
                if len(pulled) >= self._max_pull_outs:
                    continue
                slots = self._pull_outs.get((track.name, minutes))
                if slots is None:
                    slots = self._pull_outs[(track.name, minutes)] = _fitting(track.pull_out_slots, minutes)
                assessed = patient.assessed
                low, high = person.window
                timeline = person.timeline  # today's: _able asked for it
                for k, start, end in slots:
                    if k in pulled or not (
                        assessed is None or end <= assessed[0] + EPS or assessed[1] <= start + EPS
                    ):  # PatientToday.free_in_programme, written out
                        continue
                    if low - EPS <= start and end <= high + EPS and timeline.free(start, end):
                        return start, person, placement, k
            elif placement == "before":  # back from the programme day: sessions stack next to it
                steps = _steps_before(
                    person.timeline, patient.timeline, person.window, first, minutes, first - self._outside
                )
                if steps is not None:
                    end = first - steps * SLOT_STEP_MINUTES
                    return end - minutes, person, placement, -1
            else:
                steps = _steps_after(
                    person.timeline, patient.timeline, person.window, last, minutes, last + self._outside
                )
                if steps is not None:
                    return last + steps * SLOT_STEP_MINUTES, person, placement, -1
        return None

    def close(self) -> None:
        """After the last track-day: each served episode's group sessions and service hours, added up
        from the record, and the day from which a denied review left its rows unbilled.

        The hours are summed row by row in record order (numpy's unbuffered ``add.at``), the order in
        which a running total per patient-day would add them, so every bit is the same.
        """
        served = self._served if self._any_service else list(dict.fromkeys(chain.from_iterable(self._groups)))
        if not served:
            return
        days = self._days
        days.denied_from.update(
            (enrolment.episode.episode_id, enrolment.denied_on)
            for enrolment in served
            if enrolment.denied_on is not None
        )
        columns = days.columns()
        rows = columns["episode_id"]
        size = int(rows.max()) + 1
        hours = np.zeros(size)
        np.add.at(hours, rows, columns["hours"])
        service_hours = hours.tolist()
        groups = np.bincount(rows, weights=columns["groups"], minlength=size).astype(np.int64).tolist()
        for enrolment in served:
            episode = enrolment.episode
            at = episode.episode_id
            episode.group_sessions_attended = groups[at]
            episode.service_hours = service_hours[at]


_episode_id = attrgetter("episode.episode_id")


def _fitting(slots: Sequence[tuple[float, float]], minutes: float) -> list[tuple[int, float, float]]:
    """(k, start, end) of each group session slot ``[start, slot end)`` that a session of ``minutes``
    pulled out at its start fits in, in slot order."""
    return [
        (k, start, start + minutes) for k, (start, end) in enumerate(slots) if start + minutes <= end + EPS
    ]


def _steps_before(
    person: Timeline,
    patient: Timeline,
    window: Window,
    first: float,
    minutes: float,
    lowest: float,
) -> int | None:
    """The fewest 10-minute steps back from ``first`` (the programme start) at which a session of
    ``minutes`` ending there is free for the person and the patient, inside the person's window and
    starting no earlier than ``lowest``; None if there is no such step.

    The search jumps below whatever is in the way (Timeline.first_overlap_start)
    instead of trying each step: the answer is the one step by step would give.
    """
    low, high = window
    k = 0 if first <= high + EPS else math.ceil((first - high - EPS) / SLOT_STEP_MINUTES)
    floor = max(lowest, low) - EPS
    while True:
        end = first - k * SLOT_STEP_MINUTES
        start = end - minutes
        if start < floor:
            return None
        blocker = patient.first_overlap_start(start, end)
        if blocker is None:
            blocker = person.first_overlap_start(start, end)
            if blocker is None:
                return k
        k = max(k + 1, math.ceil((first - blocker - EPS) / SLOT_STEP_MINUTES))


def _steps_after(
    person: Timeline,
    patient: Timeline,
    window: Window,
    last: float,
    minutes: float,
    highest: float,
) -> int | None:
    """The fewest 10-minute steps on from ``last`` (the programme end) at which a session of ``minutes``
    is free for both, inside the person's window and ending by ``highest``; None if none (the mirror
    of ``_steps_before``)."""
    low, high = window
    k = 0 if last >= low - EPS else math.ceil((low - EPS - last) / SLOT_STEP_MINUTES)
    ceiling = min(highest, high) + EPS
    while True:
        start = last + k * SLOT_STEP_MINUTES
        end = start + minutes
        if end > ceiling:
            return None
        blocker = patient.last_overlap_end(start, end)
        if blocker is None:
            blocker = person.last_overlap_end(start, end)
            if blocker is None:
                return k
        k = max(k + 1, math.ceil((blocker - EPS - last) / SLOT_STEP_MINUTES))


def _nearest(
    able: Sequence[Person],
    steps_of: Callable[..., int | None],
    patient: Timeline,
    anchor: float,
    minutes: float,
    bound: float,
) -> tuple[int, Person] | None:
    """The person whose session sits fewest slot steps from ``anchor`` (the first of equals), with the steps.

    ``steps_of`` is ``_steps_before`` or ``_steps_after``: the one search, mirrored.
    """
    found: tuple[int, Person] | None = None
    for person in able:
        steps = steps_of(person.timeline, patient, person.window, anchor, minutes, bound)
        if steps is not None and (found is None or steps < found[0]):
            found = (steps, person)
    return found
