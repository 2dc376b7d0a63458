"""Print docs/validation.md's face-validity table: each config's patient-flow measures beside published ranges.

Run from the repository root::

    python -m tests.validation.face_validity configs/baseline.yaml configs/hospital_step_down.yaml -r 20 --markdown

Each config is simulated in memory (``simiop.model.simulate``, its own seed,
replications 0 to r-1, its horizon and warm-up), and every measure of
``simiop.results.published`` is taken per replication, then shown as the mean
with its 95% t interval and whether that interval lies inside the published
range (yes), overlaps it (partly) or misses it (no). Without ``--markdown`` the
same rows are printed as plain text, one measure per line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from simiop.config import ConfigError, load_config
from simiop.results.published import (
    Comparison,
    compare,
    format_summary,
    markdown_table,
    references_markdown,
    simulate_measures,
)


def measure_config(path: Path, replications: int) -> list[Comparison]:
    """Simulate ``replications`` of a config and compare its measures with the published ranges."""
    return compare(simulate_measures(load_config(path), replications))


def plain_text(runs: Sequence[tuple[str, Sequence[Comparison]]]) -> str:
    """One line per measure and run: mean (95% CI), range, inside?."""
    lines = []
    for name, comparisons in runs:
        lines.append(f"== {name}")
        for c in comparisons:
            lines.append(
                f"   {c.measure.label:<66} {format_summary(c.summary, c.measure.unit):<26} "
                f"range {c.measure.range_text():<16} inside? {c.inside.value}"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.validation.face_validity", description=__doc__)
    parser.add_argument("configs", nargs="+", type=Path, help="config files (YAML)")
    parser.add_argument("-r", "--replications", type=int, default=20, help="replications per config (20)")
    parser.add_argument("--markdown", action="store_true", help="print docs/validation.md's markdown table")
    args = parser.parse_args(argv)
    if args.replications < 1:
        parser.error(f"--replications: {args.replications} is not a positive whole number")
    try:
        runs = [(path.stem, measure_config(path, args.replications)) for path in args.configs]
    except ConfigError as exc:
        sys.stderr.write("\n".join(exc.lines()) + "\n")
        return 2
    sys.stdout.write(
        markdown_table(runs) + "\n" + references_markdown() if args.markdown else plain_text(runs)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
