"""Before/after table of the patient-flow measures against their published ranges (issue 19).

Run from the repository root, after the README's test set-up::

    python tools/published_ranges.py BEFORE AFTER [--scenario base] [--after-scenario NAME] [-r 20]
    python tools/published_ranges.py OUT OUT --after-scenario 'factor=level,...'   # base vs a grid cell

BEFORE and AFTER are each a result folder of ``simiop run`` / ``simiop
experiment`` made with ``--tables episodes`` (or more), or a config file
(.yaml), which is then simulated in memory for ``-r`` replications. From a
folder, each replication's ``scenarios/<scenario>/rNNNN/episodes.csv`` is
read, with the warm-up recorded in its manifest.json. The measures, their
ranges and citations are ``simiop.results.published`` (the face-validity
table's); the table gives each side's mean with its 95% t interval and
whether the interval lies inside the range (yes), overlaps it (partly) or
misses it (no).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from simiop.config import ConfigError, Problem, load_config
from simiop.experiments.manifest import plan_of, read_manifest
from simiop.results.published import (
    compare,
    markdown_table,
    references_markdown,
    run_folder_measures,
    simulate_measures,
)


def measures_of(
    path: Path, scenario: str, replications: int, option: str = "--scenario"
) -> list[dict[str, float]]:
    """Per-replication measures of a result folder's scenario, or of a config simulated in memory."""
    if path.suffix in (".yaml", ".yml"):
        return simulate_measures(load_config(path), replications)
    plan = plan_of(path, read_manifest(path))
    configs = {s.name: s.config for s in plan.scenarios}
    if scenario not in configs:
        raise ConfigError(
            str(path),
            [Problem(option, f"no scenario {scenario!r}; it has {', '.join(sorted(configs))}")],
        )
    if "episodes" not in plan.tables:
        raise ConfigError(
            str(path), [Problem("tables", "the run kept no episodes.csv: run it with --tables episodes")]
        )
    found = run_folder_measures(path, scenario, configs[scenario].simulation.warmup_days)
    if not found:
        raise ConfigError(str(path), [Problem("", f"no finished replication of scenario {scenario!r}")])
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/published_ranges.py", description=__doc__)
    parser.add_argument("before", type=Path, help="result folder or config of the 'before' run")
    parser.add_argument("after", type=Path, help="result folder or config of the 'after' run")
    parser.add_argument("--scenario", default="base", help="scenario of a result folder to read (base)")
    parser.add_argument("--after-scenario", help="scenario of AFTER, when not the same as --scenario")
    parser.add_argument("-r", "--replications", type=int, default=20, help="replications of a config (20)")
    args = parser.parse_args(argv)
    if args.replications < 1:
        parser.error(f"--replications: {args.replications} is not a positive whole number")
    try:
        before = compare(measures_of(args.before, args.scenario, args.replications))
        if args.after_scenario is None:
            after = compare(measures_of(args.after, args.scenario, args.replications))
        else:
            after = compare(
                measures_of(args.after, args.after_scenario, args.replications, "--after-scenario")
            )
    except ConfigError as exc:
        sys.stderr.write("\n".join(exc.lines()) + "\n")
        return 2
    sys.stdout.write(markdown_table([("before", before), ("after", after)]) + "\n" + references_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
