"""Sample points: which input values each simulated point takes, for every method.

The analysis works on the unit hypercube (each input's value as its
probability level u in [0, 1]); an input's distribution turns u into a value
(its inverse CDF), so Sobol' and Morris sampling (SALib) and PSA draws share
one mapping. OAT needs no sampling: the base, then each input at its low and
high value with every other input left as the base config has it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simiop.sensitivity.spec import Beta, Method, Triangular, TruncatedNormal, UncertainInput
from simiop.streams import stream

BASE_POINT = "base"


@dataclass(frozen=True)
class Design:
    """The points to simulate: ``values[p, i]`` is input i's value at point p (NaN: the base config's).

    ``unit`` is the same on [0, 1] (sobol, morris, psa; None for oat), as the
    analysis reads it. ``labels`` name each point (oat: "base", "<input>=low", ...).
    """

    method: Method
    inputs: tuple[str, ...]
    values: np.ndarray
    unit: np.ndarray | None
    labels: tuple[str, ...]


def value_of(spec: UncertainInput, u: np.ndarray) -> np.ndarray:
    """Input values at probability levels ``u`` (inverse CDF of its distribution on [low, high])."""
    from scipy import stats

    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    low, high, dist = spec.low, spec.high, spec.distribution
    width = high - low
    if isinstance(dist, Triangular):
        values = stats.triang.ppf(u, (dist.mode - low) / width, loc=low, scale=width)
    elif isinstance(dist, TruncatedNormal):
        a, b = (low - dist.mean) / dist.sd, (high - dist.mean) / dist.sd
        values = stats.truncnorm.ppf(u, a, b, loc=dist.mean, scale=dist.sd)
    elif isinstance(dist, Beta):
        values = stats.beta.ppf(u, dist.a, dist.b, loc=low, scale=width)
    else:
        values = low + u * width
    clipped: np.ndarray = np.clip(np.asarray(values, dtype=float), low, high)
    return np.rint(clipped) if _rounded(spec) else clipped


def _rounded(spec: UncertainInput) -> bool:
    """Whether the input's own value is rounded: with ``scale`` it is a multiplier, and the whole number is
    the scaled field, rounded where it is set (study.input_changes); rounding the multiplier would turn
    0.7 and 1.3 both into 1."""
    return spec.integer and not spec.scale


def _problem(inputs: Sequence[str]) -> dict[str, object]:
    """SALib's problem dictionary on the unit hypercube (values come from ``value_of``)."""
    return {"num_vars": len(inputs), "names": list(inputs), "bounds": [[0.0, 1.0]] * len(inputs)}


def oat_design(inputs: Mapping[str, UncertainInput]) -> Design:
    """The base, then each input at its low and its high value."""
    names = tuple(inputs)
    rows = [np.full(len(names), np.nan)]
    labels = [BASE_POINT]
    for index, (name, spec) in enumerate(inputs.items()):
        for end, value in (("low", spec.low), ("high", spec.high)):
            row = np.full(len(names), np.nan)
            row[index] = float(np.rint(value)) if _rounded(spec) else value
            rows.append(row)
            labels.append(f"{name}={end}")
    return Design("oat", names, np.array(rows), None, tuple(labels))


def unit_design(method: Method, count: int, dimensions: int, seed: int, levels: int = 4) -> np.ndarray:
    """Points on [0, 1]^d: Saltelli/Sobol' (``count`` a power of 2), Morris trajectories, or PSA draws.

    sobol: SALib's Sobol' sequence sampler without second-order terms, N (d + 2)
    rows (Saltelli 2002; Saltelli et al. 2010). morris: ``count`` trajectories
    of d + 1 rows on a ``levels`` grid (Morris 1991). psa: ``count`` independent
    uniform draws from a numpy Generator seeded from ``seed`` (streams.stream).
    """
    names = [f"x{i}" for i in range(dimensions)]
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        return np.asarray(
            sobol_sample.sample(_problem(names), count, calc_second_order=False, scramble=True, seed=seed),
            dtype=float,
        )
    if method == "morris":
        from SALib.sample import morris as morris_sample

        return np.asarray(
            morris_sample.sample(_problem(names), count, num_levels=levels, seed=seed), dtype=float
        )
    if method == "psa":
        return np.asarray(stream(seed, 0, "sensitivity.psa").random((count, dimensions)), dtype=float)
    raise ValueError(f"method {method!r} has no unit design")


def sampled_design(
    method: Method, inputs: Mapping[str, UncertainInput], count: int, seed: int, levels: int = 4
) -> Design:
    """The points of a sampled method, with each input's values from its distribution."""
    names = tuple(inputs)
    unit = unit_design(method, count, len(names), seed, levels)
    columns = [value_of(spec, unit[:, i]) for i, spec in enumerate(inputs.values())]
    values = np.column_stack(columns) if columns else np.empty((len(unit), 0))
    labels = tuple(f"p{index}" for index in range(len(unit)))
    return Design(method, names, values, unit, labels)
