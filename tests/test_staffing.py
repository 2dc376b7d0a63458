"""The staffing rules (simiop/config/staffing.py) match the model, and every shipped config passes them.

A staffing error claims the model would never do some work (run a track's
groups, admit to it, assess a referral, give a prescriber visit...). The
property test draws random staffing, checks the rules on the config without
the validator refusing it, simulates it anyway, and confirms each claim in the
records: the rules never refuse a config the model could have run.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from simiop.config import SimiopConfig, load_config, read_config_data
from simiop.config.staffing import check_staffing
from simiop.experiments.plan import experiment_plan
from simiop.model import simulate
from simiop.model.records import Records
from tests.conftest import BASELINE, REPO

SHIPPED = sorted([*(REPO / "configs").glob("*.yaml"), *(REPO / "configs" / "validation").glob("*.yaml")])
EXPERIMENTS = sorted(p for p in (REPO / "experiments").glob("*.yaml") if not p.name.startswith("optimise_"))
"""Experiment files (optimise_*.yaml are optimisation files: tests/test_optimise.py checks their candidates)."""

WARNED = {"baseline.yaml": 1, "evening_working_adults.yaml": 1}
"""Shipped configs with warnings, and how many: a track run by one therapist with no cover (baseline,
evening_working_adults). No shipped intake schedule asks more minutes a day than its staff's direct-care limit."""


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_config_validates(path: Path) -> None:
    warnings = load_config(path).warnings()
    assert len(warnings) == WARNED.get(path.name, 0), warnings
    assert all(" no cover on the " in line for line in warnings), warnings


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda path: path.name)
def test_every_shipped_experiment_validates(path: Path) -> None:
    """Its base config and every scenario and grid cell pass the staffing rules."""
    plan = experiment_plan(path)
    assert plan.scenarios
    for scenario in plan.scenarios:
        scenario.config.warnings()  # computed without error for every scenario


# -- the rules against the model ------------------------------------------------------------------

BASE: dict[str, Any] = read_config_data(BASELINE)
OPENING = dt.date.fromisoformat(str(BASE["clinic"]["opening_date"]))
ROLES = list(BASE["staff"]["roles"])


def unchecked(data: dict[str, Any]) -> SimiopConfig:
    """The config of ``data`` with every section validated but not the rules joining them."""
    values = {}
    for name, field in SimiopConfig.model_fields.items():
        if name in data:
            assert field.annotation is not None
            values[name] = TypeAdapter(field.annotation).validate_python(data[name])
    return SimiopConfig.model_construct(**values)


@st.composite
def staffing(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["simulation"]["horizon_days"] = draw(st.integers(20, 90))
    for role in data["staff"]["roles"].values():
        # Not drawn until the model books against daily limits (issue 18, plan step 2): without
        # days_per_week the daily rule never fires before the weekly one.
        role.pop("days_per_week", None)
        role["count"] = draw(st.sampled_from([0, 1, 1, 2]))
        role["shift"] = draw(st.sampled_from(["day", "evening", "both"]))
        role["fte"] = draw(st.sampled_from([0.05, 0.5, 1.0, 1.0]))
        role["absence_days_per_year"] = draw(st.sampled_from([0, 20, 20, 260]))
        offsets = draw(st.lists(st.integers(-10, 120), max_size=1))
        role["hires"] = [{"date": (OPENING + dt.timedelta(days=d)).isoformat()} for d in offsets]
    for track in data["tracks"].values():
        track["groups"] = draw(st.sampled_from([0, 1, 1, 2]))
        track["facilitators_per_group"] = draw(st.integers(1, 2))
        track["facilitator_role"] = draw(st.sampled_from(ROLES))
        if draw(st.booleans()):
            track["admission"] = {"policy": "cohort", "cohort_weekdays": [track["weekdays"][-1]]}
    data["rooms"]["group_rooms"] = draw(st.sampled_from([0, 1, 2, 2]))
    data["intake"]["staff_role"] = draw(st.sampled_from(ROLES))
    services = data["services"]
    services["prescriber"]["role"] = draw(st.sampled_from(ROLES))
    services["family"]["role"] = draw(st.sampled_from(ROLES))
    services["family"]["share_of_patients"] = 1.0
    services["individual_therapy"]["session_minutes"] = draw(st.sampled_from([50, 180]))
    return data


def confirm(path: str, config: SimiopConfig, records: Records) -> None:
    """Assert what the error at ``path`` claims the model never does."""
    parts = path.split(".")
    track_rows = records.track_days
    episodes = records.episodes
    if parts[0] == "tracks":
        rows = [row for row in track_rows if row.track == parts[1]]
        assert sum(row.groups_run for row in rows) == 0, path
        if parts[2] in ("facilitator_role", "groups"):
            assert sum(row.admissions for row in rows) == 0, path
    elif path == "rooms.group_rooms":
        assert sum(row.groups_run for row in track_rows) == 0
    elif path == "intake.staff_role":
        assert all(e.assessed_day is None for e in episodes)
    elif parts[:2] == ["services", "prescriber"]:
        assert sum(e.prescriber_visits for e in episodes) == 0
    elif parts[:2] == ["services", "family"]:
        assert sum(e.family_sessions for e in episodes) == 0
    elif parts[:2] == ["services", "individual_therapy"]:
        # Named per track in the message; checked for every track whose facilitators are too short.
        minutes = config.services.individual_therapy.session_minutes  # type: ignore[union-attr]
        for name, track in config.tracks.items():
            role = config.staff.roles[track.facilitator_role]
            if role.weekly_hours * role.fte * 60 < minutes:
                assert sum(e.individual_sessions for e in episodes if e.track == name) == 0
    elif parts[:2] == ["staff", "roles"] and parts[3] == "absence_days_per_year":
        assert sum(row.present for row in records.staff_days if row.role == parts[2]) == 0
    else:
        raise AssertionError(f"no model check for {path}")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=staffing())
def test_every_staffing_error_is_confirmed_by_the_model(data: dict[str, Any]) -> None:
    config = unchecked(data)
    errors = check_staffing(config).errors
    event(f"{len(errors)} staffing errors")
    records = simulate(config)
    for path, *_ in errors:
        event(".".join(path.split(".")[:: len(path.split(".")) - 1]))  # first and last part
        confirm(path, config, records)


# -- tracks no referral can reach (issue 15 F5) ------------------------------------------------------


def _preferences(data: dict[str, Any], shares: dict[str, float]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for source in data["referrals"]["sources"].values():
        source["track_preference"] = dict(shares)
    return data


def test_a_track_no_referral_prefers_gets_a_warning() -> None:
    """Every source prefers the day shift and the day track's list waits: evening admitted no one for a year."""
    config = SimiopConfig.model_validate(_preferences(BASE, {"day": 1.0, "evening": 0.0, "either": 0.0}))
    assert (
        "warning: tracks.evening: no referral source prefers the evening shift or 'either', and no track's "
        "wait list switches patients to it when full (wait_list.when_full: switch), so track evening never "
        "admits anyone (got referrals prefer: day)"
    ) in config.warnings()
    # Any way in is enough: one source with a little 'either', or the day track switching when full.
    for shares, when_full in (({"day": 0.99, "either": 0.01}, "wait"), ({"day": 1.0}, "switch")):
        data = _preferences(BASE, shares)
        data["tracks"]["day"]["wait_list"]["when_full"] = when_full
        assert not any("never admits" in line for line in SimiopConfig.model_validate(data).warnings())


@st.composite
def preferences(draw: st.DrawFn) -> dict[str, Any]:
    """Random track preferences (often one-sided), source rates and wait-list policies."""
    data = copy.deepcopy(BASE)
    data["simulation"]["horizon_days"] = 120
    side = draw(st.sampled_from(["day", "evening", None]))  # every source one-sided, or each its own mix
    mixes = st.lists(st.sampled_from(["day", "evening", "either"]), min_size=1, max_size=3, unique=True)
    for source in data["referrals"]["sources"].values():
        kinds = [side] if side else draw(mixes)
        source["track_preference"] = {kind: 1.0 / len(kinds) for kind in kinds[:-1]}
        source["track_preference"][kinds[-1]] = 1.0 - sum(source["track_preference"].values())
        source["weekly_rate"] = draw(st.sampled_from([0.0, source["weekly_rate"], 3 * source["weekly_rate"]]))
    for track in data["tracks"].values():
        track["wait_list"]["when_full"] = draw(st.sampled_from(["wait", "switch", "leave"]))
    data["tracks"]["evening"]["enabled"] = draw(st.booleans())
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=preferences())
def test_a_track_warned_unreachable_admits_no_one(data: dict[str, Any]) -> None:
    """The warning's claim, confirmed in the records: no referral or readmission is ever placed on it."""
    config = SimiopConfig.model_validate(data)
    warned = {
        line.split(":")[1].strip().removeprefix("tracks.")
        for line in config.warnings()
        if "never admits" in line
    }
    event(f"warned {len(warned)}")
    placed = {episode.track for episode in simulate(config).episodes if episode.track is not None}
    assert not warned & placed, (warned, placed)


# -- intake hours beyond the intake staff's week (issue 15 L11) ---------------------------------------


@pytest.mark.parametrize(("fte", "warned"), [(0.01, True), (0.74, True), (0.75, False), (1.0, False)])
def test_intake_beyond_the_intake_staffs_hours_gets_a_warning(fte: float, warned: bool) -> None:
    """A 0.01-FTE intake clinician 'did' 30 h of assessments a week, silently (intake is not charged yet)."""
    data = copy.deepcopy(BASE)
    role = data["staff"]["roles"]["intake_clinician"]
    role.update(fte=fte, count=1, weekly_hours=40)
    schedule = data["intake"]["schedule"]
    needed = (
        sum(slot.get("parallel_slots", 1) for slot in schedule) * data["intake"]["assessment_minutes"] / 60
    )
    assert needed == 30  # 20 slots of 90 minutes: exactly 0.75 of a 40-hour week
    lines = [line for line in SimiopConfig.model_validate(data).warnings() if "weekly assessments" in line]
    expected = (
        f"warning: intake.schedule: the weekly assessments take 30 h, more than the {40 * fte:g} h a week of "
        "intake_clinician staff (count x weekly_hours x fte); intake is charged to staff time, so only the "
        "seats their direct-care budgets hold are offered (got intake_clinician: 1 at "
        f"opening, shift day, fte {fte:g})"
    )
    assert lines == ([expected] if warned else [])
