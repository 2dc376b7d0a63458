"""Individual therapy, prescriber and family sessions, and the record of each attended day.

Care is attempted on the days a patient came, when a service is due, and
competes for the staff's weekly hours with the group sessions booked before it
(the after-pass runs track-days in clock order, sessions first). It draws no
random numbers; who gets family sessions was drawn at enrolment (CarePlan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simiop.config.model import SimiopConfig
from simiop.model.records import PatientDays, TrackDay
from simiop.model.staff import Roster

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment

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


class Care:
    """The services of the config, booking hours on the roster and writing patient-day records.

    Records go straight into the columns of ``patient_days`` (PatientDays):
    a row's episode and whether its group ran, the track-day once, and a
    session's hours only on the rows that had one.
    """

    def __init__(self, config: SimiopConfig, roster: Roster, patient_days: PatientDays) -> None:
        self._roster = roster
        self._days = patient_days
        self._episode_ids = patient_days.episode_id
        self._ran = patient_days.ran
        self._track_day: TrackDay | None = None
        self._group_hours = 0.0
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

    def care_for(self, enrolment: Enrolment, day: int, week: int, row: TrackDay, ran: bool) -> None:
        """Individual therapy, prescriber and family sessions for a patient who came on ``day`` (to the
        track-day ``row``), and the day's record; ``ran``: whether their group session ran."""
        roster = self._roster
        plan = enrolment.care
        episode = enrolment.episode
        days = self._days
        index = len(self._episode_ids)
        if row is not self._track_day:  # the first patient of a track-day: its day, week and group hours
            spec = enrolment.track.spec
            per_day = spec.group_sessions_per_day
            self._track_day, self._group_hours = row, per_day * spec.session_minutes / 60.0
            days.track_days.append((index, day, week, per_day, spec.hours_per_day, self._group_hours))
        extra_hours = 0.0
        if plan.individual_week != week:
            plan.individual_week, plan.individual_this_week = week, 0
        therapist = enrolment.therapist
        # Person.present and Person.hours_left written out: this runs for every attended patient-day.
        therapist_here = day >= therapist.start_day and not therapist.absent[day]
        if plan.individual_this_week < self._individual_per_week:
            hours = self._individual_hours
            if therapist_here and therapist.weekly_hours - therapist.hours_by_week[week] >= hours:
                roster.book(therapist, day, week, hours, "individual")
                row.individual_hours += hours
                plan.individual_this_week += 1
                episode.individual_sessions += 1
                extra_hours += hours
                days.individual[0].append(index)
                days.individual[1].append(hours)
        prescriber = self._prescriber
        if prescriber is not None and day >= plan.next_prescriber_day:
            hours = self._prescriber_hours[plan.prescriber_seen]
            person = roster.with_hours(roster.present(prescriber.role, day), week, hours)
            if person is not None:
                roster.book(person, day, week, hours, "prescriber")
                row.prescriber_hours += hours
                if not plan.prescriber_seen:
                    days.prescriber_initial.append(index)
                days.prescriber[0].append(index)
                days.prescriber[1].append(hours)
                plan.prescriber_seen = True
                plan.next_prescriber_day = day + self._prescriber_every
                episode.prescriber_visits += 1
                extra_hours += hours
        family = self._family
        if family is not None and plan.family and day >= plan.next_family_day:
            hours = self._family_hours
            people = (
                [therapist]
                if family.role == therapist.role and therapist_here
                else roster.present(family.role, day)
            )
            person = roster.with_hours(people, week, hours)
            if person is not None:
                roster.book(person, day, week, hours, "family")
                row.family_hours += hours
                plan.next_family_day = day + self._family_every
                episode.family_sessions += 1
                extra_hours += hours
                days.family[0].append(index)
                days.family[1].append(hours)
        # The day's hours as the record adds them (PatientDays.columns): group hours, then the extras.
        episode.service_hours += self._group_hours + extra_hours if ran else extra_hours
        self._episode_ids.append(episode.episode_id)
        self._ran.append(ran)
        if enrolment.denied_on is not None and day >= enrolment.denied_on:
            days.review_denied.append(index)
