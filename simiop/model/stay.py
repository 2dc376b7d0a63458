"""A patient's stay in the programme: enrolment, hazards, progress reviews, authorization, completion.

What happens to an enrolled patient from one programme day to the next is
decided here; where they sit (tracks and groups) and when days run is the
programme's business (programme.py), and what they receive on the days they
come is delivered after the flow (sessions.py, care.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simiop.config.care import ProgressReview
from simiop.config.model import SimiopConfig
from simiop.model.care import CarePlan
from simiop.model.records import ADMINISTRATIVE, COMPLETED, DROPOUT, Episode
from simiop.model.staff import Person
from simiop.streams import RandomStreams

if TYPE_CHECKING:
    from simiop.model.tracks import TrackState

DAYS_PER_WEEK = 7.0


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
    care: CarePlan
    days_held: int = 0
    consecutive_absences: int = 0
    extensions: int = 0
    authorized_until: float = math.inf
    """Attended days (or the calendar day) the payer has authorized so far; inf: no authorization needed."""
    denied_on: int | None = field(default=None)
    """The day the payer's concurrent review was denied and the patient continued unbilled, if so."""


class Stay:
    """The rules of a stay, with the streams they draw from."""

    def __init__(self, config: SimiopConfig, streams: RandomStreams) -> None:
        self._config = config
        self._streams = streams
        self._reviews = streams.get("programme.reviews")
        self._authorization = streams.get("programme.authorization")
        self._absences_to_dropout = config.attendance.consecutive_absences_to_dropout
        self.progress_review = config.length_of_stay.progress_review

    def enrol(
        self,
        track: TrackState,
        episode: Episode,
        group: int,
        therapist: Person,
        day: int,
        now: float,
    ) -> Enrolment:
        """Admit ``episode`` to ``group`` of ``track`` on ``day`` (at time ``now``): draw the stay's plan."""
        config = self._config
        streams = self._streams
        stay = config.length_of_stay
        acuity = config.referrals.acuity_classes[episode.acuity]
        planned = float(stay.planned_stay.sample(streams.get("programme.planned_stay")))
        days_per_week = len(track.spec.weekdays)
        review = stay.progress_review
        family = config.services.family
        episode.admitted_day = now
        episode.therapist = therapist.person_id
        episode.group = group
        begin = now if track.continuous else day
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
            care=CarePlan(
                family=family is not None
                and streams.get("programme.family").random() < family.share_of_patients,
                next_family_day=day,
                next_prescriber_day=day,
            ),
            authorized_until=math.inf if authorization is None else float(authorization.initial_days),
        )

    def review(self, enrolment: Enrolment, review: ProgressReview) -> str | None:
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

    def authorize(self, enrolment: Enrolment, day: int) -> str | None:
        """A concurrent review when the authorized days have run out; ADMINISTRATIVE if denied and so set.

        Draws from its own stream, only when a review is due, so payers without
        authorization (and every other random element) draw exactly as before.
        """
        if enrolment.denied_on is not None:
            return None
        episode = enrolment.episode
        rule = self._config.money.payers[episode.payer].authorization
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
            enrolment.denied_on = day
            return None
        return None

    def after_session(self, enrolment: Enrolment, next_day: int) -> str | None:
        """Dropout after too many absences in a row, or completion; ``next_day``: the track's next day."""
        if enrolment.consecutive_absences >= self._absences_to_dropout:
            return DROPOUT
        if enrolment.planned_days and enrolment.days_held >= enrolment.planned_days:
            return COMPLETED
        # A stay ends on the last programme day before its planned end (continuous: see Programme._stay).
        if not enrolment.track.continuous and next_day >= enrolment.planned_end_day:
            return COMPLETED
        return None
