"""``simiop advise``: how many replications a KPI needs for a given precision, and a warm-up suggestion."""

from __future__ import annotations

import difflib
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simiop.atomic import OutputWriteError, probe_writable
from simiop.cli.common import (
    HORIZON_HELP,
    INTERRUPTED,
    SET_HELP,
    command_line_overrides,
    fail,
    load_or_fail,
    progress_bar,
    refuse_set,
    write_failure,
)

if TYPE_CHECKING:
    from simiop.experiments.advising import Advice


class _Share(click.FloatRange):
    """A share in (0, 1]; click's FloatRange lets nan through (every comparison with nan is false), which
    then failed inside the advice as a ValueError traceback."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = float(super().convert(value, param, ctx))
        if math.isnan(number):
            self.fail(f"{value!r} is not a number in the range 0<x<=1.", param, ctx)
        return number


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kpi", required=True, help="KPI name as in kpis.csv, e.g. wait_referral_to_admission_days_mean."
)
@click.option(
    "--precision",
    default=0.05,
    show_default=True,
    type=_Share(0.0, 1.0, min_open=True),
    help="Target 95% CI half-width as a share of the mean (0.05 = within 5%).",
)
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder for the plots."
)
@click.option("--min-replications", default=3, show_default=True, type=click.IntRange(2, 10_000))
@click.option("--max-replications", default=200, show_default=True, type=click.IntRange(3, 100_000))
@click.option(
    "--look-ahead",
    default=5,
    show_default=True,
    type=click.IntRange(0, 1000),
    help="Replications the precision must keep holding before it counts as reached.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Seed (default: simulation.seed from the config).")
@click.option(
    "--horizon",
    help=HORIZON_HELP,
)
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: every core).")
@click.option("--force", is_flag=True, help="Overwrite plots in --out that simiop advise did not write.")
def advise(
    config_path: Path,
    kpi: str,
    precision: float,
    out_dir: Path | None,
    min_replications: int,
    max_replications: int,
    look_ahead: int,
    seed: int | None,
    horizon: str | None,
    overrides: tuple[str, ...],
    jobs: int | None,
    force: bool,
) -> None:
    """Advise how many replications CONFIG needs, and how long a warm-up a steady-state study needs.

    Replications: the confidence-interval method with a look-ahead (Hoad,
    Robinson & Davies 2010) runs replications until the KPI's 95% CI
    half-width is within --precision of its mean and stays there.
    Warm-up: MSER-5 (White 1997) on the mean daily census across those
    replications, plotted with Welch's moving average when --out is given.
    An answer at the limit of either search (a warm-up of half the run, the
    fewest or the most replications tried) is reported as such, not advised.
    """
    from simiop.experiments.advice import MIN_KEPT_DAYS, plot_precision, plot_warmup
    from simiop.experiments.advising import UnknownKpiError
    from simiop.experiments.advising import advise as run_advice
    from simiop.experiments.executors import CellsLostError, make_executor
    from simiop.experiments.owned import ADVICE_RECORD, recording

    refuse_set(overrides, "simulation.replications", "advise runs --min-replications to --max-replications")
    assignments = command_line_overrides(overrides, horizon, seed)
    if min_replications > max_replications:
        fail([f"--min-replications: {min_replications} is more than --max-replications {max_replications}"])
    if max_replications < min_replications + look_ahead:
        fail(
            [
                f"--max-replications: {max_replications} can never confirm an answer: it takes at least "
                f"--min-replications + --look-ahead = {min_replications + look_ahead}"
            ]
        )
    config = load_or_fail(config_path, assignments)
    if out_dir is not None:  # before the replications, so an unwritable --out costs nothing
        _refuse_others_files(out_dir, force)
        try:
            probe_writable(out_dir)
        except OSError as exc:
            fail([str(OutputWriteError(out_dir, exc, started=False))])
    executor = make_executor("processes", jobs)
    try:
        with progress_bar("replications") as progress:
            advice = run_advice(
                config,
                kpi,
                precision,
                executor,
                seed=config.simulation.seed,
                min_replications=min_replications,
                max_replications=max_replications,
                look_ahead=look_ahead,
                progress=progress,
            )
    except UnknownKpiError as exc:
        close = difflib.get_close_matches(kpi, exc.known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see kpis.csv of a run for every name"
        fail([f"--kpi: no KPI named {kpi!r} ({hint})"])
    except CellsLostError as exc:
        click.echo(f"{exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(INTERRUPTED)
    finally:
        executor.close()

    click.echo(_replications_line(advice))
    warmup = advice.warmup
    click.echo(_warmup_line(advice))
    if warmup is not None and not warmup.at_limit and warmup.leaves_too_little:
        click.echo(
            f"warning: a warm-up of {warmup.days} days leaves {warmup.kept_days} days of results, fewer than "
            f"{MIN_KEPT_DAYS}: steady-state KPIs would cover only part of the year's seasons; run a longer "
            "--horizon",
            err=True,
        )
    if out_dir is not None:
        written = [PRECISION_PLOT] if warmup is None else [PRECISION_PLOT, WARMUP_PLOT]
        runs = len(advice.values)
        try:
            with recording(out_dir, ADVICE_RECORD, written):
                plot_precision(
                    advice.values,
                    out_dir / PRECISION_PLOT,
                    precision=precision,
                    needed=advice.needed,
                    kpi=kpi,
                )
                if warmup is not None:
                    plot_warmup(
                        advice.census,
                        out_dir / WARMUP_PLOT,
                        window=max(1, min(30, warmup.length // 10)),
                        truncation=warmup.days,
                        ylabel="patients enrolled (all tracks)",
                        title=f"{config.clinic.name}: daily census, mean of {runs} replications",
                        at_limit=warmup.at_limit,
                    )
        except OSError as exc:
            write_failure(OutputWriteError(out_dir, exc, started=True), "the advice above stands")
        click.echo(f"plots written to {' and '.join(str(out_dir / name) for name in written)}")


PRECISION_PLOT = "precision.png"
WARMUP_PLOT = "warmup.png"


def _refuse_others_files(out: Path, force: bool) -> None:
    """Refuse, before any replication runs, to overwrite a file at a plot's name that advise did not write.

    What advise wrote is on record in the folder (advise-files.json), so
    running advise again into the same folder replaces its own plots.
    """
    from simiop.experiments.owned import ADVICE_RECORD, recorded_files

    ours = recorded_files(out, ADVICE_RECORD)
    for name in (PRECISION_PLOT, WARMUP_PLOT, ADVICE_RECORD):
        path = out / name
        if path.is_dir():
            fail([f"{path}: is a folder, where advise writes a file; move it away or choose another --out"])
        if path.exists() and name not in (ours or ()) and not force:
            fail(
                [
                    f"{path}: exists and simiop advise did not write it; move it away, choose another --out, "
                    "or use --force to overwrite it"
                ]
            )


def _replications_line(advice: Advice) -> str:
    """The replications answer; never a limit of the search (fewest tried, most allowed) as if it were one."""
    from simiop.experiments.advice import pending_within, relative_half_width

    kpi, precision, runs = advice.kpi, advice.precision, len(advice.values)
    if advice.finite_values < 2:
        return (
            f"{kpi}: a value in only {advice.finite_values} of {runs} replications (nothing to measure in a "
            "run this short?), too few for an interval; choose another --kpi or a longer --horizon"
        )
    if advice.needed is not None:
        reached = relative_half_width(advice.values[: advice.needed])
        line = (
            f"{kpi}: {advice.needed} replications give a 95% CI within {reached:.1%} of the mean "
            f"(target {precision:.1%}; held for {advice.look_ahead} more replications; {runs} run)"
        )
        if advice.needed_is_the_minimum:
            line += f"; {advice.needed} is the fewest tried (--min-replications), so fewer may do as well"
        return line
    within = pending_within(advice.values, precision, advice.min_replications)
    if within is not None:
        return (
            f"{kpi}: within {precision:.1%} from {within} replications on, but not yet confirmed for "
            f"{advice.look_ahead} more: --max-replications {advice.max_replications} stopped the search; "
            f"raise it to at least {within + advice.look_ahead}"
        )
    reached = relative_half_width(advice.values)
    return (
        f"{kpi}: precision {precision:.1%} not reached in {runs} replications "
        f"(half-width is {reached:.1%} of the mean); raise --max-replications or accept a wider CI"
    )


def _warmup_line(advice: Advice) -> str:
    """The warm-up answer, or why there is none (a run too short, or still changing at its end)."""
    warmup = advice.warmup
    days = advice.census.shape[1]
    if warmup is None:
        return f"warm-up: a run of {days} days is too short for MSER-5 (it needs 10 days, 2 batches of 5)"
    if warmup.at_limit:
        return (
            f"warm-up: no steady state found in {days} days: MSER-5 stopped at {warmup.days} days, at the "
            f"limit of its search ({warmup.limit} days, half the run): the mean daily census has not "
            f"settled for long enough to tell; run a longer --horizon (e.g. {2 * days}d) and ask again"
        )
    return (
        f"warm-up: MSER-5 on the mean daily census suggests discarding the first {warmup.days} days "
        f"of {days} (set simulation.warmup_days for a steady-state study; a clinic opening from empty "
        "usually wants no warm-up: its start-up is the question)"
    )
