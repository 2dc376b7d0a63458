"""What individual, prescriber and family care costs in one 3-year baseline cell (issue 17).

Run from the repository root after the README's test set-up::

    python benchmarks/care_share.py [--runs 10] [--rounds 2]

Times one cell as the runner's workers make it (``run_cell``: simulate, billing, KPIs, periods and
every table, rendered to bytes, not written) and ``simulate`` alone, as shipped and with every care
service switched off (``services.individual_therapy``, ``services.prescriber`` and
``services.family`` set to null), in interleaved rounds; prints the process CPU time, least of
``--runs`` in each round. The difference is what care on the clock costs: the figure behind
benchmarks/README.md's "What care on the clock costs".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from simiop.config import load_config
from simiop.experiments.cells import CellTask, run_cell
from simiop.experiments.plan import TABLES
from simiop.model import simulate

REPO_ROOT = Path(__file__).resolve().parent.parent
NO_CARE = ("services.individual_therapy=null", "services.prescriber=null", "services.family=null")


def least(work: Callable[[], object], runs: int) -> float:
    """Least process CPU time (s) of ``runs`` calls of ``work`` after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def timings(changes: Sequence[str], runs: int) -> tuple[float, float]:
    """(cell, simulate) seconds for the baseline at 1,095 days with ``changes``."""
    config = load_config(REPO_ROOT / "configs" / "baseline.yaml", ["simulation.horizon_days=1095", *changes])
    task = CellTask("base", 0, config, config.simulation.seed, tuple(TABLES))
    return least(lambda: run_cell(task), runs), least(lambda: simulate(config), runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    for round_ in range(args.rounds):
        for label, changes in (("as shipped", ()), ("no care", NO_CARE)):
            cell, simulated = timings(changes, args.runs)
            sys.stdout.write(
                f"round {round_ + 1} {label:<10} cell {cell:.4f} s  simulate {simulated:.4f} s\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
