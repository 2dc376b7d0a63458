"""What the Dask executor costs over the local process pool: one 200-cell experiment run both ways.

Run from the repository root after the README's test set-up (which installs Dask)::

    python benchmarks/bench_dask.py [--repeats 2] [--out benchmarks/results/dask.json]

The experiment is ``experiments/group_size.yaml`` (4 scenarios) with 50
replications of 1 year and KPIs only (``--tables none``): 200 short cells,
the case where per-task overhead shows most. It runs on the process pool
with 2 workers and on a new 2-worker Dask ``LocalCluster``, each in a fresh
Python process, alternating which goes first in each repeat so the
machine's drift hits both.
Each executor is timed starting (worker processes, for Dask also the
scheduler), running every cell and writing it, and closing: the wall time a
user waits. The overhead per cell is (Dask wall - pool wall) / cells. Before
closing, each executor runs the experiment a second time into a new folder:
that warm run, with every worker up, gives the overhead per cell without the
start-up. Every run must write identical files, or the script stops.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_replication import describe_machine, digest, positive_int, source_state, write_json_atomic

from simiop.experiments.executors import make_executor
from simiop.experiments.plan import experiment_plan
from simiop.experiments.runner import run_plan

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = REPO_ROOT / "experiments" / "group_size.yaml"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "dask.json"
EXECUTORS = ("processes", "dask")
WORKERS = 2


def timed_run(name: str, replications: int, horizon_days: float, scratch: Path) -> dict[str, Any]:
    """Start the executor, run the experiment (cold), run it again into a new folder (warm), close.

    The wall time a user waits is start + cold run + close. The pool starts
    its processes at the first task, so its start-up falls in the cold run;
    the warm run compares the executors with every worker up and imports done.
    """
    plan = experiment_plan(EXPERIMENT, replications=replications, horizon_days=horizon_days, tables=())
    start = time.perf_counter()
    executor = make_executor(name, WORKERS)
    started = time.perf_counter()
    outcome = run_plan(plan, scratch / "cold", executor)
    ran = time.perf_counter()
    run_plan(plan, scratch / "warm", executor)
    warm = time.perf_counter()
    executor.close()
    closed = time.perf_counter()
    return {
        "executor": name,
        "workers": executor.workers,
        "cells": outcome.cells_run,
        "start_s": round(started - start, 3),
        "cold_run_s": round(ran - started, 3),
        "close_s": round(closed - warm, 3),
        "wall_s": round(started - start + ran - started + closed - warm, 3),
        "warm_run_s": round(warm - ran, 3),
    }


def fresh_process_run(name: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """``timed_run`` in a new interpreter, as a user's command would be (a process pool's forkserver
    and imported modules outlive an executor, so a second run in one process would start warm)."""
    command = [
        sys.executable, __file__, "--single", name, "--replications", str(args.replications),
        "--horizon-days", str(args.horizon_days), "--out", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    process_s = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{name} run failed:\n{done.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(done.stdout)
    return row | {"process_s": round(process_s, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=positive_int, default=2)
    parser.add_argument("--replications", type=positive_int, default=50, help="per scenario (4 scenarios)")
    parser.add_argument("--horizon-days", type=float, default=365.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--single", choices=EXECUTORS, help=argparse.SUPPRESS)  # one run, JSON to stdout
    args = parser.parse_args(argv)
    if args.single:
        row = timed_run(args.single, args.replications, args.horizon_days, args.out)
        sys.stdout.write(json.dumps(row) + "\n")
        return 0
    machine, source = describe_machine(), source_state()
    runs, pairs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            order = EXECUTORS if repeat % 2 == 0 else tuple(reversed(EXECUTORS))
            pair: dict[str, dict[str, Any]] = {}
            digests = {}
            for name in order:
                out = Path(scratch) / f"{name}-{repeat}"
                row = fresh_process_run(name, args, out) | {"repeat": repeat}
                digests[name] = {digest(out / "cold"), digest(out / "warm")}
                pair[name] = row
                runs.append(row)
                print(
                    f"repeat {repeat} {name:<9}: wall {row['wall_s']:.2f} s (start {row['start_s']:.2f}, "
                    f"run {row['cold_run_s']:.2f}, close {row['close_s']:.2f}); warm run "
                    f"{row['warm_run_s']:.2f} s; {row['cells']} cells; whole process {row['process_s']:.2f} s"
                )
            if len(digests["processes"] | digests["dask"]) != 1:
                print("outputs differ between runs or between the process pool and Dask", file=sys.stderr)
                return 1
            cells = pair["dask"]["cells"]
            pairs.append(
                {
                    "repeat": repeat,
                    "overhead_per_cell_ms": round(
                        1000 * (pair["dask"]["wall_s"] - pair["processes"]["wall_s"]) / cells, 2
                    ),
                    "warm_overhead_per_cell_ms": round(
                        1000 * (pair["dask"]["warm_run_s"] - pair["processes"]["warm_run_s"]) / cells, 2
                    ),
                }
            )
    overhead = statistics.median(p["overhead_per_cell_ms"] for p in pairs)
    warm_overhead = statistics.median(p["warm_overhead_per_cell_ms"] for p in pairs)
    print(
        f"overhead of Dask per cell (median of {len(pairs)} pairs): {overhead:.1f} ms in the wall time "
        f"(start-up included), {warm_overhead:.1f} ms on warm workers"
    )
    write_json_atomic(
        args.out,
        {
            "benchmark": "dask",
            "experiment": EXPERIMENT.relative_to(REPO_ROOT).as_posix(),
            "replications": args.replications,
            "horizon_days": args.horizon_days,
            "tables": "none",
            "workers": WORKERS,
            "runs": runs,
            "pairs": pairs,
            "overhead_per_cell_ms_median": overhead,
            "warm_overhead_per_cell_ms_median": warm_overhead,
            "outputs_identical": True,
            "machine": machine,
            "source": source,  # the figures depend on the code as it was when run
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
