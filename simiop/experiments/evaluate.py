"""In-memory evaluation: every KPI of every scenario and replication as one array, no files written.

The on-disk runner (``runner.py``) writes result folders that can be
reported, resumed and reproduced. What calls the model many times and wants
only numbers - the replication advice, an optimiser, a sensitivity analysis -
needs none of that, and pays for none of it here: each replication returns
its KPIs to the caller, and the values land in a numpy array indexed
``[scenario, replication, kpi]``.

Common random numbers: replication r of every scenario runs with the same
``(seed, r)``, whatever the scenario's own ``simulation.seed`` says, so a
difference between two scenarios is paired replication by replication (as in
``simiop experiment``). The values depend only on the configs, the seed and
the replication numbers: results are placed by index, not by arrival, so any
executor and any number of workers give the same array bit for bit.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simiop.collector import collector_paused
from simiop.config import SimiopConfig
from simiop.experiments.executors import Executor, SerialExecutor

if TYPE_CHECKING:
    from simiop.model.records import Records

MAX_SEED = 2**63 - 1
"""The largest seed a config accepts (``simulation.seed``)."""


class UnknownKpiError(ValueError):
    """A KPI asked for by name that the model does not report; ``known`` lists the names it does."""

    def __init__(self, kpi: str, known: list[str]) -> None:
        super().__init__(f"kpis: no KPI named {kpi!r}; the model reports {len(known)} KPIs")
        self.kpi = kpi
        self.known = known


@dataclass(frozen=True)
class EvaluationTask:
    """One replication of one scenario, as a worker needs it (picklable, self-contained)."""

    scenario: int
    replication: int
    config: SimiopConfig
    seed: int
    daily_census: bool


@dataclass(frozen=True)
class ReplicationValues:
    """What one replication returns: its KPIs in the model's order, and its daily census if asked."""

    scenario: int
    replication: int
    kpis: dict[str, float]
    census: tuple[float, ...] | None


def census_by_day(config: SimiopConfig, records: Records) -> np.ndarray:
    """Patients enrolled at each day's close, all tracks together, for every day of the horizon.

    The series MSER-5 reads to suggest a warm-up (the advice); ``records`` is
    what ``simulate`` returned.
    """
    days = math.ceil(config.simulation.horizon_days)
    census = np.zeros(days)
    for row in records.track_days:
        if row.day < days:
            census[row.day] += row.census
    return census


def evaluate_replication(task: EvaluationTask) -> ReplicationValues:
    """Simulate one replication and compute its KPIs (and daily census): the worker's whole job.

    The collector stays paused until the replication's records are gone, as in ``run_cell``.
    """
    with collector_paused():
        return _evaluate_replication(task)


def _evaluate_replication(task: EvaluationTask) -> ReplicationValues:
    from simiop.model import simulate
    from simiop.results.kpis import compute_kpis

    records = simulate(task.config, task.seed, task.replication)
    census = tuple(census_by_day(task.config, records).tolist()) if task.daily_census else None
    return ReplicationValues(task.scenario, task.replication, compute_kpis(task.config, records), census)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """KPI values of every scenario and replication; ``values[s, r, k]`` is KPI ``kpis[k]``.

    A KPI a scenario does not report (a track, role or payer only another
    scenario has) is NaN there, as is a KPI undefined in a replication (a
    mean over no events).
    """

    scenarios: tuple[str, ...]
    replications: tuple[int, ...]
    """The replication numbers, in the order of the second axis."""
    kpis: tuple[str, ...]
    values: np.ndarray
    """float64, shape (scenarios, replications, kpis)."""
    census: np.ndarray | None = None
    """Daily census, shape (scenarios, replications, days of the longest horizon; NaN past a shorter
    one), when asked for with ``daily_census=True``."""

    def kpi(self, name: str) -> np.ndarray:
        """One KPI's values, shape (scenarios, replications)."""
        if name not in self.kpis:
            raise UnknownKpiError(name, list(self.kpis))
        return np.asarray(self.values[:, :, self.kpis.index(name)])

    def scenario(self, name: str) -> np.ndarray:
        """One scenario's values, shape (replications, kpis)."""
        if name not in self.scenarios:
            raise KeyError(f"no scenario {name!r}; scenarios are {', '.join(self.scenarios)}")
        return np.asarray(self.values[self.scenarios.index(name)])


def evaluate(
    configs: Mapping[str, SimiopConfig] | Sequence[SimiopConfig] | SimiopConfig,
    replications: int | Iterable[int] | None,
    seed: int | None,
    executor: Executor | None = None,
    *,
    kpis: Sequence[str] | None = None,
    daily_census: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Run ``replications`` of every scenario in ``configs`` on ``executor``; their KPIs as one array.

    ``configs`` maps scenario names to configs (a list is named "0", "1", ...;
    a single config is "base"). ``replications`` is a count (replications 0 to
    n-1) or the replication numbers themselves, so a caller can add rounds
    (the advice runs 0-7, then 8-12, ...) and get the values it would have
    got in one call. ``seed`` is the master seed of every scenario. ``kpis``
    keeps only those KPIs, in that order; a name no scenario reports raises
    ``UnknownKpiError`` as soon as one replication of every scenario is back.
    ``executor`` defaults to this process (``SerialExecutor``); it is not
    closed here. ``progress`` is called with (replications done, total).
    Bad arguments raise ValueError (or TypeError) before anything runs.
    """
    named = _scenarios(configs)
    numbers = _replications(replications)
    seed = _seed(seed)
    wanted = _kpi_names(kpis)
    runner = SerialExecutor() if executor is None else executor
    tasks = [
        EvaluationTask(s, r, config, seed, daily_census)
        for s, (_, config) in enumerate(named)
        for r in numbers
    ]
    position = {number: index for index, number in enumerate(numbers)}
    # Each result is kept as its KPI names (one shared tuple per layout) and a float array, not as a
    # dict: a sweep of many thousand replications then holds a few hundred bytes per replication.
    layouts: dict[tuple[str, ...], tuple[str, ...]] = {}
    kept: dict[tuple[int, int], tuple[tuple[str, ...], np.ndarray]] = {}
    series: dict[tuple[int, int], np.ndarray] = {}
    reported: dict[int, dict[str, float]] = {}  # a scenario's KPI names depend on its config alone
    for result in runner.map_unordered(evaluate_replication, tasks):
        if wanted is not None and result.scenario not in reported:
            reported[result.scenario] = result.kpis
            if len(reported) == len(named):
                _check_reported(wanted, [reported[s] for s in range(len(named))])
        names = tuple(result.kpis)
        cell = (result.scenario, position[result.replication])
        kept[cell] = (layouts.setdefault(names, names), np.fromiter(result.kpis.values(), float, len(names)))
        if result.census is not None:
            series[cell] = np.asarray(result.census, dtype=float)
        if progress is not None:
            progress(len(kept), len(tasks))
    order = [(s, r) for s in range(len(named)) for r in range(len(numbers))]
    names = wanted if wanted is not None else _union(dict.fromkeys(kept[cell][0] for cell in order))
    values = np.full((len(named), len(numbers), len(names)), np.nan)
    column = {name: k for k, name in enumerate(names)}
    placing: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}
    for layout in layouts.values():
        mine = [i for i, name in enumerate(layout) if name in column]
        placing[layout] = (mine, [column[layout[i]] for i in mine])
    for (s, r), (layout, figures) in kept.items():
        mine, theirs = placing[layout]
        values[s, r, theirs] = figures[mine]
    census = _census(series, len(named), len(numbers)) if daily_census else None
    for array in (values, census):
        if array is not None:
            array.flags.writeable = False  # an Evaluation is a record of what ran: copy to change it
    return Evaluation(tuple(name for name, _ in named), numbers, names, values, census)


def check_arguments(
    configs: Mapping[str, SimiopConfig] | Sequence[SimiopConfig] | SimiopConfig,
    replications: int | Iterable[int] | None,
    seed: int | None,
    kpis: Sequence[str] | None = None,
) -> None:
    """Raise what ``evaluate`` would raise for these arguments, without running anything.

    For a caller that must check before it starts an executor (the API starts
    worker processes or a Dask cluster only for arguments that can run).
    """
    _scenarios(configs)
    _replications(replications)
    _seed(seed)
    _kpi_names(kpis)


def named_scenarios(
    configs: Mapping[str, SimiopConfig] | Sequence[SimiopConfig] | SimiopConfig,
) -> list[tuple[str, SimiopConfig]]:
    """``configs`` as (scenario name, config) pairs, or the TypeError or ValueError ``evaluate`` raises.

    For a caller that reads the configs (their default seed, say) before
    ``check_arguments``: a dict or a number where configs belong is refused
    naming ``configs``, not met as an AttributeError.
    """
    return _scenarios(configs)


def _check_reported(wanted: tuple[str, ...], reported: list[dict[str, float]]) -> None:
    """Raise UnknownKpiError for the first wanted KPI that no scenario reports."""
    known = _union(reported)
    for name in wanted:
        if name not in known:
            raise UnknownKpiError(name, list(known))


def _union(layouts: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Every KPI name, in the order first met (scenario, then replication, then the model's order)."""
    seen: dict[str, None] = {}
    for names in layouts:
        seen.update(dict.fromkeys(names))
    return tuple(seen)


def _census(series: dict[tuple[int, int], np.ndarray], scenarios: int, replications: int) -> np.ndarray:
    days = max((len(values) for values in series.values()), default=0)
    census = np.full((scenarios, replications, days), np.nan)
    for (s, r), values in series.items():
        census[s, r, : len(values)] = values
    return census


def _scenarios(
    configs: Mapping[str, SimiopConfig] | Sequence[SimiopConfig] | SimiopConfig,
) -> list[tuple[str, SimiopConfig]]:
    if isinstance(configs, SimiopConfig):
        named: list[tuple[object, object]] = [("base", configs)]
    elif isinstance(configs, Mapping):
        named = list(configs.items())
    elif isinstance(configs, Sequence) and not isinstance(configs, (str, bytes)):
        named = [(str(index), config) for index, config in enumerate(configs)]
    else:
        raise TypeError(
            f"configs: got {type(configs).__name__}; allowed a SimiopConfig, a list of them, "
            "or a mapping of scenario names to them"
        )
    if not named:
        raise ValueError("configs: no scenario given; allowed at least one SimiopConfig")
    for name, config in named:
        if not isinstance(name, str) or not name:
            raise ValueError(f"configs: scenario name {name!r} is not a non-empty string")
        if not isinstance(config, SimiopConfig):
            raise TypeError(
                f"configs[{name!r}]: got {type(config).__name__}; allowed a SimiopConfig "
                "(simiop.load_config reads one from a file)"
            )
    return [(str(name), config) for name, config in named]  # type: ignore[misc]


def _replications(replications: int | Iterable[int] | None) -> tuple[int, ...]:
    allowed = "allowed a whole number >= 1, or distinct replication numbers >= 0"
    if isinstance(replications, bool):
        raise TypeError(f"replications: got {replications!r}; {allowed}")
    if isinstance(replications, (int, np.integer)):
        count = int(replications)
        if count < 1:
            raise ValueError(f"replications: got {count}; {allowed}")
        return tuple(range(count))
    if isinstance(replications, (str, bytes)) or not isinstance(replications, Iterable):
        raise TypeError(f"replications: got {replications!r}; {allowed}")
    numbers = []
    for number in replications:
        if isinstance(number, bool):
            raise TypeError(f"replications: got {number!r} in the list; {allowed}")
        try:
            numbers.append(operator.index(number))
        except TypeError:
            raise TypeError(f"replications: got {number!r} in the list; {allowed}") from None
    if not numbers:
        raise ValueError(f"replications: got an empty list; {allowed}")
    if min(numbers) < 0:
        raise ValueError(f"replications: got {min(numbers)} in the list; {allowed}")
    if len(set(numbers)) != len(numbers):
        repeated = next(n for n in numbers if numbers.count(n) > 1)
        raise ValueError(f"replications: {repeated} is listed twice; {allowed}")
    return tuple(numbers)


def _seed(seed: int | None) -> int:
    allowed = f"allowed a whole number from 0 to {MAX_SEED}"
    if seed is None or isinstance(seed, bool):
        raise TypeError(f"seed: got {seed!r}; {allowed}")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"seed: got {seed!r}; {allowed}") from None
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed: got {value}; {allowed}")
    return value


def _kpi_names(kpis: Sequence[str] | None) -> tuple[str, ...] | None:
    if kpis is None:
        return None
    if isinstance(kpis, str):
        raise TypeError(f"kpis: got the string {kpis!r}; allowed a list of KPI names, e.g. [{kpis!r}]")
    names = tuple(kpis)
    if not names:
        raise ValueError("kpis: got an empty list; allowed None (every KPI) or a list of KPI names")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"kpis: got {name!r}; allowed KPI names (strings)")
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"kpis: {repeated!r} is listed twice")
    return names


__all__ = [
    "Evaluation",
    "UnknownKpiError",
    "check_arguments",
    "evaluate",
    "evaluate_replication",
    "named_scenarios",
]
