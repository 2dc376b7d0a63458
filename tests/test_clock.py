"""The clock helpers of simiop/config/clock.py: session times, shift windows and direct-time limits."""

from __future__ import annotations

from typing import Any

import pytest

import simiop
from simiop.config import SimiopConfig, load_config
from simiop.config.clock import (
    BASE_WINDOWS,
    clock_text,
    daily_direct_limit_minutes,
    paid_hours_per_day,
    programme_minutes,
    pull_out_slots,
    session_times,
    shift_windows,
    weekly_direct_limit_hours,
    window_hours,
)
from simiop.config.staff import StaffRole
from simiop.config.tracks import Track
from tests.conftest import BASELINE, CONFIGS

BASE = load_config(BASELINE)


def track(start: str, hours: float, sessions: int, minutes: float) -> Track:
    return Track.model_validate(
        {
            "shift": "day",
            "weekdays": ["mon"],
            "start_time": start,
            "hours_per_day": hours,
            "group_sessions_per_day": sessions,
            "session_minutes": minutes,
            "groups": 1,
            "group_size": {"min": 1, "max": 10},
        }
    )


def test_baseline_day_track_has_three_50_minute_sessions_on_the_hour() -> None:
    day = BASE.tracks["day"]
    assert programme_minutes(day) == (540.0, 720.0)
    assert session_times(day) == ((540.0, 590.0), (600.0, 650.0), (660.0, 710.0))
    assert pull_out_slots(day) == ((540.0, 600.0), (600.0, 660.0), (660.0, 720.0))
    assert session_times(BASE.tracks["evening"]) == ((1080.0, 1130.0), (1140.0, 1190.0), (1200.0, 1250.0))


@pytest.mark.parametrize(
    ("start", "hours", "sessions", "minutes", "times", "slots"),
    [
        ("00:00", 3, 3, 50, ((0, 50), (60, 110), (120, 170)), ((0, 60), (60, 120), (120, 180))),
        ("23:59", 1 / 60, 1, 1, ((1439, 1440),), ((1439, 1440),)),
        ("22:30", 1.5, 1, 50, ((1350, 1400),), ((1350, 1440),)),
        ("08:30", 4, 4, 50, ((510, 560), (570, 620), (630, 680), (690, 740)), ((510, 570), (570, 630), (630, 690), (690, 750))),
        ("10:00", 1, 2, 30, ((600, 630), (630, 660)), ((600, 630), (630, 660))),  # no break at all
    ],
)  # fmt: skip
def test_odd_tracks_split_their_day_evenly(
    start: str,
    hours: float,
    sessions: int,
    minutes: float,
    times: tuple[tuple[float, float], ...],
    slots: tuple[tuple[float, float], ...],
) -> None:
    odd = track(start, hours, sessions, minutes)
    assert session_times(odd) == times  # exact: every figure here is a whole number of minutes
    assert pull_out_slots(odd) == slots
    assert programme_minutes(odd) == (slots[0][0], slots[-1][1])


def test_sessions_lie_in_their_slots_and_slots_tile_the_programme_day() -> None:
    for config in map(load_config, CONFIGS):
        for name, each in config.tracks.items():
            times, slots = session_times(each), pull_out_slots(each)
            assert len(times) == len(slots) == each.group_sessions_per_day, name
            assert all(s0 <= t0 and t1 <= s1 + 1e-9 for (t0, t1), (s0, s1) in zip(times, slots, strict=True))
            assert [s[0] for s in slots[1:]] == pytest.approx([s[1] for s in slots[:-1]])
            assert (slots[0][0], slots[-1][1]) == pytest.approx(programme_minutes(each))


def test_derived_windows_are_the_base_windows_when_the_work_fits_in_them() -> None:
    assert shift_windows(BASE) == {
        "day": (480.0, 1020.0),
        "evening": (780.0, 1320.0),
        "both": (480.0, 1320.0),
    }
    assert dict(BASE_WINDOWS) == {"day": (480.0, 1020.0), "evening": (780.0, 1320.0)}


def _with(changes: dict[str, Any]) -> SimiopConfig:
    return simiop.load_config(BASELINE, changes=changes)


def test_derived_windows_widen_to_hold_tracks_and_intake_slots() -> None:
    late = _with({"tracks.day.start_time": "21:00", "tracks.evening.start_time": "10:00"})
    assert shift_windows(late)["day"] == (480.0, 1440.0)  # 21:00-24:00
    assert shift_windows(late)["evening"] == (600.0, 1320.0)  # 10:00-13:00
    early = _with({"intake.schedule": [{"weekday": "mon", "start_time": "06:30"}]})
    assert shift_windows(early)["day"] == (390.0, 1020.0)  # 06:30 + 90 min
    both = _with(
        {
            "staff.roles.intake_clinician.shift": "both",
            "intake.schedule": [
                {"weekday": "mon", "start_time": "07:00"},
                {"weekday": "tue", "start_time": "21:00"},
            ],
        }
    )
    assert shift_windows(both) == {
        "day": (420.0, 1020.0),
        "evening": (780.0, 1350.0),
        "both": (420.0, 1350.0),
    }
    disabled = _with({"tracks.evening.enabled": False, "tracks.evening.start_time": "23:00",
                      "tracks.evening.hours_per_day": 1, "tracks.evening.group_sessions_per_day": 1})  # fmt: skip
    assert shift_windows(disabled)["evening"] == (780.0, 1320.0)  # a closed track widens nothing


def test_explicit_windows_are_used_as_given() -> None:
    config = _with({"staff.shifts": {"evening": {"start": "16:00", "end": "24:00"}}})
    assert shift_windows(config) == {
        "day": (480.0, 1020.0),
        "evening": (960.0, 1440.0),
        "both": (480.0, 1440.0),
    }


def role(**fields: Any) -> StaffRole:
    return StaffRole.model_validate({"count": 1, **fields})


@pytest.mark.parametrize(
    ("fields", "window", "paid", "daily", "weekly"),
    [
        ({"days_per_week": 5, "non_direct_share": 0.35}, 9.0, 8.0, 312.0, 26.0),  # the baseline therapist
        ({"days_per_week": 5, "non_direct_share": 0.35, "fte": 0.75}, 9.0, 6.0, 234.0, 19.5),
        ({"days_per_week": 5, "non_direct_share": 0.40, "fte": 0.5}, 9.0, 4.0, 144.0, 12.0),  # the prescriber
        ({"days_per_week": 1, "fte": 0.2}, 9.0, 8.0, 480.0, 8.0),
        ({"days_per_week": 4}, 9.0, 10.0, 600.0, 40.0),  # longer than the window: a warning, not capped here
        ({}, 9.0, 9.0, 540.0, 40.0),  # no days_per_week: the whole window any day
        ({"weekly_hours": 8}, 9.0, 8.0, 480.0, 8.0),  # ...bounded by the week
        ({"weekly_hours": 80, "non_direct_share": 0.5}, 14.0, 14.0, 420.0, 40.0),
    ],
)
def test_direct_limits(
    fields: dict[str, Any], window: float, paid: float, daily: float, weekly: float
) -> None:
    person = role(**fields)
    assert paid_hours_per_day(person, window) == pytest.approx(paid)
    assert daily_direct_limit_minutes(person, window) == pytest.approx(daily)
    assert weekly_direct_limit_hours(person) == pytest.approx(weekly)


def test_a_role_without_the_new_fields_keeps_its_whole_week() -> None:
    """Defaults (share 0, no days_per_week): the weekly direct limit is the contracted week."""
    person = role(weekly_hours=37.5, fte=0.8)
    assert weekly_direct_limit_hours(person) == 30.0
    assert daily_direct_limit_minutes(person, window_hours((480.0, 1020.0))) == 540.0


@pytest.mark.parametrize(
    ("minute", "text"), [(0.0, "00:00"), (590.0, "09:50"), (1440.0, "24:00"), (1439.5, "23:59:30"), (61 / 60, "00:01:01")]
)  # fmt: skip
def test_clock_text(minute: float, text: str) -> None:
    assert clock_text(minute) == text


def test_every_shipped_config_holds_its_work_inside_its_windows() -> None:
    """The shipped configs with explicit windows are valid, so their tracks fit; checked here directly too."""
    for config in map(load_config, CONFIGS):
        windows = shift_windows(config)
        for each in config.tracks.values():
            start, end = programme_minutes(each)
            window = windows[each.shift]
            assert window[0] <= start
            assert end <= window[1]


def test_a_config_written_before_the_clock_gets_defaults_that_change_nothing() -> None:
    """validation/mmc.yaml names none of the new fields: no share, no paid days, derived windows."""
    mmc = load_config(BASELINE.parent / "validation" / "mmc.yaml")
    for spec in mmc.staff.roles.values():
        assert (spec.non_direct_share, spec.days_per_week, spec.cover) == (0.0, None, None)
        assert weekly_direct_limit_hours(spec) == spec.weekly_hours * spec.fte
    assert (mmc.staff.shifts.day, mmc.staff.shifts.evening) == (None, None)
    services = mmc.services
    assert (services.outside_window_minutes, services.max_pull_outs_per_day) == (120.0, 1)
    if services.individual_therapy is not None:
        assert services.individual_therapy.placement == ("pull_out", "before", "after")


def test_a_shift_may_end_at_midnight_and_round_trips() -> None:
    config = _with({"staff.shifts": {"evening": {"start": "13:00", "end": "24:00"}}})
    assert config.staff.shifts.evening is not None
    assert config.staff.shifts.evening.end == "24:00"
    dumped = config.model_dump(mode="json")["staff"]["shifts"]
    assert dumped == {"day": None, "evening": {"start": "13:00", "end": "24:00"}}
