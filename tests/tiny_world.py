"""Tiny worlds for the model's unit tests: the baseline config with everyone present and a few people.

Each builder returns the real objects the model uses (Roster, TrackState,
Enrolment), so a unit test runs one stage on a hand-made day and checks exact
numbers.
"""

from __future__ import annotations

import copy
from typing import Any

from simiop.config import SimiopConfig, read_config_data, validate_config
from simiop.model.calendar import ClinicCalendar
from simiop.model.care import CarePlan
from simiop.model.clinic import Clinic
from simiop.model.events import Clock
from simiop.model.patients import PatientStreams
from simiop.model.records import Episode, Records
from simiop.model.staff import Person, Roster
from simiop.model.stay import Enrolment
from simiop.model.tracks import TrackState
from simiop.streams import RandomStreams
from tests.conftest import BASELINE

_BASE = read_config_data(BASELINE)


def tiny_config(**changes: Any) -> SimiopConfig:
    """The baseline over 28 days, nobody ever absent, with ``changes`` (dotted paths) applied.

    Without the calibrated baseline's early disengagement, recertification and warm hand-off (issue
    19): each unit test turns on what it tests (test_disengagement, test_stay_limits, test_handoff),
    so a mechanism's exact expected values do not move when the baseline's calibration does.
    """
    data = copy.deepcopy(_BASE)
    assert isinstance(data, dict)
    data["simulation"]["horizon_days"] = 28
    for role in data["staff"]["roles"].values():
        role["absence_days_per_year"] = 0
    without_issue_19_flow(data)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return validate_config(data)


def without_issue_19_flow(data: dict[str, Any]) -> None:
    """Switch off, in config data, the calibrated baseline's no-starts, dropout hazard, recertification
    and warm hand-offs (issue 19), and give it no holidays (the rule closes 2027-01-18, Martin Luther
    King Day, inside the tiny worlds' 28 days; the list they were written against closed none)."""
    data["clinic"]["holidays"] = []
    data["attendance"].pop("no_start_probability", None)
    data["length_of_stay"].pop("dropout_hazard", None)
    data["length_of_stay"].pop("recertification", None)
    for source in data["referrals"]["sources"].values():
        source.pop("warm_handoff", None)


def stay_world(weeks: float = 2, **changes: Any) -> SimiopConfig:
    """A tiny world where only a fixed plan of ``weeks`` ends a stay: always attending, no hazards, no
    progress review, unless ``changes`` (dotted with ``__``) say otherwise (the stay tests' world)."""
    settings: dict[str, Any] = {
        "length_of_stay__planned_stay": {"dist": "fixed", "value": weeks},
        "length_of_stay__progress_review": None,
        "length_of_stay__step_up_weekly_hazard": 0.0,
        "length_of_stay__administrative_weekly_hazard": 0.0,
        "attendance__propensity": {"dist": "fixed", "value": 1.0},
    }
    settings.update(changes)
    return tiny_config(**settings)


def roster_of(config: SimiopConfig) -> Roster:
    return Roster(config, ClinicCalendar.for_config(config), RandomStreams(1, 0))


def clinic_of(config: SimiopConfig, seed: int = 1) -> Clinic:
    """A clinic as ``simulate`` makes one (replication 0 of ``seed``), before any stage is attached."""
    calendar = ClinicCalendar.for_config(config)
    streams = RandomStreams(seed, 0)
    return Clinic(
        config=config,
        env=Clock(),
        calendar=calendar,
        streams=streams,
        roster=Roster(config, calendar, streams),
        records=Records(seed=seed, replication=0, horizon_days=calendar.horizon_days),
        patients=PatientStreams(seed, 0),
    )


def episode(episode_id: int, payer: str = "commercial") -> Episode:
    return Episode(
        episode_id=episode_id,
        patient_id=episode_id + 1,
        source="step_up",
        source_kind="step_up",
        track_preference="day",
        payer=payer,
        acuity="standard",
        referred_day=0.0,
        admitted_day=0.0,
    )


def enrolment(
    episode_id: int, track: TrackState, therapist: Person, family: bool = False, payer: str = "commercial"
) -> Enrolment:
    """An enrolment admitted on day 0 that came every day, with nothing left to draw."""
    return Enrolment(
        episode=episode(episode_id, payer),
        track=track,
        group=0,
        therapist=therapist,
        care=CarePlan(family=family, next_family_day=0, next_prescriber_day=0),
        first=0,
        attended=[True] * 10,
        state="completed",
        ends_at=1000.0,
        ends_on=999,
        at_start=False,
        started=10,
        ended=10,
    )


def track_of(config: SimiopConfig, name: str = "day") -> TrackState:
    return TrackState(name, config.tracks[name], ClinicCalendar.for_config(config))
