"""Intake: assessment slots on a weekly calendar, booking, no-shows, patience and the level-of-care
decision."""

from __future__ import annotations

import bisect
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simiop.config.intake import IntakeOutcomes
from simiop.model.calendar import at
from simiop.model.records import (
    DECLINED,
    GAVE_UP_BEFORE_INTAKE,
    NO_SHOW,
    REDIRECTED_OUTPATIENT,
    REDIRECTED_STEP_UP,
    Booking,
    Episode,
)

if TYPE_CHECKING:
    from simiop.model.clinic import Clinic

MINUTES_PER_DAY = 1440.0


class IntakeBook:
    """Every assessment slot of the run with its capacity and bookings.

    A slot's capacity is its parallel_slots, limited by the intake staff
    present that day (absence is known in advance, like a rota).
    """

    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic
        self.role = clinic.config.intake.staff_role
        self.times: list[float] = []
        self.capacity: list[int] = []
        self.booked: list[int] = []
        self._built = False

    def _build(self) -> None:
        """Lay out the slots on first use: a clinic that admits every referral directly never needs them."""
        clinic = self._clinic
        intake = clinic.config.intake
        calendar = clinic.calendar
        slots: list[tuple[float, int]] = []
        for day in range(calendar.days):
            if calendar.is_holiday(day):
                continue
            weekday = calendar.weekday_of(day)
            present = clinic.roster.headcount(self.role, day)[1]
            for slot in intake.schedule:
                if slot.weekday == weekday:
                    slots.append((at(day, slot.start_time), min(slot.parallel_slots, present)))
        slots.sort()
        self.times = [time for time, _ in slots]
        self.capacity = [capacity for _, capacity in slots]
        self.booked = [0] * len(slots)
        self._built = True

    def book(self, earliest: float, latest: float) -> int | None:
        """Book the first slot starting at or after ``earliest`` with room; None if none by ``latest``."""
        if not self._built:
            self._build()
        index = bisect.bisect_left(self.times, earliest)
        while index < len(self.times) and self.times[index] <= latest:
            if self.booked[index] < self.capacity[index]:
                self.booked[index] += 1
                return index
            index += 1
        return None


def outcomes_for(clinic: Clinic, episode: Episode) -> IntakeOutcomes:
    """Outcome probabilities: by source if configured, else by acuity, else the default."""
    intake = clinic.config.intake
    if episode.source in intake.outcomes_by_source:
        return intake.outcomes_by_source[episode.source]
    if episode.acuity in intake.outcomes_by_acuity:
        return intake.outcomes_by_acuity[episode.acuity]
    return intake.outcomes


def start_intake(clinic: Clinic, episode: Episode) -> None:
    clinic.env.process(_intake(clinic, episode))


def _intake(clinic: Clinic, episode: Episode) -> Generator[Any, Any, None]:
    env = clinic.env
    intake = clinic.config.intake
    book = clinic.intake
    streams = clinic.streams
    patience = float(intake.patience_days.sample(streams.get("intake.patience")))
    deadline = episode.referred_day + patience
    rebookings_left = intake.max_rebookings
    show = streams.get("intake.show")
    while True:
        booked_on = env.now
        slot = book.book(env.now + intake.lead_time_days, min(deadline, clinic.horizon))
        if slot is None:
            if deadline < clinic.horizon:  # gives up at the deadline; past the horizon it is censored
                yield env.timeout(deadline - env.now)
                episode.end(GAVE_UP_BEFORE_INTAKE, env.now)
            return
        episode.intake_bookings += 1
        yield env.timeout(book.times[slot] - env.now)
        days_waited = env.now - booked_on
        showed = show.random() < intake.show_rate_by_days_waited.value_at(days_waited)
        clinic.records.bookings.append(Booking(episode.episode_id, booked_on, env.now, showed))
        if showed:
            break
        if rebookings_left == 0:
            episode.end(NO_SHOW, env.now)
            return
        rebookings_left -= 1

    day = int(env.now)
    clinic.roster.book_intake(book.role, day, intake.assessment_minutes / 60.0)
    episode.assessed_day = env.now
    yield env.timeout(intake.assessment_minutes / MINUTES_PER_DAY)
    outcomes = outcomes_for(clinic, episode)
    u = streams.get("intake.outcome").random()
    if u < outcomes.admit:
        episode.intake_outcome = "admit"
        clinic.programme.refer_to_track(episode)
        return
    if u < outcomes.admit + outcomes.redirect_step_up:
        episode.intake_outcome = "redirect_step_up"
        episode.end(REDIRECTED_STEP_UP, env.now)
    elif u < outcomes.admit + outcomes.redirect_step_up + outcomes.redirect_outpatient:
        episode.intake_outcome = "redirect_outpatient"
        episode.end(REDIRECTED_OUTPATIENT, env.now)
    else:
        episode.intake_outcome = "decline"
        episode.end(DECLINED, env.now)
