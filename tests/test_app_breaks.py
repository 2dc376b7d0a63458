"""Breaks found by trying the web app as a new user would (issue 21), each pinned by a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simiop.app.editing import yaml_text as pages_yaml
from simiop.app.jobs import CompareRequest
from simiop.cli import main
from simiop.config import load_config
from tests.conftest import BASELINE
from tests.test_app_pages import app, page, texts, version  # skips without streamlit; restores MPLBACKEND


def test_a_problem_about_a_section_is_shown_once_as_validate_prints_it(tmp_path: Path) -> None:
    at = app()
    for track in ("day", "evening"):
        at.toggle(key=f"{version(at)}:tracks.{track}.enabled").set_value(False).run()
    assert not at.exception
    saved = tmp_path / "clinic.yaml"
    saved.write_text(pages_yaml(at.session_state.data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(saved)])
    assert result.exit_code == 2
    expected = result.output.strip().replace(str(saved), "clinic.yaml")
    assert texts(at.error).count(expected) == 1


def test_a_hire_on_no_calendar_day_shows_simiop_validates_line(tmp_path: Path) -> None:
    at = app()
    at.text_input(key=f"{version(at)}:staff.roles.therapist.hires").set_value("2027-13-01 x 2").run()
    assert not at.exception
    saved = tmp_path / "clinic.yaml"
    saved.write_text(pages_yaml(at.session_state.data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(saved)])
    assert result.exit_code == 2
    expected = result.output.strip().replace(str(saved), "clinic.yaml")
    assert len(expected.splitlines()) == 1
    assert expected in texts(at.error)


def test_a_duration_past_the_longest_run_is_refused_under_the_field_as_the_command_line_does(
    tmp_path: Path,
) -> None:
    at = page(app(), "Run")
    at.radio(key="way").set_value("a duration").run()
    at.text_input(key="duration").set_value("500y").run()
    assert not at.exception
    cli = CliRunner().invoke(main, ["run", str(BASELINE), "--horizon", "500y", "--out", str(tmp_path / "o")])
    assert cli.exit_code == 2
    expected = cli.output.strip().splitlines()[-1].replace("command line: --horizon 500y", "Duration 500y")
    assert texts(at.error) == [expected]
    assert not [button for button in at.button if button.key == "run"]  # nothing to run until it is fixed


def test_a_scenario_name_that_is_a_path_is_refused_and_never_reaches_the_job_manager() -> None:
    at = page(app(), "Compare")
    at.text_input(key="scenario_name").set_value("../../escaped x2").run()
    at.button(key="save_scenario").click().run()
    assert not at.exception
    assert at.session_state.scenarios == {}
    (line,) = texts(at.error)
    assert line.startswith("Scenario name: '../../escaped x2' is not a scenario name")
    assert line.endswith("e.g. escaped_x2)")
    config = load_config(BASELINE)
    with pytest.raises(ValueError, match="is not a scenario name"):
        CompareRequest((("base", config), ("../x", config)), "base", 1, 1)


def test_the_comparison_table_colours_better_and_worse_as_the_forest_plot_does() -> None:
    from simiop.app.pages import comparison_table
    from simiop.report.experiment_figures import VERDICT_COLOURS

    def row(kpi: str, direction: str) -> dict[str, str]:
        return {
            "scenario": "x",
            "kpi": kpi,
            "direction": direction,
            "difference_mean": "1",
            "ci95_low": "0.5",
        }

    rows = [
        row("wait_referral_to_admission_days_median", "higher"),
        row("revenue_usd", "higher"),
        row("referrals", "higher"),
    ]
    rows = [{**r, "ci95_high": "1.5"} for r in rows]
    html = comparison_table(rows).to_html()
    verdicts = list(comparison_table(rows).data["for the clinic"])
    assert verdicts == ["worse", "better", "neutral"]
    assert f"background-color: {VERDICT_COLOURS['worse']}" in html
    assert f"background-color: {VERDICT_COLOURS['better']}" in html
    assert html.count("background-color") == 2  # neutral and unclear stay plain


def test_app_refuses_a_port_in_use_in_one_line_before_printing_an_address() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["app", "--no-browser", "--port", str(port)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"command line: --port {port}: cannot serve on 127.0.0.1:{port}")
