"""What a run records: flat rows, built during the run and turned into tables once, at the end.

Every referral is one Episode and ends in exactly one state; those still
waiting or in the programme at the horizon end in a censored state rather than
being dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import chain
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, get_args

import numpy as np

if TYPE_CHECKING:
    from simiop.model.session_table import SessionTable

EndState = Literal[
    "lost_before_contact",
    "gave_up_before_intake",
    "no_show_at_intake",
    "redirected_step_up",
    "redirected_outpatient",
    "declined",
    "left_track_full",
    "left_wait_list",
    "no_start",
    "completed",
    "dropout",
    "step_up",
    "administrative",
    "censored_waiting_for_intake",
    "censored_on_wait_list",
    "censored_in_programme",
]
"""How an episode ended, in pathway order; the strings are the end_state column of episodes.csv.

The last three are censored: the horizon came first. mypy refuses any other
string where an end state is expected; labels for people are in
simiop/results/labels.py.
"""

IntakeOutcome = Literal["admit", "redirect_step_up", "redirect_outpatient", "decline"]
"""What the assessment decided; the strings are the intake_outcome column of episodes.csv."""

LOST_BEFORE_CONTACT: Final = "lost_before_contact"
GAVE_UP_BEFORE_INTAKE: Final = "gave_up_before_intake"
NO_SHOW: Final = "no_show_at_intake"
REDIRECTED_STEP_UP: Final = "redirected_step_up"
REDIRECTED_OUTPATIENT: Final = "redirected_outpatient"
DECLINED: Final = "declined"
LEFT_TRACK_FULL: Final = "left_track_full"
LEFT_WAIT_LIST: Final = "left_wait_list"
NO_START: Final = "no_start"
"""Admitted but never attended a programme day: the stay ended by the run of absences, not a discharge."""
COMPLETED: Final = "completed"
DROPOUT: Final = "dropout"
STEP_UP: Final = "step_up"
ADMINISTRATIVE: Final = "administrative"
WAITING_FOR_INTAKE: Final = "censored_waiting_for_intake"
ON_WAIT_LIST: Final = "censored_on_wait_list"
IN_PROGRAMME: Final = "censored_in_programme"

ADMIT: Final = "admit"
REDIRECT_STEP_UP: Final = "redirect_step_up"
REDIRECT_OUTPATIENT: Final = "redirect_outpatient"
DECLINE: Final = "decline"

END_STATES: tuple[EndState, ...] = get_args(EndState)
DISCHARGES: tuple[EndState, ...] = (COMPLETED, DROPOUT, STEP_UP, ADMINISTRATIVE)
"""Discharges from the programme: the denominator of the published completion and dropout shares."""
ADMITTED_ENDINGS: tuple[EndState, ...] = (*DISCHARGES, NO_START)
"""Every way a stay ends before the horizon: a discharge, or a no-start (never attended a day)."""
CENSORED: tuple[EndState, ...] = (WAITING_FOR_INTAKE, ON_WAIT_LIST, IN_PROGRAMME)
INTAKE_OUTCOMES: tuple[IntakeOutcome, ...] = get_args(IntakeOutcome)


@dataclass(slots=True)
class Episode:
    """One referral's journey through the pathway (one row of episodes.csv)."""

    episode_id: int
    patient_id: int
    source: str
    source_kind: str
    track_preference: str
    payer: str
    acuity: str
    referred_day: float
    readmission_of: int | None = None
    intake_bookings: int = 0
    assessed_day: float | None = None
    intake_outcome: IntakeOutcome | None = None
    track: str | None = None
    wait_list_day: float | None = None
    admitted_day: float | None = None
    ended_day: float | None = None
    end_state: EndState | None = None
    therapist: str | None = None
    group: int | None = None
    programme_days: int = 0
    programme_days_attended: int = 0
    group_sessions_attended: int = 0
    individual_sessions: int = 0
    prescriber_visits: int = 0
    family_sessions: int = 0
    service_hours: float = 0.0
    authorization_reviews: int = 0
    authorization_denied: bool = False
    recertifications: int = 0
    recertification_stopped: bool = False
    max_stay_discharge: bool = False
    warm_handoff: bool = False
    """Handed off warm by the referring unit (referrals.sources.<source>.warm_handoff), whatever followed."""

    def end(self, state: EndState, day: float) -> None:
        assert self.end_state is None, f"episode {self.episode_id} ended twice"
        self.end_state = state
        self.ended_day = day


@dataclass(slots=True)
class TrackDay:
    """One programme day of one track (one row of daily.csv)."""

    day: int
    track: str
    census: int = 0
    wait_list: int = 0
    admissions: int = 0
    discharges: int = 0
    attended: int = 0
    absent: int = 0
    groups_scheduled: int = 0
    groups_run: int = 0
    group_attendances: int = 0
    groups_merged: int = 0
    cancelled_too_few: int = 0
    cancelled_no_facilitator: int = 0
    cancelled_no_room: int = 0
    largest_group: int = 0
    facilitation_hours: float = 0.0
    individual_hours: float = 0.0
    prescriber_hours: float = 0.0
    family_hours: float = 0.0
    groups_covered: int = 0
    """Group sessions run with a cover (per-diem) facilitator (among groups_run)."""


@dataclass(slots=True)
class StaffDay:
    """One role on one day (one row of staff.csv): who was on the books and what their hours went to."""

    day: int
    role: str
    employed: int = 0
    present: int = 0
    employed_fte: float = 0.0
    group_hours: float = 0.0
    individual_hours: float = 0.0
    prescriber_hours: float = 0.0
    family_hours: float = 0.0
    intake_hours: float = 0.0
    caseload: int = 0
    cover_hours: float = 0.0
    """Hours paid to the role's cover (per-diem) people that day: each call-in at least min_paid_hours."""
    cover_cost_usd: float = 0.0
    """What those hours cost (cover_hours x hourly_cost_usd)."""

    @property
    def hours(self) -> float:
        return (
            self.group_hours
            + self.individual_hours
            + self.prescriber_hours
            + self.family_hours
            + self.intake_hours
        )


@dataclass(slots=True)
class PatientDay:
    """One attended programme day of one patient: what was furnished, which the bill is made from.

    ``services`` and ``hours`` are every session the patient received and its
    minutes (sessions_delivered, service_hours); what a payer counts toward
    its per diem, and the money, is decided after the run by
    ``simiop.billing.bill`` from the parts below.
    """

    episode_id: int
    day: int
    week: int
    services: int
    hours: float
    groups: int = 0
    """Group sessions attended that day (0 when the patient's group did not run)."""
    programme_hours: float = 0.0
    """The track's programme hours when the patient's group ran, else 0 (billing hours of the day)."""
    individual_hours: float = 0.0
    family_hours: float = 0.0
    prescriber_hours: float = 0.0
    prescriber_initial: bool = False
    """Whether that day's prescriber visit (if any) was the first (an evaluation)."""
    review_denied: bool = False
    """The payer's concurrent review was denied before this day and the patient continued unbilled."""


class PatientDays:
    """Every attended patient-day as columns: one numpy array per PatientDay field, in row order.

    The after-pass (simiop/model/care.py) writes a patient-day as little as it
    can: per row its episode and whether its group ran; per track-day its day,
    week and the track's group sessions and hours; and, only on the rows that
    had them, the hours of an individual, prescriber or family session and a
    denied review. ``columns`` spreads that into full columns once (the hours
    and services added in the order care adds them, so every bit is as a
    row-by-row record had it). Billing, KPIs and periods read the columns;
    ``rows`` and indexing give PatientDay objects for tests and notebooks.
    """

    NAMES: tuple[str, ...] = tuple(f.name for f in fields(PatientDay))

    def __init__(self) -> None:
        self.episode_id: list[int] = []
        self.ran: list[bool] = []
        """Per row: whether the patient's group ran that day."""
        self.track_days: list[tuple[int, int, int, int, float, float]] = []
        """Per track-day: (first row, day, week, group sessions, programme hours, group service hours)."""
        self.individual: tuple[list[int], list[float]] = ([], [])
        """(rows, hours) of the individual sessions; likewise prescriber and family below."""
        self.prescriber: tuple[list[int], list[float]] = ([], [])
        self.prescriber_initial: list[int] = []
        """Rows whose prescriber visit was the first (an evaluation)."""
        self.family: tuple[list[int], list[float]] = ([], [])
        self.pulled_out: tuple[list[int], list[float]] = ([], [])
        """(rows, group hours) of each group session a patient missed for a pulled-out care session:
        one entry per session missed, the row's groups one fewer and its hours the session's fewer."""
        self.review_denied: list[int] = []
        """Rows after a denied concurrent review (the patient continued unbilled)."""
        self.denied_from: dict[int, int] = {}
        """Episode -> the day from which its rows are after a denied review (with ``review_denied``)."""
        self._columns: dict[str, np.ndarray] | None = None
        self._spread_rows = 0
        """How many recorded rows ``_columns`` holds (-1: given whole by ``of``)."""

    @classmethod
    def of(cls, rows: Iterable[PatientDay]) -> PatientDays:
        """Columns holding the given rows (tests and hand-made records)."""
        made = cls()
        rows = list(rows)
        made._spread_rows = -1
        made._columns = {
            name: np.array([getattr(row, name) for row in rows], dtype=dtype)
            for name, dtype in _PATIENT_DAY_DTYPES.items()
        }
        return made

    def __len__(self) -> int:
        return len(self.episode_id) if self._spread_rows >= 0 else len(self.columns()["episode_id"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatientDays):
            return NotImplemented
        mine, theirs = self.columns(), other.columns()
        return all(np.array_equal(mine[name], theirs[name]) for name in self.NAMES)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PatientDays({len(self)} rows)"

    def columns(self) -> dict[str, np.ndarray]:
        """Field name -> column (read-only arrays), spread out from the record once (again if it grew)."""
        if self._columns is None or 0 <= self._spread_rows != len(self.episode_id):
            self._columns, self._spread_rows = self._spread(), len(self.episode_id)
        return self._columns

    def _spread(self) -> dict[str, np.ndarray]:
        size = len(self.episode_id)
        flat = chain.from_iterable(self.track_days)  # faster than np.array of the tuples
        per_track_day = np.fromiter(flat, dtype=float, count=6 * len(self.track_days)).reshape(-1, 6)
        counts: np.ndarray = np.diff(per_track_day[:, 0].astype(np.intp), append=size)
        day, week, groups_of_day, programme, group_hours = (
            np.repeat(c, counts) for c in per_track_day[:, 1:].T
        )
        ran = small_ints(self.ran, np.bool_)
        columns: dict[str, np.ndarray] = {
            "episode_id": np.fromiter(self.episode_id, dtype=np.int64, count=size)
        }
        columns["day"], columns["week"] = day.astype(np.int64), week.astype(np.int64)
        groups = np.where(ran, groups_of_day, 0.0).astype(np.int64)
        pulled_rows, pulled_hours = self.pulled_out
        pulled = np.zeros(size)
        if pulled_rows:
            at = np.array(pulled_rows, dtype=np.intp)
            np.subtract.at(groups, at, 1)
            np.add.at(pulled, at, pulled_hours)
        services = groups.copy()
        extra = np.zeros(size)
        for name, (rows, hours) in (
            ("individual_hours", self.individual),
            ("prescriber_hours", self.prescriber),
            ("family_hours", self.family),
        ):  # care adds the day's extra hours in this order
            at = np.array(rows, dtype=np.intp)
            column: np.ndarray = np.zeros(size)
            column[at] = hours
            services[at] += 1
            extra = extra + column
            columns[name] = column
        columns["services"], columns["groups"] = services, groups
        columns["hours"] = np.where(ran, (group_hours - pulled) + extra, extra)
        columns["programme_hours"] = np.where(ran, programme, 0.0)
        marks = (("prescriber_initial", self.prescriber_initial), ("review_denied", self.review_denied))
        for name, marked in marks:
            flags = np.zeros(size, dtype=bool)
            flags[np.array(marked, dtype=np.intp)] = True
            columns[name] = flags
        if self.denied_from:
            episodes = columns["episode_id"]
            known = max(max(self.denied_from), int(episodes.max(initial=-1))) + 1
            denied_from = np.full(known, np.iinfo(np.int64).max, dtype=np.int64)
            denied_from[list(self.denied_from)] = list(self.denied_from.values())
            columns["review_denied"] |= columns["day"] >= denied_from[episodes]
        for column in columns.values():
            column.flags.writeable = False
        return {name: columns[name] for name in self.NAMES}

    def __getitem__(self, index: int) -> PatientDay:
        """One row as an object, made on demand."""
        return PatientDay(*(column[index].item() for column in self.columns().values()))

    def __iter__(self) -> Iterator[PatientDay]:
        return iter(self.rows())

    def rows(self) -> list[PatientDay]:
        """Every row as an object (tests and notebooks; the run itself never makes them)."""
        values = [column.tolist() for column in self.columns().values()]
        return [PatientDay(*row) for row in zip(*values, strict=True)]


def small_ints(values: Sequence[Any] | np.ndarray, dtype: Any = np.intp) -> np.ndarray:
    """A list of numbers as an array of ``dtype``: ``np.fromiter``'s, read as bytes when every value is an
    int (or bool) from 0 to 255.

    Why: ``bytes`` of a list of small ints is one C loop with no numpy scalar conversion per item, 0.08
    against 0.2 ms for ``np.fromiter`` of a 3-year run's 13,000 patient-days (whether each one's group
    ran) or its 19,000 session rows (sizes, key codes). A value outside 0..255, or not an int (a float,
    None), makes ``bytes`` raise: then ``np.fromiter`` reads the list as before. Only a list or tuple is
    read as bytes: ``bytes`` of an array (anything with a buffer) would copy its memory, not its values.
    """
    if not isinstance(values, (list, tuple)):
        return np.fromiter(values, dtype=dtype, count=len(values))
    try:
        data = bytes(values)
    except (ValueError, TypeError):
        return np.fromiter(values, dtype=dtype, count=len(values))
    small = np.frombuffer(data, dtype=np.uint8)
    found: np.ndarray = small != 0 if np.dtype(dtype) == np.bool_ else small.astype(dtype)
    return found


_PATIENT_DAY_DTYPES: dict[str, type] = {
    f.name: {"int": np.int64, "float": np.float64, "bool": np.bool_}[str(f.type)] for f in fields(PatientDay)
}


R = TypeVar("R")


class RowColumns(Generic[R]):
    """Rows of one record type kept as columns (one list per field, values as recorded), rows on demand.

    The roster writes staff.csv's rows this way: hours are added into a
    role's list for the day, and the run's columns are these lists, with no
    object per row to read back field by field.
    """

    def __init__(self, row_type: type[R], columns: dict[str, list[Any]] | None = None) -> None:
        self.row_type = row_type
        self.names: tuple[str, ...] = tuple(f.name for f in fields(row_type))  # type: ignore[arg-type]
        self._columns = columns if columns is not None else {name: [] for name in self.names}
        if tuple(self._columns) != self.names:
            raise ValueError(f"columns {tuple(self._columns)} are not the fields of {row_type.__name__}")

    @classmethod
    def of(cls, row_type: type[R], rows: Iterable[R]) -> RowColumns[R]:
        """Columns holding the given rows (tests and hand-made records)."""
        rows = list(rows)
        names = [f.name for f in fields(row_type)]  # type: ignore[arg-type]
        return cls(row_type, {name: [getattr(row, name) for row in rows] for name in names})

    def columns(self) -> dict[str, list[Any]]:
        """Field name -> its values in row order (the lists themselves: callers must not change them)."""
        return self._columns

    def __len__(self) -> int:
        return len(self._columns[self.names[0]])

    def __getitem__(self, index: int) -> R:
        """One row as an object, made on demand (a copy: changing it changes nothing recorded)."""
        return self.row_type(*(column[index] for column in self._columns.values()))

    def __iter__(self) -> Iterator[R]:
        return iter(self.rows())

    def rows(self) -> list[R]:
        """Every row as an object (tests and notebooks; the run itself never makes them)."""
        return [self.row_type(*row) for row in zip(*self._columns.values(), strict=True)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RowColumns):
            return NotImplemented
        return self.row_type is other.row_type and self._columns == other._columns

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowColumns({self.row_type.__name__}, {len(self)} rows)"


SessionKind = Literal["group", "individual", "family", "prescriber_initial", "prescriber_follow_up", "intake"]
"""What a row of sessions.csv is; the strings are its ``kind`` column."""

SessionPlacement = Literal["programme", "pull_out", "before", "after", "intake_slot", ""]
"""Where in the day a session sat: a group in the programme day, care pulled out of a group or
before/after the programme day (config ``services.<service>.placement``), an assessment in its slot;
empty for a missed care session (it sat nowhere)."""

SessionOutcome = Literal["held", "cancelled", "missed", "no_show"]
"""``cancelled``: a group session that did not run; ``missed``: a care session that was due but could
not be placed; ``no_show``: an intake patient who did not come (the assessor's time is still blocked)."""

SessionReason = Literal[
    "",
    "too_few",
    "no_facilitator",
    "no_room",
    "no_staff_on_shift",
    "staff_absent",
    "no_staff_time",
    "no_slot",
]
"""Why a session was cancelled (groups) or missed (care); empty when held or a no-show."""


@dataclass(slots=True)
class SessionRow:
    """One session held, cancelled or missed (one row of sessions.csv), on the day's clock.

    Times are minutes since the day's midnight (floats: session lengths are
    floats in the config); a missed session has no time and no staff (start
    and end are NaN). ``staff`` and ``patients`` are sorted person ids and
    the episode ids present, in the order they were booked.
    """

    day: int
    kind: SessionKind
    track: str
    group: int
    session: int
    placement: SessionPlacement
    start_minute: float
    end_minute: float
    staff: tuple[str, ...]
    cover: int
    room: str
    patients: tuple[int, ...]
    outcome: SessionOutcome
    reason: SessionReason


@dataclass(slots=True)
class Booking:
    """One intake booking: when it was made, when its slot was, and whether the patient came."""

    episode_id: int
    booked_day: float
    slot_day: float
    showed: bool
    slot: int = -1
    """The slot's index in the intake book (IntakeBook.times)."""
    seat: int = -1
    """Which of the slot's seats: the rota names its person (IntakeBook.seat_person)."""


@dataclass
class Records:
    """Everything one replication recorded."""

    seed: int
    replication: int
    horizon_days: float
    episodes: list[Episode] = field(default_factory=list)
    track_days: list[TrackDay] = field(default_factory=list)
    staff_days: RowColumns[StaffDay] = field(default_factory=lambda: RowColumns(StaffDay))
    patient_days: PatientDays = field(default_factory=PatientDays)
    bookings: list[Booking] = field(default_factory=list)
    sessions: SessionTable | RowColumns[SessionRow] = field(default_factory=lambda: RowColumns(SessionRow))
    """Every session of the run on the clock (sessions.csv), in (day, start, kind) order once filled: the
    run's SessionTable (int-coded columns, simiop/model/session_table.py), or rows made by hand."""
    events: int = 0
