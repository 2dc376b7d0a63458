"""A patient's stay, drawn whole at admission: hazards, attendance, reviews, authorization, completion.

Everything that decides how a stay ends depends only on the patient's own
draws and the track's calendar, never on other patients, so it is worked out
once, at admission, from the patient's own stream (patients.py) with a fixed
layout: the planned stay, the propensity to attend, then one uniform each for
family sessions, the step-up and the administrative hazard, then one
attendance uniform for every programme day the stay could take (the planned
stay with every extension, cut at the maximum stay), then progress reviews and
payer reviews in the order they fall due (the review stream), and one uniform
per recertification date the stay could reach (the recertification stream).
The result is one discharge event.

Early disengagement, when configured, draws from its own stream (Purpose.DISENGAGE), after everything
above, so turning it on moves none of those numbers: one uniform says whether the patient never starts
(a no-start attends no day and the run of absences ends the stay, as no_start), one says when the dropout
hazard by week of stay fires (piecewise_first_success). The hazard competes with the step-up and
administrative hazards at the start of a programme day (ties: step-up, administrative, dropout).

Per programme day the rules are today's: at the start, the step-up hazard,
else the administrative hazard, else a due progress review, else a due
recertification, else a due payer review; then attendance; at the end,
dropout after too many absences in a row, else completion, else the maximum
stay. A hazard with a daily probability p first fires after a
geometric number of days, so it is one draw, not one per day. Times are
compared as keys over the stay's programme days: the start of day k is 2k,
its end 2k + 1, and a continuous stay's planned end (at any instant) falls
between them. Under continuous admission a patient admitted while a
programme day is under way starts attending the next day, but the day under
way counts as held (programme_days) if it ends before the discharge.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from simiop.config.care import Recertification
from simiop.config.distributions import Fixed
from simiop.config.model import SimiopConfig
from simiop.model.care import NO_CARE, CarePlan, any_service
from simiop.model.records import ADMINISTRATIVE, COMPLETED, DROPOUT, NO_START, STEP_UP, EndState, Episode
from simiop.model.staff import Person

if TYPE_CHECKING:
    from simiop.model.tracks import TrackState

DAYS_PER_WEEK = 7.0
NEVER = math.inf
_NONE: list = []  # type: ignore[type-arg]
"""An empty list ``Stay.plan`` reads (never writes) where a stay has none: no new list per stay."""
_NO_DAY = 1 << 62
"""The index of a review on no day of the stay (none left): an int past every stay's days, compared with
the stay's other day indices as ints (not with an infinite float)."""
_REVIEW_DRAWS = 8
"""Review uniforms drawn at a time: a stay with reviews has about three (baseline), a call costs more than a
number."""


def weekly_to_daily(weekly_probability: float, days_per_week: int) -> float:
    """Per-programme-day probability giving ``weekly_probability`` over one programme week."""
    return float(1.0 - (1.0 - min(weekly_probability, 1.0)) ** (1.0 / days_per_week))


def first_success(u: float, p: float) -> float:
    """The 0-based trial of the first success of a daily probability ``p``, from one uniform ``u``.

    Inverse CDF of the geometric distribution: P(k) = (1 - p)^k p.
    """
    if p <= 0.0:
        return NEVER
    if p >= 1.0:
        return 0
    return math.floor(math.log1p(-u) / math.log1p(-p))


def piecewise_first_success(u: float, daily: np.ndarray) -> float:
    """The 0-based day a hazard with day-varying probabilities ``daily`` first fires, from one uniform ``u``.

    Inverse CDF of a piecewise geometric distribution: it fires on the first day k on which the chance of
    no firing through day k, prod(1 - daily[:k + 1]), falls below 1 - u; in logs, the first k with
    cumsum(log1p(-daily))[k] < log1p(-u). One cumulative sum and one binary search, not a draw per day;
    with a constant p it is ``first_success(u, p)`` (up to rounding). NEVER if it fires on none of the days.
    """
    with np.errstate(divide="ignore"):  # a probability of 1: log(0) = -inf, it fires that day for sure
        return first_success_of_logs(u, np.log1p(-daily))


def first_success_of_logs(u: float, logs: np.ndarray) -> float:
    """``piecewise_first_success`` from the days' ``log1p(-daily)`` (no logarithm taken, no error state
    set). A stay's dropout hazard uses ``first_success_by_week``, the same day from one log per week."""
    if not len(logs):
        return NEVER
    survival = np.cumsum(logs)
    day = int(np.searchsorted(-survival, -math.log1p(-u), side="right"))
    return NEVER if day >= len(logs) else day


_whole = math.ceil
"""The key a list of whole days (programme days, next days, attended-day counts) is searched with for a
time or a count that may have a fraction: bisect_left finds the same index for ``ceil(x)`` as for ``x``
(a whole day is below x iff it is below ceil(x)), and compares whole numbers with a whole number, not
each with a float, at about half the cost. Only for finite x (never an infinite bound)."""


_SUM_SLACK = 1e-9
"""Relative slack on a stay's summed log survival (``first_success_by_week``'s shortcut)."""
_MAX_BOUNDED_DAYS = 100_000
"""Days up to which the shortcut's slack bounds the rounding of the running sum (n * 2^-52 < 1e-9)."""


def steepest_weeks(logs_by_week: list[float]) -> list[float]:
    """The weeks' logs below the last week's (which holds for every later week), most negative first:
    where the fewest days can bring a stay's summed log survival lowest (``first_success_by_week``)."""
    last = logs_by_week[-1]
    return sorted(log for log in logs_by_week[:-1] if log < last)


def first_success_by_week(
    u: float,
    logs_by_week: list[float],
    days: list[int],
    start: int,
    stop: int,
    admitted_on: int,
    steep: list[float] | None = None,
    lowest: float | None = None,
) -> float:
    """``first_success_of_logs`` for the programme days ``days[start:stop]`` of a stay admitted on day
    ``admitted_on``, each taking the log of its calendar week of stay (``logs_by_week``; the last holds for
    every later week): the 0-based index of the first day whose running sum falls below ``log1p(-u)``.

    Scalar Python over a stay's few dozen days, not numpy's half a dozen calls on arrays that small, and
    the same numbers: numpy's cumulative sum adds left to right, as this loop does (a running sum of
    non-positive logs only falls, so the first day below the target is where ``searchsorted`` finds it);
    a week before admission (negative) indexes from the end, as numpy's fancy index did.

    Most stays never see the hazard fire, and the running sum only falls, so it fires iff the last sum
    is below the target: that sum, worked out per week (days in the week times its log, a bisection per
    week) to within far less than ``_SUM_SLACK`` of its size, rules the firing out without the loop.
    Before that, a bound with no bisection: a calendar week of stay holds at most 7 days, so no sum is
    lower than the stay's days put 7 at a time in the weeks of the most negative logs (``steep``, from
    ``steepest_weeks``; the rest at the last week's); if even that is above the target, so is the sum.
    """
    if start >= stop:
        return NEVER
    target = math.log1p(-u)
    last = len(logs_by_week) - 1
    last_log = logs_by_week[last]
    if days[start] >= admitted_on and stop - start <= _MAX_BOUNDED_DAYS:
        if lowest is None:  # (``lowest``: the stay's ``_lowest_sum``, if the caller has it already)
            lowest = _lowest_sum(
                stop - start, steepest_weeks(logs_by_week) if steep is None else steep, last_log
            )
        # A log of -inf (a probability of 1) makes it -inf, which fails the test: the exact sum decides.
        if lowest > target + _SUM_SLACK * abs(lowest):
            return NEVER
        total = 0.0
        low = start
        for week in range(last):
            high = bisect.bisect_left(days, admitted_on + 7 * (week + 1), low, stop)
            total += (high - low) * logs_by_week[week]
            low = high
        total += (stop - low) * last_log
        # Each of the n additions rounds by at most 2^-53 of the sum so far (all of one sign), the few
        # products and sums here likewise: far below _SUM_SLACK * |total| for n <= _MAX_BOUNDED_DAYS.
        # A NaN or -inf total (a probability of 1) fails the test and takes the loop.
        if total > target + _SUM_SLACK * abs(total):
            return NEVER
    survival = 0.0
    for index, date in enumerate(itertools.islice(days, start, stop)):
        week = (date - admitted_on) // 7
        survival += logs_by_week[week] if week < last else last_log
        if survival < target:
            return index
    return NEVER


def dropout_day(attended: list[bool] | bytes, absences_to_dropout: int) -> float:
    """The 0-based day whose end completes a run of ``absences_to_dropout`` absences, if any.

    The run is looked for as a byte string (one byte per day, 0 = absent) by
    ``bytes.find``: the first run's end is where the first run of that length
    begins, plus its length less one. ``attended`` may be that byte string
    already (a numpy bool array's ``tobytes()``: no list to turn into one).
    """
    if absences_to_dropout < 1:  # the first absence (a run of at least none) ends it
        return attended.index(False) if False in attended else NEVER
    start = bytes(attended).find(bytes(absences_to_dropout))
    return NEVER if start < 0 else start + absences_to_dropout - 1


def _earliest(
    hazard: float, hazard_state: EndState, dropout: float, completion: float
) -> tuple[float, EndState]:
    """The first of the rules to fire, by key; on the same key a hazard, then dropout, then completion."""
    if hazard <= dropout and hazard <= completion:
        return hazard, hazard_state
    if dropout <= completion:
        return dropout, DROPOUT
    return completion, COMPLETED


def _discharge_at(
    track: TrackState, first: int, count: int, best: float, planned_end: float
) -> tuple[float, int, bool, int, int]:
    """The discharge of a stay ending at key ``best``: (its time, the day whose row counts it, whether at
    a programme day's start, programme days started before it, programme days ended before it).

    ``planned_end``: the plan's instant, read when ``best`` is a continuous stay's planned end (a key
    between two programme days').
    """
    whole = math.floor(best)
    if best != whole:  # a continuous stay's planned end
        return (
            planned_end,
            math.floor(planned_end),
            False,
            bisect.bisect_left(track.starts, planned_end, first, first + count) - first,
            bisect.bisect_left(track.ends, planned_end, first, first + count) - first,
        )
    index = whole // 2
    if whole % 2 == 0:
        return track.starts[first + index], track.days[first + index], True, index, index
    return track.ends[first + index], track.days[first + index], False, index + 1, index + 1


def _log_of_survival(p: float) -> float:
    """``log1p(-p)``, the divisor of ``first_success`` for a daily probability ``p`` strictly between 0 and
    1 (the same float it works out at each call); 0.0 for any other ``p``, which ``first_success`` decides."""
    return math.log1p(-p) if 0.0 < p < 1.0 else 0.0


_Hazards = tuple[float, float, float, float]
"""A stay's step-up and administrative hazards: their daily probabilities, then their
``_log_of_survival``."""


class _TrackNumbers(NamedTuple):
    """What ``Stay.plan`` reads of a track and the rules at every admission, worked out once a run."""

    beyond: int | None
    """The track's first programme day at or after the horizon (``Stay._beyond_of``)."""
    extension_programme_days: int
    """A progress review's extension in the track's programme days (0: no progress review)."""
    hazards: dict[str, _Hazards | None] | None
    """Per acuity class: the step-up and administrative hazards (None: neither ever fires); None if
    neither can fire for any class."""
    dropout_logs: tuple[list[float], list[float]] | None
    """The dropout hazard's logs by week of stay and the steepest of them (None: no dropout hazard)."""
    lowest: dict[int, float]
    """``first_success_by_week``'s bound with no bisection, by the stay's number of programme days."""


def _lowest_sum(count: int, steep: list[float], last_log: float) -> float:
    """The lowest a stay's summed log survival can be over ``count`` programme days: the bound with no
    bisection of ``first_success_by_week`` (which uses it), 7 days at a time in the ``steep`` weeks, the
    rest at ``last_log``."""
    left = count
    lowest = 0.0
    for log in steep:
        if left <= 7:
            lowest += left * log
            left = 0
            break
        lowest += 7 * log
        left -= 7
    if left:
        lowest += left * last_log
    return lowest


@dataclass(slots=True, eq=False)
class Enrolment:
    """A patient in the programme, with the stay drawn at admission."""

    episode: Episode
    track: TrackState
    group: int
    therapist: Person
    care: CarePlan
    """``care.NO_CARE`` (shared) in a run with no care service (``care.any_service``)."""
    first: int
    """Index of the stay's first programme day in the track's list of days."""
    attended: list[bool] | bytes
    """Attendance on each programme day the stay could take (from ``first``): a list of bools, or a
    drawn stay's byte string (one byte a day, 0 = absent: numpy's bools as they are, with no list made;
    read as the list is, by truth, slice, sum and count)."""
    state: EndState
    """How the stay ends, if it ends before the horizon."""
    ends_at: float
    """When the stay ends (discharge time)."""
    ends_on: int
    """The day whose daily row counts the discharge (its programme day; continuous: its instant's)."""
    at_start: bool
    """Whether the discharge is at the start of a programme day (a hazard, a review, a denial)."""
    started: int
    """Programme days started (attendance drawn) before the discharge."""
    ended: int
    """Programme days ended before the discharge (programme_days)."""
    joined_during_a_day: bool = False
    """Continuous admission during a programme day: its end counts as a day held (not attended)."""
    review_days: list[int] = field(default_factory=list)
    """Payer reviews: the stay's day index of each."""
    denied_at: int | None = None
    """The stay's day index of a denied payer review, if any."""
    denied_on: int | None = None
    """The day a denied payer review let the patient continue unbilled, if so."""
    recert_days: tuple[int, ...] = ()
    """Recertifications held: the stay's day index of each (the last is the one that ended it, if one did)."""
    recert_stopped: bool = False
    """Whether a recertification not granted ends the stay (at the start of ``recert_days[-1]``)."""
    at_max_stay: bool = False
    """Whether the maximum stay (length_of_stay.max_stay_days) ends the stay."""


class Stay:
    """The rules of a stay, read once from the config."""

    def __init__(
        self, config: SimiopConfig, horizon: float = NEVER, no_starts_possible: bool = False
    ) -> None:
        """``horizon``: the run's end; a stay is drawn only as far as the first programme day after it.

        ``no_starts_possible``: another part of the model may admit patients known never to start
        (``plan``'s ``never_starts``, e.g. a warm hand-off that does not show), so not everyone attends.
        """
        self._config = config
        self._horizon = horizon
        stay = config.length_of_stay
        self._stay = stay
        self._weeks = stay.planned_stay_unit == "weeks"
        self._review = stay.progress_review
        self._absences_to_dropout = config.attendance.consecutive_absences_to_dropout
        self._family = config.services.family
        self._rules = {name: payer.authorization for name, payer in config.money.payers.items()}
        self._hazards: dict[tuple[int, str], tuple[float, float]] = {}
        self._beyond: dict[str, int | None] = {}
        """Per track: the index of its first programme day starting at or after the horizon, if any."""
        self._planned_stay = stay.planned_stay.sampler()
        """Draws a planned stay (the distribution's sampler: its parameters read once per run)."""
        propensity = config.attendance.propensity
        self._propensity = propensity.sampler()
        self._fixed_propensity = float(propensity.value) if isinstance(propensity, Fixed) else None
        """A fixed propensity draws nothing: read once rather than sampled at every admission."""
        always_attends = self._fixed_propensity is not None and self._fixed_propensity >= 1.0
        self._no_start = config.attendance.no_start_probability
        """The share of admissions who never attend a day (0: none, and nothing drawn for it)."""
        hazard = stay.dropout_hazard
        self._dropout_weekly = hazard.weekly_by_week if hazard is not None else None
        """The dropout hazard's probability per week of stay (None: no such hazard)."""
        self._dropout_daily: dict[int, tuple[list[float], list[float]]] = {}
        """Per track's days per week: log1p(-p) of the dropout hazard p per programme day, by week of stay,
        and those below the last week's, most negative first (``steepest_weeks``)."""
        self._disengages = self._no_start > 0.0 or hazard is not None
        """Whether a stay draws from its DISENGAGE stream (only then: with both off, no number moves)."""
        self.always_attends = always_attends and self._no_start <= 0.0 and not no_starts_possible
        """Everyone comes to every programme day of their stay (attendance is all True): no no-starts."""
        self._max_stay = stay.max_stay_days
        self._at_max_stay: EndState = stay.at_max_stay
        self._recert = stay.recertification
        self._recert_payers = (
            None
            if stay.recertification is None or stay.recertification.payers is None
            else frozenset(stay.recertification.payers)
        )
        """Payers whose patients are recertified (None: everyone's)."""
        self._hazards_possible = stay.step_up_weekly_hazard > 0.0 or stay.administrative_weekly_hazard > 0.0
        """Whether either hazard can ever fire (an acuity multiplier never makes 0 more than 0)."""
        self._care = any_service(config.services)
        """Whether a stay needs its own CarePlan (else the shared NO_CARE: nothing is ever due)."""
        self._uniforms_unused = (
            self._family is None
            and stay.step_up_weekly_hazard <= 0.0
            and stay.administrative_weekly_hazard <= 0.0
            and always_attends
        )
        """No family sessions, no hazards and everyone always comes (the M/M/c clinic): the three
        uniforms of a stay (family, step-up, administrative) decide nothing, so they are not drawn. The
        stay stream is the patient's own and nothing reads it after them (reviews have their own), so
        no other number moves."""
        self.plain = (
            self.always_attends
            and not self._hazards_possible
            and not self._disengages
            and self._review is None
            and self._max_stay is None
            and self._recert is None
            and all(rule is None for rule in self._rules.values())
        )
        """Nothing but the plan can end a stay (no hazard, review, payer or recertification review,
        maximum stay, dropout or no-start, and everyone always comes): ``plan`` takes its short path,
        ``plain_plan``, which draws the same numbers and makes the same enrolment."""
        review = self._review
        self._review_numbers = (
            (
                review.max_extensions,
                review.extension_weeks * DAYS_PER_WEEK,
                review.interval_weeks * DAYS_PER_WEEK,
                review.early_completion_probability,
                review.early_completion_probability + review.extend_probability,
            )
            if review is not None
            else (0, 0.0, 0.0, 0.0, 0.0)
        )
        """A progress review's numbers (maximum extensions, extension days, interval days, early completion
        probability, early completion or extension), worked out once a run (the floats of once a stay)."""
        self._absence_run = bytes(max(self._absences_to_dropout, 0))
        """The run of absences that ends a stay, as ``dropout_day`` looks for it in a drawn stay's bytes."""
        self._by_track: dict[str, _TrackNumbers] = {}
        """Per track: what ``plan`` reads of it and of the rules at every admission (``_track_numbers``)."""

    def _daily_hazards(self, days_per_week: int, acuity: str) -> tuple[float, float]:
        """(step-up, administrative) probability per programme day, for a week of ``days_per_week``."""
        found = self._hazards.get((days_per_week, acuity))
        if found is None:
            stay = self._stay
            multiplier = self._config.referrals.acuity_classes[acuity].step_up_hazard_multiplier
            found = self._hazards[(days_per_week, acuity)] = (
                weekly_to_daily(stay.step_up_weekly_hazard * multiplier, days_per_week),
                weekly_to_daily(stay.administrative_weekly_hazard, days_per_week),
            )
        return found

    def _dropout_logs(self, days_per_week: int) -> tuple[list[float], list[float]] | None:
        """The dropout hazard's log1p(-daily) by week of stay (``piecewise_first_success``) and those below
        the last week's, most negative first (``steepest_weeks``), for a week of ``days_per_week``; None
        with no dropout hazard. The hazard's week is the calendar week of stay, counted from the admission
        day; its last value holds for every later week."""
        weekly = self._dropout_weekly
        if weekly is None:
            return None
        found = self._dropout_daily.get(days_per_week)
        if found is None:  # log1p(-daily) of each week's daily probability (piecewise_first_success)
            daily = np.array([weekly_to_daily(p, days_per_week) for p in weekly])
            with np.errstate(divide="ignore"):  # a probability of 1: log(0) = -inf, it fires that day
                logs = np.log1p(-daily).tolist()
            found = self._dropout_daily[days_per_week] = (logs, steepest_weeks(logs))
        return found

    def _track_numbers(self, track: TrackState) -> _TrackNumbers:
        """What ``plan`` reads of ``track`` at every admission, worked out at its first (``_by_track``):
        its first programme day at or after the horizon (``_beyond_of``), a progress review's extension
        in programme days, per acuity class the step-up and administrative hazards (``_Hazards``; None if
        neither can fire) and the dropout hazard's logs (``_dropout_logs``)."""
        days_per_week = track.days_per_week
        review = self._review
        hazards: dict[str, _Hazards | None] | None = None
        if self._hazards_possible:  # (else none is looked up: a patient's acuity need not be a class)
            by_class: dict[str, _Hazards | None] = {}
            for acuity in self._config.referrals.acuity_classes:
                p_step_up, p_administrative = self._daily_hazards(days_per_week, acuity)
                by_class[acuity] = (
                    None
                    if p_step_up <= 0.0 and p_administrative <= 0.0  # neither ever fires
                    else (
                        p_step_up,
                        p_administrative,
                        _log_of_survival(p_step_up),
                        _log_of_survival(p_administrative),
                    )
                )
            hazards = by_class
        found = self._by_track[track.name] = _TrackNumbers(
            self._beyond[track.name] if track.name in self._beyond else self._beyond_of(track),
            math.ceil(review.extension_weeks * days_per_week) if review is not None else 0,
            hazards,
            self._dropout_logs(days_per_week),
            {},
        )
        return found

    def _beyond_of(self, track: TrackState) -> int | None:
        """The track's first programme day at or after the horizon: found once per run, not per admission."""
        if track.name not in self._beyond:
            horizon = self._horizon
            self._beyond[track.name] = (
                track.index_from(horizon, strictly_after=False) if horizon < NEVER else None
            )
        return self._beyond[track.name]

    @staticmethod
    def _completion(track: TrackState, first: int, count: int, end: float, days: int, joined: bool) -> float:
        """The key of completing the plan: the end of its last programme day, or (continuous) its instant.

        ``joined``: admitted during a programme day (continuous admission), whose end counts as a day
        held, so a plan in programme days ends one day sooner (key -1: the end of the day joined).
        """
        if days:
            return 2 * (days - 1) + 1 - (2 if joined else 0)
        if track.continuous:  # at the planned end itself, between the keys of the days around it
            started = bisect.bisect_left(track.starts, end, first, first + count) - first
            if started == 0:
                return -0.5
            return 2 * started - (0.5 if track.ends[first + started - 1] < end else 1.5)
        return 2 * (bisect.bisect_left(track.next_day, _whole(end), first, first + count) - first) + 1

    def _max_stay_cap(
        self, track: TrackState, first: int, count: int, admitted_on: int, joined: bool
    ) -> tuple[int, float]:
        """The stay's programme days cut at the maximum stay, and the key of the limit (NEVER: not reached).

        The limit is the end of the last programme day before ``admitted_on + max_stay_days`` (at least the
        first programme day, or the day joined when ``joined``: key -1, as ``_completion`` gives it). Only
        the tail of the days is cut, so the attendance uniforms of the days kept
        are the same as without a limit (common random numbers).
        """
        assert self._max_stay is not None
        within = bisect.bisect_left(track.days, admitted_on + self._max_stay, first, first + count) - first
        if within >= count:
            return count, NEVER
        if within == 0 and joined:  # the day joined (during it: continuous admission) is the last one
            return 1, -1
        count = max(within, 1)
        return count, 2 * (count - 1) + 1

    def _end_by_rules(
        self, hazard: float, hazard_state: EndState, dropout: float, completion: float, limit: float
    ) -> tuple[float, EndState]:
        """``_earliest`` with the maximum stay as a completion-like key: on a tie the hazards, dropout and
        the plan's own completion come first."""
        best, state = _earliest(hazard, hazard_state, dropout, min(completion, limit))
        if limit < completion and best == limit and state == COMPLETED:
            state = self._at_max_stay
        return best, state

    @staticmethod
    def _recert_indices(
        days: list[int], first: int, count: int, admitted_on: int, recert: Recertification
    ) -> list[int]:
        """The stay's day index of each recertification it could reach: the first programme day on or after
        ``admitted_on + first_after_days``, then on or after each ``interval_days`` more, at most one per
        programme day (a date falling on a day already recertified moves to the next)."""
        indices: list[int] = []
        date = admitted_on + recert.first_after_days
        low, end = first, first + count
        while True:
            index = bisect.bisect_left(days, date, low, end) - first
            if index >= count:
                return indices
            indices.append(index)
            low = first + index + 1
            date += recert.interval_days

    def plan(
        self,
        track: TrackState,
        episode: Episode,
        group: int,
        therapist: Person,
        first: int,
        day: int,
        now: float,
        rng: np.random.Generator,
        reviews: Callable[[], np.random.Generator],
        recert_stream: Callable[[], np.random.Generator] | None = None,
        disengage: Callable[[], np.random.Generator] | None = None,
        never_starts: bool = False,
    ) -> Enrolment:
        """Admit ``episode`` at ``now`` (on ``day``) from ``first`` (the track's day index): draw the stay.

        ``rng``: the patient's stay stream; ``reviews``: gives the patient's review stream from its start,
        asked for only when a review draws (it may move ``rng``'s generator: everything from ``rng`` is
        drawn first), and again (moved past the numbers already drawn) if the recertification stream was
        asked for since (the two may share one generator, as ``PatientStreams.of`` gives them);
        ``recert_stream``: gives the patient's recertification stream, asked for only when the payer is
        recertified (length_of_stay.recertification) and the stay reaches a recertification date;
        ``disengage``: gives the patient's DISENGAGE stream, asked for only when no-starts or the dropout
        hazard are configured (then it is required); ``never_starts``: the caller knows the patient will
        not attend a day (a warm hand-off that does not show): a no-start whatever the draw, which is
        still made, so no other patient's numbers move (the Stay must be made with
        ``no_starts_possible``).
        """
        if self.plain and not never_starts:
            return self.plain_plan(track, episode, group, therapist, first, day, now, rng)
        review = self._review
        planned = self._planned_stay(rng)
        propensity = self._fixed_propensity
        if propensity is None:
            propensity = self._propensity(rng)
        episode.admitted_day = now
        episode.therapist = therapist.person_id
        episode.group = group
        continuous = track.continuous
        # The track's and the rules' numbers, read once a run rather than once a stay (_track_numbers).
        numbers = self._by_track.get(track.name)
        if numbers is None:
            numbers = self._track_numbers(track)
        beyond, extension_programme_days, hazards, dropout_logs, lowest_sums = numbers
        max_extensions, extension_days, interval, early, early_or_extend = self._review_numbers

        joined = continuous and first > 0 and track.ends[first - 1] > now
        # The programme days the stay could take: the plan with every extension, but no further than the
        # first programme day starting at or after the horizon (index ``beyond``), so that time and memory
        # follow the horizon, not the plan (a plan of 10^6 weeks took 70 s and 6 GB for a 1-year run).
        if self._weeks:
            planned_end = (now if continuous else day) + planned * DAYS_PER_WEEK
            planned_days = 0
            latest = planned_end + max_extensions * extension_days
            if beyond is not None and latest > self._horizon:
                count = beyond - first + 1
            else:
                # With a horizon the days are listed past it already (``_beyond_of`` listed them), so past
                # ``latest``: only a run with no horizon may have to list more (list_until's test).
                if beyond is None and (
                    not track.days or track.next_day[-1] <= latest or track.starts[-1] <= latest
                ):
                    track.list_until(latest)
                if continuous:  # the days starting before the latest planned end
                    count = bisect.bisect_left(track.starts, latest, first) - first
                else:  # to the day whose next programme day is at or after it
                    count = bisect.bisect_left(track.next_day, _whole(latest), first) - first + 1
        else:
            planned_end = NEVER
            planned_days = max(1, math.ceil(planned))
            count = planned_days + max_extensions * extension_programme_days
            if beyond is not None:
                count = min(count, beyond - first + 1)
            track.list_through(first + count)
        limit_key = NEVER
        if self._max_stay is not None:  # fewer days: only the tail of the attendance uniforms is not drawn
            count, limit_key = self._max_stay_cap(track, first, count, math.floor(now), joined)
        # A plan cut at the horizon "ends" at the start of the day after it: never reached in the run.
        censor_key = 2 * (count - 1) if beyond is not None and first + count - 1 >= beyond else NEVER
        # Three uniforms (family, step-up, administrative), then one per day the stay could take: one
        # numpy call for both (numpy fills an array draw by draw, so the numbers are the same). The days'
        # bytes are cut from all the draws' (one byte each), with no view of the array made for them.
        if propensity >= 1.0:
            if self._uniforms_unused:
                u_family = u_step_up = u_administrative = 0.0  # never read (see __init__)
            else:
                u_family, u_step_up, u_administrative = rng.random(3).tolist()
            attended: list[bool] | bytes = [True] * count
            drawn_days = b""
        else:
            uniforms = rng.random(3 + count)
            u_family, u_step_up, u_administrative = uniforms[:3].tolist()
            attended = drawn_days = (uniforms < propensity).tobytes()[3:]
        no_start, quit_day = False, NEVER
        if self._disengages:  # after every draw from ``rng``: its stream may share ``rng``'s generator
            if disengage is None:
                raise ValueError("no-starts or the dropout hazard need the patient's DISENGAGE stream")
            # Two uniforms from the patient's DISENGAGE stream, in this order: no-start, then the dropout
            # hazard's. One at a time (numpy's scalar is the next of the same sequence), the second only if
            # read: nothing else draws from this stream, so leaving its next number undrawn moves nothing.
            stream = disengage()
            if stream.random() < self._no_start:
                no_start = True
            elif dropout_logs is not None and count > 0:
                u_dropout = stream.random()
                logs, steep = dropout_logs
                # first_success_by_week's first shortcut, its bound per number of days kept per track:
                # most stays are ruled out here, with no call (the same floats and test as inside it).
                lowest = lowest_sums.get(count)
                if lowest is None:
                    lowest = lowest_sums[count] = _lowest_sum(count, steep, logs[-1])
                if not (
                    track.days[first] >= day
                    and count <= _MAX_BOUNDED_DAYS
                    and lowest > math.log1p(-u_dropout) + _SUM_SLACK * abs(lowest)
                ):
                    quit_day = first_success_by_week(
                        u_dropout, logs, track.days, first, first + count, day, steep, lowest
                    )
        if never_starts:
            if self.always_attends:
                raise ValueError("a patient who never starts needs a Stay made with no_starts_possible")
            no_start, quit_day = True, NEVER

        hazard_state: EndState = STEP_UP
        found = hazards[episode.acuity] if hazards is not None else None
        if found is None:  # neither ever fires
            hazard_key = NEVER
        else:
            # first_success of each, written out for a probability strictly between 0 and 1 (its divisor
            # worked out once a run: the same floats); any other probability is first_success's to decide.
            p_step_up, p_administrative, log_step_up, log_administrative = found
            step_up = (
                math.floor(math.log1p(-u_step_up) / log_step_up)
                if log_step_up
                else first_success(u_step_up, p_step_up)
            )
            administrative = (
                math.floor(math.log1p(-u_administrative) / log_administrative)
                if log_administrative
                else first_success(u_administrative, p_administrative)
            )
            if step_up > administrative:
                hazard_key, hazard_state = 2 * administrative, ADMINISTRATIVE
            else:
                hazard_key = 2 * step_up
        if 2 * quit_day < hazard_key:  # the dropout hazard, last on a tie
            hazard_key, hazard_state = 2 * quit_day, DROPOUT
        if no_start:  # attends no day: the run of absences ends the stay
            attended = [False] * count
            dropout_key = 2 * dropout_day(bytes(count), self._absences_to_dropout) + 1
        elif propensity >= 1.0:  # nobody who always comes drops out: no run of absences to look for
            dropout_key = NEVER
        elif self._absence_run:  # dropout_day over the drawn bytes, written out
            run = drawn_days.find(self._absence_run)
            dropout_key = NEVER if run < 0 else 2 * (run + self._absences_to_dropout - 1) + 1
        else:
            dropout_key = 2 * dropout_day(attended, self._absences_to_dropout) + 1
        if planned_days:  # _completion, written out but for a continuous stay in weeks
            completion_key: float = 2 * (planned_days - 1) + 1 - (2 if joined else 0)
        elif continuous:
            completion_key = self._completion(track, first, count, planned_end, planned_days, joined)
        else:
            completion_key = (
                2 * (bisect.bisect_left(track.next_day, _whole(planned_end), first, first + count) - first)
                + 1
            )
        if censor_key < completion_key:
            completion_key = censor_key
        if limit_key == NEVER:  # _earliest, written out (_end_by_rules with no maximum stay)
            if hazard_key <= dropout_key and hazard_key <= completion_key:
                best, state = hazard_key, hazard_state
            elif dropout_key <= completion_key:
                best, state = dropout_key, DROPOUT
            else:
                best, state = completion_key, COMPLETED
        else:
            best, state = self._end_by_rules(hazard_key, hazard_state, dropout_key, completion_key, limit_key)

        # Progress reviews, recertifications and payer reviews, in day order (in that order on a shared
        # day), while the stay lasts: each may end it at the day's start; a progress review may extend the
        # plan, a denied payer review let it go on unbilled.
        rule = self._rules[episode.payer]
        review_days: list[int] = []
        denied_at: int | None = None
        denied_on: int | None = None
        recert = self._recert
        recert_held = 0
        """Recertifications held: the first ``recert_held`` of ``recert_indices``."""
        recert_at = _NO_DAY
        recert_draws: list[float] = _NONE
        recert_indices: list[int] = _NONE
        recert_stopped = False
        if recert is not None and (self._recert_payers is None or episode.payer in self._recert_payers):
            recert_indices = self._recert_indices(track.days, first, count, math.floor(now), recert)
            if recert_indices:
                assert recert_stream is not None, "a recertified stay draws from the patient's RECERT stream"
                # One uniform per date the stay could reach, from the patient's own stream (a fixed layout),
                # drawn when the stay reaches its first (below): most stays end before it, and nothing else
                # reads the stream, so leaving it undrawn moves no number.
                recert_at = recert_indices[0]
        if review is not None or rule is not None or recert_at != _NO_DAY:
            days = track.days
            end_index = first + count
            next_review = day + interval if review is not None else NEVER
            authorized = NEVER
            admitted_on = 0
            by_attendance = denial_discharges = False
            approval_probability = 0.0
            days_per_approval = 0
            attended_before: list[int] = _NONE
            if rule is not None:
                # The payer's rule, read once a stay (pydantic attributes: read once per review before)
                authorized = float(rule.initial_days)
                approval_probability = rule.approval_probability
                days_per_approval = rule.days_per_approval
                denial_discharges = rule.on_denial == "administrative_discharge"
                admitted_on = math.floor(now)
                if rule.unit == "attended_days":
                    by_attendance = True
                    attended_before = list(itertools.accumulate(attended, initial=0))

            # The next progress and payer review as an index into the stay's days (_NO_DAY: none), found by
            # bisection (written out where needed: this runs for every stay with reviews).
            progress_at = _NO_DAY
            if review is not None:
                progress_at = bisect.bisect_left(days, _whole(next_review), first, end_index) - first
                if progress_at >= count:
                    progress_at = _NO_DAY
            payer_at = _NO_DAY
            if rule is not None:
                if by_attendance:
                    payer_at = bisect.bisect_left(attended_before, _whole(authorized), 0, count)
                else:
                    payer_at = (
                        bisect.bisect_left(days, _whole(admitted_on + authorized), first, end_index) - first
                    )
                if payer_at >= count:
                    payer_at = _NO_DAY
            # The review stream's uniforms, drawn a few at a time as the reviews need them (numpy fills an
            # array draw by draw: the same numbers as one call per review; nothing else reads this stream).
            review_rng: np.random.Generator | None = None
            draws: list[float] = []
            drawn = 0
            extensions = 0
            while True:
                # The next recertification or payer review (on a shared day the recertification first), and
                # before it (on a shared day first) the progress reviews, in a loop of their own: most of a
                # stay's reviews, one after the other. A stay's end key is always finite (its completion's at
                # the latest), so a review on no day (_NO_DAY) never comes before it.
                other = recert_at if recert_at <= payer_at else payer_at
                while progress_at <= other and 2 * progress_at < best:
                    index = progress_at
                    next_review += interval
                    if drawn == len(draws):
                        if review_rng is None:
                            review_rng = reviews()
                            if draws:  # (the generator moved to the RECERT stream since: past those drawn)
                                review_rng.random(len(draws))
                        draws += review_rng.random(_REVIEW_DRAWS).tolist()
                    u = draws[drawn]
                    drawn += 1
                    if u < early:  # ends the stay before ``other`` (2 * other >= best: the loop ends)
                        best, state = 2 * index, COMPLETED
                        break
                    if u < early_or_extend and extensions < max_extensions:
                        extensions += 1
                        planned_end += extension_days
                        if planned_days:
                            planned_days += extension_programme_days
                        completion_key = min(
                            self._completion(track, first, count, planned_end, planned_days, joined),
                            censor_key,
                        )
                        best, state = self._end_by_rules(
                            hazard_key, hazard_state, dropout_key, completion_key, limit_key
                        )
                    progress_at = (
                        bisect.bisect_left(days, _whole(next_review), first + index + 1, end_index) - first
                    )
                    if progress_at >= count:
                        progress_at = _NO_DAY
                if 2 * other >= best:
                    break
                index = other
                if recert_at == index:
                    assert recert is not None
                    assert recert_stream is not None
                    if not recert_held:  # the first reached: the uniforms of every date, as one draw
                        # The stream shares the patients' one generator with the review stream: that is
                        # asked for again (and moved past the numbers drawn) if a later review draws.
                        recert_draws = recert_stream().random(len(recert_indices)).tolist()
                        review_rng = None
                    recert_held += 1
                    if recert_draws[recert_held - 1] >= recert.continue_probability:
                        best, state, recert_stopped = 2 * index, recert.on_stop, True
                        break
                    recert_at = recert_indices[recert_held] if recert_held < len(recert_indices) else _NO_DAY
                    continue
                assert rule is not None
                used = attended_before[index] if by_attendance else days[first + index] - admitted_on
                while used >= authorized:
                    review_days.append(index)
                    if drawn == len(draws):
                        if review_rng is None:
                            review_rng = reviews()
                            if draws:  # (the generator moved to the RECERT stream since: past those drawn)
                                review_rng.random(len(draws))
                        draws += review_rng.random(_REVIEW_DRAWS).tolist()
                    drawn += 1
                    if draws[drawn - 1] < approval_probability:
                        authorized += days_per_approval
                        continue
                    denied_at = index
                    authorized = NEVER
                    if denial_discharges:
                        best, state = 2 * index, ADMINISTRATIVE
                    else:
                        denied_on = days[first + index]
                    break
                if denied_at is not None and state == ADMINISTRATIVE and best == 2 * index:
                    break
                if authorized == NEVER:
                    payer_at = _NO_DAY
                else:
                    if by_attendance:
                        payer_at = bisect.bisect_left(attended_before, _whole(authorized), index + 1, count)
                    else:
                        payer_at = (
                            bisect.bisect_left(
                                days, _whole(admitted_on + authorized), first + index + 1, end_index
                            )
                            - first
                        )
                    if payer_at >= count:
                        payer_at = _NO_DAY

        if (
            continuous
            and self._max_stay is not None
            and state == COMPLETED
            and best > 0
            and best % 2 == 1.5
            and planned_end > math.floor(now) + self._max_stay
        ):
            # A continuous plan ending between programme days, after the limit date: the maximum stay ends
            # it at the end of the last programme day before (the key's floor), as on any other track.
            best = limit_key = float(math.floor(best))
            state = self._at_max_stay
            completion_key = NEVER

        # _discharge_at, written out for a key at a programme day's start or end (a continuous stay's
        # planned end, a key with a fraction, is its to work out).
        parity = best % 2
        if parity == 0 or parity == 1:  # a day's start (even key) or its end (odd key, the day counted)
            index = int(best) // 2
            at_start = parity == 0
            ends_at = (track.starts if at_start else track.ends)[first + index]
            ends_on = track.days[first + index]
            started = ended = index if at_start else index + 1
        else:
            ends_at, ends_on, at_start, started, ended = _discharge_at(track, first, count, best, planned_end)
        if state == DROPOUT and (no_start or not any(attended[:started])):
            # Left before attending a day (a drawn no-start's run of absences, an absence run from day
            # one, or the dropout hazard at the first day's start): a no-start, not a dropout (issue 19).
            state = NO_START
        family = self._family
        enrolment = Enrolment(  # positional, in field order: one is made per admission
            episode,
            track,
            group,
            therapist,
            CarePlan(family is not None and u_family < family.share_of_patients, day, day)
            if self._care
            else NO_CARE,
            first,
            attended,
            state,
            ends_at,
            ends_on,
            at_start,
            started,
            ended,
            joined,
            review_days,
            denied_at,
            denied_on,
        )
        if recert_held:
            enrolment.recert_days = tuple(recert_indices[:recert_held])
            enrolment.recert_stopped = recert_stopped
        if limit_key != NEVER:
            enrolment.at_max_stay = (
                best == limit_key and limit_key < completion_key and state == self._at_max_stay
            )
        return enrolment

    def plain_plan(
        self,
        track: TrackState,
        episode: Episode,
        group: int,
        therapist: Person,
        first: int,
        day: int,
        now: float,
        rng: np.random.Generator,
    ) -> Enrolment:
        """``plan`` when only the plan can end a stay (``plain``): the planned stay, then the three
        uniforms unless unused (only the family one is read), and the stay completes as planned or runs
        past the horizon. The same draws, keys and enrolment as ``plan``'s long way, without its rules.
        """
        planned = self._planned_stay(rng)
        episode.admitted_day = now
        episode.therapist = therapist.person_id
        episode.group = group
        continuous = track.continuous
        joined = continuous and first > 0 and track.ends[first - 1] > now
        beyond = self._beyond[track.name] if track.name in self._beyond else self._beyond_of(track)
        discharge: tuple[float, int, bool, int, int] | None = None
        if self._weeks:
            planned_end = (now if continuous else day) + planned * DAYS_PER_WEEK
            planned_days = 0
            if beyond is not None and planned_end > self._horizon:
                count = beyond - first + 1
            else:
                track.list_until(planned_end)
                if continuous:
                    count = bisect.bisect_left(track.starts, planned_end, first) - first
                    # The stay's days are those starting before its planned end, by the horizon: it ends at
                    # that instant, a key between two days' (``_discharge_at``'s first case, written out:
                    # the days started are all ``count``).
                    ended = bisect.bisect_left(track.ends, planned_end, first, first + count) - first
                    discharge = (planned_end, math.floor(planned_end), False, count, ended)
                else:
                    count = bisect.bisect_left(track.next_day, _whole(planned_end), first) - first + 1
        else:
            planned_end = NEVER
            planned_days = count = max(1, math.ceil(planned))
            if beyond is not None:
                count = min(count, beyond - first + 1)
            track.list_through(first + count)
        u_family = 0.0 if self._uniforms_unused else rng.random(3).tolist()[0]
        if discharge is None:
            best = min(
                self._completion(track, first, count, planned_end, planned_days, joined),
                2 * (count - 1)
                if beyond is not None and first + count - 1 >= beyond
                else NEVER,  # the horizon
            )
            discharge = _discharge_at(track, first, count, best, planned_end)
        ends_at, ends_on, at_start, started, ended = discharge
        family = self._family
        return Enrolment(
            episode,
            track,
            group,
            therapist,
            CarePlan(family is not None and u_family < family.share_of_patients, day, day)
            if self._care
            else NO_CARE,
            first,
            [True] * count,
            COMPLETED,
            ends_at,
            ends_on,
            at_start,
            started,
            ended,
            joined,
        )

    def settle(self, enrolment: Enrolment, horizon: float) -> None:
        """Write the stay's counts on its episode: to the discharge, or to ``horizon`` if that comes first."""
        track = enrolment.track
        first = enrolment.first
        started, ended = enrolment.started, enrolment.ended
        discharged = enrolment.ends_at < horizon
        if not discharged:
            last = first + started
            started = bisect.bisect_left(track.starts, horizon, first, last) - first
            ended = bisect.bisect_left(track.ends, horizon, first, last) - first
        # The day joined is held if it ended before the horizon and no later than the discharge (a plan of
        # one programme day completes at that very end).
        if (
            enrolment.joined_during_a_day
            and track.ends[first - 1] <= enrolment.ends_at
            and (track.ends[first - 1] < horizon)
        ):
            ended += 1
        episode = enrolment.episode
        episode.programme_days = ended
        attended = enrolment.attended
        episode.programme_days_attended = started if self.always_attends else sum(attended[:started])
        # A review counts if the stay reached that day's start: days started, or the day a denial ended it.
        # With no payer review the episode's defaults (none, not denied) stand: most stays have none.
        if enrolment.review_days or enrolment.denied_at is not None:
            denial_ended_it = (
                discharged and enrolment.denied_at is not None and enrolment.state == ADMINISTRATIVE
            )
            reached = started + (1 if denial_ended_it and enrolment.denied_at == started else 0)
            episode.authorization_reviews = sum(1 for index in enrolment.review_days if index < reached)
            episode.authorization_denied = enrolment.denied_at is not None and enrolment.denied_at < reached
        if enrolment.recert_days:
            # As for payer reviews: a recertification counts if the stay reached its day's start.
            stopped = discharged and enrolment.recert_stopped
            reached = started + (1 if stopped else 0)
            episode.recertifications = sum(1 for index in enrolment.recert_days if index < reached)
            episode.recertification_stopped = stopped
        if enrolment.at_max_stay:
            episode.max_stay_discharge = discharged
        enrolment.started = started
