"""``simiop optimise``: the best candidate meeting every target, with a stated confidence."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simiop.cli.common import INTERRUPTED, executor_failure, executor_options, fail, progress_bar

if TYPE_CHECKING:
    from simiop.optimisation.spec import OptimiseSpec


@click.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Result folder."
)
@click.option(
    "--seed", type=click.IntRange(min=0), help="Seed (default: the file's, else the base config's)."
)
@executor_options
def optimise(
    spec_path: Path,
    out_dir: Path,
    seed: int | None,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    force: bool,
) -> None:
    """Find the best candidate of SPEC (an optimisation file) that meets every target, with a guarantee.

    Candidates (every combination of the file's variables) are compared with
    common random numbers; a sequential test decides each one's feasibility
    (Andradottir & Kim 2010; Batur & Kim 2010) and KN (Kim & Nelson 2001)
    the best feasible one, or, for an objective that does not vary (a staff
    cost), the cheapest first. Replications are added only where they decide
    something. Writes selection.csv, chosen.yaml (a config `simiop run`
    reads), optimise.html, candidates.png, values.csv and manifest.json into
    --out; run the same command again to resume an interrupted run, and
    `simiop reproduce DIR` to check it. See docs/optimise.md.
    """
    from simiop.atomic import OutputWriteError
    from simiop.config import ConfigError
    from simiop.experiments.evaluate import UnknownKpiError
    from simiop.experiments.executors import CellsLostError, ExecutorStartError, make_executor
    from simiop.experiments.manifest import command_line
    from simiop.optimisation.outputs import guarantee
    from simiop.optimisation.procedure import ObjectiveVariesError, UndefinedValueError
    from simiop.optimisation.runner import OptimiseFolderError, resolve
    from simiop.optimisation.runner import optimise as run_optimisation

    try:
        study = resolve(spec_path, seed=seed)
    except ConfigError as exc:
        fail(exc.lines())
    try:
        runner = make_executor(executor, jobs, scheduler)
    except ExecutorStartError as exc:
        executor_failure(exc, out_dir)
    started = time.perf_counter()
    try:
        with progress_bar("replications") as progress:
            found = run_optimisation(
                study, out_dir, runner, force=force, command=command_line(), progress=lambda n: progress(n, n)
            )
    except OptimiseFolderError as exc:
        fail([str(exc)])
    except ConfigError as exc:  # a screened candidate found invalid when first tried
        fail(exc.lines())
    except UnknownKpiError as exc:
        fail(
            [
                f"{spec_path}: {_field_of(study.spec, exc.kpi)}: no KPI named {exc.kpi!r} "
                "(allowed: a column of kpis.csv of a run)"
            ]
        )
    except ObjectiveVariesError as exc:
        name = study.names[exc.candidate]
        fail(
            [
                f"{spec_path}: objective.deterministic: true, but {exc}".replace(
                    f"candidate {exc.candidate}", name
                )
            ]
        )
    except UndefinedValueError as exc:
        kpi = "the objective" if exc.column == 0 else study.spec.constraints[exc.column - 1].kpi
        fail(
            [
                f"{spec_path}: {kpi} is undefined in replication {exc.replication} of "
                f"{study.names[exc.candidate]} (nothing to measure in a run this short?); choose another KPI "
                "or a longer horizon"
            ]
        )
    except OutputWriteError as exc:
        fail([str(exc)])
    except CellsLostError as exc:
        executor_failure(exc, out_dir)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: run the same command to resume into {out_dir}", err=True)
        sys.exit(INTERRUPTED)
    finally:
        runner.close()
    seconds = time.perf_counter() - started
    selection = found.selection
    click.echo(f"answer: {found.chosen or 'no candidate meets every target'}")
    click.echo(guarantee(study, selection, found.screened))
    used, over = selection.replications, len(study.names)
    if found.screened is not None:
        click.echo(
            f"screening: {found.screened.trials} trials tried {len(found.screened.tried)} candidates "
            f"({found.screened.replications} replications); {len(found.screened.shortlist)} short-listed"
        )
        used = sum(c.replications for c in selection.candidates if c.status != "screened_out")
        over = len(found.screened.shortlist)
    click.echo(
        f"replications: {used} over {over} candidates "
        f"({found.reused} reused from an earlier run, {found.simulated} simulated now) in {seconds:.0f} s"
    )
    click.echo(
        f"results in {out_dir}/ (optimise.html, selection.csv{', chosen.yaml' if found.chosen else ''})"
    )


def _field_of(spec: OptimiseSpec, kpi: str) -> str:
    """Where the optimisation file names ``kpi``: the objective or the first target that does."""
    objective = spec.objective
    if objective.kpi == kpi:
        return "objective.kpi"
    if objective.weights and kpi in objective.weights:
        return f"objective.weights.{kpi}"
    for index, target in enumerate(spec.constraints):
        if target.kpi == kpi:
            return f"constraints[{index}].kpi"
    return "kpis"
