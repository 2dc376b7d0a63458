"""Individual therapy, prescriber and family sessions, and the record of each attended day.

Care is attempted on the days a patient came, when a service is due, and
competes for the staff's weekly hours with the group sessions booked before it
(the after-pass runs track-days in clock order, sessions first). It draws no
random numbers; who gets family sessions was drawn at enrolment (CarePlan).
"""

from __future__ import annotations

from collections.abc import Container, Iterable
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
        self, day: int, week: int, row: TrackDay, came: Iterable[Enrolment], in_session: Container[int]
    ) -> None:
        """Individual therapy, prescriber and family sessions for the patients who came to one track-day
        (``row``), in order, and each one's record; ``in_session``: the episodes whose group session ran.

        One call per track-day, not per patient: what every patient of the day
        shares is read once (this is the model's innermost loop).
        """
        came = list(came)
        if not came:
            return
        roster, book = self._roster, self._roster.book
        days = self._days
        episode_ids, ran_days = self._episode_ids, self._ran
        individual_rows, individual_hours = days.individual
        prescriber_rows, prescriber_hours = days.prescriber
        family_rows, family_hours = days.family
        per_week, individual_hours_each = self._individual_per_week, self._individual_hours
        prescriber, family = self._prescriber, self._family
        spec = came[0].track.spec
        per_day = spec.group_sessions_per_day
        group_hours = per_day * spec.session_minutes / 60.0
        index = len(episode_ids)
        days.track_days.append((index, day, week, per_day, spec.hours_per_day, group_hours))
        for enrolment in came:
            plan = enrolment.care
            episode = enrolment.episode
            extra_hours = 0.0
            if plan.individual_week != week:
                plan.individual_week, plan.individual_this_week = week, 0
            therapist = enrolment.therapist
            # Person.present and Person.hours_left written out, and only asked when a session is due:
            # this runs for every attended patient-day.
            if plan.individual_this_week < per_week:
                hours = individual_hours_each
                if (
                    day >= therapist.start_day
                    and not therapist.absent[day]
                    and therapist.weekly_hours - therapist.hours_by_week[week] >= hours
                ):
                    book(therapist, day, week, hours, "individual")
                    row.individual_hours += hours
                    plan.individual_this_week += 1
                    episode.individual_sessions += 1
                    extra_hours += hours
                    individual_rows.append(index)
                    individual_hours.append(hours)
            if prescriber is not None and day >= plan.next_prescriber_day:
                hours = self._prescriber_hours[plan.prescriber_seen]
                person = roster.with_hours(roster.present(prescriber.role, day), week, hours)
                if person is not None:
                    book(person, day, week, hours, "prescriber")
                    row.prescriber_hours += hours
                    if not plan.prescriber_seen:
                        days.prescriber_initial.append(index)
                    prescriber_rows.append(index)
                    prescriber_hours.append(hours)
                    plan.prescriber_seen = True
                    plan.next_prescriber_day = day + self._prescriber_every
                    episode.prescriber_visits += 1
                    extra_hours += hours
            if family is not None and plan.family and day >= plan.next_family_day:
                hours = self._family_hours
                people = (
                    [therapist]
                    if family.role == therapist.role
                    and day >= therapist.start_day
                    and not therapist.absent[day]
                    else roster.present(family.role, day)
                )
                person = roster.with_hours(people, week, hours)
                if person is not None:
                    book(person, day, week, hours, "family")
                    row.family_hours += hours
                    plan.next_family_day = day + self._family_every
                    episode.family_sessions += 1
                    extra_hours += hours
                    family_rows.append(index)
                    family_hours.append(hours)
            # The day's hours as the record adds them (PatientDays.columns): group hours, then the extras.
            ran = episode.episode_id in in_session
            episode.service_hours += group_hours + extra_hours if ran else extra_hours
            episode_ids.append(episode.episode_id)
            ran_days.append(ran)
            if enrolment.denied_on is not None and day >= enrolment.denied_on:
                days.review_denied.append(index)
            index += 1
