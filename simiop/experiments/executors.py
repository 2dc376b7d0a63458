"""Executors: who runs the cells. The result code never knows which one did.

An executor takes a picklable function and a list of tasks and yields the
results as they finish, in any order. Output files are written by the
caller, per cell, and aggregated in a fixed order afterwards, so the bytes
written do not depend on the executor, the number of workers or the order in
which cells finish. A distributed engine plugs in by implementing the same
two methods: the Dask executor (``dask_executor.py``) does, and is imported
only when asked for, so the default needs no Dask.
"""

from __future__ import annotations

import importlib
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from simiop.collector import freeze_survivors
from simiop.experiments.mainguard import GUARD, check_main_guard, reimported_main

if TYPE_CHECKING:  # multiprocessing and concurrent.futures are imported when a pool starts, not for --help
    from concurrent.futures import Future, ProcessPoolExecutor

Task = TypeVar("Task")
Result = TypeVar("Result")


class Executor(Protocol):
    """Runs tasks and yields their results as they complete."""

    name: str
    workers: int

    def map_unordered(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> Iterator[Result]:
        """Apply ``fn`` to every task; yield each result as soon as it is ready, in any order."""
        ...

    def close(self) -> None:
        """Release workers; cells not yet started are abandoned (a rerun resumes them)."""
        ...


class SerialExecutor:
    """Runs every task in this process, one after another: for debugging and tiny experiments."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> Iterator[Result]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        return None


WORKER_MODULES = (
    "simiop.experiments.cells",
    "simiop.model",
    "simiop.results.kpis",
    "simiop.results.periods",
    "simiop.results.tables",
    "numpy.random",
    "numpy.ma",
)
"""Imported by every worker as it starts, so the first chunk's measured duration is the cells' alone.

numpy loads ``numpy.random`` and ``numpy.ma`` (which ``np.median`` and
``np.quantile`` import) only when first used: imported here, a forked
worker has them from its parent rather than each importing them again."""


def _start_worker() -> None:
    """Run first in every worker: leave Ctrl-C to the parent, die with it, and import the model.

    Workers leave Ctrl-C to the parent, which stops cleanly and keeps every
    finished cell. A parent killed outright (SIGKILL, out of memory) cannot
    stop them, and an idle worker would wait for work for ever: on Linux
    the kernel ends each worker when its parent dies (``_die_with_parent``).
    The imports happen here, in the worker, and not in the
    forkserver (``set_forkserver_preload``): the forkserver of Python 3.10
    and 3.11 (at least) imports its preload with the current folder first on
    ``sys.path``, so a folder there named ``simiop`` (a clone, beside an
    editable install) was imported instead of the caller's package and every
    worker failed. A worker has the caller's ``sys.path`` by now, so it
    imports what the caller imported, whatever the folder. A forked worker
    has them already: the parent imported them before forking. Everything
    alive then is frozen out of the collector's sight (``freeze_survivors``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    for module in WORKER_MODULES:
        importlib.import_module(module)
    freeze_survivors()  # what the worker imported lives as long as it: no collection need scan it


_PR_SET_PDEATHSIG = 1
"""prctl's option for the signal a process gets when its parent dies (linux/prctl.h)."""


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (elsewhere: nothing, as before).

    The parent is the process that forked this one: the caller for a fork
    pool, the forkserver otherwise, which ends when the caller does. Only
    the forking thread's end counts, and a pool is forked from the caller's
    one thread (fork) or the forkserver's, which live as long as the pool.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl in this C library: workers then outlive a killed parent
        return
    if os.getppid() == 1:  # the parent died before the request: the signal would never come
        os._exit(1)


def _stopped_message(method: str | None) -> str:
    """Why a process pool broke, as far as the caller can tell, and what to try.

    Forked workers do not import the main script again, so only the others
    can have stopped at an unguarded one.
    """
    message = (
        "the worker processes stopped before finishing their cells (one was killed, e.g. out of "
        "memory, or could not start)"
    )
    script = reimported_main()
    if script is not None and method != "fork":
        message += f"; if {script.name} starts simiop at its top level, put that code under `{GUARD}`"
    return message


def _run_chunk(fn: Callable[[Task], Result], chunk: Sequence[Task]) -> tuple[list[Result], float]:
    start = time.perf_counter()
    results = [fn(task) for task in chunk]
    return results, time.perf_counter() - start


CHUNK_SECONDS = 0.05
"""Aim for chunks of at least this much work: far above the ~1 ms cost of a message to a worker."""


def chunk_size(
    remaining: int, workers: int, seconds_per_task: float | None, target_seconds: float = CHUNK_SECONDS
) -> int:
    """Tasks per message to a worker.

    One task at a time until a task's duration is known; then enough tasks to
    make ``target_seconds`` of work (an executor whose messages cost more
    aims higher), but never more than a quarter of each worker's share of
    what remains, so the last chunks still spread over every worker and a
    kill loses little.
    """
    if seconds_per_task is None:
        return 1
    wanted = math.ceil(target_seconds / max(seconds_per_task, 1e-6))
    return max(1, min(wanted, remaining // (4 * max(1, workers))))


def _threads() -> int | None:
    """How many threads this process runs, native ones included (Linux's /proc), or None if unknown.

    ``threading.active_count()`` sees only threads started by Python, not
    those of a C library (numpy's OpenBLAS starts one as it loads), and a
    fork with any other thread running is what can deadlock the child (and
    what Python 3.12+ warns about, counting the same way); the kernel counts
    them all.
    """
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def start_method() -> str:
    """How to start workers here: fork when that is safe, else forkserver, else spawn.

    Fork starts a worker in milliseconds, with everything this process has
    imported, but is only safe in a process with one thread (a forked lock
    held by another thread never unlocks): so only on Linux (macOS's system
    libraries are not fork-safe, whatever the threads) and only when the
    kernel counts one thread. The command line keeps numpy's BLAS from
    starting its thread (``simiop.cli``); a notebook, a Dask client or a
    caller's own threads make it forkserver, which forks workers from a
    clean single-threaded server; spawn where there is neither (Windows).
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and _threads() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class ProcessExecutor:
    """Runs tasks on ``workers`` local processes (the default executor).

    The workers start when there is work for them, by ``start_method()``:
    forked from this process when it has a single thread (a worker is ready
    in milliseconds, the model imported once, here, before the fork), else
    by forkserver or spawn, which start each worker with the caller's
    ``sys.path`` and folder, so it imports the same simiop whatever folder
    the caller stands in. A single task runs here, with no worker to start
    (as the serial executor runs it: the same bytes). Short tasks are sent
    in chunks sized from the measured task duration. A pool that breaks (a
    worker killed) raises ``CellsLostError``.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, method: str | None = None) -> None:
        """``method`` forces a start method (tests compare them); None chooses by ``start_method()``."""
        check_main_guard(", or pass jobs=1 (no worker processes)")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._method = method
        self._pool: ProcessPoolExecutor | None = None

    @property
    def method(self) -> str | None:
        """The start method of the running pool (None before the first tasks needed one)."""
        return None if self._pool is None else self._method

    def _started(self) -> ProcessPoolExecutor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self._pool is None:
            method = self._method or start_method()
            if method == "fork":
                for module in WORKER_MODULES:  # imported once here rather than once in every worker
                    importlib.import_module(module)
                if self._method is None and _threads() != 1:  # an import started a thread after all
                    method = start_method()
            self._method = method
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)
        return self._pool

    def map_unordered(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> Iterator[Result]:
        if len(tasks) <= 1 and self._pool is None:
            yield from SerialExecutor().map_unordered(fn, tasks)
            return
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pool = self._started()
        queue = list(reversed(tasks))  # pop() from the end takes tasks in their given order
        pending: set[Future[tuple[list[Result], float]]] = set()
        busy_seconds, done_tasks = 0.0, 0

        def submit() -> None:
            per_task = busy_seconds / done_tasks if done_tasks else None
            size = chunk_size(len(queue), self.workers, per_task)
            chunk = [queue.pop() for _ in range(min(size, len(queue)))]
            pending.add(pool.submit(_run_chunk, fn, chunk))

        try:
            while queue and len(pending) < 2 * self.workers:  # two in flight per worker: never idle
                submit()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    results, seconds = future.result()
                    busy_seconds += seconds
                    done_tasks += len(results)
                    yield from results
                    while queue and len(pending) < 2 * self.workers:
                        submit()
        except BrokenProcessPool as exc:
            # A worker died: its future says so, or, when a worker dies after another chunk came back, the
            # next ``pool.submit`` does (a race: both are the same lost cells).
            raise CellsLostError(_stopped_message(self._method)) from exc
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


EXECUTORS = ("processes", "serial", "dask")


class ExecutorStartError(Exception):
    """The executor cannot be made as asked (options that do not go together, Dask missing, no cluster).

    Raised before any cell runs, so nothing has been written. ``option`` names
    the setting at fault (``executor``, ``scheduler``, ``jobs``), so the
    command line can say ``--scheduler: ...`` and the API ``scheduler: ...``.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


class CellsLostError(Exception):
    """The executor lost cells it was running (workers died, or a cluster lost its scheduler).

    Every cell that came back before is already written, so running the same
    plan again resumes from there.
    """


def make_executor(name: str, workers: int | None, scheduler: str | None = None) -> Executor:
    """The executor called ``name`` with ``workers`` workers (None: every core).

    ``scheduler`` is the address of a running Dask scheduler (dask executor
    only; without it the dask executor starts a local cluster of ``workers``).
    """
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; allowed {', '.join(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        # The CLI's -j is checked by click; from Python, jobs=0 once meant every core and jobs=-1 one worker.
        raise ExecutorStartError(
            "jobs", f"got {workers!r}; allowed a whole number >= 1, or None for every core"
        )
    if scheduler is not None and name != "dask":
        raise ExecutorStartError("scheduler", f"only used with the dask executor (here {name!r})")
    if name == "dask":
        if scheduler is not None and workers is not None:
            raise ExecutorStartError(
                "jobs", "not used with a scheduler: its workers run the cells (start more to go faster)"
            )
        from simiop.experiments.dask_executor import DaskExecutor

        return DaskExecutor(workers, scheduler)
    if name == "serial" or workers == 1:
        return SerialExecutor()  # with one worker: same results, no process start-up
    return ProcessExecutor(workers)


__all__ = [
    "EXECUTORS",
    "CellsLostError",
    "Executor",
    "ExecutorStartError",
    "ProcessExecutor",
    "SerialExecutor",
    "make_executor",
    "start_method",
]
