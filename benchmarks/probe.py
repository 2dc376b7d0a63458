"""In-process timings that targets.py asks each side of an A/B run for; prints one JSON object.

Run by the python of either side (this tree or a reference commit), from
that side's tree, so it imports that side's simiop::

    python benchmarks/probe.py cell [--config configs/baseline.yaml] [--horizon-days 1095] [--repeats 3]
    python benchmarks/probe.py mmc [--config configs/validation/mmc.yaml] [--repeats 3] [--profile 15]

``cell``: one cell as the runner makes it - simulate, KPIs, periods and every
table, rendered to bytes (``run_cell``) but not written - timed ``repeats``
times after an untimed warm-up. ``mmc``: simiop's ``simulate`` on the M/M/c
clinic and a minimal hand-written simpy M/M/c with as many customers, in
turn, ``repeats`` times each after a warm-up, so both see the same machine;
``--profile N`` adds the N functions with the most own time in one simiop
run (where the time goes).

It uses only entry points that every simiop since the cell runner has
(``load_config``, ``simulate``, ``run_cell``), so it can time old commits; if
the code it times renames them, ``_cell`` and ``_customers`` are the places
to teach the new names (tests/test_benchmarks.py runs this file on this tree).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy


def hand_written_mmc(
    customers: int, arrival_rate: float, service_mean: float, servers: int, seed: int
) -> float:
    """A minimal simpy M/M/c, as a modeller would first write it; the mean wait for a server (days)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    seats = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer() -> Any:
        arrived = env.now
        with seats.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(service_mean))

    def arrivals() -> Any:
        for _ in range(customers):
            yield env.timeout(rng.exponential(1.0 / arrival_rate))
            env.process(customer())

    env.process(arrivals())
    env.run()
    return float(np.mean(waits))


def _timed(run: Callable[[], object]) -> float:
    gc.collect()  # do not charge one run for the previous one's garbage
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _load(path: Path, horizon_days: int | None) -> Any:
    from simiop.config import load_config

    return load_config(path, [f"simulation.horizon_days={horizon_days}"] if horizon_days else [])


def _cell(config: Any) -> Callable[[], object]:
    """One cell with every table, as the runner's workers make it (bytes, not written)."""
    from simiop.experiments.cells import CellTask, run_cell
    from simiop.experiments.plan import TABLES

    task = CellTask(
        scenario="base",
        replication=0,
        config=config,
        seed=config.simulation.seed,
        tables=tuple(TABLES),
    )
    return lambda: run_cell(task)


def _customers(records: Any) -> int:
    """Customers (referrals) in one replication's records."""
    return len(records.episodes)


def cell(arguments: argparse.Namespace) -> dict[str, Any]:
    run = _cell(_load(arguments.config, arguments.horizon_days))
    run()  # warm-up: first-call costs (lazy imports, caches) are not the cell's
    return {"seconds": [_timed(run) for _ in range(arguments.repeats)]}


def mmc(arguments: argparse.Namespace) -> dict[str, Any]:
    from simiop.model import simulate

    config = _load(arguments.config, arguments.horizon_days)
    seed = config.simulation.seed
    servers = config.tracks["programme"].seats
    arrival_rate = config.referrals.sources["arrivals"].weekly_rate / 7.0
    service_mean = config.length_of_stay.planned_stay.mean * 7.0
    customers = _customers(simulate(config, seed, 0))  # also the warm-up

    def simiop_run() -> object:
        return simulate(config, seed, 0)

    def hand_run() -> object:
        return hand_written_mmc(customers, arrival_rate, service_mean, servers, seed)

    hand_run()  # warm-up
    simiop_s, hand_s = [], []
    for _ in range(arguments.repeats):
        simiop_s.append(_timed(simiop_run))
        hand_s.append(_timed(hand_run))
    result: dict[str, Any] = {
        "customers": customers,
        "simiop_seconds": simiop_s,
        "hand_written_seconds": hand_s,
    }
    if arguments.profile > 0:
        profiler = cProfile.Profile()
        profiler.runcall(simiop_run)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(arguments.profile)
        lines = [line for line in text.getvalue().splitlines() if line.strip()]
        first = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        result["profile"] = [line.replace(str(Path.cwd()) + "/", "") for line in lines[first:]]
        result["own_seconds_by_file"] = _by_file(profiler)
    return result


def _by_file(profiler: cProfile.Profile, top: int = 12) -> dict[str, float]:
    """cProfile own time summed per source file (simiop's modules, simpy, numpy, built-ins), largest first."""
    totals: dict[str, float] = {}
    for (filename, _, _), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if filename == "~":
            name = "built-ins (len, list.append, numpy calls...)"
        else:
            parts = Path(filename).parts
            anchor = max(
                (i for i, part in enumerate(parts) if part in ("simiop", "simpy", "numpy")), default=None
            )
            name = "/".join(parts[anchor:]) if anchor is not None else Path(filename).name
        totals[name] = totals.get(name, 0.0) + row[2]
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return {name: round(seconds, 4) for name, seconds in ranked[:top]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("cell", "mmc"))
    parser.add_argument("--config", type=Path)
    parser.add_argument("--horizon-days", type=int, help="default: 1095 for cell, the config's for mmc")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="mmc: print this many cProfile entries")
    arguments = parser.parse_args(argv)
    if arguments.what == "cell":
        arguments.config = arguments.config or Path("configs/baseline.yaml")
        arguments.horizon_days = arguments.horizon_days or 1095
        result = cell(arguments)
    else:
        arguments.config = arguments.config or Path("configs/validation/mmc.yaml")
        result = mmc(arguments)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
