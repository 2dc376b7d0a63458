"""Run an optimisation: resolve the candidates, feed the procedure from the simulation, write the results.

The simulation is the procedure's oracle: replication r of every candidate
runs with the same (seed, r), so candidates are compared with common random
numbers, through the in-memory evaluation (``simiop.experiments.evaluate``),
which places values by index: the results do not depend on the executor or
the number of workers. Every KPI value the procedure reads is written to
values.csv (atomically) as soon as its batch is back, so an interrupted run,
started again with the same command, reuses them and simulates only what is
missing. manifest.json records everything needed to run it again
(``simiop reproduce``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from simiop.atomic import write_text_atomic
from simiop.config import ConfigError, Problem, SimiopConfig, read_config_data, validate_config
from simiop.config.overrides import set_values
from simiop.experiments.decided import HORIZON, REPLICATIONS, SEED, horizon_way
from simiop.experiments.evaluate import UnknownKpiError, evaluate
from simiop.experiments.executors import Executor
from simiop.experiments.manifest import MANIFEST, read_manifest, sha256_of, versions
from simiop.experiments.plan import identity_key
from simiop.experiments.runner import OutputDirError
from simiop.optimisation.procedure import Constraint, Selection, Settings, select
from simiop.optimisation.screening import Screened, check_available, screen_and_select
from simiop.optimisation.spec import OptimiseSpec, read_spec

KIND = "optimise"
"""The manifest's ``kind`` for an optimisation's folder (a run's and an experiment's have a plan)."""
VALUES = "values.csv"
SELECTION = "selection.csv"
CHOSEN = "chosen.yaml"
REPORT = "optimise.html"
FIGURE = "candidates.png"
OUTPUTS = (VALUES, SELECTION, CHOSEN, REPORT, FIGURE)
"""Every file an optimisation writes besides manifest.json; the only ones it ever removes."""


class OptimiseFolderError(OutputDirError):
    """The output folder cannot take this optimisation's results (one line, naming the folder)."""


@dataclass(frozen=True)
class Study:
    """An optimisation resolved: the spec, the common config and every candidate's config."""

    name: str
    spec: OptimiseSpec
    common: SimiopConfig
    """The base config with the spec's set, horizon and seed: what every candidate starts from."""
    names: tuple[str, ...]
    changes: tuple[dict[str, Any], ...]
    configs: Sequence[SimiopConfig]
    """Every candidate's config: a tuple, or with a screening ``LazyConfigs`` (validated on first use)."""

    @property
    def seed(self) -> int:
        return self.common.simulation.seed

    def identity(self) -> dict[str, Any]:
        """Plain JSON from which the optimisation is rebuilt exactly (``from_identity``)."""
        return {
            "name": self.name,
            "spec": self.spec.model_dump(mode="json"),
            "common": self.common.model_dump(mode="json"),
        }

    def key(self) -> str:
        return identity_key(self.identity())

    def kpis(self) -> tuple[str, ...]:
        """Every KPI the objective and constraints read, each once, in the order first named."""
        names = [*self.spec.objective.kpis(), *(target.kpi for target in self.spec.constraints)]
        return tuple(dict.fromkeys(names))


def resolve(path: Path, *, seed: int | None = None) -> Study:
    """Read an optimisation file and build every candidate's config; ConfigError names every problem."""
    spec = read_spec(path)
    source = str(path)
    check_available(spec, source)
    base_path = Path(spec.base) if Path(spec.base).is_absolute() else (path.parent / spec.base).resolve()
    if not base_path.is_file():
        raise ConfigError(
            source, [Problem("base", "no such config file", repr(spec.base), "a path relative to this file")]
        )
    data = read_config_data(base_path)
    validate_config(data, str(base_path))
    data = set_values(data, spec.set, source, "set")
    horizon = spec.horizon_value()
    if horizon is not None:
        data = set_values(data, horizon_way(HORIZON, horizon), source, "horizon")
    chosen_seed = seed if seed is not None else spec.seed
    if chosen_seed is not None:
        data = set_values(data, {SEED: chosen_seed}, source, "seed")
    data = set_values(data, {REPLICATIONS: spec.first_stage}, source, "first_stage")
    common = validate_config(data, source)
    return build(path.stem, spec, common, source)


class LazyConfigs(Sequence[SimiopConfig]):
    """Candidates' configs validated when first read: a screened space may be too large to validate whole
    (about 10 ms a candidate), and the screening reads only the candidates it tries.

    Reading an invalid candidate raises ConfigError naming it.
    """

    def __init__(
        self, base: dict[str, Any], names: Sequence[str], changes: Sequence[dict[str, Any]], source: str
    ):
        self.base = base
        self.names = names
        self.changes = changes
        self.source = source
        self.made: dict[int, SimiopConfig] = {}

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, index: int) -> SimiopConfig: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SimiopConfig]: ...

    def __getitem__(self, index: int | slice) -> SimiopConfig | Sequence[SimiopConfig]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self.made:
            self.made[index] = _candidate_config(
                self.base, self.names[index], self.changes[index], self.source
            )
        return self.made[index]


def _candidate_config(base: dict[str, Any], name: str, changes: dict[str, Any], source: str) -> SimiopConfig:
    try:
        return validate_config(set_values(base, changes, source, f"candidate {name}"), source)
    except ConfigError as exc:
        raise ConfigError(
            source,
            [Problem(f"variables ({name}): {p.path}", p.message, p.got, p.allowed) for p in exc.problems][
                :20
            ],
        ) from None


def build(name: str, spec: OptimiseSpec, common: SimiopConfig, source: str) -> Study:
    """Every candidate's config from the common config; ConfigError lists every candidate's problems.

    With a screening the configs are validated when first read (``LazyConfigs``), after each
    variable's every level is checked once with the other variables at their first level.
    """
    base = common.model_dump(mode="json")
    if spec.screening is not None:
        cells = spec.candidates()
        every_name = tuple(cell for cell, _ in cells)
        every_change = tuple(dict(overrides) for _, overrides in cells)
        lazy = LazyConfigs(base, every_name, every_change, source)
        sizes = [len(variable.levels) for variable in spec.variables.values()]
        for position, size in enumerate(sizes):
            for level in range(size):
                index = 0
                for other, count in enumerate(sizes):
                    index = index * count + (level if other == position else 0)
                lazy[index]  # validates it
        return Study(name, spec, common, every_name, every_change, lazy)
    problems: list[Problem] = []
    configs: list[SimiopConfig] = []
    names: list[str] = []
    changes: list[dict[str, Any]] = []
    for candidate, overrides in spec.candidates():
        try:
            configs.append(
                validate_config(set_values(base, overrides, source, f"candidate {candidate}"), source)
            )
        except ConfigError as exc:
            problems += [
                Problem(f"variables ({candidate}): {p.path}", p.message, p.got, p.allowed)
                for p in exc.problems
            ]
            continue
        names.append(candidate)
        changes.append(dict(overrides))
    if problems:
        raise ConfigError(source, problems[:20])
    return Study(name, spec, common, tuple(names), tuple(changes), tuple(configs))


def from_identity(data: Mapping[str, Any], source: str) -> Study:
    """Rebuild the optimisation recorded in a manifest."""
    try:
        spec = OptimiseSpec.model_validate(data["spec"])
        check_available(spec, source)
        common = validate_config(data["common"], source)
        return build(str(data["name"]), spec, common, source)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(source, [Problem("", f"not a simiop optimisation manifest ({exc})")]) from None


# -- the oracle -------------------------------------------------------------------------------------


class SimulationOracle:
    """The procedure's oracle: KPI values from the simulation, kept in ``cache``, saved after each batch."""

    def __init__(
        self,
        problem: Study,
        executor: Executor,
        cache: dict[tuple[int, int], np.ndarray],
        save: Callable[[], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.problem = problem
        self.executor = executor
        self.cache = cache
        self.save = save
        self.progress = progress
        self.kpis = problem.kpis()
        self.simulated = 0
        spec = problem.spec
        objective = spec.objective
        self.levels = spec.levels()
        self.weights = {objective.kpi: 1.0} if objective.kpi is not None else dict(objective.weights or {})
        self.constraint_columns = [self.kpis.index(target.kpi) for target in spec.constraints]

    def __call__(self, wanted: Mapping[int, range]) -> dict[int, np.ndarray]:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, numbers in wanted.items():
            missing = tuple(r for r in numbers if (i, r) not in self.cache)
            if missing:
                groups.setdefault(missing, []).append(i)
        for replications, candidates in sorted(groups.items()):
            configs = {str(i): self.problem.configs[i] for i in candidates}
            found = evaluate(configs, replications, self.problem.seed, self.executor, kpis=list(self.kpis))
            for s, i in enumerate(candidates):
                for position, r in enumerate(replications):
                    self.cache[(i, r)] = np.array(found.values[s, position, :], dtype=float)
            self.simulated += len(replications) * len(candidates)
            self.save()
            if self.progress is not None:
                self.progress(self.simulated)
        return {i: np.vstack([self.row(i, r) for r in numbers]) for i, numbers in wanted.items()}

    def row(self, i: int, r: int) -> np.ndarray:
        """Candidate i's columns in replication r: the objective, then each constraint's KPI."""
        raw = self.cache[(i, r)]
        return np.array([self.objective(i, raw), *(raw[c] for c in self.constraint_columns)], dtype=float)

    def objective(self, i: int, raw: np.ndarray) -> float:
        variable = self.problem.spec.objective.variable
        if variable is not None:
            return float(self.levels[i][variable])
        return float(sum(weight * raw[self.kpis.index(kpi)] for kpi, weight in self.weights.items()))


def constraints_of(spec: OptimiseSpec) -> list[Constraint]:
    return [
        Constraint(column=1 + n, sense=t.sense, bound=t.bound, tolerance=t.tolerance, share=t.share)
        for n, t in enumerate(spec.constraints)
    ]


def settings_of(spec: OptimiseSpec) -> Settings:
    return Settings(
        alpha=1.0 - spec.confidence,
        delta=spec.indifference_zone or 0.0,
        goal=spec.objective.goal,
        first_stage=spec.first_stage,
        batch=spec.batch,
        max_replications=spec.max_replications,
        deterministic=spec.objective.is_deterministic(),
    )


# -- values.csv: the store that makes a run resumable ----------------------------------------------


def values_text(
    kpis: Sequence[str], cache: Mapping[tuple[int, int], np.ndarray], names: Sequence[str]
) -> str:
    """values.csv: one row per (candidate, replication) simulated, in that order; floats written exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["candidate", "replication", *kpis])
    for i, r in sorted(cache):
        writer.writerow([names[i], r, *(repr(float(v)) for v in cache[(i, r)])])
    return buffer.getvalue()


def read_values(path: Path, kpis: Sequence[str], names: Sequence[str]) -> dict[tuple[int, int], np.ndarray]:
    """The values an earlier run of the same optimisation saved; nothing if the file is absent or not ours."""
    index = {name: i for i, name in enumerate(names)}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError:
        return {}
    if not rows or rows[0] != ["candidate", "replication", *kpis]:
        return {}
    found: dict[tuple[int, int], np.ndarray] = {}
    for row in rows[1:]:
        try:
            found[(index[row[0]], int(row[1]))] = np.array([float(v) for v in row[2:]], dtype=float)
        except (KeyError, ValueError, IndexError):
            return {}
    return found


# -- the whole run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Optimisation:
    """What ``optimise`` found and wrote."""

    out: Path
    problem: Study
    selection: Selection
    reused: int
    """Replications taken from an earlier, interrupted run of the same optimisation."""
    simulated: int
    """Replications simulated now."""
    manifest: dict[str, Any]
    screened: Screened | None = None
    """What the screening tried and short-listed (None without a ``screening`` section)."""

    @property
    def chosen(self) -> str | None:
        """The chosen candidate's name, None when no candidate was declared feasible."""
        index = self.selection.chosen
        return None if index is None else self.problem.names[index]

    @property
    def chosen_config(self) -> SimiopConfig | None:
        """The chosen candidate's complete config (what chosen.yaml holds), None when none is feasible."""
        index = self.selection.chosen
        return None if index is None else self.problem.configs[index]


def claim(out: Path, key: str, force: bool) -> bool:
    """May ``out`` take this optimisation? True when it holds an earlier run of the same one (resume).

    A folder holding anything else is refused unless ``force``; then only the
    files an optimisation writes are removed.
    """
    if out.exists() and not out.is_dir():
        raise OptimiseFolderError(f"{out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return False
    document: dict[str, Any] | None = None
    if (out / MANIFEST).is_file():
        try:
            document = read_manifest(out)
        except ConfigError:
            document = None
    if document is not None and document.get("kind") == KIND and document.get("key") == key:
        return True
    if not force:
        raise OptimiseFolderError(
            f"{out}: holds other results (or another simiop version's); use --force to replace them, "
            "or choose another --out"
        )
    if document is not None and document.get("kind") == KIND:
        for name in (*OUTPUTS, MANIFEST):
            if (out / name).is_file():
                (out / name).unlink()
    return False


def optimise(
    problem: Study,
    out: Path,
    executor: Executor,
    *,
    force: bool = False,
    command: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Optimisation:
    """Run the procedure on ``problem`` into ``out`` (resuming an interrupted run of the same problem).

    Raises OptimiseFolderError before anything runs when ``out`` holds other
    results; ObjectiveVariesError / UndefinedValueError (simiop.optimisation.procedure)
    when the simulation contradicts the spec.
    """
    from simiop.optimisation.outputs import write_outputs

    key = problem.key()
    resuming = claim(out, key, force)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    kpis = problem.kpis()
    cache = read_values(out / VALUES, kpis, problem.names) if resuming else {}
    reused = len(cache)
    started = _now()

    def manifest(
        status: str, files: Mapping[str, str] | None = None, finished: str | None = None
    ) -> dict[str, Any]:
        document: dict[str, Any] = {
            "simiop_manifest": 1,
            "kind": KIND,
            "status": status,
            "key": key,
            "command": list(command),
            "versions": versions(),
            "executor": {"name": type(executor).__name__, "workers": executor.workers},
            "started": started,
            "finished": finished,
            "optimisation": problem.identity(),
            "files": dict(files or {}),
        }
        write_text_atomic(out / MANIFEST, json.dumps(document, indent=2) + "\n")
        return document

    manifest("running")

    def save() -> None:
        write_text_atomic(out / VALUES, values_text(kpis, cache, problem.names))

    oracle = SimulationOracle(problem, executor, cache, save, progress)
    prices = None
    if problem.spec.objective.variable is not None:
        prices = [float(levels[problem.spec.objective.variable]) for levels in problem.spec.levels()]
    constraints = constraints_of(problem.spec)
    settings = settings_of(problem.spec)
    screened: Screened | None = None
    try:
        if problem.spec.screening is None:
            selection = select(len(problem.configs), constraints, settings, oracle, prices)
        else:
            selection, screened = screen_and_select(
                problem.spec, len(problem.configs), constraints, settings, oracle, prices
            )
    except UnknownKpiError:
        if not resuming and not cache:  # nothing stored: leave no claim, so the fixed file can use --out
            (out / MANIFEST).unlink(missing_ok=True)
            (out / VALUES).unlink(missing_ok=True)
            if created and not any(out.iterdir()):
                out.rmdir()
        raise
    save()
    written = write_outputs(out, problem, selection, screened)
    files = {name: sha256_of(out / name) for name in sorted({VALUES, *written})}
    document = manifest("complete", files, _now())
    return Optimisation(out, problem, selection, reused, oracle.simulated, document, screened)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_file(
    path: Path,
    out: Path,
    executor: Executor,
    *,
    seed: int | None = None,
    force: bool = False,
    command: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> Optimisation:
    """``optimise`` on an optimisation file."""
    return optimise(resolve(path, seed=seed), out, executor, force=force, command=command, progress=progress)


__all__ = [
    "CHOSEN",
    "KIND",
    "OUTPUTS",
    "SELECTION",
    "VALUES",
    "Optimisation",
    "OptimiseFolderError",
    "Study",
    "evaluate",
    "from_identity",
    "optimise",
    "resolve",
    "run_file",
]
