"""Sensitivity and uncertainty analysis: which uncertain inputs drive the KPIs, how sure the projections are.

``simiop sensitivity SPEC --out DIR`` and ``simiop.sensitivity.run_sensitivity``
read a sensitivity file (``spec.py``), sample its inputs (``design.py``),
simulate every point with common random numbers (``run.py``), analyse the
values (``analysis.py``: OAT, Morris, Sobol', PSA) and write the tables
(``tables.py``) and the figures and report (``report.py``). See
docs/sensitivity.md for the methods and their sources.

SALib (the optional extra ``sensitivity``) is needed for morris and sobol.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from simiop.sensitivity.run import Progress, SensitivityOutcome, run_study
from simiop.sensitivity.study import Study, read_study


def run_sensitivity(
    spec: str | Path,
    out: str | Path | None = None,
    *,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    force: bool = False,
    report: bool = True,
    command: tuple[str, ...] = (),
    progress: Progress | None = None,
    replications: int | None = None,
    horizon: str | float | None = None,
    seed: int | None = None,
    samples: int | None = None,
) -> SensitivityOutcome:
    """Run the sensitivity file ``spec`` into ``out`` (a new temporary folder by default).

    ``replications``, ``horizon`` (a duration such as "1y", or days), ``seed``
    and ``samples`` replace the file's values when given.

    Resumes an interrupted run of the same study (stored replications are
    kept). ``jobs``, ``executor`` and ``scheduler`` are as for ``simiop.run``
    and never change the values. Raises ConfigError for a bad file (naming
    its field), OutputDirError for a folder holding other results,
    ExecutorStartError when the executor cannot start. A script calls this
    under ``if __name__ == "__main__":`` (worker processes import it again).
    """
    given = {"replications": replications, "horizon": horizon, "seed": seed, "samples": samples}
    study = read_study(Path(spec), given)
    return run_study_into(
        study,
        out,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        force=force,
        report=report,
        command=command,
        progress=progress,
    )


def run_study_into(
    study: Study,
    out: str | Path | None,
    *,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    force: bool = False,
    report: bool = True,
    command: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> SensitivityOutcome:
    """As ``run_sensitivity`` for a study already read (e.g. rebuilt from a manifest)."""
    from simiop.experiments.executors import make_executor

    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"simiop-{study.name}-"))
    runner = make_executor(executor, jobs, scheduler)
    try:
        outcome = run_study(study, folder, runner, force=force, command=command, progress=progress)
    finally:
        runner.close()
    if report:
        from simiop.sensitivity.report import write_report

        write_report(outcome)
    return outcome


__all__ = ["SensitivityOutcome", "Study", "read_study", "run_sensitivity", "run_study_into"]
