"""Extracts and bookings files as a clinic's spreadsheet may really give them: no header row, another
separator, a patient id in the wrong column, a no-start with attended days. Each is one line naming the
row and column, and no line shows a patient identifier (docs/calibrate.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from simiop.calibrate.bookings import attach
from simiop.calibrate.bootstrap import bootstrap
from simiop.calibrate.extract import NAMES, SLASHED, ExtractError, label_readmissions, parse_rows
from simiop.calibrate.outputs import FILES, OPTIONAL_FILES
from simiop.calibrate.pipeline import UnknownNamesError, calibrate, check_names
from simiop.calibrate.record import CalibrateError, claim
from simiop.calibrate.referrals import fit_referrals
from simiop.config import load_config
from tests.conftest import BASELINE

IDS = ("ZQ81", "ZQ82")


def _row(**cells: str) -> list[str]:
    values = {"patient_id": IDS[0], "referral_date": "2027-02-01", "referral_source": "step_down"} | cells
    return [values.get(name, "") for name in NAMES]


def _lines(rows: list[list[str]]) -> list[str]:
    with pytest.raises(ExtractError) as caught:
        parse_rows("x.csv", rows)
    return caught.value.lines


def _no_id(lines: list[str]) -> None:
    assert not [line for line in lines if any(patient in line for patient in IDS)]


def test_a_file_without_a_header_row_is_one_line_without_its_cells() -> None:
    lines = _lines([_row(), _row(patient_id=IDS[1])])
    assert len(lines) == 1
    assert lines[0].startswith("x.csv: row 1: not a header row")
    assert "patient_id, referral_date, referral_source" in lines[0]
    _no_id(lines)


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_a_file_separated_by_semicolons_or_tabs_is_one_line_naming_the_separator(separator: str) -> None:
    header = [separator.join(NAMES)]
    lines = _lines([header, [separator.join(_row())]])
    assert lines == [
        f"x.csv: row 1: the columns are separated by {separator!r} (allowed: commas; save or export the "
        "sheet as CSV with comma separators)"
    ]


def test_a_patient_id_in_another_column_is_not_shown() -> None:
    lines = _lines([list(NAMES), _row(), _row(patient_id=IDS[1], referral_date=IDS[0])])
    assert len(lines) == 1
    assert lines[0].startswith("x.csv: row 3, column referral_date: ")
    _no_id(lines)


def test_a_patient_id_as_a_source_payer_or_track_is_not_shown() -> None:
    admitted = {"admission_date": "2027-02-02", "discharge_date": "2027-03-01", "discharge_type": "completed"}
    extract = parse_rows(
        "x.csv",
        [list(NAMES), _row(), _row(patient_id=IDS[1], referral_source=IDS[0], payer=IDS[1], **admitted)],
    )
    with pytest.raises(UnknownNamesError) as caught:
        check_names(extract, load_config(BASELINE))
    assert [line.split(":")[1] for line in caught.value.lines] == [
        " row 3, column referral_source",
        " row 3, column payer",
    ]
    _no_id(caught.value.lines)


def test_a_bookings_file_without_a_header_or_with_an_id_in_a_date_column_hides_the_id() -> None:
    extract = parse_rows("x.csv", [list(NAMES), _row(), _row(patient_id=IDS[1], referral_date="2027-03-01")])
    booking = [IDS[0], "2027-02-01", "2027-02-03", "yes"]
    with pytest.raises(ExtractError) as caught:
        attach("b.csv", [booking, booking], extract)
    assert len(caught.value.lines) == 1
    assert caught.value.lines[0].startswith("b.csv: row 1: not a header row")
    _no_id(caught.value.lines)
    with pytest.raises(ExtractError) as caught:
        attach(
            "b.csv",
            [["patient_id", "booked", "slot", "attended"], [IDS[0], IDS[1], "2027-02-03", "yes"]],
            extract,
        )
    assert caught.value.lines[0].startswith("b.csv: row 2, column booked: ")
    _no_id(caught.value.lines)


def test_a_no_start_with_attended_days_is_a_problem() -> None:
    lines = _lines(
        [
            list(NAMES),
            _row(
                admission_date="2027-02-02",
                discharge_date="2027-02-20",
                discharge_type="no_start",
                programme_days_scheduled="6",
                programme_days_attended="5",
            ),
        ]
    )
    assert lines == [
        "x.csv: row 2, column programme_days_attended: '5' (allowed: 0 for discharge_type no_start, "
        "admitted but never attended a programme day)"
    ]


def test_a_date_after_as_of_names_its_row_and_column() -> None:
    rows = [
        list(NAMES),
        _row(),
        _row(patient_id=IDS[1], admission_date="2027-02-05", referral_date="2027-02-02"),
        _row(patient_id="ZQ83", referral_date="2027-02-07"),
    ]
    with pytest.raises(ExtractError) as caught:
        parse_rows("x.csv", rows, as_of=dt.date(2027, 2, 3))
    assert caught.value.lines == [
        "x.csv: row 3, column admission_date: '2027-02-05' and 1 more row (allowed: on or before --as-of "
        "2027-02-03, the date the data were taken)"
    ]


def test_a_folder_whose_file_or_folder_is_in_the_way_is_refused_before_the_fits(tmp_path: Path) -> None:
    names = (*FILES, *OPTIONAL_FILES)
    (tmp_path / "figures").write_text("my notes\n")
    with pytest.raises(CalibrateError) as caught:
        claim(tmp_path, "key", False, names)
    assert caught.value.lines == [
        f"--out {tmp_path}: figures is a file where the calibration writes a folder (allowed: move or rename "
        "it, or choose another --out)"
    ]
    (tmp_path / "figures").unlink()
    (tmp_path / "fits.csv").mkdir()
    with pytest.raises(CalibrateError) as caught:
        claim(tmp_path, "key", True, names)
    assert caught.value.lines == [
        f"--out {tmp_path}: fits.csv is a folder where the calibration writes a file (allowed: move or rename "
        "it, or choose another --out)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fits.csv"]


def test_a_readmission_given_its_referrers_source_is_counted_once_as_a_readmission() -> None:
    """A clinic's system often records a returning patient's referral with its real source; the
    readmission fit counts it as the discharge's readmission either way, so the source's referral rate
    and intake shares must not count it too (the simulation would make it twice)."""
    ended = {"admission_date": "2027-02-02", "discharge_date": "2027-03-01", "discharge_type": "completed"}
    rows = [
        list(NAMES),
        _row(referral_source="community", **ended),
        _row(referral_source="community", referral_date="2027-05-01"),  # the return: community, not labelled
        _row(patient_id=IDS[1], referral_source="community", referral_date="2027-05-01"),
        _row(patient_id="ZQ83", referral_source="community", referral_date="2027-05-03"),
    ]
    extract = parse_rows("x.csv", rows)
    labelled, count = label_readmissions(extract)
    assert count == [3]
    assert [e.source for e in labelled.episodes] == ["community", "readmission", "community", "community"]
    assert label_readmissions(labelled) == (labelled, [])
    rows[2][NAMES.index("referral_source")] = "readmission"
    assert label_readmissions(parse_rows("x.csv", rows))[0] == labelled
    base = load_config(BASELINE)
    sources = list(base.referrals.sources)
    unlabelled_fit, _ = fit_referrals(extract, base.clinic.opening_date, sources)
    labelled_fit, _ = fit_referrals(labelled, base.clinic.opening_date, sources)
    assert [c.parameters for c in unlabelled_fit.candidates] != [
        c.parameters for c in labelled_fit.candidates
    ]
    unlabelled_calibration = calibrate(extract, BASELINE)
    labelled_calibration = calibrate(labelled, BASELINE)
    assert unlabelled_calibration.fragment == labelled_calibration.fragment
    assert [note for note in unlabelled_calibration.notes if "readmission" in note and "row 3" in note]


def test_an_extract_with_one_completion_keeps_the_bases_plan_without_a_traceback(tmp_path: Path) -> None:
    ended = {"admission_date": "2027-02-02", "track": "day", "discharge_date": "2027-03-01"}
    rows = [
        list(NAMES),
        _row(referral_source="community", discharge_type="completed", **ended),
        _row(patient_id=IDS[1], referral_source="community", referral_date="2027-02-03"),
    ]
    calibration = calibrate(parse_rows("x.csv", rows), BASELINE)
    assert "planned_stay" not in calibration.fragment.get("length_of_stay", {})
    assert calibration.config.length_of_stay.planned_stay == load_config(BASELINE).length_of_stay.planned_stay
    assert "length_of_stay.planned_stay: 1 completions; not fitted (fewer than 3)" in "\n".join(
        calibration.notes
    )


def test_a_bad_cell_and_an_unknown_source_are_listed_together(tmp_path: Path) -> None:
    """A clinic fixing its file sees every problem at once, not the base's names only after the cells."""
    import csv

    from click.testing import CliRunner

    from simiop.cli import main

    extract = tmp_path / "x.csv"
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [list(NAMES), _row(referral_date="03/04/2027"), _row(patient_id=IDS[1], referral_source="gp")]
        )
    result = CliRunner().invoke(
        main, ["calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{extract}: row 2, column referral_date: '03/04/2027' (allowed: a date YYYY-MM-DD{SLASHED})",
        f"{extract}: row 3, column referral_source: 'gp' is not a source of the base config (allowed: "
        "community, emergency_department, readmission, step_down, step_up)",
    ]
    assert not (tmp_path / "out").exists()


def test_a_small_extract_whose_intervals_are_unbounded_calibrates() -> None:
    """29 episodes of the shipped extract: in a bootstrap resample the planned stay's likelihood is flat
    enough that its Wald interval's upper end on the log scale overflowed math.exp (a traceback)."""
    import csv

    from tests.conftest import REPO

    with (REPO / "experiments" / "data" / "baseline_extract.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[:30]
    calibration = calibrate(parse_rows("small.csv", rows), BASELINE)
    sets = bootstrap(calibration, BASELINE, 20, 1)  # resample 2's planned-stay interval overflowed
    assert sets.values.shape == (20, len(calibration.estimates))
    assert np.isfinite(sets.values).all()


def test_a_spreadsheets_day_month_date_says_how_to_save_it() -> None:
    lines = _lines([list(NAMES), _row(referral_date="03/04/2027"), _row(referral_date="2027-02-30")])
    assert lines == [
        "x.csv: row 2, column referral_date: '03/04/2027' (allowed: a date YYYY-MM-DD; format the "
        "spreadsheet's date columns as YYYY-MM-DD before saving: 03/04/2027 may be 3 April or March 4)",
        "x.csv: row 3, column referral_date: '2027-02-30' (allowed: a date YYYY-MM-DD)",
    ]


def test_a_spreadsheets_empty_unnamed_columns_are_left_out() -> None:
    """Excel writes the trailing columns a sheet once used as ',,' on every line, the header included."""
    rows = [[*NAMES, "", ""], [*_row(), "", ""], [*_row(patient_id=IDS[1]), "", ""]]
    extract = parse_rows("x.csv", rows)
    assert [e.patient for e in extract.episodes] == list(IDS)
    rows[2][-1] = IDS[1]
    assert _lines(rows) == [
        f"x.csv: row 1, column {len(NAMES) + 2}: no name, but row 3 has a value in it (allowed: a column "
        "name, or a column left empty)"
    ]
    booking = [IDS[0], "2027-02-01", "2027-02-03", "yes"]
    with_bookings = attach(
        "b.csv", [["patient_id", "booked", "slot", "attended", ""], [*booking, ""]], extract
    )
    assert len(with_bookings.episodes[0].bookings) == 1


def test_a_workbook_or_a_windows_encoded_csv_says_how_to_save_it(tmp_path: Path) -> None:
    from simiop.calibrate.bookings import read_bookings
    from simiop.calibrate.extract import read_extract

    path = tmp_path / "x.csv"
    path.write_bytes(",".join(NAMES).encode() + b"\nJos\xe9,2027-02-01,step_down\n")  # cp1252
    line = f"{path}: not a UTF-8 text file (allowed: a CSV file; save the sheet as 'CSV UTF-8')"
    with pytest.raises(ExtractError) as caught:
        read_extract(path)
    assert caught.value.lines == [line]
    with pytest.raises(ExtractError) as caught:
        read_bookings(path, parse_rows("y.csv", [list(NAMES), _row()]))
    assert caught.value.lines == [line]


def test_a_source_that_sent_nobody_has_an_exact_interval_from_zero() -> None:
    """No referrals from a source: its rate's Wald interval was a point around the fit's floor
    (9.6e-10 - 1.04e-09); the exact Poisson interval for 0 events runs from 0 to 3.689 / weeks of data."""
    rows = [list(NAMES)] + [
        _row(patient_id=f"Q{day}", referral_date=f"2027-02-{day:02d}", referral_source="step_down")
        for day in range(1, 29)
    ]
    base = load_config(BASELINE)
    part, _ = fit_referrals(parse_rows("x.csv", rows), base.clinic.opening_date, list(base.referrals.sources))
    rate = next(e for e in part.estimates if e.path == "referrals.sources.community.weekly_rate")
    assert rate.n == 0
    assert rate.low == 0
    weeks = 4  # the window: the first referral (2027-02-01) to the as-of date (2027-02-28)
    assert rate.high == pytest.approx(3.6889 / weeks, rel=0.1)


def test_a_planned_stay_not_fitted_says_so_in_its_figure() -> None:
    """With too few completions the stay figure was two empty plots; it now says the base's plan is kept."""
    import matplotlib.pyplot as plt

    from simiop.calibrate.outputs import stay_figure

    ended = {"admission_date": "2027-02-02", "track": "day", "discharge_date": "2027-03-01"}
    rows = [list(NAMES), _row(referral_source="community", discharge_type="completed", **ended)]
    calibration = calibrate(parse_rows("x.csv", rows), BASELINE)
    assert calibration.stay is None
    figure = stay_figure(calibration.stay)
    texts = [text.get_text() for axis in figure.axes for text in axis.texts]
    plt.close(figure)
    assert texts == ["planned stay not fitted:\nthe base config's is kept"] * 2
