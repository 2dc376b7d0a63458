"""A track during the run: its programme days, groups, members, wait list and admission rounds."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import numpy as np

from simiop.config.base import WEEKDAYS, hours_of
from simiop.config.clock import programme_minutes, pull_out_slots, session_times
from simiop.config.tracks import Track
from simiop.model.calendar import HOURS_PER_DAY, ClinicCalendar
from simiop.model.records import Episode

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment

_STRETCH = 364
"""Calendar days listed at least at once (a year): stays ask for a few more days many times."""


class TrackState:
    """One enabled track: its programme days, its groups (lists of enrolments) and its wait list.

    Programme days (the track's weekdays that are not holidays) are listed
    lazily and without end: a stay is drawn at admission over the days it
    could take, whatever the horizon, so a longer run extends a shorter one.
    """

    def __init__(self, name: str, spec: Track, calendar: ClinicCalendar) -> None:
        self.name = name
        self.spec = spec
        self.calendar = calendar
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
        self.programme = programme_minutes(spec)
        """The programme day's [start, end), minutes since midnight (config.clock, read once)."""
        self.session_times = session_times(spec)
        """Each group session's [start, end) in the programme day, in order."""
        self.pull_out_slots = pull_out_slots(spec)
        """Each group session with the break after it: where a pulled-out care session may go."""
        self.start_fraction = self.start_hours / HOURS_PER_DAY
        self.end_fraction = self.end_hours / HOURS_PER_DAY
        self.days_per_week = len(spec.weekdays)
        self.seats = spec.seats
        self.role = spec.facilitator_role
        """The role whose people run its groups and take its patients on (read at every admission)."""
        self.shift = spec.shift
        """Patients the track holds at once (the spec's, read once: every referral asks)."""
        self._group_max = spec.group_size.max
        self._weekdays = set(spec.weekdays)
        self.days: list[int] = []
        """Programme days in order (track weekdays, holidays skipped), listed as far as asked."""
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.next_day: list[int] = []
        """For each programme day: the track's next weekday after it, holidays included (completion)."""
        self._listed_to = -1
        self._cursor = [0, 0]
        """``index_now``'s answer so far: at or after the clock's time (0), strictly after it (1)."""
        self.census = 0
        self.round_at = -1.0
        """When this track's next admission round is scheduled (-1: none)."""
        self._first_weekday = WEEKDAYS.index(calendar.weekday_of(0))
        self._on = [weekday in self._weekdays for weekday in WEEKDAYS]
        """By weekday number (0 = Monday): whether the track runs that weekday; days by arithmetic."""
        self._gap = np.array(
            [
                next(k for k in range(1, 8) if self._on[(weekday + k) % 7]) if any(self._on) else 7
                for weekday in range(7)
            ],
            dtype=np.int64,
        )
        """By weekday number: days to the track's next weekday after one (holidays included)."""
        admits = [weekday in self._weekdays and weekday in self.admission_weekdays for weekday in WEEKDAYS]
        self.admission_starts: list[float] = (
            calendar.open_days(0, calendar.days, admits) + self.start_fraction
        ).tolist()
        """Start times of the run's admission days: rounds are held only at these."""

    def runs(self, day: int) -> bool:
        """Whether ``day`` is a programme day of this track."""
        return self.calendar.weekday_of(day) in self._weekdays and not self.calendar.is_holiday(day)

    def list_through(self, count: int) -> None:
        """List programme days until at least ``count`` are known (perhaps more: a stretch at a time).

        The stretch is found with numpy (ClinicCalendar.open_days), each day as
        stepping day by day would find it; listing further changes no day listed.
        """
        on, first_weekday = self._on, self._first_weekday
        while len(self.days) < count:
            start = self._listed_to + 1
            # At least the missing days unless holidays intervene, and a year at a time: a call costs
            # more than a day.
            weeks = (count - len(self.days)) // max(self.days_per_week, 1) + 2
            stop = start + max(7 * weeks, _STRETCH)
            found = self.calendar.open_days(start, stop, on)
            self._listed_to = stop - 1
            following = found + self._gap[(first_weekday + found) % 7]
            self.days.extend(found.tolist())
            self.starts.extend((found + self.start_fraction).tolist())
            self.ends.extend((found + self.end_fraction).tolist())
            self.next_day.extend(following.tolist())

    def list_until(self, time: float) -> None:
        """List programme days until one starts, and one's next programme day falls, after ``time``."""
        while not self.days or self.next_day[-1] <= time or self.starts[-1] <= time:
            self.list_through(len(self.days) + 64)

    def index_from(self, time: float, strictly_after: bool) -> int:
        """The index of the first programme day starting at (or strictly after) ``time``."""
        self.list_until(time)
        if strictly_after:
            return bisect.bisect_right(self.starts, time)
        return bisect.bisect_left(self.starts, time)

    def index_now(self, now: float, strictly_after: bool) -> int:
        """``index_from(now, strictly_after)`` for the clock's time, which never goes back between calls:
        a cursor per kind moved on past the days started, not a bisection of every day listed (the flow
        asks at every admission). Days are listed as ``index_from`` lists them when the cursor runs out.
        """
        starts = self.starts
        index = self._cursor[strictly_after]
        while True:
            if index == len(starts):
                self.list_until(now)  # extends ``starts`` in place
            start = starts[index]
            if start > now or (start == now and not strictly_after):
                break
            index += 1
        self._cursor[strictly_after] = index
        return index

    def free_seats(self) -> int:
        return self.seats - self.census - len(self.wait_list)

    def open_group(self) -> int | None:
        """The group with the fewest members that still has a seat (ties: the first)."""
        groups = self.groups
        count = len(groups)
        if count == 1:
            return 0 if len(groups[0]) < self._group_max else None
        if count == 2:  # the rule below for two groups, written out (a 0.7 us list, min and index: 0.2)
            first, second = len(groups[0]), len(groups[1])
            if second < first:
                return 1 if second < self._group_max else None
            return 0 if first < self._group_max else None
        if not groups:  # a track without groups (a staffing error, run unchecked in tests) seats nobody
            return None
        sizes = list(map(len, groups))
        smallest = min(sizes)  # if the smallest group is full, so is every other
        return sizes.index(smallest) if smallest < self._group_max else None

    def next_round(self, now: float, inclusive: bool) -> float | None:
        """The start of the next admission day after ``now`` (or at it, if ``inclusive``); None: none left."""
        starts = self.admission_starts
        index = bisect.bisect_left(starts, now) if inclusive else bisect.bisect_right(starts, now)
        return starts[index] if index < len(starts) else None
