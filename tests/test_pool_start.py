"""Workers start in milliseconds where that is safe, and a cell folder is whole or absent, whatever kills a run.

Fork is chosen only in a single-threaded process on Linux; every start
method gives the bytes of a serial run. Each cell's files are flushed to
disk once (one call per cell, not one per file) before the folder is
renamed into place, and a run killed at any file of a cell leaves no half
cell: the rerun resumes from the finished cells and writes the bytes of an
uninterrupted run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import simiop.atomic
import simiop.experiments.cells
import simiop.experiments.executors as executors
import simiop.experiments.runner
from simiop.config import load_config
from simiop.experiments.cells import cell_file_names
from simiop.experiments.executors import ProcessExecutor, SerialExecutor, start_method
from simiop.experiments.plan import Plan, run_plan_for
from simiop.experiments.runner import run_plan
from tests.conftest import REPO
from tests.test_experiments import outputs
from tests.test_unwritable import half_written

SMALL = REPO / "configs" / "small_day_only.yaml"
LINUX = sys.platform.startswith("linux")


def _plan(replications: int = 4, tables: tuple[str, ...] = ("daily",)) -> Plan:
    config = load_config(SMALL, ["simulation.horizon_days=20"])
    return run_plan_for(config, "small", replications=replications, tables=tables)


def test_fork_only_in_a_single_threaded_linux_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executors, "_threads", lambda: 1)
    assert start_method() == ("fork" if LINUX else start_method())
    monkeypatch.setattr(executors, "_threads", lambda: 2)
    assert start_method() in {"forkserver", "spawn"}
    monkeypatch.setattr(executors, "_threads", lambda: None)  # no /proc: cannot tell, so no fork
    assert start_method() in {"forkserver", "spawn"}


@pytest.mark.skipif(not LINUX, reason="counts threads in /proc (Linux)")
def test_threads_counts_native_and_python_threads() -> None:
    before = executors._threads()
    assert before is not None
    assert before >= 1
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert executors._threads() == before + 1
        assert start_method() != "fork"
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not LINUX, reason="fork is chosen on Linux only")
def test_the_command_line_forks_its_workers_and_numpy_starts_no_thread() -> None:
    """simiop.cli keeps OpenBLAS from starting its thread, so a run's parent can fork."""
    script = (
        "import os; os.environ.pop('OPENBLAS_NUM_THREADS', None)\n"
        "import simiop.cli, numpy, simiop.config\n"
        "from simiop.experiments.executors import _threads, start_method\n"
        "print(_threads(), start_method())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "fork"]


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_every_start_method_writes_the_bytes_of_a_serial_run(tmp_path: Path, method: str) -> None:
    plan = _plan()
    run_plan(plan, tmp_path / "serial", SerialExecutor())
    pool = ProcessExecutor(2, method=method)
    try:
        outcome = run_plan(plan, tmp_path / method, pool)
        assert pool.method == method
    finally:
        pool.close()
    assert outcome.cells_run == 4
    assert outputs(tmp_path / method) == outputs(tmp_path / "serial")


def test_a_single_cell_runs_in_the_caller_with_no_worker_to_start(tmp_path: Path) -> None:
    pool = ProcessExecutor(2)
    try:
        run_plan(_plan(replications=1), tmp_path / "one", pool)
        assert pool.method is None  # no pool was started
    finally:
        pool.close()
    run_plan(_plan(replications=1), tmp_path / "serial", SerialExecutor())
    assert outputs(tmp_path / "one") == outputs(tmp_path / "serial")


def test_each_cell_is_flushed_to_disk_once_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed: list[tuple[str, list[str]]] = []
    real = simiop.atomic.flush_folder

    def counted(folder: Path, names: list[str]) -> None:
        assert ".partial-" in folder.name  # before the rename
        assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # after every file
        flushed.append((folder.name, list(names)))
        real(folder, names)

    monkeypatch.setattr(simiop.experiments.cells, "flush_folder", counted)
    run_plan(_plan(replications=3), tmp_path / "out", SerialExecutor())
    assert [name.split(".")[0] for name, _ in flushed] == ["r0000", "r0001", "r0002"]
    assert all(names == sorted(cell_file_names(("daily",))) for _, names in flushed)


@pytest.mark.skipif(not LINUX, reason="fork is chosen on Linux only")
def test_pool_workers_write_their_cells_files_and_the_run_flushes_and_renames_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process pool's workers write each cell's files (no bytes cross the pipe); the run itself
    flushes each temporary folder once and renames it: the bytes and checksums of a serial run."""
    from simiop.experiments.manifest import read_manifest

    main = os.getpid()
    writers = multiprocessing.get_context("fork").Array("i", 12)  # the pid of each file's writer
    count = multiprocessing.get_context("fork").Value("i", 0)
    real_write, real_flush = simiop.atomic.write_bytes_new, simiop.atomic.flush_folder
    flushed: list[str] = []

    def write(path: Path, data: bytes) -> None:
        with count.get_lock():
            writers[count.value] = os.getpid()
            count.value += 1
        real_write(path, data)

    def flush(folder: Path, names: list[str]) -> None:
        assert os.getpid() == main
        flushed.append(folder.name)
        real_flush(folder, names)

    def whole_cells_only(*_: object) -> None:
        raise AssertionError("a pool's cell crossed the pipe as bytes")

    plan = _plan(replications=4, tables=("daily",))
    monkeypatch.setattr(simiop.experiments.cells, "write_bytes_new", write)
    monkeypatch.setattr(simiop.experiments.cells, "flush_folder", flush)
    monkeypatch.setattr(simiop.experiments.runner, "write_cell", whole_cells_only)
    pool = ProcessExecutor(2, method="fork")
    try:
        run_plan(plan, tmp_path / "pool", pool)
    finally:
        pool.close()
    assert count.value == 12  # 4 cells of 3 files
    assert main not in writers[:]
    assert sorted(name.split(".")[0] for name in flushed) == ["r0000", "r0001", "r0002", "r0003"]
    monkeypatch.undo()
    run_plan(plan, tmp_path / "serial", SerialExecutor())
    assert outputs(tmp_path / "pool") == outputs(tmp_path / "serial")
    assert read_manifest(tmp_path / "pool")["files"] == read_manifest(tmp_path / "serial")["files"]


@pytest.mark.skipif(not LINUX, reason="fork is chosen on Linux only")
def test_a_pool_s_cells_without_tables_are_written_by_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kpis.csv and periods.csv alone (no table kept) are sent to the run, which writes them."""
    writers: list[int] = []
    real_write = simiop.atomic.write_bytes_new

    def write(path: Path, data: bytes) -> None:
        writers.append(os.getpid())  # a worker's append would stay in the worker
        real_write(path, data)

    monkeypatch.setattr(simiop.experiments.cells, "write_bytes_new", write)
    pool = ProcessExecutor(2, method="fork")
    try:
        run_plan(_plan(replications=4, tables=()), tmp_path / "pool", pool)
    finally:
        pool.close()
    assert writers == [os.getpid()] * 8  # 4 cells of 2 files, all written here


@pytest.mark.skipif(not LINUX, reason="fork is chosen on Linux only")
def test_a_disk_full_in_a_worker_is_the_run_s_write_error_and_leaves_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from simiop.atomic import OutputWriteError

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(simiop.experiments.cells, "write_bytes_new", full)
    monkeypatch.chdir(tmp_path)
    out = Path("out")  # as given on a command line: the workers write under its absolute path
    pool = ProcessExecutor(2, method="fork")
    try:
        with pytest.raises(OutputWriteError) as raised:
            run_plan(_plan(replications=4, tables=("daily",)), out, pool)
    finally:
        pool.close()
    assert raised.value.started
    assert raised.value.target == out
    assert re.fullmatch(
        r"no space left on device: scenarios/base/r000[0-3]\.partial-[0-9]+/daily\.csv", raised.value.reason
    )
    assert half_written(out) == []
    assert not list((out / "scenarios" / "base").glob("r*"))


def test_without_syncfs_each_file_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS and Windows have no syncfs: every file of the folder is fsynced instead."""
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_bytes(b"x")
    synced: list[int] = []
    real = os.fsync

    def counted(descriptor: int) -> None:
        synced.append(descriptor)
        real(descriptor)

    monkeypatch.setattr(simiop.atomic, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", counted)
    simiop.atomic.flush_folder(tmp_path, ["a.csv", "b.csv"])
    assert len(synced) == 2


def test_flush_folder_puts_the_files_on_disk_or_says_why(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"x")
    simiop.atomic.flush_folder(tmp_path, ["a.csv"])  # returns: nothing to say
    with pytest.raises(FileNotFoundError):
        simiop.atomic.flush_folder(tmp_path / "missing", ["a.csv"])


KILLER = textwrap.dedent(
    """
    import multiprocessing, os, signal, sys

    import simiop.cli
    import simiop.experiments.cells as cells

    STAGE, AT = sys.argv[1], int(sys.argv[2])
    MAIN = os.getpid()
    seen = multiprocessing.get_context("fork").Value("i", 0)  # one count for the run and its forked workers


    def dying(real):
        def call(*args):
            with seen.get_lock():
                seen.value += 1
                now = seen.value
            if now == AT:  # as the out-of-memory killer or a power cut would: the run, then this worker
                os.kill(MAIN, signal.SIGKILL)
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args)

        return call


    if __name__ == "__main__":
        if STAGE == "file":  # written by the workers (cells.run_and_write_cell)
            cells.write_bytes_new = dying(cells.write_bytes_new)
        else:  # flushed by the run itself (cells.publish_cell)
            cells.flush_folder = dying(cells.flush_folder)
        sys.argv = ["simiop", *sys.argv[3:]]
        simiop.cli.main()
    """
)


@pytest.mark.parametrize(
    ("stage", "at"),
    [("file", 7), ("file", 8), ("flush", 3)],
    ids=["before-a-cells-first-file", "between-a-cells-files", "before-a-cells-rename"],
)
def test_a_run_killed_mid_cell_leaves_no_half_cell_and_a_rerun_gives_the_same_bytes(
    tmp_path: Path, stage: str, at: int
) -> None:
    """Killed (SIGKILL) while writing the third cell: the cells finished before stay, the third is absent.

    With ``--tables daily`` a cell has 3 files: file 7 is the third cell's
    first, file 8 its second (the workers write them, and die with the run);
    the third flush, in the run, comes after all its files. A cell a worker
    has written is finished once the run has flushed and renamed it, so at
    most two are.
    """
    script = tmp_path / "killed.py"
    script.write_text(KILLER, encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(SMALL), "--horizon", "20d", "-r", "4", "-j", "2", "--tables", "daily", "--no-report"]
    with (tmp_path / "killed.log").open("w") as log:
        killed = subprocess.Popen(
            [sys.executable, str(script), stage, str(at), *args, "--out", str(out)],
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: the workers can be found, and cleaned up
        )
        try:
            assert killed.wait(timeout=300) == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
            assert _left_in_group(killed.pid) == []  # the workers died with their parent
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(killed.pid, signal.SIGKILL)
    expected = cell_file_names(("daily",))
    cells = sorted((out / "scenarios" / "base").iterdir())
    finished = [p.name for p in cells if ".partial-" not in p.name]
    assert len(finished) <= 2  # the cells flushed and renamed before the kill, whichever finished first
    if stage == "flush":
        assert len(finished) == 2  # the run itself flushes: it died at the third
    for name in finished:
        assert {p.name for p in (out / "scenarios" / "base" / name).iterdir()} == expected
    simiop_cmd = Path(sys.executable).parent / "simiop"
    resumed = subprocess.run(
        [str(simiop_cmd), *args, "--out", str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert (f"({len(finished)} kept from before)" in resumed.stdout) == bool(finished)
    assert half_written(out) == []
    clean = subprocess.run(
        [str(simiop_cmd), *args, "-j", "1", "--out", str(tmp_path / "clean")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr
    assert outputs(out) == outputs(tmp_path / "clean")


def _left_in_group(group: int) -> list[int]:
    """The processes still in process group ``group`` once they have had a minute to end (Linux: /proc)."""
    if not LINUX:
        return []
    deadline = time.monotonic() + 60
    while True:
        left = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group and fields[0] != "Z":
                    left.append(int(entry.name))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def test_installed_versions_read_from_the_header_match_importlib_metadata() -> None:
    """The manifest's versions read the ``Version:`` header only: the same text for every installed package."""
    from importlib.metadata import distributions, version

    from simiop.experiments.manifest import installed_version

    names = sorted({d.metadata["Name"] for d in distributions() if d.metadata["Name"]})
    assert len(names) > 10
    for name in names:
        assert installed_version(name) == version(name), name
    assert installed_version("no-such-package-of-simiop") is None


def test_the_manifest_checksums_taken_as_cells_are_written_are_those_of_the_files(tmp_path: Path) -> None:
    """The digests are taken of the bytes as written, not read back: they must be the files' own."""
    from simiop.experiments.manifest import checksums, read_manifest

    out = tmp_path / "out"
    run_plan(_plan(replications=3), out, SerialExecutor())
    recorded = read_manifest(out)["files"]
    on_disk = checksums(out, [p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"])
    assert recorded == on_disk
    assert len(recorded) == 3 * 3 + 3  # 3 files a cell (kpis, periods, daily), kpis/summary/projections


@pytest.mark.skipif(not LINUX, reason="fork is chosen on Linux only")
def test_forked_workers_do_not_print_again_what_the_script_printed(tmp_path: Path) -> None:
    """Output still in the script's buffer (stdout to a pipe) is flushed before the fork, not copied.

    multiprocessing flushes the standard streams before it forks a worker;
    this holds the pool to it.
    """
    script = tmp_path / "printing.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import simiop
            from simiop.experiments import executors

            if __name__ == "__main__":
                method = executors.start_method()  # as the pool sees it: after the run, the pool's
                print("before the run")            # closing threads may still be alive
                simiop.run({str(SMALL)!r}, replications=4, horizon="10d", jobs=2, report=False)
                print("method", method)
            """
        ),
        encoding="utf-8",
    )
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # as the command line sets it: fork
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env=environment,
    )
    assert done.stdout.splitlines() == ["before the run", "method fork"]
