"""``simiop sensitivity SPEC --out DIR``: which uncertain inputs matter (OAT, Morris, Sobol', PSA)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from simiop.cli.common import (
    INTERRUPTED,
    executor_failure,
    executor_options,
    fail,
    progress_bar,
    write_failure,
)

_RESUME = "stored replications are kept, no file is half-written: fix that and run the same command to resume"


@click.command()
@click.argument("spec", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Result folder."
)
@click.option(
    "--replications", "-r", type=click.IntRange(min=1), help="Replications per point (replaces the file's)."
)
@click.option("--horizon", help="Simulated time from opening, e.g. 1y, 26w or days (replaces the file's).")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Seed of the simulation and the sampling (replaces the file's).",
)
@click.option("--samples", type=click.IntRange(min=2), help="sobol N, morris trajectories or psa input sets.")
@click.option("--no-report", is_flag=True, help="Write the tables only, no figures or report.html.")
@executor_options
def sensitivity(
    spec: Path,
    out_dir: Path,
    replications: int | None,
    horizon: str | None,
    seed: int | None,
    samples: int | None,
    no_report: bool,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    force: bool,
) -> None:
    """Vary the uncertain inputs of SPEC (a sensitivity file) and measure what they do to its KPIs.

    Methods (the file's method:): oat (each input at its low and high value,
    tornado plot), morris (elementary-effects screening), sobol (first-order
    and total indices with bootstrap CIs), psa (input sets drawn from their
    distributions, each KPI's spread split into input and stochastic parts,
    the probability each target is met). Writes CSV tables, manifest.json
    and report.html into --out; an interrupted run resumes. See
    docs/sensitivity.md.
    """
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError
    from simiop.experiments.executors import CellsLostError, ExecutorStartError
    from simiop.experiments.manifest import command_line
    from simiop.experiments.runner import OutputDirError
    from simiop.sensitivity import read_study, run_study_into

    try:
        given = {"replications": replications, "seed": seed, "samples": samples}
        study = read_study(spec, {**given, "horizon": _horizon(horizon)})
    except ConfigError as exc:
        fail(exc.lines())
    except ImportError as exc:
        install = 'pip install "simiop[sensitivity]"'
        fail([f"{spec}: method: morris and sobol need {exc.name}, which is not installed: {install}"])
    try:
        with progress_bar("sensitivity") as progress:
            outcome = run_study_into(
                study,
                out_dir,
                jobs=jobs,
                executor=executor,
                scheduler=scheduler,
                force=force,
                report=not no_report,
                command=tuple(command_line()),
                progress=progress,
            )
    except ConfigError as exc:
        fail(exc.lines())
    except OutputDirError as exc:
        fail([str(exc)])
    except OutputWriteError as exc:
        write_failure(exc, _RESUME)
    except (ExecutorStartError, CellsLostError) as exc:
        executor_failure(exc, out_dir)
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: stored replications are kept in {out_dir}; run the same command to resume",
            err=True,
        )
        sys.exit(INTERRUPTED)
    click.echo(outcome.sentence)
    kept = f", {outcome.cells_kept} kept from before" if outcome.cells_kept else ""  # as simiop run says it
    click.echo(f"{outcome.cells_run} replications run{kept}; results in {out_dir}/")


def rebuild_report(out: Path) -> None:
    """``simiop report DIR`` of a sensitivity folder: figures and page drawn again from its stored values."""
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError
    from simiop.sensitivity.report import write_report
    from simiop.sensitivity.run import open_study

    try:
        page = write_report(open_study(out))
    except ConfigError as exc:
        fail(exc.lines())
    except OutputWriteError as exc:
        write_failure(exc, "every report file is whole (old or new): fix that and run the same command")
    click.echo(f"report: {page}")


def _horizon(text: str | None) -> str | float | None:
    """--horizon as the file's horizon: a duration as written, or days as a number."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text.strip()
