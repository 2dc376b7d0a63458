"""What every command shares: exit statuses, the failure path, and the options of commands that run cells."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from simiop.atomic import OutputWriteError
    from simiop.config import SimiopConfig
    from simiop.config.overrides import Override

USAGE_ERROR = 2
"""Exit status for bad input, as click uses for bad usage."""

INTERRUPTED = 130
"""Exit status after Ctrl-C, as shells report SIGINT."""

HORIZON_HELP = (
    "Simulated time from opening, e.g. 3y, 18m, 26w or 400 (days): y are calendar years (3y from "
    "2027-01-04 is 1,096 days, a leap day included), m twelfths of 365 days; a part day is rounded up."
)
UNTIL_HELP = (
    "Last day of the run, inclusive, e.g. 2030-06-30 (instead of --horizon); replaces the config's "
    "horizon_days, until or fiscal_years."
)
SET_HELP = "Override a config field, e.g. --set tracks.day.groups=3 (repeatable; validated like the file)."

F = TypeVar("F", bound=Callable[..., Any])


def fail(lines: list[str]) -> NoReturn:
    """Print each problem on its own line to stderr and exit with status 2: no traceback."""
    for line in lines:
        click.echo(line, err=True)
    sys.exit(USAGE_ERROR)


def write_failure(exc: OutputWriteError, resume: str) -> NoReturn:
    """A folder that cannot be written, in one line: exit 2 if nothing was written, else 1 and what to do."""
    if not exc.started:
        fail([str(exc)])
    click.echo(f"{exc}; {resume}", err=True)
    sys.exit(1)


def load_or_fail(path: Path, assignments: Sequence[str | Override]) -> SimiopConfig:
    """The validated config, or every problem printed and exit 2.

    A problem caused by an option (``--set``, ``--horizon``, ``--seed``) is
    reported as coming from the command line, naming the option.

    The config package (pydantic models) is imported here, not at the top,
    so that ``simiop --help`` does not pay for it.
    """
    from simiop.config import ConfigError, load_config

    try:
        return load_config(path, assignments)
    except ConfigError as exc:
        fail(exc.lines())


def horizon_days(text: str | None) -> float | None:
    """The --horizon option in days (None when not given); a bad duration exits 2."""
    from simiop.config.durations import duration_days

    if text is None:
        return None
    try:
        return duration_days(text)
    except ValueError as exc:
        fail([f"--horizon: {exc}"])


def horizon_assignments(text: str | None, until: str | None = None) -> list[Override]:
    """--horizon or --until as config assignments named after the option (none when neither is given).

    Either replaces the file's way of ending the run (horizon_days, until or
    fiscal_years: the others are cleared), as --seed replaces its seed. A
    duration is passed on as written: calendar years need the opening date,
    which the config (perhaps changed by --set) holds.
    """
    from simiop.config.overrides import Override
    from simiop.experiments.decided import HORIZON, UNTIL, horizon_way

    if text is not None and until is not None:
        fail([f"command line: --horizon {text} and --until {until}: the run ends one way; give one"])
    if until is not None:
        path, value, label = UNTIL, until, f"--until {until}"
    elif text is not None:
        horizon_days(text)  # a bad duration exits 2 here, naming the option
        path, value, label = HORIZON, text.strip(), f"--horizon {text}"
    else:
        return []
    return [
        Override(f"{field}={'null' if given is None else given}", label)
        for field, given in horizon_way(path, value).items()
    ]


def given_assignments(overrides: Sequence[Override]) -> list[str]:
    """The assignments that give a value (not the nulls that clear another way of ending the run)."""
    return [override.assignment for override in overrides if not override.assignment.endswith("=null")]


def command_line_overrides(
    sets: Sequence[str],
    horizon: str | None = None,
    seed: int | None = None,
    replications: int | None = None,
    until: str | None = None,
) -> list[Override]:
    """Every option that feeds the config, as assignments checked together.

    So ``--seed 5`` is the config's ``simulation.seed`` (and the manifest's
    resolved config says 5), and ``--seed 5 --set simulation.seed=7`` is
    refused naming both instead of one silently winning.
    """
    from simiop.config.overrides import Override

    given = [Override(text) for text in sets] + horizon_assignments(horizon, until)
    if horizon is None and until is None:
        given += set_horizon_clears(sets)
    if seed is not None:
        given.append(Override(f"simulation.seed={seed}", f"--seed {seed}"))
    if replications is not None:
        given.append(Override(f"simulation.replications={replications}", f"--replications {replications}"))
    return given


def set_horizon_clears(sets: Sequence[str]) -> list[Override]:
    """The nulls that let one ``--set`` of a way of ending the run replace the file's way, as --until does.

    ``--set simulation.fiscal_years=3`` on a file with ``horizon_days`` would
    otherwise be refused as two ways of ending the run, though the user gave
    one. Two set are the user's own clash: the file's way is still cleared, so
    that the config refuses naming the two the user gave.
    """
    from simiop.config.overrides import AssignmentError, Override, parse_assignment
    from simiop.experiments.decided import HORIZON_WAYS

    ways: dict[str, str] = {}
    for text in sets:
        try:
            parts, value = parse_assignment(text)
        except AssignmentError:
            continue  # reported with the others when the config is loaded
        path = ".".join(map(str, parts))
        if path in HORIZON_WAYS and value is not None:
            ways[path] = text
    if not ways:
        return []
    text = next(iter(ways.values()))
    return [Override(f"{other}=null", f"--set {text}") for other in HORIZON_WAYS if other not in ways]


def refuse_set(sets: Sequence[str], field: str, instead: str) -> None:
    """Exit 2 when a --set gives ``field`` a value the command decides itself (it would be ignored)."""
    from simiop.config.overrides import AssignmentError, parse_assignment, sets_field, split_path

    for text in sets:
        try:
            parts, value = parse_assignment(text)
        except AssignmentError:
            continue  # reported with the others when the config is loaded
        if sets_field(parts, value, split_path(field)):
            fail([f"command line: --set {text}: {field} is not read here; {instead}"])


def parse_tables(text: str) -> tuple[str, ...]:
    """--tables: 'all', 'none' or a comma list of episodes, daily, staff, sessions (the library's rule)."""
    from simiop.experiments.plan import parse_tables as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_TABLES_OPTION = click.option(
    "--tables",
    default="all",
    show_default=True,
    help="Per-replication tables to keep besides kpis.csv: all (episodes, daily, staff, sessions), none, "
    "or e.g. daily,staff; bookings (intake bookings, for export-extract --bookings) only when named.",
)


def executor_options(function: F) -> F:
    """--jobs, --executor, --scheduler and --force: how cells run and whether results may be replaced."""
    from simiop.experiments.executors import EXECUTORS

    options = [
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            help=f"Worker processes (default: every core, here {os.cpu_count() or 1}). "
            "Results do not depend on it.",
        ),
        click.option(
            "--executor",
            type=click.Choice(EXECUTORS),
            default="processes",
            show_default=True,
            help="Who runs the cells: local worker processes, this process alone, or a Dask cluster "
            '(pip install "simiop[dask]"; a local one of --jobs workers unless --scheduler is given).',
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="With --executor dask: a running Dask scheduler, e.g. tcp://10.0.0.5:8786, whose "
            "workers run the cells (see docs/dask.md). Results do not depend on it.",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Replace results of a different run already in --out (only files simiop wrote are removed).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def executor_failure(exc: Exception, out: Path) -> NoReturn:
    """Executor errors as one line: a bad choice exits 2, cells lost by a cluster exit 1 (resumable)."""
    from simiop.experiments.executors import ExecutorStartError

    if isinstance(exc, ExecutorStartError):
        fail([f"--{exc.option}: {exc.message}"])
    click.echo(f"{exc}; finished cells are kept in {out}: run the same command to resume", err=True)
    sys.exit(1)


def cell_options(function: F) -> F:
    """The executor options and --tables, for commands that define what is kept (run, experiment)."""
    return _TABLES_OPTION(executor_options(function))


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback drawing a bar on stderr when it is a terminal, and silent otherwise (logs, CI)."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True, show_eta=True) as bar:

        def update(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        yield update
