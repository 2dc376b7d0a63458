"""Every benchmark with one command; results in benchmarks/results/*.json, summarised in benchmarks/README.md.

Run from the repository root after the README's test set-up::

    python benchmarks/run_all.py              # the figures in the README (about 5 minutes)
    python benchmarks/run_all.py --quick --out-dir /tmp/bench   # a smoke test: tiny settings

1. bench_replication.py: one 3-year replication of every shipped config;
2. bench_replications.py: 100 replications of the baseline with --jobs 1 and 2;
3. bench_scaling.py: time and memory against the horizon and the referral volume;
4. bench_engine.py: the M/M/c clinic against a hand-written simpy M/M/c;
5. bench_dask.py: a 200-cell experiment on the process pool and on a 2-worker Dask LocalCluster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import bench_dask
import bench_engine
import bench_replication
import bench_replications
import bench_scaling

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings, to check the scripts run")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    repeats = ["--repeats", "1"] if args.quick else []
    steps = [
        (bench_replication.main, [*repeats, "--out", str(out / "replication.json")]),
        (
            bench_replications.main,
            [*(["--replications", "4"] if args.quick else []), "--out", str(out / "replications.json")],
        ),
        (
            bench_scaling.main,
            [*repeats, *(["--quick"] if args.quick else []), "--out", str(out / "scaling.json")],
        ),
        (bench_engine.main, [*repeats, "--out", str(out / "engine.json")]),
        (
            bench_dask.main,
            [
                *(["--repeats", "1", "--replications", "1", "--horizon-days", "30"] if args.quick else []),
                "--out",
                str(out / "dask.json"),
            ],
        ),
    ]
    for run, arguments in steps:
        sys.stdout.write(f"\n== {run.__module__} {' '.join(arguments)}\n")
        sys.stdout.flush()
        status = run(arguments)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
