"""Timeline and DayClock (simiop/model/clock.py) against a brute-force grid of quarter minutes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simiop.model.clock import DayClock, Timeline

QUARTERS = 24 * 60 * 4
"""The day as quarter-minute cells: endpoints k / 4 are exact floats, so the grid is exact too."""

intervals = st.tuples(st.integers(0, QUARTERS - 1), st.integers(1, 8 * 60 * 4)).map(
    lambda pair: (pair[0], min(QUARTERS, pair[0] + pair[1]))
)


@given(st.lists(intervals, max_size=40), st.lists(intervals, max_size=20))
def test_free_and_take_agree_with_a_grid(
    attempts: list[tuple[int, int]], probes: list[tuple[int, int]]
) -> None:
    """Take every attempt that is free; the timeline and a grid of busy cells always agree."""
    timeline = Timeline()
    busy = [False] * QUARTERS
    direct = 0.0
    for first, last in attempts:
        start, end = first / 4, last / 4
        grid_free = not any(busy[first:last])
        assert timeline.free(start, end) == grid_free
        if grid_free:
            timeline.take(start, end, direct=end - start)
            direct += end - start
            busy[first:last] = [True] * (last - first)
        else:
            with pytest.raises(ValueError, match="overlaps"):
                timeline.take(start, end)
    for first, last in probes:
        assert timeline.free(first / 4, last / 4) == (not any(busy[first:last]))
    spans = timeline.intervals()
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert sum(1 for cell in busy if cell) == sum(int((e - s) * 4) for s, e in spans)
    assert timeline.direct == pytest.approx(direct)


def test_touching_intervals_do_not_overlap_even_after_float_sums() -> None:
    timeline = Timeline()
    length = 180.0 / 7  # slots of a 3 h day split seven ways: sums are not exact
    for k in range(7):
        assert timeline.free(540 + k * length, 540 + (k + 1) * length)
        timeline.take(540 + k * length, 540 + (k + 1) * length)
    assert timeline.free(480.0, 540.0)
    assert timeline.free(720.0, 780.0)
    assert not timeline.free(719.0, 721.0)
    assert timeline.earliest == 540.0
    assert timeline.latest == pytest.approx(720.0)


def test_an_empty_interval_is_refused_and_an_empty_day_has_no_bounds() -> None:
    timeline = Timeline()
    assert (timeline.earliest, timeline.latest) == (None, None)
    with pytest.raises(ValueError, match="must end after it starts"):
        timeline.take(600.0, 600.0)


def test_direct_minutes_are_separate_from_busy_time() -> None:
    """A facilitator is busy the whole programme day, direct only for the sessions (plan section a)."""
    timeline = Timeline()
    timeline.take(540.0, 720.0, direct=150.0)
    timeline.take(480.0, 530.0, direct=50.0)
    assert timeline.intervals() == [(480.0, 530.0), (540.0, 720.0)]
    assert timeline.direct == 200.0
    assert (timeline.earliest, timeline.latest) == (480.0, 720.0)


def test_day_clock_keeps_today_and_drops_yesterday() -> None:
    clock = DayClock()
    clock.start_day(3)
    clock.person("therapist_1").take(540.0, 720.0, 150.0)
    clock.patient(7).take(540.0, 720.0)
    assert clock.person("therapist_1") is clock.person("therapist_1")
    clock.start_day(3)  # the same day again: nothing dropped
    assert not clock.person("therapist_1").free(600.0, 610.0)
    assert clock.person("therapist_1").direct == 150.0
    clock.start_day(4)
    assert clock.person("therapist_1").free(600.0, 610.0)
    assert clock.person("therapist_1").direct == 0.0
    assert clock.patient(7).intervals() == []
    assert clock.day == 4


@given(st.lists(intervals, max_size=30), st.lists(intervals, max_size=20))
def test_the_overlaps_found_are_the_first_start_and_the_last_end_on_a_grid(
    attempts: list[tuple[int, int]], probes: list[tuple[int, int]]
) -> None:
    """first_overlap_start / last_overlap_end name the earliest start and latest end among the busy
    intervals that overlap a probe (the jumps of care's before/after search), None when it is free."""
    timeline = Timeline()
    for first, last in attempts:
        if timeline.free(first / 4, last / 4):
            timeline.take(first / 4, last / 4)
    for first, last in probes:
        start, end = first / 4, last / 4
        overlapping = [(s, e) for s, e in timeline.intervals() if s < end and e > start]
        assert timeline.first_overlap_start(start, end) == (
            min(s for s, _ in overlapping) if overlapping else None
        )
        assert timeline.last_overlap_end(start, end) == (
            max(e for _, e in overlapping) if overlapping else None
        )


def test_a_timeline_busy_for_one_interval() -> None:
    timeline = Timeline.busy(540.0, 720.0)
    assert (timeline.intervals(), timeline.direct) == ([(540.0, 720.0)], 0.0)
    assert timeline.free(480.0, 540.0)
    assert not timeline.free(700.0, 730.0)


def test_the_first_interval_of_an_empty_day_is_taken_as_it_is() -> None:
    """An empty day is free everywhere; its first take (the fast path) is its one interval, with its direct
    minutes, and the next take is checked against it."""
    timeline = Timeline()
    assert timeline.free(0.0, 1440.0)
    timeline.take(600.0, 650.0, direct=50.0)
    assert timeline.intervals() == [(600.0, 650.0)]
    assert timeline.direct == 50.0
    assert not timeline.free(649.0, 700.0)
    with pytest.raises(ValueError, match="overlaps"):
        timeline.take(590.0, 601.0)
    timeline.take(650.0, 700.0)
    assert timeline.intervals() == [(600.0, 650.0), (650.0, 700.0)]
