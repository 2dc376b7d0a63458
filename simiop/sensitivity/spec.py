"""Sensitivity files: which inputs are uncertain, over what range, which KPIs matter, and the method.

A sensitivity file is checked like a config: unknown keys, a path the config
does not have, a low above its high or a method option of another method are
errors naming the file, the field and what is allowed.

```yaml
description: Which guesses of a new clinic matter most?
base: ../configs/baseline.yaml       # relative to this file
method: oat                          # oat | morris | sobol | psa
replications: 5                      # per sample point (averaged for the indices)
horizon: 1y
kpis: [unduplicated_patients_served, net_surplus_usd]
inputs:
  referral_volume:                   # a multiplier of every path's value (scale: true)
    label: referral volume
    paths: [referrals.sources.step_down.weekly_rate, referrals.sources.step_up.weekly_rate]
    scale: true
    low: 0.7
    high: 1.3
  medicaid_share:                    # a share of a mix: the other shares are rescaled to sum to 1
    paths: [referrals.sources.step_up.payer_mix.medicaid]
    rebalance: true
    low: 0.2
    high: 0.4
    distribution: {dist: triangular, mode: 0.3}
```
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from simiop.config.base import FromList, Frozen, Horizon, Name, rule_error
from simiop.results.kinds import unreachable_bound

Method = Literal["oat", "morris", "sobol", "psa"]
METHODS: tuple[Method, ...] = ("oat", "morris", "sobol", "psa")

FieldPath = Annotated[str, Field(min_length=1, max_length=200)]
_KPI = re.compile(r"^[a-z][a-z0-9_]*$")
KpiName = Annotated[str, Field(pattern=_KPI.pattern, max_length=80)]


class Uniform(Frozen):
    """Every value between low and high equally likely (the default)."""

    dist: Literal["uniform"]


class Triangular(Frozen):
    """Most likely at ``mode``, falling linearly to zero at low and high."""

    dist: Literal["triangular"]
    mode: float


class TruncatedNormal(Frozen):
    """A normal distribution of this mean and sd, cut to [low, high]."""

    dist: Literal["normal"]
    mean: float
    sd: Annotated[float, Field(gt=0)]


class Beta(Frozen):
    """A beta(a, b) distribution stretched onto [low, high] (e.g. a show rate known from a small sample)."""

    dist: Literal["beta"]
    a: Annotated[float, Field(gt=0)]
    b: Annotated[float, Field(gt=0)]


Distribution = Annotated[Uniform | Triangular | TruncatedNormal | Beta, Field(discriminator="dist")]


class UncertainInput(Frozen):
    """One uncertain input: the config fields it sets, its range and (sobol, morris, psa) its distribution."""

    label: str = ""
    """Plain words for reports ("step-down referrals per week"); default: the input's name with spaces."""

    paths: Annotated[tuple[FieldPath, ...], Field(min_length=1, max_length=40), FromList]
    """Config field paths that take the input's value (or, with ``scale``, are multiplied by it)."""

    low: float
    """The lowest plausible value (OAT's low case)."""

    high: float
    """The highest plausible value (OAT's high case)."""

    scale: bool = False
    """The value multiplies each path's base value (a number or a list of numbers): low 0.7 = 30% lower."""

    rebalance: bool = False
    """Each path is one share of a mix (e.g. payer_mix.medicaid): the other shares of that mix are scaled so
    the mix still sums to 1."""

    integer: bool = False
    """The config field is a whole number (a staff count, a group size): values are rounded (with ``scale``,
    each scaled value, not the multiplier)."""

    distribution: Distribution | None = None
    """How likely each value in [low, high] is (sobol, morris, psa); default uniform."""

    @model_validator(mode="after")
    def _consistent(self) -> UncertainInput:
        if not self.low < self.high:
            raise rule_error("high", "must be above low", self.high, f"a number above low ({self.low:g})")
        if self.scale and self.rebalance:
            raise rule_error("rebalance", "a share is set, not scaled", True, "scale or rebalance, not both")
        if self.rebalance and not (self.low >= 0 and self.high <= 1):
            raise rule_error(
                "low", "a share lies in [0, 1]", f"{self.low:g}..{self.high:g}", "0 <= low < high <= 1"
            )
        dist = self.distribution
        if isinstance(dist, Triangular) and not self.low <= dist.mode <= self.high:
            raise rule_error(
                "distribution.mode", "must lie in [low, high]", dist.mode, f"{self.low:g} to {self.high:g}"
            )
        return self

    def shown(self, name: str) -> str:
        return self.label or name.replace("_", " ")


class Target(Frozen):
    """A target a KPI should meet (PSA): at least or at most a value."""

    kpi: KpiName
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.at_least is None) == (self.at_most is None):
            raise rule_error("at_least", "give exactly one bound", "both or neither", "at_least or at_most")
        # A bound no value of the KPI can meet would only show a probability of 0: refused before any run.
        if unreachable := unreachable_bound(self.kpi, self.at_most, self.at_least):
            raise rule_error(*unreachable)
        return self

    def met(self, value: float) -> bool:
        if self.at_least is not None:
            return value >= self.at_least
        assert self.at_most is not None
        return value <= self.at_most

    def describe(self) -> str:
        return (
            f"{self.kpi} >= {self.at_least:g}"
            if self.at_least is not None
            else f"{self.kpi} <= {self.at_most:g}"
        )


class ParameterSetsFile(Frozen):
    """psa: the input sets are the rows of a parameter_sets.csv (simiop calibrate), applied onto the base."""

    file: Annotated[str, Field(min_length=1)]
    """Path of the parameter_sets.csv, relative to this file (e.g. ../calibration/parameter_sets.csv)."""


class Option(Frozen):
    """A staffing (or other policy) option PSA compares under the same uncertain inputs."""

    description: str = ""
    set: dict[FieldPath, Any] = Field(default_factory=dict)
    """Config field path -> value, as an experiment scenario's ``set``."""


class SensitivitySpec(Frozen):
    """A sensitivity file: base config, uncertain inputs, KPIs, method and its options."""

    description: str = ""
    base: Annotated[str, Field(min_length=1)]
    """Path of the base config, relative to this file."""

    method: Method
    """oat (one at a time, tornado), morris (elementary effects), sobol (variance indices), psa."""

    inputs: Annotated[dict[Name, UncertainInput], Field(max_length=50)] = Field(default_factory=dict)
    """The uncertain inputs (at least one, unless psa reads ``parameter_sets``)."""

    parameter_sets: ParameterSetsFile | None = None
    """psa: input set p takes row p of this parameter_sets.csv (``samples``: the first N rows; default all),
    besides the ``inputs`` drawn from their distributions."""

    kpis: Annotated[tuple[KpiName, ...], Field(min_length=1, max_length=20), FromList]
    """KPI names of kpis.csv, or net_surplus_usd (revenue_usd - total_cost_usd)."""

    set: dict[FieldPath, Any] = Field(default_factory=dict)
    """Overrides applied to the base before anything varies (e.g. a shorter horizon)."""

    replications: Annotated[int, Field(ge=1, le=10_000)] = 5
    """Replications of every sample point (common random numbers: the same for every point)."""

    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None
    """Seed of the simulation and of the sampling (default: the base config's)."""

    horizon: Horizon | None = None
    """Simulated time from opening, e.g. 1y or days (default: the base config's)."""

    samples: Annotated[int, Field(ge=2, le=1_000_000)] | None = None
    """sobol: base samples N (a power of 2; points = N (inputs + 2)); morris: trajectories (points =
    trajectories (inputs + 1)); psa: input sets drawn. Not read by oat."""

    levels: Annotated[int, Field(ge=2, le=100)] = 4
    """morris: grid levels."""

    bootstrap: Annotated[int, Field(ge=10, le=100_000)] = 500
    """sobol and morris: bootstrap resamples of the confidence intervals."""

    targets: Annotated[tuple[Target, ...], FromList] = ()
    """psa: targets whose probability of being met is reported."""

    options: dict[Name, Option] = Field(default_factory=dict)
    """psa: options (e.g. staffing levels) compared under the same input sets (acceptability curve)."""

    @model_validator(mode="after")
    def _consistent(self) -> SensitivitySpec:
        if not self.inputs and self.parameter_sets is None:
            raise rule_error(
                "inputs", "no uncertain input", "{}", "at least one input (or parameter_sets: with psa)"
            )
        if self.parameter_sets is not None and self.method != "psa":
            raise rule_error(
                "parameter_sets", f"read only by method psa, not {self.method}", "given", "leave it out"
            )
        if len(set(self.kpis)) != len(self.kpis):
            raise rule_error("kpis", "a KPI is listed twice", list(self.kpis), "distinct KPI names")
        if self.method == "oat" and self.samples is not None:
            raise rule_error("samples", "not read by method oat", self.samples, "leave it out")
        if self.method != "psa":
            for key in ("targets", "options"):
                if getattr(self, key):
                    raise rule_error(
                        key, f"read only by method psa, not {self.method}", "given", "leave it out"
                    )
        for index, target in enumerate(self.targets):
            if target.kpi not in self.kpis:
                raise rule_error(f"targets[{index}].kpi", "not one of kpis", target.kpi, ", ".join(self.kpis))
        if self.method == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise rule_error("samples", "sobol needs a power of 2", self.samples, "2, 4, 8, ..., 1024, ...")
        return self

    def sample_count(self) -> int:
        """``samples``, or the method's default (sobol 64, morris 10 trajectories, psa 100 sets)."""
        if self.samples is not None:
            return self.samples
        return {"sobol": 64, "morris": 10, "psa": 100, "oat": 0}[self.method]
