"""The constrained selection procedure on synthetic systems with known means (no simulation).

The guarantee is checked the way it is stated: over many macro-replications,
in the hardest (slippage) configurations, the share of correct selections is
at least the nominal confidence within binomial error. SIMIOP_OPTIMISE_MACRO
sets the number of macro-replications (default 1,000; the long profile, e.g.
10,000, runs on demand).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np
import pytest

from simiop.optimisation.procedure import (
    Constraint,
    ObjectiveVariesError,
    Settings,
    UndefinedValueError,
    feasibility_h2,
    kn_h2,
    region,
    select,
    stein_replications,
)

MACRO = int(os.environ.get("SIMIOP_OPTIMISE_MACRO", "1000"))
ALPHA = 0.05


def lower_limit(macro: int) -> float:
    """The least share of correct selections consistent with 1 - alpha: three binomial standard errors below."""
    return 1 - ALPHA - 3 * math.sqrt(ALPHA * (1 - ALPHA) / macro)


class Synthetic:
    """Normal observations with known means; replication r of every candidate shares a common draw (CRN).

    Column 0 the objective (mean ``objective[i]``, sd ``sd``), column 1 a constrained KPI (mean
    ``kpi[i]``, sd ``kpi_sd``). ``correlation`` of the common part across candidates.
    """

    def __init__(
        self,
        objective: list[float],
        kpi: list[float],
        seed: int,
        sd: float = 1.0,
        kpi_sd: float = 1.0,
        correlation: float = 0.5,
        deterministic: bool = False,
        cap: int = 400,
    ) -> None:
        rng = np.random.default_rng(seed)
        k = len(objective)
        common = rng.standard_normal((1, cap, 2))
        own = rng.standard_normal((k, cap, 2))
        noise = math.sqrt(correlation) * common + math.sqrt(1 - correlation) * own
        self.table = np.empty((k, cap, 2))
        self.table[:, :, 0] = np.asarray(objective)[:, None] + (0.0 if deterministic else sd * noise[:, :, 0])
        self.table[:, :, 1] = np.asarray(kpi)[:, None] + kpi_sd * noise[:, :, 1]
        self.asked = 0

    def __call__(self, wanted: Mapping[int, range]) -> dict[int, np.ndarray]:
        self.asked += sum(len(numbers) for numbers in wanted.values())
        return {i: self.table[i, numbers.start : numbers.stop] for i, numbers in wanted.items()}


AT_MOST_ZERO = Constraint(column=1, sense="<=", bound=0.0, tolerance=0.5)


def test_h2_matches_the_published_eta() -> None:
    # KN: eta = 1/2 [(2 alpha / (k - 1))^(-2/(n0-1)) - 1], h^2 = 2 eta (n0 - 1) (Kim & Nelson 2001).
    eta = 0.5 * ((2 * 0.05 / 4) ** (-2 / 9) - 1)
    assert kn_h2(0.05, 5, 10) == pytest.approx(2 * eta * 9)
    # Feasibility with one system is KN's pair: the same h^2 at the same error.
    assert feasibility_h2(0.05 / 4, 10) == pytest.approx(kn_h2(0.05, 5, 10))
    assert region(1, 4.0, 1.0, 0.5) == pytest.approx(4.0 - 0.25)
    assert region(100, 4.0, 1.0, 0.5) == 0.0


def test_feasibility_slippage_cheapest_first() -> None:
    """Cheaper candidates miss the target by exactly the tolerance, the answer meets it by exactly it."""
    correct = 0
    for macro in range(MACRO):
        # Costs 0..4; candidates 0-2 at bound + tolerance (unacceptable), 3 at bound - tolerance (desirable).
        system = Synthetic([0, 1, 2, 3, 4], [0.5, 0.5, 0.5, -0.5, -2.0], seed=macro, deterministic=True)
        settings = Settings(alpha=ALPHA, first_stage=10, batch=5, deterministic=True)
        found = select(5, [AT_MOST_ZERO], settings, system)
        correct += found.chosen == 3
    assert correct / MACRO >= lower_limit(MACRO)


def test_kn_slippage_all_feasible() -> None:
    """Every candidate feasible; the best is exactly delta better than the rest (the hardest case for KN)."""
    correct = 0
    delta = 0.5
    for macro in range(MACRO):
        system = Synthetic([0.0, delta, delta, delta], [-3, -3, -3, -3], seed=10_000 + macro)
        settings = Settings(alpha=ALPHA, delta=delta, first_stage=10, batch=10)
        found = select(4, [AT_MOST_ZERO], settings, system)
        correct += found.chosen == 0
    assert correct / MACRO >= lower_limit(MACRO)


def test_constrained_slippage_better_but_infeasible() -> None:
    """Better objectives that miss the target by the tolerance; the best feasible is delta ahead of the rest."""
    correct = 0
    delta = 0.5
    for macro in range(MACRO):
        objective = [-2.0, -2.0, 0.0, delta, delta]
        kpi = [0.5, 0.5, -0.5, -0.5, -0.5]
        system = Synthetic(objective, kpi, seed=20_000 + macro)
        settings = Settings(alpha=ALPHA, delta=delta, first_stage=10, batch=10)
        found = select(5, [AT_MOST_ZERO], settings, system)
        correct += found.chosen == 2
    assert correct / MACRO >= lower_limit(MACRO)


def test_chance_constraint_slippage() -> None:
    """Share of replications with KPI <= 0 must be >= 0.8 (tolerance 0.1): shares 0.7 and 0.9 are decided."""
    # P(Z <= z) = share for a standard normal: mean -z puts P(KPI <= 0) at the share.
    from scipy.stats import norm

    at = [float(-norm.ppf(share)) for share in (0.7, 0.7, 0.9)]
    constraint = Constraint(column=1, sense="<=", bound=0.0, tolerance=0.1, share=0.8)
    correct = 0
    macro_count = MACRO // 2  # a Bernoulli needs more replications per decision
    for macro in range(macro_count):
        system = Synthetic([0, 1, 2], at, seed=30_000 + macro, deterministic=True, cap=1000)
        settings = Settings(alpha=ALPHA, first_stage=20, batch=20, deterministic=True, max_replications=1000)
        correct += select(3, [constraint], settings, system).chosen == 2
    assert correct / macro_count >= lower_limit(macro_count)


def test_decisions_do_not_depend_on_the_batch() -> None:
    results = []
    for batch in (1, 7, 50):
        system = Synthetic([0.0, 0.3, 0.6, -1.0], [-0.4, -0.2, -1.0, 0.3], seed=5)
        found = select(4, [AT_MOST_ZERO], Settings(delta=0.25, batch=batch, max_replications=400), system)
        results.append((found.chosen, [(c.status, c.decided_at, c.reason) for c in found.candidates]))
    assert results[0] == results[1] == results[2]


def test_cheapest_first_stops_at_the_first_feasible() -> None:
    system = Synthetic([3, 1, 2, 0], [-2.0, 2.0, -2.0, 2.0], seed=1, deterministic=True)
    found = select(4, [AT_MOST_ZERO], Settings(deterministic=True, first_stage=10, batch=5), system)
    assert found.chosen == 2
    statuses = [c.status for c in found.candidates]
    assert statuses == ["not_checked", "infeasible", "chosen", "infeasible"]
    assert found.candidates[0].replications == 1  # priced by one replication, never checked
    assert found.guaranteed


def test_fewer_replications_than_a_fixed_sample_check() -> None:
    system = Synthetic([0, 1, 2, 3], [1.5, 1.0, -1.0, -2.0], seed=2, deterministic=True)
    found = select(4, [AT_MOST_ZERO], Settings(deterministic=True, first_stage=10, batch=5), system)
    fixed = sum(stein_replications(system.table[i, :10], [AT_MOST_ZERO], found.beta) for i in range(4))
    assert found.chosen == 2
    assert found.replications < fixed


def test_no_feasible_candidate() -> None:
    system = Synthetic([0, 1], [3.0, 3.0], seed=3, deterministic=True)
    found = select(2, [AT_MOST_ZERO], Settings(deterministic=True), system)
    assert found.chosen is None
    assert [c.status for c in found.candidates] == ["infeasible", "infeasible"]


def test_undecided_at_the_cap_is_not_a_guarantee() -> None:
    system = Synthetic([0, 1], [0.0, -3.0], seed=4, deterministic=True, kpi_sd=3.0)
    found = select(
        2, [AT_MOST_ZERO], Settings(deterministic=True, first_stage=5, max_replications=12), system
    )
    assert found.candidates[0].status == "undecided"
    assert found.candidates[0].replications == 12
    assert not found.guaranteed


def test_a_varying_deterministic_objective_is_refused() -> None:
    system = Synthetic([0, 1], [-3.0, -3.0], seed=6)  # the objective varies
    with pytest.raises(ObjectiveVariesError, match="not deterministic"):
        select(2, [AT_MOST_ZERO], Settings(deterministic=True), system)


def test_an_undefined_value_is_refused() -> None:
    system = Synthetic([0, 1], [-3.0, -3.0], seed=7, deterministic=True)
    system.table[0, 3, 1] = np.nan
    with pytest.raises(UndefinedValueError, match="replication 3"):
        select(2, [AT_MOST_ZERO], Settings(deterministic=True), system)


def test_maximise_chooses_the_largest() -> None:
    system = Synthetic([0.0, 5.0, 2.0], [-3, -3, -3], seed=8)
    found = select(3, [AT_MOST_ZERO], Settings(delta=0.5, goal="maximise"), system)
    assert found.chosen == 1


def test_a_tie_in_cost_is_named_as_such() -> None:
    system = Synthetic([1, 1, 2], [-2.0, -2.0, -2.0], seed=9, deterministic=True)
    found = select(3, [AT_MOST_ZERO], Settings(deterministic=True), system)
    assert found.chosen == 0
    assert found.candidates[1].reason.startswith("as cheap as the chosen candidate")
    assert found.candidates[2].reason.startswith("costlier than the chosen candidate")
