"""Individual therapy, prescriber and family sessions, and the billing record of each attended day.

Care is attempted on the days a patient came, when a service is due, and
competes for the staff's weekly hours with the group sessions booked before it
(the after-pass runs track-days in clock order, sessions first). It draws no
random numbers; who gets family sessions was drawn at enrolment (CarePlan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simiop.config.model import SimiopConfig
from simiop.model.records import PatientDay, TrackDay
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
    """The services of the config, booking hours on the roster and writing patient-day records."""

    def __init__(self, config: SimiopConfig, roster: Roster, patient_days: list[PatientDay]) -> None:
        self._roster = roster
        self._patient_days = patient_days
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

    def care_for(
        self, enrolment: Enrolment, day: int, week: int, row: TrackDay, group_hours: float | None
    ) -> None:
        """Individual therapy, prescriber and family sessions for a patient who came on ``day``, and the
        day's billing record; ``group_hours``: the day's group hours if their group ran, else None."""
        roster = self._roster
        plan = enrolment.care
        episode = enrolment.episode
        extra_services = 0
        extra_hours = 0.0
        individual_hours = family_hours = prescriber_hours = 0.0
        prescriber_initial = False
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
                extra_services += 1
                extra_hours += hours
                individual_hours = hours
        prescriber = self._prescriber
        if prescriber is not None and day >= plan.next_prescriber_day:
            hours = self._prescriber_hours[plan.prescriber_seen]
            person = roster.with_hours(roster.present(prescriber.role, day), week, hours)
            if person is not None:
                roster.book(person, day, week, hours, "prescriber")
                row.prescriber_hours += hours
                prescriber_initial = not plan.prescriber_seen
                prescriber_hours = hours
                plan.prescriber_seen = True
                plan.next_prescriber_day = day + self._prescriber_every
                episode.prescriber_visits += 1
                extra_services += 1
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
                review_denied=enrolment.denied_on is not None and day >= enrolment.denied_on,
            )
        )
