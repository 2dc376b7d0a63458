"""Every KPI's better direction, and the verdicts comparison.csv, the figures and the headline draw from it."""

from __future__ import annotations

import pytest

from simiop.config import load_config
from simiop.model import simulate
from simiop.results.directions import BETTER, BETTER_BY_PREFIX, better_direction, verdict
from simiop.results.kpis import compute_kpis
from tests.conftest import CONFIGS, REPO

SHIPPED = [*CONFIGS, *sorted((REPO / "configs" / "validation").glob("*.yaml"))]


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_every_kpi_of_every_shipped_config_has_a_declared_direction(path: object) -> None:
    config = load_config(str(path), ["simulation.horizon_days=28", "simulation.warmup_days=0"])
    kpis = compute_kpis(config, simulate(config, seed=1))
    missing = []
    for kpi in kpis:
        try:
            better_direction(kpi)
        except KeyError:
            missing.append(kpi)
    assert missing == []
    assert len(kpis) > 100  # the whole set, not a stub


def test_a_kpi_nobody_declared_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="brand_new_kpi"):
        better_direction("brand_new_kpi")


def test_the_exact_name_wins_over_a_prefix_and_the_longest_prefix_wins() -> None:
    assert better_direction("dropouts_week_1") == "lower"
    assert better_direction("dropouts_within_14_days_share") == "none"  # exact, though "dropouts_" is lower
    assert better_direction("wait_list_mean_evening") == "lower"
    assert better_direction("individual_therapy_weekly_coverage_day") == "higher"
    assert better_direction("revenue_usd_medicaid") == "higher"
    assert better_direction("occupancy_day") == "none"
    assert better_direction("group_days_cancelled_no_facilitator_evening") == "lower"


def test_the_headline_kpis_point_the_way_the_clinic_wants() -> None:
    assert better_direction("unduplicated_patients_served") == "higher"
    assert better_direction("revenue_usd") == "higher"
    for kpi in ("wait_referral_to_admission_days_median", "total_cost_usd", "cost_per_completed_episode_usd"):
        assert better_direction(kpi) == "lower"
    assert better_direction("group_days_cancelled_no_facilitator") == "lower"


def test_target_band_kpis_have_no_direction_and_the_constraints_name_their_bad_side() -> None:
    """Occupancy and utilisation are never better or worse; what limits the clinic names them when high."""
    from simiop.results.constraints import binding_constraints

    assert {better_direction(k) for k in ("occupancy_day", "staff_utilisation_therapist")} == {"none"}
    assert better_direction("staff_utilisation_shift_evening") == "none"
    assert better_direction("admissions") == "higher"
    assert {better_direction(k) for k in ("group_days_run", "group_days_scheduled")} == {"none"}
    found = binding_constraints({"occupancy_day": 0.95, "staff_utilisation_therapist": 0.95})
    assert {f.kind for f in found} == {"track_full", "staff_time"}


def test_no_prefix_is_also_an_exact_name_with_another_direction() -> None:
    clashes = [
        (name, prefix)
        for name in BETTER
        for prefix in BETTER_BY_PREFIX
        if name.startswith(prefix) and BETTER[name] != BETTER_BY_PREFIX[prefix]
    ]
    assert clashes == [("dropouts_within_14_days_share", "dropouts_")]  # the one deliberate exception


@pytest.mark.parametrize(
    ("kpi", "direction", "expected"),
    [
        ("total_cost_usd", "higher", "worse"),
        ("total_cost_usd", "lower", "better"),
        ("wait_referral_to_admission_days_median", "higher", "worse"),
        ("unduplicated_patients_served", "higher", "better"),
        ("revenue_usd", "lower", "worse"),
        ("revenue_usd", "unclear", "unclear"),
        ("revenue_usd", "same", "unclear"),
        ("revenue_usd", "", "unclear"),
        ("occupancy_day", "higher", "neutral"),
        ("referrals", "unclear", "neutral"),
    ],
)
def test_verdict_turns_a_significant_direction_into_better_or_worse(
    kpi: str, direction: str, expected: str
) -> None:
    assert verdict(kpi, direction) == expected


def test_the_registry_holds_only_the_three_directions() -> None:
    assert set(BETTER.values()) | set(BETTER_BY_PREFIX.values()) == {"higher", "lower", "none"}
