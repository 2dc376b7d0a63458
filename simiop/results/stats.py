"""Summary statistics across replications: a mean, its spread, and two 95% intervals.

Two intervals answer two questions, and both are kept because readers confuse them:

- the **confidence interval of the mean** (``ci95_low``, ``ci95_high``): how
  precisely the replications pin down the *average* outcome. It narrows as
  replications are added (like 1 / sqrt(n)), so it is no guide to what one
  year of the real clinic may bring.
- the **outcome range** (``outcome95_low``, ``outcome95_high``): where the
  outcome of *one* more replication (one possible future of the clinic) is
  expected to fall, 95 times in 100. It does not shrink with more
  replications: it converges to mean +- 1.96 sd.

Why the outcome range is a t prediction interval, mean +- t_{0.975, n-1} * sd *
sqrt(1 + 1/n), and not the 2.5th-97.5th percentiles of the replication values:
percentiles need many replications to mean anything (with 10 values the
2.5-97.5 percentile range is about min to max, and the range of n values holds
a further value only (n - 1) / (n + 1) of the time, 82% for n = 10), while the
prediction interval holds 95% of further values for any n >= 2 when the values
are near normal, and widens honestly (through t) when the replications are few.
A KPI is a total or an average over months of a clinic's activity, which the
central limit theorem makes near normal; where it is not (a rare count near
0), the bounds are clipped to what is possible (``clip``), and ``flags``
says when there are too few replications or too wide an interval to trust.

Why a t interval: each replication of a run is one independent draw of a KPI
(its own random streams), so the replication values are i.i.d. and their mean
is approximately normal. With the variance estimated from only a handful of
replications, the honest interval is Student's t, mean +- t_{0.975, n-1} * sd / sqrt(n),
not the normal 1.96: with 5 replications the t factor is 2.78, 42% wider.

Why pairing: scenarios are run with common random numbers (replication r of
every scenario draws from the same named streams), so the two values of a
replication are positively correlated. The difference scenario - base is then
summarised per replication, whose variance Var(A) + Var(B) - 2 Cov(A, B) is
smaller than that of two independent means; the paired interval is the sharper
and the correct one.

The t quantile comes from scipy (``scipy.special``, the functions behind
``scipy.stats.t``), imported on the first interval: importing ``scipy.stats``
costs about 0.5 s more than ``scipy.special`` on a small machine, which a
command that only needs a t quantile should not pay. The 0.975 quantiles of
1 to 1000 degrees of freedom (every interval of a run of up to 1001
replications) are scipy's values kept in a table (simiop/results/t975.py),
so such a run does not import scipy at all. Non-finite values (NaN
from a KPI with no events, inf) are left out, and ``n`` counts what was used.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import numpy as np

from simiop.results.t975 import T975

_NAN = float("nan")
_TINY = 1e-300
"""Below this, scipy's incomplete-beta inverse stops at the smallest normal float instead of the answer."""
_LOG_MAX = math.log(sys.float_info.max)

MIN_REPLICATIONS: Final = 10
"""A summary of fewer finite values than this is flagged ``few_replications``.

Why 10: below it the sample sd that both intervals scale is itself too
uncertain to lean on (its relative standard error, about 1 / sqrt(2 (n - 1)),
is 24% at n = 10 and 71% at n = 2), and the t factor grows fast (2.26 at n = 10,
12.7 at n = 2). The example configs run 20.
"""

WIDE_CI_SHARE: Final = 0.25
"""A 95% CI of the mean whose half-width exceeds this share of |mean| is flagged ``wide_ci``.

Why a quarter: a mean known only to +-25% (or worse) cannot carry a budget
line or a staffing decision; ``simiop advise --precision`` finds how many
replications bring a KPI within a chosen precision. A mean of 0 with any
spread is flagged; a value the same in every replication is not.
"""

Flag = Literal["few_replications", "wide_ci"]
"""Why a summary should be read with care (summary.csv and projections.csv ``flags``)."""
FEW_REPLICATIONS: Final[Flag] = "few_replications"
WIDE_CI: Final[Flag] = "wide_ci"
_FLAGS: Final[tuple[Flag, ...]] = (FEW_REPLICATIONS, WIDE_CI)

Bound = Literal["ci95_low", "ci95_high", "outcome95_low", "outcome95_high"]
"""An interval bound, by its column name; ``Summary.clipped`` lists those moved to what is possible."""
BOUNDS: Final[tuple[Bound, ...]] = ("ci95_low", "ci95_high", "outcome95_low", "outcome95_high")


@lru_cache(maxsize=4096)
def _t_quantile(p: float, df: float) -> float:
    """Student's t quantile through the incomplete beta function, choosing the form that keeps its digits.

    With x = t^2 / (df + t^2), P(|T| < t) = I_x(1/2, df/2) and P(|T| > t) =
    I_{1-x}(df/2, 1/2). ``scipy.special.stdtrit`` (what ``scipy.stats.t.ppf``
    calls) loses every digit near the median (it returns 0.0 for p =
    0.499999999 at df = 4), so the inverse is taken here from scipy's
    ``betaincinv``/``betainccinv`` (Boost's ``ibeta_inv``), accurate to a few
    ulps: from the central probability near the median, from the tail
    probability elsewhere, and from 1 - x where x is near 1 so that huge
    quantiles do not become 1 / 0.
    """
    from scipy import special

    if p == 0.5:
        return 0.0
    sign = 1.0 if p > 0.5 else -1.0
    tail = 1.0 - p if p > 0.5 else p  # exact: Sterbenz, since p is in (1/2, 1)
    half_df = df / 2.0
    if tail >= 0.25:
        x = float(special.betaincinv(0.5, half_df, 1.0 - 2.0 * tail))  # 1 - 2 tail is exact here
    else:
        x = float(special.betainccinv(0.5, half_df, 2.0 * tail))
    if x <= 0.5:
        return sign * math.sqrt(df * x / (1.0 - x))
    y = float(special.betaincinv(half_df, 0.5, 2.0 * tail))  # y = 1 - x = df / (df + t^2)
    if y > _TINY:
        return sign * math.sqrt(df * (1.0 - y) / y)
    # y underflows: I_y(a, 1/2) = y^a / (a B(a, 1/2)) to within a factor 1 + O(y), so solve in logarithms.
    log_y = (math.log(2.0 * tail) + math.log(half_df) + float(special.betaln(half_df, 0.5))) / half_df
    log_t = (math.log(df) - log_y) / 2.0
    return sign * (math.exp(log_t) if log_t < _LOG_MAX else math.inf)


def load_quantiles() -> None:
    """Import what ``t_quantile`` needs (``scipy.special``) now rather than at the first interval.

    Why: the import costs 0.2-0.5 s. The runner asks for it (when
    ``needs_scipy``) while the workers simulate, where it shares the machine
    with them, rather than after the last cell, where every other process waits for it.
    """
    import scipy.special  # noqa: F401


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t distribution with ``df`` degrees of freedom (df may be fractional).

    Accurate to about 1e-15 relative (scipy's incomplete beta inverse). ValueError outside
    0 < p < 1 or for df not positive and finite; +-inf if the quantile is
    beyond the largest float (df far below 1 with p near 0 or 1).
    """
    if not (0.0 < p < 1.0):
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not (df > 0.0 and math.isfinite(df)):
        raise ValueError(f"df must be positive and finite, got {df!r}")
    if p == 0.975 and df <= len(T975) and df == int(df):
        return T975[int(df) - 1]  # scipy's value, kept (t975.py): no import
    return _t_quantile(float(p), float(df))


def needs_scipy(replications: int) -> bool:
    """Whether summaries of up to ``replications`` values need ``scipy.special`` (else T975 has every
    0.975 quantile they use: n - 1 degrees of freedom for n of 2 to ``replications``)."""
    return replications - 1 > len(T975)


@dataclass(frozen=True)
class Summary:
    """Mean, sample sd, 95% t confidence interval of the mean and 95% outcome range of the finite values.

    ``n`` counts those values. The outcome range, ``flags`` and ``clipped``
    default to none, so a summary read from an older summary.csv (without
    those columns) is still a summary.
    """

    n: int
    mean: float
    sd: float
    ci95_low: float
    ci95_high: float
    outcome95_low: float = _NAN
    outcome95_high: float = _NAN
    flags: tuple[Flag, ...] = ()
    clipped: tuple[Bound, ...] = ()
    """Bounds moved to the nearest possible value (``clip``); empty when none was."""

    @property
    def half_width(self) -> float:
        """Half the width of the 95% confidence interval (NaN when there is none)."""
        return (self.ci95_high - self.ci95_low) / 2.0

    @property
    def constant(self) -> bool:
        """Whether every one of two or more replications gave the same value (no interval to show)."""
        return self.n >= 2 and self.sd == 0.0


def read_flags(text: str) -> tuple[Flag, ...]:
    """The ``flags`` cell of summary.csv or projections.csv, as flags (unknown names are left out)."""
    return tuple(flag for flag in _FLAGS if flag in text.split(";"))


def read_bounds(text: str) -> tuple[Bound, ...]:
    """The ``clipped`` cell of summary.csv or projections.csv, as bound names."""
    return tuple(bound for bound in BOUNDS if bound in text.split(";"))


def flags_for(n: int, mean: float, half_width: float) -> tuple[Flag, ...]:
    """``few_replications`` when n < MIN_REPLICATIONS; ``wide_ci`` when the CI's half-width exceeds
    WIDE_CI_SHARE * |mean| (with n >= 2, so that there is a CI)."""
    flags: list[Flag] = []
    if n < MIN_REPLICATIONS:
        flags.append(FEW_REPLICATIONS)
    if n >= 2 and half_width > WIDE_CI_SHARE * abs(mean):
        flags.append(WIDE_CI)
    return tuple(flags)


def summarise(values: Iterable[float]) -> Summary:
    """Summary of the finite values: mean, sample sd (ddof=1), the 95% CI of the mean and the outcome range.

    CI: mean +- t_{0.975, n-1} * sd / sqrt(n). Outcome range (a 95% prediction
    interval for one more replication): mean +- t_{0.975, n-1} * sd * sqrt(1 + 1/n).
    NaN and inf are ignored. With no finite value everything is NaN; with one,
    the mean is that value and sd and intervals are NaN. Identical values give
    sd 0 and both intervals [mean, mean]. Nothing is clipped here: a paired
    difference may be negative; ``clip`` applies a KPI's possible values.
    """
    data = np.fromiter(values, dtype=float)
    finite = data[np.isfinite(data)]
    n = int(finite.size)
    if n == 0:
        return Summary(0, _NAN, _NAN, _NAN, _NAN, flags=flags_for(0, _NAN, _NAN))
    if n == 1:
        return Summary(1, float(finite[0]), _NAN, _NAN, _NAN, flags=flags_for(1, _NAN, _NAN))
    if bool(np.all(finite == finite[0])):
        mean = float(finite[0])  # exact, where summing could leave rounding noise in mean and sd
        return Summary(n, mean, 0.0, mean, mean, mean, mean, flags_for(n, mean, 0.0))
    mean = float(finite.mean())
    sd = float(finite.std(ddof=1))
    t = t_quantile(0.975, n - 1)
    half = t * sd / math.sqrt(n)
    spread = t * sd * math.sqrt(1.0 + 1.0 / n)
    return Summary(
        n, mean, sd, mean - half, mean + half, mean - spread, mean + spread, flags_for(n, mean, half)
    )


def clip(summary: Summary, low: float = -math.inf, high: float = math.inf) -> Summary:
    """``summary`` with every interval bound moved inside [low, high], naming the bounds moved in ``clipped``.

    Why: the t intervals are symmetric, so a count near 0 or a share near 1
    gets a bound no replication could ever give ("-6 people", "100.1%"). The
    mean is left alone (a mean of possible values is possible), as are NaN bounds.
    """
    changes: dict[str, float] = {}
    for name in BOUNDS:
        value = getattr(summary, name)
        if value < low:
            changes[name] = low
        elif value > high:
            changes[name] = high
    if not changes:
        return summary
    moved = tuple(name for name in BOUNDS if name in changes)
    return dataclasses.replace(summary, clipped=moved, **changes)  # type: ignore[arg-type]


def paired_difference(base: Sequence[float], other: Sequence[float]) -> Summary:
    """Summary of other[i] - base[i] over the replications i where both values are finite.

    Under common random numbers replication i of both scenarios saw the same
    random streams, so each difference is one paired observation.
    """
    if len(base) != len(other):
        raise ValueError(f"base and other must have the same length, got {len(base)} and {len(other)}")
    first = np.asarray(base, dtype=float)
    second = np.asarray(other, dtype=float)
    both = np.isfinite(first) & np.isfinite(second)
    return summarise(second[both] - first[both])
