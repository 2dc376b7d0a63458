"""Fields an experiment's plan decides for every scenario, and the overrides that would contradict it.

A scenario is the base plus its overrides, run on the same random numbers as
the base (common random numbers), the same number of times. So a few config
fields are not the scenario's to choose:

- ``simulation.seed``: every scenario shares the experiment's seed; a scenario
  with a seed of its own would differ from the base by chance as well as by
  its change, and the paired comparison would mean nothing. To try other
  random numbers, change the experiment's ``seed:`` (or ``--seed``).
- ``simulation.replications``: every scenario runs the experiment's number of
  replications (``replications:`` or ``--replications``); the cells of a plan
  are scenario x replication.

Any ``set:`` (the experiment's own, a scenario's, a grid factor's paths) that
gives one of these a value is refused, naming the entry and where to set it
instead: before this, the override was recorded as a change while the cells
ran without it. The horizon, in contrast, belongs to each scenario's config and
a scenario may set its own, unless the caller's horizon (``--horizon``) sets
every scenario's: then the two contradict each other and that is refused too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from simiop.config import Problem
from simiop.config.overrides import Parts, overlap_problems, sets_field, split_path
from simiop.experiments.spec import ExperimentSpec

SEED = "simulation.seed"
REPLICATIONS = "simulation.replications"
HORIZON = "simulation.horizon_days"
UNTIL = "simulation.until"
FISCAL_YEARS = "simulation.fiscal_years"
HORIZON_WAYS = (HORIZON, UNTIL, FISCAL_YEARS)
"""The config's ways of ending the run (simiop.config.calendar.resolve_horizon); one is given."""


def horizon_way(path: str, value: Any) -> dict[str, Any]:
    """Overrides that end the run by ``path`` (when ``value`` is not None) and clear the other ways, so
    that an option or an experiment's horizon: replaces the file's way instead of clashing with it."""
    cleared: dict[str, Any] = {other: None for other in HORIZON_WAYS if other != path}
    return cleared if value is None else {**cleared, path: value}


def horizon_clears(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The nulls that let one change of a way of ending the run replace the config's way.

    ``{"simulation.fiscal_years": 3}`` applied to a config with ``horizon_days``
    would otherwise be refused as two ways of ending the run, though the caller
    gave one (``--set simulation.fiscal_years=3`` replaces it on the command
    line). Two given are the caller's own clash: the config's way is still
    cleared, so that the config refuses naming the two the caller gave.
    """
    ways: set[str] = set()
    for path, value in changes.items():
        try:
            name = ".".join(map(str, split_path(str(path).strip())))
        except ValueError:
            continue  # not a path: reported when the changes are applied
        if name in HORIZON_WAYS and value is not None:
            ways.add(name)
    if not ways:
        return {}
    return {other: None for other in HORIZON_WAYS if other not in ways}


PLAN_FIELDS = {
    SEED: (
        "every scenario shares the experiment's seed, so that scenarios differ by their changes and not "
        "by chance (common random numbers); set the experiment's seed: key (or --seed) instead"
    ),
    REPLICATIONS: (
        "every scenario runs the experiment's number of replications; "
        "set the experiment's replications: key (or --replications) instead"
    ),
}
"""Config field -> why the plan decides it and where to set it, for the error."""

_Entry = tuple[str, Parts, tuple[Any, ...]]
"""(where in the experiment file, field path parts, every value the entry gives the field)."""


def _entries(where: str, values: Mapping[str, Any]) -> Iterator[_Entry]:
    for path, value in values.items():
        try:
            yield f"{where}.{path}", split_path(str(path).strip()), (value,)
        except ValueError:
            continue  # not a path: reported when the overrides are applied


def _grid_entries(spec: ExperimentSpec) -> list[_Entry]:
    entries: list[_Entry] = []
    for name, factor in spec.grid.items():
        for index, path in enumerate(factor.paths):
            try:
                entries.append((f"grid.{name}.paths[{index}]", split_path(path.strip()), factor.levels))
            except ValueError:
                continue
    return entries


def _sets(entry: _Entry, field: str) -> bool:
    _, parts, values = entry
    return any(sets_field(parts, value, split_path(field)) for value in values)


def spec_problems(spec: ExperimentSpec, every_scenario: Mapping[str, str]) -> list[Problem]:
    """Every override of ``spec`` that contradicts the plan, one problem each.

    ``every_scenario`` maps a config field to the caller's option that sets it
    for every scenario (e.g. ``simulation.horizon_days`` -> ``--horizon 1y``).
    """
    common = list(_entries("set", spec.set))
    own = [entry for name, s in spec.scenarios.items() for entry in _entries(f"scenarios.{name}.set", s.set)]
    grid = _grid_entries(spec)
    problems = [
        Problem(entry[0], f"sets {field}, which is the experiment's to decide: {why}")
        for entry in [*common, *own, *grid]
        for field, why in PLAN_FIELDS.items()
        if _sets(entry, field)
    ]
    # Every grid cell combines one level of every factor: two factors (or two paths of one) setting
    # the same field would leave the later factor's level in every cell and the earlier's nowhere.
    problems += overlap_problems([(label, parts) for label, parts, _ in grid])
    key = "horizon" if spec.horizon is not None else "until" if spec.until is not None else None
    if key is not None:
        problems += [
            Problem(
                label,
                f"sets {way}, and the experiment's {key}: key ends the run; give the end of the run once",
            )
            for label, parts, values in common
            for way in HORIZON_WAYS
            if _sets((label, parts, values), way)
        ]
    for field, option in every_scenario.items():
        problems += [
            Problem(
                entry[0],
                f"sets {field}, which {option} sets for every scenario; drop one of them "
                "(a scenario's own value would be silently replaced, or the option ignored)",
            )
            for entry in [*own, *grid]
            if _sets(entry, field)
        ]
    return problems
