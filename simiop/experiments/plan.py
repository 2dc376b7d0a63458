"""A plan: the fully resolved scenarios of a run or an experiment, with seed, replications and tables.

The plan, not the experiment file, is what runs and what the manifest
records: every scenario's complete config (defaults filled in), so a result
directory can be re-run without the files it came from, and two result
directories can be compared by the key of their plans.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

import simiop
from simiop.config import ConfigError, Problem, SimiopConfig, read_config_data, validate_config
from simiop.config.errors import problems_from, show_value
from simiop.config.loader import manifest_hint, validate_changed
from simiop.config.overrides import Override, overlaps, set_values, split_path, value_at
from simiop.experiments.decided import (
    HORIZON,
    HORIZON_WAYS,
    REPLICATIONS,
    SEED,
    UNTIL,
    horizon_way,
    spec_problems,
)
from simiop.experiments.spec import BASE_SCENARIO, ExperimentSpec, grid_cells

TABLES = ("episodes", "daily", "staff", "sessions")
OPTIONAL_TABLES = ("bookings",)
"""Tables kept only when named (not by 'all'): bookings.csv is the input of `simiop export-extract
--bookings`, not a result, and 'all' keeps the files (and plan keys) of runs made before it."""
KNOWN_TABLES = (*TABLES, *OPTIONAL_TABLES)


def parse_tables(tables: str | Sequence[str]) -> tuple[str, ...]:
    """'all' (TABLES), 'none', a comma list or a sequence of table names (KNOWN_TABLES), in that order.

    The order is normalised because the tables are part of the plan key: asking
    for "staff,daily" and "daily,staff" must resume the same result folder.
    ValueError names what is allowed.
    """
    if isinstance(tables, str):
        if tables == "all":
            return TABLES
        if tables == "none":
            return ()
        names = tuple(part.strip() for part in tables.split(",") if part.strip())
    else:
        names = tuple(tables)
    unknown = [name for name in names if name not in KNOWN_TABLES]
    if unknown or (isinstance(tables, str) and not names):
        raise ValueError(
            f"{tables!r}: allowed all, none or a comma list of {', '.join(KNOWN_TABLES)} "
            f"(all: {', '.join(TABLES)})"
        )
    return tuple(name for name in KNOWN_TABLES if name in names)


"""Per-replication tables that can be kept besides kpis.csv and periods.csv, which are always written."""

Kind = Literal["run", "experiment"]


def identity_key(identity: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``identity`` with the simiop version, as canonical JSON (sorted keys, no spaces).

    Every kind of result folder (a plan's, a sensitivity study's, an optimisation's, the app's runs)
    names what decides its files this way, so equal keys mean the same files and a new simiop
    version never reuses an old folder's results.
    """
    text = json.dumps({"simiop": simiop.__version__, **identity}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ScenarioPlan:
    """One scenario: its name, what it changes and the config that results."""

    name: str
    config: SimiopConfig
    description: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict)
    """Overrides relative to the base config, for people reading the manifest and reports.

    Each is recorded with the value the config holds after validation, so a
    field the validator normalises (``--horizon 7m`` = 212.9 days runs 213)
    is listed with the value the cells ran, not the one typed.
    """

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", _as_run(self.config, self.changes))


@dataclass(frozen=True)
class Plan:
    """Everything that determines the output files of a run or an experiment."""

    kind: Kind
    name: str
    scenarios: tuple[ScenarioPlan, ...]
    seed: int
    replications: int
    tables: tuple[str, ...] = TABLES
    compare_to: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        names = [scenario.name for scenario in self.scenarios]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"scenario names must be present and distinct: {names}")
        if self.compare_to is not None and self.compare_to not in names:
            raise ValueError(f"compare_to {self.compare_to!r} is not a scenario")
        unknown = set(self.tables) - set(KNOWN_TABLES)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}; allowed {KNOWN_TABLES}")

    def cells(self) -> list[tuple[ScenarioPlan, int]]:
        """Every (scenario, replication), replication-major so a partial run covers every scenario."""
        return [(scenario, r) for r in range(self.replications) for scenario in self.scenarios]

    def identity(self) -> dict[str, Any]:
        """Plain JSON data from which the plan can be rebuilt exactly (see ``from_identity``)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "replications": self.replications,
            "tables": list(self.tables),
            "compare_to": self.compare_to,
            "scenarios": [
                {
                    "name": s.name,
                    "description": s.description,
                    "changes": dict(s.changes),
                    "config": s.config.model_dump(mode="json"),
                }
                for s in self.scenarios
            ],
        }

    def key(self) -> str:
        """A digest of the identity and the simiop version: equal keys mean the same output files."""
        return identity_key(self.identity())

    @classmethod
    def from_identity(cls, data: Mapping[str, Any], source: str) -> Plan:
        """Rebuild a plan from ``identity()`` data, e.g. read back from a manifest."""
        try:
            scenarios = tuple(
                ScenarioPlan(
                    name=str(item["name"]),
                    description=str(item.get("description", "")),
                    changes=dict(item.get("changes", {})),
                    config=validate_config(item["config"], f"{source}: scenario {item['name']}"),
                )
                for item in data["scenarios"]
            )
            return cls(
                kind=data["kind"],
                name=str(data["name"]),
                description=str(data.get("description", "")),
                scenarios=scenarios,
                seed=int(data["seed"]),
                replications=int(data["replications"]),
                tables=tuple(data["tables"]),
                compare_to=data.get("compare_to"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(source, [Problem("", f"not a simiop manifest plan ({exc})")]) from None


def run_plan_for(
    config: SimiopConfig,
    name: str,
    *,
    changes: Mapping[str, Any] | None = None,
    seed: int | None = None,
    replications: int | None = None,
    tables: Sequence[str] = TABLES,
) -> Plan:
    """The plan of ``simiop run``: one scenario, the config as given (with ``seed`` and ``replications``).

    The config recorded is the one the cells run: a ``seed`` or ``replications``
    given here is written into its ``simulation`` section.
    """
    config = with_plan_values(config, seed, replications)
    return Plan(
        kind="run",
        name=name,
        scenarios=(ScenarioPlan(BASE_SCENARIO, config, changes=dict(changes or {})),),
        seed=config.simulation.seed,
        replications=config.simulation.replications,
        tables=tuple(tables),
    )


def with_plan_values(config: SimiopConfig, seed: int | None, replications: int | None) -> SimiopConfig:
    """``config`` with the plan's seed and replications (validated: a seed out of range is refused)."""
    given = {SEED: seed, REPLICATIONS: replications}
    given = {path: value for path, value in given.items() if value is not None}
    if not given:
        return config
    labels = {SEED: f"seed={seed}", REPLICATIONS: f"replications={replications}"}
    data = config.model_dump(mode="json")
    return validate_config(set_values(data, given, "arguments", labels=labels), "arguments")


def read_experiment(path: Path) -> ExperimentSpec:
    """Read and validate an experiment file; ConfigError names the file and every problem."""
    source = str(path)
    data = read_config_data(path, allowed="a mapping with keys " + ", ".join(ExperimentSpec.model_fields))
    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [
                Problem(
                    "",
                    "expected a mapping at the top level",
                    show_value(data),
                    "keys base, scenarios, grid, ...",
                )
            ],
        )
    if (manifest := manifest_hint(data, source, "an experiment file")) is not None:
        raise ConfigError(source, [manifest])
    if "method" in data and "inputs" in data:
        message = (
            "this is a sensitivity file, not an experiment file; "
            f"run it with: simiop sensitivity {source} --out DIR"
        )
        raise ConfigError(source, [Problem("", message)])
    if "variables" in data and "objective" in data:
        run_it = f"simiop optimise {source} --out DIR"
        message = f"this is an optimisation file, not an experiment file; run it with: {run_it}"
        raise ConfigError(source, [Problem("", message)])
    if "base" not in data and set(data) & set(SimiopConfig.model_fields):
        message = (
            "this is a clinic config, not an experiment file; run it with: "
            f"simiop run {source} --out DIR, or name it as the base: of an experiment file"
        )
        raise ConfigError(source, [Problem("", message)])
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from(exc, ExperimentSpec)) from None


def experiment_plan(
    path: Path,
    *,
    seed: int | None = None,
    replications: int | None = None,
    horizon_days: float | str | None = None,
    tables: Sequence[str] = TABLES,
    given_by: str = "arguments",
    until: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Plan:
    """Resolve an experiment file into a plan, checking every scenario's config.

    Arguments that are not None override the file (the command line wins);
    ``given_by`` names where they come from in messages ("command line") and
    ``labels`` how each was written ({"horizon": "--horizon 1y"}). Overrides
    that contradict the plan (a scenario's own seed, a path set twice, a
    scenario horizon beside ``horizon_days``) are refused: see
    ``simiop.experiments.decided``. The base is checked first; then every
    problem of every scenario is reported at once, located by scenario.
    Every scenario's config holds the plan's seed and replications, so the
    manifest records the values the cells run with.
    """
    spec = read_experiment(path)
    source = str(path)
    base_path = (path.parent / spec.base).resolve() if not Path(spec.base).is_absolute() else Path(spec.base)
    if not base_path.is_file():
        raise ConfigError(
            source, [Problem("base", "no such config file", repr(spec.base), "a path relative to this file")]
        )
    base_data = read_config_data(base_path)
    base_config = validate_config(base_data, str(base_path))
    named = {
        HORIZON: ("horizon", horizon_days),
        UNTIL: ("until", until),
        SEED: ("seed", seed),
        REPLICATIONS: ("replications", replications),
    }
    arguments = {path: value for path, (_, value) in named.items() if value is not None}
    shown = {path: (labels or {}).get(name) or f"{name}={value}" for path, (name, value) in named.items()}
    # The caller's horizon or last day sets every scenario's end of run: a scenario's own (any way) clashes.
    caller_way = next((way for way in (HORIZON, UNTIL) if way in arguments), None)
    problems = spec_problems(spec, dict.fromkeys(HORIZON_WAYS, shown[caller_way]) if caller_way else {})
    if problems:
        raise ConfigError(source, problems)

    file_data = set_values(base_data, spec.set, source, "set")
    file_horizon = spec.horizon_days()
    file_until = None if spec.until is None else spec.until.isoformat()
    own = [
        Override(f"{key}={json.dumps(value, default=str)}", f"set.{key}") for key, value in spec.set.items()
    ]
    if file_horizon is not None and horizon_days is None and until is None:
        file_data = set_values(file_data, horizon_way(HORIZON, file_horizon), source, "horizon")
        own.append(Override(f"{HORIZON}={json.dumps(file_horizon)}", "horizon"))
    if file_until is not None and horizon_days is None and until is None:
        file_data = set_values(file_data, horizon_way(UNTIL, file_until), source, "until")
        own.append(Override(f"{UNTIL}={file_until}", "until"))
    if own:  # a problem the file's own set: or horizon: makes is theirs, not the base config's
        validate_changed(base_data, file_data, source, own, by=source)
    decided = {
        SEED: _first(seed, spec.seed, base_config.simulation.seed),
        REPLICATIONS: _first(replications, spec.replications, base_config.simulation.replications),
    }
    file_data = set_values(file_data, {k: v for k, v in decided.items() if k not in arguments}, source)
    for way in (HORIZON, UNTIL):  # the caller's way of ending the run replaces the file's
        if way in arguments:
            file_data = set_values(file_data, horizon_way(way, None), source)
    common_data = set_values(file_data, arguments, given_by, labels=shown)
    options = [Override(f"{path}={json.dumps(value)}", shown[path]) for path, value in arguments.items()]
    try:
        base = validate_changed(file_data, common_data, source, options, given_by)
    except ConfigError as exc:
        raise ConfigError(source, _located(exc.problems, BASE_SCENARIO)) from None
    caller_ends = horizon_days is not None or until is not None
    days = horizon_days if caller_ends else file_horizon
    common: dict[str, Any] = {**spec.set, **({HORIZON: days} if days is not None else {})}
    last_day = until if caller_ends else file_until
    if last_day is not None:
        common[UNTIL] = last_day

    scenarios = [ScenarioPlan(BASE_SCENARIO, base, "the base config", _recorded(common, {}, common_data))]
    variants = [(n, s.description, dict(s.set), f"scenarios.{n}.set") for n, s in spec.scenarios.items()]
    variants += [(n, "", changes, f"grid {n}") for n, changes in grid_cells(spec.grid)]
    for name, description, changes, where in variants:
        try:
            data, shared = common_data, common
            for way in HORIZON_WAYS:  # a scenario's own end of run replaces the experiment's, any way given
                if any(str(path).strip() == way for path in changes):
                    data = set_values(data, horizon_way(way, None), source)
                    shared = {path: value for path, value in common.items() if path not in HORIZON_WAYS}
            data = set_values(data, changes, source, where)
            config = validate_config(data, source)
        except ConfigError as exc:
            problems += _blamed(exc.problems, where, {p: f"{given_by}: {shown[p]}" for p in arguments})
            continue
        scenarios.append(ScenarioPlan(name, config, description, _recorded(shared, changes, data)))
    if problems:
        raise ConfigError(source, problems)
    return Plan(
        kind="experiment",
        name=path.stem,
        description=spec.description,
        scenarios=tuple(scenarios),
        seed=decided[SEED],
        replications=decided[REPLICATIONS],
        tables=tuple(tables),
        compare_to=spec.compare_to,
    )


def _recorded(common: Mapping[str, Any], changes: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """What a scenario changes from the base file, each with the value its cells run with.

    An experiment-wide entry that the scenario replaces (the same field, or a
    mapping holding it) is left out; one the scenario changes a part of is
    shown with its resulting value. No entry is listed that the cells did not run.
    """
    own = [split_path(str(path).strip()) for path in changes]
    recorded: dict[str, Any] = {}
    for path in common:
        parts = split_path(str(path).strip())
        if not any(len(inner) <= len(parts) and overlaps(inner, parts) for inner in own):
            recorded[path] = value_at(data, parts)
    return {**recorded, **changes}


def _as_run(config: SimiopConfig, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` with each value read back from the validated ``config`` (as given if not found there)."""
    if not changes:
        return {}
    resolved = config.model_dump(mode="json")
    ran: dict[str, Any] = {}
    for path, value in changes.items():
        try:
            ran[path] = value_at(resolved, split_path(str(path).strip()))
        except (KeyError, ValueError):
            ran[path] = value
    return ran


def _first(*values: int | None) -> int:
    return next(value for value in values if value is not None)


def _blamed(problems: Iterable[Problem], where: str, given: Mapping[str, str]) -> list[Problem]:
    """A scenario's problems located by scenario, except those of a field the caller gave (``given``: field
    path -> "command line: --until 2028-01-01"): those blame the caller's option, saying which scenario it
    fails in (a scenario's later opening date, say), since the file never wrote that value."""
    located = []
    for problem in problems:
        label = given.get(problem.path)
        if label is None or problem.source is not None:
            located += _located([problem], where)
        else:
            message = f"{problem.message}, in {where}"
            located.append(Problem(problem.path, message, problem.got, problem.allowed, source=label))
    return located


def _located(problems: Iterable[Problem], where: str) -> list[Problem]:
    """Problems of the experiment file located by scenario; those of the caller's options stay theirs."""
    return [
        problem
        if problem.source is not None or problem.path.startswith(where)
        else Problem(f"{where}: {problem.path}", problem.message, problem.got, problem.allowed)
        for problem in problems
    ]
