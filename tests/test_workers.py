"""Worker processes start the same way from any script and any folder, or the caller says in one line why not.

The README's Python API example runs as a script (``python cap10.py``); the
same code without its ``if __name__ == "__main__":`` stops with one line
saying to add it. Runs with several workers, of the process pool or of a
local Dask cluster, give the bytes of ``-j 1`` even when the current folder
holds a folder named ``simiop`` (a clone beside an editable install), which
the workers once imported instead of the installed package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import simiop
from simiop.experiments.executors import CellsLostError, ExecutorStartError, ProcessExecutor
from simiop.experiments.mainguard import GUARD, is_guarded
from tests.conftest import REPO

SHORT = (
    ("replications=20", "replications=2"),
    ("replications=10", "replications=2"),
    ('horizon="3y"', 'horizon="30d"'),
)
"""What the test changes in the README's example to keep it fast; each must be there exactly once."""

SIMIOP = Path(sys.executable).parent / "simiop"
"""The installed ``simiop`` command of this environment (its main module is guarded, as pip writes it)."""


def readme_example() -> str:
    """The README's Python API example, as a user would paste it into a file, made short."""
    blocks: list[str] = re.findall(
        r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S
    )
    [example] = [block for block in blocks if "simiop.run(" in block]
    for old, new in SHORT:
        assert example.count(old) == 1, old
        example = example.replace(old, new)
    return example


def unguarded(script: str) -> str:
    """The same script with its guard removed and its body dedented, as a user might first write it."""
    head, guard, body = script.partition(GUARD)
    assert guard, "the README's example has no guard"
    return head + textwrap.dedent(body.split("\n", 1)[1])


def clinic_folder(folder: Path) -> Path:
    """The folders the README's example reads: the baseline cut to 30 days, the experiment to 2 levels."""
    (folder / "configs").mkdir(parents=True)
    (folder / "experiments").mkdir()
    baseline = (REPO / "configs" / "baseline.yaml").read_text(encoding="utf-8")
    short, count = re.subn(r"(?m)^  horizon_days: 1095\b", "  horizon_days: 30", baseline)
    assert count == 1
    (folder / "configs" / "baseline.yaml").write_text(short, encoding="utf-8")
    experiment = (REPO / "experiments" / "therapists.yaml").read_text(encoding="utf-8")
    fewer, count = re.subn(r"levels: \[2, 3, 4, 5, 6\]", "levels: [2, 4]", experiment)
    assert count == 1
    (folder / "experiments" / "therapists.yaml").write_text(fewer, encoding="utf-8")
    return folder


def python(script: str, folder: Path, name: str = "cap10.py") -> subprocess.CompletedProcess[str]:
    (folder / name).write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, name], cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_readme_example_runs_as_a_script(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path)
    done = python(readme_example(), folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "True"  # the experiment reproduced, every checksum matching
    assert (folder / "census.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "results" / "cap10" / "summary.csv").is_file()


def test_the_readme_example_without_its_guard_stops_with_one_line(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path)
    script = unguarded(readme_example())
    line = 1 + next(i for i, text in enumerate(script.splitlines()) if "simiop.run(" in text)
    done = python(script, folder)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"cap10.py, line {line}: put the code that runs simiop under `{GUARD}` (worker processes import "
        "cap10.py again and would run it again; see the README's Python API example), or pass jobs=1 (no "
        "worker processes)"
    ]
    assert done.stdout == ""
    assert not (folder / "results").exists()  # stopped before writing anything


@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_read_from_standard_input_stops_with_one_line(tmp_path: Path, guarded: bool) -> None:
    """``python - < script.py``: workers cannot import '<stdin>' again, guard or not, so say what to do."""
    folder = clinic_folder(tmp_path)
    script = readme_example() if guarded else unguarded(readme_example())
    done = subprocess.run(
        [sys.executable, "-"],
        input=script,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "<stdin>: a script read from standard input cannot start worker processes (they import the main "
        "script again, from its file): save it to a file and run `python FILE`, or pass jobs=1 (no worker "
        "processes)"
    ]
    assert not (folder / "results").exists()  # stopped before writing anything


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_api_jobs_must_be_a_whole_number_of_workers(jobs: object) -> None:
    """jobs=0 once ran on every core and jobs=-1 on one worker, silently; 1.5 was a TypeError."""
    with pytest.raises(ExecutorStartError, match=r"^jobs: got .*; allowed a whole number >= 1, or None"):
        simiop.run(simiop.example_config(), replications=1, horizon="5d", jobs=jobs, report=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_an_unguarded_script_stops_before_any_executor_starts_workers(tmp_path: Path, executor: str) -> None:
    folder = clinic_folder(tmp_path)
    script = (
        "import simiop\n"
        f"simiop.run('configs/baseline.yaml', replications=2, jobs=2, executor={executor!r}, report=False)\n"
    )
    done = python(script, folder, "go.py")
    assert done.returncode == 1
    assert done.stderr.startswith(f"go.py, line 2: put the code that runs simiop under `{GUARD}`")
    assert len(done.stderr.splitlines()) == 1
    assert ("jobs=1" in done.stderr) == (
        executor == "processes"
    )  # a local Dask cluster has workers even then


def test_serial_runs_need_no_guard(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path)
    script = "import simiop\nprint(simiop.run('configs/baseline.yaml', replications=2, jobs=1, report=False).scenarios)\n"
    done = python(script, folder, "serial.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['base']\n"


def test_a_script_the_check_cannot_see_through_still_gets_the_hint(tmp_path: Path) -> None:
    """Inside ``if True:`` the call looks guarded; the workers leave quietly and the pool's error names the fix.

    Workers that import the script again are started by forkserver (or
    spawn): the script's own thread rules out fork here, as macOS and
    Windows rule it out always.
    """
    folder = clinic_folder(tmp_path)
    script = (
        "import threading\nimport simiop\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "if True:\n    simiop.run('configs/baseline.yaml', replications=2, jobs=2, report=False)\n"
    )
    done = python(script, folder, "sneaky.py")
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("simiop.experiments.executors.CellsLostError: the worker processes stopped")
    assert last.endswith(f"if sneaky.py starts simiop at its top level, put that code under `{GUARD}`")
    assert "bootstrapping phase" not in done.stderr  # the workers said nothing of their own


@pytest.mark.parametrize(
    ("source", "line", "guarded"),
    [
        ("import simiop\nsimiop.run(c)\n", 2, False),
        (f"import simiop\n{GUARD}\n    simiop.run(c)\n", 3, True),
        ("import simiop\nif True:\n    simiop.run(c)\n", 3, True),
        ("import simiop\nfor c in cs:\n    with x:\n        simiop.run(\n            c)\n", 5, False),
        (f"import simiop\ntry:\n    {GUARD}\n        main()\nexcept E:\n    pass\n", 4, True),
        ("import simiop\ndef main():\n    simiop.run(c)\n\nmain()\n", 5, False),
        ("def broken(:\n    simiop.run(c)\n", 2, True),  # cannot tell: never refuse
    ],
)
def test_is_guarded_reads_the_module_level_if(tmp_path: Path, source: str, line: int, guarded: bool) -> None:
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    assert is_guarded(script, line) is guarded


def _die(task: int) -> int:
    if task == 3:
        os._exit(9)  # a worker killed, as by the out-of-memory killer
    return task


def test_a_killed_worker_is_one_line_not_a_broken_pool() -> None:
    executor = ProcessExecutor(2)
    try:
        with pytest.raises(
            CellsLostError, match=r"^the worker processes stopped before finishing their cells"
        ):
            list(executor.map_unordered(_die, list(range(8))))
    finally:
        executor.close()


def test_a_worker_lost_between_two_submissions_is_one_line_not_a_broken_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race CI once hit: a chunk comes back, then a worker dies before the next chunk is submitted,
    so ``pool.submit`` itself raises BrokenProcessPool (not a future). A stand-in pool makes it happen
    every time: its first futures finish, and every submission after them finds the pool broken."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class BreaksAfterFirstRound:
        def __init__(self) -> None:
            self.submitted = 0

        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            self.submitted += 1
            if self.submitted > 4:  # the first round: two chunks in flight per worker
                raise BrokenProcessPool("A child process terminated abruptly")
            future: Future[Any] = Future()
            future.set_result(fn(*args))
            return future

    executor = ProcessExecutor(2)
    monkeypatch.setattr(executor, "_started", BreaksAfterFirstRound)
    with pytest.raises(CellsLostError, match=r"^the worker processes stopped before finishing their cells"):
        list(executor.map_unordered(_die_never, list(range(40))))


def _die_never(task: int) -> int:
    return task


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"  # it records the command line and times
    }


SHADOWS = {
    "clone": {"README.md": "a clone of simiop: a folder without __init__.py, a namespace package"},
    "package": {"__init__.py": '"""Another simiop, e.g. a clone of an older version: no __version__."""\n'},
}


@pytest.mark.parametrize(
    ("shadow", "options"),
    [("clone", ["-j", "2"]), ("package", ["-j", "2"]), ("clone", ["-j", "2", "--executor", "dask"])],
)
def test_workers_import_the_callers_simiop_whatever_the_folder(
    tmp_path: Path, shadow: str, options: list[str]
) -> None:
    """cwd holds a folder named simiop: the issue's clone beside an editable install, or another package.

    Before the fix the forkserver imported it, with cwd first on its path, in
    place of the caller's simiop, and the workers failed (or, had it imported,
    would have run other code than the caller).
    """
    assert SIMIOP.is_file(), f"no simiop command beside {sys.executable}"
    (tmp_path / "simiop").mkdir()
    for name, text in SHADOWS[shadow].items():
        (tmp_path / "simiop" / name).write_text(text, encoding="utf-8")
    config = tmp_path / "clinic.yaml"
    shutil.copy(REPO / "configs" / "small_day_only.yaml", config)
    common = [str(SIMIOP), "run", config.name, "--horizon", "20d", "-r", "3", "--no-report", "--out"]

    def run(out: str, *more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*common, out, *more], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )

    many = run("many", *options)
    assert many.returncode == 0, many.stderr
    one = run("one", "-j", "1")
    assert one.returncode == 0, one.stderr
    assert _files(tmp_path / "many") == _files(tmp_path / "one")
    assert len(_files(tmp_path / "one")) > 10


def test_a_local_dask_cluster_that_cannot_start_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import distributed

    from simiop.experiments.dask_executor import DaskExecutor
    from simiop.experiments.executors import ExecutorStartError

    def fail(**options: object) -> None:
        raise RuntimeError("Nanny failed to start.\nand more")

    monkeypatch.setattr(distributed, "LocalCluster", fail)
    with pytest.raises(ExecutorStartError) as raised:
        DaskExecutor(2)
    assert raised.value.option == "executor"
    assert raised.value.message.startswith("the local Dask cluster did not start (Nanny failed to start.)")
