"""Optimisation files: a base config, decision variables, an objective, constraints and a confidence.

Validated like a config (unknown keys are errors, strict types, one line per
problem naming the field): see ``read_spec``.

```yaml
description: Cheapest staffing that meets the wait and cancellation targets
base: ../configs/baseline.yaml       # relative to this file
horizon: 1y
variables:                           # every combination of levels is a candidate
  therapists: {paths: [staff.roles.therapist.count], levels: [2, 3, 4]}
  max_group_size:                    # linked: one level sets both paths
    paths: [tracks.day.group_size.max, tracks.evening.group_size.max]
    levels: [8, 10]
objective: {kpi: staff_cost_usd, goal: minimise, deterministic: true}
constraints:
  - {kpi: wait_referral_to_admission_days_median, at_most: 14, tolerance: 2}
  - {kpi: group_days_cancelled_no_facilitator, at_most: 5, tolerance: 2, kind: chance, share: 0.8}
confidence: 0.95
screening: {trials: 40, replications: 2, shortlist: 8}   # optional: Optuna first (extra optimise)
```
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from simiop.config import ConfigError, Problem, read_config_data
from simiop.config.base import FromList, Frozen, Horizon, Name, rule_error, rule_errors
from simiop.config.errors import problems_from, show_value
from simiop.config.overrides import overlap_problems, split_path
from simiop.experiments.spec import Factor, Overrides
from simiop.results.kinds import unreachable_bound

MAX_CANDIDATES = 2000
"""Candidates an optimisation may enumerate (every combination of the variables' levels)."""
MAX_SCREENED = 100_000
"""Candidates a space may hold when a screening searches it (each validated only if tried)."""

KpiName = Annotated[str, Field(min_length=1, max_length=120)]


class Variable(Factor):
    """A decision variable: config paths and the levels they take (as a factor of an experiment's grid).

    With ``per_path: false`` (the default) each level is set at every path (both tracks' group size).
    With ``per_path: true`` each level is a list of one value per path, in order: linked settings
    that move together with different values (intake slots and the intake clinician's hours).
    """

    per_path: bool = False

    @model_validator(mode="after")
    def _one_value_per_path(self) -> Variable:
        if self.per_path:
            for index, level in enumerate(self.levels):
                if not isinstance(level, list | tuple) or len(level) != len(self.paths):
                    raise rule_error(
                        f"levels[{index}]",
                        "with per_path: true a level lists one value per path",
                        show_value(level),
                        f"a list of {len(self.paths)} values",
                    )
        return self

    def changes(self, level: Any) -> dict[str, Any]:
        """The config changes one level makes."""
        if self.per_path:
            return dict(zip(self.paths, level, strict=True))
        return dict.fromkeys(self.paths, level)


class Objective(Frozen):
    """What is minimised or maximised: one KPI, a weighted sum of KPIs, or a decision variable's value."""

    kpi: KpiName | None = None
    """A KPI as named in kpis.csv, e.g. staff_cost_usd."""

    weights: dict[KpiName, float] | None = None
    """A weighted sum of KPIs instead, e.g. {staff_cost_usd: 1.0, cover_cost_usd: 1.0}."""

    variable: Name | None = None
    """A decision variable's own value instead (a number), e.g. seats: no simulation needed to know it."""

    goal: Literal["minimise", "maximise"] = "minimise"

    deterministic: bool = False
    """The objective does not vary between replications (a staff cost with no random part): the
    candidates are checked cheapest first, and every replication run is checked to agree."""

    @model_validator(mode="after")
    def _one_kind(self) -> Objective:
        given = [name for name in ("kpi", "weights", "variable") if getattr(self, name) is not None]
        if len(given) != 1:
            raise rule_error(
                "kpi", "give exactly one of kpi, weights, variable", ", ".join(given) or "none", "one of them"
            )
        if self.weights is not None and not self.weights:
            raise rule_error("weights", "no KPI weighted", "{}", "at least one KPI: weight")
        return self

    def kpis(self) -> tuple[str, ...]:
        """The KPIs the objective reads."""
        if self.kpi is not None:
            return (self.kpi,)
        return tuple(self.weights or {})

    def is_deterministic(self) -> bool:
        return self.deterministic or self.variable is not None


class Target(Frozen):
    """A target on a KPI: on its mean, or on the share of replications meeting it (a chance constraint)."""

    kpi: KpiName
    """A KPI as named in kpis.csv."""

    at_most: float | None = None
    at_least: float | None = None
    """The bound: give one of at_most and at_least."""

    tolerance: Annotated[float, Field(gt=0)]
    """How close to the bound counts as 'on it': in the KPI's units for a mean, a share for a chance
    constraint. A candidate meeting the bound by at least this is found feasible, one missing it by at
    least this infeasible, each with the stated confidence; one in between may go either way."""

    kind: Literal["mean", "chance"] = "mean"
    """mean: the KPI's mean over replications meets the bound; chance: a ``share`` of replications do."""

    share: Annotated[float, Field(gt=0, lt=1)] | None = None
    """The share of replications that must meet the bound (kind: chance only)."""

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if (self.at_most is None) == (self.at_least is None):
            raise rule_error("at_most", "give exactly one of at_most and at_least", "both or neither", "one")
        if self.kind == "chance" and self.share is None:
            raise rule_error(
                "share", "a chance constraint needs the share of replications", None, "0 < share < 1"
            )
        if self.kind == "mean" and self.share is not None:
            raise rule_error("share", "only a chance constraint has a share", self.share, "kind: chance")
        if (
            self.kind == "chance"
            and self.share is not None
            and not 0 < self.share - self.tolerance < 1 - 2 * self.tolerance
        ):
            raise rule_error(
                "tolerance",
                "share +- tolerance must lie inside (0, 1)",
                self.tolerance,
                "a smaller tolerance",
            )
        # A bound beyond every value the KPI can take (a count at most -1, a share at least 1.2) is met by
        # no candidate: refused here, before any replication is spent on finding that out.
        if unreachable := unreachable_bound(self.kpi, self.at_most, self.at_least):
            raise rule_error(*unreachable)
        return self

    @property
    def sense(self) -> Literal["<=", ">="]:
        return "<=" if self.at_most is not None else ">="

    @property
    def bound(self) -> float:
        value = self.at_most if self.at_most is not None else self.at_least
        assert value is not None
        return value

    def describe(self) -> str:
        """E.g. 'mean wait <= 7 (tolerance 1)', 'share of replications with wait <= 7 >= 0.9 (...)'."""
        if self.kind == "mean":
            return f"mean {self.kpi} {self.sense} {self.bound:g} (tolerance {self.tolerance:g})"
        return (
            f"share of replications with {self.kpi} {self.sense} {self.bound:g} >= {self.share:g} "
            f"(tolerance {self.tolerance:g})"
        )


class Screening(Frozen):
    """A search of the space by Optuna before the guaranteed procedure, which then sees only its short list.

    The sampler proposes ``batch`` candidates at a time (a fixed number, so the
    answer does not depend on the workers), each simulated ``replications``
    times on random numbers of its own (replication numbers from
    ``SCREENING_REPLICATION``, never read by the clean-up), and is told each
    candidate's mean objective and how far its estimates miss the targets.
    """

    method: Literal["optuna"] = "optuna"
    """The library that searches (the optional extra ``optimise``)."""

    sampler: Literal["tpe", "random"] = "tpe"
    """tpe: Optuna's TPESampler (Bergstra et al. 2011), the targets as constraints; random: RandomSampler."""

    trials: Annotated[int, Field(ge=1, le=100_000)]
    """Candidates the sampler proposes in all (a candidate proposed twice is simulated once)."""

    replications: Annotated[int, Field(ge=1, le=1000)] = 3
    """Replications of each candidate tried by the screening."""

    shortlist: Annotated[int, Field(ge=1, le=MAX_CANDIDATES)] = 10
    """Candidates handed to the guaranteed procedure: the best tried, those whose estimates meet every
    target to within its tolerance first, by objective."""

    batch: Annotated[int, Field(ge=1, le=1000)] = 8
    """Candidates proposed at a time before the sampler is told their values."""

    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    """Seed of the sampler (the simulation's random numbers come from the optimisation's seed)."""


class OptimiseSpec(Frozen):
    """An optimisation file: the candidates, what is best, what must hold, and how sure to be."""

    description: str = ""

    base: Annotated[str, Field(min_length=1)]
    """Path of the base config file, relative to this file."""

    set: Overrides = Field(default_factory=dict)
    """Overrides applied to the base (and so to every candidate), as in an experiment file."""

    variables: dict[Name, Variable]
    """Decision variables: config paths and the levels they take; every combination is a candidate."""

    objective: Objective

    constraints: Annotated[tuple[Target, ...], Field(max_length=20), FromList] = ()

    confidence: Annotated[float, Field(ge=0.5, lt=1)] = 0.95
    """Probability that the answer is right (in the sense of the guarantee; docs/optimise.md)."""

    indifference_zone: Annotated[float, Field(gt=0)] | None = None
    """Objective difference not worth telling apart, in its units (needed unless it is deterministic)."""

    first_stage: Annotated[int, Field(ge=2, le=1000)] = 10
    """Replications of a candidate before any decision about it (n0)."""

    batch: Annotated[int, Field(ge=1, le=1000)] = 10
    """Replications added at a time to each candidate still undecided (never changes the answer)."""

    max_replications: Annotated[int, Field(ge=2, le=100_000)] = 200
    """The most replications of any candidate; a decision not reached by then is reported undecided."""

    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    """Seed shared by every candidate: common random numbers (default: the base config's)."""

    horizon: Horizon | None = None
    """Simulated time from opening, e.g. 1y, 26w or days (default: the base config's)."""

    screening: Screening | None = None
    """Search the space first (Optuna) and give the guaranteed procedure only the short list."""

    @model_validator(mode="after")
    def _consistent(self) -> OptimiseSpec:
        if not self.variables:
            raise rule_error("variables", "nothing to choose", "{}", "at least one variable")
        count = math.prod(len(factor.levels) for factor in self.variables.values())
        if self.screening is None and count > MAX_CANDIDATES:
            raise rule_error(
                "variables",
                "too many candidates",
                count,
                f"at most {MAX_CANDIDATES} combinations, or up to {MAX_SCREENED} with a screening section",
            )
        if count > MAX_SCREENED:
            raise rule_error(
                "variables", "too many candidates", count, f"at most {MAX_SCREENED} combinations"
            )
        written = {
            **{
                f"variables.{name}.paths[{index}]": path
                for name, variable in self.variables.items()
                for index, path in enumerate(variable.paths)
            },
            **{f"set.{path}": path for path in self.set},
        }
        overlapping = overlap_problems([(label, split_path(path)) for label, path in written.items()])
        if overlapping:  # the later would silently win: a candidate's name would not be its config
            raise rule_errors([(o.path, o.message, written[o.path], o.allowed or "") for o in overlapping])
        if self.max_replications < self.first_stage:
            raise rule_error(
                "max_replications", "fewer than first_stage", self.max_replications, f">= {self.first_stage}"
            )
        variable = self.objective.variable
        if variable is not None:
            if variable not in self.variables:
                raise rule_error(
                    "objective.variable", "no such variable", variable, ", ".join(self.variables)
                )
            levels = self.variables[variable].levels
            if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels):
                raise rule_error(
                    "objective.variable", "its levels are not numbers", variable, "a numeric variable"
                )
            if not self.constraints:
                raise rule_error(
                    "constraints",
                    "nothing to check: the answer would be the smallest level without a run",
                    [],
                    "at least one target when the objective is a variable",
                )
        if not self.objective.is_deterministic() and self.indifference_zone is None:
            raise rule_error(
                "indifference_zone",
                "a stochastic objective needs one",
                None,
                "an objective difference worth telling apart, e.g. 5000 (or objective.deterministic: true)",
            )
        return self

    def candidates(self) -> list[tuple[str, Overrides]]:
        """(name, config changes) of every candidate, the first variable varying slowest.

        Named ``variable=label,variable=label`` as an experiment's grid scenarios are.
        """
        cells: list[tuple[str, Overrides]] = [("", {})]
        for name, variable in self.variables.items():
            cells = [
                (
                    f"{cell},{name}={label}" if cell else f"{name}={label}",
                    {**changes, **variable.changes(level)},
                )
                for cell, changes in cells
                for label, level in zip(variable.level_labels(), variable.levels, strict=True)
            ]
        return cells

    def levels(self) -> list[dict[str, Any]]:
        """Each candidate's level of every variable, in candidate order."""
        rows: list[dict[str, Any]] = [{}]
        for name, factor in self.variables.items():
            rows = [{**row, name: level} for row in rows for level in factor.levels]
        return rows

    def labels(self) -> list[dict[str, str]]:
        """Each candidate's level of every variable as its short label (for tables), in candidate order."""
        rows: list[dict[str, str]] = [{}]
        for name, factor in self.variables.items():
            labels = [str(label) for label in factor.level_labels()]
            rows = [{**row, name: label} for row in rows for label in labels]
        return rows

    def horizon_value(self) -> float | str | None:
        if self.horizon is None:
            return None
        return self.horizon if isinstance(self.horizon, str) else float(self.horizon)


def read_spec(path: Path) -> OptimiseSpec:
    """Read and validate an optimisation file; ConfigError names the file and every problem."""
    source = str(path)
    data = read_config_data(path, allowed="a mapping with keys " + ", ".join(OptimiseSpec.model_fields))
    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [
                Problem(
                    "", "expected a mapping at the top level", show_value(data), "keys base, variables, ..."
                )
            ],
        )
    try:
        return OptimiseSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from(exc, OptimiseSpec)) from None


__all__ = ["MAX_CANDIDATES", "MAX_SCREENED", "Objective", "OptimiseSpec", "Screening", "Target", "read_spec"]
