"""The output tables of a run (episodes.csv, daily.csv, staff.csv, sessions.csv, kpis.csv), as CSV text.

Rendering is separate from writing so the same bytes can be checksummed,
compared and written atomically. Numbers have fixed formats, so the same
records always give byte-identical files.

Tables are rendered one column at a time from the run's columns
(simiop/results/columns.py): episodes.csv, daily.csv, staff.csv and
bookings.csv lay each column out as a field matrix (simiop/results/csv_matrix.py:
the fields' bytes laid out by numpy, no Python string per field) and the
table as those side by side; sessions.csv is pieces looked up per day, per
distinct row key and per patient id, joined once (``render_sessions``). The
bytes are those ``csv.writer`` wrote row by row before (a text field that
needs quoting is still quoted by ``csv.writer`` itself); tests/test_tables.py
pins them on tiny records, tests/test_csv_matrix.py checks the layouts
against Python's formatting value by value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import cache, lru_cache, partial
from operator import countOf
from typing import Any, cast

import numpy as np

from simiop.billing import BilledRun
from simiop.config.clock import clock_text
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import INTAKE_OUTCOMES, Episode
from simiop.results import csv_matrix as matrix
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


def _text_field(values: Sequence[str | None]) -> np.ndarray:
    """A text column: None and '' as empty fields, other text as ``csv_field`` writes it."""
    code = {value: position for position, value in enumerate(dict.fromkeys(values))}  # a column has a few
    codes = np.fromiter(map(code.__getitem__, values), dtype=np.intp, count=len(values))
    return _coded_text_field(list(code), codes)


def _coded_text_field(distinct: Sequence[str | None], codes: np.ndarray) -> np.ndarray:
    """``_text_field`` of a column given as its distinct values and each row's position among them
    (``Columns.factorized``): each distinct text formatted once, the rows looked up by numpy."""
    return matrix.looked_up(matrix.table([csv_field(value) if value else "" for value in distinct]), codes)


def _recorded_text_field(rows: Columns, name: str) -> np.ndarray:
    """A field annotated ``str`` as ``_plain_field`` prints it, read from the rows' factorization (shared
    with ``Columns.codes``), with the types checked on its few distinct values rather than on every row.

    Every row equals one of the distinct values, and nothing but text equals text, so if those are all
    text or None so is every row, and ``_plain_field``'s text branch is ``_coded_text_field``; else the
    column goes to ``_plain_field`` as it is.
    """
    distinct, codes = rows.factorized(name)
    if all(value is None or isinstance(value, str) for value in distinct):
        return _coded_text_field(distinct, codes)
    return _plain_field(rows.values(name), partial(rows.array, name, "int"))


def _text(values: Sequence[str | None]) -> list[str]:
    """A text column: None and '' as empty fields."""
    return matrix.texts(_text_field(values))


_INT_TEXTS_UP_TO = 1 << 16
"""Ids below this are looked up in ``_id_texts``'s tables; larger ones are formatted one by one."""


def _from_ints(array: np.ndarray) -> list[str]:
    """A column of an int array (made by numpy, so every value is an int) as csv.writer writes it."""
    return matrix.texts(matrix.ints(array))


def _ints_of(values: Sequence[int], int_array: Callable[[], np.ndarray] | None) -> np.ndarray | None:
    """The ints ``values`` as an int64 array (``int_array``'s if it is one), None if one does not fit."""
    array = int_array() if int_array is not None and values else None
    if array is not None and array.dtype.kind == "i" and array.size == len(values):
        return array
    try:
        return np.fromiter(values, dtype=np.int64, count=len(values))
    except OverflowError:
        return None


def _plain_field(
    values: Sequence[object],
    int_array: Callable[[], np.ndarray] | None = None,
    float_array: Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """A column written as csv.writer writes objects: str(value), None as empty, text quoted if needed.

    ``int_array``: gives the same values as an int array (asked only when
    every value is an int; a bool is not one), so the digits are laid out
    from it by numpy rather than made from the values one by one;
    ``float_array``: the same values as floats with None as nan (asked only
    when every value is an int or None), likewise.
    """
    # Most columns are all ints: counting them is cheaper than building the set of types.
    kinds = {int} if countOf(map(type, values), int) == len(values) else set(map(type, values))
    if kinds <= {int}:
        array = _ints_of(cast(Sequence[int], values), int_array)
        if array is not None:
            return matrix.ints(array)
    elif kinds <= {int, type(None)}:  # an optional id: None as empty, laid out as 0 and emptied
        floats = (
            float_array()
            if float_array is not None
            else np.array([math.nan if value is None else value for value in values], dtype=float)
        )
        missing = np.isnan(floats)
        known = np.where(missing, 0.0, floats)
        if floats.size == len(values) and not (np.abs(known) >= _EXACT_INTS).any():
            return matrix.emptied(matrix.ints(known.astype(np.int64)), missing)
    elif kinds <= {str, type(None)}:
        return _text_field(cast(Sequence[str | None], values))
    return matrix.table(["" if v is None else csv_field(v) if isinstance(v, str) else str(v) for v in values])


_EXACT_INTS = 2.0**53
"""Ints below this in size are exact as floats (an optional id read as a float array, None as nan)."""


def _plain(values: Sequence[object], int_array: Callable[[], np.ndarray] | None = None) -> list[str]:
    """``_plain_field``'s column as one string per value."""
    return matrix.texts(_plain_field(values, int_array))


def _each_distinct(values: Sequence[Any], formatted: Callable[[Any], str]) -> list[str]:
    """``formatted`` of every value, worked out once per distinct value (columns repeat a few values).

    Values are told apart by equality, so callers pass only values whose equal ones print alike.
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


def _floats_field(values: Sequence[float | None], array: np.ndarray, places: int = 4) -> np.ndarray:
    """A float column with ``places`` decimals, None as empty (an int prints as its float would).

    ``array`` is the same values as floats (None as nan).
    """
    empty = (
        np.fromiter((value is None for value in values), dtype=bool, count=len(values))
        if None in values
        else None
    )
    return matrix.fixed(array, places, empty)


def _floats(values: Sequence[float | None], array: np.ndarray, places: int = 4) -> list[str]:
    """``_floats_field``'s column as one string per value."""
    return matrix.texts(_floats_field(values, array, places))


def _recorded_floats_field(values: Sequence[float], array: np.ndarray) -> np.ndarray:
    """A field annotated float: a float with 4 decimals; an int (a sum over nobody is 0) as it was."""
    if array.size == len(values) and countOf(map(type, values), float) == len(values):  # all floats
        return matrix.fixed(array, 4)
    return matrix.table([f"{value:.4f}" if type(value) is float else str(value) for value in values])


def _recorded_floats(values: Sequence[float], array: np.ndarray) -> list[str]:
    """``_recorded_floats_field``'s column as one string per value."""
    return matrix.texts(_recorded_floats_field(values, array))


def _day_numbers_field(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    """Times in days since opening as ``day_number`` prints them (None or nan as empty), all at once."""
    array = np.asarray(values, dtype=float)
    missing = np.isnan(array)
    known = np.where(missing, 0.0, array)
    whole = np.floor(known)
    fraction = np.minimum(np.floor((known - whole) * _DAY_SCALE), _DAY_SCALE - 1)  # as day_number works
    field = matrix.whole_dot_fraction(whole.astype(np.int64), fraction.astype(np.int64), DAY_PLACES)
    return matrix.emptied(field, missing) if missing.any() else field


def day_numbers(values: Sequence[float | None] | np.ndarray) -> list[str]:
    """``_day_numbers_field``'s column as one string per value."""
    return matrix.texts(_day_numbers_field(values))


def fixed_texts(values: np.ndarray, places: int) -> list[str]:
    """Each value as ``f"{value:.<places>f}"`` prints it, '' for nan (``csv_matrix.fixed``)."""
    return matrix.texts(matrix.fixed(values, places, np.isnan(values)))


def _dates_field(values: Sequence[float | None] | np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The calendar date of each time (the date of its whole day), '' for None; ``dates`` is the
    matrix of every day's date and an empty field after them (``_date_table``)."""
    array = np.asarray(values, dtype=float)
    days = np.where(np.isnan(array), dates.shape[0] - 1, array).astype(np.int64)  # days are >= 0
    return matrix.looked_up(dates, days)


def _dates(values: Sequence[float | None] | np.ndarray, dates: Sequence[str]) -> list[str]:
    """The calendar date of each time (the date of its whole day), '' for None."""
    return matrix.texts(_dates_field(values, matrix.table([*dates, ""])))


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


def render_fields(header: Sequence[str], fields: Sequence[np.ndarray]) -> str:
    """``render_columns`` of columns given as field matrices (simiop/results/csv_matrix.py)."""
    if len(fields) < 2:  # no header, or one column (where an empty field is quoted): the plain way
        return render_columns(header, [matrix.texts(field) for field in fields])
    return matrix.render(",".join(map(csv_field, header)) + "\n", fields)


def _differences(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """later - earlier per row with 4 decimals, empty where either is missing (nan), all at once;
    a -0.0 prints with its sign, as ever."""
    difference = later - earlier
    return matrix.fixed(difference, 4, np.isnan(difference))


def episode_fields(run: BilledRun, dates: np.ndarray) -> list[np.ndarray]:
    """The columns of episodes.csv (EPISODE_COLUMNS) as field matrices (``dates``: ``_date_table``)."""
    episodes = run.columns.episodes
    censored = run.columns.censored()
    referred, assessed = episodes.array("referred_day"), episodes.array("assessed_day")
    admitted, ended = episodes.array("admitted_day"), episodes.array("ended_day")
    ended_shown = np.where(censored, np.nan, ended)
    values = episodes.values
    bills = run.episodes

    def counted(name: str) -> np.ndarray:
        return _plain_field(values(name), partial(episodes.array, name, "int"))

    def optional(name: str) -> np.ndarray:
        return _plain_field(values(name), float_array=partial(episodes.array, name))

    def text(name: str) -> np.ndarray:
        return _coded_text_field(*episodes.factorized(name))

    by_name: dict[str, np.ndarray] = {
        "episode_id": counted("episode_id"),
        "patient_id": counted("patient_id"),
        "source": text("source"),
        "source_kind": text("source_kind"),
        "track_preference": text("track_preference"),
        "payer": text("payer"),
        "acuity": text("acuity"),
        "readmission_of": optional("readmission_of"),
        "referred_day": _day_numbers_field(referred),
        "referred_date": _dates_field(referred, dates),
        "intake_bookings": counted("intake_bookings"),
        "assessed_day": _day_numbers_field(assessed),
        "intake_outcome": text("intake_outcome"),
        "track": text("track"),
        "wait_list_day": _day_numbers_field(episodes.array("wait_list_day")),
        "admitted_day": _day_numbers_field(admitted),
        "admitted_date": _dates_field(admitted, dates),
        "ended_day": _day_numbers_field(ended_shown),
        "end_state": text("end_state"),
        "censored": matrix.ints(censored.astype(np.int64)),
        "therapist": text("therapist"),
        "group": optional("group"),
        "programme_days": counted("programme_days"),
        "programme_days_attended": counted("programme_days_attended"),
        "group_sessions_attended": counted("group_sessions_attended"),
        "individual_sessions": counted("individual_sessions"),
        "prescriber_visits": counted("prescriber_visits"),
        "family_sessions": counted("family_sessions"),
        "service_hours": _floats_field(values("service_hours"), episodes.array("service_hours")),
        "authorization_reviews": counted("authorization_reviews"),
        "authorization_denied": matrix.ints(episodes.array("authorization_denied", "int")),
        "recertifications": counted("recertifications"),
        "recertification_stopped": matrix.ints(episodes.array("recertification_stopped", "int")),
        "max_stay_discharge": matrix.ints(episodes.array("max_stay_discharge", "int")),
        "warm_handoff": matrix.ints(episodes.array("warm_handoff", "int")),
        "billable_days": matrix.ints(bills.billable_days),
        "charges_usd": matrix.fixed(bills.charges_usd, 2),
        "revenue_usd": matrix.fixed(bills.revenue_usd, 2),
        "wait_referral_to_assessment_days": _differences(assessed, referred),
        "wait_assessment_to_admission_days": _differences(admitted, assessed),
        "length_of_stay_days": _differences(ended_shown, admitted),
    }
    return [by_name[name] for name in EPISODE_COLUMNS]


def record_fields(rows: Columns, dates: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    """Header and columns (field matrices) of records whose first field is the day: the date, then
    every field (``dates``: ``_date_table``).

    Fields annotated float get 4 decimals (a float field holding an int, as
    a sum over nobody does, is written as the int, as it always was); text
    fields are read by their factorization (``_recorded_text_field``).
    """
    if not rows.size:
        return [], []
    formatted = [_dates_field(rows.array(rows.names[0]), dates)]
    for name in rows.names:
        if name in rows.float_names:
            formatted.append(_recorded_floats_field(rows.values(name), rows.array(name)))
        elif name in rows.text_names:
            formatted.append(_recorded_text_field(rows, name))
        else:
            formatted.append(_plain_field(rows.values(name), partial(rows.array, name, "int")))
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
    a run has a hundred or two) and the patients. So a row is four pieces: its
    day's text (date, day), its key's text up to the patients (kind to room),
    its patients field, and its key's text after them (outcome, reason and
    the line break). Each day and each key is formatted once; the patients
    fields of all rows are laid out at once as bytes (``_patients_texts``);
    numpy puts every row's pieces in file order for one join.
    """
    table = run.columns.sessions
    if not table.size:
        return render_columns(list(SESSION_COLUMNS), session_columns(run, dates))
    heads = np.empty(len(table.keys), dtype=object)
    heads[:] = list(map(_head_text, table.keys))
    tails = np.empty(len(table.keys), dtype=object)
    tails[:] = list(map(_tail_text, table.keys))
    _, ids = table.patient_ids()
    pieces = np.empty(1 + 4 * table.size, dtype=object)
    pieces[0] = ",".join(map(csv_field, SESSION_COLUMNS)) + "\n"  # the header joined with the rows, not
    by_row = pieces[1:].reshape(table.size, 4)  # added to their 2 MB of text (a copy) after the join
    by_row[:, 0] = _day_texts(tuple(dates))[table.day]
    by_row[:, 1] = heads[table.key]
    by_row[:, 2] = _patients_texts(table.sizes(), ids)
    by_row[:, 3] = tails[table.key]
    return "".join(pieces.tolist())


@lru_cache(maxsize=4096)
def _head_text(key: tuple[Any, ...]) -> str:
    """A session key's fields kind to room and the comma before the patients (made once per key: a
    run's cells share their keys)."""
    return f"{_when_text(key[:7])},{_who_text(key[7:10])},"


@lru_cache(maxsize=4096)
def _tail_text(key: tuple[Any, ...]) -> str:
    """A session key's fields after the patients (outcome, reason) and the line break."""
    return f",{_plain_text(key[10])},{_plain_text(key[11])}\n"


@lru_cache(maxsize=8)
def _day_texts(dates: tuple[str, ...]) -> np.ndarray:
    """Every day's "date,day," (an object array by day), made once per calendar."""
    texts = np.empty(len(dates), dtype=object)
    texts[:] = [f"{date},{day}," for day, date in enumerate(dates)]
    texts.flags.writeable = False
    return texts


_SEMICOLON = ord(";")
_LINE_BREAK = ord("\n")


def _patients_texts(sizes: np.ndarray, ids: np.ndarray) -> list[str]:
    """Each row's patients field: its ids (``str`` of each) joined by ';', '' for a row of none.

    ``sizes``: each row's number of ids; ``ids``: every row's ids flat, in row
    order. Why not a piece per id (as this was): a 3-year run's 58,000-odd ids
    were as many strings to look up, place and join beside 21,000 rows. Here
    every id is one row of a field matrix (its digits and ';', looked up in a
    table of the ids' texts made once per process), a row's last id ends in a
    line break rather than ';' (a row of none is one blank entry holding just
    the line break), and the matrix, its padding dropped, is decoded once and
    split at the line breaks: one string per row.
    """
    entries = np.maximum(sizes, 1)
    ends = np.cumsum(entries) - 1
    blank = sizes == 0
    if blank.any():  # a row without patients: one entry of no digits
        known = np.ones(int(entries.sum()), dtype=bool)
        known[ends[blank]] = False
        laid_out = np.full(known.size, -1, dtype=np.int64)
        laid_out[known] = ids
    else:
        known, laid_out = None, ids
    field = _id_rows(laid_out, known)
    field[ends, -1] = _LINE_BREAK
    texts = matrix.decoded(field).split("\n")
    texts.pop()  # the empty text after the last line break
    return texts


_id_tables: list[np.ndarray] = []


def _id_rows(ids: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    """A field matrix of one row per id: ``str(id)`` and ';' (empty where ``known`` is False).

    Ids from 0 to ``_INT_TEXTS_UP_TO`` are looked up in a table of those rows
    made once (grown on demand; its last row is a blank entry, ';' alone),
    others are laid out by ``csv_matrix.ints``.
    """
    present = ids if known is None else ids[known]
    low = int(present.min()) if present.size else 0
    high = int(present.max()) if present.size else 0
    if low < 0 or high >= _INT_TEXTS_UP_TO:
        digits = matrix.ints(present)
        field = np.full((ids.size, digits.shape[1] + 1), matrix.PAD, dtype=np.uint8)
        field[:, -1] = _SEMICOLON
        field[slice(None) if known is None else known, :-1] = digits
        return field
    if not _id_tables or high >= _id_tables[0].shape[0] - 1:
        known_size = _id_tables[0].shape[0] - 1 if _id_tables else 512
        size = min(_INT_TEXTS_UP_TO, max(2 * known_size, high + 1))
        every = np.arange(size + 1, dtype=np.int64)
        digits = matrix.emptied(matrix.ints(every), every == size)  # the last row: a blank entry
        rows = np.concatenate((digits, np.full((size + 1, 1), _SEMICOLON, dtype=np.uint8)), axis=1)
        rows.flags.writeable = False
        _id_tables[:] = [rows]
    rows = _id_tables[0]
    blank_row = rows.shape[0] - 1
    found: np.ndarray = np.take(rows, ids if known is None else np.where(known, ids, blank_row), axis=0)
    return found


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
    waited = slot - booked
    columns = [
        matrix.ints(bookings.array("episode_id", "int")),
        _day_numbers_field(booked),
        _day_numbers_field(slot),
        matrix.fixed(waited, 4, np.isnan(waited)),
        matrix.ints(bookings.array("showed", "int")),
    ]
    return render_fields(list(BOOKING_COLUMNS), columns)


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


@lru_cache(maxsize=8)
def _date_table(opening: dt.date, days: int) -> np.ndarray:
    """``_iso_dates`` and an empty field after them as a field matrix (``_dates_field``), made once."""
    found = matrix.table([*_iso_dates(opening, days), ""])
    found.flags.writeable = False
    return found


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
    date_table = _date_table(calendar.opening, calendar.days)
    if "episodes" in tables:
        rendered["episodes.csv"] = render_fields(list(EPISODE_COLUMNS), episode_fields(run, date_table))
    if "daily" in tables:
        rendered["daily.csv"] = render_fields(*record_fields(run.columns.track_days, date_table))
    if "staff" in tables:
        rendered["staff.csv"] = render_fields(*record_fields(run.columns.staff_days, date_table))
    if "sessions" in tables:
        rendered["sessions.csv"] = render_sessions(run, iso_dates(calendar))
    if "bookings" in tables:
        rendered["bookings.csv"] = render_bookings(run)
    rendered["kpis.csv"] = to_csv(
        ["replication", "kpi", "value"],
        ([run.columns.replication, name, f"{value:.10g}"] for name, value in kpis.items()),
    )
    return rendered


__all__ = ["BOOKING_COLUMNS", "EPISODE_COLUMNS", "SESSION_COLUMNS", "Episode", "render_tables", "to_csv"]
