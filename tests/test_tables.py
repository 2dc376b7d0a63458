"""The tables rendered one column at a time: exact CSV text of tiny records, and csv.writer's quoting kept."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simiop.billing import bill
from simiop.config import load_config
from simiop.model.calendar import ClinicCalendar
from simiop.model.records import (
    Episode,
    PatientDay,
    PatientDays,
    Records,
    RowColumns,
    SessionRow,
    StaffDay,
    TrackDay,
)
from simiop.results.tables import (
    SESSION_COLUMNS,
    day_number,
    iso_dates,
    render_columns,
    render_sessions,
    render_tables,
    session_columns,
)
from tests.conftest import BASELINE

CONFIG = load_config(BASELINE, ["simulation.horizon_days=35"])  # opens Monday 2027-01-04


def tiny() -> Records:
    """A completed episode with two billed days, a censored readmission, and odd values in the day tables."""
    records = Records(seed=1, replication=3, horizon_days=35.0)
    records.episodes = [
        Episode(
            episode_id=0,
            patient_id=0,
            source="gp, north",  # a comma: csv.writer quotes it
            source_kind="community",
            track_preference="day",
            payer="medicaid",
            acuity="standard",
            referred_day=1.25,
            intake_bookings=1,
            assessed_day=3.375,
            intake_outcome="admit",
            track="day",
            wait_list_day=3.375,
            admitted_day=7.5,
            ended_day=20.75,
            end_state="completed",
            therapist="therapist-1",
            group=0,
            programme_days=8,
            programme_days_attended=8,
            group_sessions_attended=24,
            individual_sessions=2,
            prescriber_visits=1,
            service_hours=22.5,
        ),
        Episode(
            episode_id=1,
            patient_id=0,
            source="readmission",
            source_kind="community",
            track_preference="either",
            payer="self_pay",
            acuity="standard",
            referred_day=math.nextafter(31.0, 0.0),  # truncated, never rounded up to the next day
            readmission_of=0,
            end_state="censored_waiting_for_intake",
        ),
    ]
    records.patient_days = PatientDays.of(
        PatientDay(0, day, 1, 3, 2.5, groups=3, programme_hours=3.0) for day in (7, 8)
    )
    records.track_days = [
        TrackDay(
            7,
            "day",
            census=1,
            admissions=1,
            attended=1,
            groups_scheduled=1,
            groups_run=1,
            group_attendances=3,
            largest_group=1,
            facilitation_hours=3.0,
            individual_hours=50 / 60,
        ),
        TrackDay(8, "day", census=1, attended=1, facilitation_hours=0),  # an int in a float field: "0"
    ]
    records.staff_days = RowColumns.of(
        StaffDay,
        [
            StaffDay(
                7,
                "therapist",
                employed=1,
                present=1,
                employed_fte=1.0,
                group_hours=3.0,
                caseload=1,
                cover_hours=4.0,
                cover_cost_usd=180.0,
            ),
            StaffDay(8, 'lead, "senior"', employed=2, employed_fte=1.5, family_hours=-0.0),
        ],
    )
    return records


def rendered() -> dict[str, str]:
    run = bill(CONFIG, tiny())
    return render_tables(run, ClinicCalendar.for_config(CONFIG), {"referrals": 2.0, "revenue_usd": 400.0})


def test_episodes_csv_of_tiny_records() -> None:
    header, completed, censored = rendered()["episodes.csv"].splitlines()
    assert header.startswith("episode_id,patient_id,source,source_kind,")
    assert completed == (
        '0,0,"gp, north",community,day,medicaid,standard,,1.2500,2027-01-05,1,3.3750,admit,day,3.3750,'
        "7.5000,2027-01-11,20.7500,completed,0,therapist-1,0,8,8,24,2,1,0,22.5000,0,0,0,0,0,0,2,400.00,400.00,"
        "2.1250,4.1250,13.2500"
    )
    assert censored == (
        "1,0,readmission,community,either,self_pay,standard,0,30.9999,2027-02-03,0,,,,,,,,"
        "censored_waiting_for_intake,1,,,0,0,0,0,0,0,0.0000,0,0,0,0,0,0,0,0.00,0.00,,,"
    )


def test_daily_csv_of_tiny_records() -> None:
    assert rendered()["daily.csv"] == (
        "date,day,track,census,wait_list,admissions,discharges,attended,absent,groups_scheduled,groups_run,"
        "group_attendances,groups_merged,cancelled_too_few,cancelled_no_facilitator,cancelled_no_room,"
        "largest_group,facilitation_hours,individual_hours,prescriber_hours,family_hours,groups_covered\n"
        "2027-01-11,7,day,1,0,1,0,1,0,1,1,3,0,0,0,0,1,3.0000,0.8333,0.0000,0.0000,0\n"
        "2027-01-12,8,day,1,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0.0000,0.0000,0.0000,0\n"
    )


def test_staff_csv_quotes_text_and_keeps_the_sign_of_zero() -> None:
    assert rendered()["staff.csv"] == (
        "date,day,role,employed,present,employed_fte,group_hours,individual_hours,prescriber_hours,"
        "family_hours,intake_hours,caseload,cover_hours,cover_cost_usd\n"
        "2027-01-11,7,therapist,1,1,1.0000,3.0000,0.0000,0.0000,0.0000,0.0000,1,4.0000,180.0000\n"
        '2027-01-12,8,"lead, ""senior""",2,0,1.5000,0.0000,0.0000,0.0000,-0.0000,0.0000,0,0.0000,0.0000\n'
    )


def test_kpis_csv_and_only_the_tables_asked_for() -> None:
    run = bill(CONFIG, tiny())
    tables = render_tables(run, ClinicCalendar.for_config(CONFIG), {"referrals": 2.0}, ("daily",))
    assert sorted(tables) == ["daily.csv", "kpis.csv"]
    assert tables["kpis.csv"] == "replication,kpi,value\n3,referrals,2\n"


def test_no_rows_give_what_csv_writer_gave() -> None:
    records = Records(seed=0, replication=0, horizon_days=35.0)
    tables = render_tables(bill(CONFIG, records), ClinicCalendar.for_config(CONFIG), {})
    assert tables["daily.csv"] == tables["staff.csv"] == "\n"  # csv.writer's empty header row
    assert tables["episodes.csv"].count("\n") == 1


def writer_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        (["a", "b"], [["x", ""], ["", "y"]]),
        (["a, b", 'say "hi"'], [["line\nbreak", "carriage\rreturn"], ['"', ","]]),
        (["only"], [[""], ["x"]]),  # a row that is one empty field is written as ""
        (["a", "b", "c"], []),
    ],
)
def test_render_columns_writes_csv_writers_bytes(header: list[str], rows: list[list[str]]) -> None:
    from simiop.results.tables import csv_field

    columns = [[csv_field(row[index]) for row in rows] for index in range(len(header))]
    assert render_columns(header, columns) == writer_text(header, rows)


def test_day_columns_print_as_day_number() -> None:
    from simiop.results.tables import day_numbers

    values: list[float | None] = [
        0.0,
        1.25,
        math.nextafter(60.0, 0.0),
        508.99997,
        7 + 10 / 24,
        None,
        1094.99995,
    ]
    assert day_numbers(values) == [day_number(value) for value in values]
    assert day_numbers(values)[2:4] == ["59.9999", "508.9999"]


@given(
    st.lists(
        st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e7, allow_nan=False), st.integers(0, 10**6)),
        max_size=40,
    )
)
def test_day_numbers_laid_out_by_numpy_equal_day_number_one_by_one(values: list[float | None]) -> None:
    """Digits of every width (0, 9, 10, 99999...), a day's last instant, missing values, none at all."""
    from simiop.results.tables import day_numbers

    assert day_numbers(values) == [day_number(value) for value in values]


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, min_value=-1e12, max_value=1e12),
            st.just(math.nan),
            st.integers(0, 10**7).map(lambda k: k / 10**4 + 0.00005),  # a half at the fifth place
            st.integers(0, 10**7).map(lambda k: k / 100 + 0.005),
        ),
        max_size=40,
    ),
    st.sampled_from([2, 4]),
)
def test_fixed_texts_equal_pythons_format_value_by_value(values: list[float], places: int) -> None:
    """Halves, -0.0, negatives, huge values and nan: the cases numpy's rounding hands to Python."""
    import numpy as np

    from simiop.results.tables import fixed_texts

    expected = ["" if math.isnan(value) else f"{value:.{places}f}" for value in values]
    assert fixed_texts(np.array(values, dtype=float), places) == expected


def test_fixed_texts_of_ties_and_signs() -> None:
    import numpy as np

    from simiop.results.tables import fixed_texts

    values = np.array([0.00005, 0.00015, 1.00005, 2.5, -0.0, -1.25, math.nan, 0.0])
    assert fixed_texts(values, 4) == [f"{v:.4f}" if v == v else "" for v in values.tolist()]
    assert fixed_texts(values, 4)[4:6] == ["-0.0000", "-1.2500"]


def test_day_numbers_of_whole_parts_of_every_width_and_a_negative_one() -> None:
    from simiop.results.tables import day_numbers

    values = [0.0, 9.99999, 10.0, 100.5, 1000.0001, 99999.9999, 0.0]
    assert day_numbers(values) == [
        "0.0000",
        "9.9999",
        "10.0000",
        "100.5000",
        "1000.0000",
        "99999.9998",
        "0.0000",
    ]
    assert day_numbers([-1.5, 2.0]) == ["-2.5000", "2.0000"]  # not a run's day: Python formats it


@pytest.mark.parametrize("opening", ["2027-01-04", "2024-02-28", "1999-12-30"])
def test_iso_dates_are_the_calendars_dates(opening: str) -> None:
    import datetime as dt

    from simiop.results.tables import iso_dates

    calendar = ClinicCalendar(dt.date.fromisoformat(opening), (), 800)
    assert iso_dates(calendar) == [calendar.date_of(day).isoformat() for day in range(calendar.days + 1)]


def test_an_int_column_looked_up_from_its_array_prints_as_str_of_each_value() -> None:
    import numpy as np

    from simiop.results.tables import _from_ints, _plain

    def array_of(values: list[int]) -> Callable[[], np.ndarray]:
        return lambda: np.array(values)

    values = [0, 7, 7, 12, 4095, 70000, 3]  # one value beyond the table: formatted one by one
    assert _plain(values, array_of(values)) == [str(v) for v in values]
    small = [0, 1, 2, 2000, 1]
    assert _plain(small, array_of(small)) == ["0", "1", "2", "2000", "1"]
    assert _plain([-3, 2], array_of([-3, 2])) == ["-3", "2"]
    assert _plain([], array_of([])) == []

    def never() -> np.ndarray:
        raise AssertionError("an array asked for a column that is not all ints")

    assert _plain([True, 2], never) == ["True", "2"]
    assert _plain([1.5, 2], never) == ["1.5", "2"]
    assert _plain([None, 2], never) == ["", "2"]
    assert _from_ints(np.array([0, 5, 5, 1], dtype=np.int64)) == ["0", "5", "5", "1"]
    assert _from_ints(np.array([], dtype=np.int64)) == []


@given(
    st.lists(
        st.one_of(
            st.sampled_from([0.0, 0.5, 1 / 3, 2.25, math.inf, math.nan, -0.0]), st.floats(), st.integers(0, 3)
        ),
        max_size=40,
    )
)
def test_recorded_floats_looked_up_print_as_one_by_one(values: list[float]) -> None:
    """Repeats, nan, inf, -0.0 and an int among floats (printed as the int): as the rows printed them."""
    import numpy as np

    from simiop.results.tables import _recorded_floats

    expected = [f"{value:.4f}" if type(value) is float else str(value) for value in values]
    assert _recorded_floats(values, np.array(values, dtype=float)) == expected


def test_recorded_floats_with_many_repeats_and_a_nan() -> None:
    import numpy as np

    from simiop.results.tables import _recorded_floats

    values = [0.75, 0.0, 0.75, math.nan, 0.0, 0.75, 1 / 3, 0.0] * 5
    expected = [f"{value:.4f}" for value in values]
    assert _recorded_floats(values, np.array(values)) == expected
    assert expected[:4] == ["0.7500", "0.0000", "0.7500", "nan"]


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from([0.0, 12.5, 1 / 3, 99.995, -0.0]), st.integers(0, 9)),
        max_size=40,
    ),
    st.sampled_from([2, 4]),
)
def test_float_columns_looked_up_print_as_one_by_one(values: list[float | None], places: int) -> None:
    """None as empty, an int as its float, -0.0 with its sign, repeats: as each value printed alone."""
    import numpy as np

    from simiop.results.tables import _floats

    array = np.array([math.nan if value is None else value for value in values], dtype=float)
    expected = ["" if value is None else f"{value:.{places}f}" for value in values]
    assert _floats(values, array, places) == expected


def test_sessions_csv_prints_clock_times_minutes_and_joined_ids() -> None:
    records = tiny()
    nan = float("nan")
    records.sessions = RowColumns.of(
        SessionRow,
        [
            SessionRow(7, "intake", "", -1, -1, "intake_slot", 540.0, 630.0, ("intake_clinician_1",), 0,
                       "office:intake_clinician_1", (1,), "no_show", ""),
            SessionRow(7, "group", "day", 0, 2, "programme", 660.0, 710.0, ("therapist_1", "therapist_2"), 0,
                       "group_room_1", (0, 4), "held", ""),
            SessionRow(7, "individual", "day", -1, 0, "pull_out", 540.0, 590.5, ("therapist_1",), 0,
                       "office:therapist_1", (5,), "held", ""),
            SessionRow(8, "family", "evening", -1, -1, "", nan, nan, (), 0, "", (4,), "missed",
                       "no_staff_on_shift"),
        ],
    )  # fmt: skip
    text = render_tables(bill(CONFIG, records), ClinicCalendar.for_config(CONFIG), {}, ("sessions",))
    assert text["sessions.csv"].splitlines() == [
        "date,day,kind,track,group,session,placement,start_time,end_time,start_minute,end_minute,staff,cover,"
        "room,patients,outcome,reason",
        "2027-01-11,7,intake,,,,intake_slot,09:00,10:30,540.0000,630.0000,intake_clinician_1,0,"
        "office:intake_clinician_1,1,no_show,",
        "2027-01-11,7,group,day,0,2,programme,11:00,11:50,660.0000,710.0000,therapist_1;therapist_2,0,"
        "group_room_1,0;4,held,",
        "2027-01-11,7,individual,day,,0,pull_out,09:00,09:50:30,540.0000,590.5000,therapist_1,0,"
        "office:therapist_1,5,held,",
        "2027-01-12,8,family,evening,,,,,,,,,0,,4,missed,no_staff_on_shift",
    ]
    assert "sessions.csv" not in render_tables(
        bill(CONFIG, records), ClinicCalendar.for_config(CONFIG), {}, ()
    )


def test_sessions_csv_fused_rendering_is_the_column_rendering() -> None:
    """render_sessions formats runs of fields once per distinct key: the same bytes as field by field,
    with repeated keys, a missed row (nan times), a field that needs quoting and an empty patient list."""
    records = tiny()
    nan = float("nan")
    rows = [
        SessionRow(7, "group", "day", 0, k, "programme", 540.0 + 60 * k, 590.0 + 60 * k, ("therapist_1",), 1,
                   'room "a", east', patients, "held", "")
        for k, patients in enumerate([(0, 4), (0, 4), (4,)])
    ] + [
        SessionRow(7, "family", "day", -1, -1, "", nan, nan, (), 0, "", (4,), "missed", "no_staff_time"),
        SessionRow(8, "family", "day", -1, -1, "", nan, nan, (), 0, "", (4,), "missed", "no_staff_time"),
        SessionRow(8, "group", "day", 1, 0, "programme", 540.0, 590.0, (), 0, "", (), "cancelled", "too_few"),
    ]  # fmt: skip
    records.sessions = RowColumns.of(SessionRow, rows)
    run = bill(CONFIG, records)
    dates = iso_dates(ClinicCalendar.for_config(CONFIG))
    fused = render_sessions(run, dates)
    assert fused == render_columns(list(SESSION_COLUMNS), session_columns(run, dates))
    assert len(fused.splitlines()) == 1 + len(rows)
    assert ',"room ""a"", east",0;4,held,' in fused
    records.sessions = RowColumns(SessionRow)
    assert render_sessions(bill(CONFIG, records), dates) == ",".join(SESSION_COLUMNS) + "\n"


@given(
    st.lists(st.lists(st.integers(0, 2000) | st.integers(-3, 10**6), max_size=12), min_size=1, max_size=30)
)
def test_patients_fields_are_each_rows_ids_joined(rows: list[list[int]]) -> None:
    """Each row's ids joined by ';' ('' for none): ids from the table of formatted ids (grown on demand),
    beyond it or negative (laid out by csv_matrix), rows of none among them or all of them."""
    import numpy as np

    from simiop.results.tables import _patients_texts

    sizes = np.array([len(row) for row in rows], dtype=np.intp)
    ids = np.array([value for row in rows for value in row], dtype=np.int64)
    assert _patients_texts(sizes, ids) == [";".join(map(str, row)) for row in rows]


def test_patients_fields_from_a_grown_table_of_ids() -> None:
    """Ids past the table's current size grow it; a smaller run's ids are then read from the larger table."""
    import numpy as np

    from simiop.results.tables import _patients_texts

    big = np.arange(3000, dtype=np.int64)
    assert _patients_texts(np.array([1000, 0, 2000]), big) == [
        ";".join(map(str, range(1000))),
        "",
        ";".join(map(str, range(1000, 3000))),
    ]
    assert _patients_texts(np.array([0, 2, 1]), np.array([7, 0, 2999])) == ["", "7;0", "2999"]
