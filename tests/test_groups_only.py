"""A run with no care service takes short paths through the after-pass (delivery.py, care.py,
sessions.py) and makes no care plan of its own per stay (stay.py: the shared NO_CARE): each must give what the long way gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simiop.config import SimiopConfig, load_config
from simiop.model import simulate
from simiop.model.care import NO_CARE, Care, CarePlan, any_service
from simiop.model.clock import Timeline
from simiop.model.records import Records
from simiop.model.sessions import sessions_of
from simiop.model.stay import Stay, first_success_of_logs, piecewise_first_success
from tests.tiny_world import episode, roster_of, stay_world, track_of

MMC = Path(__file__).resolve().parent.parent / "configs" / "validation" / "mmc.yaml"


def _mmc(*settings: str) -> SimiopConfig:
    """The M/M/c clinic (no care service) over 120 days, with ``settings`` (``path=value``)."""
    return load_config(MMC, ["simulation.horizon_days=120", *settings])


def _long_way(self: Care, attendance: object, held: list[object]) -> None:
    """``record_groups`` as ``deliver``'s general loop does it: ``sessions_of``, then ``care_for``."""
    came = attendance.came  # type: ignore[attr-defined]
    self.care_for(
        attendance.track,  # type: ignore[attr-defined]
        attendance.day,  # type: ignore[attr-defined]
        attendance.week,  # type: ignore[attr-defined]
        attendance.row,  # type: ignore[attr-defined]
        came,
        sessions_of(came, held),  # type: ignore[arg-type]
    )


def _same(short: Records, long: Records) -> None:
    assert [vars_of(e) for e in short.episodes] == [vars_of(e) for e in long.episodes]
    assert short.patient_days == long.patient_days
    assert short.track_days == long.track_days
    assert short.sessions.columns() == long.sessions.columns()


def vars_of(episode: object) -> tuple[object, ...]:
    return tuple(getattr(episode, name) for name in episode.__slots__)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "settings",
    [
        (),  # one group, every day
        ("tracks.programme.groups=2", "tracks.programme.group_size.min=3"),  # merges and too-few days
        ("staff.roles.therapist.count=1", "staff.roles.therapist.weekly_hours=10"),  # no facilitator
    ],
)
def test_a_groups_only_run_records_what_the_general_after_pass_records(
    settings: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _mmc(*settings)
    assert not any_service(config.services)
    short = simulate(config, replication=1)
    assert len(short.patient_days) > 0
    assert len(short.sessions) > 0
    monkeypatch.setattr(Care, "record_groups", _long_way)
    long = simulate(config, replication=1)
    _same(short, long)


@pytest.mark.parametrize("services", [{"individual_therapy": None, "prescriber": None}, {}])
def test_a_stay_has_a_care_plan_only_when_a_care_service_exists(services: dict[str, object]) -> None:
    config = stay_world(2, services=services) if services else stay_world(2)
    therapist = roster_of(config).by_role["therapist"][0]
    rng = np.random.default_rng(1)
    made = Stay(config).plan(track_of(config), episode(0), 0, therapist, 0, 0, 9 / 24, rng, lambda: rng)
    if services:
        assert not any_service(config.services)
        assert made.care is NO_CARE
    else:
        assert any_service(config.services)
        assert isinstance(made.care, CarePlan)
        assert made.care is not NO_CARE


@pytest.mark.parametrize("settings", [(), ("services.individual_therapy={sessions_per_week: 1}",)])
def test_a_plain_stay_has_a_care_plan_only_when_a_care_service_exists(settings: tuple[str, ...]) -> None:
    config = _mmc(*settings)
    stay = Stay(config)
    assert stay.plain
    therapist = roster_of(config).by_role["therapist"][0]
    made = stay.plain_plan(
        track_of(config, "programme"), episode(0), 0, therapist, 0, 0, 9 / 24, np.random.default_rng(1)
    )
    assert (made.care is NO_CARE) == (not settings)


def test_any_service_is_false_only_with_no_individual_sessions_prescriber_or_family() -> None:
    config = _mmc()
    assert not any_service(config.services)
    assert not any_service(_mmc("services.individual_therapy={sessions_per_week: 0}").services)
    assert any_service(_mmc("services.individual_therapy={sessions_per_week: 1}").services)
    assert any_service(_mmc("services.family={share_of_patients: 0.5}").services)


def test_a_timeline_made_busy_equals_an_empty_one_then_take() -> None:
    taken = Timeline()
    taken.take(540.0, 720.0, 150.0)
    made = Timeline(540.0, 720.0, 150.0)
    assert made.intervals() == taken.intervals() == [(540.0, 720.0)]
    assert made.direct == taken.direct == 150.0
    assert Timeline.busy(540.0, 720.0).intervals() == [(540.0, 720.0)]
    assert Timeline().intervals() == []
    assert Timeline().direct == 0.0
    with pytest.raises(ValueError, match="must end after it starts"):
        Timeline(720.0, 540.0)


def test_the_first_success_from_logs_is_the_piecewise_first_success() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        daily = rng.choice([0.0, 0.05, 0.3, 1.0], size=int(rng.integers(0, 12)))
        u = float(rng.random())
        with np.errstate(divide="ignore"):
            logs = np.log1p(-daily)
        assert first_success_of_logs(u, logs) == piecewise_first_success(u, daily)
