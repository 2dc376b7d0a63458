"""The shipped clinics' patient flow inside the published ranges (face validity as a test).

Twenty 3-year replications of each config are run by the experiment runner
(two worker processes, episodes.csv kept) and read back from the files, so
the measures are the ones ``tools/published_ranges.py`` reads from a result
folder. A measure passes when the 95% t interval of its mean across
replications lies inside the published range (``simiop.results.published``
gives the ranges and their sources). The baseline is checked on every ranged
measure; hospital_step_down, whose point is the step-down pathway, on the
step-down rows.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from simiop.results.published import (
    MEASURE_BY_NAME,
    MEASURES,
    Comparison,
    Inside,
    compare,
    run_folder_measures,
)
from tests.conftest import BASELINE, REPO
from tests.validation.conftest import Cells, report_range, run_cells

HOSPITAL_STEP_DOWN = REPO / "configs" / "hospital_step_down.yaml"
REPLICATIONS = 20
RANGED = [m.name for m in MEASURES if m.has_range]
STEP_DOWN_ROWS = ["step_down_start_within_2_days_share", "step_down_start_within_5_days_share"]


@pytest.fixture(scope="session")
def baseline_flow_cells(tmp_path_factory: pytest.TempPathFactory) -> Cells:
    return run_cells(tmp_path_factory.mktemp("baseline_flow"), BASELINE, [], REPLICATIONS)


@pytest.fixture(scope="session")
def hospital_flow_cells(tmp_path_factory: pytest.TempPathFactory) -> Cells:
    return run_cells(tmp_path_factory.mktemp("hospital_flow"), HOSPITAL_STEP_DOWN, [], REPLICATIONS)


@functools.cache
def _comparisons(out: Path, warmup_days: float) -> dict[str, Comparison]:
    """Each measure of a run, read once from its episodes.csv files."""
    return {c.measure.name: c for c in compare(run_folder_measures(out, "base", warmup_days))}


def _check(cells: Cells, config: Path, name: str) -> None:
    comparison = _comparisons(cells.out, cells.warmup_days)[name]
    measure = MEASURE_BY_NAME[name]
    assert measure.low is not None
    assert measure.high is not None
    assert comparison.summary.n == cells.replications
    report_range(f"{config.stem}: {name}", measure.low, measure.high, comparison.summary)
    assert comparison.inside is Inside.YES, (
        f"{config.stem} {measure.label}: mean {comparison.summary.mean:.4f} "
        f"(95% CI {comparison.summary.ci95_low:.4f} to {comparison.summary.ci95_high:.4f}) "
        f"is not inside {measure.range_text()} ({comparison.inside.value})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", RANGED)
def test_baseline_inside_the_published_range(baseline_flow_cells: Cells, name: str) -> None:
    _check(baseline_flow_cells, BASELINE, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", STEP_DOWN_ROWS)
def test_hospital_step_down_inside_the_published_range(hospital_flow_cells: Cells, name: str) -> None:
    _check(hospital_flow_cells, HOSPITAL_STEP_DOWN, name)
