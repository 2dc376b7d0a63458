"""Pinned outputs of the baseline: what an optimisation must not change.

``tests/test_pinned.py`` recomputes two 3-year replications of
configs/baseline.yaml (its own seed), and one 1-year replication of every
other shipped config (configs/*.yaml and configs/validation/mmc.yaml, which
cover continuous admission, direct admission, cohorts, other wait-list rules
and staffing), and compares them with ``tests/data/pinned_baseline.json``:
every KPI as written in kpis.csv, and a SHA-256 of every per-replication file
(episodes, daily, staff, periods, kpis).
A speed-up that changes a single random draw or a single row fails it. The
``simulated_events`` KPI is left out: it measures the engine's work, which an
optimisation may well reduce, not the clinic.

When the model changes on purpose, regenerate the pins deliberately and say
why in the commit message::

    python -m tests.pinned
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from simiop.config import load_config
from simiop.experiments.cells import CellTask, run_cell
from simiop.experiments.plan import TABLES

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "configs" / "baseline.yaml"
PINS = REPO / "tests" / "data" / "pinned_baseline.json"
REPLICATIONS = (0, 1)
OTHER_CONFIGS = tuple(
    sorted(
        p
        for p in [*(REPO / "configs").glob("*.yaml"), REPO / "configs" / "validation" / "mmc.yaml"]
        if p != BASELINE
    )
)
ENGINE_KPIS = ("simulated_events",)


def _without_engine_kpis(name: str, data: bytes) -> bytes:
    """kpis.csv without the rows of ENGINE_KPIS (column 2 of replication,kpi,value); other files as they are."""
    if name != "kpis.csv":
        return data
    lines = data.decode("utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if line.split(",")[1] not in ENGINE_KPIS).encode()


def _cell(config_path: Path, horizon_days: int, replication: int) -> dict[str, Any]:
    config = load_config(config_path, [f"simulation.horizon_days={horizon_days}"])
    result = run_cell(CellTask("base", replication, config, config.simulation.seed, TABLES))
    rows = csv.DictReader(io.StringIO(result.files["kpis.csv"].decode("utf-8")))
    return {
        "kpis": {row["kpi"]: row["value"] for row in rows if row["kpi"] not in ENGINE_KPIS},
        "sha256": {
            name: hashlib.sha256(_without_engine_kpis(name, data)).hexdigest()
            for name, data in sorted(result.files.items())
        },
    }


def compute() -> dict[str, Any]:
    """The pinned figures, computed now from the current model."""
    seed = load_config(BASELINE).simulation.seed
    pins: dict[str, Any] = {"config": "configs/baseline.yaml", "horizon_days": 1095, "seed": seed}
    for replication in REPLICATIONS:
        pins[f"replication_{replication}"] = _cell(BASELINE, 1095, replication)
    for path in OTHER_CONFIGS:
        pins[f"{path.relative_to(REPO).as_posix()} 365 days"] = _cell(path, 365, 0)
    return pins


def main() -> None:
    PINS.parent.mkdir(parents=True, exist_ok=True)
    PINS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {PINS.relative_to(REPO)}\n")


if __name__ == "__main__":
    main()
