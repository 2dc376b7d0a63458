"""Engine overhead: simiop's reduced M/M/c clinic against a minimal hand-written simpy M/M/c, in one run.

Run from the repository root after the README's test set-up::

    python benchmarks/bench_engine.py [--repeats 5] [--out benchmarks/results/engine.json]

Both models simulate the same queue: Poisson arrivals at 1 a day, c = 5
servers, exponential service with mean 3.5 days (configs/validation/mmc.yaml).
The hand-written model is what a modeller would write first: a simpy
Resource, one process per customer, numpy draws. It serves exactly as many
customers as simiop's replication received referrals. Each is timed
``--repeats`` times (median) after an untimed warm-up; the figure of merit is
customers per second, and the ratio simiop / hand-written.

simiop does more per customer than the queue needs (it walks the calendar day
by day, keeps daily census, staff and billing records), so the ratio measures
what that bookkeeping costs; both models' mean waits are printed next to
Erlang C so that neither is fast by being wrong.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_replication import describe_machine, positive_int, write_json_atomic
from probe import hand_written_mmc

from simiop.config import load_config
from simiop.model import simulate
from simiop.queueing import mmc_mean_wait

REPO_ROOT = Path(__file__).resolve().parent.parent
MMC = REPO_ROOT / "configs" / "validation" / "mmc.yaml"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "engine.json"


def median_seconds(run: Any, repeats: int) -> tuple[float, list[float]]:
    run()  # untimed warm-up
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=positive_int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    config = load_config(MMC)
    seed = config.simulation.seed
    servers = config.tracks["programme"].seats
    arrival_rate = config.referrals.sources["arrivals"].weekly_rate / 7.0
    service_mean = config.length_of_stay.planned_stay.mean * 7.0
    records = simulate(config, seed, 0)
    customers = len(records.episodes)
    simiop_wait = float(
        np.mean([e.admitted_day - e.wait_list_day for e in records.episodes if e.admitted_day is not None])
    )
    simiop_s, simiop_all = median_seconds(lambda: simulate(config, seed, 0), args.repeats)
    hand_wait = hand_written_mmc(customers, arrival_rate, service_mean, servers, seed)
    hand_s, hand_all = median_seconds(
        lambda: hand_written_mmc(customers, arrival_rate, service_mean, servers, seed), args.repeats
    )
    result = {
        "machine": describe_machine(),
        "config": MMC.relative_to(REPO_ROOT).as_posix(),
        "customers": customers,
        "horizon_days": config.simulation.horizon_days,
        "repeats": args.repeats,
        "erlang_c_mean_wait_days": mmc_mean_wait(servers, arrival_rate, 1.0 / service_mean),
        "simiop": {
            "seconds": {"median": simiop_s, "all": simiop_all},
            "customers_per_second": customers / simiop_s,
            "events": records.events,
            "mean_wait_days": simiop_wait,
        },
        "hand_written_simpy": {
            "seconds": {"median": hand_s, "all": hand_all},
            "customers_per_second": customers / hand_s,
            "mean_wait_days": hand_wait,
        },
        "ratio_simiop_to_hand_written": hand_s / simiop_s,
    }
    write_json_atomic(args.out, result)
    sys.stdout.write(
        f"{customers} customers; Erlang C mean wait {result['erlang_c_mean_wait_days']:.3f} d\n"
        f"  simiop        {customers / simiop_s:10,.0f} customers/s  ({simiop_s:.3f} s, "
        f"mean wait {simiop_wait:.3f} d)\n"
        f"  hand-written  {customers / hand_s:10,.0f} customers/s  ({hand_s:.3f} s, "
        f"mean wait {hand_wait:.3f} d)\n"
        f"  ratio {hand_s / simiop_s:.3f} (target >= 0.7)\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
