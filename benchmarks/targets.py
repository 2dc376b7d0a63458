"""The performance issue's four speed targets, measured A B A B against a reference commit; met or not.

Run from the repository root after the README's test set-up::

    python benchmarks/targets.py --against 03282c6        # about 6 minutes against the model of 03282c6
    python benchmarks/targets.py                          # this tree alone
    python benchmarks/targets.py --quick --out-dir /tmp/t # tiny settings: checks the script, no verdict

The targets (issue 17):

1. one 3-year baseline cell - simulate, KPIs, periods and every table,
   rendered as the runner's workers do - <= 0.1 s (``probe.py cell``);
2. 100 replications of the 3-year baseline with ``--jobs 2``, start-up
   included, <= 5 s with ``--tables none --no-report`` and <= 6 s with every
   table (a whole ``python -m simiop run`` process each);
3. ``simiop run configs/baseline.yaml -r 1 --horizon 1w --no-report`` <= 0.5 s
   wall (as ``python -m simiop run``, which imports what the ``simiop``
   script does);
4. the M/M/c clinic (``configs/validation/mmc.yaml``) at >= 0.5x, stretch
   0.7x, the customers per second of a hand-written simpy M/M/c timed in
   the same process (``probe.py mmc``); when it is not met, the table is
   followed by where simiop's time goes (cProfile own time by file).

With ``--against REV`` the commit REV is exported to a temporary folder with
a virtual environment that imports it (``reference.py``; removed at the
end), and every target is measured in rounds: this tree then REV, then REV
then this tree, and so on, each side in its own processes from its own tree
(its own configs). The verdict is on this tree's minimum over the rounds
(minimum of N: the least disturbed run); the median is printed beside it,
with the ratio this / reference taken pair by pair and the 1-minute load
average before each round. Results go to OUT_DIR/targets.json and a
ready-to-paste markdown table to OUT_DIR/targets.md (and stdout).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_replication import describe_machine, positive_int, source_state, write_json_atomic
from processes import interleave, run_process, scratch_folder
from reference import Side, compared_sides

RESULTS = Path(__file__).resolve().parent / "results"
PROBE = Path(__file__).resolve().parent / "probe.py"


@dataclass(frozen=True)
class Settings:
    """How big each measurement is; ``quick`` shrinks them to check that everything runs."""

    quick: bool
    repeats: int  # in-process repeats of a probe, per round

    @property
    def cell_days(self) -> int:
        return 30 if self.quick else 1095

    @property
    def replications(self) -> int:
        return 4 if self.quick else 100

    @property
    def horizon(self) -> str:
        return "30d" if self.quick else "3y"

    @property
    def mmc_days(self) -> int | None:
        return 365 if self.quick else None  # None: the config's own 10 years


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    limit: float
    higher_is_better: bool
    unit: str
    stretch: float | None = None

    def met(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit

    def limit_text(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        text = f"{sign} {self.limit:g}{self.unit}"
        return text + (f" (stretch {self.stretch:g}{self.unit})" if self.stretch is not None else "")


CELL = Target("cell", "one 3-year baseline cell: simulate + KPIs + periods + all tables", 0.1, False, " s")
RUN_NONE = Target(
    "replications_tables_none",
    "100 replications, 3-year baseline, `--jobs 2 --tables none --no-report`, start-up included",
    5.0,
    False,
    " s",
)
RUN_ALL = Target(
    "replications_tables_all",
    "100 replications, 3-year baseline, `--jobs 2 --tables all --no-report`, start-up included",
    6.0,
    False,
    " s",
)
SHORT = Target(
    "short_run", "`simiop run configs/baseline.yaml -r 1 --horizon 1w --no-report`, wall", 0.5, False, " s"
)
MMC = Target(
    "mmc_ratio",
    "M/M/c clinic: customers/s against a hand-written simpy M/M/c in the same process",
    0.5,
    True,
    "x",
    stretch=0.7,
)
TARGETS = (CELL, RUN_NONE, RUN_ALL, SHORT, MMC)


def _probe(side: Side, arguments: Sequence[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(run_process(side, [str(PROBE), *arguments]).stdout)
    return result


@contextmanager
def _out_folder() -> Iterator[Path]:
    """A result folder for one run, inside a scratch folder of our own; both removed afterwards."""
    scratch = scratch_folder()
    try:
        yield scratch / "out"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _simiop_run(side: Side, arguments: Sequence[str]) -> float:
    with _out_folder() as out:
        return run_process(side, ["-m", "simiop", "run", *arguments, "--out", str(out)]).wall_s


def measurements(settings: Settings) -> dict[str, Callable[[Side], float]]:
    """One round's figure of each target for one side (seconds, or the M/M/c ratio)."""
    repeats = ["--repeats", str(settings.repeats)]
    replications = ["configs/baseline.yaml", "--horizon", settings.horizon, "-r", str(settings.replications)]
    mmc_days = ["--horizon-days", str(settings.mmc_days)] if settings.mmc_days else []

    def cell(side: Side) -> float:
        return min(_probe(side, ["cell", "--horizon-days", str(settings.cell_days), *repeats])["seconds"])

    def many(tables: str) -> Callable[[Side], float]:
        return lambda side: _simiop_run(
            side, [*replications, "--jobs", "2", "--tables", tables, "--no-report"]
        )

    def short(side: Side) -> float:
        return _simiop_run(side, ["configs/baseline.yaml", "-r", "1", "--horizon", "1w", "--no-report"])

    def mmc(side: Side) -> float:
        found = _probe(side, ["mmc", *mmc_days, *repeats])
        return min(found["hand_written_seconds"]) / min(found["simiop_seconds"])

    return {
        CELL.key: cell,
        RUN_NONE.key: many("none"),
        RUN_ALL.key: many("all"),
        SHORT.key: short,
        MMC.key: mmc,
    }


def measure(
    sides: Sequence[Side], settings: Settings, rounds: int, chosen: Sequence[Target]
) -> list[dict[str, Any]]:
    runs = measurements(settings)
    rows = []
    for target in chosen:
        sys.stderr.write(f"measuring {target.key} ({rounds} rounds of {', '.join(s.label for s in sides)})\n")
        sys.stderr.flush()
        found = interleave(sides, rounds, runs[target.key])
        ours = found["sides"][sides[0].label]
        best = ours["max"] if target.higher_is_better else ours["min"]
        row = {
            "target": target.key,
            "what": target.what,
            "limit": target.limit,
            "stretch": target.stretch,
            "unit": target.unit.strip(),
            **found,
            "verdict_on": best,
            "met": None if settings.quick else target.met(best),
        }
        if target.stretch is not None and not settings.quick:
            row["stretch_met"] = best >= target.stretch
        rows.append(row)
    return rows


def where_mmc_time_goes(side: Side, settings: Settings) -> dict[str, Any]:
    """cProfile of one simiop M/M/c replication: own time by file and the top functions."""
    found = _probe(
        side,
        ["mmc", "--repeats", "1", "--profile", "12"]
        + (["--horizon-days", str(settings.mmc_days)] if settings.mmc_days else []),
    )
    return {"own_seconds_by_file": found["own_seconds_by_file"], "top_functions": found["profile"]}


def _figure(target: Target, value: float) -> str:
    return f"{value:.2f}x" if target.unit == "x" else f"{value:.3f} s"


def markdown(result: dict[str, Any]) -> str:
    """The table to paste into benchmarks/README.md, with the conditions under it."""
    labels = result["sides"]
    head = ["target", "limit", "rounds", f"{labels[0]}: best (median)"]
    if len(labels) == 2:
        head += [f"{labels[1]}: best (median)", "this / reference (median of pairs)"]
    head.append("met?")
    rule = ["---", "---", "---:", *["---:"] * (len(head) - 4), "---"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(rule) + "|"]
    by_key = {target.key: target for target in TARGETS}
    for row in result["targets"]:
        target = by_key[row["target"]]
        cells = [row["what"], target.limit_text(), str(row["rounds"])]
        for label in labels:
            side = row["sides"][label]
            best = side["max"] if target.higher_is_better else side["min"]
            cells.append(f"{_figure(target, best)} ({_figure(target, side['median'])})")
        if len(labels) == 2:
            cells.append(f"{row['ratio_a_over_b']['median']:.2f}")
        if row["met"] is None:
            cells.append("(quick: no verdict)")
        else:
            verdict = "**yes**" if row["met"] else "**no**"
            if row.get("stretch_met") is not None:
                verdict += f" (stretch {'yes' if row['stretch_met'] else 'no'})"
            cells.append(verdict)
        lines.append("| " + " | ".join(cells) + " |")
    loads = [
        load
        for row in result["targets"]
        for load in row["load_average_1min_before_each_round"]
        if load is not None
    ]
    machine = result["machine"]
    source = result["source"] or {}
    commit = source.get("commit", "unknown")[:9] + (
        " with uncommitted changes" if source.get("modified_tracked_files") else ""
    )
    lines += [
        "",
        f"Measured {result['timestamp']} at {commit}"
        + (f" against {labels[1]}" if len(labels) == 2 else "")
        + f" on {machine['processor'] or 'an unknown CPU'}, {machine['usable_cpus']} usable CPUs, "
        f"Python {machine['python']}; rounds alternate the order of the sides; "
        "best = minimum time (maximum ratio) over the rounds, the verdict's figure; "
        + (
            "bytecode written and reused (`--bytecode`, as an installed simiop runs); "
            if result.get("bytecode")
            else "bytecode as this machine's environment says (`PYTHONDONTWRITEBYTECODE` "
            + (
                "set: every start compiles simiop); "
                if os.environ.get("PYTHONDONTWRITEBYTECODE")
                else "unset); "
            )
        )
        + (f"1-minute load average {min(loads):.2f}-{max(loads):.2f} before the rounds." if loads else ""),
    ]
    if result["quick"]:
        lines += [
            "",
            "Quick mode: tiny settings (a 30-day cell, 4 replications of 30 days, a 1-year M/M/c, one round);"
            " these are not the targets' measurements.",
        ]
    profile = result.get("mmc_profile")
    if profile:
        lines += ["", "Where simiop's M/M/c time goes (cProfile own time by file, one replication):", ""]
        lines += ["| file | own s |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.3f} |" for name, seconds in profile["own_seconds_by_file"].items()]
        lines += [
            "",
            "Its functions with the most own time (cProfile inflates Python-heavy code: a ranking):",
            "",
        ]
        lines += ["```", *profile["top_functions"][:11], "```"]
    return "\n".join(lines) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and os.replace, as the JSON results are."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REV", help="a commit to compare with, A B A B (e.g. 03282c6)")
    parser.add_argument("--rounds", type=positive_int, default=5, help="rounds of each side (default 5)")
    parser.add_argument(
        "--many-rounds",
        type=positive_int,
        default=3,
        help="rounds for the two 100-replication targets, the long ones (default 3)",
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=3, help="in-process repeats per probe (default 3)"
    )
    parser.add_argument(
        "--only",
        choices=[target.key for target in TARGETS],
        action="append",
        help="measure only these (repeatable)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny settings, one round: checks the script runs"
    )
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="run both sides with bytecode written and reused, as an installed simiop runs (drops "
        "PYTHONDONTWRITEBYTECODE; each side's first round writes it, and the verdict takes the best round)",
    )
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    settings = Settings(args.quick, 1 if args.quick else args.repeats)
    rounds, many_rounds = (1, 1) if args.quick else (args.rounds, args.many_rounds)
    chosen = [target for target in TARGETS if not args.only or target.key in args.only]
    machine = describe_machine()
    source = source_state()
    with ExitStack() as stack:
        try:
            sides = compared_sides(stack, args.against)
        except ValueError as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        sides = [dataclasses.replace(side, bytecode=args.bytecode) for side in sides]
        rows = []
        for target in chosen:
            many = target in (RUN_NONE, RUN_ALL)
            rows += measure(sides, settings, many_rounds if many else rounds, [target])
        mmc_row = next((row for row in rows if row["target"] == MMC.key), None)
        profile = None
        if mmc_row is not None and not mmc_row.get("stretch_met", False):
            profile = where_mmc_time_goes(sides[0], settings)
    result = {
        "benchmark": "targets",
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": args.quick,
        "rounds": rounds,
        "rounds_100_replications": many_rounds,
        "bytecode": args.bytecode,
        "repeats_per_probe": settings.repeats,
        "sides": [side.label for side in sides],
        "reference": None
        if len(sides) == 1
        else {
            "revision": args.against,
            "commit": sides[1].commit,
            "removed_folder": str(sides[1].root.parent),
        },
        "machine": machine,
        "source": source,
        "targets": rows,
        "mmc_profile": profile,
    }
    out: Path = args.out_dir
    write_json_atomic(out / "targets.json", result)
    table = markdown(result)
    write_text_atomic(out / "targets.md", table)
    sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
