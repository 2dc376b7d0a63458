"""Every benchmark with one command; results in benchmarks/results/*.json, summarised in benchmarks/README.md.

Run from the repository root after the README's test set-up::

    python benchmarks/run_all.py --against 03282c6    # everything, targets A/B against that commit
    python benchmarks/run_all.py --targets-only --against 03282c6   # the four targets alone
    python benchmarks/run_all.py --quick --out-dir /tmp/bench        # a smoke test: tiny settings

How long, on a 2-vCPU machine with the model of 03282c6 (cells of 0.3 s;
faster code takes less): steps 1-5 about 10 minutes, step 6 2-4 minutes and
step 7 (the targets) about 6 minutes against that commit, most of it the
reference's own 100-replication runs. ``--targets-only`` runs step 7 alone;
``--quick`` runs everything with tiny settings in about a minute, no verdict.

1. bench_replication.py: one 3-year replication of every shipped config;
2. bench_replications.py: 100 replications of the baseline with --jobs 1 and 2;
3. bench_scaling.py: time and memory against the horizon and the referral volume;
4. bench_engine.py: the M/M/c clinic against a hand-written simpy M/M/c;
5. bench_dask.py: a 200-cell experiment on the process pool and on a 2-worker Dask LocalCluster;
6. bench_crn.py: paired against unpaired variance of scenario differences (common random numbers),
   A/B against ``--against REV`` when given;
7. targets.py: the performance issue's four targets, interleaved A/B against ``--against REV``
   when given, ending with a markdown table ready to paste into benchmarks/README.md
   (also written to OUT_DIR/targets.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import bench_crn
import bench_dask
import bench_engine
import bench_replication
import bench_replications
import bench_scaling
import targets

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings, to check the scripts run")
    parser.add_argument("--against", metavar="REV", help="measure the targets A/B against this commit")
    parser.add_argument("--targets-only", action="store_true", help="run only targets.py")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    quick = ["--quick"] if args.quick else []
    repeats = ["--repeats", "1"] if args.quick else []
    steps: list[tuple[Callable[[list[str]], int], list[str]]] = [
        (bench_replication.main, [*repeats, "--out", str(out / "replication.json")]),
        (
            bench_replications.main,
            [*(["--replications", "4"] if args.quick else []), "--out", str(out / "replications.json")],
        ),
        (bench_scaling.main, [*repeats, *quick, "--out", str(out / "scaling.json")]),
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
    against = ["--against", args.against] if args.against else []
    crn = ["--replications", "2", "--horizon", "30d"] if args.quick else []
    steps.append((bench_crn.main, [*crn, *against, "--out", str(out / "crn.json")]))
    if args.targets_only:
        steps = []
    steps.append((targets.main, [*quick, *against, "--out-dir", str(out)]))
    for run, arguments in steps:
        sys.stdout.write(f"\n== {run.__module__} {' '.join(arguments)}\n")
        sys.stdout.flush()
        status = run(arguments)
        if status:
            return status
    sys.stdout.write(f"\n== ready to paste into benchmarks/README.md ({out / 'targets.md'}):\n\n")
    sys.stdout.write((out / "targets.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
