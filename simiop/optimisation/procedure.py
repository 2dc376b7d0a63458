"""Constrained ranking and selection on a values oracle: which candidate is best among those that meet
every target, with a stated probability of being right. Pure statistics: no simulation here.

The procedure asks an *oracle* for observations: given, for some candidates,
the replication numbers wanted, it returns each candidate's values (one row per
replication: the objective, then the KPIs the constraints read). The simulation
is one oracle (``runner.py``); a synthetic system with known means is another
(the tests), so the guarantee can be checked over thousands of
macro-replications in seconds.

Two phases, each a fully sequential procedure in the indifference-zone
framework, with the error probability split between them (Bonferroni):

1. **Feasibility** (Andradottir & Kim 2010; Batur & Kim 2010, procedure F_B
   with c = 1). Each constraint is written as E[Y] <= 0 with a tolerance
   epsilon: Y = KPI - bound for ``kpi <= bound`` on the mean, bound - KPI for
   ``>=``, and for a chance constraint (the share of replications meeting a
   threshold is at least p) Y = p - 1{replication meets the threshold}, a
   Bernoulli mean. After n0 observations, with
   S^2 the first-stage variance of Y, the running sum of Y over r observations
   is compared with the triangular continuation region
   R(r) = max(0, h^2 S^2 / (2 epsilon) - epsilon r / 2):
   sum <= -R(r) declares the constraint met, sum >= R(r) not met, otherwise one
   more observation is taken. h^2 = (n0 - 1) [(2 beta)^(-2/(n0-1)) - 1] makes
   the probability of the wrong exit at most beta for a constraint whose mean
   is at least epsilon on either side of its bound (Fabian 1974's boundary
   crossing bound, as in Kim & Nelson 2001). A candidate is infeasible as soon
   as one constraint is declared not met, feasible when all are declared met.
   beta = alpha_F / (k s) for k candidates and s constraints.

2. **Selection of the best feasible.**
   - A *stochastic* objective: KN (Kim & Nelson 2001) among the candidates
     declared feasible, with common random numbers (replication r of every
     candidate shares its random numbers, so the pairwise differences have a
     small variance). S^2_il is the first-stage variance of the difference
     X_i - X_l; candidate i is eliminated at r when sum_j (X_ij - X_lj) exceeds
     max(0, h^2 S^2_il / (2 delta) - delta r / 2) for a surviving other (for a
     minimised objective), h^2 = (n0 - 1) [(2 alpha_S / (k - 1))^(-2/(n0-1)) - 1]
     with k the number of *all* candidates (the feasible set is random, so the
     bound is taken over every pair that could meet). Every observation made
     in phase 1 is reused; decisions at r read only the first r observations.
   - A *deterministic* objective (a staff cost that does not vary by
     replication, or a decision value such as seats): no selection error is
     possible, so alpha_F = alpha, and the candidates are checked cheapest
     first; the first one declared feasible is chosen and costlier candidates
     are never simulated beyond the one replication that priced them. The
     objective is checked on every replication run: a value that varies is an
     error, not an assumption kept silently.

The guarantee (our construction after Andradottir & Kim 2010: Bonferroni
over the two phases and over the candidates and constraints): with probability at least 1 - alpha, every
candidate whose constraints all hold by at least their tolerance ("desirable")
is declared feasible, every candidate missing a constraint by at least its
tolerance ("unacceptable") is declared infeasible, and - when the best
desirable candidate's objective is at least delta better than every other
feasible candidate's - it is the one chosen. A candidate within a tolerance of
a bound ("acceptable") may go either way.

Observations are taken in batches (``batch`` replications of every candidate
still undecided) so workers stay busy, but every decision is made at the first
r (from n0) where the rule is met, reading observations in replication order:
the decisions do not depend on the batch size or on the number of workers,
only the replications run beyond a decision do.

Normality is assumed for the observations (each a whole replication's KPI, an
average of many patients, or a Bernoulli); for a Bernoulli the first-stage
variance may be 0 by chance, so at least the variance of a Bernoulli at the
required share, p (1 - p), is used (ASSUMPTION: our adaptation, so that n0
lucky replications cannot decide alone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Sense = Literal["<=", ">="]
Goal = Literal["minimise", "maximise"]
Status = Literal["chosen", "feasible", "infeasible", "undecided", "not_checked", "screened_out"]

Oracle = Callable[[Mapping[int, range]], Mapping[int, np.ndarray]]
"""Given {candidate index: replication numbers}, each candidate's values there, shape (len(range), columns):
column 0 the objective, then whatever columns the constraints name. Replication r of every candidate must
be the same random draw (common random numbers) and the same every time it is asked for."""


class ObjectiveVariesError(ValueError):
    """A deterministic objective gave two different values for one candidate."""

    def __init__(self, candidate: int, replication: int, first: float, other: float) -> None:
        super().__init__(
            f"candidate {candidate}: the objective is {first!r} in replication 0 and {other!r} in "
            f"replication {replication}; it is not deterministic"
        )
        self.candidate = candidate
        self.replication = replication
        self.first = first
        self.other = other


class UndefinedValueError(ValueError):
    """A KPI the procedure reads was undefined (NaN) in a replication."""

    def __init__(self, candidate: int, replication: int, column: int) -> None:
        super().__init__(f"candidate {candidate}: column {column} is undefined in replication {replication}")
        self.candidate = candidate
        self.replication = replication
        self.column = column


@dataclass(frozen=True)
class Constraint:
    """A target on one column of the oracle's values.

    ``share`` None: the mean of the column is ``sense`` ``bound`` (tolerance in the column's units).
    ``share`` p: the share of replications whose value is ``sense`` ``bound`` is at least p
    (tolerance a share, e.g. 0.05).
    """

    column: int
    sense: Sense
    bound: float
    tolerance: float
    share: float | None = None

    def excess(self, values: np.ndarray) -> np.ndarray:
        """Y per replication, shape (n,): E[Y] <= 0 when the target is met (see the module's docstring)."""
        column = values[:, self.column]
        if self.share is None:
            return column - self.bound if self.sense == "<=" else self.bound - column
        met = column <= self.bound if self.sense == "<=" else column >= self.bound
        return self.share - met.astype(float)

    def variance_floor(self) -> float:
        """The least first-stage variance used: p (1 - p) for a chance constraint, 0 for a mean."""
        return 0.0 if self.share is None else self.share * (1.0 - self.share)


@dataclass(frozen=True)
class Settings:
    """The procedure's parameters; see the module docstring for their roles."""

    alpha: float = 0.05
    """1 - confidence."""
    delta: float = 0.0
    """Indifference zone of the objective, in its units (unused for a deterministic objective)."""
    goal: Goal = "minimise"
    first_stage: int = 10
    """n0 >= 2: replications of every candidate checked before any decision."""
    batch: int = 10
    """Replications added at a time to every candidate still undecided (cost only, never the answer)."""
    max_replications: int = 200
    """No candidate gets more; a decision not reached by then is reported as undecided."""
    deterministic: bool = False
    """The objective does not vary by replication (checked on every replication run)."""

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha: got {self.alpha}; allowed 0 < alpha < 1")
        if self.first_stage < 2:
            raise ValueError(f"first_stage: got {self.first_stage}; allowed at least 2")
        if self.batch < 1 or self.max_replications < self.first_stage:
            raise ValueError("batch must be >= 1 and max_replications >= first_stage")
        if not self.deterministic and not self.delta > 0:
            raise ValueError(f"delta: got {self.delta}; a stochastic objective needs delta > 0")


@dataclass
class CandidateResult:
    """What the procedure decided about one candidate, and on how many replications."""

    index: int
    status: Status = "not_checked"
    reason: str = ""
    replications: int = 0
    """Replications run (including any beyond the decision, run in the same batch)."""
    decided_at: int | None = None
    """The observation count at which its fate was decided."""
    met: list[bool | None] = field(default_factory=list)
    """Per constraint: declared met, not met, or undecided/unchecked (None)."""


@dataclass(frozen=True)
class Selection:
    """The outcome: the chosen candidate (None when none is declared feasible) and every candidate's fate."""

    chosen: int | None
    candidates: tuple[CandidateResult, ...]
    values: Mapping[int, np.ndarray]
    """Every observation the procedure took, per candidate, shape (replications, columns)."""
    settings: Settings
    beta: float
    """Error probability of each feasibility decision."""
    alpha_selection: float
    """Error probability of the selection among feasible candidates (0 for a deterministic objective)."""
    guaranteed: bool
    """True when every decision was reached (no candidate stopped at max_replications)."""

    @property
    def replications(self) -> int:
        """Replications run in all, every candidate together."""
        return sum(c.replications for c in self.candidates)


def feasibility_h2(beta: float, first_stage: int) -> float:
    """h^2 of the feasibility check for wrong-exit probability ``beta`` (Batur & Kim 2010, c = 1)."""
    n = first_stage - 1
    return float(n * ((2.0 * beta) ** (-2.0 / n) - 1.0))


def kn_h2(alpha: float, systems: int, first_stage: int) -> float:
    """h^2 = 2 eta (n0 - 1) of KN (Kim & Nelson 2001, c = 1) for ``systems`` systems and error ``alpha``."""
    n = first_stage - 1
    eta = 0.5 * ((2.0 * alpha / max(systems - 1, 1)) ** (-2.0 / n) - 1.0)
    return float(2.0 * eta * n)


def region(r: int, h2: float, variance: float, tolerance: float) -> float:
    """Half-width of the triangular continuation region for a running sum after r observations."""
    return max(0.0, h2 * variance / (2.0 * tolerance) - tolerance * r / 2.0)


def select(
    candidates: int,
    constraints: Sequence[Constraint],
    settings: Settings,
    oracle: Oracle,
    prices: Sequence[float] | None = None,
) -> Selection:
    """Run the two phases over ``candidates`` (0 .. candidates - 1) asking ``oracle`` for observations.

    ``prices``: a deterministic objective known without simulating (a decision
    variable's value), one per candidate; otherwise replication 0 prices each.

    Raises ObjectiveVariesError (deterministic objective that varies) and
    UndefinedValueError (a NaN where a value is read).
    """
    if candidates < 1:
        raise ValueError("candidates: at least one")
    state = _State(candidates, constraints, settings, oracle)
    if settings.deterministic:
        return state.by_cost(prices)
    return state.by_kn()


class _State:
    """Observations so far and the bookkeeping of both phases."""

    def __init__(self, k: int, constraints: Sequence[Constraint], settings: Settings, oracle: Oracle):
        self.k = k
        self.constraints = list(constraints)
        self.settings = settings
        self.oracle = oracle
        self.values: dict[int, np.ndarray] = {}
        self.results = [CandidateResult(i, met=[None] * len(self.constraints)) for i in range(k)]
        s = max(len(self.constraints), 1)
        alpha_f = settings.alpha if settings.deterministic else settings.alpha / 2.0
        self.alpha_s = 0.0 if settings.deterministic else settings.alpha / 2.0
        self.beta = alpha_f / (k * s)
        self.h2_feasible = feasibility_h2(self.beta, settings.first_stage)
        self.capped = False
        """KN stopped at max_replications with more than one candidate left."""

    # -- observations ---------------------------------------------------------------------------
    def count(self, i: int) -> int:
        return 0 if i not in self.values else len(self.values[i])

    def ensure(self, wanted: Mapping[int, int]) -> None:
        """Make sure candidate i has at least wanted[i] observations (capped), asking in one call."""
        cap = self.settings.max_replications
        ask = {i: range(self.count(i), min(n, cap)) for i, n in wanted.items() if self.count(i) < min(n, cap)}
        if not ask:
            return
        got = self.oracle(ask)
        for i, numbers in ask.items():
            rows = np.asarray(got[i], dtype=float).reshape(len(numbers), -1)
            self._check(i, numbers, rows)
            self.values[i] = rows if i not in self.values else np.vstack([self.values[i], rows])
            self.results[i].replications = len(self.values[i])

    def _check(self, i: int, numbers: range, rows: np.ndarray) -> None:
        columns = [0, *(c.column for c in self.constraints)]
        for offset, number in enumerate(numbers):
            for column in columns:
                if not math.isfinite(rows[offset, column]):
                    raise UndefinedValueError(i, number, column)
        if self.settings.deterministic:
            first = self.values[i][0, 0] if i in self.values else rows[0, 0]
            for offset, number in enumerate(numbers):
                other = rows[offset, 0]
                if not math.isclose(other, first, rel_tol=1e-9, abs_tol=1e-9):
                    raise ObjectiveVariesError(i, number, float(first), float(other))

    def objective(self, i: int) -> np.ndarray:
        """Candidate i's objective as a quantity to minimise."""
        x = self.values[i][:, 0]
        return x if self.settings.goal == "minimise" else -x

    # -- phase 1: feasibility -------------------------------------------------------------------
    def check_feasibility(self, group: list[int]) -> None:
        """Decide the feasibility of every candidate in ``group``, adding batches while any is undecided."""
        n0, batch = self.settings.first_stage, self.settings.batch
        self.ensure(dict.fromkeys(group, n0))
        variances = {i: self._variances(i) for i in group}
        open_ = [i for i in group if self.results[i].status == "not_checked"]
        r_done = dict.fromkeys(open_, n0 - 1)
        while open_:
            for i in open_:
                self._scan(i, variances[i], r_done[i])
                r_done[i] = self.count(i)
            open_ = [i for i in open_ if self.results[i].status == "not_checked"]
            at_cap = [i for i in open_ if self.count(i) >= self.settings.max_replications]
            for i in at_cap:
                self.results[i].status = "undecided"
                self.results[i].reason = f"no decision in {self.settings.max_replications} replications"
            open_ = [i for i in open_ if i not in at_cap]
            if open_:
                self.ensure({i: self.count(i) + batch for i in open_})

    def _variances(self, i: int) -> list[float]:
        first = self.values[i][: self.settings.first_stage]
        return [max(float(np.var(c.excess(first), ddof=1)), c.variance_floor()) for c in self.constraints]

    def _scan(self, i: int, variances: list[float], done: int) -> None:
        """Decide candidate i at the first r (from n0, after ``done``) where its rule is met, if any.

        Each constraint's first exit from its region is found at once (numpy), in replication order.
        """
        result = self.results[i]
        first_r = max(done, self.settings.first_stage - 1) + 1
        last_r = self.count(i)
        if last_r < first_r:
            return
        r = np.arange(first_r, last_r + 1)
        exits: list[tuple[int, bool] | None] = []
        for index, c in enumerate(self.constraints):
            if result.met[index] is not None:
                exits.append(None)
                continue
            sums = np.cumsum(c.excess(self.values[i]))[first_r - 1 : last_r]
            half = np.maximum(
                0.0, self.h2_feasible * variances[index] / (2 * c.tolerance) - c.tolerance * r / 2
            )
            met, missed = sums <= -half, (sums >= half) & (sums > -half)
            out = np.flatnonzero(met | missed)
            exits.append(None if out.size == 0 else (int(r[out[0]]), bool(met[out[0]])))
        misses = [e[0] for e in exits if e is not None and not e[1]]
        if misses:
            when = min(misses)
            for index, e in enumerate(exits):
                if e is not None and e[0] <= when:
                    result.met[index] = e[1]
            result.status, result.decided_at = "infeasible", when
            unmet = [str(n) for n, m in enumerate(result.met) if m is False]
            result.reason = f"misses constraint {', '.join(unmet)} (at {when})"
            return
        for index, e in enumerate(exits):
            if e is not None:
                result.met[index] = True
        if all(m is True for m in result.met):
            result.status = "feasible"
            result.decided_at = max([e[0] for e in exits if e is not None], default=first_r - 1)
            if result.decided_at < first_r:
                result.decided_at = first_r

    # -- deterministic objective: cheapest first ------------------------------------------------
    def by_cost(self, prices: Sequence[float] | None) -> Selection:
        if prices is None:
            self.ensure(dict.fromkeys(range(self.k), 1))
            cost = [float(self.objective(i)[0]) for i in range(self.k)]
        else:
            cost = [p if self.settings.goal == "minimise" else -p for p in prices]
        order = sorted(range(self.k), key=lambda i: (cost[i], i))
        chosen: int | None = None
        for i in order:
            if chosen is not None:
                self.results[i].reason = (
                    "costlier than the chosen candidate: not needed"
                    if cost[i] > cost[chosen]
                    else "as cheap as the chosen candidate, which comes first in candidate order: not checked"
                )
                continue
            self.check_feasibility([i])
            if self.results[i].status == "feasible":
                chosen = i
                self.results[i].status = "chosen"
                self.results[i].reason = "the best candidate declared feasible"
        return self._selection(chosen)

    # -- stochastic objective: feasibility of all, then KN -------------------------------------
    def by_kn(self) -> Selection:
        self.check_feasibility(list(range(self.k)))
        feasible = [i for i in range(self.k) if self.results[i].status == "feasible"]
        chosen = self._kn(feasible) if feasible else None
        if chosen is not None:
            self.results[chosen].status = "chosen"
            self.results[chosen].reason = "best of the candidates declared feasible"
        return self._selection(chosen)

    def _kn(self, feasible: list[int]) -> int:
        settings = self.settings
        n0, delta = settings.first_stage, settings.delta
        if len(feasible) == 1:
            return feasible[0]
        h2 = kn_h2(self.alpha_s, self.k, n0)
        first = {i: self.objective(i)[:n0] for i in feasible}
        variance = {
            (i, other): float(np.var(first[i] - first[other], ddof=1))
            for i in feasible
            for other in feasible
            if i != other
        }
        survivors = list(feasible)
        r = n0
        while True:
            missing = [i for i in survivors if self.count(i) < r]
            if missing:
                self.ensure({i: r + settings.batch - 1 for i in missing})
            sums = {i: float(np.sum(self.objective(i)[:r])) for i in survivors}
            halves = {
                (i, other): region(r, h2, variance[(i, other)], delta)
                for i in survivors
                for other in survivors
                if i != other
            }
            before = list(survivors)
            for i in before:
                beaten = [
                    other for other in before if other != i and sums[i] - sums[other] > halves[(i, other)]
                ]
                if beaten:
                    survivors.remove(i)
                    self.results[
                        i
                    ].reason = f"feasible; eliminated by candidate {beaten[0]} on the objective (at {r})"
                    self.results[i].decided_at = r
            if len(survivors) == 1:
                self.results[survivors[0]].decided_at = r
                return survivors[0]
            closed = all(halves[(i, other)] == 0.0 for i in survivors for other in survivors if i != other)
            if closed or r >= settings.max_replications:
                # Ties (the region has closed with equal sums) or the cap: the smallest mean, first by order.
                best = min(survivors, key=lambda i: (sums[i], i))
                for i in survivors:
                    if i != best:
                        self.results[i].reason = f"feasible; tied or not separated by {r} replications"
                if not closed:
                    self.capped = True
                return best
            r += 1

    def _selection(self, chosen: int | None) -> Selection:
        guaranteed = not self.capped and all(result.status != "undecided" for result in self.results)
        if not self.settings.deterministic:
            for result in self.results:
                if result.status == "feasible" and not result.reason:
                    result.reason = "feasible; not the best"
        return Selection(
            chosen,
            tuple(self.results),
            {i: v.copy() for i, v in self.values.items()},
            self.settings,
            self.beta,
            self.alpha_s,
            guaranteed,
        )


def stein_replications(values: np.ndarray, constraints: Sequence[Constraint], beta: float) -> int:
    """Replications a two-stage fixed-sample check (Stein 1945) would need for one candidate's feasibility.

    With the first-stage variance S^2 of each constraint's Y, n0 = len(values),
    and t the 1 - beta quantile of Student's t with n0 - 1 degrees of freedom,
    N = max(n0, ceil(t^2 S^2 / epsilon^2)) gives P(wrong side) <= beta at a
    mean epsilon from the bound; the candidate needs the largest N of its
    constraints. The comparison a fixed-sample procedure with the same
    guarantee would cost.
    """
    from scipy import stats

    n0 = len(values)
    t = float(stats.t.ppf(1.0 - beta, n0 - 1))
    needed = n0
    for c in constraints:
        variance = max(float(np.var(c.excess(values), ddof=1)), c.variance_floor())
        needed = max(needed, math.ceil(t * t * variance / (c.tolerance * c.tolerance)))
    return needed


__all__ = [
    "Constraint",
    "Goal",
    "ObjectiveVariesError",
    "Oracle",
    "Selection",
    "Settings",
    "UndefinedValueError",
    "feasibility_h2",
    "kn_h2",
    "region",
    "select",
    "stein_replications",
]
