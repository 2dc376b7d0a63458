"""Every page of the web app, in-process with Streamlit's AppTest: edit, run, cancel, results, compare, download."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

_BACKEND = os.environ.get("MPLBACKEND")
pytest.importorskip("streamlit")  # the app extra (in dev, so CI runs these)
# Importing streamlit sets MPLBACKEND=Agg for the whole process (streamlit/__init__.py), and every later
# subprocess of the test session would inherit it: the notebooks' kernels then show no figures.
if _BACKEND is None:
    os.environ.pop("MPLBACKEND", None)
else:
    os.environ["MPLBACKEND"] = _BACKEND

from streamlit.testing.v1 import AppTest  # noqa: E402

from simiop.app import pages  # noqa: E402
from simiop.app.editing import yaml_text  # noqa: E402
from simiop.cli import main  # noqa: E402

SCRIPT = str(Path(pages.__file__).with_name("main.py"))


@pytest.fixture(scope="module", autouse=True)
def runs_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One job manager for the module's apps (the server's is shared by its sessions), in a fresh folder."""
    folder = tmp_path_factory.mktemp("app-runs")
    before = {name: os.environ.get(name) for name in (pages.RUNS_ENV, pages.WORKERS_ENV)}
    os.environ[pages.RUNS_ENV], os.environ[pages.WORKERS_ENV] = str(folder), "2"
    pages.manager.clear()
    yield folder
    pages.manager().close()
    pages.manager.clear()
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def app() -> AppTest:
    return AppTest.from_file(SCRIPT, default_timeout=60).run()


def page(at: AppTest, name: str) -> AppTest:
    return at.sidebar.radio(key="page").set_value(name).run()


def texts(elements: object) -> list[str]:
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]


def version(at: AppTest) -> int:
    return int(at.session_state.version)


def run_until(at: AppTest, done: str, seconds: float = 90) -> AppTest:
    """Rerun the page (as its polling fragment does) until a success/warning/error containing ``done``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = texts(at.success) + texts(at.warning) + texts(at.error)
        if any(done in text for text in shown):
            return at
        time.sleep(0.3)
        at.run()
    raise AssertionError(f"never showed {done!r}: {shown}")


def start_run(at: AppTest, duration: str, replications: int) -> AppTest:
    at = page(at, "Run")
    at.radio(key="way").set_value("a duration").run()
    at.text_input(key="duration").set_value(duration).run()
    at.number_input(key="replications").set_value(replications).run()
    return at.button(key="run").click().run()


def test_clinic_page_edits_fields_and_saves_yaml_that_validate_accepts(tmp_path: Path) -> None:
    at = app()
    assert not at.exception
    assert at.number_input(key=f"{version(at)}:referrals.volume").value == 1.0
    assert at.number_input(key=f"{version(at)}:tracks.day.groups").help  # from the config reference
    at.number_input(key=f"{version(at)}:referrals.volume").set_value(2.0).run()
    at.number_input(key=f"{version(at)}:staff.roles.therapist.count").set_value(4).run()
    at.text_input(key=f"{version(at)}:staff.roles.therapist.hires").set_value("2027-06-01 x 2").run()
    at.number_input(key=f"{version(at)}:slots.sat").set_value(2).run()
    assert not at.exception
    assert not at.error
    saved = tmp_path / "edited.yaml"
    saved.write_text(yaml_text(at.session_state.data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(saved)])
    assert result.exit_code == 0, result.output
    text = saved.read_text(encoding="utf-8")
    assert "volume: 2.0" in text
    assert "- {weekday: sat, start_time: '09:00'}" in text


def test_an_invalid_combination_shows_simiop_validates_line_by_the_field(tmp_path: Path) -> None:
    at = app()
    at.number_input(key=f"{version(at)}:tracks.day.group_size.min").set_value(13).run()
    assert not at.exception
    saved = tmp_path / "clinic.yaml"
    saved.write_text(yaml_text(at.session_state.data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(saved)])
    assert result.exit_code == 2
    expected = result.output.strip().replace(str(saved), "clinic.yaml")
    assert expected in texts(at.error)
    assert "Save config YAML" not in [button.proto.label for button in at.get("download_button")]


def test_importing_the_app_leaves_the_matplotlib_backend_alone() -> None:
    assert os.environ.get("MPLBACKEND") == _BACKEND


def test_a_shipped_config_can_be_loaded() -> None:
    at = app()
    at.selectbox(key="shipped").set_value("small_day_only.yaml").run()
    at.button(key="load_shipped").click().run()
    assert at.session_state.source == "small_day_only.yaml"
    assert version(at) == 2
    assert not at.exception


def test_run_shows_progress_then_results_and_downloads() -> None:
    at = start_run(app(), "30", 2)
    at = run_until(at, "Done: 2 replications")
    at = page(at, "Results")
    assert not at.exception
    assert at.markdown  # the headline and the limits
    assert len(at.dataframe) >= 2  # the KPIs and the fiscal-year projections
    assert any("Census" in text for text in texts(at.subheader))
    at = page(at, "Download")
    labels = [element.proto.label for element in at.get("download_button")]
    assert labels == ["Config YAML", "report.html", "Result folder (zip)", "Excel workbook"]
    again = start_run(app(), "30", 2)  # another session, the same request
    again = run_until(again, "Answered from results on disk")


def test_cancel_stops_a_long_run() -> None:
    at = start_run(app(), "3y", 20)
    assert at.button(key="cancel_run_job")
    at.button(key="cancel_run_job").click().run()
    at = run_until(at, "Cancelled")
    assert not at.exception


def test_compare_runs_scenarios_with_common_random_numbers() -> None:
    at = page(app(), "Compare")
    at.text_input(key="scenario_name").set_value("baseline").run()
    at.button(key="save_scenario").click().run()
    at = page(at, "Clinic")
    at.number_input(key=f"{version(at)}:referrals.volume").set_value(2.0).run()
    at = page(at, "Compare")
    at.text_input(key="scenario_name").set_value("referrals_x2").run()
    at.button(key="save_scenario").click().run()
    assert any("referrals.volume" in text for text in texts(at.markdown))
    at.radio(key="compare_way").set_value("a duration").run()
    at.text_input(key="compare_duration").set_value("30").run()
    at.number_input(key="compare_replications").set_value(2).run()
    at.button(key="compare").click().run()
    at = run_until(at, "Done: 4 replications")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["scenario"]) == {"referrals_x2"}
    verdicts = dict(zip(table["KPI"], table["for the clinic"], strict=True))
    assert set(verdicts.values()) <= {"better", "worse", "unclear", "neutral"}
    assert verdicts["referrals"] == "neutral"  # more referrals are neither better nor worse (directions.py)
    served = float(table.loc[table["KPI"] == "unduplicated_patients_served", "difference"].iloc[0])
    # twice the referrals serve more people (or no fewer, within the paired interval): never "worse"
    assert verdicts["unduplicated_patients_served"] in ("better", "unclear")
    assert served > 0 or verdicts["unduplicated_patients_served"] == "unclear"
    assert float(table.loc[table["KPI"] == "referrals", "difference"].iloc[0]) > 0
