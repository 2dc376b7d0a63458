"""The results side's shorter ways (issue 17, branch i17-cols33) against the plain ways they replace.

Each fast path is checked on random inputs against a reference written the obvious way: the sessions
record's order and patients (``SessionLog.records``), services per patient-day by a radix sort
(``services_per_patient_day``, ``pairs_order``), the columns of a table not printed read straight into
arrays (``columns_of``), and the payers of billable days (``totals``).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simiop.billing import totals
from simiop.model.records import Episode, PatientDays, Records, TrackDay, small_ints
from simiop.model.session_table import KEY_FIELDS, NO_TIME, SessionTable
from simiop.model.sessions import KIND_ORDER, REMOVED, SessionLog
from simiop.results.columns import columns_of
from simiop.results.grouping import pairs_order
from simiop.results.session_kpis import services_per_patient_day
from tests.billed import billed_records
from tests.test_money import CONFIG, episode, group_day

_START = KEY_FIELDS.index("start_minute")
_KIND = KEY_FIELDS.index("kind")
_KINDS = ("group", "individual", "family", "intake")


def _key(kind: str, start: float, outcome: str = "held") -> tuple[object, ...]:
    end = start + 50.0 if start == start else NO_TIME
    return (kind, "day", -1, -1, "after", start, end, ("therapist_1",), 0, "", outcome, "")


_rows = st.lists(
    st.tuples(
        st.integers(0, 2),  # days forward from the row before (0: the same day)
        st.sampled_from(_KINDS),
        st.sampled_from([500.0, 540.0, 600.0, NO_TIME]),
        st.lists(st.integers(0, 40), max_size=5),
        st.booleans(),  # take the row's first patient out (a pull-out), if it has one
    ),
    max_size=40,
)


@given(_rows)
@settings(max_examples=150)
def test_session_log_records_orders_each_day_by_start_then_kind_and_keeps_each_rows_patients(
    rows: list[tuple[int, str, float, list[int], bool]],
) -> None:
    """Against the plain way: each run of rows of one day sorted stably by (start, no time last; kind
    order), each row with the patients it was written with, less those taken out."""
    log = SessionLog()
    day = 0
    written: list[tuple[int, tuple[object, ...], list[int]]] = []
    for forward, kind, start, patients, take_out in rows:
        day += forward
        key = _key(kind, start)
        at = len(log.ids)
        log.add(day, key, patients)
        kept = list(patients)
        if take_out and patients:
            log.ids[at] = REMOVED
            log.sizes[-1] -= 1
            log.removed += 1
            kept = kept[1:]
        written.append((day, key, kept))
    expected: list[tuple[int, tuple[object, ...], list[int]]] = []
    runs: list[list[tuple[int, tuple[object, ...], list[int]]]] = []
    for row in written:
        if runs and runs[-1][0][0] == row[0]:
            runs[-1].append(row)
        else:
            runs.append([row])
    for run in runs:

        def place(row: tuple[int, tuple[object, ...], list[int]]) -> tuple[float, int]:
            start = row[1][_START]
            assert isinstance(start, float)
            return (math.inf if start != start else start, KIND_ORDER[str(row[1][_KIND])])

        expected.extend(sorted(run, key=place))
    table = log.records()
    assert table.day.tolist() == [row[0] for row in expected]
    assert [table.keys[code] for code in table.key.tolist()] == [row[1] for row in expected]
    assert [list(patients) for patients in table.patients] == [row[2] for row in expected]
    assert table.sizes().tolist() == [len(row[2]) for row in expected]


_pairs = st.lists(
    st.tuples(st.integers(0, 9) | st.integers(65_530, 65_540), st.integers(0, 6)), min_size=1, max_size=80
)


@given(_pairs, st.booleans())
def test_pairs_order_is_the_stable_argsort_of_the_keys(pairs: list[tuple[int, int]], in_order: bool) -> None:
    """The radix path (minor never decreasing, major in 16 bits) and the sorted keys give one order."""
    if in_order:
        pairs = [(major, minor) for (major, _), minor in zip(pairs, sorted(p[1] for p in pairs), strict=True)]
    major = np.array([p[0] for p in pairs], dtype=np.int64)
    minor = np.array([p[1] for p in pairs], dtype=np.int64)
    keys = major * (int(minor.max()) + 1) + minor
    assert np.array_equal(pairs_order(major, minor, keys), np.argsort(keys, kind="stable"))


@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from(_KINDS),
            st.sampled_from(["held", "cancelled", "missed"]),
            st.lists(st.integers(0, 5) | st.integers(70_000, 70_002), max_size=4),
        ),
        max_size=40,
    ),
    st.booleans(),
    st.sampled_from([0.0, 2.0]),
)
def test_services_per_patient_day_counts_each_episode_days_held_services(
    rows: list[tuple[int, str, str, list[int]]], in_day_order: bool, from_day: float
) -> None:
    """Against a Counter of (episode, day) over the held non-intake rows from ``from_day``: the counts in
    (episode, day) order, whether the rows come in day order (the radix path) or not, with ids beyond 16
    bits (the sorted keys)."""
    if in_day_order:
        rows = sorted(rows, key=lambda row: row[0])
    keys: dict[tuple[object, ...], int] = {}
    codes = [keys.setdefault(_key(kind, 540.0, outcome), len(keys)) for _, kind, outcome, _ in rows]
    table = SessionTable([row[0] for row in rows], codes, [tuple(row[3]) for row in rows], list(keys))
    expected = Counter(
        (episode_id, day)
        for day, kind, outcome, patients in rows
        if outcome == "held" and kind != "intake" and day >= from_day
        for episode_id in patients
    )
    found = services_per_patient_day(table, from_day)
    assert found.tolist() == [expected[pair] for pair in sorted(expected)]


def _track_days() -> list[TrackDay]:
    days = [
        TrackDay(day // 2, "day" if day % 2 else "evening", census=day, attended=3 * day) for day in range(9)
    ]
    days[3].facilitation_hours = 2.5
    days[4].individual_hours = 0  # an int in a float field, as a sum over nobody records it
    return days


def _episodes() -> list[Episode]:
    found = [
        Episode(n, 100 + n, "step_down", "step_down", "day", "medicare", "standard", float(n) / 3.0)
        for n in range(6)
    ]
    found[1].readmission_of, found[2].admitted_day, found[2].group = 0, 4.25, 1
    found[3].authorization_denied, found[4].service_hours = True, 7.5
    return found


def test_a_table_not_printed_reads_its_number_fields_straight_into_the_same_arrays() -> None:
    """``columns_of(records, printed)`` with episodes and daily not printed: no list per field, and every
    field, as every dtype, the same array as through the lists (printed, or not known)."""
    records = Records(seed=1, replication=0, horizon_days=9.0, episodes=_episodes(), track_days=_track_days())
    records.patient_days = PatientDays.of([])
    straight = columns_of(records, ())
    listed, unknown = columns_of(records, ("episodes", "daily")), columns_of(records)
    assert (straight.episodes._tabled, straight.track_days._tabled) == (False, False)
    assert (listed.episodes._tabled, unknown.episodes._tabled, unknown.track_days._tabled) == (True,) * 3
    for name in ("episodes", "track_days"):
        plain, quick, via_lists = getattr(unknown, name), getattr(straight, name), getattr(listed, name)
        numbers = [field for field in plain.names if field not in plain.text_names]
        for field in numbers:
            for dtype in ("float", "int", "bool"):
                if dtype != "float" and field in plain._optional:
                    continue  # an optional field is read as floats only (None as nan)
                expected = plain.array(field, dtype)
                for other in (quick, via_lists):
                    found = other.array(field, dtype)
                    assert found.dtype == expected.dtype
                    assert np.array_equal(found, expected, equal_nan=True)
        assert not [field for field in numbers if field in quick._values and field not in quick._optional]
        for field in plain.names:  # no list of a number field was made above; asked for, they are alike
            assert quick.values(field) == plain.values(field)


def test_billable_days_by_payer_names_only_payers_with_a_billable_day() -> None:
    """A payer whose days were all unbilled counts its attended days but has no billable entry."""
    records = Records(seed=0, replication=0, horizon_days=28.0)
    records.episodes = [episode(0, "medicare"), episode(1, "commercial")]
    records.patient_days = PatientDays.of([group_day(0, 0), group_day(1, 0, groups=0)])
    result = totals(CONFIG, billed_records(CONFIG, records).run)
    assert result.attended_days_by_payer == {"commercial": 1, "medicare": 1}
    assert result.billable_days_by_payer == {"medicare": 1}


@given(
    st.lists(
        st.integers(0, 255) | st.integers(-3, 300) | st.booleans() | st.floats(0, 300, allow_nan=False),
        max_size=60,
    ),
    st.sampled_from([np.intp, np.int64, np.float64, np.bool_]),
)
def test_small_ints_are_fromiters_array(values: list[float], dtype: type) -> None:
    """Read as bytes when every value is an int from 0 to 255, else by ``np.fromiter`` (floats, bools and
    ints beyond a byte mixed in): the same array either way, for every dtype Columns.array asks for."""
    found = small_ints(values, np.dtype(dtype))
    expected: np.ndarray = np.fromiter(values, dtype=dtype, count=len(values))
    assert found.dtype == expected.dtype
    assert np.array_equal(found, expected)


@given(st.lists(st.booleans(), max_size=60))
def test_small_ints_of_bools_are_a_bool_array(values: list[bool]) -> None:
    found = small_ints(values, np.bool_)
    assert found.dtype == np.bool_
    assert found.tolist() == values


def test_small_ints_of_an_array_reads_its_values_not_its_memory() -> None:
    """``bytes`` of an int64 array would be its 8 bytes a value: an array, or any sequence but a list or
    a tuple, is read by ``np.fromiter``."""
    values = np.array([1, 2, 300], dtype=np.int64)
    assert small_ints(values, np.int64).tolist() == [1, 2, 300]
    assert small_ints(values[:2], np.intp).tolist() == [1, 2]
    assert small_ints(range(3), np.intp).tolist() == [0, 1, 2]
