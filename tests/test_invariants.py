"""The caseload invariant (tests/invariants.py): same-instant events in the model's order, breaches still caught.

A therapist's load is checked instant by instant against the orders the model
allows (programme.py): the rounds due at an instant first, with the places
free before it; then discharges, each at a day's end calling a round at once.
Tiny hand-made episodes pin each rule; an edited run shows a real breach fails.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import pytest

from simiop.config import SimiopConfig, validate_config
from simiop.model import simulate
from simiop.model.records import COMPLETED, IN_PROGRAMME, Episode
from tests.invariants import check_caseloads, check_invariants

# The baseline's day track runs 09:00-12:00 (0.375-0.5 of a day); the afternoon track is its copy at 12:00.
DAY_START, NOON = 0.375, 0.5


def _two_tracks(baseline_data: dict[str, Any], cap: int) -> SimiopConfig:
    data = baseline_data
    data["tracks"]["afternoon"] = dict(data["tracks"]["day"], start_time="12:00")
    data["staff"]["roles"]["therapist"]["caseload_cap"] = cap
    return validate_config(data)


def _stay(number: int, therapist: str, track: str, admitted: float, ended: float | None) -> Episode:
    episode = Episode(number, number, "gp", "community", "either", "commercial", "moderate", 0.0)
    episode.track, episode.therapist, episode.admitted_day = track, therapist, admitted
    if ended is None:
        episode.end_state = IN_PROGRAMME
    else:  # the sweep reads only the instants: a discharge at a track's start is a hazard's
        episode.end(COMPLETED, ended)
    return episode


def test_a_place_freed_at_one_tracks_end_goes_to_anothers_round_at_that_instant(
    baseline_data: dict[str, Any],
) -> None:
    """Day 4, 12:00: the day track's patient leaves at the day's end and the afternoon round takes the place."""
    config = _two_tracks(baseline_data, cap=1)
    check_caseloads(
        config,
        [
            _stay(0, "therapist_1", "day", DAY_START, 4 + NOON),
            _stay(1, "therapist_1", "afternoon", 4 + NOON, None),
        ],
    )


def test_a_place_freed_at_a_days_start_waits_for_the_next_round(baseline_data: dict[str, Any]) -> None:
    """An afternoon hazard at 12:00 frees a place after the 12:00 round: that round cannot have filled it."""
    config = _two_tracks(baseline_data, cap=1)
    with pytest.raises(AssertionError, match="a round took a place freed after it"):
        check_caseloads(
            config,
            [
                _stay(0, "therapist_1", "afternoon", NOON, 4 + NOON),
                _stay(1, "therapist_1", "afternoon", 4 + NOON, None),
            ],
        )


def test_another_therapists_end_of_day_discharge_calls_the_round_that_fills_the_place(
    baseline_data: dict[str, Any],
) -> None:
    """As above, but a day-track patient of therapist_2 leaves at 12:00 too: its round may come after both."""
    config = _two_tracks(baseline_data, cap=1)
    check_caseloads(
        config,
        [
            _stay(0, "therapist_1", "afternoon", NOON, 4 + NOON),
            _stay(1, "therapist_1", "afternoon", 4 + NOON, None),
            _stay(2, "therapist_2", "day", DAY_START, 4 + NOON),
        ],
    )


def test_one_patient_over_the_cap_fails_whatever_the_order(baseline_data: dict[str, Any]) -> None:
    config = _two_tracks(baseline_data, cap=1)
    with pytest.raises(AssertionError, match="therapist_1"):
        check_caseloads(
            config,
            [
                _stay(0, "therapist_1", "day", DAY_START, 4 + NOON),
                _stay(1, "therapist_1", "afternoon", 1 + NOON, 6 + NOON),
                _stay(2, "therapist_2", "day", 1 + DAY_START, 4 + NOON),
            ],
        )


def test_a_run_edited_to_put_one_patient_too_many_on_a_therapist_fails(baseline_data: dict[str, Any]) -> None:
    """A real run passes; moving one enrolment onto a therapist who is at the cap during it fails."""
    baseline_data["simulation"]["horizon_days"] = 365
    config = _two_tracks(baseline_data, cap=4)
    records = simulate(config, 77, 0)
    check_invariants(config, records)

    # Each day-shift therapist's load after each instant of its own admissions and discharges.
    changes: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for e in records.episodes:
        if e.therapist is not None and e.therapist.startswith("therapist_") and e.admitted_day is not None:
            changes[e.therapist][e.admitted_day] += 1
            if e.ended_day is not None:
                changes[e.therapist][e.ended_day] -= 1
    full: list[tuple[str, float]] = []
    for therapist, by_time in changes.items():
        load = 0
        for time in sorted(by_time):
            load += by_time[time]
            if load == 4:
                full.append((therapist, time))
    moved = next(
        (e, therapist)
        for therapist, time in full
        for e in records.episodes
        if e.therapist is not None
        and e.therapist.startswith("therapist_")
        and e.therapist != therapist
        and e.admitted_day is not None
        and e.admitted_day < time < (e.ended_day if e.ended_day is not None else records.horizon_days)
    )
    episode, therapist = moved
    edited = dataclasses.replace(
        records,
        episodes=[
            dataclasses.replace(episode, therapist=therapist) if e is episode else e for e in records.episodes
        ],
    )
    with pytest.raises(AssertionError, match=rf"'{therapist}'"):
        check_invariants(config, edited)
