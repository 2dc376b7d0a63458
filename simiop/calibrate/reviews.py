"""The planned stay fitted through the base config's progress reviews, as the simulator applies them.

With ``length_of_stay.progress_review`` the simulator reviews a plan every ``interval_weeks`` from
admission while the plan runs (simiop.model.stay): a review completes it early with
``early_completion_probability``, or else extends it by ``extension_weeks`` with ``extend_probability``
(at most ``max_extensions`` times). The time to completion an extract shows is therefore the plan's end
moved by extensions, or a review day: spikes a smooth gamma or lognormal fitted to the completions
cannot follow. Fitted as one smooth time to completion (with the reviews dropped), the simulated
completed stays of the baseline came out 2 days short (50.8 against 52.75 days; docs/calibrate.md,
Hold-out validation).

Here the plan's distribution is fitted by maximum likelihood with the reviews kept: for a plan ending
``y`` days after admission, the probabilities that the stay completes at ``y`` plus j extensions or early
at review k do not depend on the plan's parameters, so they are worked out once (a recursion over the
reviews, with the extension count as state) on a grid of plan ends (``GRID_STEP_DAYS``); each
observation's probability is then a fixed linear map of the plan's probabilities per grid cell:

- a completion on day d of a track whose next programme day is g days later: the plan's end, with its
  extensions, lies in (d, d + g] (the simulator ends a plan on the last programme day before it runs out),
  or a review falling in (d - b, d] completed it early (b: days since the track's previous programme
  day; a review is held on the first programme day on or after its date);
- a stay that ended otherwise, or is still open, after c days, or a recertified plan at its first
  recertification: no completion by c (right-censored).

ASSUMPTION: a review due before the plan's end is held (the simulator holds it if a programme day falls
between the two; a plan ending within a few days of a review date may miss it), and the reviews are the
base's (not fitted: the extract does not say which completions were early or extended).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

GRID_STEP_DAYS = 0.5
"""Width of a grid cell of plan ends (days): half the shortest gap between programme days."""
CHUNK_ROWS = 256
"""Observations per block when the likelihood's matrix is built (its masks: rows x cells x extensions)."""


@dataclass(frozen=True)
class Reviews:
    """The base's progress reviews, in days (simiop.config.care.ProgressReview)."""

    interval_days: float
    extend: float
    extension_days: float
    max_extensions: int
    early: float


@dataclass(frozen=True)
class Observations:
    """The planned-stay data in days: completions on ``day`` with the track's days to the next programme
    day ``ahead`` and since the previous one ``back``; right-censored at ``censored``."""

    day: NDArray[np.float64]
    ahead: NDArray[np.float64]
    back: NDArray[np.float64]
    censored: NDArray[np.float64]


class ReviewLikelihood:
    """log L(plan distribution) for ``Observations`` under ``Reviews``: ``B @ w``, w the plan's
    probabilities per grid cell (the last cell: a plan ending after every observation)."""

    def __init__(self, data: Observations, reviews: Reviews) -> None:
        latest = max(
            float(np.max(data.day + data.ahead, initial=0.0)), float(np.max(data.censored, initial=0.0))
        )
        span = latest + 7.0
        self.edges = np.arange(0.0, span + GRID_STEP_DAYS, GRID_STEP_DAYS)
        ends = np.append((self.edges[:-1] + self.edges[1:]) / 2.0, span + latest + 1.0)
        reach = span + latest + 1.0 + reviews.max_extensions * reviews.extension_days
        review_days = reviews.interval_days * np.arange(
            1, int(reach // reviews.interval_days) + 2, dtype=np.float64
        )
        at_end, early = review_weights(ends, reviews, review_days)
        # (cell, j): each cell's plan end with j extensions
        shifted = ends[:, None] + reviews.extension_days * np.arange(at_end.shape[1])[None, :]
        rows = []
        for start in range(0, data.day.size, CHUNK_ROWS):  # a chunk's masks are rows x cells x extensions
            day = data.day[start : start + CHUNK_ROWS, None]
            ahead = data.ahead[start : start + CHUNK_ROWS, None]
            back = data.back[start : start + CHUNK_ROWS, None]
            inside = (shifted[None] > day[:, :, None]) & (shifted[None] <= (day + ahead)[:, :, None])
            held = (review_days[None, :] > day - back) & (review_days[None, :] <= day)
            rows.append(np.sum(at_end[None] * inside, axis=2) + held.astype(float) @ early.T)
        for start in range(0, data.censored.size, CHUNK_ROWS):
            cut = data.censored[start : start + CHUNK_ROWS, None]
            later = np.sum(at_end[None] * (shifted[None] > cut[:, :, None]), axis=2)
            rows.append(later + (review_days[None, :] > cut).astype(float) @ early.T)
        self.matrix = np.vstack(rows) if rows else np.zeros((0, ends.size))

    def __call__(self, plan: stats.rv_continuous) -> float:
        """The log-likelihood of a frozen plan distribution in weeks."""
        cdf = plan.cdf(self.edges / 7.0)
        cells = np.append(np.diff(cdf), max(1.0 - cdf[-1], 0.0))
        return float(np.sum(np.log(np.maximum(self.matrix @ cells, 1e-300))))


def review_weights(
    ends: NDArray[np.float64], reviews: Reviews, review_days: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(at_end[cell, j]: completes at the plan's end plus j extensions, early[cell, k]: completes at
    review k), for plans ending ``ends`` days after admission (each row sums to 1)."""
    states = reviews.max_extensions + 1
    alive = np.zeros((ends.size, states))
    alive[:, 0] = 1.0
    at_end = np.zeros_like(alive)
    early = np.zeros((ends.size, review_days.size))
    offsets = reviews.extension_days * np.arange(states)
    for k, review in enumerate(review_days):
        held = review < ends[:, None] + offsets[None, :]
        at_end += alive * ~held
        alive = alive * held
        early[:, k] = alive.sum(axis=1) * reviews.early
        moved = alive * reviews.extend
        moved[:, -1] = 0.0
        alive = alive * (1.0 - reviews.early) - moved
        alive[:, 1:] += moved[:, :-1]
    at_end += alive
    return at_end, early


def programme_back(gaps: tuple[int, ...], weekday: int) -> int:
    """Days from a programme day on ``weekday`` back to the track's previous programme day (``gaps``: the
    days from each weekday to the next programme day, simiop.calibrate.stay.PlanRules)."""
    days = {(day + gap) % 7 for day, gap in enumerate(gaps)}
    return next(step for step in range(1, 8) if (weekday - step) % 7 in days)


def completion_survival(
    plan: stats.rv_continuous, reviews: Reviews, weeks: NDArray[np.float64]
) -> NDArray[np.float64]:
    """P(no completion by ``weeks``) for a frozen plan distribution (weeks) under ``reviews``: the curve to
    set against the Kaplan-Meier of the time to completion (the plan's own survival is shorter)."""
    days = np.asarray(weeks, dtype=float) * 7.0
    span = float(np.max(days, initial=0.0)) + 7.0
    edges = np.arange(0.0, span + GRID_STEP_DAYS, GRID_STEP_DAYS)
    ends = np.append((edges[:-1] + edges[1:]) / 2.0, 2.0 * span + 1.0)
    reach = 2.0 * span + 1.0 + reviews.max_extensions * reviews.extension_days
    review_days = reviews.interval_days * np.arange(
        1, int(reach // reviews.interval_days) + 2, dtype=np.float64
    )
    at_end, early = review_weights(ends, reviews, review_days)
    cdf = plan.cdf(edges / 7.0)
    cells = np.append(np.diff(cdf), max(1.0 - cdf[-1], 0.0))
    shifted = ends[:, None] + reviews.extension_days * np.arange(at_end.shape[1])[None, :]
    later = np.sum(at_end[None, :, :] * (shifted[None, :, :] > days[:, None, None]), axis=2)
    later += (review_days[None, :] > days[:, None]).astype(float) @ early.T
    result: NDArray[np.float64] = later @ cells
    return result
