"""The model is statistically the same model as the recorded reference (see same_model.py).

Each shipped config is run for 60 replications on a seed the reference did
not use, and every KPI is compared with the reference's 60 by Welch's t test
and the Kolmogorov-Smirnov test, Bonferroni-corrected over every comparison
of every config (5% family-wise). With about 5 x 110 KPIs x 3 tests the
per-comparison level is about 3e-5; the smallest shift of a KPI's mean that
Welch's test then detects with 80% power is about 0.85 of that KPI's
standard deviation across replications (``detectable_shift_in_sd``, printed
by ``test_the_detectable_shift_is_stated``). Smaller shifts can pass: this
is a net for a rewrite's real mistakes (a lost feature, a rule applied at the
wrong instant), not a proof of equality; the pins, the exact trace and the
invariant tests keep guarding the rest.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

import numpy as np
import pytest

from tests.validation.same_model import (
    CONFIGS,
    FAMILY_ALPHA,
    REFERENCE,
    REPLICATIONS,
    TEST_SEED,
    compare,
    comparisons,
    detectable_shift_in_sd,
    kpi_sample,
)


@cache
def _reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def _alpha_each() -> float:
    configs = _reference()["configs"]
    total = sum(comparisons(entry["kpis"], entry["kpis"]) for entry in configs.values())
    return FAMILY_ALPHA / total


def test_the_reference_covers_every_shipped_config() -> None:
    reference = _reference()
    assert set(reference["configs"]) == set(CONFIGS)
    for path, entry in reference["configs"].items():
        assert entry["horizon_days"] == CONFIGS[path]
        assert {len(values) for values in entry["kpis"].values()} == {REPLICATIONS}, path


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_kpi_matches_the_reference(config: str) -> None:
    entry = _reference()["configs"][config]
    current = kpi_sample(config, entry["horizon_days"], TEST_SEED, REPLICATIONS)
    differences = compare(config, entry["kpis"], current, _alpha_each())
    assert not differences, "\n".join(str(d) for d in differences)


def test_the_detectable_shift_is_stated() -> None:
    """The module docstring's figure, recomputed: fails if the KPI count moves it far."""
    shift = detectable_shift_in_sd(REPLICATIONS, _alpha_each())
    assert 0.7 < shift < 1.0, shift


def test_compare_finds_a_shift_of_the_stated_size_and_passes_equal_samples() -> None:
    rng = np.random.default_rng(7)
    alpha = _alpha_each()
    shift = detectable_shift_in_sd(REPLICATIONS, alpha)
    misses = equal_alarms = 0
    for _ in range(40):
        base = rng.normal(0.0, 1.0, REPLICATIONS).tolist()
        same = rng.normal(0.0, 1.0, REPLICATIONS).tolist()
        moved = rng.normal(1.5 * shift, 1.0, REPLICATIONS).tolist()
        equal_alarms += bool(compare("synthetic", {"k": base}, {"k": same}, alpha))
        misses += not compare("synthetic", {"k": base}, {"k": moved}, alpha)
    assert equal_alarms == 0
    assert misses <= 2  # 1.5x the 80%-power shift is found nearly always


def test_compare_reports_lost_kpis_changed_constants_and_nan_shares() -> None:
    alpha = 1e-4
    lost = compare("c", {"a": [1.0, 2.0], "b": [1.0, 1.0]}, {"a": [1.0, 2.0]}, alpha)
    assert [(d.kpi, d.test) for d in lost] == [("b", "present in one sample only")]
    constant = compare("c", {"a": [3.0] * 10}, {"a": [4.0] * 10}, alpha)
    assert [d.test for d in constant] == ["constant changed"]
    nan = math.nan
    shares = compare("c", {"a": [nan] * 30 + [1.0] * 30}, {"a": [1.0] * 60}, alpha)
    assert [d.test for d in shares] == ["share of NaN (Fisher)"]
    assert not compare("c", {"a": [nan] * 5}, {"a": [nan] * 5}, alpha)


def test_a_changed_model_fails_the_comparison() -> None:
    """A real change of the clinic (30% more step-up referrals) is caught even with 20 replications."""
    config = "configs/small_day_only.yaml"
    entry = _reference()["configs"][config]
    busier = ["referrals.sources.step_up.weekly_rate=3.25"]  # 2.5 in the config
    current = kpi_sample(config, entry["horizon_days"], TEST_SEED, 20, busier)
    found = {d.kpi for d in compare(config, entry["kpis"], current, _alpha_each())}
    # Admissions are capped by seats here (+5% for +30% referrals, about 1 SD): whether 20 replications
    # flag them depends on the sample, so the busier clinic's census stands for them.
    assert {"referrals", "assessments", "census_mean_day"} <= found
