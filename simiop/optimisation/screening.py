"""Screening a large space with Optuna, then the guaranteed procedure on the short list only.

Enumerating every candidate costs at least ``first_stage`` replications each.
With a ``screening`` section the space is searched first by an Optuna sampler
(Akiba et al. 2019, *Optuna: a next-generation hyperparameter optimization
framework*, KDD; TPE: Bergstra et al. 2011, *Algorithms for hyper-parameter
optimization*, NeurIPS), each candidate it proposes simulated a few times, and
only the ``shortlist`` best it tried are handed to the sequential procedure
(``procedure.select``), which states its guarantee **among those candidates
only**: a better candidate the screening never proposed, or ranked out, is not
covered (the screening is a heuristic; this is the usual two-stage
"search, then clean up" design, e.g. Boesel, Nelson & Kim 2003, *Using
ranking and selection to "clean up" after simulation optimization*,
Operations Research 51(5):814-825).

Determinism: the sampler is seeded and asked for a fixed ``batch`` of
candidates at a time, whose values come from the simulation by index (common
random numbers, any executor); so the same file and seed give the same
trials, short list and answer on any number of workers, and a resumed run
replays the same trials from values.csv. The screening's replications are
numbered from ``SCREENING_REPLICATION`` on: random numbers the clean-up never
reads, so the candidates picked for looking good on them are judged on fresh
ones (reusing them would bias the clean-up towards its own short list).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simiop.config import ConfigError, Problem
from simiop.optimisation.procedure import (
    CandidateResult,
    Constraint,
    Goal,
    ObjectiveVariesError,
    Selection,
    Settings,
    UndefinedValueError,
    select,
)
from simiop.optimisation.spec import OptimiseSpec, Screening

SCREENING_REPLICATION = 1_000_000
"""The screening's first replication number: its random numbers are none of the clean-up's (0, 1, ...)."""

EXTRA = 'pip install "simiop[optimise]"'

Rows = Callable[[Mapping[int, range]], Mapping[int, np.ndarray]]
"""The oracle of ``procedure.select``: each candidate's rows (objective, then the constraints' columns)."""


def check_available(spec: OptimiseSpec, source: str) -> None:
    """ConfigError (one line) when the file asks for a screening by Optuna and Optuna is not installed."""
    if spec.screening is not None and importlib.util.find_spec("optuna") is None:
        raise ConfigError(
            source,
            [Problem("screening.method", f"needs Optuna; install the extra: {EXTRA}", "optuna", "")],
        )


@dataclass(frozen=True)
class Screened:
    """What the screening tried and kept."""

    settings: Screening
    tried: Mapping[int, np.ndarray]
    """Each candidate proposed: its screening rows, shape (replications, columns)."""
    order: tuple[int, ...]
    """Every candidate tried, best first (the ranking the short list is cut from)."""
    shortlist: tuple[int, ...]
    """The candidates handed to the guaranteed procedure, in candidate order."""
    trials: int
    """Trials the sampler ran (a candidate proposed twice counts twice)."""

    @property
    def replications(self) -> int:
        return sum(len(rows) for rows in self.tried.values())


def score(rows: np.ndarray, constraints: Sequence[Constraint], goal: Goal) -> tuple[float, list[float]]:
    """A candidate's screening value: its mean objective (as a quantity to minimise), and per target
    how far the estimate misses it in tolerances, minus one (<= 0: met to within its tolerance)."""
    objective = float(np.mean(rows[:, 0]))
    value = objective if goal == "minimise" else -objective
    misses = [float(np.mean(c.excess(rows))) / c.tolerance - 1.0 for c in constraints]
    return value, misses


def rank(tried: Mapping[int, np.ndarray], constraints: Sequence[Constraint], goal: Goal) -> tuple[int, ...]:
    """Candidates tried, best first: those whose estimates meet every target to within its tolerance, by
    objective; then the others, by how far they miss in all (in tolerances); ties by candidate order."""

    def key(i: int) -> tuple[int, float, int]:
        value, misses = score(tried[i], constraints, goal)
        if not math.isfinite(value) or not all(math.isfinite(m) for m in misses):
            return (2, 0.0, i)  # a KPI undefined in a replication: last (the clean-up would stop on it)
        excess = sum(max(0.0, m) for m in misses)
        return (0, value, i) if excess == 0 else (1, excess, i)

    return tuple(sorted(tried, key=key))


def screen(
    spec: OptimiseSpec,
    constraints: Sequence[Constraint],
    rows: Rows,
) -> Screened:
    """Run the Optuna search over ``spec``'s candidates, asking ``rows`` for their screening replications.

    Candidate i is the i-th of ``spec.candidates()`` (the first variable varying slowest).
    """
    import optuna

    settings = spec.screening
    assert settings is not None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sizes = [len(variable.levels) for variable in spec.variables.values()]
    distributions: dict[str, Any] = {
        name: optuna.distributions.IntDistribution(0, size - 1)
        if _numeric(spec.variables[name].levels)
        else optuna.distributions.CategoricalDistribution(list(range(size)))
        for name, size in zip(spec.variables, sizes, strict=True)
    }
    sampler: optuna.samplers.BaseSampler = (
        optuna.samplers.TPESampler(seed=settings.seed)  # reads the constraints each trial sets
        if settings.sampler == "tpe"
        else optuna.samplers.RandomSampler(seed=settings.seed)
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    goal = spec.objective.goal
    numbers = range(SCREENING_REPLICATION, SCREENING_REPLICATION + settings.replications)
    tried: dict[int, np.ndarray] = {}
    done = 0
    while done < settings.trials:
        size = min(settings.batch, settings.trials - done)
        trials = [study.ask(distributions) for _ in range(size)]
        chosen = [_index([int(t.params[name]) for name in spec.variables], sizes) for t in trials]
        wanted = {i: numbers for i in dict.fromkeys(chosen) if i not in tried}
        if wanted:
            found = rows(wanted)
            for i in wanted:
                tried[i] = np.asarray(found[i], dtype=float).reshape(len(numbers), -1)
        for trial, i in zip(trials, chosen, strict=True):
            value, misses = score(tried[i], constraints, goal)
            if not math.isfinite(value) or not all(math.isfinite(m) for m in misses):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            for n, miss in enumerate(misses):
                trial.set_constraint(f"target{n}", miss)
            study.tell(trial, value)
        done += size
    order = rank(tried, constraints, goal)
    shortlist = tuple(sorted(order[: settings.shortlist]))
    return Screened(settings, tried, order, shortlist, done)


def _numeric(levels: Sequence[Any]) -> bool:
    """Levels that are numbers in increasing order: neighbouring indices are neighbouring values."""
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels):
        return False
    return all(a < b for a, b in itertools.pairwise(levels))


def _index(positions: Sequence[int], sizes: Sequence[int]) -> int:
    """Candidate index of one level position per variable (the first variable varying slowest)."""
    index = 0
    for position, size in zip(positions, sizes, strict=True):
        index = index * size + position
    return index


def cleanup(
    screened: Screened,
    candidates: int,
    select_on: Callable[[Sequence[int]], Selection],
) -> Selection:
    """The guaranteed procedure on the short list, widened back to every candidate.

    ``select_on(shortlist)`` runs ``procedure.select`` on the short-listed
    candidates (numbered 0 .. len - 1 there); every other candidate is
    ``screened_out``, its values the screening's (for the table only).
    """
    shortlist = screened.shortlist
    inner = select_on(shortlist)
    results: list[CandidateResult] = []
    values: dict[int, np.ndarray] = {}
    position = {i: n for n, i in enumerate(shortlist)}
    tried_rank = {i: n + 1 for n, i in enumerate(screened.order)}
    for i in range(candidates):
        if i in position:
            result = inner.candidates[position[i]]
            results.append(
                CandidateResult(
                    i, result.status, result.reason, result.replications, result.decided_at, list(result.met)
                )
            )
            if position[i] in inner.values:
                values[i] = inner.values[position[i]]
            continue
        if i in screened.tried:
            reason = (
                f"screened out: ranked {tried_rank[i]} of {len(screened.tried)} tried by the screening "
                f"(from {screened.settings.replications} replications of its own); no guarantee about it"
            )
            values[i] = screened.tried[i]
            used = len(screened.tried[i])
        else:
            reason = "screened out: never proposed by the screening; no guarantee about it"
            used = 0
        results.append(CandidateResult(i, "screened_out", reason, used))
    chosen = None if inner.chosen is None else shortlist[inner.chosen]
    return Selection(
        chosen, tuple(results), values, inner.settings, inner.beta, inner.alpha_selection, inner.guaranteed
    )


def screen_and_select(
    spec: OptimiseSpec,
    candidates: int,
    constraints: Sequence[Constraint],
    settings: Settings,
    oracle: Rows,
    prices: Sequence[float] | None = None,
) -> tuple[Selection, Screened]:
    """The screening, then ``procedure.select`` on its short list; every candidate's fate and the screening.

    ``oracle`` and ``prices`` are as for ``procedure.select``, over all ``candidates``.
    """
    screened = screen(spec, constraints, oracle)

    def select_on(shortlist: Sequence[int]) -> Selection:
        def rows(wanted: Mapping[int, range]) -> dict[int, np.ndarray]:
            found = oracle({shortlist[j]: numbers for j, numbers in wanted.items()})
            return {j: np.asarray(found[shortlist[j]]) for j in wanted}

        chosen_prices = None if prices is None else [prices[i] for i in shortlist]
        try:
            return select(len(shortlist), constraints, settings, rows, chosen_prices)
        except ObjectiveVariesError as exc:  # name the candidate in the whole space, not the short list
            raise ObjectiveVariesError(
                shortlist[exc.candidate], exc.replication, exc.first, exc.other
            ) from None
        except UndefinedValueError as exc:
            raise UndefinedValueError(shortlist[exc.candidate], exc.replication, exc.column) from None

    return cleanup(screened, candidates, select_on), screened


__all__ = [
    "SCREENING_REPLICATION",
    "Screened",
    "check_available",
    "cleanup",
    "rank",
    "score",
    "screen",
    "screen_and_select",
]
