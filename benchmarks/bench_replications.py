"""Wall time of 100 replications of the 3-year baseline with --jobs 1 and --jobs 2, and the speed-up.

Run from the repository root after the README's test set-up::

    python benchmarks/bench_replications.py [--replications 100] [--out benchmarks/results/replications.json]

Each measurement is one ``simiop run`` in a fresh process (``python -m
simiop``), so interpreter start-up, imports, worker start-up and writing every
file are all included: it is the wall time a user waits. It is done twice, with
every per-replication table kept (the default) and with ``--tables none``
(KPIs only, as large sweeps would run). The outputs of --jobs 1 and --jobs 2
must be byte-identical or the script stops. Peak memory is the largest
resident set of the parent or any worker (``ru_maxrss`` of the children).

A control measures what the machine itself allows: two independent
``--jobs 1`` processes of half the replications each, started together. Their
wall time against the ``--jobs 1`` run is the speed-up a perfect executor
could reach here (shared caches, memory bandwidth and a virtual machine's
neighbours keep it below 2 on many machines).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_replication import describe_machine, digest, positive_int, write_json_atomic

REPO_ROOT = Path(__file__).resolve().parent.parent
BASELINE = REPO_ROOT / "configs" / "baseline.yaml"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "replications.json"


def timed_run(replications: int, jobs: int, tables: str, out: Path) -> dict[str, Any]:
    """One ``simiop run`` (results only: the report is timed apart) with its wall time and peak RSS.

    The peak RSS is the run's own process (``os.wait4``): with --jobs 1 every
    cell runs in it, so it shows whether memory grows with the replications.
    """
    command = [
        sys.executable, "-m", "simiop", "run", str(BASELINE), "--horizon", "3y", "--no-report",
        "--replications", str(replications), "--jobs", str(jobs), "--tables", tables, "--out", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"simiop run failed: {command}")
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    return {
        "replications": replications,
        "jobs": jobs,
        "tables": tables,
        "wall_s": round(wall, 3),
        "output_mib": round(size / 2**20, 1),
        "parent_peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def timed_report(out: Path) -> float:
    """Wall time of ``simiop report`` on a finished folder (figures and report.html), start-up included."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "simiop", "report", str(out)], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def control_pair(replications: int, scratch: Path) -> float:
    """Wall time of two independent serial runs of half the replications each, run at the same time."""
    half = max(1, replications // 2)
    commands = [
        [
            sys.executable,
            "-m",
            "simiop",
            "run",
            str(BASELINE),
            "--horizon",
            "3y",
            "--replications",
            str(half),
            "--jobs",
            "1",
            "--tables",
            "none",
            "--no-report",
            "--out",
            str(scratch / f"control-{i}"),
        ]
        for i in range(2)
    ]
    start = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for command in commands]
    if any(process.wait() != 0 for process in processes):
        raise RuntimeError("a control run failed")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--replications", type=positive_int, default=100)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    machine = describe_machine()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for tables in ("all", "none"):
            digests = {}
            for jobs in (1, 2):
                out = Path(scratch) / f"{tables}-{jobs}"
                row = timed_run(args.replications, jobs, tables, out)
                digests[jobs] = digest(out)
                rows.append(row)
                print(
                    f"tables={tables:<4} jobs={jobs}: {row['wall_s']:.2f} s, {row['output_mib']} MiB, "
                    f"parent peak RSS {row['parent_peak_rss_mib']} MiB"
                )
            if digests[1] != digests[2]:
                print("outputs differ between --jobs 1 and --jobs 2", file=sys.stderr)
                return 1
        report_s = timed_report(Path(scratch) / "all-2")
        print(f"simiop report on the {args.replications}-replication folder: {report_s:.2f} s")
        few = max(1, args.replications // 10)
        small = timed_run(few, 1, "none", Path(scratch) / "few")
        print(f"memory: --jobs 1 peak RSS {small['parent_peak_rss_mib']} MiB for {few} replications")
        control = control_pair(args.replications, Path(scratch))
    speedups = {
        tables: round(
            next(r["wall_s"] for r in rows if r["tables"] == tables and r["jobs"] == 1)
            / next(r["wall_s"] for r in rows if r["tables"] == tables and r["jobs"] == 2),
            2,
        )
        for tables in ("all", "none")
    }
    serial_none = next(r["wall_s"] for r in rows if r["tables"] == "none" and r["jobs"] == 1)
    ceiling = round(serial_none / control, 2)
    print(
        f"control: two independent --jobs 1 runs of half each: {control:.2f} s (machine ceiling {ceiling}x)"
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"speed-up jobs 2 / jobs 1: {speedups}; peak RSS of any process {peak:.0f} MiB")
    write_json_atomic(
        args.out,
        {
            "benchmark": "replications",
            "config": "configs/baseline.yaml",
            "horizon_days": 1095,
            "replications": args.replications,
            "runs": rows,
            "report_wall_s": round(report_s, 3),
            "memory_flatness": {
                "replications": [few, args.replications],
                "jobs1_tables_none_peak_rss_mib": [
                    small["parent_peak_rss_mib"],
                    next(r for r in rows if r["tables"] == "none" and r["jobs"] == 1)["parent_peak_rss_mib"],
                ],
            },
            "speedup_jobs2_over_jobs1": speedups,
            "control_two_serial_halves_wall_s": round(control, 3),
            "machine_ceiling_speedup": ceiling,
            "peak_rss_mib": round(peak),
            "outputs_identical_across_jobs": True,
            "machine": machine,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
