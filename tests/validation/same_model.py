"""Reference KPI samples of the model, and the two-sample comparison a rewrite must pass.

A rewrite of the model that draws its random numbers in a new order cannot
keep byte-identical outputs, so the pins (tests/pinned.py) cannot say whether
it is still the same model. This can: ``tests/data/reference_kpis.json``
holds every KPI of every replication of every shipped config, recorded from
the model as it was before the rewrite (commit and date in the file).
``test_same_model.py`` runs the current model on *other* seeds and compares
each KPI's sample with the reference sample by

- Welch's t test on the means (unequal variances), and
- the two-sample Kolmogorov-Smirnov test on the distributions,

both from scipy.stats, Bonferroni-corrected over every (config, KPI, test)
so that the whole comparison has a 5% family-wise false-alarm rate.
Different seeds make the two samples independent, so the tests are valid
before the rewrite (when the model is the same, the draws still differ) and
after it.

Regenerate only on purpose, when the model is *meant* to change, with::

    python -m tests.validation.same_model
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simiop.config import load_config
from simiop.experiments.cells import CellTask, run_cell

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "data" / "reference_kpis.json"
REPLICATIONS = 60
REFERENCE_SEED = 1_000_003
"""The reference's seed; the test uses TEST_SEED, so the two samples share no random numbers."""
TEST_SEED = 2_000_003
CONFIGS: dict[str, int] = {
    # config -> horizon in days: the baseline at its 3-year planning horizon, the others at 2 years
    "configs/baseline.yaml": 1095,
    "configs/evening_working_adults.yaml": 730,
    "configs/hospital_step_down.yaml": 730,
    "configs/small_day_only.yaml": 730,
    "configs/validation/mmc.yaml": 730,
}
ENGINE_KPIS = frozenset({"simulated_events"})
"""KPIs that measure the engine's work, not the clinic: a rewrite is meant to change them."""
FAMILY_ALPHA = 0.05


def kpi_sample(
    config_path: str, horizon_days: int, seed: int, replications: int, changes: Sequence[str] = ()
) -> dict[str, list[float]]:
    """Every KPI's value in each of ``replications`` replications: {kpi: [value per replication]}.

    Runs through ``run_cell`` (what ``simiop run`` runs) and reads kpis.csv, the
    most stable interface a rewrite keeps; NaN (a KPI with nothing to measure)
    is kept as NaN. ``changes``: further ``path=value`` overrides (a test's deliberate change).
    """
    config = load_config(REPO / config_path, [f"simulation.horizon_days={horizon_days}", *changes])
    values: dict[str, list[float]] = {}
    for replication in range(replications):
        result = run_cell(CellTask("base", replication, config, seed, ()))
        for row in csv.DictReader(io.StringIO(result.files["kpis.csv"].decode("utf-8"))):
            if row["kpi"] not in ENGINE_KPIS:
                values.setdefault(row["kpi"], []).append(float(row["value"]))
    return values


@dataclass(frozen=True)
class Difference:
    """One KPI whose samples differ more than chance allows."""

    config: str
    kpi: str
    test: str
    p_value: float
    reference_mean: float
    current_mean: float

    def __str__(self) -> str:
        return (
            f"{self.config} {self.kpi}: {self.test} p={self.p_value:.2g} "
            f"(reference mean {self.reference_mean:.6g}, now {self.current_mean:.6g})"
        )


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def _constant(values: Sequence[float]) -> bool:
    """The same in every replication, up to float summation noise (a staff cost, a fixed count)."""
    return max(values) - min(values) <= 1e-9 * max(1.0, abs(values[0]))


def comparisons(reference: Mapping[str, Sequence[float]], current: Mapping[str, Sequence[float]]) -> int:
    """How many (KPI, test) comparisons :func:`compare` can make for one config: the Bonferroni count.

    Three per KPI (Welch, Kolmogorov-Smirnov, Fisher on the NaN share), counted
    whether or not a KPI needs all three, which keeps the correction conservative.
    """
    return 3 * len(set(reference) | set(current))


def compare(
    config: str,
    reference: Mapping[str, Sequence[float]],
    current: Mapping[str, Sequence[float]],
    alpha_each: float,
) -> list[Difference]:
    """The KPIs of one config whose reference and current samples differ at level ``alpha_each``.

    A KPI present in only one sample is a difference (a KPI was lost or
    added). A KPI that is NaN in every replication of both is equal. Where
    both samples are constant (up to float rounding), they must be the same constant (a t test is
    undefined there). A different share of NaN replications (e.g. a wait that
    has nothing to measure more often) is compared as a proportion by
    Fisher's exact test.
    """
    from scipy import stats

    found: list[Difference] = []
    for kpi in sorted(set(reference) | set(current)):
        if kpi not in reference or kpi not in current:
            found.append(Difference(config, kpi, "present in one sample only", 0.0, math.nan, math.nan))
            continue
        ref_all, now_all = reference[kpi], current[kpi]
        ref, now = _finite(ref_all), _finite(now_all)
        nan_table = [[len(ref_all) - len(ref), len(ref)], [len(now_all) - len(now), len(now)]]
        if nan_table[0][0] or nan_table[1][0]:
            fisher = float(stats.fisher_exact(nan_table).pvalue)
            if fisher < alpha_each:
                found.append(Difference(config, kpi, "share of NaN (Fisher)", fisher, math.nan, math.nan))
                continue
        if len(ref) < 2 or len(now) < 2:
            continue  # nothing to compare beyond the NaN shares above
        ref_mean, now_mean = sum(ref) / len(ref), sum(now) / len(now)
        if _constant(ref) and _constant(now):
            if not math.isclose(ref[0], now[0], rel_tol=1e-9, abs_tol=1e-12):
                found.append(Difference(config, kpi, "constant changed", 0.0, ref_mean, now_mean))
            continue
        with warnings.catch_warnings():
            # One sample constant (a largest group always at its cap): scipy warns of cancellation in
            # that sample's variance, which is exactly 0 and harmless to Welch's statistic.
            warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
            # Far-apart samples: the exact KS p-value underflows and scipy falls back to the asymptotic one.
            warnings.filterwarnings("ignore", "ks_2samp: Exact calculation unsuccessful", RuntimeWarning)
            welch = float(stats.ttest_ind(ref, now, equal_var=False).pvalue)
            ks = float(stats.ks_2samp(ref, now).pvalue)
        if welch < alpha_each:
            found.append(Difference(config, kpi, "Welch t", welch, ref_mean, now_mean))
        if ks < alpha_each:
            found.append(Difference(config, kpi, "Kolmogorov-Smirnov", ks, ref_mean, now_mean))
    return found


def detectable_shift_in_sd(replications: int, alpha_each: float, power: float = 0.8) -> float:
    """The smallest shift of a mean, in standard deviations, that Welch's test finds with ``power``.

    Normal approximation for two samples of ``replications`` each:
    (z_{1-alpha/2} + z_{power}) * sqrt(2 / n).
    """
    from scipy import stats

    z = float(stats.norm.ppf(1.0 - alpha_each / 2.0) + stats.norm.ppf(power))
    return z * math.sqrt(2.0 / replications)


def _commit() -> str:
    """The commit the samples come from; "-dirty" when the tree had changes not committed (the samples are
    then those of the commit that adds this file, as its message should say)."""
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=7"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def compute() -> dict[str, Any]:
    """The reference samples, computed now from the current model."""
    return {
        "about": "every KPI per replication; see tests/validation/same_model.py",
        "commit": _commit(),
        "seed": REFERENCE_SEED,
        "replications": REPLICATIONS,
        "configs": {
            path: {"horizon_days": days, "kpis": kpi_sample(path, days, REFERENCE_SEED, REPLICATIONS)}
            for path, days in CONFIGS.items()
        },
    }


def main() -> None:
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(json.dumps(compute(), sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {REFERENCE.relative_to(REPO)}\n")


if __name__ == "__main__":
    main()
