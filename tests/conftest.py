"""Shared fixtures: the shipped configs as plain data, so tests can break them one field at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from simiop.config import read_config_data

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
BASELINE = REPO / "configs" / "baseline.yaml"

_BASELINE_DATA = read_config_data(BASELINE)


@pytest.fixture
def baseline_data() -> dict[str, Any]:
    """A fresh deep copy of the baseline config's parsed YAML."""
    data = copy.deepcopy(_BASELINE_DATA)
    assert isinstance(data, dict)
    return data
