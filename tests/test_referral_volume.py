"""referrals.volume: one multiplier of every source's rate, for "what if referrals double".

That 1 (the default) leaves every result as it was is tests/test_pinned.py's to show."""

from __future__ import annotations

from typing import Any

import pytest

from simiop.config import ConfigError, validate_config
from simiop.model import simulate
from tests.tiny_world import tiny_config


def referral_count(config: Any) -> int:
    records = simulate(config, seed=3, replication=0)
    return sum(1 for episode in records.episodes if episode.source != "readmission")


def test_volume_two_about_doubles_every_source() -> None:
    single = tiny_config(simulation__horizon_days=120)
    double = tiny_config(simulation__horizon_days=120, referrals__volume=2.0)
    base, more = referral_count(single), referral_count(double)
    assert base > 30
    # a Poisson count with twice the mean: well inside 1.5x to 2.5x at these numbers
    assert 1.5 * base < more < 2.5 * base


@pytest.mark.parametrize("value", [0, -1, 101])
def test_volume_out_of_bounds_is_refused_naming_the_field(
    baseline_data: dict[str, Any], value: float
) -> None:
    baseline_data["referrals"]["volume"] = value
    with pytest.raises(ConfigError) as caught:
        validate_config(baseline_data, "clinic.yaml")
    lines = caught.value.lines()
    assert len(lines) == 1
    assert "referrals.volume" in lines[0]
    assert lines[0].startswith("clinic.yaml")
