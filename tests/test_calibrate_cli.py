"""simiop calibrate and simiop export-extract end to end; bad extracts get one line per problem, exit 2."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from simiop.calibrate.extract import NAMES, ExtractError, parse_rows, read_extract
from simiop.cli import main
from simiop.config import load_config
from tests.conftest import BASELINE, REPO

SHIPPED = REPO / "experiments" / "data" / "baseline_extract.csv"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("calibrated")
    code, stdout, stderr = run(
        "calibrate", str(SHIPPED), "--base", str(BASELINE), "--out", str(out), "--sets", "3"
    )
    assert code == 0, stderr
    assert "calibrated 1602 episodes" in stdout
    return out


def test_outputs_are_written(calibrated: Path) -> None:
    for name in (
        "fragment.yaml",
        "calibrated.yaml",
        "fits.csv",
        "estimates.csv",
        "parameter_sets.csv",
        "report.html",
        "figures/referrals.png",
        "figures/stay.png",
        "figures/pp.png",
    ):
        assert (calibrated / name).stat().st_size > 0, name


def test_calibrated_config_validates_and_differs_from_the_base(calibrated: Path) -> None:
    config = load_config(calibrated / "calibrated.yaml")
    base = load_config(BASELINE)
    assert (
        config.referrals.sources["step_down"].weekly_rate != base.referrals.sources["step_down"].weekly_rate
    )
    # the plan is fitted through the base's progress reviews, which stay (simiop.calibrate.reviews)
    assert config.length_of_stay.progress_review == base.length_of_stay.progress_review
    assert config.staff == base.staff  # what is not fitted is the base's


def test_fits_csv_lists_every_candidate_with_aic_and_bic(calibrated: Path) -> None:
    with (calibrated / "fits.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    parts = {row["part"] for row in rows}
    assert {
        "referrals.sources.community",
        "length_of_stay.planned_stay",
        "attendance.propensity",
        "discharge.step_up",
        "intake.outcomes",
    } <= parts
    for part in parts:
        chosen = [row for row in rows if row["part"] == part and row["chosen"] == "1"]
        assert len(chosen) == 1, part
    planned = [row for row in rows if row["part"] == "length_of_stay.planned_stay"]
    assert {row["model"] for row in planned} == {"gamma", "lognormal", "exponential"}
    best = min(planned, key=lambda row: float(row["aic"]))
    assert best["chosen"] == "1"
    assert all(float(row["bic"]) >= float(row["aic"]) for row in planned)  # log(n) > 2 for n > 7


def test_parameter_sets_have_one_row_per_set_inside_the_ranges(calibrated: Path) -> None:
    with (calibrated / "parameter_sets.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    for column in rows[0]:
        if (
            column.endswith(("probability", "hazard", ".mean"))
            and "delay" not in column
            and "planned" not in column
        ):
            assert all(0.0 <= float(row[column]) <= 1.0 for row in rows), column


def test_no_patient_identifier_in_any_output(calibrated: Path) -> None:
    with SHIPPED.open(newline="") as handle:
        ids = {row["patient_id"] for row in csv.DictReader(handle)}
    for path in calibrated.rglob("*"):
        if path.is_file() and path.suffix != ".png":
            text = path.read_text(encoding="utf-8")
            assert not any(patient in text for patient in ids), path


def test_an_earlier_calibration_is_not_replaced_without_force(calibrated: Path) -> None:
    code, _, stderr = run("calibrate", str(SHIPPED), "--base", str(BASELINE), "--out", str(calibrated))
    assert code == 2
    assert stderr.strip().endswith("pass --force to replace its files")


# -- bad extracts --------------------------------------------------------------------------------------


def _rows(*body: list[str]) -> list[list[str]]:
    return [list(NAMES), *body]


def _row(**cells: str) -> list[str]:
    values = {"patient_id": "A1", "referral_date": "2027-02-01", "referral_source": "step_down"} | cells
    return [values.get(name, "") for name in NAMES]


def test_each_bad_cell_is_one_line_naming_row_and_column() -> None:
    rows = _rows(
        _row(referral_date="2027-02-30"),
        _row(assessment_date="2027-02-03"),
        _row(admission_date="2027-01-01"),
        _row(programme_days_scheduled="3", programme_days_attended="4"),
        _row(discharge_type="finished", discharge_date="2027-03-01", admission_date="2027-02-02"),
        _row(patient_id=""),
    )
    with pytest.raises(ExtractError) as caught:
        parse_rows("x.csv", rows)
    assert caught.value.lines == [
        "x.csv: row 2, column referral_date: '2027-02-30' (allowed: a date YYYY-MM-DD)",
        "x.csv: row 3, column assessment_outcome: '' (required when assessment_date is given)",
        "x.csv: row 4, column admission_date: '2027-01-01' (allowed: on or after referral_date 2027-02-01)",
        "x.csv: row 5, column programme_days_attended: '4' (allowed: at most programme_days_scheduled 3)",
        "x.csv: row 6, column discharge_type: 'finished' (allowed: completed, dropout, step_up, administrative, "
        "no_start)",
        "x.csv: row 7, column patient_id: '' (allowed: a pseudonymous id, not empty)",
    ]


def test_header_problems() -> None:
    with pytest.raises(ExtractError) as caught:
        parse_rows("x.csv", [["patient_id", "referral_date", "colour"]])
    assert caught.value.lines == [
        f"x.csv: row 1, column 'colour': unknown column (allowed: {', '.join(NAMES)})",
        "x.csv: row 1: required column 'referral_source' is missing",
    ]


def test_cli_bad_extract_exits_2_without_traceback(tmp_path: Path) -> None:
    extract = tmp_path / "bad.csv"
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(_rows(_row(referral_source="walk_in"), _row(referral_date="soon")))
    code, _, stderr = run("calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out"))
    assert code == 2
    assert (
        stderr.splitlines()
        == [  # the base's names are checked with the cells (tests/test_calibrate_breaks.py)
            f"{extract}: row 2, column referral_source: 'walk_in' is not a source of the base config (allowed: "
            "community, emergency_department, readmission, step_down, step_up)",
            f"{extract}: row 3, column referral_date: 'soon' (allowed: a date YYYY-MM-DD)",
        ]
    )
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(_rows(_row(referral_source="walk_in")))
    code, _, stderr = run("calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out"))
    assert code == 2
    assert stderr.startswith(
        f"{extract}: row 2, column referral_source: 'walk_in' is not a source of the base"
    )
    assert "Traceback" not in stderr
    code, _, stderr = run(
        "calibrate", str(tmp_path / "none.csv"), "--base", str(BASELINE), "--out", str(tmp_path)
    )
    assert (code, stderr.strip()) == (2, f"{tmp_path / 'none.csv'}: file not found")


def test_export_extract_of_a_short_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, stderr = run(
        "run",
        str(BASELINE),
        "--horizon",
        "60",
        "--replications",
        "1",
        "--tables",
        "episodes",
        "--out",
        str(out),
        "--no-report",
    )
    assert code == 0, stderr
    target = tmp_path / "extract.csv"
    code, stdout, _ = run("export-extract", str(out), "--out", str(target))
    assert code == 0
    extract = read_extract(target)
    with (out / "scenarios" / "base" / "r0000" / "episodes.csv").open(newline="") as handle:
        episodes = list(csv.DictReader(handle))
    assert len(extract.episodes) == len(episodes)
    assert "as of 2027-03-04" in stdout  # 60 days from 2027-01-04: the last day is day 59
    admitted = sum(1 for row in episodes if row["admitted_day"])
    assert sum(1 for e in extract.episodes if e.admitted is not None) == admitted
    code, _, stderr = run("export-extract", str(out), "--out", str(target))
    assert (code, stderr.strip()) == (2, f"--out {target}: already exists; pass --force to replace it")


# -- hold-out validation -----------------------------------------------------------------------------


def test_holdout_measures_known_answer() -> None:
    from datetime import date

    from simiop.calibrate.extract import Episode, Extract
    from simiop.calibrate.holdout import measures

    def episode(
        row: int, referred: date, admitted: date | None, discharged: date | None, kind: str | None
    ) -> Episode:
        return Episode(
            row,
            f"P{row}",
            referred,
            "step_down",
            None,
            None,
            None,
            admitted,
            None,
            discharged,
            kind,  # type: ignore[arg-type]
            None,
            None,
        )

    extract = Extract(
        "t",
        (
            episode(0, date(2029, 1, 1), date(2029, 1, 5), date(2029, 1, 15), "completed"),  # wait 4, stay 10
            episode(1, date(2029, 1, 20), date(2029, 1, 30), None, None),  # wait 10, open
            episode(2, date(2029, 2, 1), None, None, None),
            episode(
                3, date(2028, 12, 1), date(2028, 12, 20), date(2029, 1, 10), "dropout"
            ),  # before: stay 21
        ),
        date(2029, 2, 28),
    )
    values = measures(extract, date(2029, 1, 1), date(2029, 2, 28))
    assert values[("referrals", "2029-01")] == 2
    assert values[("referrals", "2029-02")] == 1
    assert values[("admissions", "2029-01")] == 2
    assert values[("median_wait_days", "all")] == 7  # of 4 and 10 (the December admission is before)
    assert values[("length_of_stay_days_completed", "all")] == 10
    assert values[("length_of_stay_days_dropout", "all")] == 21
    assert values[("dropout_share", "all")] == 0.5
    # January: patient 3 on days 1-9, patient 0 on days 5-14, patient 1 on days 30-31: 9 + 10 + 2 = 21 days
    assert values[("mean_census", "2029-01")] == pytest.approx(21 / 31)
    assert values[("mean_census", "2029-02")] == 1.0


def test_holdout_from_writes_holdout_csv(tmp_path: Path) -> None:
    out = tmp_path / "held"
    code, stdout, stderr = run(
        "calibrate",
        str(SHIPPED),
        "--base",
        str(BASELINE),
        "--out",
        str(out),
        "--holdout-from",
        "2029-07-01",
        "--replications",
        "2",
        "--sets",
        "2",
    )
    assert code == 0, stderr
    assert "hold-out from 2029-07-01 (2 replications)" in stdout
    with (out / "holdout.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    measures = {row["measure"] for row in rows}
    assert {
        "referrals",
        "admissions",
        "mean_census",
        "median_wait_days",
        "dropout_share",
        "length_of_stay_days_completed",
    } <= measures
    assert {row["period"] for row in rows if row["measure"] == "referrals"} >= {
        "2029-07",
        "2029-12",
        "2030-01",
    }
    assert all(row["covered"] in ("0", "1") for row in rows)
    assert "Hold-out validation from 2029-07-01" in (out / "report.html").read_text(encoding="utf-8")
    code, _, stderr = run(
        "calibrate",
        str(SHIPPED),
        "--base",
        str(BASELINE),
        "--out",
        str(tmp_path / "x"),
        "--holdout-from",
        "2031-01-01",
    )
    assert code == 2
    assert stderr.startswith("command line: --holdout-from 2031-01-01: outside the extract")


def test_a_repeated_row_or_an_episode_during_another_stay_is_named_without_the_patient_id() -> None:
    stay = {"admission_date": "2027-02-02", "discharge_date": "2027-03-01", "discharge_type": "completed"}
    rows = _rows(
        _row(**stay),
        _row(referral_date="2027-02-10"),  # referred again while enrolled
        _row(patient_id="B2"),
        _row(patient_id="B2"),  # the same row twice
        _row(patient_id="C3", admission_date="2027-02-02"),  # still open
        _row(patient_id="C3", referral_date="2027-01-20", admission_date="2027-03-01"),
        _row(referral_date="2027-03-01", admission_date="2027-03-02"),  # a readmission: fine
    )
    with pytest.raises(ExtractError) as caught:
        parse_rows("x.csv", rows)
    assert caught.value.lines == [
        "x.csv: row 3, column referral_date: '2027-02-10' (allowed: not during the same patient's stay in "
        "row 2, admitted 2027-02-02, discharged 2027-03-01: a patient is in one episode at a time)",
        "x.csv: row 5: the same episode as row 4 (allowed: one row per episode)",
        "x.csv: row 7, column admission_date: '2027-03-01' (allowed: not during the same patient's stay in "
        "row 6, admitted 2027-02-02, not yet discharged: a patient is in one episode at a time)",
    ]
    assert not any(name in line for line in caught.value.lines for name in ("A1", "B2", "C3"))


def test_cli_unknown_payer_or_track_is_one_line_each(tmp_path: Path) -> None:
    extract = tmp_path / "names.csv"
    admitted = {"admission_date": "2027-02-02", "discharge_date": "2027-03-01", "discharge_type": "completed"}
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(_rows(_row(payer="blue_cross", track="weekend", **admitted)))
    code, _, stderr = run("calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out"))
    assert code == 2
    assert stderr.splitlines() == [
        f"{extract}: row 2, column payer: 'blue_cross' is not a payer of the base config "
        "(allowed: commercial, medicaid, medicare, self_pay)",
        f"{extract}: row 2, column track: 'weekend' is not a track of the base config (allowed: day, evening)",
    ]
    assert not (tmp_path / "out").exists()


def test_ctrl_c_exits_130_with_one_line_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like the other commands (not click's 'Aborted!' and status 1)."""
    import simiop.calibrate.pipeline as pipeline

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "calibrate", interrupted)
    out = tmp_path / "out"
    code, _, stderr = run("calibrate", str(SHIPPED), "--base", str(BASELINE), "--out", str(out))
    assert code == 130
    assert stderr.strip().splitlines() == [
        f"interrupted: nothing was written into {out}; run the same command again"
    ]
    assert not out.exists()


def test_export_extract_bad_folders_and_targets_are_one_line(tmp_path: Path) -> None:
    import json
    import shutil

    out = tmp_path / "run"
    mmc = REPO / "configs" / "validation" / "mmc.yaml"
    code, _, stderr = run("run", str(mmc), "--horizon", "60", "-r", "1", "--out", str(out), "--no-report")
    assert code == 0, stderr
    # A second scenario opening a year later: its extract's as-of date is its own, not the first's.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    later = json.loads(json.dumps(manifest["plan"]["scenarios"][0]))
    later["name"] = "later"
    later["config"]["clinic"]["opening_date"] = "2030-01-07"
    manifest["plan"]["scenarios"].append(later)
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copytree(out / "scenarios" / "base", out / "scenarios" / "later")
    code, stdout, stderr = run(
        "export-extract", str(out), "--out", str(tmp_path / "x.csv"), "--scenario", "later"
    )
    assert code == 0, stderr
    assert "as of 2030-03-07" in stdout  # 60 days from 2030-01-07: the last day is day 59
    other = tmp_path / "optimised"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"kind": "optimise"}), encoding="utf-8")
    cases = {
        (str(other), str(tmp_path / "y.csv")): f"{other}: not a result folder of `simiop run` or `simiop "
        "experiment` (its manifest.json has no scenarios)",
        (str(out), str(tmp_path / "no" / "y.csv")): f"--out {tmp_path / 'no' / 'y.csv'}: its folder "
        f"{tmp_path / 'no'} does not exist (allowed: a file in an existing folder)",
        (str(out), str(tmp_path)): f"--out {tmp_path}: is a folder (allowed: a file name, e.g. "
        f"{tmp_path / 'extract.csv'})",
    }
    for (folder, target), expected in cases.items():
        code, _, stderr = run("export-extract", folder, "--out", target, "--force")
        assert (code, stderr.strip()) == (2, expected)
    code, _, stderr = run("export-extract", str(out), "--out", str(tmp_path / "z.csv"), "--scenario", "nope")
    assert (code, stderr.strip()) == (2, f"--scenario 'nope': not a scenario of {out} (allowed: base, later)")


def test_an_extract_saved_by_a_spreadsheet_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    extract = tmp_path / "excel.csv"
    with extract.open("w", newline="", encoding="utf-8-sig") as handle:  # Excel's "CSV UTF-8"
        csv.writer(handle).writerows(_rows(_row()))
    assert extract.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [episode.patient for episode in read_extract(extract).episodes] == ["A1"]


def test_referrals_before_the_bases_opening_are_one_line(tmp_path: Path) -> None:
    """Were dropped from the referral fit silently, or (all before it) a traceback."""
    extract = tmp_path / "early.csv"
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(
            _rows(_row(referral_date="2026-12-01"), _row(referral_date="2026-12-02"))
        )
    code, _, stderr = run("calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out"))
    assert code == 2
    opening = load_config(BASELINE).clinic.opening_date
    assert stderr.splitlines() == [
        f"{extract}: row 2, column referral_date: '2026-12-01' and 1 more rows (allowed: on or after the base "
        f"config's clinic.opening_date {opening}, the day the programme in the extract opened: the ramp-up is "
        "fitted from it)"
    ]


def test_a_one_episode_extract_calibrates_without_a_traceback(tmp_path: Path) -> None:
    """The ramp-up search wandered to weeks_to_full beyond a float (OverflowError)."""
    extract = tmp_path / "one.csv"
    with extract.open("w", newline="") as handle:
        csv.writer(handle).writerows(_rows(_row(referral_date="2027-01-04")))
    code, stdout, stderr = run(
        "calibrate", str(extract), "--base", str(BASELINE), "--out", str(tmp_path / "out")
    )
    assert code == 0, stderr
    assert "calibrated 1 episodes" in stdout
    load_config(tmp_path / "out" / "calibrated.yaml")
