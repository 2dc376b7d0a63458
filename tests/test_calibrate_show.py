"""The intake show rate from a bookings file (simiop calibrate --bookings): reading and checking the file,
the piecewise-linear maximum-likelihood fit, and parameter recovery from a simulated clinic."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from simiop.calibrate.bookings import NAMES, attach, read_bookings
from simiop.calibrate.extract import NAMES as EXTRACT_NAMES
from simiop.calibrate.extract import ExtractError, parse_rows, read_extract
from simiop.calibrate.record import CalibrateError, claim
from simiop.calibrate.show import fit_curve, fit_show, weights
from simiop.cli import main
from simiop.config import load_config
from simiop.config.distributions import PiecewiseLinear
from simiop.experiments.manifest import sha256_of
from simiop.experiments.plan import parse_tables
from simiop.experiments.reproduce import check_files
from tests.conftest import BASELINE

TRUE_POINTS = [[1, 0.8], [2, 0.5], [4, 0.3]]
"""The show-rate curve simulated for the recovery test: its points lie where a baseline clinic's waits
do (1 to 5 days), so every height is identified."""
SOURCES = ["step_down", "step_up", "community", "emergency_department"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# -- the fit on known answers ------------------------------------------------------------------------


def test_weights_give_the_configs_curve() -> None:
    """W @ heights is the config's piecewise-linear curve, flat beyond its ends (PiecewiseLinear)."""
    curve = PiecewiseLinear(curve="piecewise_linear", points=((1.0, 0.72), (3.0, 0.41), (7.0, 0.38)))
    days = np.array([0.0, 1.0, 1.5, 2.999, 3.0, 5.0, 7.0, 40.0])
    heights = np.array([y for _, y in curve.points])
    np.testing.assert_allclose(weights(days, [1.0, 3.0, 7.0]) @ heights, curve.value_at(days), atol=1e-12)


def test_a_constant_fit_is_the_share_attended_and_a_curve_recovers_known_heights() -> None:
    rng = np.random.default_rng(7)
    days = rng.uniform(0.5, 6.0, 6000)
    truth = np.interp(days, [1, 2, 4], [0.8, 0.5, 0.3])
    came = (rng.random(days.size) < truth).astype(float)
    constant = fit_curve(days, came, [1.0])
    assert constant.heights[0] == pytest.approx(came.mean(), abs=1e-9)
    curve = fit_curve(days, came, [1.0, 2.0, 4.0])
    for (_, true), low, high in zip(TRUE_POINTS, curve.low, curve.high, strict=True):
        assert low < true < high
    assert 2 * 3 - 2 * curve.log_likelihood < 2 - 2 * constant.log_likelihood  # the curve wins by AIC


def test_bookings_are_kept_only_when_named() -> None:
    """--tables all keeps the files (and plan keys) of runs made before bookings.csv existed."""
    assert parse_tables("all") == ("episodes", "daily", "staff", "sessions")
    assert parse_tables("bookings, episodes") == ("episodes", "bookings")


# -- the bookings file -------------------------------------------------------------------------------


def _extract() -> object:
    def row(**cells: str) -> list[str]:
        values = {"patient_id": "A1", "referral_date": "2027-02-01", "referral_source": "step_down"} | cells
        return [values.get(name, "") for name in EXTRACT_NAMES]

    return parse_rows(
        "x.csv",
        [
            list(EXTRACT_NAMES),
            row(assessment_date="2027-02-05", assessment_outcome="admit"),
            row(patient_id="B2", referral_date="2027-03-01"),
        ],
        None,
    )


def test_bookings_attach_to_the_patients_episode() -> None:
    extract = attach(
        "b.csv",
        [
            list(NAMES),
            ["A1", "2027-02-01T10:00", "2027-02-03T09:00", "no"],
            ["A1", "2027-02-03", "2027-02-05", "yes"],
            ["B2", "2027-03-01", "2027-03-02", ""],  # after the as-of date 2027-03-01: not held yet
        ],
        _extract(),  # type: ignore[arg-type]
    )
    first, second = extract.episodes
    assert [b.days_waited for b in first.bookings] == [pytest.approx(47 / 24), 2.0]
    assert [b.attended for b in first.bookings] == [False, True]
    assert second.bookings[0].attended is None
    before = extract.before(dt.date(2027, 2, 4))
    assert [(b.row, b.attended) for b in before.episodes[0].bookings] == [(2, False), (3, None)]


def test_each_bad_booking_is_one_line_naming_row_and_column_and_never_the_patient() -> None:
    with pytest.raises(ExtractError) as raised:
        attach(
            "b.csv",
            [
                list(NAMES),
                ["A1", "2027-02-30", "2027-02-03", "no"],
                ["A1", "2027-02-04", "2027-02-03", "no"],
                ["Z9", "2027-02-01", "2027-02-03", "no"],
                ["A1", "2027-02-01", "2027-02-03", "maybe"],
                ["A1", "2027-02-01", "2027-02-04", "yes"],
                ["A1", "2027-02-01", "2027-02-03", ""],
                ["A1", "2027-01-20", "2027-02-03", "no"],
                ["A1", "2027-03-05", "2027-03-06", "no"],
                ["A1", "2027-02-01", "2027-02-05", "yes"],
                ["A1", "2027-02-02", "2027-02-05", "yes"],
            ],
            _extract(),  # type: ignore[arg-type]
        )
    lines = raised.value.lines
    assert lines == [
        "b.csv: row 2, column booked: '2027-02-30' (allowed: YYYY-MM-DD or YYYY-MM-DDTHH:MM, no time zone)",
        "b.csv: row 3, column slot: '2027-02-03' (allowed: on or after booked 2027-02-04)",
        "b.csv: row 4, column patient_id: not a patient_id of the extract x.csv (allowed: the extract's ids)",
        "b.csv: row 5, column attended: 'maybe' (allowed: yes or no)",
        "b.csv: row 6, column slot: '2027-02-04' (allowed: an attended slot on the episode's assessment_date "
        "2027-02-05 (row 2 of the extract))",
        "b.csv: row 7, column attended: '' (allowed: yes or no for a slot on or before the as-of date "
        "2027-03-01)",
        "b.csv: row 8, column booked: '2027-01-20' (allowed: on or after the referral_date of one of the "
        "patient's episodes (the first is 2027-02-01, row 2 of the extract))",
        "b.csv: row 9, column booked: '2027-03-05' (allowed: on or before the extract's as-of date 2027-03-01)",
        "b.csv: row 11, column attended: 'yes' (allowed: one attended booking per episode (row 10 is attended "
        "too; both belong to the episode in row 2 of the extract))",
    ]
    with pytest.raises(ExtractError) as raised:
        attach("b.csv", [["patient_id", "booked", "when"]], _extract())  # type: ignore[arg-type]
    assert raised.value.lines == [
        "b.csv: row 1, column 'when': unknown column (allowed: patient_id, booked, slot, attended)",
        "b.csv: row 1: required column 'slot' is missing",
        "b.csv: row 1: required column 'attended' is missing",
    ]


def test_without_bookings_nothing_is_fitted(tmp_path: Path) -> None:
    extract = _extract()
    part, show = fit_show(extract, [1.0, 3.0], SOURCES, [])  # type: ignore[arg-type]
    assert (part.candidates, part.fragment, show) == ([], {}, None)


# -- parameter recovery from a simulated clinic ------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    """Two years of the baseline with the show curve TRUE_POINTS, exported with its bookings; and that
    config as a base whose points the fit uses."""
    folder = tmp_path_factory.mktemp("show")
    base = folder / "base.yaml"
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["intake"]["show_rate_by_days_waited"]["points"] = TRUE_POINTS
    base.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = folder / "run"
    code, _, stderr = run(
        "run", str(base), "--horizon", "730", "--replications", "1", "--tables", "episodes,bookings",
        "--out", str(out), "--no-report", "-j", "1",
    )  # fmt: skip
    assert code == 0, stderr
    extract, bookings = folder / "extract.csv", folder / "bookings.csv"
    code, stdout, stderr = run("export-extract", str(out), "--out", str(extract), "--bookings", str(bookings))
    assert code == 0, stderr
    assert f"bookings: {bookings}" in stdout
    return base, out, extract, bookings


def test_the_exported_bookings_are_the_runs(simulated: tuple[Path, Path, Path, Path]) -> None:
    _, out, extract, bookings = simulated
    with (out / "scenarios" / "base" / "r0000" / "bookings.csv").open(newline="") as handle:
        recorded = list(csv.DictReader(handle))
    data = read_bookings(bookings, read_extract(extract))
    attached = [b for e in data.episodes for b in e.bookings]
    assert len(attached) == len(recorded) > 500
    waited = sorted(b.days_waited for b in attached)
    # times to the minute: each wait within a minute of the run's (4-decimal days)
    np.testing.assert_allclose(waited, sorted(float(r["days_waited"]) for r in recorded), atol=1.5 / 1440)
    assert sum(bool(b.attended) for b in attached) == sum(r["showed"] == "1" for r in recorded)


def test_the_fitted_curve_recovers_the_simulated_one(simulated: tuple[Path, Path, Path, Path]) -> None:
    """Parameter recovery: simulate with a known curve, export, fit; each height's 95% interval holds the
    true height, and the curve beats a constant show rate by AIC."""
    _, _, extract, bookings = simulated
    data = read_bookings(bookings, read_extract(extract))
    part, show = fit_show(data, [x for x, _ in TRUE_POINTS], SOURCES, [])
    pooled = [e for e in part.estimates if e.path.startswith("intake.show_rate_by_days_waited.")]
    assert [e.path for e in pooled] == [f"intake.show_rate_by_days_waited.points[{i}][1]" for i in range(3)]
    for estimate, (_, true) in zip(pooled, TRUE_POINTS, strict=True):
        assert estimate.low < true < estimate.high, estimate
        assert estimate.high - estimate.low < 0.5
    chosen = {c.model for c in part.candidates if c.part == "intake.show_rate_by_days_waited" and c.chosen}
    assert chosen == {"piecewise_linear"}
    assert show is not None
    assert show.groups[0].days.size == pooled[0].n


@pytest.fixture(scope="module")
def calibrated(simulated: tuple[Path, Path, Path, Path]) -> Path:
    base, _, extract, bookings = simulated
    out = base.parent / "cal"
    code, stdout, stderr = run(
        "calibrate", str(extract), "--bookings", str(bookings), "--base", str(base), "--out", str(out),
        "--sets", "2",
    )  # fmt: skip
    assert code == 0, stderr
    assert "bookings attended" in stdout
    return out


def test_calibrate_with_bookings_writes_the_curve_and_no_patient_id(
    simulated: tuple[Path, Path, Path, Path], calibrated: Path
) -> None:
    _, _, extract, bookings = simulated
    out = calibrated
    config = load_config(out / "calibrated.yaml")
    fitted = [y for _, y in config.intake.show_rate_by_days_waited.points]
    assert len(fitted) == 3
    assert all(abs(y - t) < 0.15 for y, (_, t) in zip(fitted, TRUE_POINTS, strict=True))
    with (out / "fits.csv").open(newline="") as handle:
        parts = {row["part"] for row in csv.DictReader(handle)}
    assert "intake.show_rate_by_days_waited" in parts
    assert (out / "figures" / "show.png").stat().st_size > 0
    assert "figures/show.png" in (out / "report.html").read_text(encoding="utf-8")
    with (out / "parameter_sets.csv").open(newline="") as handle:
        sets = list(csv.DictReader(handle))
    heights = [float(row["intake.show_rate_by_days_waited.points[0][1]"]) for row in sets]
    assert len(set(heights)) == 2
    assert all(0 < h < 1 for h in heights)
    ids = set()
    for path in (extract, bookings):
        with path.open(newline="") as handle:
            ids |= {row["patient_id"] for row in csv.DictReader(handle)}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".png":
            text = path.read_text(encoding="utf-8")
            assert not any(patient in text for patient in ids), path


def test_cli_bad_bookings_exit_2_in_one_line(
    simulated: tuple[Path, Path, Path, Path], tmp_path: Path
) -> None:
    base, out, extract, _ = simulated
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,booked,slot,attended\nP00001,2027-01-05,2027-01-04,yes\n", encoding="utf-8")
    code, _, stderr = run(
        "calibrate", str(extract), "--bookings", str(bad), "--base", str(base), "--out", str(tmp_path / "c")
    )
    assert code == 2
    assert (
        stderr.strip() == f"{bad}: row 2, column slot: '2027-01-04' (allowed: on or after booked 2027-01-05)"
    )
    assert not (tmp_path / "c").exists()
    code, _, stderr = run(
        "export-extract", str(out), "--out", str(tmp_path / "e.csv"), "--bookings", str(bad)
    )
    assert (code, stderr.strip()) == (2, f"--bookings {bad}: already exists; pass --force to replace it")
    episodes_only = tmp_path / "run"
    code, _, _ = run(
        "run", str(base), "--horizon", "30", "--replications", "1", "--tables", "episodes",
        "--out", str(episodes_only), "--no-report", "-j", "1",
    )  # fmt: skip
    assert code == 0
    code, _, stderr = run(
        "export-extract",
        str(episodes_only),
        "--out",
        str(tmp_path / "e.csv"),
        "--bookings",
        str(tmp_path / "b.csv"),
    )
    assert code == 2
    assert stderr.strip().endswith(
        "not found (run with --tables episodes,bookings to keep the intake bookings)"
    )


# -- manifest.json and simiop reproduce --------------------------------------------------------------


def test_the_manifest_records_inputs_options_versions_and_every_file(
    simulated: tuple[Path, Path, Path, Path], calibrated: Path
) -> None:
    base, _, extract, bookings = simulated
    document = json.loads((calibrated / "manifest.json").read_text(encoding="utf-8"))
    assert (document["kind"], document["status"]) == ("calibrate", "complete")
    inputs = document["calibration"]["inputs"]
    for name, path in (("extract", extract), ("bookings", bookings), ("base", base)):
        assert inputs[name] == {
            "path": str(path.resolve()),
            "relative": f"../{path.name}",  # from the calibration's folder, cal/, beside its inputs
            "sha256": sha256_of(path),
        }
    assert document["calibration"]["options"] == {
        "as_of": None, "sets": 2, "seed": 1, "holdout_from": None, "replications": 20,
    }  # fmt: skip
    assert {"simiop", "scipy", "numpy"} <= set(document["versions"])
    written = {p.relative_to(calibrated).as_posix() for p in calibrated.rglob("*") if p.is_file()}
    assert set(document["files"]) == written - {"manifest.json"}
    assert "figures/show.png" in document["files"]
    code, _, stderr = run("report", str(calibrated))  # a run's commands name what the folder is
    assert code == 2
    assert "is a calibration folder (simiop calibrate)" in stderr
    for name, digest in document["files"].items():
        assert sha256_of(calibrated / name) == digest, name


def test_reproduce_reruns_the_calibration_and_checks_every_file(calibrated: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    code, stdout, stderr = run("reproduce", str(calibrated), "--out", str(out))
    assert code == 0, stderr
    files = json.loads((calibrated / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert f"{len(files)} of {len(files)} files match; re-run in {out}/" in stdout
    rerun = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert rerun["files"] == files
    # the same code path as a run's: a file edited since is named
    changed = tmp_path / "changed"
    shutil.copytree(calibrated, changed)
    (changed / "fits.csv").write_text("edited\n", encoding="utf-8")
    checks = check_files(changed, files, rerun["files"])
    assert [(c.name, c.status) for c in checks if c.status != "match"] == [("fits.csv", "differs")]


def test_a_project_moved_whole_reproduces_from_its_inputs_beside_its_results(
    calibrated: Path, tmp_path: Path
) -> None:
    """The manifest's absolute paths are gone (the project folder was moved or copied elsewhere): the
    inputs are found relative to the calibration's folder, checked by SHA-256, and every file matches.
    Without the relative paths the same folder is refused, naming both places looked at."""
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("base.yaml", "extract.csv", "bookings.csv"):
        shutil.copy2(calibrated.parent / name, moved / name)
    shutil.copytree(calibrated, moved / "cal")
    manifest = moved / "cal" / "manifest.json"
    document = json.loads(manifest.read_text(encoding="utf-8"))
    for entry in document["calibration"]["inputs"].values():
        entry["path"] = str(tmp_path / "where-it-was" / Path(entry["path"]).name)  # no longer there
    manifest.write_text(json.dumps(document), encoding="utf-8")
    code, stdout, stderr = run("reproduce", str(moved / "cal"), "--out", str(tmp_path / "again"))
    assert code == 0, stderr
    files = document["files"]
    assert f"{len(files)} of {len(files)} files match" in stdout
    for entry in document["calibration"]["inputs"].values():
        entry["relative"] = "../elsewhere/" + Path(entry["path"]).name  # nor beside the results
    manifest.write_text(json.dumps(document), encoding="utf-8")
    code, _, stderr = run("reproduce", str(moved / "cal"), "--out", str(tmp_path / "again2"))
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 3, stderr
    assert lines[0] == (
        f"{manifest}: input extract {tmp_path / 'where-it-was' / 'extract.csv'} or "
        f"{moved.resolve() / 'elsewhere' / 'extract.csv'}: not found (the calibration read it; put it back)"
    )


def test_reproduce_refuses_changed_inputs_in_one_line_each(
    simulated: tuple[Path, Path, Path, Path], tmp_path: Path
) -> None:
    base, _, extract, _ = simulated
    folder = tmp_path / "cal"
    folder.mkdir()
    document = {
        "simiop_manifest": 1,
        "kind": "calibrate",
        "status": "complete",
        "calibration": {
            "inputs": {
                "extract": {"path": str(extract), "sha256": sha256_of(extract)},
                "bookings": {"path": str(tmp_path / "gone.csv"), "sha256": "0" * 64},
                "base": {"path": str(base), "sha256": "1" * 64},
            },
            "options": {"as_of": None, "sets": 2, "seed": 1, "holdout_from": None, "replications": 20},
        },
        "files": {},
    }
    (folder / "manifest.json").write_text(json.dumps(document), encoding="utf-8")
    code, _, stderr = run("reproduce", str(folder), "--out", str(tmp_path / "again"))
    assert code == 2
    lines = stderr.strip().splitlines()
    assert lines[0] == (
        f"{folder / 'manifest.json'}: input bookings {tmp_path / 'gone.csv'}: not found (the calibration "
        "read it; put it back)"
    )
    assert lines[1].startswith(
        f"{folder / 'manifest.json'}: input base {base}: changed since the calibration"
    )
    assert len(lines) == 2
    assert not (tmp_path / "again").exists()


def test_a_calibration_folder_is_claimed_as_a_run_folder_is(tmp_path: Path) -> None:
    """The same calibration is written again without --force; another is refused without it and with it
    replaces only a calibration's files; other results are never replaced."""
    names = ("fits.csv", "figures/show.png")
    out = tmp_path / "cal"
    assert claim(out, "k1", False, names) == []  # new
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert claim(out, "k1", False, names) == []  # a user's own file: written beside it
    (out / "fits.csv").write_text("x", encoding="utf-8")
    manifest = {"simiop_manifest": 1, "kind": "calibrate", "status": "complete", "key": "k1", "files": {}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert claim(out, "k1", False, names) == []  # the same calibration
    with pytest.raises(CalibrateError) as refused:
        claim(out, "k2", False, names)
    assert refused.value.lines == [
        f"--out {out}: holds an earlier calibration (fits.csv) of other inputs or options (or of another "
        "simiop version); pass --force to replace its files"
    ]
    assert claim(out, "k2", True, names) == ["fits.csv", "manifest.json"]  # not notes.txt
    (out / "manifest.json").write_text(json.dumps(manifest | {"kind": "optimise"}), encoding="utf-8")
    for force in (False, True):
        with pytest.raises(CalibrateError, match="holds other results"):
            claim(out, "k1", force, names)
