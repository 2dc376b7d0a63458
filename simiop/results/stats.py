"""Summary statistics across replications: a mean, its spread and a 95% confidence interval.

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
command that only needs a t quantile should not pay. Non-finite values (NaN
from a KPI with no events, inf) are left out, and ``n`` counts what was used.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_NAN = float("nan")
_TINY = 1e-300
"""Below this, scipy's incomplete-beta inverse stops at the smallest normal float instead of the answer."""
_LOG_MAX = math.log(sys.float_info.max)


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

    Why: the import costs 0.2-0.3 s. The runner asks for it while the
    workers simulate, where it shares the machine with them, rather than
    after the last cell, where every other process waits for it.
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
    return _t_quantile(float(p), float(df))


@dataclass(frozen=True)
class Summary:
    """Mean, sample sd and 95% t confidence interval of the finite values; n counts those values."""

    n: int
    mean: float
    sd: float
    ci95_low: float
    ci95_high: float

    @property
    def half_width(self) -> float:
        """Half the width of the 95% confidence interval (NaN when there is none)."""
        return (self.ci95_high - self.ci95_low) / 2.0


def summarise(values: Iterable[float]) -> Summary:
    """Summary of the finite values: mean, sample sd (ddof=1) and mean +- t_{0.975, n-1} * sd / sqrt(n).

    NaN and inf are ignored. With no finite value everything is NaN; with one,
    the mean is that value and sd and interval are NaN. Identical values give
    sd 0 and the interval [mean, mean].
    """
    data = np.fromiter(values, dtype=float)
    finite = data[np.isfinite(data)]
    n = int(finite.size)
    if n == 0:
        return Summary(0, _NAN, _NAN, _NAN, _NAN)
    if n == 1:
        return Summary(1, float(finite[0]), _NAN, _NAN, _NAN)
    if bool(np.all(finite == finite[0])):
        mean = float(finite[0])  # exact, where summing could leave rounding noise in mean and sd
        return Summary(n, mean, 0.0, mean, mean)
    mean = float(finite.mean())
    sd = float(finite.std(ddof=1))
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return Summary(n, mean, sd, mean - half, mean + half)


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
