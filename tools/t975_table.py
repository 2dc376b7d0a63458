"""Write simiop/results/t975.py: Student's t 0.975 quantile for 1 to 1000 degrees of freedom, from scipy.

Run from the repository root after the README's test set-up (scipy installed)::

    python tools/t975_table.py [--check]

The values are ``simiop.results.stats._t_quantile(0.975, df)``, which takes
them from scipy's incomplete-beta inverse (``scipy.special``), written with
``repr`` (which reads back as the same float). ``--check`` exits 1 when the
module differs from what this would write (tests/test_stats.py checks every
entry against scipy too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simiop.results.stats import _t_quantile

TARGET = Path(__file__).resolve().parent.parent / "simiop" / "results" / "t975.py"
LARGEST_DF = 1000
PER_LINE = 5

HEAD = '''"""Student's t 0.975 quantile, 1 to {largest} degrees of freedom, as scipy computes it (generated).

Why a table: every interval of summary.csv and projections.csv is mean +-
t_(0.975, n - 1) times a spread, and importing ``scipy.special`` to compute
the few distinct t values a run needs costs 0.2-0.5 s of CPU in the parent
process of every run of two or more replications (issue 17). These are the
values ``simiop.results.stats._t_quantile(0.975, df)`` takes from scipy's
incomplete-beta inverse, written as Python reads them back (bit for bit);
``stats.t_quantile`` uses scipy itself for any other probability or degrees
of freedom. Made by ``python tools/t975_table.py``;
``tests/test_stats.py::test_the_t975_table_is_what_scipy_computes`` checks
every entry against scipy.
"""

from __future__ import annotations

from typing import Final

_TEXT = """
'''

TAIL = '''"""

T975: Final[tuple[float, ...]] = tuple(map(float, _TEXT.split()))
"""T975[df - 1] is the 0.975 quantile of Student's t with df degrees of freedom, df = 1 to {largest}."""
'''


def module_text() -> str:
    """The module's source: the quantiles, PER_LINE to a line, between HEAD and TAIL."""
    values = [repr(_t_quantile(0.975, float(df))) for df in range(1, LARGEST_DF + 1)]
    lines = [" ".join(values[i : i + PER_LINE]) for i in range(0, len(values), PER_LINE)]
    return HEAD.format(largest=LARGEST_DF) + "\n".join(lines) + "\n" + TAIL.format(largest=LARGEST_DF)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the module is out of date")
    args = parser.parse_args(argv)
    text = module_text()
    if args.check:
        same = TARGET.is_file() and TARGET.read_text(encoding="utf-8") == text
        sys.stdout.write("up to date\n" if same else f"{TARGET} differs: run python tools/t975_table.py\n")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
