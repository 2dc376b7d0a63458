"""``simiop advise``: how many replications a KPI needs for a given precision, and a warm-up suggestion."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from simiop.atomic import OutputWriteError, probe_writable
from simiop.cli.common import (
    INTERRUPTED,
    SET_HELP,
    fail,
    horizon_assignments,
    load_or_fail,
    progress_bar,
    write_failure,
)


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kpi", required=True, help="KPI name as in kpis.csv, e.g. wait_referral_to_admission_days_mean."
)
@click.option(
    "--precision",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0.0, 1.0, min_open=True),
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
@click.option("--horizon", help="Simulated time from opening, e.g. 3y, 18m, 26w or 400 (days).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: every core).")
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
) -> None:
    """Advise how many replications CONFIG needs, and how long a warm-up a steady-state study needs.

    Replications: the confidence-interval method with a look-ahead (Hoad,
    Robinson & Davies 2010) runs replications until the KPI's 95% CI
    half-width is within --precision of its mean and stays there.
    Warm-up: MSER-5 (White 1997) on the mean daily census across those
    replications, plotted with Welch's moving average when --out is given.
    """
    from simiop.experiments.advice import plot_precision, plot_warmup, relative_half_width
    from simiop.experiments.advising import UnknownKpiError
    from simiop.experiments.advising import advise as run_advice
    from simiop.experiments.executors import make_executor

    assignments = [*overrides, *horizon_assignments(horizon)]
    if min_replications > max_replications:
        fail([f"--min-replications: {min_replications} is more than --max-replications {max_replications}"])
    config = load_or_fail(config_path, assignments)
    if out_dir is not None:  # before the replications, so an unwritable --out costs nothing
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
                seed=config.simulation.seed if seed is None else seed,
                min_replications=min_replications,
                max_replications=max_replications,
                look_ahead=look_ahead,
                progress=progress,
            )
    except UnknownKpiError as exc:
        close = difflib.get_close_matches(kpi, exc.known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see kpis.csv of a run for every name"
        fail([f"--kpi: no KPI named {kpi!r} ({hint})"])
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(INTERRUPTED)
    finally:
        executor.close()

    runs = len(advice.values)
    if advice.needed is not None:
        reached = relative_half_width(advice.values[: advice.needed])
        click.echo(
            f"{kpi}: {advice.needed} replications give a 95% CI within {reached:.1%} of the mean "
            f"(target {precision:.1%}; held for {look_ahead} more replications; {runs} run)"
        )
    else:
        reached = relative_half_width(advice.values)
        click.echo(
            f"{kpi}: precision {precision:.1%} not reached in {runs} replications "
            f"(half-width is {reached:.1%} of the mean); raise --max-replications or accept a wider CI"
        )
    days = advice.census.shape[1]
    click.echo(
        f"warm-up: MSER-5 on the mean daily census suggests discarding the first {advice.warmup_days} days "
        f"of {days} (set simulation.warmup_days for a steady-state study; a clinic opening from empty "
        "usually wants no warm-up: its start-up is the question)"
    )
    if out_dir is not None:
        try:
            plot_precision(
                advice.values, out_dir / "precision.png", precision=precision, needed=advice.needed, kpi=kpi
            )
            plot_warmup(
                advice.census,
                out_dir / "warmup.png",
                window=max(1, min(30, days // 10)),
                truncation=advice.warmup_days,
                ylabel="patients enrolled (all tracks)",
                title=f"{config.clinic.name}: daily census, mean of {runs} replications",
            )
        except OSError as exc:
            write_failure(OutputWriteError(out_dir, exc, started=True), "the advice above stands")
        click.echo(f"plots written to {out_dir}/precision.png and {out_dir}/warmup.png")
