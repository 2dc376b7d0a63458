"""Staff: who is employed and present each day, their caseloads, their weekly hours and the staff rows.

The roster is the one owner of staff time: every hour a person spends (a
group, an individual, prescriber or family session, an assessment) is booked
through ``Roster.book`` (``Roster.book_at`` on the clock), which keeps the
person's week, their day's timeline and the role's staff.csv columns in step (one list per field and role,
turned into the run's staff rows, columns still, by ``staff_days``). Caseloads are kept here
too, changed only by ``assign`` and ``release``.

Absence is drawn in advance for every person and day from the person's own
stream, so a scenario that changes how staff are used still sees the same
absences (common random numbers). Each person's draws are one per day in day
order, so a longer horizon only adds days after a shorter one's: the same seed
gives the same absences over any stretch of time (tests/test_horizon.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Literal

import numpy as np

from simiop.config.clock import (
    Window,
    daily_direct_limit_minutes,
    shift_windows,
    weekly_direct_limit_hours,
    window_hours,
)
from simiop.config.model import SimiopConfig
from simiop.model.calendar import ClinicCalendar
from simiop.model.clock import Timeline
from simiop.model.records import RowColumns, StaffDay
from simiop.streams import RandomStreams

DAYS_PAST_END = 7
"""Absences are drawn this many days past the run's last day (the same draws a longer run makes)."""

WORKING_DAYS_PER_YEAR = 260.0
"""Weekdays in a year: absence_days_per_year is spread over these."""

Activity = Literal["group", "individual", "prescriber", "family", "intake"]
"""What booked staff hours went to. In staff.csv they are the ``<activity>_hours`` columns; in
daily.csv group hours are ``facilitation_hours`` (session minutes of every facilitator), the others
keep their names (intake is on staff.csv only)."""

_HOURS_FIELD: dict[Activity, str] = {
    "group": "group_hours",
    "individual": "individual_hours",
    "prescriber": "prescriber_hours",
    "family": "family_hours",
    "intake": "intake_hours",
}
"""Each activity's column in staff.csv."""


@dataclass(slots=True, eq=False)
class Person:
    """One member of staff."""

    person_id: str
    role: str
    shift: str
    fte: float
    start_day: int
    weekly_hours: float
    """The direct-care budget of a week (hours): weekly_hours x fte x (1 - non_direct_share)."""
    caseload_cap: int | None
    absent: list[bool]
    caseload: int = 0
    hours_by_week: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    daily_limit: float = float("inf")
    """Most direct-care minutes on one day (config.clock.daily_direct_limit_minutes)."""
    window: Window = (0.0, 1440.0)
    """The clock window of the person's shift: every session they give lies inside it."""
    timeline_day: int = -1
    """The day ``timeline`` is of (-1: none yet)."""
    timeline: Timeline = field(default_factory=Timeline)
    """The person's busy time and direct minutes on ``timeline_day`` (only today's is kept)."""

    def employed(self, day: int) -> bool:
        return day >= self.start_day

    def present(self, day: int) -> bool:
        return day >= self.start_day and not self.absent[day]

    def works(self, shift: str) -> bool:
        return self.shift in (shift, "both")

    def hours_left(self, week: int) -> float:
        return self.weekly_hours - self.hours_by_week[week]

    def has_caseload_room(self) -> bool:
        return self.caseload_cap is None or self.caseload < self.caseload_cap

    def today(self, day: int) -> Timeline:
        """The person's timeline of ``day``, empty at the first question of a new day (the after-pass
        plans days in order, so yesterday's is never asked for again)."""
        if self.timeline_day != day:
            self.timeline_day = day
            self.timeline = Timeline()
        return self.timeline

    def can_give(self, day: int, week: int, minutes: float) -> bool:
        """Whether ``minutes`` of direct care fit in the person's daily and weekly budgets left."""
        return (
            self.today(day).direct + minutes <= self.daily_limit + 1e-9
            and self.hours_by_week[week] + minutes / 60.0 <= self.weekly_hours + 1e-9
        )


class Roster:
    """Every person of every role over the run, hires included."""

    def __init__(self, config: SimiopConfig, calendar: ClinicCalendar, streams: RandomStreams) -> None:
        self.calendar = calendar
        self.by_role: dict[str, list[Person]] = {}
        self._caseload_change: dict[str, list[int]] = {}
        """Per role and day: patients assigned minus released on that day's row (caseload at each close)."""
        self._on_payroll: dict[str, np.ndarray] = {}
        self._here: dict[str, np.ndarray] = {}
        """Per role: (person, day) matrices of being employed and being at work, for the tables below."""
        self._present: dict[tuple[str, str | None], list[list[Person]]] = {}
        """Per role and shift: who is at work, by day (a table built on first use)."""
        self._employed: dict[str, list[list[Person]]] = {}
        """Per role: who is on the payroll, by day (a table built on first use)."""
        self._employed_count: dict[str, list[int]] = {}
        self._present_count: dict[str, list[int]] = {}
        self._employed_fte: dict[str, list[float]] = {}
        """Per role and day: employed, present and employed FTE (the staff rows' fixed part), as lists."""
        self._days = calendar.days
        self._hours: dict[Activity, dict[str, list[float]]] = {activity: {} for activity in _HOURS_FIELD}
        """Per activity and role, the hours booked on each day (the staff.csv columns, kept as lists)."""
        windows = shift_windows(config)
        self._caseload: dict[str, list[int]] = {}
        """Per role, the caseload at each day's close (filled in by close_days)."""
        self.cover: dict[str, list[Person]] = {}
        """Per role with a cover pool: its per-diem people, never absent, with the role's shift and limits."""
        self._cover_pay: dict[str, tuple[float, float]] = {}
        """Per role with a cover pool: (min_paid_hours, hourly_cost_usd)."""
        self._cover_hours: dict[str, list[float]] = {}
        self._cover_cost: dict[str, list[float]] = {}
        for role, spec in config.staff.roles.items():
            starts = [0] * spec.count
            for hire in spec.hires:
                starts += [max(0, (hire.date - calendar.opening).days)] * hire.count
            absence_probability = min(1.0, spec.absence_days_per_year / WORKING_DAYS_PER_YEAR)
            window = windows[spec.shift]
            daily_limit = daily_direct_limit_minutes(spec, window_hours(window))
            weekly_budget = weekly_direct_limit_hours(spec)
            people = []
            absent = np.zeros((len(starts), calendar.days + 1), dtype=bool)
            for index, start in enumerate(starts):
                person_id = f"{role}_{index + 1}"
                # A week past the run's last day too: the intake rota reserves whole weeks (intake.py).
                draws = streams.get(f"staff.absence.{person_id}").random(calendar.days + 1 + DAYS_PAST_END)
                away = draws < absence_probability
                absent[index] = away[: calendar.days + 1]
                people.append(
                    Person(
                        person_id=person_id,
                        role=role,
                        shift=spec.shift,
                        fte=spec.fte,
                        start_day=start,
                        weekly_hours=weekly_budget,
                        caseload_cap=spec.caseload_cap,
                        absent=away.tolist(),
                        daily_limit=daily_limit,
                        window=window,
                    )
                )
            self.by_role[role] = people
            self._caseload_change[role] = [0] * (calendar.days + 1)
            on_payroll = np.array(starts, dtype=np.int64)[:, None] <= np.arange(calendar.days + 1)[None, :]
            fte_of = [sum([spec.fte] * count) for count in range(len(people) + 1)]  # as summed per person
            employed = on_payroll.sum(axis=0).tolist()
            here = on_payroll & ~absent
            self._on_payroll[role], self._here[role] = on_payroll, here
            present = here.sum(axis=0).tolist()
            self._employed_count[role], self._present_count[role] = employed, present
            self._employed_fte[role] = [fte_of[count] for count in employed]
            for booked in self._hours.values():
                booked[role] = [0.0] * calendar.days
            self._caseload[role] = [0] * calendar.days
            self._cover_hours[role] = [0.0] * calendar.days
            self._cover_cost[role] = [0.0] * calendar.days
            if spec.cover is not None:  # ASSUMPTION: the pool always has someone on call
                self._cover_pay[role] = (spec.cover.min_paid_hours, spec.cover.hourly_cost_usd)
                self.cover[role] = [
                    Person(
                        person_id=f"{role}_cover_{k + 1}",
                        role=role,
                        shift=spec.shift,
                        fte=spec.fte,
                        start_day=0,
                        weekly_hours=weekly_budget,
                        caseload_cap=None,
                        absent=[False] * (calendar.days + 1 + DAYS_PAST_END),
                        daily_limit=daily_limit,
                        window=window,
                    )
                    for k in range(spec.cover.people_per_day)
                ]

    def presence(self, role: str, shift: str | None = None) -> list[list[Person]]:
        """Who of ``role`` (on ``shift``) is at work, by day, for every day of the run and the one after:
        ``present`` as one table, for callers that ask for many days (they must not change it)."""
        table = self._present.get((role, shift))
        if table is None:
            people = self.by_role[role]
            chosen = [index for index, p in enumerate(people) if shift is None or p.works(shift)]
            table = self._present[(role, shift)] = _by_day(people, chosen, self._here[role])
        return table

    def present(self, role: str, day: int, shift: str | None = None) -> list[Person]:
        """Who of ``role`` (on ``shift``) is at work on ``day``; callers must not change the list.

        Presence depends only on the day (hire dates and absences are drawn at
        the start), so the answers for every day are worked out at the first
        question and reused by every session and patient.
        """
        table = self.presence(role, shift)
        if day < len(table):
            return table[day]
        return [p for p in self.by_role[role] if p.present(day) and (shift is None or p.works(shift))]

    def employed(self, role: str, day: int) -> list[Person]:
        """Who of ``role`` is on the payroll on ``day``; like presence, fixed at the start."""
        table = self._employed.get(role)
        if table is None:
            people = self.by_role[role]
            table = self._employed[role] = _by_day(people, list(range(len(people))), self._on_payroll[role])
        if day < len(table):
            return table[day]
        return [p for p in self.by_role[role] if p.employed(day)]

    def headcount(self, role: str, day: int) -> tuple[int, int, float]:
        """(employed, present, employed FTE) of ``role`` on ``day``: the staff row's fixed part.

        Worked out for every day at the start (hires and absences are known
        then), so closing a day costs a lookup instead of counting people.
        """
        return self._employed_count[role][day], self._present_count[role][day], self._employed_fte[role][day]

    def row(self, role: str, day: int) -> StaffDay:
        """The staff.csv row of ``role`` on ``day``, as it stands (a copy: the roster keeps columns)."""
        employed, present, fte = self.headcount(role, day)
        hours = self._hours
        return StaffDay(
            day,
            role,
            employed,
            present,
            fte,
            hours["group"][role][day],
            hours["individual"][role][day],
            hours["prescriber"][role][day],
            hours["family"][role][day],
            hours["intake"][role][day],
            self._caseload[role][day],
            self._cover_hours[role][day],
            self._cover_cost[role][day],
        )

    def book(self, person: Person, day: int, week: int, hours: float, activity: Activity) -> None:
        """Charge ``hours`` of ``activity`` to the person's week and to the role's row of the day."""
        person.hours_by_week[week] += hours
        self._hours[activity][person.role][day] += hours

    def book_at(
        self, person: Person, day: int, week: int, start: float, end: float, activity: Activity
    ) -> None:
        """``book`` a session on the clock: ``[start, end)`` (minutes since midnight) is direct care,
        charged to the week and the role's row, and busy on the person's timeline of the day."""
        minutes = end - start
        self.book(person, day, week, minutes / 60.0, activity)
        person.today(day).take(start, end, minutes)

    def booked_hours(self) -> dict[Activity, dict[str, list[float]]]:
        """Per activity and role, the hours booked on each day: the lists ``book`` adds to.

        For the after-pass's innermost loop, which adds to them directly
        (with the person's week, as ``book`` does) instead of a call per session.
        """
        return self._hours

    def pay_cover(self, day: int) -> None:
        """At the end of ``day``'s planning: each cover person called in that day is paid for the span
        of their sessions (first start to last end), at least the pool's min_paid_hours."""
        for role, people in self.cover.items():
            least, rate = self._cover_pay[role]
            for person in people:
                timeline = person.timeline
                if person.timeline_day == day and timeline.starts:
                    paid = max(least, (timeline.ends[-1] - timeline.starts[0]) / 60.0)
                    self._cover_hours[role][day] += paid
                    self._cover_cost[role][day] += paid * rate

    def close_days(self) -> None:
        """Each role's caseload at every day's close (midnight) onto its rows, from the changes by day."""
        for role, changes in self._caseload_change.items():
            self._caseload[role] = list(accumulate(changes[: self._days]))

    def staff_days(self) -> RowColumns[StaffDay]:
        """Every staff row in (day, role) order, the rows of staff.csv, as columns."""
        roles = sorted(self._employed_count)
        days = self._days
        count = len(roles)

        def by_day(per_role: Mapping[str, Sequence[Any]]) -> list[Any]:
            """Each role's list of days interleaved into (day, role) order: role k's days are every
            ``count``-th row from row k, written in by one slice assignment per role (no tuple per day,
            as ``chain(zip(...))`` made)."""
            rows: list[Any] = [None] * (days * count)
            for k, role in enumerate(roles):
                rows[k::count] = per_role[role][:days]
            return rows

        return RowColumns(
            StaffDay,
            {
                "day": by_day(dict.fromkeys(roles, range(days))),
                "role": roles * days,
                "employed": by_day(self._employed_count),
                "present": by_day(self._present_count),
                "employed_fte": by_day(self._employed_fte),
                **{_HOURS_FIELD[activity]: by_day(self._hours[activity]) for activity in _HOURS_FIELD},
                "caseload": by_day(self._caseload),
                "cover_hours": by_day(self._cover_hours),
                "cover_cost_usd": by_day(self._cover_cost),
            },
        )

    def assign(self, person: Person, day: int) -> None:
        """A patient joins ``person``'s caseload, counted on the staff row of ``day``."""
        person.caseload += 1
        self._caseload_change[person.role][day] += 1

    def release(self, person: Person, day: int) -> None:
        """A patient leaves ``person``'s caseload, counted on the staff row of ``day``."""
        person.caseload -= 1
        self._caseload_change[person.role][day] -= 1

    def primary_therapist(self, role: str, day: int, shift: str) -> Person | None:
        """The employed therapist of ``role`` on ``shift`` with the lightest caseload under cap, if any.

        Ties go to the smallest person id. One pass, no list: this runs at every admission.
        """
        best: Person | None = None
        for person in self.employed(role, day):
            # Person.works and Person.has_caseload_room, written out: this runs at every admission.
            cap = person.caseload_cap
            if person.shift not in (shift, "both") or (cap is not None and person.caseload >= cap):
                continue
            if best is None or (person.caseload, person.person_id) < (best.caseload, best.person_id):
                best = person
        return best

    def with_hours(self, people: Sequence[Person], week: int, hours: float) -> Person | None:
        """The person among ``people`` with the most hours left this week, if they can spare ``hours``."""
        best: Person | None = None
        best_left = 0.0
        for person in people:
            left = person.weekly_hours - person.hours_by_week[week]
            if best is None or (left, person.person_id) > (best_left, best.person_id):
                best, best_left = person, left
        if best is None or best_left < hours - 1e-9:
            return None
        return best


def _by_day(people: list[Person], chosen: list[int], mask: np.ndarray) -> list[list[Person]]:
    """For each day (a column of ``mask``, person by day), the ``chosen`` people marked that day.

    Days with the same people share one list: the sets are found with numpy
    (each day's set as a bit pattern), so the Python work is per distinct set.
    """
    rows = mask[chosen]
    if len(chosen) > 62:  # too many for a bit pattern: one list per day
        return [[people[chosen[i]] for i in np.flatnonzero(column)] for column in rows.T]
    bits = np.left_shift(np.int64(1), np.arange(len(chosen), dtype=np.int64))
    codes = (
        (rows.astype(np.int64) * bits[:, None]).sum(axis=0) if chosen else np.zeros(mask.shape[1], np.int64)
    )
    distinct, which = np.unique(codes, return_inverse=True)
    lists = [[people[chosen[i]] for i in range(len(chosen)) if code >> i & 1] for code in distinct.tolist()]
    return [lists[k] for k in which.tolist()]
