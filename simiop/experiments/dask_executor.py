"""The Dask executor: cells on a Dask cluster, on this machine or across many.

Dask (``distributed``) is an optional extra, ``pip install "simiop[dask]"``,
imported here only, and this module only when ``--executor dask`` is asked
for: the default process pool never needs it. A well-kept distributed engine
gives us scheduling, worker restarts and rescheduling of a dead worker's
tasks, which a home-made one would have to rebuild.

What travels is small: a chunk of ``CellTask`` (a frozen config and a few
numbers, pickled) out, each cell's files as bytes back. Nothing is scattered
and workers need no disk shared with the caller, who writes every cell. The
results are therefore the same bytes as the local executors give, whatever
the cluster, provided the workers run the same simiop and libraries: each
chunk checks that on its worker before it runs, since a worker with another
numpy could otherwise return different numbers silently.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import platform
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from simiop.experiments.executors import (
    WORKER_MODULES,
    CellsLostError,
    ExecutorStartError,
    _run_chunk,
    chunk_size,
)
from simiop.experiments.mainguard import GUARD, check_main_guard, reimported_main

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

Task = TypeVar("Task")
Result = TypeVar("Result")

INSTALL_HINT = 'pip install "simiop[dask]"'
DASK_MISSING = f"the dask executor needs Dask, which is not installed here: {INSTALL_HINT}"

CONNECT_SECONDS = 10.0
"""How long to try to reach a scheduler before saying it cannot be reached."""

WORKERS_SECONDS = 60.0
"""How long to wait for a first worker to join a scheduler that has none."""

CHUNK_SECONDS = 0.2
"""Work per task sent to the cluster: each task costs the scheduler about a millisecond and a
network round trip, more than a local pool's pipe, so chunks aim higher than the pool's 50 ms."""

THREADS_SECONDS = 2.0
"""How often to ask the scheduler how many worker threads there are (each question is a round trip)."""


class WorkerMismatchError(Exception):
    """A worker runs other versions of simiop or of the libraries that shape the numbers."""


@functools.cache
def worker_versions() -> dict[str, str]:
    """What must be equal on the caller and every worker for the results to be the same bytes.

    The manifest's versions, with Python to its minor version and without the
    platform (workers may run another operating system).
    """
    from simiop.experiments.manifest import versions

    found = {name: value for name, value in versions().items() if name != "platform"}
    found["python"] = ".".join(platform.python_version_tuple()[:2])
    return found


def _differences(found: dict[str, str], expected: dict[str, str]) -> str:
    return ", ".join(
        f"{name} {found.get(name, 'missing')} (caller {value})"
        for name, value in expected.items()
        if found.get(name) != value
    )


def _prepare_worker() -> dict[str, str]:
    """Run once on every worker at the start: import the model and report the versions."""
    for module in WORKER_MODULES:
        importlib.import_module(module)
    return worker_versions()


def _run_checked_chunk(
    fn: Callable[[Task], Result], chunk: Sequence[Task], expected: dict[str, str]
) -> tuple[list[Result], float]:
    """Run a chunk on a worker, refusing if the worker's versions differ (a worker may join late)."""
    found = worker_versions()
    if found != expected:
        raise WorkerMismatchError(
            f"a worker on {socket.gethostname()} runs {_differences(found, expected)}: "
            f"install the caller's versions on every worker ({INSTALL_HINT} from the same source)"
        )
    return _run_chunk(fn, chunk)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _reason(failure: BaseException) -> str:
    """Why a chunk was lost, in one line (Dask's own messages run to several sentences)."""
    from distributed import KilledWorker

    if isinstance(failure, KilledWorker):
        attempts = failure.allowed_failures + 1
        return (
            f"workers died running a chunk of cells ({attempts} attempt{'s' if attempts > 1 else ''}; "
            "the worker logs say why, e.g. out of memory)"
        )
    if isinstance(failure, CancelledError):
        return f"its cells were cancelled, the scheduler may have gone ({_first_line(failure)})"
    return _first_line(failure)


def _probe(address: str) -> None:
    """Refuse a malformed or unreachable scheduler address quickly, before making a Client.

    A Client that fails in its constructor is left half-made and complains
    when garbage-collected; checking the address and the port first makes the
    usual mistakes (a typo, a scheduler not started, a firewall) one clean line.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except ValueError as exc:
        raise ExecutorStartError(
            "scheduler", f"{address!r} is not a scheduler address ({exc}); e.g. tcp://10.0.0.5:8786"
        ) from None
    if scheme not in ("tcp", "tls"):
        raise ExecutorStartError("scheduler", f"{address!r}: use a tcp:// address, e.g. tcp://10.0.0.5:8786")
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ExecutorStartError(
            "scheduler",
            f"cannot reach {address} ({exc.strerror or _first_line(exc)}); is `dask scheduler` running "
            "there and its port open? (docs/dask.md)",
        ) from None


def _local_cluster(distributed: ModuleType, count: int) -> LocalCluster:
    """A local cluster of ``count`` one-thread worker processes; one line when it cannot start.

    Its workers are spawned with the caller's ``sys.path`` and folder, so they
    import the caller's simiop whatever folder the caller stands in.
    """
    try:
        cluster: LocalCluster = distributed.LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # its small HTTP server (health checks) on a free port: 8787 may be taken
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.WARNING,
        )
    except (OSError, RuntimeError) as exc:  # "Nanny failed to start." and the like
        script = reimported_main()
        hint = (
            f"; if {script.name} starts simiop at its top level, put that code under `{GUARD}`"
            if script
            else ""
        )
        raise ExecutorStartError(
            "executor", f"the local Dask cluster did not start ({_first_line(exc)}){hint}"
        ) from None
    return cluster


class DaskExecutor:
    """Runs cells on a Dask cluster: a new local one, or a running one at ``scheduler``.

    A local cluster has ``workers`` processes (None: one per core) of one
    thread each (the model is pure Python, so threads would share one core),
    listens on 127.0.0.1 only, has no dashboard, and is shut down by
    ``close``. A cluster reached at ``scheduler`` belongs to someone else:
    ``close`` only disconnects. ``workers`` is the worker threads the
    scheduler reports at the start (the manifest records it).
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise ExecutorStartError("executor", DASK_MISSING) from None
        self.scheduler = scheduler
        self.workers = 0
        self._expected = worker_versions()
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        try:
            if scheduler is None:
                check_main_guard()  # its worker processes import the main script again
                count = max(1, workers or os.cpu_count() or 1)
                self._cluster = _local_cluster(distributed, count)
                self._client = distributed.Client(self._cluster, set_as_default=False)
                self._start(count)
            else:
                _probe(scheduler)
                try:
                    self._client = distributed.Client(
                        scheduler, timeout=CONNECT_SECONDS, set_as_default=False
                    )
                except (OSError, ValueError) as exc:
                    raise ExecutorStartError(
                        "scheduler", f"cannot connect to {scheduler} ({_first_line(exc)})"
                    ) from None
                self._start(1)
        except BaseException:
            self.close()
            raise

    def _start(self, expected_workers: int) -> None:
        """Wait for workers, warm them up and check that they run what this process runs."""
        client = self._require_client()
        try:
            client.wait_for_workers(expected_workers, timeout=WORKERS_SECONDS)
        except TimeoutError:
            if self.scheduler is None:
                raise ExecutorStartError(
                    "jobs", f"the local cluster's workers did not start within {WORKERS_SECONDS:g} s"
                ) from None
            raise ExecutorStartError(
                "scheduler",
                f"no worker joined {self.scheduler} within {WORKERS_SECONDS:g} s; start some with "
                f"`dask worker {self.scheduler}` (docs/dask.md)",
            ) from None
        try:
            reports = client.run(_prepare_worker)
        except Exception as exc:  # the worker cannot even unpickle or import simiop
            raise ExecutorStartError(
                "scheduler",
                f"the workers cannot run simiop ({type(exc).__name__}: {_first_line(exc)}); "
                f"{INSTALL_HINT} on every worker, from the caller's source (docs/dask.md)",
            ) from None
        for address, found in sorted(reports.items()):
            if found != self._expected:
                raise ExecutorStartError(
                    "scheduler",
                    f"worker {address} runs {_differences(found, self._expected)}: results would "
                    f"differ; {INSTALL_HINT} with the caller's versions on every worker (docs/dask.md)",
                )
        self.workers = self._threads()

    def _require_client(self) -> Client:
        if self._client is None:
            raise RuntimeError("the dask executor is closed")
        return self._client

    def _threads(self) -> int:
        """Worker threads the scheduler knows of now (workers may join or leave during a run)."""
        return sum(self._require_client().nthreads().values())

    def map_unordered(self, fn: Callable[[Task], Result], tasks: Sequence[Task]) -> Iterator[Result]:
        """Stream results as chunks finish, keeping two chunks per worker thread in flight.

        The scheduler sees only what is in flight, never the whole plan, so a
        sweep of a million cells does not flood it and a kill loses little.
        A chunk lost with its workers (Dask retries a dead worker's task
        elsewhere a few times first) stops new submissions; what is still in
        flight is collected, then ``CellsLostError`` is raised.
        """
        from distributed import KilledWorker, as_completed

        client = self._require_client()
        queue = list(reversed(tasks))  # pop() from the end takes tasks in their given order
        running = as_completed(loop=client.loop)  # this client, not a process-wide default one
        pending: set[Future[tuple[list[Result], float]]] = set()
        busy_seconds, done_tasks = 0.0, 0
        failure: BaseException | None = None
        threads, counted = max(1, self.workers), time.monotonic()

        def fill() -> None:
            nonlocal threads, counted
            if time.monotonic() - counted > THREADS_SECONDS:  # workers may have joined or left
                threads, counted = max(1, self._threads()), time.monotonic()
            while queue and running.count() < 2 * threads:
                per_task = busy_seconds / done_tasks if done_tasks else None
                size = chunk_size(len(queue), threads, per_task, CHUNK_SECONDS)
                chunk = [queue.pop() for _ in range(min(size, len(queue)))]
                future = client.submit(_run_checked_chunk, fn, chunk, self._expected, pure=False)
                pending.add(future)
                running.add(future)

        try:
            fill()
            for future in running:
                pending.discard(future)
                try:
                    results, seconds = future.result()
                except (KilledWorker, CancelledError, WorkerMismatchError) as exc:
                    failure = failure or exc
                    queue.clear()
                    continue
                busy_seconds += seconds
                done_tasks += len(results)
                yield from results
                if failure is None:
                    fill()
        finally:
            if pending:  # abandoned: a remote cluster must not go on computing them
                with contextlib.suppress(Exception):
                    client.cancel(list(pending))
        if failure is not None:
            raise CellsLostError(
                f"the Dask cluster could not finish every cell: {_reason(failure)}"
            ) from failure

    def close(self) -> None:
        """Disconnect; shut the cluster down only if this executor started it."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["CHUNK_SECONDS", "DaskExecutor", "WorkerMismatchError", "worker_versions"]
