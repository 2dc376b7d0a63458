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

The t quantile is computed here, without scipy: Student's t CDF via the
regularised incomplete beta function (Lentz's continued fraction, as in
Numerical Recipes' ``betacf``), inverted by Brent's bracketing root finder.
Non-finite values (NaN from a KPI with no events, inf) are left out, and ``n``
counts what was used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_NAN = float("nan")
_EPS = 2.220446049250313e-16  # double precision machine epsilon
_FPMIN = 1e-300  # Lentz's guard against dividing by zero
_CF_EPS = 4 * _EPS  # continued fraction: stop when a convergent changes by less than this


def _softplus(z: float) -> float:
    """log(1 + exp(z)) without overflow or loss of precision."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _lentz_step(aa: float, c: float, d: float) -> tuple[float, float]:
    """One modified-Lentz update with coefficient ``aa``: the new (c, d), each kept away from zero."""
    d = 1.0 + aa * d
    if abs(d) < _FPMIN:
        d = _FPMIN
    c = 1.0 + aa / c
    if abs(c) < _FPMIN:
        c = _FPMIN
    return c, 1.0 / d


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method (Numerical Recipes ``betacf``)."""
    max_iterations = 10_000 + int(20 * math.sqrt(max(a, b)))  # converges in O(sqrt(max(a, b))) terms
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _FPMIN:
        d = _FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, max_iterations + 1):
        m2 = 2 * m
        c, d = _lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), c, d)  # even step
        h *= d * c
        c, d = _lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), c, d)  # odd step
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _CF_EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")


def _stirling_remainder(x: float) -> float:
    """lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2), by its asymptotic series; for x >= 10 to ~1e-13."""
    r = 1.0 / (x * x)
    return (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r * (1.0 / 1680.0 - r / 1188.0)))) / x


def _log_beta(a: float, b: float) -> float:
    """log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).

    Straight from ``math.lgamma`` unless one argument is large: lgamma(5e5) is
    6e6, so lgamma(a + b) - lgamma(a) would lose nine digits to cancellation.
    Then that difference is taken from Stirling's series, where it cancels
    nothing: (a - 1/2) log1p(b/a) + b log(a + b) - b + remainder(a + b) - remainder(a).
    """
    big, small = max(a, b), min(a, b)
    if big < 100.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    total = big + small
    rise = (
        (big - 0.5) * math.log1p(small / big)
        + small * math.log(total)
        - small
        + (_stirling_remainder(total) - _stirling_remainder(big))
    )  # lgamma(big + small) - lgamma(big)
    return math.lgamma(small) - rise


def _incomplete_beta_pair(a: float, b: float, log_x: float, log_y: float) -> tuple[float, float]:
    """(I_x(a, b), I_y(b, a)) with y = 1 - x, given as logarithms so no tail underflows early.

    The two add up to 1. The one whose continued fraction converges fast is
    computed directly and the other as 1 minus it, as in Numerical Recipes
    ``betai``; the direct one is the accurate one when it is small.
    """
    x = math.exp(log_x)
    y = math.exp(log_y)
    log_front = a * log_x + b * log_y - _log_beta(a, b)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        direct = front * _betacf(a, b, x) / a
        return direct, 1.0 - direct
    direct = front * _betacf(b, a, y) / b
    return 1.0 - direct, direct


def _student_t_halves(t: float, df: float) -> tuple[float, float]:
    """For t >= 0: (P(T > t), P(0 < T < t)) of Student's t with df degrees of freedom; they add up to 1/2.

    P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2). The logarithms of x
    and 1 - x come from log(t^2 / df), so nothing overflows for huge t and
    nothing cancels for tiny t.
    """
    if t == 0.0:
        return 0.5, 0.0
    if math.isinf(t):
        return 0.0, 0.5
    log_s = 2.0 * math.log(t) - math.log(df)  # s = t^2 / df; x = 1 / (1 + s), 1 - x = s / (1 + s)
    log_x = -_softplus(log_s)
    log_y = -_softplus(-log_s)
    upper, centre = _incomplete_beta_pair(df / 2.0, 0.5, log_x, log_y)
    return 0.5 * upper, 0.5 * centre


def _student_t_cdf(t: float, df: float) -> float:
    """P(T <= t); used by the tests to check the quantile round trip."""
    upper, centre = _student_t_halves(abs(t), df)
    if t >= 0.0:
        return 0.5 + centre
    return upper


def _brent(f: Callable[[float], float], low: float, high: float, f_low: float, f_high: float) -> float:
    """A root of f in [low, high], where f(low) and f(high) differ in sign (Brent 1973; NR ``zbrent``).

    Inverse quadratic interpolation, with bisection whenever it does not shrink
    the bracket fast enough, to a bracket width of a few ulps of the root.
    """
    a, b, c = low, high, high
    fa, fb, fc = f_low, f_high, f_high
    d = e = b - a
    for _ in range(400):
        if (fb > 0.0 and fc > 0.0) or (fb < 0.0 and fc < 0.0):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2.0 * _EPS * abs(b) + 1e-300
        half = 0.5 * (c - b)
        if abs(half) <= tol or fb == 0.0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant step
                p = 2.0 * half * s
                q = 1.0 - s
            else:  # inverse quadratic interpolation
                q = fa / fc
                r = fb / fc
                p = s * (2.0 * half * q * (q - r) - (b - a) * (r - 1.0))
                q = (q - 1.0) * (r - 1.0) * (s - 1.0)
            if p > 0.0:
                q = -q
            p = abs(p)
            if 2.0 * p < min(3.0 * half * q - abs(tol * q), abs(e * q)):
                e = d
                d = p / q
            else:
                d = e = half
        else:
            d = e = half
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, half)
        fb = f(b)
    return b  # unreachable in practice: bisection alone halves the bracket 400 times


@lru_cache(maxsize=4096)
def _t_quantile(p: float, df: float) -> float:
    if p == 0.5:
        return 0.0
    sign = 1.0 if p > 0.5 else -1.0
    tail = 1.0 - p if p > 0.5 else p  # exact: Sterbenz, since p is in (1/2, 1)
    if tail >= 0.25:
        # Near the centre solve P(0 < T < t) = 1/2 - tail (exact): no cancellation for tiny t.
        target = 0.5 - tail

        def f(t: float) -> float:
            return _student_t_halves(t, df)[1] - target
    else:
        # In the tail solve P(T > t) = tail, which is computed directly, so small tails stay accurate.
        def f(t: float) -> float:
            return tail - _student_t_halves(t, df)[0]

    # f rises from f(0) < 0; grow the bracket until it changes sign.
    low, f_low = 0.0, f(0.0)
    high = 1.0
    f_high = f(high)
    while f_high < 0.0:
        low, f_low = high, f_high
        high *= 4.0
        if math.isinf(high):
            return sign * math.inf
        f_high = f(high)
    return sign * _brent(f, low, high, f_low, f_high)


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t distribution with ``df`` degrees of freedom (df may be fractional).

    Accurate to about 1e-12 relative for df up to 1e4, 1e-11 up to df = 1e6 and
    1e-10 at df = 1e7, where the continued fraction starts to cancel. ValueError outside
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
