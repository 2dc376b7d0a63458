"""A sensitivity file resolved: the base config as it runs, the inputs, and every sample point's config.

What the manifest records is the ``Study`` (the spec with the fully resolved
base config), not the files it came from, so ``simiop reproduce`` can re-run
it from the result folder alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from simiop.config import ConfigError, Problem, SimiopConfig, read_config_data, validate_config
from simiop.config.errors import problems_from, show_value
from simiop.config.overrides import overlap_problems, overlaps, set_values, split_path, value_at
from simiop.experiments.decided import HORIZON, SEED, horizon_way
from simiop.experiments.plan import identity_key
from simiop.sensitivity.design import Design, oat_design, sampled_design
from simiop.sensitivity.parameter_sets import ParameterSets, path_problems, read_parameter_sets, set_changes
from simiop.sensitivity.spec import SensitivitySpec, UncertainInput

NET_SURPLUS = "net_surplus_usd"
"""Derived KPI: revenue_usd - total_cost_usd (revenue earned less staff and fixed costs, over the run).
The grant budget's net surplus also subtracts indirect and start-up costs (simiop budget)."""

DERIVED = {NET_SURPLUS: ("revenue_usd", "total_cost_usd")}


def raw_kpis(kpis: tuple[str, ...]) -> tuple[str, ...]:
    """The model's KPIs needed to compute ``kpis`` (derived ones replaced by their parts)."""
    needed: dict[str, None] = {}
    for name in kpis:
        needed.update(dict.fromkeys(DERIVED.get(name, (name,))))
    return tuple(needed)


def derive(kpis: tuple[str, ...], raw: Mapping[str, float]) -> dict[str, float]:
    """The wanted KPIs from the model's (net surplus = revenue - total cost)."""
    found = {}
    for name in kpis:
        if name == NET_SURPLUS:
            found[name] = raw["revenue_usd"] - raw["total_cost_usd"]
        else:
            found[name] = raw[name]
    return found


@dataclass(frozen=True)
class Study:
    """Everything that determines a sensitivity run's output files."""

    name: str
    spec: SensitivitySpec
    base: SimiopConfig
    """The base config with the file's set:, horizon: and seed applied (what every point starts from)."""
    source: str = ""
    """The file (or manifest) it was read from, for messages; not part of the identity."""
    parameter_sets: ParameterSets | None = None
    """psa: the parameter sets read from the spec's ``parameter_sets.file`` (part of the identity)."""

    @property
    def seed(self) -> int:
        return self.base.simulation.seed

    @property
    def sampling_seed(self) -> int:
        """The seed of the sampling and bootstrap: from 1 to 2**32 - 1 (SALib reads a seed of 0 as none
        and then draws from numpy's global state)."""
        return self.seed % (2**32 - 1) + 1

    def identity(self) -> dict[str, Any]:
        """Plain JSON data from which the study is rebuilt exactly (``from_identity``)."""
        found = {
            "kind": "sensitivity",
            "name": self.name,
            "spec": self.spec.model_dump(
                mode="json",
                exclude_unset=False,
                exclude={"parameter_sets"} if self.spec.parameter_sets is None else None,
            ),
            "base_config": self.base.model_dump(mode="json"),
        }
        if self.parameter_sets is not None:
            found["parameter_sets"] = self.parameter_sets.identity()
        return found

    def label(self, name: str) -> str:
        """An input's plain words; a parameter set's column is shown as its config path."""
        item = self.spec.inputs.get(name)
        return item.shown(name) if item is not None else name

    def key(self) -> str:
        """Equal keys mean the same output files (the simiop version included)."""
        return identity_key(self.identity())

    @classmethod
    def from_identity(cls, data: Mapping[str, Any], source: str) -> Study:
        try:
            spec = SensitivitySpec.model_validate(data["spec"])
            base = validate_config(data["base_config"], f"{source}: base_config")
            sets = data.get("parameter_sets")
            found = ParameterSets.from_identity(sets) if sets is not None else None
            return cls(str(data["name"]), spec, base, source, found)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise ConfigError(
                source, [Problem("sensitivity", f"not a simiop sensitivity record ({exc})")]
            ) from None

    def design(self) -> Design:
        """The sample points of the method (oat: base, low, high; others: sampled with the seed)."""
        if self.spec.method == "oat":
            return oat_design(self.spec.inputs)
        sets = self.parameter_sets
        count = self.spec.sample_count() if sets is None else (self.spec.samples or len(sets.rows))
        design = sampled_design(
            self.spec.method, self.spec.inputs, count, self.sampling_seed, self.spec.levels
        )
        if sets is None:
            return design
        columns = np.array(sets.rows[:count], dtype=float).reshape(count, len(sets.paths))
        return Design(
            design.method,
            design.inputs + sets.paths,
            np.hstack([design.values.reshape(count, len(design.inputs)), columns]),
            design.unit,
            design.labels,
        )

    def options(self) -> dict[str, SimiopConfig]:
        """psa's options as configs (just the base when there are none)."""
        if not self.spec.options:
            return {"base": self.base}
        data = self.base.model_dump(mode="json")
        found = {}
        for name, option in self.spec.options.items():
            found[name] = validate_config(
                set_values(data, option.set, "<sensitivity>", f"options.{name}.set"), "<sensitivity>"
            )
        return found

    def point_configs(self, design: Design, source: str = "<sensitivity>") -> list[SimiopConfig]:
        """One config per (option, point), option-major; ConfigError names the input a config refuses."""
        configs = []
        for base in self.options().values():
            data = base.model_dump(mode="json")
            drawn = len(self.spec.inputs)
            for row, label in zip(design.values, design.labels, strict=True):
                changes: dict[str, Any] = {}
                if self.parameter_sets is not None:
                    changes.update(
                        set_changes(data, self.parameter_sets.paths, [float(v) for v in row[drawn:]])
                    )
                for value, (name, spec) in zip(row[:drawn], self.spec.inputs.items(), strict=True):
                    if not math.isnan(value):
                        changes.update(input_changes(data, name, spec, float(value)))
                try:
                    configs.append(validate_config(set_values(data, changes, source), source))
                except ConfigError as exc:
                    varied = [
                        n for n, v in zip(self.spec.inputs, row[:drawn], strict=True) if not math.isnan(v)
                    ]
                    if self.parameter_sets is not None:
                        varied.append("parameter_sets")
                    where = (
                        (f"inputs.{varied[0]}" if varied[0] != "parameter_sets" else "parameter_sets")
                        if len(varied) == 1
                        else f"inputs ({', '.join(varied)})"
                    )
                    problems = [
                        Problem(f"{where} at point {label}: {p.path}", p.message, p.got, _hinted(p))
                        for p in exc.problems
                    ]
                    raise ConfigError(source, problems) from None
        return configs


def _hinted(problem: Problem) -> str | None:
    """What is allowed, saying how to give a whole-number field a whole number: an input's values are
    numbers like 2.0, which such a field refuses ("got 2; allowed a whole number" said no more)."""
    if problem.message == "wrong type" and problem.allowed == "a whole number":
        return "a whole number: give the input integer: true to round its values"
    return problem.allowed


def input_changes(data: Any, name: str, spec: UncertainInput, value: float) -> dict[str, Any]:
    """The config changes that give input ``name`` the value ``value`` (scaled, rebalanced or set)."""
    changes: dict[str, Any] = {}
    number: float | int = int(value) if spec.integer else value
    for path in spec.paths:
        parts = split_path(path)
        current = value_at(data, parts)
        if spec.scale:
            # integer: the scaled value is rounded (each item of a list), not the multiplier.
            whole: Callable[[float], float] = round if spec.integer else float
            changes[path] = (
                [whole(item * value) for item in current]
                if isinstance(current, list)
                else whole(current * value)
            )
        elif spec.rebalance:
            parent_path = ".".join(str(p) for p in parts[:-1])
            mix = value_at(data, parts[:-1])
            others = {key: share for key, share in mix.items() if key != parts[-1]}
            rest = sum(others.values())
            changes[parent_path] = (
                {
                    **{key: share * (1 - value) / rest for key, share in others.items()},
                    parts[-1]: value,
                }
                if rest > 0
                else {**dict.fromkeys(others, (1 - value) / max(len(others), 1)), parts[-1]: value}
            )
        else:
            changes[path] = number
    return changes


def _check_inputs(spec: SensitivitySpec, data: Any, source: str) -> list[Problem]:
    """Every input path must exist in the base config and hold what its kind needs."""
    problems = []
    entries: list[tuple[str, list[str | int]]] = []
    for name, item in spec.inputs.items():
        for index, path in enumerate(item.paths):
            where = f"inputs.{name}.paths[{index}]"
            try:
                parts = split_path(path)
                current = value_at(data, parts)
                entries.append((where, parts[:-1] if item.rebalance else parts))  # rebalance sets the mix
            except (KeyError, ValueError):
                problems.append(
                    Problem(
                        where,
                        "no such field in the base config",
                        repr(path),
                        "a config field path, e.g. referrals.sources.step_up.weekly_rate",
                    )
                )
                continue
            numeric = isinstance(current, (int, float)) and not isinstance(current, bool)
            if item.scale and not (
                numeric
                or (
                    isinstance(current, list)
                    and current
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in current)
                )
            ):
                problems.append(
                    Problem(
                        where,
                        "scale: true multiplies a number or a list of numbers",
                        show_value(current),
                        "a numeric field",
                    )
                )
            elif item.rebalance:
                parent = value_at(data, parts[:-1]) if len(parts) > 1 else None
                if not isinstance(parent, dict) or not all(
                    isinstance(v, (int, float)) for v in parent.values()
                ):
                    problems.append(
                        Problem(
                            where,
                            "rebalance: true needs a share inside a mix of shares",
                            show_value(parent),
                            "e.g. referrals.sources.step_up.payer_mix.medicaid",
                        )
                    )
            elif not item.scale and not numeric:
                problems.append(
                    Problem(
                        where,
                        "the field does not hold a number",
                        show_value(current),
                        "a numeric field (or scale: true for a list)",
                    )
                )
    return problems + overlap_problems(entries) + _option_problems(spec, entries)


def _option_problems(spec: SensitivitySpec, entries: list[tuple[str, list[str | int]]]) -> list[Problem]:
    """An option may not set a field an input varies: the input's value would silently replace the
    option's at every point, and the options would be the same clinic."""
    problems = []
    for name, option in spec.options.items():
        for path in option.set:
            try:
                parts = split_path(path)
            except ValueError:
                continue  # reported when the option is applied
            varied = next((where for where, inner in entries if overlaps(inner, parts)), None)
            if varied is not None:
                problems.append(
                    Problem(
                        f"options.{name}.set.{path}",
                        f"sets a field that {varied} varies; the input would silently win",
                        None,
                        "a field no input varies (vary it by the options or by an input, not both)",
                    )
                )
    return problems


def _set_overlaps(spec: SensitivitySpec, sets: ParameterSets) -> list[Problem]:
    """An input that sets a field a parameter set's column sets too (the same path, parent or child)."""
    entries: list[tuple[str, list[str | int]]] = [
        ("parameter_sets.file: column " + name, split_path(name)) for name in sets.paths
    ]
    for name, item in spec.inputs.items():
        for index, path in enumerate(item.paths):
            parts = split_path(path)
            entries.append((f"inputs.{name}.paths[{index}]", parts[:-1] if item.rebalance else parts))
    return overlap_problems(entries)


def read_study(path: Path, overrides: Mapping[str, Any] | None = None) -> Study:
    """Read and check a sensitivity file and its base config; ConfigError names the file and every problem.

    ``overrides`` replace top-level keys of the file (``{"replications": 3, "horizon": "90d"}``), as the
    command line's options do; they are checked by the same rules.
    """
    source = str(path)
    data = read_config_data(path, allowed="a mapping with keys " + ", ".join(SensitivitySpec.model_fields))
    if overrides and isinstance(data, Mapping):
        data = {**data, **{key: value for key, value in overrides.items() if value is not None}}
    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [
                Problem(
                    "",
                    "expected a mapping at the top level",
                    show_value(data),
                    "keys base, method, inputs, kpis, ...",
                )
            ],
        )
    try:
        spec = SensitivitySpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from(exc, SensitivitySpec)) from None
    base_path = Path(spec.base) if Path(spec.base).is_absolute() else (path.parent / spec.base).resolve()
    if not base_path.is_file():
        raise ConfigError(
            source, [Problem("base", "no such config file", repr(spec.base), "a path relative to this file")]
        )
    base_data = read_config_data(base_path)
    validate_config(base_data, str(base_path))
    changes: dict[str, Any] = dict(spec.set)
    if spec.horizon is not None:
        changes.update(horizon_way(HORIZON, spec.horizon))
    if spec.seed is not None:
        changes[SEED] = spec.seed
    changed = set_values(base_data, changes, source, "set") if changes else base_data
    base = validate_config(changed, source)
    resolved = base.model_dump(mode="json")
    problems = _check_inputs(spec, resolved, source)
    sets = None
    if spec.parameter_sets is not None:
        given = Path(spec.parameter_sets.file)
        sets = read_parameter_sets(given if given.is_absolute() else path.parent / given, source)
        problems += path_problems(sets, resolved)
        if spec.samples is not None and spec.samples > len(sets.rows):
            problems.append(
                Problem(
                    "samples",
                    f"more than the {len(sets.rows)} parameter sets of {spec.parameter_sets.file}",
                    str(spec.samples),
                    f"at most {len(sets.rows)} (or leave it out: every set)",
                )
            )
        if not problems:
            problems += _set_overlaps(spec, sets)
    if problems:
        raise ConfigError(source, problems)
    study = Study(path.stem, spec, base, source, sets)
    study.point_configs(study.design(), source)  # every point's config is valid before anything runs
    return study


def design_table(design: Design, inputs: Mapping[str, UncertainInput]) -> str:
    """design.csv: point, label, each input's value (empty: the base config's own)."""
    lines = [",".join(["point", "label", *design.inputs])]
    for index, (label, row) in enumerate(zip(design.labels, design.values, strict=True)):
        lines.append(",".join([str(index), label, *("" if np.isnan(v) else repr(float(v)) for v in row)]))
    return "\n".join(lines) + "\n"
