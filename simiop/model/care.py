"""Individual therapy, prescriber and family sessions, and the record of each attended day.

Care is attempted on the days a patient came, when a service is due, and
competes for the staff's weekly hours with the group sessions booked before it
(the after-pass runs track-days in clock order, sessions first). It draws no
random numbers; who gets family sessions was drawn at enrolment (CarePlan).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from simiop.config.model import SimiopConfig
from simiop.model.records import PatientDays, TrackDay
from simiop.model.staff import Person, Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment
    from simiop.model.tracks import TrackState

DAYS_PER_WEEK = 7.0


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


class Care:
    """The services of the config, booking hours on the roster and writing patient-day records.

    Records go straight into the columns of ``patient_days`` (PatientDays):
    a row's episode and whether its group ran, the track-day once, and a
    session's hours only on the rows that had one. ``close`` ends the pass
    (after the last ``care_for``): what is added up from the record.
    """

    def __init__(self, config: SimiopConfig, roster: Roster, patient_days: PatientDays) -> None:
        self._roster = roster
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
        booked = roster.booked_hours()
        self._booked_by_service = (booked["individual"], booked["prescriber"], booked["family"])
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
        self._prescribers = roster.presence(prescriber.role) if prescriber is not None else []
        """Per day: the prescribers at work (Roster.present, as a table read once)."""
        self._family_staff = roster.presence(family.role) if family is not None else []
        self._any_service = self._individual_per_week > 0 or prescriber is not None or family is not None
        """Whether any patient can be due a service (else a group's records are written in one go)."""

    def care_for(
        self,
        track: TrackState,
        day: int,
        week: int,
        row: TrackDay,
        groups: Sequence[Sequence[Enrolment]],
        ran: Sequence[bool],
    ) -> None:
        """Individual therapy, prescriber and family sessions for the patients who came to one track-day
        (``row`` of ``track``), group by group in order, and each one's record; ``ran``: per group,
        whether its session ran.

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
        for group, held in zip(groups, ran, strict=True):
            count = len(group)
            if not count:
                continue
            if not self._any_service:
                served.append(group)
            episode_ids.extend(map(_episode_id, group))
            ran_days.extend([held] * count)
            if self._any_service:
                self._serve(day, week, row, group, index)
            index += count
        self._rows = index

    def _serve(self, day: int, week: int, row: TrackDay, group: Sequence[Enrolment], index: int) -> None:
        """The services due to each patient of one group who came, from record row ``index`` on.

        Person.present, Person.hours_left, Roster.with_hours and Roster.book
        are written out, and only asked when a session is due: this runs for
        every attended patient-day.
        """
        days = self._days
        individual_rows, individual_hours = days.individual
        prescriber_rows, prescriber_hours = days.prescriber
        family_rows, family_hours = days.family
        per_week, individual_hours_each = self._individual_per_week, self._individual_hours
        prescriber, family = self._prescriber, self._family
        booked_individual, booked_prescriber, booked_family = self._booked_by_service
        next_week = self._week_start(week + 1)
        for at, enrolment in enumerate(group, index):
            plan = enrolment.care
            if day < plan.next_due:  # nothing due today: most patient-days
                continue
            if plan.individual_week != week:
                if plan.individual_week < 0:  # the patient's first attended day
                    self._served.append(enrolment)
                plan.individual_week, plan.individual_this_week = week, 0
            therapist = enrolment.therapist
            if plan.individual_this_week < per_week:
                hours = individual_hours_each
                by_week = therapist.hours_by_week
                if (
                    day >= therapist.start_day
                    and not therapist.absent[day]
                    and therapist.weekly_hours - by_week[week] >= hours
                ):
                    by_week[week] += hours
                    booked_individual[therapist.role][day] += hours
                    row.individual_hours += hours
                    plan.individual_this_week += 1
                    enrolment.episode.individual_sessions += 1
                    individual_rows.append(at)
                    individual_hours.append(hours)
            if prescriber is not None and day >= plan.next_prescriber_day:
                hours = self._prescriber_hours[plan.prescriber_seen]
                person = _most_hours_left(self._prescribers[day], week, hours)
                if person is not None:
                    person.hours_by_week[week] += hours
                    booked_prescriber[person.role][day] += hours
                    row.prescriber_hours += hours
                    if not plan.prescriber_seen:
                        days.prescriber_initial.append(at)
                    prescriber_rows.append(at)
                    prescriber_hours.append(hours)
                    plan.prescriber_seen = True
                    plan.next_prescriber_day = day + self._prescriber_every
                    enrolment.episode.prescriber_visits += 1
            if family is not None and plan.family and day >= plan.next_family_day:
                hours = self._family_hours
                people = (
                    [therapist]
                    if family.role == therapist.role
                    and day >= therapist.start_day
                    and not therapist.absent[day]
                    else self._family_staff[day]
                )
                person = _most_hours_left(people, week, hours)
                if person is not None:
                    person.hours_by_week[week] += hours
                    booked_family[person.role][day] += hours
                    row.family_hours += hours
                    plan.next_family_day = day + self._family_every
                    enrolment.episode.family_sessions += 1
                    family_rows.append(at)
                    family_hours.append(hours)
            # When to look again: today's week's sessions done, the next week; a service still due
            # (no one had the hours), the next attended day.
            due: float = next_week if plan.individual_this_week >= per_week else day
            if prescriber is not None and plan.next_prescriber_day < due:
                due = plan.next_prescriber_day
            if family is not None and plan.family and plan.next_family_day < due:
                due = plan.next_family_day
            plan.next_due = due

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


def _most_hours_left(people: Sequence[Person], week: int, hours: float) -> Person | None:
    """Roster.with_hours: of ``people``, the one with most hours left in ``week`` (ties: the larger id),
    if they can spare ``hours``."""
    best: Person | None = None
    best_left = 0.0
    for person in people:
        left = person.weekly_hours - person.hours_by_week[week]
        if best is None or left > best_left or (left == best_left and person.person_id > best.person_id):
            best, best_left = person, left
    if best is None or best_left < hours - 1e-9:
        return None
    return best
