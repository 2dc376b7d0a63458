"""break34: inputs a config accepted while the model read another value, and other faults of the
fourth break test (administrator, grant writer and researcher paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

import simiop
from simiop.config import ConfigError, load_config
from simiop.config.yamlio import parse_yaml
from tests.conftest import BASELINE
from tests.test_cli import run

# -- a number with a leading zero ------------------------------------------------------------------


def test_a_number_with_a_leading_zero_is_text_not_octal() -> None:
    """YAML 1.1 reads 045 as octal 37 (and 010 as 8): a day of year written 045 ran as day 37."""
    data = parse_yaml("a: 045\nb: 010\nc: 0\nd: 10\ne: -07\nf: 0.5\ng: 1_000\n")
    assert data == {"a": "045", "b": "010", "c": 0, "d": 10, "e": "-07", "f": 0.5, "g": 1000}


def test_a_leading_zero_in_a_number_field_is_one_line_naming_the_field(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace("peak_day_of_year: 290", "peak_day_of_year: 045")
    assert "peak_day_of_year: 045" in text
    config = tmp_path / "clinic.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.lines() == [
        f"{config}: referrals.sources.community.seasonality.peak_day_of_year: a number with a leading zero "
        "is ambiguous (YAML 1.1 reads it as octal) (got '045'; allowed a whole number without leading "
        "zeros, e.g. 45)"
    ]
    code, out, err = run("validate", str(BASELINE), "--set", "tracks.day.groups=010")
    assert code == 2, (out, err)
    assert err.splitlines() == [
        "command line: --set tracks.day.groups=010: tracks.day.groups: a number with a leading zero is "
        "ambiguous (YAML 1.1 reads it as octal) (got '010'; allowed a whole number without leading zeros, "
        "e.g. 10)"
    ]


def test_a_horizon_with_a_leading_zero_is_read_in_decimal() -> None:
    """horizon_days also takes durations as text ('3y'), so '0365' is 365 days (it was octal 245)."""
    config = simiop.load_config(BASELINE, changes={"simulation.horizon_days": parse_yaml("x: 0365")["x"]})
    assert config.simulation.horizon_days == 365


# -- sensitivity: integer: true with scale: true ------------------------------------------------------


def _spec(tmp_path: Path, inputs: str, method: str = "oat") -> Path:
    path = tmp_path / "sens.yaml"
    path.write_text(
        f"base: {BASELINE}\nmethod: {method}\nreplications: 2\nhorizon: 30d\n"
        f"kpis: [revenue_usd]\ninputs:\n{inputs}",
        encoding="utf-8",
    )
    return path


def test_a_scaled_whole_number_rounds_the_scaled_value_not_the_multiplier(tmp_path: Path) -> None:
    """scale 0.7 and 1.4 of 3 therapists are 2 and 4: the multiplier was rounded first (0.7 and 1.4 both
    to 1), so both ends ran the base's 3 therapists and the input showed no effect."""
    from simiop.sensitivity import read_study

    study = read_study(
        _spec(
            tmp_path,
            "  therapists: {paths: [staff.roles.therapist.count], scale: true, integer: true,"
            " low: 0.7, high: 1.4}\n",
        )
    )
    design = study.design()
    counts = [config.staff.roles["therapist"].count for config in study.point_configs(design)]
    assert design.labels == ("base", "therapists=low", "therapists=high")
    assert counts == [3, 2, 4]
    assert list(design.values[1:, 0]) == [0.7, 1.4]  # the multipliers, as design.csv records them


def test_a_scaled_list_of_whole_numbers_is_rounded_item_by_item(tmp_path: Path) -> None:
    """round() of a list was a TypeError traceback."""
    from simiop.sensitivity import read_study

    study = read_study(
        _spec(
            tmp_path,
            "  last_point: {paths: ['intake.show_rate_by_days_waited.points[3]'], scale: true, integer: true,"
            " low: 0.5, high: 1.5}\n",
        )
    )
    configs = study.point_configs(study.design())
    points = [config.intake.show_rate_by_days_waited.points[3] for config in configs]
    assert [tuple(point) for point in points] == [(30, 0.3), (15, 0), (45, 0)]


def test_a_whole_number_field_without_integer_true_says_how_to_fix_it(tmp_path: Path) -> None:
    """It said "wrong type (got 1; allowed a whole number)": 1.0 shown as 1, with no word of integer: true."""
    spec = _spec(tmp_path, "  groups: {paths: [tracks.day.groups], low: 1, high: 3}\n")
    code, out, err = run("sensitivity", str(spec), "--out", str(tmp_path / "out"), "-j", "1", "--no-report")
    assert code == 2, (out, err)
    assert err.splitlines() == [
        f"{spec}: inputs.groups at point groups=low: tracks.day.groups: wrong type (got 1; allowed a whole "
        "number: give the input integer: true to round its values)"
    ]
    assert not (tmp_path / "out").exists()


# -- simiop advise --precision nan ----------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["nan", "NaN", "-nan"])
def test_advise_refuses_a_precision_that_is_not_a_number(precision: str) -> None:
    """click's FloatRange let nan through, and the advice raised ValueError (a traceback)."""
    code, out, err = run("advise", str(BASELINE), "--kpi", "admissions", "--precision", precision)
    assert code == 2, (out, err)
    assert f"Invalid value for '--precision': {precision!r} is not a number in the range 0<x<=1." in err


# -- simiop app --runs that cannot be written ---------------------------------------------------------


def test_app_refuses_a_runs_folder_it_cannot_write_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It served the page, and every Run pressed failed there (OutputWriteError) instead."""
    from click.testing import CliRunner

    from simiop.cli import main

    def serve(*args: object, **kwargs: object) -> None:
        raise AssertionError("the page was served")

    monkeypatch.setattr("simiop.cli.app_command.subprocess.Popen", serve)

    blocker = tmp_path / "afile"
    blocker.write_text("mine\n", encoding="utf-8")
    runs = blocker / "runs"
    result = CliRunner().invoke(main, ["app", "--runs", str(runs), "--no-browser"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"command line: --runs {runs}: cannot be written ({blocker} is a file, not a folder) (allowed a "
        "folder simiop can write)"
    ]
    assert blocker.read_text(encoding="utf-8") == "mine\n"


# -- budget and export of an unfinished run ---------------------------------------------------------------


def test_budget_report_and_export_of_an_unfinished_run_say_to_finish_it_first(tmp_path: Path) -> None:
    """The line ended "..., then report" for simiop budget and simiop export too."""
    import json

    from simiop.experiments.manifest import MANIFEST

    out = tmp_path / "results"
    code, _, err = run("run", str(BASELINE), "--out", str(out), "-r", "1", "-j", "1", "--horizon", "10d")
    assert code == 0, err
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["status"] = "running"
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for command in (["budget"], ["report"], ["export", "--xlsx", str(tmp_path / "r.xlsx")]):
        code, out_text, err = run(command[0], str(out), *command[1:])
        assert code == 2, (command, out_text, err)
        assert err.splitlines() == [
            f"{out}: the run is not finished; run the same command again to finish it first"
        ], command


# -- calibrate --as-of long after the extract's last referral ----------------------------------------------


def test_an_as_of_long_after_the_last_referral_gets_a_note() -> None:
    """--as-of 2040-01-01 on an extract ending 2030-01-02 fitted the step-down rate at 0.53 a week instead of
    3.4, without a word: the referrals were spread over ten years more."""
    import datetime as dt

    from simiop.calibrate.extract import read_extract
    from simiop.calibrate.pipeline import quiet_before_as_of
    from tests.conftest import REPO

    path = REPO / "experiments" / "data" / "baseline_extract.csv"
    assert quiet_before_as_of(read_extract(path)) is None
    assert quiet_before_as_of(read_extract(path, dt.date(2030, 1, 8))) is None  # within its longest gap
    note = quiet_before_as_of(read_extract(path, dt.date(2040, 1, 1)))
    assert note is not None
    assert note.startswith(
        "referrals: none in the 3,651 days from the last one (2030-01-02) to the as-of date 2040-01-01, "
        "longer than any gap between referrals in the extract (at most 6 days)"
    )
    assert "check --as-of" in note


# -- settings the model does not read -------------------------------------------------------------------


def test_settings_the_model_does_not_read_are_warned_about() -> None:
    """cohort_weekdays under the rolling policy, and a caseload cap on the intake role, ran without a word
    although the model never reads them."""
    config = simiop.load_config(
        BASELINE,
        changes={
            "tracks.day.admission": {"policy": "rolling", "cohort_weekdays": ["mon"]},
            "staff.roles.intake_clinician.caseload_cap": 5,
        },
    )
    ignored = [line for line in config.warnings() if "nothing (got" in line]
    assert ignored == [
        "warning: tracks.day.admission.cohort_weekdays: read only by the cohort policy; policy rolling admits "
        "on any programme day, so these days change nothing (got ['mon']; allowed policy: cohort to admit on "
        "these days only, or leave cohort_weekdays out)",
        "warning: staff.roles.intake_clinician.caseload_cap: intake_clinician leads no track's groups, and "
        "only a track's facilitator role carries primary patients, so this cap changes nothing (got 5; "
        "allowed a cap on a facilitator role (evening_therapist, therapist), or leave it out)",
    ]
    cohort = simiop.load_config(
        BASELINE, changes={"tracks.day.admission": {"policy": "cohort", "cohort_weekdays": ["mon"]}}
    )
    assert not [line for line in cohort.warnings() if "nothing (got" in line]
    assert not [line for line in simiop.load_config(BASELINE).warnings() if "nothing (got" in line]


# -- simiop budget --scenario '' -----------------------------------------------------------------------------


def test_budget_of_an_empty_scenario_name_is_refused_not_the_base(tmp_path: Path) -> None:
    """--scenario '' budgeted the base without a word (an empty name was taken for no name), where
    simiop export-extract --scenario '' is refused."""
    out = tmp_path / "results"
    code, _, err = run(
        "run", str(BASELINE), "--out", str(out), "-r", "1", "-j", "1", "--horizon", "10d", "--no-report"
    )
    assert code == 0, err
    code, text, err = run("budget", str(out), "--scenario", "")
    assert code == 2, (text, err)
    assert err.splitlines() == ["--scenario: no scenario ''; scenarios are base"]
    assert text == ""
