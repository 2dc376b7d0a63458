"""Whole-process timings, run A B A B so that the machine's drift falls on both sides alike.

A run is timed from outside, from the start of the process to its exit, its
start-up and imports included: wall seconds from a monotonic clock read just
before the start and just after the child is reaped, and user, system and
peak resident memory from the operating system's own accounting of that child
(``os.wait4``; it covers the child's own children once they are waited for,
so worker processes count). Wall time on a shared machine swings by 1.5x
within minutes: ``interleave`` runs the two sides in turn and takes the ratio
pair by pair, and every figure is kept with its min, median and max and the
load average before each pair.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference import Side


@dataclass(frozen=True)
class ProcessRun:
    """One finished process: its times, its peak memory and what it printed on stdout."""

    wall_s: float
    user_s: float
    system_s: float
    peak_rss_mib: float
    stdout: str


def load_average() -> float | None:
    """The 1-minute load average, or None where the platform has none."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def run_process(side: Side, arguments: Sequence[str]) -> ProcessRun:
    """Run ``side.python ARGUMENTS`` in the side's tree and time it; RuntimeError if it fails."""
    command = [str(side.python), *arguments]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=side.root, env=side.environment(), stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        out.seek(0)
        err.seek(0)
        printed = out.read().decode("utf-8", errors="replace")
        if process.returncode != 0:
            message = err.read().decode("utf-8", errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{side.label}: {' '.join(command)} exited {process.returncode}: {message}")
    return ProcessRun(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024, printed)


def spread(values: Sequence[float]) -> dict[str, Any]:
    """min, median and max of ``values``, and every value (rounded to the microsecond)."""
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "all": [round(v, 6) for v in values],
    }


Measure = Callable[[Side], float]
"""One measurement of one side: seconds (or any figure where lower is better)."""


def interleave(sides: Sequence[Side], rounds: int, measure: Measure) -> dict[str, Any]:
    """``rounds`` rounds of every side in turn (A B, then B A, ...): each side's spread and the pair ratios.

    The order alternates each round so that neither side always runs first
    (the first of a pair can find caches cold or a neighbour's burst ending).
    With two sides, ``ratio_a_over_b`` is each round's A / B.
    """
    figures: dict[str, list[float]] = {side.label: [] for side in sides}
    loads: list[float | None] = []
    for number in range(rounds):
        loads.append(load_average())
        order = list(sides) if number % 2 == 0 else list(reversed(sides))
        for side in order:
            figures[side.label].append(measure(side))
    result: dict[str, Any] = {
        "rounds": rounds,
        "sides": {label: spread(values) for label, values in figures.items()},
        "load_average_1min_before_each_round": loads,
    }
    if len(sides) == 2:
        a, b = (figures[side.label] for side in sides)
        result["ratio_a_over_b"] = spread([x / y for x, y in zip(a, b, strict=True)])
    return result


def scratch_folder() -> Path:
    """A new temporary folder for run outputs; the caller removes it (it holds only what runs wrote)."""
    return Path(tempfile.mkdtemp(prefix="simiop-bench-"))
