"""The Python API: everything the command line does, as functions for notebooks and scripts.

The command line is a thin shell over these functions, so a notebook and a
terminal given the same config, seed and replications write byte-identical
result folders. Results always live on disk (a folder you name, or a fresh
temporary one), never only in memory: a notebook's run can be reported,
reproduced and shared like any other. The one exception is ``evaluate``, for
code that calls the model many times and wants only the KPI values.

>>> import simiop
>>> config = simiop.load_config(simiop.example_config(), changes={"simulation.horizon_days": 60})
>>> config.simulation.horizon_days
60.0
>>> results = simiop.run(config, replications=2, jobs=1, report=False)
>>> results.scenarios
['base']
>>> results.mean("referrals") > 0
True
>>> low, high = results.interval("referrals")
>>> low <= results.mean("referrals") <= high
True
>>> lowest, highest = results.outcome_range("referrals")
>>> 0 <= lowest <= low and high <= highest
True
"""

from __future__ import annotations

import importlib
import operator
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simiop.config import ConfigError, Problem, SimiopConfig, validate_config
from simiop.config import load_config as _load_config_file
from simiop.config.durations import duration_days
from simiop.config.overrides import overlap_problems, set_values, split_path
from simiop.experiments.decided import (
    HORIZON,
    HORIZON_WAYS,
    REPLICATIONS,
    SEED,
    UNTIL,
    horizon_clears,
    horizon_way,
)
from simiop.experiments.plan import Plan, experiment_plan, parse_tables, run_plan_for
from simiop.report.data import number
from simiop.results.stats import Summary
from simiop.results.summary import kpi_summary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simiop.calibrate.reproduce import CalibrationReproduction
    from simiop.experiments.evaluate import Evaluation
    from simiop.experiments.reproduce import Reproduction
    from simiop.optimisation.reproduce import OptimiseReproduction
    from simiop.optimisation.runner import Optimisation
    from simiop.report.build import Report
    from simiop.report.data import ResultFolder
    from simiop.results.budget import Budget

Progress = Callable[[int, int], None]
"""Called with (cells finished, cells in the plan) as cells finish, e.g. to drive a progress bar."""

Rows = Any
"""A pandas DataFrame when pandas is installed, else a list of dicts (one per row)."""


def example_config() -> Path:
    """The example clinic shipped with simiop (the same as configs/baseline.yaml), to start from."""
    return Path(str(resources.files("simiop").joinpath("templates/clinic.yaml")))


def load_config(path: str | Path, changes: Mapping[str, Any] | None = None) -> SimiopConfig:
    """Read and validate a config file, with ``changes`` ({"tracks.day.groups": 3, ...}) applied first.

    Changes are checked by exactly the rules of the file: a misspelt path or a
    value out of bounds raises ``simiop.ConfigError`` naming the field. A file
    that is missing, unreadable, not YAML or not a clinic config (an experiment
    file, a manifest) raises ``ConfigError`` too, with every problem as one
    line (``str(error)``), as ``simiop validate`` prints them.
    """
    config = _load_config_file(path)
    return with_changes(config, changes) if changes else config


def with_changes(config: SimiopConfig, changes: Mapping[str, Any]) -> SimiopConfig:
    """A copy of ``config`` with ``changes`` ({"field.path": value}) applied and validated again.

    A change of one way of ending the run (``simulation.fiscal_years``,
    ``until`` or ``horizon_days``) replaces the config's way, as ``--set`` does.
    """
    data = set_values(config.model_dump(mode="json"), {**horizon_clears(changes), **changes}, "<changes>")
    return validate_config(data, "<changes>")


def _with_arguments(
    config: SimiopConfig, changes: dict[str, Any], given: dict[str, Any], labels: dict[str, str]
) -> SimiopConfig:
    """``config`` with ``changes`` and the arguments (horizon, seed, replications) that feed it.

    An argument and a change that set the same field are refused naming both,
    as ``--seed`` and ``--set simulation.seed`` are on the command line.
    """
    if not changes and not given:
        return config
    entries = [(labels[path], split_path(path)) for path in given]
    for path in changes:
        try:
            entries.append((f"changes[{path!r}]", split_path(str(path).strip())))
        except ValueError:
            continue  # reported below with what is allowed
    clashes = overlap_problems(entries)
    if clashes:
        raise ConfigError("arguments", clashes)
    clears = {} if any(path in given for path in HORIZON_WAYS) else horizon_clears(changes)
    data = set_values(config.model_dump(mode="json"), {**clears, **changes, **given}, "<changes>")
    return validate_config(data, "<changes>")


def _horizon(horizon: str | float | None) -> str | float | None:
    """Days, or a duration checked here and passed on as written: the config counts calendar years (3y)
    from its opening date. ValueError when the text is not a duration."""
    if isinstance(horizon, str):
        duration_days(horizon)
        return horizon.strip()
    return None if horizon is None else float(horizon)


def _horizon_arguments(horizon: str | float | None, until: str | None) -> dict[str, Any]:
    """The config fields ``horizon`` or ``until`` set (clearing the config's other ways of ending the run)."""
    if horizon is not None and until is not None:
        raise ConfigError(
            "arguments",
            [Problem(f"horizon={horizon!r}", f"given with until={until!r}: the run ends one way; give one")],
        )
    if until is not None:
        return horizon_way(UNTIL, str(until))
    days = _horizon(horizon)
    return {} if days is None else horizon_way(HORIZON, days)


def run(
    config: SimiopConfig | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
    until: str | None = None,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    tables: str | Sequence[str] = "all",
    report: bool = True,
    force: bool = False,
    name: str | None = None,
    changes: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    command: Sequence[str] = (),
) -> Results:
    """Simulate one clinic ``replications`` times (default: the config's) into ``out``; read the results.

    ``config`` is a SimiopConfig or a config file. ``horizon`` is a duration
    ("3y": three calendar years from opening, "18m", "26w") or days; ``until``
    instead, the run's last day, inclusive ("2030-06-30"). ``out`` defaults to a new temporary folder.
    ``jobs`` worker processes (None: every core) never change the results,
    nor does ``executor`` ("processes", "serial", or "dask": a local Dask
    cluster of ``jobs`` workers, or the running one at ``scheduler``, e.g.
    "tcp://10.0.0.5:8786"; see docs/dask.md).
    ``changes`` are applied to the config and recorded in the manifest, and
    so is ``command``, what made the run (the command line's words; the web
    app's own, which its clean-up looks for: simiop.app.cache).
    ``tables`` are the per-replication tables kept ("all", "none", or some of
    episodes, daily, staff, sessions, bookings; kpis.csv and periods.csv are
    always written); ``report=False`` skips report.html and figures/;
    ``name`` is the scenario's name (default: the file's stem, or "run");
    ``progress`` is called with (cells finished, cells in the plan).

    Raises ``ConfigError`` for a bad config or ``changes``, and for an
    argument that sets a field ``changes`` sets too (``seed`` and
    ``simulation.seed``), or ``horizon`` with ``until``; ValueError for a
    ``horizon`` that is not a duration or unknown ``tables``;
    ``OutputDirError`` (simiop.experiments.runner), before anything is
    written, when ``out`` holds another plan's results and ``force`` is
    False; and whatever ``execute`` raises.
    """
    if not isinstance(config, SimiopConfig):
        name = name or Path(config).stem
        config = load_config(config)
    ends = _horizon_arguments(horizon, until)
    given = {**ends, SEED: seed, REPLICATIONS: replications}
    given = {path: value for path, value in given.items() if value is not None or path in ends}
    ended_by = f"until={until!r}" if until is not None else f"horizon={horizon!r}"
    labels = {
        **dict.fromkeys(HORIZON_WAYS, ended_by),
        SEED: f"seed={seed!r}",
        REPLICATIONS: f"replications={replications!r}",
    }
    config = _with_arguments(config, dict(changes or {}), given, labels)
    recorded = {**(changes or {}), **{path: value for path, value in ends.items() if value is not None}}
    plan = run_plan_for(config, name or "run", changes=recorded, tables=parse_tables(tables))
    return execute(
        plan,
        out,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        force=force,
        report=report,
        command=command,
        progress=progress,
    )


def run_experiment(
    path: str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    horizon: str | float | None = None,
    until: str | None = None,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    tables: str | Sequence[str] = "all",
    report: bool = True,
    force: bool = False,
    progress: Progress | None = None,
) -> Results:
    """Run every scenario of an experiment file with common random numbers; arguments override the file.

    ``horizon`` (a duration or days) or ``until`` (the last day, inclusive) replaces the file's horizon.
    Other arguments are as for ``run``. Raises ``ConfigError`` for a bad experiment file (or a clinic
    config given instead, naming the command that reads it) and otherwise as ``run`` does."""
    _horizon_arguments(horizon, until)  # refuses both at once
    plan = experiment_plan(
        Path(path),
        seed=seed,
        replications=replications,
        horizon_days=_horizon(horizon),
        until=None if until is None else str(until),
        tables=parse_tables(tables),
    )
    return execute(
        plan,
        out,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        force=force,
        report=report,
        progress=progress,
    )


def execute(
    plan: Plan,
    out: str | Path | None,
    *,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    force: bool = False,
    report: bool = True,
    command: Sequence[str] = (),
    progress: Progress | None = None,
) -> Results:
    """Run a plan's unfinished cells into ``out`` (resuming an interrupted run), then its report.

    Raises ``ExecutorStartError`` (simiop.experiments.executors) before
    anything is written when the executor cannot start as asked, and
    ``CellsLostError`` when workers die (the process pool's or a cluster's):
    the finished cells are kept, so calling again resumes. Worker processes
    import the main script again, so a script calls this (and ``run``,
    ``run_experiment``, ``reproduce``) under ``if __name__ == "__main__":``;
    called from a script's unguarded top level it stops before starting them,
    with one line saying so (``UnguardedScriptError``, a ``SystemExit``).
    """
    from simiop.experiments.executors import make_executor
    from simiop.experiments.runner import run_plan

    runner = make_executor(executor, jobs, scheduler)
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"simiop-{plan.name}-"))
    try:
        outcome = run_plan(plan, folder, runner, force=force, command=command, progress=progress)
    finally:
        runner.close()
    results = Results(
        folder,
        cells_run=outcome.cells_run,
        cells_kept=outcome.cells_kept,
        groups_scheduled=outcome.groups_scheduled,
    )
    if report:
        results.report()
    return results


def evaluate(
    configs: Mapping[str, SimiopConfig | str | Path] | Sequence[SimiopConfig | str | Path] | SimiopConfig,
    *,
    replications: int | Iterable[int] | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    kpis: Sequence[str] | None = None,
    daily_census: bool = False,
    progress: Progress | None = None,
) -> Evaluation:
    """Every KPI of every scenario and replication, in memory: ``values[scenario, replication, kpi]``.

    For code that calls the model many times and wants numbers, not result
    folders (an optimiser, a sensitivity analysis): nothing is written.
    ``configs`` maps scenario names to configs or config files (a list is
    named "0", "1", ...; one config is "base"). Every scenario runs
    replications 0 to ``replications`` - 1 (default: the first config's
    ``simulation.replications``), or the replication numbers given, with the
    same ``seed`` (default: the first config's), so differences between
    scenarios are paired (common random numbers). ``jobs``, ``executor`` and
    ``scheduler`` are as for ``run`` and never change the values. ``kpis``
    keeps only those KPIs, in that order. Bad arguments (``jobs`` too) raise
    ValueError or TypeError, with one line naming the argument, before any
    worker starts; an executor that cannot start as asked (a scheduler
    without Dask, no cluster there) raises ``ExecutorStartError`` as for
    ``run``.

    >>> import simiop
    >>> config = simiop.load_config(simiop.example_config(), changes={"simulation.horizon_days": 30})
    >>> smaller = simiop.with_changes(config, {"tracks.day.group_size.max": 6})
    >>> scenarios = {"base": config, "smaller": smaller}
    >>> found = simiop.evaluate(scenarios, replications=2, jobs=1, kpis=["admissions"])
    >>> found.values.shape
    (2, 2, 1)
    >>> found.scenarios, found.replications, found.kpis
    (('base', 'smaller'), (0, 1), ('admissions',))
    """
    from simiop.experiments.evaluate import check_arguments, named_scenarios
    from simiop.experiments.evaluate import evaluate as evaluate_in_memory
    from simiop.experiments.executors import make_executor

    def read(config: SimiopConfig | str | Path) -> SimiopConfig:
        return load_config(config) if isinstance(config, (str, Path)) else config  # others: refused below

    named: object
    if isinstance(configs, SimiopConfig):
        named = configs
    elif isinstance(configs, Mapping):
        named = {name: read(config) for name, config in configs.items()}
    elif isinstance(configs, (str, Path)):
        named = read(configs)
    elif isinstance(configs, Iterable) and not isinstance(configs, bytes):
        named = [read(config) for config in configs]
    else:
        named = configs  # not configs at all: refused below, naming the argument
    # Types first: the defaults below read the first config's attributes.
    first = named_scenarios(named)[0][1]
    if replications is None:
        replications = first.simulation.replications
    elif isinstance(replications, Iterable) and not isinstance(replications, (str, bytes)):
        replications = tuple(replications)  # read once: a generator is empty the second time
    if seed is None:
        seed = first.simulation.seed
    check_arguments(named, replications, seed, kpis)
    runner = make_executor(executor, _jobs(jobs), scheduler)
    try:
        return evaluate_in_memory(
            named, replications, seed, runner, kpis=kpis, daily_census=daily_census, progress=progress
        )
    finally:
        runner.close()


def _jobs(jobs: int | None) -> int | None:
    """``evaluate``'s ``jobs``, refused as its other arguments are: a ValueError or TypeError.

    (``make_executor`` raises ExecutorStartError, which the command line reports as ``--jobs``.)
    """
    allowed = "allowed a whole number >= 1, or None for every core"
    if jobs is None:
        return None
    if isinstance(jobs, bool):
        raise TypeError(f"jobs: got {jobs!r}; {allowed}")
    try:
        count = operator.index(jobs)
    except TypeError:
        raise TypeError(f"jobs: got {jobs!r}; {allowed}") from None
    if count < 1:
        raise ValueError(f"jobs: got {count}; {allowed}")
    return count


def optimise(
    spec: str | Path,
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    force: bool = False,
) -> Optimisation:
    """The best candidate of an optimisation file that meets every target, with its guarantee.

    Reads ``spec`` (see docs/optimise.md), compares its candidates with common
    random numbers by the sequential procedures of
    ``simiop.optimisation.procedure`` and writes selection.csv, chosen.yaml,
    optimise.html, candidates.png, values.csv and manifest.json into ``out``
    (default: a new temporary folder); an interrupted run into the same
    ``out`` resumes. ``jobs``, ``executor`` and ``scheduler`` are as for
    ``run`` and never change the answer. Raises ``ConfigError`` for a bad
    file, ``OptimiseFolderError`` when ``out`` holds other results (unless
    ``force``), and ``ObjectiveVariesError`` / ``UndefinedValueError``
    (``simiop.optimisation.procedure``) when the simulation contradicts the file.
    As for ``run``, a script calls it under ``if __name__ == "__main__":``.
    """
    from simiop.experiments.executors import make_executor
    from simiop.optimisation.runner import optimise as run_optimisation
    from simiop.optimisation.runner import resolve

    study = resolve(Path(spec), seed=seed)
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"simiop-{study.name}-"))
    runner = make_executor(executor, _jobs(jobs), scheduler)
    try:
        return run_optimisation(study, folder, runner, force=force)
    finally:
        runner.close()


def open_results(out: str | Path) -> Results:
    """The results in a finished result folder (from the command line, this API, or another machine).

    Raises ``ConfigError`` when ``out`` holds no readable ``manifest.json`` (not a result folder).
    """
    results = Results(Path(out))
    results.folder  # noqa: B018 - read now, so a folder that is not a result fails here and not later
    return results


def reproduce(
    source: str | Path,
    out: str | Path | None = None,
    jobs: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
) -> Reproduction | OptimiseReproduction | CalibrationReproduction:
    """Re-run a result folder from its manifest alone into ``out`` and compare every file's checksum.

    Any executor reproduces any other's results (``executor`` and
    ``scheduler`` as for ``run``). ``out`` defaults to ``SOURCE-reproduced``
    beside the source. ``source`` may be a run or experiment folder
    (``Reproduction``), a sensitivity study, an optimisation
    (``OptimiseReproduction``) or a calibration (``CalibrationReproduction``);
    each answer has ``identical`` (every file matches) and one check per file.
    Raises ``ConfigError`` when ``source`` is not a result folder, and
    ``OutputDirError`` (simiop.experiments.runner) when its run did not finish
    or ``out`` is the source or inside it.
    """
    from simiop.experiments.executors import make_executor
    from simiop.experiments.reproduce import default_out
    from simiop.experiments.reproduce import reproduce as reproduce_folder

    original = Path(source)
    target = Path(out) if out is not None else default_out(original)
    runner = make_executor(executor, jobs, scheduler)
    try:
        return reproduce_folder(original, target, runner)
    finally:
        runner.close()


def _frame(rows: list[dict[str, Any]]) -> Rows:
    """A DataFrame for notebooks when pandas is there; plain rows otherwise (pandas is optional)."""
    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def _typed(rows: Iterable[dict[str, str]]) -> list[dict[str, Any]]:
    """CSV rows with numeric columns as floats (empty and 'nan' as NaN) and the rest as text."""
    rows = list(rows)
    numeric = {
        name
        for name in (rows[0] if rows else {})
        if all(_is_number(row[name]) for row in rows) and any(row[name] not in ("", "nan") for row in rows)
    }
    return [{k: (number(v) if k in numeric else v) for k, v in row.items()} for row in rows]


def _is_number(text: str) -> bool:
    try:
        number(text)
    except ValueError:
        return False
    return True


@dataclass
class Results:
    """A result folder, read lazily: tables, KPI means and intervals, figures, headline and report."""

    out: Path
    cells_run: int = 0
    cells_kept: int = 0
    _folder: ResultFolder | None = field(default=None, repr=False)
    groups_scheduled: dict[str, list[dict[str, float]]] = field(default_factory=dict, repr=False)
    """Scenario -> each replication's scheduled group-days by track, as the run that just ended made
    them (for "what limits the clinic" without reading daily.csv back); empty when read from a folder."""

    @property
    def folder(self) -> ResultFolder:
        if self._folder is None:
            from simiop.report.data import load

            self._folder = load(self.out)
        return self._folder

    @property
    def plan(self) -> Plan:
        return self.folder.plan

    @property
    def scenarios(self) -> list[str]:
        return [scenario.name for scenario in self.plan.scenarios]

    def _scenario(self, scenario: str | None) -> str:
        name = scenario or self.folder.base.name
        if name not in self.scenarios:
            raise KeyError(f"no scenario {name!r}; scenarios are {', '.join(self.scenarios)}")
        return name

    def values(self, kpi: str, scenario: str | None = None) -> list[float]:
        """The KPI's value in each replication, in replication order.

        KeyError for a KPI or scenario the folder does not hold (docs/outputs.md lists the KPIs).
        """
        name = self._scenario(scenario)
        if (name, kpi) not in self.folder.kpi_values:
            known = sorted({k for s, k in self.folder.kpi_values if s == name})
            raise KeyError(
                f"no KPI {kpi!r}; see docs/outputs.md or results.summary() for the {len(known)} KPIs"
            )
        return list(self.folder.kpi_values[(name, kpi)])

    def summarised(self, kpi: str, scenario: str | None = None) -> Summary:
        """The KPI's row of summary.csv, from its values: n, mean, sd, both intervals, clipping, flags.

        ``flags`` holds ``few_replications`` (fewer than
        ``simiop.results.stats.MIN_REPLICATIONS`` values) and ``wide_ci`` (a CI
        wider than ``WIDE_CI_SHARE`` of the mean); ``clipped`` the bounds moved
        to what the KPI can take (a count is never below 0, a share above 1).
        """
        return kpi_summary(kpi, self.values(kpi, scenario))

    def mean(self, kpi: str, scenario: str | None = None) -> float:
        """Mean across replications (of the finite values), as in summary.csv."""
        return self.summarised(kpi, scenario).mean

    def interval(self, kpi: str, scenario: str | None = None) -> tuple[float, float]:
        """The 95% t confidence interval of the mean, as in summary.csv (NaN with fewer than 2 values).

        How precisely the replications pin down the average: it narrows as
        replications are added. For where one future's value may fall, see
        ``outcome_range``. Bounds are clipped to what the KPI can take.
        """
        summary = self.summarised(kpi, scenario)
        return summary.ci95_low, summary.ci95_high

    def outcome_range(self, kpi: str, scenario: str | None = None) -> tuple[float, float]:
        """The 95% outcome range, as in summary.csv: where one replication's value falls 95 times in 100.

        A t prediction interval, mean +- t(0.975, n-1) * sd * sqrt(1 + 1/n),
        clipped to what the KPI can take; it does not shrink with more
        replications. NaN with fewer than 2 values.
        """
        summary = self.summarised(kpi, scenario)
        return summary.outcome95_low, summary.outcome95_high

    def _csv(self, name: str) -> list[dict[str, Any]]:
        from simiop.report.data import read_rows

        path = self.out / name
        return _typed(read_rows(path)) if path.is_file() else []

    def summary(self, kpis: Iterable[str] | None = None) -> Rows:
        """summary.csv: per scenario and KPI, n, mean, sd, the 95% CI of the mean, the 95% outcome range,
        the bounds clipped to possible values and the flags (only ``kpis`` if given)."""
        wanted = set(kpis) if kpis is not None else None
        return _frame([row for row in self._csv("summary.csv") if wanted is None or row["kpi"] in wanted])

    def kpis(self) -> Rows:
        """kpis.csv: every KPI of every replication of every scenario (long format)."""
        return _frame(self._csv("kpis.csv"))

    def comparison(self) -> Rows:
        """comparison.csv: each scenario's paired differences from the base (experiments only; else empty)."""
        return _frame(self._csv("comparison.csv"))

    def projections(self, kind: str = "fiscal_year", scenario: str | None = None) -> Rows:
        """projections.csv rows of one kind of period (month, quarter, fiscal_year, programme_year, or
        grant_period: the budget's total over the run's fiscal years).

        Each metric's mean with its 95% CI of the mean (``ci95_low``, ``ci95_high``)
        and its 95% outcome range (``outcome95_low``, ``outcome95_high``), as in summary.csv. Fiscal years
        and the grant period also hold the grant budget's lines (``budget_*``, as ``budget()`` has them).
        ValueError for another ``kind``, KeyError for an unknown scenario.
        """
        from simiop.results.budget import GRANT_PERIOD
        from simiop.results.periods import PERIOD_KINDS

        kinds = (*PERIOD_KINDS, GRANT_PERIOD)
        if kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)}, not {kind!r}")
        name = self._scenario(scenario)
        rows = self._csv("projections.csv")
        return _frame([row for row in rows if row["period_kind"] == kind and row["scenario"] == name])

    def budget(self, scenario: str | None = None) -> Budget:
        """The grant budget of one scenario (default: the base): ``simiop budget``'s figures per fiscal year
        and in total, each a mean with its 95% CI and outcome range (``Budget.rows``), and the paragraph of
        assumptions (``Budget.assumptions``); ``simiop.results.budget.render`` prints it. KeyError for an
        unknown scenario."""
        from simiop.results.budget import scenario_budget

        name = self._scenario(scenario)
        chosen = next(s for s in self.plan.scenarios if s.name == name)
        return scenario_budget(self.out, chosen, self.plan.replications)

    def table(self, table: str, replication: int = 0, scenario: str | None = None) -> Rows:
        """One replication's episodes, daily, staff, sessions, bookings, kpis or periods table.

        FileNotFoundError when the run did not keep that table (``tables``), KeyError for another name
        or an unknown scenario.
        """
        from simiop.experiments.cells import cell_dir
        from simiop.experiments.plan import KNOWN_TABLES
        from simiop.report.data import read_rows

        names = (*KNOWN_TABLES, "kpis", "periods")  # kpis.csv and periods.csv: every cell writes them
        if table not in names:
            raise KeyError(f"no table {table!r}; tables are {', '.join(names)}")
        path = cell_dir(self.out, self._scenario(scenario), replication) / f"{table}.csv"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: not kept (tables kept: {', '.join(self.plan.tables) or 'none'})"
            )
        return _frame(_typed(read_rows(path)))

    def figure_names(self) -> list[str]:
        """Names of the figures this result can draw (the report's figures)."""
        from simiop.report.build import compares_scenarios
        from simiop.report.experiment_figures import experiment_figures
        from simiop.report.run_figures import RUN_FIGURES

        names = [draw.__name__ for draw in RUN_FIGURES]
        if compares_scenarios(self.folder):
            names = [draw.__name__ for draw in experiment_figures(self.folder)] + names
        return names

    def figure(self, name: str, scenario: str | None = None) -> Figure:
        """Draw one of the report's figures (for a scenario: its run figures); notebooks show it inline.

        ``name`` is one of ``figure_names()``: KeyError for another (or an unknown scenario), ValueError
        (saying why) when the folder cannot support that figure, e.g. a table it needs was not kept.
        """
        from simiop.report.experiment_figures import EXPERIMENT_FIGURES
        from simiop.report.figure import NotDrawn, drawing
        from simiop.report.run_figures import RUN_FIGURES

        folder = self.folder
        chosen = next((s for s in self.plan.scenarios if s.name == self._scenario(scenario)), folder.base)
        with drawing():
            if (run_figure := next((d for d in RUN_FIGURES if d.__name__ == name), None)) is not None:
                drawn = run_figure(folder, chosen)
            elif experiment_figure := next((d for d in EXPERIMENT_FIGURES if d.__name__ == name), None):
                drawn = experiment_figure(folder)
            else:
                raise KeyError(f"no figure {name!r}; figures are {', '.join(self.figure_names())}")
        if isinstance(drawn, NotDrawn):
            raise ValueError(f"{drawn.title}: {drawn.reason}")
        return drawn.figure

    def headline(self) -> str:
        """The report's plain-language headline, written from these results."""
        from simiop.report.build import compares_scenarios
        from simiop.report.headline import experiment_sentences, scenario_sentences

        folder = self.folder
        sentences = (
            experiment_sentences(folder)
            if compares_scenarios(folder)
            else scenario_sentences(folder, folder.base)
        )
        return " ".join(sentences)

    def report(self) -> Path:
        """Draw the figures and write report.html (as `simiop report`); returns the page's path."""
        return self.build_report().html

    def build_report(self) -> Report:
        """The report as built: its page, its figures and those the folder could not support."""
        from simiop.report.build import build_report

        return build_report(self.out, self.folder)

    def _repr_html_(self) -> str:
        """In a notebook: the headline and the path of the results."""
        from simiop.report.html import esc

        return f"<p>{esc(self.headline())}</p><p><small>results in {esc(self.out)}</small></p>"
