"""An output folder that cannot be written: one line naming it and why, exit 2 (1 part way), resumable.

Tests may run as root, for whom chmod does not stop a write: the read-only
case then makes the temporary-file call fail as a read-only folder would,
and the other cases use real failures (a path through a regular file) or a
disk that fills up part way (the writer raising ENOSPC after a few files).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simiop
import simiop.atomic
import simiop.experiments.cells
import simiop.experiments.runner
import simiop.report.build
from simiop.atomic import OutputWriteError
from simiop.experiments.manifest import MANIFEST, read_manifest
from tests.conftest import BASELINE
from tests.test_cli import run
from tests.test_experiments import outputs

RUN = ("run", str(BASELINE), "--horizon", "20d", "-r", "3", "--executor", "serial", "--tables", "daily")
EXPERIMENT = f"""
base: {BASELINE}
replications: 2
horizon: 20d
scenarios:
  fewer_seats:
    set: {{tracks.day.groups: 1}}
"""
ADVISE = (
    "advise",
    str(BASELINE),
    "--horizon",
    "20d",
    "--kpi",
    "referrals",
    "-j",
    "1",
    "--min-replications",
    "2",
    "--look-ahead",
    "2",
    "--max-replications",
    "4",
)


def half_written(folder: Path) -> list[str]:
    """Temporary files and folders a write in progress leaves: none may be left behind."""
    if not folder.exists():
        return []
    return [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if ".partial-" in p.name or (p.name.startswith(".") and p.name.endswith(".tmp"))
    ]


def assert_one_line(err: str, folder: Path, reason: str) -> None:
    assert err.startswith(f"{folder}: cannot be written ("), err
    assert reason in err, err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (with its report), for reproduce and report to work on."""
    out = tmp_path_factory.mktemp("finished") / "out"
    code, _, err = run(*RUN, "--out", str(out))
    assert code == 0, err
    return out


def command(name: str, out: Path, tmp_path: Path, finished: Path) -> list[str]:
    """The command line of each command that writes, writing to ``out``."""
    if name == "experiment":
        spec = tmp_path / "small.yaml"
        spec.write_text(EXPERIMENT, encoding="utf-8")
        return ["experiment", str(spec), "--executor", "serial", "--out", str(out)]
    if name == "reproduce":
        return ["reproduce", str(finished), "--executor", "serial", "--out", str(out)]
    if name == "advise":
        return [*ADVISE, "--out", str(out)]
    if name == "init":
        return ["init", str(out / "clinic.yaml")]
    return [*RUN, "--out", str(out)]


WRITERS = ["run", "experiment", "reproduce", "advise", "init"]


@pytest.mark.parametrize("below", ["results", "results/deeper"])
@pytest.mark.parametrize("name", WRITERS)
def test_a_folder_under_a_regular_file_is_one_line_and_exit_2(
    name: str, below: str, tmp_path: Path, finished: Path
) -> None:
    """L6: the line names the file in the way as a file, not as a folder that does not exist."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / below
    code, _, err = run(*command(name, out, tmp_path, finished))
    assert code == 2, err
    if name == "init":  # checked before writing, with its own line
        assert err == f"{out / 'clinic.yaml'}: {blocker} is a file, not a folder\n"
    else:
        assert_one_line(err, out, f"({blocker} is a file, not a folder)")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


class ReadOnly:
    """Makes folders read-only: by chmod where that stops writes, else as a read-only folder answers."""

    def __init__(self) -> None:
        self.blocked: set[Path] = set()

    def __call__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        try:
            (folder / "probe").write_text("", encoding="utf-8")
        except PermissionError:
            return  # chmod works here
        (folder / "probe").unlink()
        self.blocked.add(folder.resolve())

    def undo(self, folder: Path) -> None:
        folder.chmod(0o755)
        self.blocked.discard(folder.resolve())

    def refuses(self, where: Path) -> bool:
        return any(where == b or b in where.parents for b in self.blocked)


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReadOnly]:
    blocker = ReadOnly()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: object, dir: str | Path | None = None, **kwargs: object) -> tuple[int, str]:
        where = Path(dir or ".").resolve()
        if blocker.refuses(where):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(where))
        return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # the one simiop.atomic calls
    yield blocker
    for folder in list(blocker.blocked):
        if folder.exists():
            folder.chmod(0o755)


@pytest.mark.parametrize("name", WRITERS)
def test_a_read_only_folder_is_one_line_and_exit_2_and_a_rerun_works_once_it_is_writable(
    name: str, tmp_path: Path, finished: Path, read_only: ReadOnly
) -> None:
    out = tmp_path / "out"
    read_only(out)
    args = command(name, out, tmp_path, finished)
    code, _, err = run(*args)
    assert code == 2, err
    target = out / "clinic.yaml" if name == "init" else out
    assert_one_line(err, target, "permission denied")
    assert sorted(out.iterdir()) == []
    read_only.undo(out)
    code, _, err = run(*args)
    assert code == 0, err


def test_report_into_a_read_only_folder_exits_2_and_changes_nothing(
    tmp_path: Path, finished: Path, read_only: ReadOnly
) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    before = outputs(out)
    read_only(out / "figures")
    code, _, err = run("report", str(out))
    assert code == 2, err
    assert_one_line(err, out, "permission denied: figures")
    assert outputs(out) == before


class DiskFull:
    """A writer that fills the disk after ``allowed`` files, then raises ENOSPC as a full disk does."""

    def __init__(self, write: Callable[[Path, bytes], None], allowed: int) -> None:
        self.write, self.allowed = write, allowed
        self.failed = False

    def __call__(self, path: Path, data: bytes) -> None:
        if self.allowed <= 0:
            self.failed = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.allowed -= 1
        self.write(path, data)


def test_a_disk_filling_up_mid_run_exits_1_keeps_finished_cells_and_a_rerun_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    full = DiskFull(simiop.atomic.write_bytes_new, allowed=7)  # 2 cells of 3 files, then 1 file
    with monkeypatch.context() as patch:
        patch.setattr(simiop.experiments.cells, "write_bytes_new", full)
        code, _, err = run(*RUN, "--no-report", "--out", str(out))
    assert code == 1, err
    assert_one_line(err, out, "no space left on device")
    assert "run the same command to resume" in err
    assert half_written(out) == []
    assert sorted(p.name for p in (out / "scenarios" / "base").iterdir()) == ["r0000", "r0001"]
    assert read_manifest(out)["status"] == "running"
    code, stdout, err = run(*RUN, "--no-report", "--out", str(out))
    assert code == 0, err
    assert "(2 kept from before)" in stdout
    code, _, _ = run(*RUN, "--no-report", "--out", str(tmp_path / "clean"))
    assert outputs(out) == outputs(tmp_path / "clean")


def test_a_disk_filling_up_while_writing_the_tables_exits_1_and_a_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        full = DiskFull(lambda path, data: simiop.atomic.write_bytes_atomic(path, data), allowed=1)
        patch.setattr(simiop.experiments.runner, "write_text_atomic", lambda p, t: full(p, t.encode()))
        code, _, err = run(*RUN, "--no-report", "--out", str(out))
    assert code == 1, err
    assert_one_line(err, out, "no space left on device")
    assert half_written(out) == []
    code, stdout, err = run(*RUN, "--no-report", "--out", str(out))
    assert code == 0, err
    assert "(3 kept from before)" in stdout
    assert read_manifest(out)["status"] == "complete"


@pytest.mark.parametrize(("allowed", "status"), [(0, 2), (3, 1)])
def test_a_disk_filling_up_during_the_report_leaves_whole_files_and_a_rerun_completes(
    tmp_path: Path, finished: Path, monkeypatch: pytest.MonkeyPatch, allowed: int, status: int
) -> None:
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    before = outputs(out)
    with monkeypatch.context() as patch:
        patch.setattr(
            simiop.report.build, "write_bytes_atomic", DiskFull(simiop.atomic.write_bytes_atomic, allowed)
        )
        patch.setattr(
            simiop.experiments.owned,
            "write_text_atomic",
            lambda p, t: DiskFull(simiop.atomic.write_bytes_atomic, allowed and 1)(p, t.encode()),
        )
        code, _, err = run("report", str(out))
    assert code == status, err
    assert_one_line(err, out, "no space left on device")
    assert half_written(out) == []
    assert set(outputs(out)) == set(before)  # the same files, each whole (old or new)
    code, _, err = run("report", str(out))
    assert code == 0, err
    assert outputs(out) == before


def test_a_run_whose_report_cannot_be_written_exits_1_with_complete_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(
            simiop.report.build, "write_bytes_atomic", DiskFull(simiop.atomic.write_bytes_atomic, 0)
        )
        code, _, err = run(*RUN, "--out", str(out))
    assert code == 1, err
    problems = [line for line in err.splitlines() if ": warning: " not in line]  # the config's own warnings
    assert problems[0].startswith(f"{out}: cannot be written (no space left on device)")
    assert f"the results are complete: fix that and run `simiop report {out}`" in err
    assert read_manifest(out)["status"] == "complete"
    assert not (out / "report.html").exists()
    code, _, err = run("report", str(out))
    assert code == 0, err


def test_advise_whose_plots_cannot_be_written_exits_1_after_its_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simiop.experiments.advice

    monkeypatch.setattr(
        simiop.experiments.advice, "write_bytes_atomic", DiskFull(simiop.atomic.write_bytes_atomic, 1)
    )
    code, stdout, err = run(*ADVISE, "--out", str(tmp_path / "plots"))
    assert code == 1
    assert "\nwarm-up: " in stdout  # MSER-5's answer (a suggestion or its limit: the draws decide)
    assert_one_line(err, tmp_path / "plots", "no space left on device")
    assert "the advice above stands" in err
    assert half_written(tmp_path / "plots") == []


def test_the_api_raises_one_error_naming_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("", encoding="utf-8")
    config = simiop.load_config(BASELINE, changes={"simulation.horizon_days": 10})
    with pytest.raises(OutputWriteError) as caught:
        simiop.run(config, replications=1, jobs=1, out=blocker / "out", report=False)
    assert not caught.value.started
    assert str(caught.value) == f"{blocker / 'out'}: cannot be written ({blocker} is a file, not a folder)"
    assert not (blocker / "out" / MANIFEST).exists()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "out"
    assert run(*RUN, "--no-report", "--out", str(out))[0] == 0
    return out


@settings(max_examples=8)
@given(allowed=st.integers(min_value=0, max_value=14))  # a 3-cell run writes 14 files in all
def test_wherever_the_disk_fills_up_nothing_is_half_written_and_a_rerun_gives_the_same_files(
    tmp_path_factory: pytest.TempPathFactory, clean: Path, allowed: int
) -> None:
    """Invariant over the moment of failure: manifest, cell files and tables share one full disk."""
    out = tmp_path_factory.mktemp("full") / "out"
    full = DiskFull(simiop.atomic.write_bytes_atomic, allowed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(simiop.atomic, "write_bytes_atomic", full)
        patch.setattr(simiop.experiments.cells, "write_bytes_new", full)
        code, _, err = run(*RUN, "--no-report", "--out", str(out))
    if not full.failed:  # the run needed no more writes than allowed
        assert code == 0, err
    else:
        assert code == (2 if allowed == 0 else 1), err
        assert_one_line(err, out, "no space left on device")
    assert half_written(out) == []
    if allowed == 0:
        assert not out.exists()  # nothing written: not even the folder is left
    code, _, err = run(*RUN, "--no-report", "--out", str(out))
    assert code == 0, err
    assert outputs(out) == outputs(clean)
