"""The issue's check that the sequential procedure needs fewer replications than a fixed-sample one with the
same guarantee, on the shipped staffing example (experiments/optimise_staffing.yaml).

The quick profile (CI) is a REDUCED one: the shipped file through the API with its decision variables
restricted to a few candidates around its measured answer (docs/optimise.md) and the same targets,
confidence, tolerances and horizon. SIMIOP_OPTIMISE_STAFFING_FULL=1 runs the shipped file whole (36
candidates, about 400 replications: about a minute on 2 workers).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from simiop.experiments.executors import ProcessExecutor
from simiop.optimisation.outputs import fixed_sample_replications
from simiop.optimisation.runner import optimise, resolve
from tests.conftest import REPO

SHIPPED = REPO / "experiments" / "optimise_staffing.yaml"
FULL = os.environ.get("SIMIOP_OPTIMISE_STAFFING_FULL", "") not in ("", "0")

REDUCED = {"therapists": [3], "evening_therapists": [1], "day_groups": [1, 2], "intake": None}
"""Levels kept per variable (None: all): day groups 1 or 2 with three therapists, one evening therapist."""


def staffing_file(tmp_path: Path) -> Path:
    """The shipped file, its base made absolute and (quick profile) its levels restricted to REDUCED."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["base"] = str((SHIPPED.parent / data["base"]).resolve())
    if not FULL:
        for name, keep in REDUCED.items():
            variable = data["variables"][name]
            if keep is None:
                continue
            positions = [n for n, level in enumerate(variable["levels"]) if level in keep]
            variable["levels"] = [variable["levels"][n] for n in positions]
            if "labels" in variable:
                variable["labels"] = [variable["labels"][n] for n in positions]
    path = tmp_path / "optimise_staffing.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_fewer_replications_than_fixed_sample_on_the_staffing_example(tmp_path: Path) -> None:
    study = resolve(staffing_file(tmp_path))
    assert len(study.names) == (36 if FULL else 4)
    executor = ProcessExecutor(2)
    try:
        found = optimise(study, tmp_path / "out", executor)
    finally:
        executor.close()
    assert found.selection.guaranteed
    assert found.chosen is not None
    fixed = fixed_sample_replications(found.problem, found.selection)
    assert found.selection.replications < fixed
