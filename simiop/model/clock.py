"""Today's busy time of each person and patient: who is free when, and how much direct care is booked.

The after-pass plans one day at a time (issue 18): groups, then care, each
placed at a clock time with a person. A :class:`Timeline` is one person's or
one patient's day, kept as sorted, disjoint busy intervals ``[start, end)`` in
float minutes since midnight. A day holds about ten intervals, so ``bisect``
and a look at the two neighbours answer "free?" in O(log n), exactly for float
minutes (a minute bitmap would need a rounding rule: session_minutes is a
float). :class:`DayClock` holds today's timelines only, created on first use
and dropped when the next day starts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable

EPS = 1e-9
"""Intervals that touch within this many minutes do not overlap (floats: 540 + 3 x 60.0 / 3 and 600.0)."""


class Timeline:
    """One person's or patient's day: sorted, disjoint busy intervals [start, end), minutes since midnight."""

    __slots__ = ("direct", "ends", "starts")

    def __init__(self, start: float | None = None, end: float = 0.0, direct: float = 0.0) -> None:
        """An empty day, or one busy for ``[start, end)`` alone with ``direct`` minutes of it direct care
        (a day's first booking: ``take`` on an empty timeline, without the call)."""
        if start is None:
            self.starts: list[float] = []
            self.ends: list[float] = []
        else:
            if not end > start:
                raise ValueError(f"an interval must end after it starts: [{start}, {end})")
            self.starts = [start]
            self.ends = [end]
        self.direct = direct
        """Direct-care minutes booked today (a facilitator is busy for the whole programme day but
        direct only for its sessions, so this is not the busy time)."""

    def free(self, start: float, end: float) -> bool:
        """Whether nothing busy overlaps ``[start, end)`` (touching ends are fine)."""
        if not self.starts:  # an empty day (most people's and patients' first question)
            return True
        index = bisect_right(self.starts, start)
        if index and self.ends[index - 1] > start + EPS:
            return False
        return index == len(self.starts) or self.starts[index] >= end - EPS

    def take(self, start: float, end: float, direct: float = 0.0) -> None:
        """Mark ``[start, end)`` busy and add ``direct`` minutes of direct care; it must be free."""
        if not end > start:
            raise ValueError(f"an interval must end after it starts: [{start}, {end})")
        starts = self.starts
        if not starts:  # the first busy time of the day: nothing to overlap, nothing to search
            starts.append(start)
            self.ends.append(end)
            self.direct += direct
            return
        index = bisect_right(starts, start)  # ``free``, written out: one search for the check and the insert
        if (index and self.ends[index - 1] > start + EPS) or (
            index < len(starts) and starts[index] < end - EPS
        ):
            raise ValueError(f"[{start}, {end}) overlaps a busy interval")
        starts.insert(index, start)
        self.ends.insert(index, end)
        self.direct += direct

    def first_overlap_start(self, start: float, end: float) -> float | None:
        """Start of the earliest busy interval overlapping ``[start, end)``, None if it is free.

        A search moving earlier can jump below it: every interval ending after
        it starts and starting at or before ``start`` overlaps it too.
        """
        starts = self.starts
        index = bisect_right(starts, start)
        if index and self.ends[index - 1] > start + EPS:
            return starts[index - 1]
        if index < len(starts) and starts[index] < end - EPS:
            return starts[index]
        return None

    def last_overlap_end(self, start: float, end: float) -> float | None:
        """End of the latest busy interval overlapping ``[start, end)``, None if it is free (a search
        moving later can jump past it)."""
        index = bisect_left(self.starts, end - EPS) - 1  # the last interval starting before ``end``
        if index >= 0 and self.ends[index] > start + EPS:
            return self.ends[index]
        return None

    @classmethod
    def busy(cls, start: float, end: float) -> Timeline:
        """A timeline busy for ``[start, end)`` only (a patient's programme day)."""
        return cls(start, end)

    @property
    def earliest(self) -> float | None:
        """Start of the first busy interval today, or None when the day is still empty."""
        return self.starts[0] if self.starts else None

    @property
    def latest(self) -> float | None:
        """End of the last busy interval today (disjoint and sorted, so the last one ends last)."""
        return self.ends[-1] if self.ends else None

    def intervals(self) -> list[tuple[float, float]]:
        """The busy intervals in clock order (for tests and debugging)."""
        return list(zip(self.starts, self.ends, strict=True))


class DayClock:
    """Today's timelines of people (by person id) and patients (by episode id), reset for each new day."""

    __slots__ = ("day", "patients", "people")

    def __init__(self) -> None:
        self.day: int | None = None
        self.people: dict[Hashable, Timeline] = {}
        self.patients: dict[Hashable, Timeline] = {}

    def start_day(self, day: int) -> None:
        """Drop yesterday's timelines when ``day`` is a new day; a repeated call for today keeps them."""
        if day != self.day:
            self.day = day
            self.people = {}
            self.patients = {}

    def person(self, key: Hashable) -> Timeline:
        """Today's timeline of a person, empty on first use."""
        timeline = self.people.get(key)
        if timeline is None:
            timeline = self.people[key] = Timeline()
        return timeline

    def patient(self, key: Hashable) -> Timeline:
        """Today's timeline of a patient, empty on first use."""
        timeline = self.patients.get(key)
        if timeline is None:
            timeline = self.patients[key] = Timeline()
        return timeline
