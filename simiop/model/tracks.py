"""A track's state during the run: its groups, their members and its wait list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simiop.config.base import hours_of
from simiop.config.tracks import Track
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import Episode

if TYPE_CHECKING:
    from simiop.model.stay import Enrolment


class TrackState:
    """One enabled track: its groups (lists of enrolments) and its wait list."""

    def __init__(self, name: str, spec: Track) -> None:
        self.name = name
        self.spec = spec
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

    @property
    def census(self) -> int:
        return sum(len(group) for group in self.groups)

    @property
    def seats(self) -> int:
        return self.spec.seats

    def free_seats(self) -> int:
        return self.seats - self.census - len(self.wait_list)

    def next_programme_day(self, calendar: ClinicCalendar, day: int) -> int:
        """The first day after ``day`` on one of this track's weekdays (holidays included)."""
        following = day + 1
        while calendar.weekday_of(following) not in self.spec.weekdays:
            following += 1
        return following

    def open_group(self) -> int | None:
        """The group with the fewest members that still has a seat."""
        sizes = [
            (len(group), index)
            for index, group in enumerate(self.groups)
            if len(group) < self.spec.group_size.max
        ]
        return min(sizes)[1] if sizes else None
