"""Intake: assessment slots on a weekly calendar, booking, no-shows, patience and the level-of-care
decision."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simiop.config.base import WEEKDAYS, minutes_of
from simiop.config.distributions import DurationDistribution, ProbabilityCurve
from simiop.config.intake import IntakeConfig, IntakeOutcomes
from simiop.model.calendar import at
from simiop.model.clock import EPS
from simiop.model.events import call
from simiop.model.patients import Purpose
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
    from simiop.model.staff import Person

MINUTES_PER_DAY = 1440.0
_INTAKE = Purpose.INTAKE
"""The intake stream's purpose, read once (an enum member costs a class lookup; one per referral)."""


class SourceRules(NamedTuple):
    """Intake's values for one referral source: its ``intake.by_source`` entry over intake's own."""

    lead_time_days: float
    show_rate_by_days_waited: ProbabilityCurve
    patience_days: DurationDistribution
    max_rebookings: int
    priority: bool

    @classmethod
    def of(cls, intake: IntakeConfig, source: str) -> SourceRules:
        spec = intake.by_source.get(source)
        if spec is None:
            return cls(
                intake.lead_time_days,
                intake.show_rate_by_days_waited,
                intake.patience_days,
                intake.max_rebookings,
                False,
            )
        return cls(
            intake.lead_time_days if spec.lead_time_days is None else spec.lead_time_days,
            spec.show_rate_by_days_waited or intake.show_rate_by_days_waited,
            spec.patience_days or intake.patience_days,
            intake.max_rebookings if spec.max_rebookings is None else spec.max_rebookings,
            spec.priority,
        )


class IntakeBook:
    """Every assessment slot of the run with its capacity, the person in each seat, and bookings.

    A slot's seats are filled from a rota made before the run (absence and
    every limit are known in advance): up to parallel_slots people of the
    intake role who are at work, free then, inside their shift and with the
    assessment's minutes left in their daily and weekly direct budgets. The
    capacity is the seats filled; the after-pass charges each assessment to
    its seat's person (delivery.py).
    """

    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic
        self.role = clinic.config.intake.staff_role
        self.times: list[float] = []
        self.minutes: list[float] = []
        """Per slot: its start in minutes since midnight."""
        self.seat_person: list[list[Person]] = []
        """Per slot: who sits in each seat, in the order seats are booked (the rota)."""
        self.reserved: dict[tuple[str, int], float] = {}
        """Per (person id, week): the hours of the seats the rota gives them that week, to the end of
        the run's last week (reserved in their direct budget until each seat's day)."""
        self.offered: dict[int, list[Person]] = {}
        """Per day: the person of each seat offered that day (one entry per seat), to the last week's end."""
        self.capacity: list[int] = []
        self.booked: list[int] = []
        self._open: list[int] = []
        self._built = False
        intake = clinic.config.intake
        self._priority_seats = intake.priority_seats_per_slot
        self._release = intake.priority_release_days
        self._rules: dict[str, SourceRules] = {}
        self._referral: dict[str, tuple[SourceRules, Callable[[np.random.Generator], float]]] = {}
        self._thresholds: dict[tuple[str, str], tuple[float, float, float]] = {}

    def rules(self, source: str) -> SourceRules:
        """Intake's values for ``source`` (readmissions: intake's own), resolved once per source per run."""
        found = self._rules.get(source)
        if found is None:
            found = self._rules[source] = SourceRules.of(self._clinic.config.intake, source)
        return found

    def for_referral(self, source: str) -> tuple[SourceRules, Callable[[np.random.Generator], float]]:
        """``rules(source)`` and the sampler of its patience, found once per source per run (each
        referral's intake asked for the two apart)."""
        found = self._referral.get(source)
        if found is None:
            rules = self.rules(source)
            found = self._referral[source] = (rules, self._clinic.sampler(rules.patience_days))
        return found

    def thresholds(self, source: str, acuity: str) -> tuple[float, float, float]:
        """The intake decision's running totals for a referral of ``source`` and ``acuity``
        (``outcomes_for``): admit; admit + redirect_step_up; that + redirect_outpatient. Added up once
        per (source, acuity) per run, in the order each decision added them, so the same floats."""
        key = (source, acuity)
        found = self._thresholds.get(key)
        if found is None:
            outcomes = _outcomes(self._clinic.config.intake, source, acuity)
            step_up = outcomes.admit + outcomes.redirect_step_up
            found = self._thresholds[key] = (
                outcomes.admit,
                step_up,
                step_up + outcomes.redirect_outpatient,
            )
        return found

    def build(self) -> None:
        """Lay out the slots and the rota now if no booking has (the after-pass reserves the rota)."""
        if not self._built:
            self._build()

    def _build(self) -> None:
        """Lay out the slots and their rota on first use: a clinic that admits every referral directly
        never needs them.

        A day's seats depend only on its weekday's slots, who is at work and the hours each of them
        already gives this week; most days repeat an earlier day's three (the same people every week,
        the week's hours rising the same way), so each distinct day is worked out once (``_rota_day``)
        and its seat lists are shared by the days like it (nothing changes them after the build).
        """
        clinic = self._clinic
        intake = clinic.config.intake
        calendar = clinic.calendar
        roster = clinic.roster
        length = intake.assessment_minutes
        by_weekday: dict[int, list[tuple[float, float, int, float]]] = {}
        """Per weekday number: (start minute, end minute, seats, start as a part of the day) of its slots in
        clock order (the part of the day as ``calendar.at`` adds it to the day)."""
        for minute, _, slot in sorted(
            (minutes_of(slot.start_time), order, slot) for order, slot in enumerate(intake.schedule)
        ):
            by_weekday.setdefault(WEEKDAYS.index(slot.weekday), []).append(
                (minute, minute + length, slot.parallel_slots, at(0, slot.start_time))
            )
        hours = length / 60.0
        weekly: dict[tuple[str, int], float] = {}
        """Intake hours given to each person in each week by the rota so far."""
        this_week: dict[str, float] = {}
        """The same for the current week, by person (a new one each week)."""
        known: dict[tuple[int, int, tuple[float, ...]], _RotaDay] = {}
        """Each distinct day: (weekday, the day's list of people at work, by identity, their hours this
        week so far). The entry keeps the list, so its identity is never another list's."""
        parts = {weekday: [slot[3] for slot in slots] for weekday, slots in by_weekday.items()}
        starts = {weekday: [slot[0] for slot in slots] for weekday, slots in by_weekday.items()}
        offered: dict[int, list[Person]] = {}
        slot_days: list[int] = []
        """The run's days with slots, in order (their slots' times and minutes are laid out after)."""
        seat_person: list[list[Person]] = []
        capacity: list[int] = []
        last = calendar.days
        opening_weekday = calendar.opening_weekday
        current_week = -1
        table = roster.presence(self.role)
        # The rota runs to the end of the last week: a week's seats are reserved in its people's direct
        # budgets from its first day (delivery.py), and a run that ends mid-week must reserve what a
        # longer run would, so that a longer run extends a shorter one.
        rota_end = calendar.week_start(calendar.week_of(last - 1) + 1) if last else 0
        # The open days whose weekday has slots, found in one go (not a look at every day of the run).
        with_slots = [weekday in by_weekday for weekday in range(7)]
        for day in calendar.open_days(0, rota_end, with_slots).tolist():
            week, weekday = divmod(opening_weekday + day, 7)  # calendar.week_of and weekday_of
            if week != current_week:
                current_week, this_week = week, {}
            present = table[day] if day < len(table) else roster.present(self.role, day)  # Roster.present
            used = tuple([this_week.get(person.person_id, 0.0) for person in present])
            found = known.get((weekday, id(present), used))
            if found is None:
                found = known[(weekday, id(present), used)] = _rota_day(
                    by_weekday[weekday], present, used, length, hours
                )
            for person_id, given in found.hours:
                this_week[person_id] = weekly[(person_id, week)] = given
            if found.offered:
                offered[day] = found.offered
            if day < last:  # slots in clock order: days in order, each day's in clock order
                slot_days.append(day)
                seat_person.extend(found.seats)
                capacity.extend(found.capacity)
        self.reserved = weekly
        self.offered = offered
        self.times, self.minutes = _slot_clock(slot_days, opening_weekday, parts, starts)
        self.seat_person = seat_person
        self.capacity = capacity
        self.booked = [0] * len(self.times)
        self._open = [index if capacity > 0 else index + 1 for index, capacity in enumerate(self.capacity)]
        self._open.append(len(self.times))
        self._built = True

    def _first_open(self, index: int) -> int:
        """The first slot at or after ``index`` with room (len(times): none), skipping full slots.

        ``_open`` points each slot at itself while it has room and past itself
        once full; the chains are shortened on the way (path compression), so
        a booking never walks the same full slots twice.
        """
        following = self._open
        found = index
        while following[found] != found:
            found = following[found]
        while following[index] != found:
            following[index], index = found, following[index]
        return found

    def book(self, earliest: float, latest: float, priority: bool = False) -> int | None:
        """Book the first slot starting at or after ``earliest`` with room; None if none by ``latest``.

        With ``intake.priority_seats_per_slot`` seats kept, a booking that is not ``priority`` may take
        only the seats left over until ``priority_release_days`` before the slot (the clock's now).
        """
        if not self._built:
            self._build()
        index = self._first_open(bisect.bisect_left(self.times, earliest))
        if self._priority_seats and not priority:
            index = self._first_unkept(index)
        if index < len(self.times) and self.times[index] <= latest:
            self.booked[index] += 1
            if self.booked[index] >= self.capacity[index]:
                self._open[index] = index + 1
            return index
        return None

    def _first_unkept(self, index: int) -> int:
        """From the open slot ``index`` on: the first open slot a non-priority booking may take now."""
        now = self._clinic.env.now
        times, booked, capacity, kept = self.times, self.booked, self.capacity, self._priority_seats
        count = len(times)
        release = self._release
        while index < count and now < times[index] - release and booked[index] >= capacity[index] - kept:
            index = self._first_open(index + 1)
        return index


def _slot_clock(
    days: list[int], opening_weekday: int, parts: dict[int, list[float]], starts: dict[int, list[float]]
) -> tuple[list[float], list[float]]:
    """Every slot's time and start minute, days in order and each day's slots in clock order: for each of
    ``days``, ``day + part`` for the parts of the day of its weekday's slots, and the slots' start minutes.

    Laid out by numpy in one go, where each day extended two lists (a list comprehension a day): each
    slot's entry is found by its day's weekday (an index into the weekdays' slots laid end to end), and
    the sum is the same float (the day, exact as a float64, plus the part).
    """
    if not days:
        return [], []
    on = np.array(days, dtype=np.int64)
    weekday_of = (opening_weekday + on) % 7  # calendar.weekday_of, numbered from Monday
    flat_parts: list[float] = []
    flat_starts: list[float] = []
    first_of = np.zeros(7, np.int64)
    count_of = np.zeros(7, np.int64)
    for weekday in range(7):
        first_of[weekday], count_of[weekday] = len(flat_parts), len(parts.get(weekday, ()))
        flat_parts.extend(parts.get(weekday, ()))
        flat_starts.extend(starts.get(weekday, ()))
    per_day = count_of[weekday_of]
    # Each slot's place among its day's slots, then among the weekdays' slots laid end to end.
    within = np.arange(int(per_day.sum())) - np.repeat(np.cumsum(per_day) - per_day, per_day)
    index = np.repeat(first_of[weekday_of], per_day) + within
    times: list[float] = (np.repeat(on, per_day) + np.array(flat_parts, dtype=np.float64)[index]).tolist()
    minutes: list[float] = np.array(flat_starts, dtype=np.float64)[index].tolist()
    return times, minutes


class _RotaDay(NamedTuple):
    """One distinct day of the intake rota (``IntakeBook._build``)."""

    present: list[Person]
    """Who was at work (kept so that the list's identity, part of the day's key, stays its own)."""
    seats: list[list[Person]]
    """Per slot of the day, in clock order: who sits in each seat, in booking order."""
    capacity: list[int]
    """Per slot of the day: its seats filled."""
    offered: list[Person]
    """Every seat's person, slot by slot (empty: no seat that day)."""
    hours: list[tuple[str, float]]
    """Per person seated, in the order first seated: their intake hours this week after the day."""


def _rota_day(
    todays: list[tuple[float, float, int, float]],
    present: list[Person],
    used: tuple[float, ...],
    length: float,
    hours: float,
) -> _RotaDay:
    """A day's seats: each slot in clock order takes up to its parallel seats from ``present`` (roster
    order), each person free then, inside their shift and with the assessment's minutes left in their
    daily and weekly direct budgets (``used``: the hours they already give this week)."""
    week_used = {person.person_id: given for person, given in zip(present, used, strict=True)}
    free_from: dict[str, float] = {}
    """Per person: the end of their last assessment today (slots are taken in clock order)."""
    direct: dict[str, float] = {}
    seated: dict[str, float] = {}
    offered: list[Person] = []
    by_slot: list[list[Person]] = []
    for minute, end, parallel, _ in todays:
        seats: list[Person] = []
        for person in present:
            if len(seats) >= parallel:
                break
            key = person.person_id
            given_week = week_used[key]
            given = direct.get(key, 0.0)
            low, high = person.window
            if (
                given + length <= person.daily_limit + 1e-9
                and given_week + hours <= person.weekly_hours + 1e-9
                and low - EPS <= minute
                and end <= high + EPS
                and minute >= free_from.get(key, -1.0) - EPS
            ):
                free_from[key] = end
                direct[key] = given + length
                week_used[key] = seated[key] = given_week + hours
                seats.append(person)
        offered.extend(seats)
        by_slot.append(seats)
    return _RotaDay(present, by_slot, [len(seats) for seats in by_slot], offered, list(seated.items()))


def outcomes_for(clinic: Clinic, episode: Episode) -> IntakeOutcomes:
    """Outcome probabilities: by source if configured, else by acuity, else the default."""
    return _outcomes(clinic.config.intake, episode.source, episode.acuity)


def _outcomes(intake: IntakeConfig, source: str, acuity: str) -> IntakeOutcomes:
    """``outcomes_for`` from the referral's source and acuity."""
    if source in intake.outcomes_by_source:
        return intake.outcomes_by_source[source]
    if acuity in intake.outcomes_by_acuity:
        return intake.outcomes_by_acuity[acuity]
    return intake.outcomes


def start_intake(clinic: Clinic, episode: Episode) -> None:
    """A referral that reached the clinic: book the first assessment slot with room after the lead time."""
    _Intake(clinic, episode).book()


class _Intake:
    """One referral's way through intake, step by step: book, come or not (rebook), decide.

    Each step is a callback at its time (events.call), not a generator process.
    """

    __slots__ = (
        "booked_on",
        "clinic",
        "deadline",
        "draws",
        "episode",
        "rebookings_left",
        "rules",
        "seat",
        "slot",
    )

    def __init__(self, clinic: Clinic, episode: Episode) -> None:
        self.clinic = clinic
        self.episode = episode
        rules, patience_of = clinic.intake.for_referral(episode.source)
        self.rules = rules
        # The patient's own intake stream, with a fixed layout: patience, then one uniform per possible
        # booking (whether they come), then the outcome; so another patient's intake never shifts it. The
        # patience distribution and the number of bookings are the source's (intake.by_source), fixed per
        # source, so the layout stays fixed; a source without by_source draws exactly as before.
        rng = clinic.patients.of(clinic.keys[episode.episode_id], _INTAKE)
        patience = float(patience_of(rng))
        self.draws = rng.random(rules.max_rebookings + 2).tolist()
        self.deadline = episode.referred_day + patience
        self.rebookings_left = rules.max_rebookings
        self.booked_on = 0.0
        self.slot = self.seat = -1

    def book(self) -> None:
        clinic = self.clinic
        env = clinic.env
        book = clinic.intake
        now = self.booked_on = env.now
        horizon = clinic.horizon
        rules = self.rules
        slot = book.book(now + rules.lead_time_days, min(self.deadline, horizon), rules.priority)
        if slot is None:
            if self.deadline < horizon:  # gives up at the deadline; past the horizon it is censored
                call(env, self.deadline, self._give_up)
            return
        self.episode.intake_bookings += 1
        self.slot, self.seat = slot, book.booked[slot] - 1
        call(env, book.times[slot], self._slot)

    def _give_up(self, _: object) -> None:
        self.episode.end(GAVE_UP_BEFORE_INTAKE, self.clinic.env.now)

    def _slot(self, _: object) -> None:
        clinic = self.clinic
        env = clinic.env
        intake = clinic.config.intake
        episode = self.episode
        now = env.now
        days_waited = now - self.booked_on
        rules = self.rules
        booking = rules.max_rebookings - self.rebookings_left
        showed = self.draws[booking] < rules.show_rate_by_days_waited.value_at(days_waited)
        clinic.records.bookings.append(
            Booking(episode.episode_id, self.booked_on, now, showed, self.slot, self.seat)
        )
        if showed:  # the assessor's time is charged by the after-pass (delivery.py)
            episode.assessed_day = now
            call(env, now + intake.assessment_minutes / MINUTES_PER_DAY, self._decide)
        elif self.rebookings_left == 0:
            episode.end(NO_SHOW, now)
        else:
            self.rebookings_left -= 1
            self.book()

    def _decide(self, _: object) -> None:
        clinic = self.clinic
        episode = self.episode
        now = clinic.env.now
        # outcomes_for's shares as running totals, added up once per (source, acuity) a run
        admit, step_up, outpatient = clinic.intake.thresholds(episode.source, episode.acuity)
        u = self.draws[-1]
        if u < admit:
            episode.intake_outcome = "admit"
            clinic.programme.refer_to_track(episode)
        elif u < step_up:
            episode.intake_outcome = "redirect_step_up"
            episode.end(REDIRECTED_STEP_UP, now)
        elif u < outpatient:
            episode.intake_outcome = "redirect_outpatient"
            episode.end(REDIRECTED_OUTPATIENT, now)
        else:
            episode.intake_outcome = "decline"
            episode.end(DECLINED, now)
