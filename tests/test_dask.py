"""The Dask executor: the same bytes as the process pool, no finished cell lost when a worker dies, clear errors.

Every test runs on LocalClusters on 127.0.0.1 that the tests start and stop
themselves: one shared cluster reached by its address (the ``--scheduler``
path, which must leave the cluster running), one that the executor starts
itself (``--executor dask`` alone), and a strict one (no retries) on which a
dead worker's cells are lost until the rerun.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

import simiop
from simiop.experiments import dask_executor, runner
from simiop.experiments.cells import CellResult, CellTask, run_cell
from simiop.experiments.dask_executor import DaskExecutor
from simiop.experiments.executors import CellsLostError, ExecutorStartError, chunk_size
from simiop.experiments.manifest import read_manifest
from tests.conftest import BASELINE, REPO
from tests.test_cli import run
from tests.test_experiments import finished_cells, outputs

EXPERIMENT = f"""
description: a small experiment for the Dask executor
base: {BASELINE}
replications: 4
horizon: 90d
scenarios:
  fewer_seats:
    set: {{tracks.day.groups: 1}}
grid:
  cap:
    paths: [tracks.day.group_size.max, tracks.evening.group_size.max]
    levels: [8, 12]
"""
CELLS = 16  # 4 scenarios x 4 replications
FILES = 3 * CELLS + 8
"""daily, kpis and periods per cell; kpis, summary, comparison, projections and 4 scenario summaries."""
TABLES = "daily"
VICTIM = ("cap=8", 2)
"""The cell whose worker dies: the 11th of 16 in plan order, so it is sent only after cells came back."""


def local_cluster(**scheduler: object) -> LocalCluster:
    """Two one-thread worker processes on loopback, as the executor makes its own (no dashboard)."""
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False, **scheduler},
    )


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "small.yaml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(spec: Path) -> Path:
    """The experiment run by the default executor (2 local processes): what every Dask run must equal."""
    out = spec.parent / "processes"
    code, _, err = run(
        "experiment", str(spec), "--out", str(out), "-j", "2", "--tables", TABLES, "--no-report"
    )
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[LocalCluster]:
    with local_cluster() as cluster:
        yield cluster


@pytest.fixture
def scheduler(shared_cluster: LocalCluster) -> str:
    """The shared cluster's address, once both workers are up (a test may have killed one)."""
    shared_cluster.wait_for_workers(2, timeout=30)
    return str(shared_cluster.scheduler_address)


def die_once(fn: Callable[[CellTask], CellResult], marker: str, task: CellTask) -> CellResult:
    """Kill the worker process running VICTIM, the first time only (the marker file remembers)."""
    if (task.scenario, task.replication) == VICTIM and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)  # as a worker killed by the kernel: no clean-up, no goodbye to the scheduler
    return fn(task)


@pytest.fixture
def victim_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Cells run through ``die_once``: the worker that gets VICTIM dies once. Returns the marker file."""
    marker = tmp_path / "victim-died"
    monkeypatch.setattr(runner, "run_cell", functools.partial(die_once, run_cell, str(marker)))
    return marker


def test_dask_writes_the_same_bytes_as_the_process_pool(spec: Path, reference: Path) -> None:
    out = spec.parent / "local-dask"
    code, stdout, err = run(
        "experiment", str(spec), "--out", str(out), "--executor", "dask", "-j", "2", "--tables", TABLES,
        "--no-report",
    )  # fmt: skip
    assert code == 0, err
    assert "4 scenarios x 4 replications" in stdout
    assert outputs(out) == outputs(reference)
    dask_manifest, pool_manifest = read_manifest(out), read_manifest(reference)
    assert dask_manifest["files"] == pool_manifest["files"]
    assert len(dask_manifest["files"]) == FILES
    assert dask_manifest["executor"] == {"name": "dask", "workers": 2}
    assert pool_manifest["executor"] == {"name": "processes", "workers": 2}


def test_a_killed_worker_loses_no_cell_and_the_run_completes(
    spec: Path, reference: Path, scheduler: str, shared_cluster: LocalCluster, victim_dies: Path
) -> None:
    """Dask runs a dead worker's chunk again on another worker; the run still gives the same bytes."""
    out = spec.parent / "killed"
    results = simiop.run_experiment(
        spec, out=out, executor="dask", scheduler=scheduler, tables=TABLES, report=False
    )
    assert victim_dies.exists(), "the victim's worker must have died"
    assert (results.cells_run, results.cells_kept) == (CELLS, 0)
    assert outputs(out) == outputs(reference)
    assert read_manifest(out)["files"] == read_manifest(reference)["files"]
    assert shared_cluster.status.name == "running", "closing the executor must leave a remote cluster up"


def test_cells_lost_with_a_worker_are_run_by_the_rerun_only(
    spec: Path, reference: Path, scheduler: str, victim_dies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no retries allowed a worker's death fails the run: finished cells stay and the rerun adds the rest."""
    out = spec.parent / "lost"
    command = (
        "experiment",
        str(spec),
        "--out",
        str(out),
        "--executor",
        "dask",
        "--tables",
        TABLES,
        "--no-report",
    )
    with local_cluster(allowed_failures=0) as strict:
        code, _, err = run(*command, "--scheduler", str(strict.scheduler_address))
    assert victim_dies.exists(), "the victim's worker must have died"
    assert code == 1
    assert err.endswith(
        "the Dask cluster could not finish every cell: workers died running a chunk of cells (1 attempt; "
        f"the worker logs say why, e.g. out of memory); finished cells are kept in {out}: "
        "run the same command to resume\n"
    ), err
    assert "Traceback" not in err
    finished = finished_cells(out)
    assert 1 <= finished < CELLS
    assert read_manifest(out)["status"] == "running"
    monkeypatch.undo()  # the rerun's workers live
    code, stdout, err = run(*command, "--scheduler", scheduler)
    assert code == 0, err
    assert f"({finished} cells kept from before)" in stdout
    assert outputs(out) == outputs(reference)
    assert read_manifest(out)["files"] == read_manifest(reference)["files"]
    assert read_manifest(out)["executor"] == {"name": "dask", "workers": 2}


def test_reproduce_on_a_cluster_matches_the_process_pool(reference: Path, scheduler: str) -> None:
    again = simiop.reproduce(
        reference, reference.with_name("reproduced"), executor="dask", scheduler=scheduler
    )
    assert again.identical
    assert len(again.checks) == FILES


def test_an_in_memory_evaluation_on_a_cluster_equals_the_serial_one(scheduler: str) -> None:
    config = simiop.load_config(simiop.example_config(), changes={"simulation.horizon_days": 20})
    smaller = simiop.with_changes(config, {"tracks.day.group_size.max": 6})
    scenarios = {"base": config, "smaller": smaller}
    serial = simiop.evaluate(scenarios, replications=3, seed=5, jobs=1)
    on_cluster = simiop.evaluate(scenarios, replications=3, seed=5, executor="dask", scheduler=scheduler)
    assert on_cluster.kpis == serial.kpis
    assert on_cluster.values.tobytes() == serial.values.tobytes()


def test_workers_with_other_versions_are_refused(scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the start, and per chunk for workers that join later: other numbers would come back silently."""
    other = {**dask_executor.worker_versions(), "numpy": "0.0"}
    with monkeypatch.context() as patch:
        patch.setattr(dask_executor, "worker_versions", lambda: other)
        with pytest.raises(ExecutorStartError, match=r"runs numpy \S+ \(caller 0.0\): results would differ"):
            DaskExecutor(scheduler=scheduler)
    executor = DaskExecutor(scheduler=scheduler)
    executor._expected = other  # as if the caller ran numpy 0.0 and a worker joined since the start
    try:
        with pytest.raises(CellsLostError, match=r"a worker on .* runs numpy \S+ \(caller 0.0\)"):
            list(executor.map_unordered(abs, [-1, -2, -3]))
    finally:
        executor.close()


def test_chunks_aim_at_a_fifth_of_a_second_on_a_cluster() -> None:
    assert chunk_size(10_000, 2, 0.001, dask_executor.CHUNK_SECONDS) == 200
    assert chunk_size(10_000, 2, 0.5, dask_executor.CHUNK_SECONDS) == 1
    assert chunk_size(400, 2, 0.001, dask_executor.CHUNK_SECONDS) == 50  # a quarter of each share at most
    assert chunk_size(400, 0, 0.001, dask_executor.CHUNK_SECONDS) == 100  # no worker yet: as if one


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scheduler", "tcp://127.0.0.1:8786"), "--scheduler: only used with the dask executor (here 'processes')"),
        (("--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"), "--scheduler: cannot reach tcp://127.0.0.1:1 (Connection refused); is `dask scheduler` running there"),
        (("--executor", "dask", "--scheduler", "localhost"), "--scheduler: 'localhost' is not a scheduler address (missing port number"),
        (("--executor", "dask", "--scheduler", "tcp://127.0.0.1:1", "-j", "2"), "--jobs: not used with a scheduler"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["run", "experiment", "reproduce"])
def test_bad_executor_options_exit_2_with_one_line(
    tmp_path: Path, reference: Path, spec: Path, command: str, args: tuple[str, ...], message: str
) -> None:
    source = {"run": str(BASELINE), "experiment": str(spec), "reproduce": str(reference)}[command]
    code, _, err = run(command, source, "--out", str(tmp_path / "out"), *args)
    assert code == 2
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_without_dask_the_dask_executor_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import distributed` meets without it
    code, _, err = run("run", str(BASELINE), "--out", str(tmp_path / "out"), "--executor", "dask")
    assert code == 2
    assert (
        err
        == '--executor: the dask executor needs Dask, which is not installed here: pip install "simiop[dask]"\n'
    )
    assert not (tmp_path / "out").exists()
    with pytest.raises(ExecutorStartError, match=r"^executor: .*pip install"):
        simiop.run(BASELINE, horizon="10d", replications=1, executor="dask", report=False)


def test_the_default_executors_never_import_dask() -> None:
    probe = (
        "import sys, simiop.api, simiop.cli\n"
        "from simiop.experiments.executors import make_executor\n"
        "make_executor('processes', 2).close()\n"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded.strip().replace("'", '"')) == []


def test_dev_installs_dask_so_ci_runs_these_tests() -> None:
    """.ci/run installs ".[dev]": without dask in dev these tests would fail to import there, not run."""
    requires = importlib.metadata.requires("simiop") or []
    assert any(r.startswith("distributed") and 'extra == "dask"' in r for r in requires), requires
    dev = next(r for r in requires if r.startswith("simiop[") and 'extra == "dev"' in r)
    assert "dask" in dev.split("]")[0]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "[docs/dask.md](docs/dask.md)" in readme
    assert 'pip install "simiop[dask]"' in (REPO / "docs" / "dask.md").read_text(encoding="utf-8")


def test_an_optimisation_on_a_cluster_writes_the_serial_bytes(scheduler: str, tmp_path: Path) -> None:
    from tests.test_optimise import mmc_spec, outputs

    spec = mmc_spec(tmp_path, levels="[5, 6]", horizon=150)
    serial = simiop.optimise(spec, out=tmp_path / "serial", executor="serial")
    on_cluster = simiop.optimise(spec, out=tmp_path / "dask", executor="dask", scheduler=scheduler)
    assert on_cluster.selection.replications == serial.selection.replications > 0
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "serial")
