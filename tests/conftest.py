"""Shared fixtures: the shipped configs as plain data, so tests can break them one field at a time."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from simiop.config import SimiopConfig, read_config_data

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
BASELINE = REPO / "configs" / "baseline.yaml"
EXPERIMENTS = sorted(
    path
    for path in (REPO / "experiments").glob("*.yaml")
    if not path.name.startswith(("sensitivity_", "optimise_"))
)
"""The shipped experiment files (experiments/sensitivity_*.yaml are sensitivity files: test_sensitivity.py;
optimise_*.yaml optimisation files: test_optimise.py)."""

_BASELINE_DATA = read_config_data(BASELINE)


def accrued_years(config: SimiopConfig, days: range) -> float:
    """What ``days`` (whole days since opening) accrue of an annual amount, worked out plainly with dates:
    each day 1 / the days of the fiscal year (money.fiscal_year_start_month) holding it."""
    month, total = config.money.fiscal_year_start_month, 0.0
    for day in days:
        date = config.clinic.opening_date + dt.timedelta(days=day)
        start = dt.date(date.year if date.month >= month else date.year - 1, month, 1)
        total += 1.0 / (dt.date(start.year + 1, month, 1) - start).days
    return total


@pytest.fixture
def baseline_data() -> dict[str, Any]:
    """A fresh deep copy of the baseline config's parsed YAML."""
    data = copy.deepcopy(_BASELINE_DATA)
    assert isinstance(data, dict)
    return data


# -- hypothesis profiles: SIMIOP_HYPOTHESIS_PROFILE=ci (default) or long ----------------------------
# ci is reproducible (derandomize) and keeps hypothesis's default 100 examples, so tests without their
# own max_examples are unchanged; long has ten times the examples. tests/test_invalid_configs.py scales
# its case counts from the active profile's max_examples.
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True)
settings.register_profile("long", settings.get_profile("ci"), max_examples=1000)
settings.load_profile(os.environ.get("SIMIOP_HYPOTHESIS_PROFILE", "ci"))
