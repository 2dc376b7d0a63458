"""Commands that run cells: run (one config), experiment (scenarios x replications), reproduce."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simiop.cli.common import (
    HORIZON_HELP,
    INTERRUPTED,
    SET_HELP,
    UNTIL_HELP,
    cell_options,
    command_line_overrides,
    executor_failure,
    executor_options,
    fail,
    given_assignments,
    horizon_assignments,
    horizon_days,
    load_or_fail,
    parse_tables,
    progress_bar,
    write_failure,
)
from simiop.cli.config_commands import echo_warnings
from simiop.cli.report_command import NO_REPORT_HELP, write_report
from simiop.results.labels import HEADLINE

if TYPE_CHECKING:
    from simiop.api import Results
    from simiop.experiments.plan import Plan
    from simiop.results.stats import Summary


_RESUME = (
    "finished replications are kept, no file is half-written: fix that and run the same command to resume"
)
_OUT_HELP = "Result folder (created if missing; an unfinished run of the same plan there is resumed)."


def _tables(text: str) -> tuple[str, ...]:
    try:
        return parse_tables(text)
    except click.BadParameter as exc:
        fail([f"--tables: {exc.message}"])


def _import_runner() -> None:
    """Import what running cells needs (the API, the runner, the model), inside the command's start-up:
    see ``simiop.collector.start_up``."""
    import simiop.api  # noqa: F401


def _execute(
    plan: Plan, out: Path, executor_name: str, jobs: int | None, scheduler: str | None, force: bool
) -> Results:
    """Run the plan with a progress bar; refusals exit 2, Ctrl-C exits 130 keeping finished cells."""
    from simiop.api import execute
    from simiop.atomic import OutputWriteError
    from simiop.experiments.executors import CellsLostError, ExecutorStartError
    from simiop.experiments.manifest import command_line
    from simiop.experiments.runner import OutputDirError

    try:
        cells = len(plan.cells())
        label = f"{len(plan.scenarios)} scenario(s) x {plan.replications} replications"
        with progress_bar(label if cells > 1 else "1 replication") as progress:
            return execute(
                plan,
                out,
                jobs=jobs,
                executor=executor_name,
                scheduler=scheduler,
                force=force,
                report=False,
                command=command_line(),
                progress=progress,
            )
    except OutputDirError as exc:
        fail([str(exc)])
    except OutputWriteError as exc:
        write_failure(exc, _RESUME)
    except (ExecutorStartError, CellsLostError) as exc:
        executor_failure(exc, out)
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: finished cells are kept in {out}; run the same command to resume", err=True
        )
        sys.exit(INTERRUPTED)


def _interval(values: list[float], form: str, with_ci: bool = True, kpi: str = "") -> str:
    """The mean in ``form``, with its two 95% intervals when asked and defined; 'n/a' when there is no mean.

    Bounds are clipped to what ``kpi`` can take (a count is never below 0); a
    value the same in every replication is printed once, without an interval.
    """
    from simiop.results.summary import kpi_summary

    mean, ci, outcome = _interval_cells(kpi_summary(kpi, values), form)
    if with_ci and outcome:
        return f"{mean}  (95% CI of the mean {ci}; 95% outcome range {outcome})"
    return mean


def _interval_cells(summary: Summary, form: str) -> tuple[str, str, str]:
    """(mean, 'low to high' of the CI of the mean, 'low to high' of the outcome range), as printed.

    With one value there is no interval ('1 value only'); a value the same in
    every replication has 'same in every replication' and no range.
    """
    if math.isnan(summary.mean):
        return "n/a", "", ""
    mean = form.format(summary.mean)
    if summary.constant:
        return mean, "same in every replication", ""
    if summary.n < 2 or math.isnan(summary.ci95_low):
        return mean, "1 value only", ""
    ci = f"{form.format(summary.ci95_low)} to {form.format(summary.ci95_high)}"
    outcome = f"{form.format(summary.outcome95_low)} to {form.format(summary.outcome95_high)}"
    return mean, ci, outcome


_FLAG_MARK = "!"


def _kpi_lines(results: Results, replications: int) -> list[str]:
    """The headline KPIs as a table (mean, 95% CI of the mean, 95% outcome range), then what needs care.

    Flagged KPIs (too few replications, or a CI wider than ``WIDE_CI_SHARE`` of
    the mean) are marked; a warning line says why, and a note names the KPIs
    whose bounds were clipped to what is possible.
    """
    from simiop.results.stats import FEW_REPLICATIONS, MIN_REPLICATIONS, WIDE_CI, WIDE_CI_SHARE
    from simiop.results.summary import kpi_summary

    header = ("(after the warm-up)", "mean", "95% CI of the mean", "95% outcome range")
    rows: list[tuple[str, str, str, str, str]] = []
    clipped: list[str] = []
    few: list[str] = []
    wide: list[str] = []
    for key, label, form in HEADLINE:
        summary = kpi_summary(key, results.values(key))
        rows.append((label, *_interval_cells(summary, form), _FLAG_MARK if summary.flags else ""))
        if summary.clipped:
            clipped.append(label)
        if FEW_REPLICATIONS in summary.flags:
            few.append(label)
        if WIDE_CI in summary.flags:
            wide.append(label)
    widths = [max(len(row[i]) for row in [*rows, (*header, "")]) for i in range(4)]
    lines = [
        "  " + f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:<{widths[2]}}  {header[3]}"
    ]
    for label, mean, ci, outcome, mark in rows:
        line = f"{label:<{widths[0]}}  {mean:>{widths[1]}}  {ci:<{widths[2]}}  {outcome:<{widths[3]}}  {mark}"
        lines.append("  " + line.rstrip())
    lines.append(
        "  CI of the mean: where the average lies; outcome range: where one replication falls, 95 in 100"
    )
    if replications < MIN_REPLICATIONS:
        lines.append(
            f"warning: {replications} replication{'s are' if replications != 1 else ' is'} too few for "
            f"intervals to trust (fewer than {MIN_REPLICATIONS}; marked {_FLAG_MARK}): "
            f"run -r {MIN_REPLICATIONS} or more"
        )
    elif few or wide:
        reasons = []
        if few:
            reasons.append(f"fewer than {MIN_REPLICATIONS} replications with a value: {', '.join(few)}")
        if wide:
            reasons.append(f"95% CI wider than +-{WIDE_CI_SHARE:.0%} of the mean: {', '.join(wide)}")
        lines.append(f"warning: read with care ({_FLAG_MARK}): " + "; ".join(reasons))
    if clipped:
        lines.append(
            f"note: bounds below 0 or above 100% are clipped to what is possible: {', '.join(clipped)}"
        )
    return lines


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP
)
@click.option(
    "--replications",
    "-r",
    type=click.IntRange(1, 100_000),
    help="Replications (default: simulation.replications from the config).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: simulation.seed from the config).")
@click.option(
    "--horizon",
    help=HORIZON_HELP,
)
@click.option("--until", metavar="DATE", help=UNTIL_HELP)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--no-report", is_flag=True, help=NO_REPORT_HELP)
@cell_options
def run(
    config_path: Path,
    out_dir: Path,
    replications: int | None,
    seed: int | None,
    horizon: str | None,
    until: str | None,
    overrides: tuple[str, ...],
    no_report: bool,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    tables: str,
    force: bool,
) -> None:
    """Simulate the clinic in CONFIG R times and write per-replication tables and a summary to --out.

    Each replication r is in OUT/scenarios/base/r000N/ (episodes, daily, staff,
    sessions and kpis CSVs); OUT/kpis.csv has every KPI of every replication and
    OUT/summary.csv each KPI's mean, sd and 95% confidence interval. Results
    are byte-identical for any --jobs.
    """
    from simiop.collector import start_up

    with start_up():
        from simiop.config.overrides import parse_assignment
        from simiop.experiments.plan import run_plan_for
        from simiop.report.limits import folder_limits

        given = command_line_overrides(overrides, horizon, seed, replications, until)
        config = load_or_fail(config_path, given)
        recorded = [*overrides, *given_assignments(horizon_assignments(horizon, until))]
        changes = {".".join(map(str, parts)): value for parts, value in map(parse_assignment, recorded)}
        plan = run_plan_for(config, config_path.stem, changes=changes, tables=_tables(tables))
        _import_runner()
    results = _execute(plan, out_dir, executor, jobs, scheduler, force)
    echo_warnings(config_path, [("", config)])  # after the run: a refusal stays one line
    click.echo(
        f"{config.clinic.name}: {config.simulation.horizon_days:g} "
        f"day{'s' if config.simulation.horizon_days != 1 else ''}, seed {plan.seed}, "
        f"{plan.replications} replication(s)"
        + (f" ({results.cells_kept} kept from before)" if results.cells_kept else "")
    )
    for line in _kpi_lines(results, plan.replications):
        click.echo(line)
    click.echo("what limits the clinic:")
    base = results.folder.base.name
    for sentence in folder_limits(results.folder, base, results.groups_scheduled.get(base)):
        click.echo(f"  {sentence}")
    click.echo(f"results in {out_dir}/ (summary.csv: every KPI with its 95% CI and outcome range)")
    if not no_report:
        write_report(out_dir, results)


@click.command()
@click.argument("experiment_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--replications", "-r", type=click.IntRange(1, 100_000), help="Replications (overrides FILE).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed shared by every scenario (overrides FILE).")
@click.option("--horizon", help=HORIZON_HELP + " Overrides FILE.")
@click.option("--until", metavar="DATE", help=UNTIL_HELP + " Overrides FILE.")
@click.option(
    "--dry-run", is_flag=True, help="Check FILE and list its scenarios and what each changes; run nothing."
)
@click.option("--no-report", is_flag=True, help=NO_REPORT_HELP)
@cell_options
def experiment(
    experiment_path: Path,
    out_dir: Path | None,
    replications: int | None,
    seed: int | None,
    horizon: str | None,
    until: str | None,
    dry_run: bool,
    no_report: bool,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    tables: str,
    force: bool,
) -> None:
    """Run every scenario of the experiment FILE with common random numbers and compare them.

    Scenario k's replication r uses the same random streams as the base's
    replication r, so comparison.csv gives each KPI's paired difference from
    the base with a 95% CI. Interrupted? Run the same command again: finished
    cells are kept.
    """
    from simiop.collector import start_up

    if horizon is not None and until is not None:
        fail([f"command line: --horizon {horizon} and --until {until}: the run ends one way; give one"])
    with start_up():
        from simiop.config import ConfigError
        from simiop.config.overrides import COMMAND_LINE
        from simiop.experiments.plan import experiment_plan
        from simiop.experiments.spec import BASE_SCENARIO

        horizon_days(horizon)  # a bad duration exits 2 here; calendar years count from each opening date
        try:
            plan = experiment_plan(
                experiment_path,
                seed=seed,
                replications=replications,
                horizon_days=None if horizon is None else horizon.strip(),
                until=until,
                tables=_tables(tables),
                given_by=COMMAND_LINE,
                labels={
                    "horizon": f"--horizon {horizon}",
                    "until": f"--until {until}",
                    "seed": f"--seed {seed}",
                    "replications": f"--replications {replications}",
                },
            )
        except ConfigError as exc:
            fail(exc.lines())
        if not dry_run:
            _import_runner()
    labelled = [("" if s.name == BASE_SCENARIO else s.name, s.config) for s in plan.scenarios]
    if dry_run:
        echo_warnings(experiment_path, labelled)
        click.echo(
            f"{plan.name}: {len(plan.scenarios)} scenarios x {plan.replications} replications "
            f"= {len(plan.cells())} cells, seed {plan.seed}, compared with {plan.compare_to}"
        )
        for scenario in plan.scenarios:
            changes = ", ".join(f"{path}={value}" for path, value in scenario.changes.items()) or "no changes"
            click.echo(f"  {scenario.name}: {changes}")
        return
    if out_dir is None:
        fail(["--out: required to run the experiment (or use --dry-run to only check it)"])
    results = _execute(plan, out_dir, executor, jobs, scheduler, force)
    echo_warnings(experiment_path, labelled)  # after the run: a refusal stays one line
    click.echo(
        f"{plan.name}: {len(plan.scenarios)} scenarios x {plan.replications} replications, seed {plan.seed}"
        + (f" ({results.cells_kept} cells kept from before)" if results.cells_kept else "")
    )
    for line in experiment_table(results):
        click.echo(line)
    from simiop.results.stats import MIN_REPLICATIONS

    if plan.replications < MIN_REPLICATIONS:  # as simiop run warns: the comparison's intervals rest on them
        click.echo(
            f"warning: {plan.replications} replication{'s are' if plan.replications != 1 else ' is'} too few "
            f"for the comparison's intervals to trust (fewer than {MIN_REPLICATIONS}): "
            f"run -r {MIN_REPLICATIONS} or more"
        )
    click.echo(f"results in {out_dir}/ (summary.csv per scenario; comparison.csv: paired differences)")
    if not no_report:
        write_report(out_dir, results)


EXPERIMENT_TABLE = (
    ("unduplicated_patients_served", "people served", "{:,.0f}"),
    ("wait_referral_to_admission_days_median", "median wait to admission (days)", "{:.1f}"),
    ("group_days_cancelled_no_facilitator", "groups cancelled, no facilitator", "{:,.1f}"),
    ("individual_therapy_weekly_coverage", "weekly individual therapy (share)", "{:.1%}"),
    ("revenue_usd", "revenue (USD)", "{:,.0f}"),
    ("cost_per_completed_episode_usd", "cost per completed episode (USD)", "{:,.0f}"),
)
"""The experiment's headline KPIs (the goals of simiop/report/headline.py) as the terminal shows them."""

COLUMN_WIDTH = 12
"""A column of the experiment table is at least this wide; a longer header wraps onto more lines, whole."""


def experiment_table(results: Results) -> list[str]:
    """Each scenario's mean of the headline KPIs, one row per scenario, headers wrapped (never cut) to the
    width of their column; KPIs the results do not have (a config without the service) are left out."""
    import textwrap

    base, found = results.folder.base.name, results.folder.kpi_values
    shown = [(key, label, form) for key, label, form in EXPERIMENT_TABLE if (base, key) in found]
    cells = [
        [_interval(results.values(key, name), form, with_ci=False) for key, _, form in shown]
        for name in results.scenarios
    ]
    widths = [
        max([COLUMN_WIDTH, *(len(word) for word in label.split()), *(len(row[k]) for row in cells)])
        for k, (_, label, _) in enumerate(shown)
    ]
    headers = [textwrap.wrap(label, width) for (_, label, _), width in zip(shown, widths, strict=True)]
    depth = max((len(lines) for lines in headers), default=0)
    first = max(len(name) for name in results.scenarios)
    lines = [
        "  "
        + " " * first
        + "".join(
            f"  {(h[-depth + line] if line >= depth - len(h) else ''):>{w}}"
            for h, w in zip(headers, widths, strict=True)
        )
        for line in range(depth)
    ]
    lines += [
        f"  {name:<{first}}" + "".join(f"  {cell:>{w}}" for cell, w in zip(row, widths, strict=True))
        for name, row in zip(results.scenarios, cells, strict=True)
    ]
    return lines


@click.command()
@click.argument("source", metavar="DIR", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the re-run (default: DIR-reproduced).",
)
@click.option("--verbose", "-v", is_flag=True, help="List every file, matching ones too.")
@executor_options
def reproduce(
    source: Path,
    out_dir: Path | None,
    verbose: bool,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    force: bool,
) -> None:
    """Re-run the results in DIR from its manifest.json alone and compare every file's checksum.

    Each file the manifest lists must still be in DIR with the recorded
    checksum, and the re-run must make it again byte for byte. Prints a
    one-line summary and the files that do not match (--verbose: every file).
    Exit status 0 only when every file matches; 1 when any differs, is
    missing or is extra.
    """
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError
    from simiop.experiments.executors import CellsLostError, ExecutorStartError, make_executor
    from simiop.experiments.reproduce import default_out
    from simiop.experiments.reproduce import reproduce as reproduce_results
    from simiop.experiments.runner import OutputDirError

    try:
        out = out_dir if out_dir is not None else default_out(source)
    except OutputDirError as exc:
        fail([str(exc)])
    try:
        runner = make_executor(executor, jobs, scheduler)
    except ExecutorStartError as exc:
        executor_failure(exc, out)
    from simiop.calibrate.extract import ExtractError
    from simiop.calibrate.pipeline import UnknownNamesError
    from simiop.calibrate.record import CalibrateError

    try:
        with progress_bar("reproducing") as progress:
            result = reproduce_results(source, out, runner, force=force, progress=progress)
    except ConfigError as exc:
        fail(exc.lines())
    except (CalibrateError, ExtractError, UnknownNamesError) as exc:  # a calibration's folder
        fail(exc.lines)
    except OutputDirError as exc:
        fail([str(exc)])
    except OutputWriteError as exc:
        write_failure(exc, _RESUME)
    except CellsLostError as exc:
        executor_failure(exc, out)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: run the same command to resume into {out}", err=True)
        sys.exit(INTERRUPTED)
    finally:
        runner.close()
    for check in result.checks if verbose else result.problems:
        click.echo(f"{check.status:<8} {check.name}" + (f"  ({check.reason})" if check.reason else ""))
    click.echo(f"{result.summary()}; re-run in {out}/")
    for name, (before, after) in result.version_changes().items():
        click.echo(f"note: {name} was {before}, is now {after}")
    sys.exit(0 if result.identical else 1)
