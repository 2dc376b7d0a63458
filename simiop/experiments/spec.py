"""Experiment files: a base config, named scenarios and/or a factorial grid, replications and a seed.

An experiment file describes *what* to compare; ``simiop.experiments.plan``
turns it into fully resolved configs. Every override is checked by exactly the
rules of a config file, and a typo anywhere (an unknown key, a path that does
not exist) is an error rather than a scenario that silently equals the base;
so is a field set twice and a seed or replication count of a scenario's own
(``simiop.experiments.decided`` says why).

```yaml
description: How many therapists does the baseline clinic need?
base: ../configs/baseline.yaml      # relative to this file
replications: 20
horizon: 3y
scenarios:                          # named overrides
  no_evening_track:
    description: Day track only
    set: {tracks.evening.enabled: false}
grid:                               # every combination of every factor's levels
  therapists:
    paths: [staff.roles.therapist.count]
    levels: [2, 3, 4, 5, 6]
```
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import Field, model_validator

from simiop.config.base import Date, FromList, Frozen, Horizon, Name, Rule, rule_error, rule_errors

BASE_SCENARIO = "base"
"""The scenario that is the base config unchanged; scenarios are compared with it by default."""

_LABEL = re.compile(r"^[A-Za-z0-9_.+-]+$")

FieldPath = Annotated[str, Field(min_length=1, max_length=200)]
Overrides = dict[FieldPath, Any]


class Scenario(Frozen):
    """One named variant of the base config."""

    description: str = ""
    """What the scenario changes, in words, for reports."""

    set: Overrides = Field(default_factory=dict)
    """Config field path -> value, as with ``simiop run --set path=value``; each field once, never the seed
    or the replications (every scenario shares the experiment's)."""


class Factor(Frozen):
    """One dimension of a factorial grid: the config fields it sets and the levels it takes."""

    paths: Annotated[tuple[FieldPath, ...], Field(min_length=1, max_length=20), FromList]
    """Config field paths; each level's value is set at every one of them (e.g. both tracks' group size)."""

    levels: Annotated[tuple[Any, ...], Field(min_length=1, max_length=1000), FromList]
    """The values the factor takes, in order."""

    labels: Annotated[tuple[str, ...] | None, FromList] = None
    """Short names of the levels for scenario names; needed when a level is a list or mapping."""

    @model_validator(mode="after")
    def _labels_fit(self) -> Factor:
        if self.labels is not None and len(self.labels) != len(self.levels):
            raise rule_error(
                "labels", "one label per level", f"{len(self.labels)} labels", f"{len(self.levels)} labels"
            )
        labels = self.level_labels()
        unlabelled: list[Rule] = [  # every one at once, not the first found
            (
                f"{'labels' if self.labels is not None else 'levels'}[{index}]",
                "every level needs a short label for scenario names",
                label if label is not None else "a list or mapping level without labels",
                "letters, digits and _ . + - (give labels: [...] for list or mapping levels)",
            )
            for index, label in enumerate(labels)
            if label is None or not _LABEL.match(label)
        ]
        if unlabelled:
            raise rule_errors(unlabelled)
        if len(set(labels)) != len(labels):
            raise rule_error("labels", "labels must differ", list(labels), "distinct labels")
        return self

    def level_labels(self) -> tuple[str | None, ...]:
        """The label of each level: given labels, else the level itself written as text."""
        if self.labels is not None:
            return self.labels
        return tuple(_scalar_label(level) for level in self.levels)


def _scalar_label(level: Any) -> str | None:
    if isinstance(level, bool):
        return "true" if level else "false"
    if isinstance(level, int | float | str):
        return f"{level:g}" if isinstance(level, float) else str(level)
    return None


MAX_GRID_SCENARIOS = 10_000
"""The most scenarios a grid may make. ASSUMPTION: a full factorial grid of more than this is a slip (eight
factors of ten levels are 10**8 scenarios, whose names and configs simiop validate held in 13 GB before it
was stopped, break33); a larger space is what simiop optimise's screening searches."""


class ExperimentSpec(Frozen):
    """An experiment file: which configs to run, how often and with which seed."""

    description: str = ""
    """The question the experiment answers, for reports."""

    base: Annotated[str, Field(min_length=1)]
    """Path of the base config file, relative to the experiment file."""

    set: Overrides = Field(default_factory=dict)
    """Overrides applied to the base and to every scenario (e.g. a longer warm-up)."""

    scenarios: dict[Name, Scenario] = Field(default_factory=dict)
    """Named scenarios, each the base plus its overrides."""

    grid: dict[Name, Factor] = Field(default_factory=dict)
    """Factors of a full factorial design; every combination of levels is a scenario."""

    compare_to: Name = BASE_SCENARIO
    """The scenario every other is compared with (paired differences)."""

    replications: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """Replications of every scenario (default: simulation.replications of the base config)."""

    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    """Seed shared by every scenario, so they use common random numbers (default: the base config's)."""

    horizon: Horizon | None = None
    """Simulated time from opening, e.g. 3y, 18m, 26w or days (default: the base config's)."""

    until: Date | None = None
    """The run's last day (inclusive, YYYY-MM-DD), instead of horizon: each scenario runs from its opening
    date to this date, as the config's simulation.until (default: the base config's end of run)."""

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        combinations = math.prod(len(factor.levels) for factor in self.grid.values())
        if self.grid and combinations > MAX_GRID_SCENARIOS:  # before any list of them is made
            sizes = " x ".join(f"{len(factor.levels)} ({name})" for name, factor in self.grid.items())
            raise rule_error(
                "grid",
                f"every combination of levels is a scenario: {sizes} levels are too many scenarios",
                combinations,
                f"at most {MAX_GRID_SCENARIOS:,}: fewer factors or levels, or simiop optimise with a "
                "screening section for a large space",
            )
        if self.horizon is not None and self.until is not None:
            raise rule_error(
                "until",
                "horizon: is given too; the run ends one way",
                self.until.isoformat(),
                "horizon: or until:, not both",
            )
        if BASE_SCENARIO in self.scenarios:
            raise rule_error(
                "scenarios",
                f"'{BASE_SCENARIO}' is the unchanged base config and cannot be redefined",
                BASE_SCENARIO,
                "another name",
            )
        names = [BASE_SCENARIO, *self.scenarios, *grid_scenario_names(self.grid)]
        if self.compare_to not in names:
            raise rule_error("compare_to", "no such scenario", self.compare_to, ", ".join(names[:20]))
        clashes = set(self.scenarios) & set(grid_scenario_names(self.grid))
        if clashes:
            raise rule_error("scenarios", "names clash with grid scenarios", sorted(clashes), "other names")
        return self

    def horizon_days(self) -> float | str | None:
        """The horizon in days, or as a duration (3y) that each scenario's opening date turns into days
        (calendar years), if the experiment sets one."""
        if self.horizon is None:
            return None
        return self.horizon if isinstance(self.horizon, str) else float(self.horizon)


def grid_cells(grid: dict[str, Factor]) -> list[tuple[str, Overrides]]:
    """(scenario name, overrides) of every combination of levels, the first factor varying slowest.

    Names read ``factor=label,factor=label`` so a sweep's folders sort and read naturally.
    """
    cells: list[tuple[str, Overrides]] = [("", {})]
    for factor_name, factor in grid.items():
        cells = [
            (
                f"{name},{factor_name}={label}" if name else f"{factor_name}={label}",
                {**overrides, **dict.fromkeys(factor.paths, level)},
            )
            for name, overrides in cells
            for label, level in zip(factor.level_labels(), factor.levels, strict=True)
        ]
    return cells if grid else []


def grid_scenario_names(grid: dict[str, Factor]) -> list[str]:
    return [name for name, _ in grid_cells(grid)]
