"""The output tables of a run (episodes.csv, daily.csv, staff.csv, sessions.csv, kpis.csv), as CSV text.

Rendering is separate from writing so the same bytes can be checksummed,
compared and written atomically. Numbers have fixed formats, so the same
records always give byte-identical files.

Tables are rendered one column at a time from the run's columns
(simiop/results/columns.py): each column's values are formatted into a list
of CSV fields (a repeated value is formatted once), and the rows are the
columns zipped and joined with commas. The bytes are those ``csv.writer``
wrote row by row before (a text field that needs quoting is still quoted by
``csv.writer`` itself); tests/test_tables.py pins them on tiny records.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import cache, lru_cache, partial
from typing import Any, cast

import numpy as np

from simiop.billing import BilledRun
from simiop.config.clock import clock_text
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import INTAKE_OUTCOMES, Episode
from simiop.model.session_table import positions_within
from simiop.results.columns import Columns

EPISODE_COLUMNS: dict[str, str] = {
    "episode_id": "row id; one per referral",
    "patient_id": "person; readmissions share it",
    "source": "referral source name, or 'readmission'",
    "source_kind": "step_down, step_up, community or emergency_department",
    "track_preference": "day, evening or either",
    "payer": "payer name",
    "acuity": "acuity class",
    "readmission_of": "episode_id of the earlier episode, if a readmission",
    "referred_day": "days since opening",
    "referred_date": "calendar date of the referral",
    "intake_bookings": "assessment bookings made (1 + rebookings)",
    "assessed_day": "days since opening; empty if never assessed",
    "intake_outcome": f"{', '.join(INTAKE_OUTCOMES[:-1])} or {INTAKE_OUTCOMES[-1]}",
    "track": "track joined",
    "wait_list_day": "days since opening the patient joined the wait list",
    "admitted_day": "days since opening of admission",
    "admitted_date": "calendar date of admission",
    "ended_day": "days since opening the episode ended; empty if censored",
    "end_state": "how the episode ended (censored_* = still waiting or in the programme at the horizon)",
    "censored": "1 if the horizon came before the episode ended",
    "therapist": "primary therapist (person id)",
    "group": "group index within the track",
    "programme_days": "programme days held while enrolled (attended or missed)",
    "programme_days_attended": "programme days attended",
    "group_sessions_attended": "group sessions (services) attended",
    "individual_sessions": "individual therapy sessions",
    "prescriber_visits": "prescriber visits",
    "family_sessions": "family sessions",
    "service_hours": "hours of services received",
    "authorization_reviews": "payer concurrent reviews held (money.payers.<payer>.authorization)",
    "authorization_denied": "1 if a concurrent review was denied",
    "recertifications": "physician recertifications of the plan of care held "
    "(length_of_stay.recertification)",
    "recertification_stopped": "1 if a recertification not granted ended the stay",
    "max_stay_discharge": "1 if the maximum stay (length_of_stay.max_stay_days) ended the stay",
    "warm_handoff": "1 if handed off warm by the referring unit (referrals.sources.<source>.warm_handoff)",
    "billable_days": "attended days whose per diem is billable under the payer's rules",
    "charges_usd": "per diems and professional fees billed for the episode (allowed amounts, USD)",
    "revenue_usd": "revenue earned for the episode: the payer's part and the collected patient share, "
    "whenever paid (USD)",
    "wait_referral_to_assessment_days": "days from referral to assessment",
    "wait_assessment_to_admission_days": "days from assessment to admission",
    "length_of_stay_days": "days from admission to discharge (discharged episodes)",
}

SESSION_COLUMNS: dict[str, str] = {
    "date": "calendar date of the session",
    "day": "days since opening (whole day)",
    "kind": "group, individual, family, prescriber_initial, prescriber_follow_up or intake",
    "track": "track of the group or of the patient (empty for intake)",
    "group": "group index within the track (groups only)",
    "session": "index of the group session within the programme day (groups, and the session a pull-out "
    "took the patient out of)",
    "placement": "programme (groups), pull_out, before or after (care), intake_slot; empty when missed",
    "start_time": "clock time the session starts (HH:MM, HH:MM:SS when not on a whole minute); empty "
    "when missed",
    "end_time": "clock time the session ends; empty when missed",
    "start_minute": "minutes since midnight the session starts (4 decimals)",
    "end_minute": "minutes since midnight the session ends (4 decimals)",
    "staff": "person ids of the staff, ';'-joined (empty when nobody)",
    "cover": "1 if a cover (per-diem) person took part",
    "room": "group_room_<n> for groups, office:<person> for care and intake; empty when not held",
    "patients": "episode ids, ';'-joined (a group session lists only who was in it: a patient pulled out "
    "for care is not)",
    "outcome": "held, cancelled (groups), missed (care that was due but could not be placed) or no_show "
    "(intake: the assessor's time was still taken)",
    "reason": "cancelled: too_few, no_facilitator or no_room; missed: no_staff_on_shift, staff_absent, "
    "no_staff_time or no_slot; empty otherwise",
}
"""The columns of sessions.csv, one row per session held, cancelled or missed, with their meanings."""

BOOKING_COLUMNS: dict[str, str] = {
    "episode_id": "the episode booked (episodes.csv)",
    "booked_day": "days since opening the booking was made (first contact, or the missed slot)",
    "slot_day": "days since opening of the slot booked",
    "days_waited": "slot_day - booked_day: the x of intake.show_rate_by_days_waited",
    "showed": "1 if the patient came to the assessment",
}
"""The columns of bookings.csv (kept only with --tables ...,bookings), one row per intake booking whose
slot came before the horizon."""


DAY_PLACES = 4
_DAY_SCALE = 10**DAY_PLACES
_DAY_FORMAT = f"%d.%0{DAY_PLACES}d"


def day_number(value: float | None) -> str:
    """A time in days since opening, truncated (never rounded) to 4 decimals; '' for None.

    Rounding printed 508.99997 as 509.0000 beside the date of day 508, and an
    event just before the horizon as the horizon. The whole part is printed
    as the integer floor and the fraction is truncated, so the printed day is
    always the day of the printed date, and never reaches the next day.
    """
    if value is None:
        return ""
    day = math.floor(value)
    fraction = math.floor((value - day) * _DAY_SCALE)  # value - day is exact in floating point
    return f"{day}.{min(fraction, _DAY_SCALE - 1):0{DAY_PLACES}d}"


_NEEDS_QUOTING = frozenset(',"\r\n')


@cache
def csv_field(text: str) -> str:
    """A text value as ``csv.writer`` writes it inside a row (quoted only when it must be).

    Text without a comma, quote or line break is written as it is; other
    text is handed to ``csv.writer`` itself, so the quoting rules stay its own.
    """
    if _NEEDS_QUOTING.isdisjoint(text):
        return text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text, ""])  # two fields: never the lone-'' case
    return buffer.getvalue()[:-2]


def _text(values: Sequence[str | None]) -> list[str]:
    """A text column: None and '' as empty fields."""
    texts = {value: csv_field(value) if value else "" for value in set(values)}
    return list(map(texts.__getitem__, values))


_INT_TEXTS_UP_TO = 1 << 16
"""Ints below this are looked up in ``_int_texts``'s table; larger ones are formatted one by one."""
_int_table: list[np.ndarray] = [np.array(["0"], dtype=object)]


def _int_texts(array: np.ndarray) -> list[str] | None:
    """str() of each int of an int array by one lookup in a table of str(0), str(1), ... (grown on
    demand); None when a value is negative or not small."""
    if not array.size:
        return []
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= _INT_TEXTS_UP_TO:
        return None
    table = _int_table[0]
    if high >= table.size:
        size = min(_INT_TEXTS_UP_TO, max(2 * table.size, high + 1))
        table = _int_table[0] = np.array(list(map(str, range(size))), dtype=object)
    texts: list[str] = table[array].tolist()
    return texts


def _from_ints(array: np.ndarray) -> list[str]:
    """A column of an int array (made by numpy, so every value is an int) as csv.writer writes it."""
    return _int_texts(array) or _plain(array.tolist())


def _plain(values: Sequence[object], int_array: Callable[[], np.ndarray] | None = None) -> list[str]:
    """A column written as csv.writer writes objects: str(value), None as empty, text quoted if needed.

    ``int_array``: gives the same values as an int array (asked only when
    every value is an int; a bool is not one): the column is then looked up
    from it, faster than a Python lookup per value even when the array is made.
    """
    kinds = set(map(type, values))
    if kinds <= {int}:
        array = int_array() if int_array is not None and values else None
        if array is not None and array.dtype.kind == "i" and array.size == len(values):
            texts = _int_texts(array)
            if texts is not None:
                return texts
        return _each_distinct(values, str)
    if kinds <= {int, type(None)}:  # an optional id: None and ints never compare equal
        return _each_distinct(values, lambda value: "" if value is None else str(value))
    if kinds <= {str, type(None)}:
        return _text(cast(Sequence[str | None], values))
    return ["" if v is None else csv_field(v) if isinstance(v, str) else str(v) for v in values]


def _each_distinct(values: Sequence[Any], formatted: Callable[[Any], str]) -> list[str]:
    """``formatted`` of every value, worked out once per distinct value (columns repeat a few values).

    Values are told apart by equality, so callers pass only values whose
    equal ones print alike (ints; floats with no -0.0, see ``_floats``).
    """
    if len(set(values[:64])) > 48:  # ids and times: mostly distinct, sharing would gain nothing
        return list(map(formatted, values))
    distinct = set(values)
    if len(distinct) == 1:  # a column of one value (often all zeros)
        return [formatted(values[0])] * len(values)
    if len(distinct) * 2 > len(values):  # mostly distinct: sharing gains nothing
        return list(map(formatted, values))
    texts = {value: formatted(value) for value in distinct}
    return list(map(texts.__getitem__, values))


def _fixed(places: int) -> Callable[[float], str]:
    return f"{{:.{places}f}}".format


def _has_negative_zero(values: np.ndarray) -> bool:
    """Whether a -0.0 is among the values (it equals 0.0 but prints with its sign)."""
    return bool((np.signbit(values) & (values == 0.0)).any())


def _floats(values: Sequence[float | None], array: np.ndarray, places: int = 4) -> list[str]:
    """A float column with ``places`` decimals, None as empty (an int prints as its float would).

    ``array`` is the same values as floats (None as nan), to look for -0.0.
    """
    fixed = _fixed(places)
    if _has_negative_zero(array):
        return ["" if value is None else fixed(value) for value in values]
    if array.size == len(values) and not np.isnan(array).any():  # no None (nor nan): the array is the values
        looked_up = _distinct_looked_up(array, fixed)
        if looked_up is not None:
            return looked_up
    return _each_distinct(values, lambda value: "" if value is None else fixed(value))


def _distinct_looked_up(array: np.ndarray, formatted: Callable[[float], str]) -> list[str] | None:
    """``formatted`` of each value of a float array with no -0.0 (equal values are the same bits, so
    they print alike): each distinct value, found by numpy, formatted once and looked up by its place
    among them; None when the values are mostly distinct (sharing would gain nothing)."""
    distinct = np.unique(array)
    if distinct.size * 2 > array.size:
        return None
    table = np.array(list(map(formatted, distinct.tolist())), dtype=object)
    texts: list[str] = table[np.searchsorted(distinct, array)].tolist()
    return texts


def _recorded_floats(values: Sequence[float], array: np.ndarray) -> list[str]:
    """A field annotated float: a float with 4 decimals; an int (a sum over nobody is 0) as it was."""
    if set(map(type, values)) <= {float} and not _has_negative_zero(array) and array.size == len(values):
        fixed = _fixed(4)
        looked_up = _distinct_looked_up(array, fixed)
        return looked_up if looked_up is not None else list(map(fixed, values))
    return [f"{value:.4f}" if type(value) is float else str(value) for value in values]


def day_numbers(values: Sequence[float | None] | np.ndarray) -> list[str]:
    """Times in days since opening as ``day_number`` prints them (None or nan as empty), all at once."""
    array = np.asarray(values, dtype=float)
    missing = np.isnan(array)
    known = array[~missing]
    whole = np.floor(known)
    fraction = np.minimum(np.floor((known - whole) * _DAY_SCALE), _DAY_SCALE - 1)  # as day_number works
    texts = _whole_dot_fraction(whole.astype(np.int64), fraction.astype(np.int64))
    if not missing.any():
        return texts
    every = np.full(array.size, "", dtype=object)
    every[~missing] = texts
    shown: list[str] = every.tolist()
    return shown


def _whole_dot_fraction(whole: np.ndarray, fraction: np.ndarray, places: int = DAY_PLACES) -> list[str]:
    """``"%d.%0<places>d" % (whole, fraction)`` of each pair, the digits worked out by numpy for all at once.

    Why: day columns, waits and stays are mostly distinct, so a Python format
    per value was their whole cost. Each value is laid out as ASCII in a row
    of a byte matrix (its whole part's leading zeros as NUL bytes, then '.',
    the fraction's digits and a line break); dropping the NULs and splitting
    the text gives the same strings. A negative whole part (never a day of a
    run) is formatted by Python.
    """
    if not whole.size or int(whole.min()) < 0:
        pattern = f"%d.%0{places}d"
        return [pattern % pair for pair in zip(whole.tolist(), fraction.tolist(), strict=True)]
    width = len(str(int(whole.max())))
    text = np.empty((whole.size, width + places + 2), dtype=np.uint8)
    for column in range(width):  # one scalar divisor at a time: numpy divides by a scalar fast
        power = 10 ** (width - 1 - column)
        digit = whole // power % 10 + ord("0")
        if power > 1:
            digit[whole < power] = 0  # no leading zeros: the last digit always shows
        text[:, column] = digit
    text[:, width] = ord(".")
    for place in range(places):
        text[:, width + 1 + place] = fraction // 10 ** (places - 1 - place) % 10 + ord("0")
    text[:, -1] = ord("\n")
    flat = text.ravel()
    shown: list[str] = flat[flat != 0].tobytes().decode("ascii").split("\n")[:-1]
    return shown


_EXACT_BELOW = 2.0**31
"""Values below this, scaled by 10**places (<= 4), keep their rounding error far below the margin."""
_TIE_MARGIN = 1e-6
"""How far from a half the scaled value must be for numpy's rounding to be Python's (see ``fixed_texts``)."""


def fixed_texts(values: np.ndarray, places: int) -> list[str]:
    """Each value as ``f"{value:.<places>f}"`` prints it, '' for nan; most values worked out by numpy.

    Python rounds the exact binary value to ``places`` decimals. numpy's
    ``value * 10**places`` is off by at most one unit in the last place
    (< 1e-6 below 2**31 / 10**places), so its nearest integer is Python's
    rounding unless the scaled value is within ``_TIE_MARGIN`` of a half; those
    values, negative ones (and -0.0) and very large ones are formatted by Python.
    """
    missing = np.isnan(values)
    scale = 10**places
    scaled = values * scale
    rounded = np.rint(scaled)
    python = missing | np.signbit(values) | ~(np.abs(scaled) < _EXACT_BELOW)
    python |= np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= _TIE_MARGIN
    texts = np.full(values.size, "", dtype=object)
    exact = ~python
    whole = rounded[exact].astype(np.int64)
    texts[exact] = _whole_dot_fraction(whole // scale, whole % scale, places)
    pattern = f"{{:.{places}f}}".format
    texts[python & ~missing] = [pattern(value) for value in values[python & ~missing].tolist()]
    shown: list[str] = texts.tolist()
    return shown


def _dates(values: Sequence[float | None] | np.ndarray, dates: Sequence[str]) -> list[str]:
    """The calendar date of each time (the date of its whole day), '' for None."""
    lookup = np.array([*dates, ""], dtype=object)
    array = np.asarray(values, dtype=float)
    days = np.where(np.isnan(array), len(dates), array).astype(np.int64)  # int() truncates; days are >= 0
    found: list[str] = lookup[days].tolist()
    return found


def render_columns(header: Sequence[str], columns: Sequence[Sequence[str]]) -> str:
    """CSV text of a table given as columns of CSV fields, byte for byte as ``csv.writer`` writes rows."""
    if not header:
        return "\n"
    lines = [",".join(map(csv_field, header))]
    if len(columns) == 1:  # csv.writer quotes a row that is one empty field
        lines.extend(field or '""' for field in columns[0])
    else:
        lines.extend(map(",".join, zip(*columns, strict=True)))
    return "\n".join(lines) + "\n"


def _differences(later: np.ndarray, earlier: np.ndarray) -> list[str]:
    """later - earlier per row with 4 decimals, '' where either is missing (nan); all at once.

    Waits and stays are mostly distinct, so nothing is shared; a -0.0 prints with its sign, as ever.
    """
    return fixed_texts(later - earlier, 4)


def episode_columns(run: BilledRun, dates: Sequence[str]) -> list[list[str]]:
    """The columns of episodes.csv (EPISODE_COLUMNS), each as CSV fields."""
    episodes = run.columns.episodes
    censored = run.columns.censored()
    referred, assessed = episodes.array("referred_day"), episodes.array("assessed_day")
    admitted, ended = episodes.array("admitted_day"), episodes.array("ended_day")
    ended_shown = np.where(censored, np.nan, ended)
    values = episodes.values
    bills = run.episodes
    by_name: dict[str, list[str]] = {
        "episode_id": _plain(values("episode_id"), partial(episodes.array, "episode_id", "int")),
        "patient_id": _plain(values("patient_id"), partial(episodes.array, "patient_id", "int")),
        "source": _text(values("source")),
        "source_kind": _text(values("source_kind")),
        "track_preference": _text(values("track_preference")),
        "payer": _text(values("payer")),
        "acuity": _text(values("acuity")),
        "readmission_of": _plain(values("readmission_of")),
        "referred_day": day_numbers(episodes.array("referred_day")),
        "referred_date": _dates(referred, dates),
        "intake_bookings": _plain(
            values("intake_bookings"), partial(episodes.array, "intake_bookings", "int")
        ),
        "assessed_day": day_numbers(episodes.array("assessed_day")),
        "intake_outcome": _text(values("intake_outcome")),
        "track": _text(values("track")),
        "wait_list_day": day_numbers(episodes.array("wait_list_day")),
        "admitted_day": day_numbers(episodes.array("admitted_day")),
        "admitted_date": _dates(admitted, dates),
        "ended_day": day_numbers(ended_shown),
        "end_state": _text(values("end_state")),
        "censored": _from_ints(censored.astype(np.int64)),
        "therapist": _text(values("therapist")),
        "group": _plain(values("group")),
        "programme_days": _plain(values("programme_days"), partial(episodes.array, "programme_days", "int")),
        "programme_days_attended": _plain(
            values("programme_days_attended"), partial(episodes.array, "programme_days_attended", "int")
        ),
        "group_sessions_attended": _plain(
            values("group_sessions_attended"), partial(episodes.array, "group_sessions_attended", "int")
        ),
        "individual_sessions": _plain(
            values("individual_sessions"), partial(episodes.array, "individual_sessions", "int")
        ),
        "prescriber_visits": _plain(
            values("prescriber_visits"), partial(episodes.array, "prescriber_visits", "int")
        ),
        "family_sessions": _plain(
            values("family_sessions"), partial(episodes.array, "family_sessions", "int")
        ),
        "service_hours": _floats(values("service_hours"), episodes.array("service_hours")),
        "authorization_reviews": _plain(
            values("authorization_reviews"), partial(episodes.array, "authorization_reviews", "int")
        ),
        "authorization_denied": _from_ints(episodes.array("authorization_denied", "int")),
        "recertifications": _plain(
            values("recertifications"), partial(episodes.array, "recertifications", "int")
        ),
        "recertification_stopped": _from_ints(episodes.array("recertification_stopped", "int")),
        "max_stay_discharge": _from_ints(episodes.array("max_stay_discharge", "int")),
        "warm_handoff": _from_ints(episodes.array("warm_handoff", "int")),
        "billable_days": _from_ints(bills.billable_days),
        "charges_usd": _floats(bills.charges_usd.tolist(), bills.charges_usd, 2),
        "revenue_usd": _floats(bills.revenue_usd.tolist(), bills.revenue_usd, 2),
        "wait_referral_to_assessment_days": _differences(assessed, referred),
        "wait_assessment_to_admission_days": _differences(admitted, assessed),
        "length_of_stay_days": _differences(ended_shown, admitted),
    }
    return [by_name[name] for name in EPISODE_COLUMNS]


def record_columns(rows: Columns, dates: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and columns of records whose first field is the day: the date, then every field.

    Fields annotated float get 4 decimals (a float field holding an int, as
    a sum over nobody does, is written as the int, as it always was).
    """
    if not rows.size:
        return [], []
    formatted = [_dates(rows.array(rows.names[0]), dates)]
    for name in rows.names:
        values = rows.values(name)
        formatted.append(
            _recorded_floats(values, rows.array(name))
            if name in rows.float_names
            else _plain(values, partial(rows.array, name, "int"))
        )
    return ["date", *rows.names], formatted


def session_columns(run: BilledRun, dates: Sequence[str]) -> list[list[str]]:
    """The columns of sessions.csv (SESSION_COLUMNS), each as CSV fields.

    Missed sessions have no time (nan): their clock and minute fields are
    empty; indices below 0 (a row that has no group or session) are empty.
    """
    sessions = run.columns.sessions
    if not sessions.size:
        return [[] for _ in SESSION_COLUMNS]
    by_name: dict[str, list[str]] = {"date": _dates(sessions.array("day"), dates)}
    by_name["day"] = _from_ints(sessions.array("day", "int"))
    for name in ("kind", "track", "placement", "room", "outcome", "reason"):
        by_name[name] = _text(sessions.values(name))
    for name in ("group", "session"):
        by_name[name] = _each_distinct(sessions.values(name), _index_text)
    for name, clock in (("start_minute", "start_time"), ("end_minute", "end_time")):
        minutes = sessions.array(name)
        by_name[name] = fixed_texts(minutes, 4)
        # A day has few distinct clock times: each formatted once, found by numpy (nan sorts last).
        distinct, where = np.unique(minutes, return_inverse=True)
        table = np.array(["" if m != m else clock_text(m) for m in distinct.tolist()], dtype=object)
        by_name[clock] = table[where.reshape(-1)].tolist()
    by_name["staff"] = _each_distinct(sessions.values("staff"), lambda staff: csv_field(";".join(staff)))
    by_name["cover"] = _from_ints(sessions.array("cover", "int"))
    joined: dict[tuple[int, ...], str] = {}  # a group's sessions of a day mostly list the same patients
    by_name["patients"] = [
        joined.get(patients) or joined.setdefault(patients, ";".join(map(str, patients)))
        for patients in sessions.values("patients")
    ]
    return [by_name[name] for name in SESSION_COLUMNS]


def _index_text(index: int) -> str:
    return "" if index < 0 else str(index)


def render_sessions(run: BilledRun, dates: Sequence[str]) -> str:
    """sessions.csv's text, byte for byte ``render_columns(SESSION_COLUMNS, session_columns(...))``.

    Why not that: a row is 17 fields, but the sessions are int-coded columns
    (SessionTable): a day, a key (every field but the day and the patients;
    a run has a hundred or two) and the patients. So a row is its day's text
    (date, day), its key's text up to the patients (kind to room), each of its
    patients' ids, and its key's text after them (outcome, reason and the line
    break): each day and each key is formatted once, each id is looked up in a
    table of formatted ints, and numpy lays every row's pieces out in file
    order for one join.
    """
    table = run.columns.sessions
    if not table.size:
        return render_columns(list(SESSION_COLUMNS), session_columns(run, dates))
    heads = np.empty(len(table.keys), dtype=object)
    heads[:] = [f"{_when_text(key[:7])},{_who_text(key[7:10])}," for key in table.keys]
    tails = np.empty(len(table.keys), dtype=object)
    tails[:] = [f",{_plain_text(key[10])},{_plain_text(key[11])}\n" for key in table.keys]
    present = np.unique(table.day)
    days = np.empty(int(present[-1]) + 1, dtype=object)
    days[present] = [f"{dates[day]},{day}," for day in present.tolist()]
    rows, ids = table.patient_ids()
    sizes = np.bincount(rows, minlength=table.size)
    span = sizes + 3  # day, head, the patients, tail
    base = np.cumsum(span) - span
    pieces = np.empty(int(span.sum()), dtype=object)
    pieces[base] = days[table.day]
    pieces[base + 1] = heads[table.key]
    pieces[base + 2 + sizes] = tails[table.key]
    if ids.size:
        plain, separated = _id_texts(ids)  # "17" and "17;": the last id of a row has no ';'
        last = np.zeros(ids.size, dtype=bool)
        last[np.cumsum(sizes[sizes > 0]) - 1] = True
        pieces[np.repeat(base + 2, sizes) + positions_within(sizes)] = np.where(last, plain, separated)
    return ",".join(map(csv_field, SESSION_COLUMNS)) + "\n" + "".join(pieces.tolist())


_id_tables: list[tuple[np.ndarray, np.ndarray]] = []


def _id_texts(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each id (an int) as str() prints it, and the same followed by ';' (object arrays); looked up in
    tables of str(0), str(1), ... made once (grown on demand) up to ``_INT_TEXTS_UP_TO``, else formatted."""
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= _INT_TEXTS_UP_TO:
        plain = np.array(list(map(str, ids.tolist())), dtype=object)
        return plain, plain + ";"
    if not _id_tables or high >= _id_tables[0][0].size:
        known = _id_tables[0][0].size if _id_tables else 512
        size = min(_INT_TEXTS_UP_TO, max(2 * known, high + 1))
        plain = np.array(list(map(str, range(size))), dtype=object)
        _id_tables[:] = [(plain, plain + ";")]
    plain, separated = _id_tables[0]
    return plain[ids], separated[ids]


def _plain_text(value: str | None) -> str:
    """A text field as ``_text`` writes it: None and '' empty, else quoted only when it must be."""
    return csv_field(value) if value else ""


def _minute_texts(minute: float) -> tuple[str, str]:
    """A start or end minute's (clock time, 4 decimals) as session_columns writes them ('' when nan)."""
    return ("", "") if minute != minute else (clock_text(minute), f"{minute:.4f}")


def _when_text(key: tuple[Any, ...]) -> str:
    """sessions.csv's fields kind to end_minute of (kind, track, group, session, placement, start, end)."""
    kind, track, group, session, placement, start, end = key
    start_clock, start_fixed = _minute_texts(start)
    end_clock, end_fixed = _minute_texts(end)
    return ",".join(
        (
            _plain_text(kind),
            _plain_text(track),
            _index_text(group),
            _index_text(session),
            _plain_text(placement),
            start_clock,
            end_clock,
            start_fixed,
            end_fixed,
        )
    )


def _who_text(key: tuple[Any, ...]) -> str:
    """sessions.csv's fields staff, cover and room of one (staff, cover, room)."""
    staff, cover, room = key
    return f"{csv_field(';'.join(staff))},{int(cover)},{_plain_text(room)}"


def render_bookings(run: BilledRun) -> str:
    """bookings.csv (BOOKING_COLUMNS): every intake booking the run recorded, in slot order."""
    bookings = run.columns.bookings
    booked, slot = bookings.array("booked_day"), bookings.array("slot_day")
    columns = [
        _from_ints(bookings.array("episode_id", "int")),
        day_numbers(booked),
        day_numbers(slot),
        fixed_texts(slot - booked, 4),
        _from_ints(bookings.array("showed", "int")),
    ]
    return render_columns(list(BOOKING_COLUMNS), columns)


def iso_dates(calendar: ClinicCalendar) -> list[str]:
    """The calendar date of every day of the run (and the day after), formatted once for all rows.

    numpy prints a day as ISO 8601 (YYYY-MM-DD), as ``date.isoformat`` does.
    The dates are made once per opening and length (every cell of a run has
    the same) and copied for the caller.
    """
    return list(_iso_dates(calendar.opening, calendar.days))


@lru_cache(maxsize=8)
def _iso_dates(opening: dt.date, days: int) -> tuple[str, ...]:
    first = np.datetime64(opening, "D")
    return tuple(np.arange(first, first + days + 1).astype(str).tolist())


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of rows (for the small tables: KPIs, periods, projections)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def render_tables(
    run: BilledRun,
    calendar: ClinicCalendar,
    kpis: dict[str, float],
    tables: Collection[str] = ("episodes", "daily", "staff", "sessions"),
) -> dict[str, str]:
    """File name -> CSV text of kpis.csv and of each table named in ``tables`` (episodes, daily, staff,
    sessions).

    Tables not asked for are not rendered at all: large sweeps often keep only the KPIs.
    """
    rendered: dict[str, str] = {}
    dates = iso_dates(calendar) if tables else []
    if "episodes" in tables:
        rendered["episodes.csv"] = render_columns(list(EPISODE_COLUMNS), episode_columns(run, dates))
    if "daily" in tables:
        rendered["daily.csv"] = render_columns(*record_columns(run.columns.track_days, dates))
    if "staff" in tables:
        rendered["staff.csv"] = render_columns(*record_columns(run.columns.staff_days, dates))
    if "sessions" in tables:
        rendered["sessions.csv"] = render_sessions(run, dates)
    if "bookings" in tables:
        rendered["bookings.csv"] = render_bookings(run)
    rendered["kpis.csv"] = to_csv(
        ["replication", "kpi", "value"],
        ([run.columns.replication, name, f"{value:.10g}"] for name, value in kpis.items()),
    )
    return rendered


__all__ = ["BOOKING_COLUMNS", "EPISODE_COLUMNS", "SESSION_COLUMNS", "Episode", "render_tables", "to_csv"]
