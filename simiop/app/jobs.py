"""Runs for the web app: a bounded pool of worker processes shared by every user, with progress and cancel.

The web server only asks and reads: each run is a ``simiop.api.run`` in a
process of its own (a *job process*, started from a forkserver because the
server has threads), which writes an ordinary result folder, so its files are
byte-identical to ``simiop run`` with the same config, seed, replications and
horizon. Runs with more than one replication use the job's share of the
worker budget as the executor's worker processes (results do not depend on
it, simiop.experiments.executors). At most ``workers`` worker processes run
at once, whoever asked: a job waits in the queue until its share is free.

The folder of a run is named by a digest of what decides its files (the
config, seed, replications, horizon), so a repeated identical request is
answered from disk, and a cancelled one resumes from its finished
replications (simiop.experiments.runner). Folders not used for a while are
removed when the app starts (simiop.app.cache).

Cancel kills the job process and every worker it started at once: the job
process leads a process group of its own, and ``cancel`` sends SIGKILL to the
whole group, then waits for the job process (no worker is left to finish its
replication). On Linux the workers would also die with their parent
(``_die_with_parent`` in the executors). Platforms without process groups
(Windows) kill the job process only.

Each job belongs to an owner (the web app's session): ``jobs`` and ``job``
only show an owner its own runs.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simiop.app.cache import APP_COMMAND, COMPARE_NAME, RUN_NAME, made_by_app, mark_used

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from simiop.config import SimiopConfig
    from simiop.experiments.plan import Plan

CANCEL_SECONDS = 2.0
"""The longest ``cancel`` waits for a killed job process to be gone (it is usually milliseconds)."""

POLL_SECONDS = 0.05
"""How often the manager's thread reads the job processes' messages and starts queued jobs."""


class State(str, Enum):
    """Where a job is: waiting for workers, simulating, drawing the report, or ended one of three ways."""

    QUEUED = "queued"
    RUNNING = "running"
    REPORTING = "reporting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (State.DONE, State.FAILED, State.CANCELLED)


@dataclass(frozen=True)
class RunRequest:
    """What decides a run's files: the config, the seed, the replications and the horizon.

    ``horizon`` is as ``simiop run --horizon`` takes it (days, or a duration
    such as "3y" counted in calendar years from the opening date); None keeps
    the config's own way of ending the run.
    """

    config: SimiopConfig
    replications: int
    seed: int
    horizon: str | float | None = None

    def key(self) -> str:
        """A digest of what decides the files (and the simiop version): the result folder's name."""
        from simiop.experiments.plan import identity_key

        identity = {
            "config": self.config.model_dump(mode="json"),
            "replications": self.replications,
            "seed": self.seed,
            "horizon": self.horizon,
        }
        return identity_key(identity)[:24]


@dataclass(frozen=True)
class CompareRequest:
    """Named scenarios run with common random numbers, each compared with ``base`` (an experiment).

    ``scenarios`` are (name, config) in the order shown, each config already
    holding its horizon; every scenario runs replications 0 to
    ``replications`` - 1 with ``seed``, so their differences are paired.
    """

    scenarios: tuple[tuple[str, SimiopConfig], ...]
    base: str
    replications: int
    seed: int

    def __post_init__(self) -> None:
        """ValueError for a scenario name that is not an experiment's scenario name: a name is a folder
        of the result folder (scenarios/NAME), so ``../x`` would write outside it."""
        from simiop.app.editing import scenario_name_problem

        for name, _ in self.scenarios:
            if problem := scenario_name_problem(name):
                raise ValueError(problem)

    def key(self) -> str:
        """A digest of what decides the files (and the simiop version): the result folder's name."""
        from simiop.experiments.plan import identity_key

        identity = {
            "scenarios": [[name, config.model_dump(mode="json")] for name, config in self.scenarios],
            "base": self.base,
            "replications": self.replications,
            "seed": self.seed,
        }
        return "compare-" + identity_key(identity)[:24]


Request = RunRequest | CompareRequest


def differences(base: Any, other: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted path: other's value} where ``other`` differs from ``base`` (plain config data; lists whole)."""
    if not (isinstance(base, dict) and isinstance(other, dict)):
        return {} if base == other else {prefix: other}
    found: dict[str, Any] = {}
    for key in sorted({*base, *other}, key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        found.update(differences(base.get(key), other.get(key), path))
    return found


@dataclass
class Job:
    """One request of one owner: its state, progress (replications finished of total) and result folder."""

    id: str
    owner: str
    request: Request
    folder: Path
    workers: int
    state: State = State.QUEUED
    done: int = 0
    total: int = 0
    from_disk: bool = False
    error: str = ""
    steps: list[int] = field(default_factory=list)
    """``done`` after each progress message, in order: one per finished replication."""
    submitted: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _process: BaseProcess | None = field(default=None, repr=False)
    _connection: Connection | None = field(default=None, repr=False)
    _group: int | None = field(default=None, repr=False)

    @property
    def fraction(self) -> float:
        """Share of the replications finished, 0 to 1 (1 once done)."""
        if self.state == State.DONE:
            return 1.0
        return self.done / self.total if self.total else 0.0

    def advance(self, done: int, total: int) -> None:
        """Record progress; it never goes backwards (a resumed run reports its kept replications first)."""
        self.total = max(self.total, total)
        self.done = max(self.done, min(done, self.total))
        self.steps.append(self.done)


def is_finished_folder(folder: Path) -> bool:
    """True when ``folder`` holds a complete run of the app's and its report (an identical request reads it).

    The app's own: its manifest records the app as what made it (``APP_COMMAND``). Anything else under
    the request's name (a user's ``simiop run --force`` of another config there, a folder from before the
    app recorded its command) is not read as the answer: the request runs, and the runner resumes the
    same plan's cells or refuses another run's results (the job fails with one line, ``_run_job``).
    """
    from simiop.config import ConfigError
    from simiop.experiments.manifest import COMPLETE, MANIFEST, read_manifest

    if not (folder / MANIFEST).is_file() or not (folder / "report.html").is_file():
        return False
    try:
        manifest = read_manifest(folder)
    except ConfigError:
        return False
    return manifest.get("status") == COMPLETE and made_by_app(manifest)


def _payload(request: Request) -> dict[str, Any]:
    """What the job process needs, as plain data (it validates the configs again, as the files would be)."""
    if isinstance(request, RunRequest):
        return {
            "kind": "run",
            "config": request.config.model_dump(mode="json"),
            "replications": request.replications,
            "seed": request.seed,
            "horizon": request.horizon,
        }
    return {
        "kind": "compare",
        "scenarios": [[name, config.model_dump(mode="json")] for name, config in request.scenarios],
        "base": request.base,
        "replications": request.replications,
        "seed": request.seed,
    }


def _compare_plan(payload: dict[str, Any]) -> Plan:
    """The experiment plan of a comparison: the base first, each scenario's changes from it recorded."""
    from simiop.config import validate_config
    from simiop.experiments.plan import Plan, ScenarioPlan, with_plan_values

    seed, replications = payload["seed"], payload["replications"]
    named = [(str(name), data) for name, data in payload["scenarios"]]
    base = next(data for name, data in named if name == payload["base"])
    ordered = sorted(named, key=lambda item: item[0] != payload["base"])
    scenarios = tuple(
        ScenarioPlan(
            name,
            with_plan_values(validate_config(data, f"scenario {name}"), seed, replications),
            changes={
                path: value
                for path, value in differences(base, data).items()
                if path not in ("simulation.seed", "simulation.replications")
            },
        )
        for name, data in ordered
    )
    return Plan(
        kind="experiment",
        name=COMPARE_NAME,
        scenarios=scenarios,
        seed=seed,
        replications=replications,
        compare_to=str(payload["base"]),
    )


def _run_job(payload: dict[str, Any], folder: str, workers: int, pipe: Connection) -> None:
    """The job process: lead a process group, run the request into ``folder``, report over ``pipe``.

    Messages: ("progress", done, total) per replication, ("reporting",),
    then ("done",) or ("failed", one line). The pipe has no thread behind it,
    so this process stays single-threaded and its executor can fork workers.
    """
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)  # the workers forked below join this group: cancel kills the group
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS thread: workers may be forked (executors)
    try:
        from simiop import api
        from simiop.config import validate_config

        def progress(done: int, total: int) -> None:
            pipe.send(("progress", done, total))

        if payload["kind"] == "run":
            results = api.run(
                validate_config(payload["config"], "app"),
                replications=payload["replications"],
                seed=payload["seed"],
                horizon=payload["horizon"],
                out=folder,
                jobs=workers,
                report=False,
                name=RUN_NAME,
                progress=progress,
                command=APP_COMMAND,
            )
        else:
            results = api.execute(
                _compare_plan(payload),
                folder,
                jobs=workers,
                report=False,
                command=APP_COMMAND,
                progress=progress,
            )
        pipe.send(("reporting",))
        results.report()
    except Exception as exc:  # every failure becomes one line for the page; the traceback is not for users
        from simiop.config import ConfigError
        from simiop.experiments.runner import OutputDirError

        if isinstance(exc, OutputDirError):  # the runner's words are the command line's (--force, --out)
            message = (
                f"the result folder {folder} holds files the app did not make (a run of yours there?); "
                "the app leaves them as they are: move or remove that folder, or start simiop app with "
                "another --runs folder"
            )
        elif isinstance(exc, ConfigError):
            message = "; ".join(exc.lines())
        else:
            message = f"{type(exc).__name__}: {exc}"
        pipe.send(("failed", message))
        return
    pipe.send(("done",))


def _scenario_count(request: Request) -> int:
    return 1 if isinstance(request, RunRequest) else len(request.scenarios)


class JobManager:
    """Jobs of every owner, run at most ``workers`` worker processes at a time, results under ``root``.

    Thread-safe: the web app's sessions call it from their own threads. A
    daemon thread of the manager reads the job processes' messages and starts
    queued jobs; ``close`` cancels every job and stops it.
    """

    def __init__(self, root: Path, workers: int | None = None) -> None:
        import multiprocessing

        self.root = Path(root)
        self.workers = max(1, workers or os.cpu_count() or 1)
        # Not fork: the web server has threads, and a forked lock held by another thread never unlocks.
        self._context: ForkServerContext | SpawnContext = (
            multiprocessing.get_context("forkserver")
            if "forkserver" in multiprocessing.get_all_start_methods()
            else multiprocessing.get_context("spawn")
        )
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="simiop-jobs", daemon=True)
        self._thread.start()
        atexit.register(self.close)  # a server stopped (Ctrl-C) stops its runs: no job outlives it

    # -- what the pages call -------------------------------------------------------------------------

    def submit(self, owner: str, request: Request) -> Job:
        """Queue ``request`` for ``owner``; a request whose results are on disk is done at once."""
        folder = self.root / request.key()
        job = Job(
            id=uuid.uuid4().hex[:12],
            owner=owner,
            request=request,
            folder=folder,
            workers=min(self.workers, request.replications * _scenario_count(request)),
            total=request.replications * _scenario_count(request),
        )
        with self._lock:
            if self._closed:
                raise RuntimeError("the job manager is closed")
            if is_finished_folder(folder):
                mark_used(folder)  # kept by the app's clean-up (simiop.app.cache.prune) while it is read
                job.state, job.done, job.from_disk, job.finished = (
                    State.DONE,
                    job.total,
                    True,
                    time.monotonic(),
                )
            else:
                # A folder an earlier job left (cancelled, stopped) is resumed into: used now, so another
                # server starting meanwhile does not prune it from under the queued job.
                mark_used(folder)
                self._queue.append(job)
            self._jobs[job.id] = job
        self._wake.set()
        return job

    def jobs(self, owner: str) -> list[Job]:
        """``owner``'s jobs, oldest first (nobody else's)."""
        with self._lock:
            return [job for job in self._jobs.values() if job.owner == owner]

    def job(self, owner: str, job_id: str) -> Job:
        """One of ``owner``'s jobs; KeyError for another owner's (or no) job."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner:
                raise KeyError(f"no job {job_id!r}")
            return job

    def cancel(self, owner: str, job_id: str) -> Job:
        """Stop one of ``owner``'s jobs now: a queued one never starts, a running one is killed with its
        workers. Returns when the job process is gone (at most ``CANCEL_SECONDS``)."""
        with self._lock:
            job = self.job(owner, job_id)
            if job.state.ended:
                return job
            if job in self._queue:
                self._queue.remove(job)
            self._kill(job)
            job.state, job.finished = State.CANCELLED, time.monotonic()
        self._wake.set()
        return job

    def busy_workers(self) -> int:
        """Worker processes the running jobs hold now."""
        with self._lock:
            return sum(job.workers for job in self._jobs.values() if job._process is not None)

    def close(self) -> None:
        """Cancel every job and stop the manager's thread."""
        with self._lock:
            self._closed = True
            for job in list(self._jobs.values()):
                if not job.state.ended:
                    self._queue.remove(job) if job in self._queue else self._kill(job)
                    job.state = State.CANCELLED
        self._wake.set()
        self._thread.join(timeout=CANCEL_SECONDS)

    # -- the manager's thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            with self._lock:
                for job in list(self._jobs.values()):
                    if job._process is not None:
                        try:
                            self._read(job)
                        except Exception as exc:  # an unreadable message fails its job, not the others
                            self._kill(job)
                            job.state, job.finished = State.FAILED, time.monotonic()
                            job.error = f"the run's messages could not be read: {' '.join(str(exc).split())}"
                self._start_queued()

    def _start_queued(self) -> None:
        """Start queued jobs, first come first served, while their share of the workers is free."""
        free = self.workers - self.busy_workers()
        while self._queue and self._queue[0].workers <= free:
            job = self._queue.pop(0)
            try:
                self._start(job)
            except Exception as exc:  # e.g. a script without its main guard: the job fails, the manager lives
                job.state, job.finished = State.FAILED, time.monotonic()
                job.error = f"the run could not start: {' '.join(str(exc).split())}"
                continue
            free -= job.workers

    def _start(self, job: Job) -> None:
        receiver, sender = self._context.Pipe(duplex=False)
        request = job.request
        process = self._context.Process(
            target=_run_job,
            args=(
                _payload(request),
                str(job.folder),
                job.workers,
                sender,
            ),
            name=f"simiop-job-{job.id}",
            daemon=False,  # a daemon process may not start the executor's workers
        )
        process.start()
        sender.close()
        job._process, job._connection, job._group = process, receiver, process.pid
        job.state = State.RUNNING

    def _read(self, job: Job) -> None:
        """Take the job process's messages; when it has ended, collect it and settle the job's state."""
        connection, process = job._connection, job._process
        assert connection is not None
        assert process is not None
        try:
            while connection.poll():
                self._message(job, connection.recv())
        except (EOFError, OSError):
            pass  # the process ended (its last message, if any, was read above)
        if process.is_alive():
            return
        process.join()
        self._forget(job)
        if not job.state.ended:
            job.state = State.FAILED
            job.error = job.error or f"the run stopped unexpectedly (exit status {process.exitcode})"
        job.finished = time.monotonic()

    @staticmethod
    def _message(job: Job, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "progress":
            job.advance(int(message[1]), int(message[2]))
        elif kind == "reporting":
            job.done = job.total
            job.state = State.REPORTING
        elif kind == "done":
            job.state = State.DONE
        elif kind == "failed":
            job.state, job.error = State.FAILED, str(message[1])

    def _kill(self, job: Job) -> None:
        """SIGKILL the job's process group (the job process and its workers) and wait for the job process."""
        process = job._process
        if process is None:
            return
        if job._group is not None and hasattr(os, "killpg"):
            try:
                os.killpg(job._group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):  # the group is not made yet (or is gone)
                process.kill()
        else:
            process.kill()
        deadline = time.monotonic() + CANCEL_SECONDS
        process.join(CANCEL_SECONDS)
        while job._group is not None and group_members(job._group) and time.monotonic() < deadline:
            time.sleep(0.01)  # the workers, killed with it, are still releasing their memory
        self._forget(job)

    @staticmethod
    def _forget(job: Job) -> None:
        if job._connection is not None:
            job._connection.close()
        job._process, job._connection = None, None


def group_members(group: int) -> list[int]:
    """The process ids of a process group that are still alive (not zombies waiting to be reaped).

    Read from Linux's /proc; elsewhere, [group] while anything of the group
    answers a signal. For ``cancel`` and for tests (psutil is not a dependency).
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [group]
    members = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            stat = (proc / entry / "stat").read_text()
        except OSError:
            continue
        state, _, process_group = stat.rsplit(")", 1)[1].split()[:3]
        if int(process_group) == group and state not in ("Z", "X"):
            members.append(int(entry))
    return members


def wait(manager: JobManager, owner: str, job_id: str, until: Callable[[Job], bool], timeout: float) -> Job:
    """Poll ``owner``'s job until ``until(job)`` or ``timeout`` seconds (for scripts and tests)."""
    deadline = time.monotonic() + timeout
    job = manager.job(owner, job_id)
    while not until(job) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return job


__all__ = [
    "CANCEL_SECONDS",
    "CompareRequest",
    "Job",
    "JobManager",
    "RunRequest",
    "State",
    "differences",
    "group_members",
    "is_finished_folder",
    "wait",
]
