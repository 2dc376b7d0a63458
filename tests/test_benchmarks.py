"""The benchmark scripts still run (tiny settings) and write what benchmarks/README.md reads.

No timing is asserted here: speed is measured by the benchmarks themselves,
on a quiet machine, and recorded in benchmarks/README.md.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_every_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/run_all.py", "--quick", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    replication = json.loads((tmp_path / "replication.json").read_text(encoding="utf-8"))
    configs = {row["config"] for row in replication["configs"]}
    assert configs == {f"configs/{p.name}" for p in (REPO / "configs").glob("*.yaml")}
    replications = json.loads((tmp_path / "replications.json").read_text(encoding="utf-8"))
    assert replications["outputs_identical_across_jobs"] is True
    assert {(r["jobs"], r["tables"]) for r in replications["runs"]} == {
        (1, "all"),
        (2, "all"),
        (1, "none"),
        (2, "none"),
    }
    scaling = json.loads((tmp_path / "scaling.json").read_text(encoding="utf-8"))
    assert [p["years"] for p in scaling["horizon"]["points"]] == [1, 2]
    assert scaling["horizon"]["points"][1]["events"] > scaling["horizon"]["points"][0]["events"]
    assert (
        scaling["referral_volume"]["points"][1]["referrals"]
        > 3 * scaling["referral_volume"]["points"][0]["referrals"]
    )
    engine = json.loads((tmp_path / "engine.json").read_text(encoding="utf-8"))
    assert engine["customers"] > 3000
    assert engine["simiop"]["mean_wait_days"] > 0
    assert engine["hand_written_simpy"]["mean_wait_days"] > 0
    dask = json.loads((tmp_path / "dask.json").read_text(encoding="utf-8"))
    assert dask["outputs_identical"] is True
    assert {(r["executor"], r["workers"], r["cells"]) for r in dask["runs"]} == {
        ("processes", 2, 4),
        ("dask", 2, 4),
    }
    crn = json.loads((tmp_path / "crn.json").read_text(encoding="utf-8"))
    assert crn["experiment"] == "experiments/therapists.yaml"
    assert set(crn["by_side"]["this tree"]["scenarios"]) <= {f"therapists={n}" for n in range(2, 7)}
    for kpis in crn["by_side"]["this tree"]["scenarios"].values():
        for figures in kpis.values():
            assert figures["ratio"] == figures["paired_variance"] / figures["unpaired_variance"]
    found = json.loads((tmp_path / "targets.json").read_text(encoding="utf-8"))
    assert found["quick"] is True
    assert [row["target"] for row in found["targets"]] == [
        "cell",
        "replications_tables_none",
        "replications_tables_all",
        "short_run",
        "mmc_ratio",
    ]
    for row in found["targets"]:
        assert row["met"] is None  # quick mode gives no verdict
        assert row["sides"]["this tree"]["min"] > 0
    table = (tmp_path / "targets.md").read_text(encoding="utf-8")
    assert table.startswith("| target | limit | rounds | this tree: best (median) | met? |")
    assert table in done.stdout  # printed ready to paste


def test_targets_against_a_commit_run_both_sides_and_remove_the_copy(tmp_path: Path) -> None:
    """--against HEAD: the reference side imports the exported commit, and its folder is gone afterwards."""
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/targets.py",
            "--quick",
            "--against",
            "HEAD",
            "--only",
            "short_run",
            "--only",
            "mmc_ratio",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads((tmp_path / "targets.json").read_text(encoding="utf-8"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    assert found["reference"]["commit"] == head.stdout.strip()
    assert found["sides"] == ["this tree", head.stdout.strip()[:9]]
    assert not Path(found["reference"]["removed_folder"]).exists()
    for row in found["targets"]:
        assert set(row["sides"]) == set(found["sides"])
        assert row["ratio_a_over_b"]["median"] > 0
    assert "this / reference (median of pairs)" in (tmp_path / "targets.md").read_text(encoding="utf-8")


def test_an_unknown_reference_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/targets.py",
            "--quick",
            "--against",
            "no-such-rev",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"--against: 'no-such-rev' is not a commit of {REPO}\n"
    assert list(tmp_path.iterdir()) == []


def test_bytecode_sides_drop_only_the_variable_that_stops_python_writing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``targets.py --bytecode`` runs a side as an installed simiop runs: without PYTHONDONTWRITEBYTECODE;
    otherwise a side keeps this process's setting. Either way no variable that would import another simiop
    (PYTHONPATH) reaches the side."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    this_tree = importlib.import_module("reference").this_tree  # the scripts import each other by name

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    plain = this_tree()
    compiled = dataclasses.replace(plain, bytecode=True)
    assert plain.environment()["PYTHONDONTWRITEBYTECODE"] == "1"
    assert "PYTHONDONTWRITEBYTECODE" not in compiled.environment()
    assert "PYTHONPATH" not in plain.environment()
    assert "PYTHONPATH" not in compiled.environment()
    assert {k: v for k, v in plain.environment().items() if k != "PYTHONDONTWRITEBYTECODE"} == (
        compiled.environment()
    )
