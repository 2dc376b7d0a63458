"""Reports: every figure drawn and saved, a self-contained page, a headline that agrees with the tables."""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ElementTree
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from simiop.config import ConfigError
from simiop.experiments.manifest import MANIFEST, read_manifest
from simiop.experiments.owned import record_report_files, report_files
from simiop.report.build import build_report
from simiop.report.data import _kpi_values, number, read_rows
from simiop.report.experiment_figures import grid_factors
from simiop.results.budget import budget_of_folder, table_rows
from simiop.results.labels import PATIENT_FLOW
from tests.conftest import BASELINE
from tests.test_cli import run

RUN_FIGURES = {
    "census_by_track",
    "waits_over_time",
    "referral_funnel",
    "stays_and_discharges",
    "attendance",
    "staff",
    "groups",
    "ramp_up",
}
EXPERIMENT_FIGURES = {"kpis_by_scenario", "differences_from_base", "heat_map"}

GRID = f"""
description: two factors for the heat map
base: {BASELINE}
replications: 3
horizon: 120d
grid:
  therapists:
    paths: [staff.roles.therapist.count]
    levels: [2, 3]
  cap:
    paths: [tracks.day.group_size.max]
    levels: [8, 12]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    code, stdout, err = run(
        "run", str(BASELINE), "-r", "3", "--horizon", "400d", "-j", "1", "--out", str(out)
    )
    assert code == 0, err
    assert f"report: {out / 'report.html'}" in stdout
    return out


@pytest.fixture(scope="module")
def experiment_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-experiment")
    spec = folder / "grid.yaml"
    spec.write_text(GRID, encoding="utf-8")
    code, _, err = run("experiment", str(spec), "-j", "1", "--out", str(folder / "out"))
    assert code == 0, err
    return folder / "out"


class _Resources(HTMLParser):
    """Every URL the page would load (src, link href, CSS url()) and every link it offers."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        self._in_style = tag == "style"
        for name in ("src", "srcset", "poster", "data"):
            if values.get(name):
                self.loads.append(str(values[name]))
        if tag == "link" and values.get("href"):
            self.loads.append(str(values["href"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if values.get("style"):
            self.loads += re.findall(r"url\(([^)]*)\)", str(values["style"]))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.loads += re.findall(r"url\(([^)]*)\)", data)
            self.loads += re.findall(r"@import\s+([^;]+)", data)


def resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


def figure_names(out: Path) -> set[str]:
    return {path.stem for path in (out / "figures").glob("*.png")}


def check_figures(out: Path, expected: set[str]) -> None:
    assert figure_names(out) == expected
    for name in expected:
        png = (out / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), name
        assert len(png) > 5_000, name
        svg = ElementTree.fromstring((out / "figures" / f"{name}.svg").read_bytes())
        assert svg.tag.endswith("svg"), name
        rows = read_rows(out / "figures" / f"{name}.csv")
        assert rows, f"{name}.csv holds no data"


def test_run_report_draws_every_figure_with_its_data(run_dir: Path) -> None:
    check_figures(run_dir, RUN_FIGURES)


def test_experiment_report_draws_the_experiment_figures_and_the_base_in_detail(experiment_dir: Path) -> None:
    check_figures(experiment_dir, RUN_FIGURES | EXPERIMENT_FIGURES)
    heat = read_rows(experiment_dir / "figures" / "heat_map.csv")
    summary = {(r["scenario"], r["kpi"]): r["mean"] for r in read_rows(experiment_dir / "summary.csv")}
    for row in heat:  # every heat-map cell is that scenario's mean in summary.csv
        assert float(row["mean"]) == pytest.approx(float(summary[(row["scenario"], row["kpi"])]), abs=1e-3)
    assert len({row["scenario"] for row in heat}) == 4


@pytest.mark.parametrize("folder", ["run_dir", "experiment_dir"])
def test_page_loads_nothing_from_outside_and_links_each_figure_to_its_csv(
    folder: str, request: pytest.FixtureRequest
) -> None:
    out: Path = request.getfixturevalue(folder)
    html = (out / "report.html").read_text(encoding="utf-8")
    found = resources(html)
    assert found.loads, "the page embeds its figures"
    assert all(url.startswith("data:image/png;base64,") for url in found.loads), found.loads
    assert "script" not in found.tags
    assert "iframe" not in found.tags
    for link in found.links:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", link), f"absolute link {link}"
        assert (out / link).is_file(), f"link to a missing file {link}"
    for name in figure_names(out):
        assert f'href="figures/{name}.csv"' in html


def test_page_states_what_was_run(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    manifest = read_manifest(run_dir)
    plan = manifest["plan"]
    assert f"<td>seed</td><td>{plan['seed']}</td>" in html
    assert f"<td>{plan['replications']} per scenario</td>" in html
    assert f"<td>{manifest['versions']['simiop']}</td>" in html
    assert "run &#x27;baseline&#x27;" in html


def _formatted(value: str, form: str) -> str:
    return form.format(float(value))


def test_headline_numbers_are_the_tables_numbers(run_dir: Path) -> None:
    report = build_report(run_dir)
    headline = " ".join(report.headline)
    summary = {r["kpi"]: r for r in read_rows(run_dir / "summary.csv") if r["scenario"] == "base"}
    config = read_manifest(run_dir)["plan"]["scenarios"][0]["config"]
    facilitators = {t["facilitator_role"] for t in config["tracks"].values() if t["enabled"]}
    staffing = [
        f"{config['staff']['roles'][role]['count']} {role.replace('_', ' ')}" for role in facilitators
    ]
    served = next(
        r
        for r in read_rows(run_dir / "projections.csv")
        if r["period_kind"] == "programme_year"
        and r["period"] == "Year 1"
        and r["metric"] == "unduplicated_patients_served"
    )
    expected = [
        f"serve {_formatted(served['mean'], '{:,.0f}')} people "
        f"(95% outcome range {_formatted(served['outcome95_low'], '{:,.0f}')} "
        f"to {_formatted(served['outcome95_high'], '{:,.0f}')}) in its first year",
        "median wait from referral to admission is "
        + _formatted(summary["wait_referral_to_admission_days_median"]["mean"], "{:.1f}")
        + " days (95% outcome range "
        + _formatted(summary["wait_referral_to_admission_days_median"]["outcome95_low"], "{:.1f}"),
        "revenue is " + _formatted(summary["revenue_usd"]["mean"], "${:,.0f}"),
        *staffing,
        "at opening",
    ]
    for phrase in expected:
        assert phrase in headline, (phrase, headline)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert html.count('class="headline"') == 1
    assert headline.replace("'", "&#x27;") in html


def test_patient_flow_table_shows_the_flow_kpis_of_summary_csv(run_dir: Path) -> None:
    """The report's patient-flow table (issue 19): each row is summary.csv's mean of that KPI."""
    build_report(run_dir)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    section = html.split("<h2>Patient flow</h2>", 1)[1].split("<h2>", 1)[0]
    summary = {r["kpi"]: r for r in read_rows(run_dir / "summary.csv") if r["scenario"] == "base"}
    for kpi, label, form in PATIENT_FLOW:
        assert kpi in summary, kpi
        mean = float(summary[kpi]["mean"])
        assert f"<td>{label}</td>" in section, label
        if math.isfinite(mean):
            assert _formatted(summary[kpi]["mean"], form) in section, (kpi, mean)
    assert float(summary["no_starts"]["mean"]) > 0  # the calibrated baseline has no-starts
    assert float(summary["warm_handoffs"]["mean"]) > 0


def test_budget_section_is_the_budget_command_s_table(run_dir: Path) -> None:
    """The report's Budget section holds the lines `simiop budget` prints, with its assumptions (issue 20)."""
    build_report(run_dir)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    section = html.split("<h2>Budget</h2>", 1)[1].split("<h2>", 1)[0]
    budget = budget_of_folder(run_dir)
    for heading in budget.headings:
        assert f"<th>{heading}</th>" in section, heading
    _, *rows = table_rows(budget)
    for row in rows:
        label = escape(row[0].strip())
        first = f'<span class="sub">{label}</span>' if row[0].startswith(" ") else label  # indented parts
        cells = [first, *(escape(c) for c in row[1:])]
        assert "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" in section, row[0]
    assert any(row[0].startswith("Net surplus") for row in rows)
    assert '<span class="sub">of which per-diem cover (no fringe)</span>' in section
    assert escape(budget.assumptions) in section


def test_experiment_headline_names_a_scenario_the_comparison_supports(experiment_dir: Path) -> None:
    report = build_report(experiment_dir)
    headline = " ".join(report.headline)
    assert "4 scenarios" not in headline  # the grid's four cells plus the base
    assert "5 scenarios were each simulated 3 times" in headline
    comparison = read_rows(experiment_dir / "comparison.csv")
    for match in re.finditer(r"'([^']+)' (serves the most people|has the shortest median wait)", headline):
        name = match.group(1)
        kpi = (
            "unduplicated_patients_served"
            if "serves" in match.group(2)
            else "wait_referral_to_admission_days_median"
        )
        row = next(r for r in comparison if r["scenario"] == name and r["kpi"] == kpi)
        assert row["direction"] == ("higher" if "serves" in match.group(2) else "lower")


def test_the_same_folder_gives_the_same_report_bytes(run_dir: Path) -> None:
    before = {
        p.name: p.read_bytes() for p in [run_dir / "report.html", *sorted((run_dir / "figures").iterdir())]
    }
    build_report(run_dir)
    after = {
        p.name: p.read_bytes() for p in [run_dir / "report.html", *sorted((run_dir / "figures").iterdir())]
    }
    assert before == after


def test_no_report_then_report_command(tmp_path: Path) -> None:
    out = tmp_path / "quiet"
    code, stdout, err = run(
        "run",
        str(BASELINE),
        "-r",
        "2",
        "--horizon",
        "60d",
        "-j",
        "1",
        "--tables",
        "none",
        "--no-report",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "report:" not in stdout
    assert not (out / "report.html").exists()
    assert not (out / "figures").exists()
    manifest_before = (out / MANIFEST).read_bytes()
    code, stdout, err = run("report", str(out))
    assert code == 0, err
    assert (out / "report.html").is_file()
    # Without daily/episodes tables the time series cannot be drawn; the report says so rather than hiding it.
    assert "not drawn: Census by track against seats: needs daily.csv" in stdout
    assert figure_names(out) == {"referral_funnel", "staff", "ramp_up"}
    assert "Not drawn:" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / MANIFEST).read_bytes() == manifest_before


def test_report_of_a_folder_that_is_not_a_finished_result_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = run("report", str(tmp_path))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "no manifest" in err
    assert str(tmp_path) in err
    out = tmp_path / "unfinished"
    assert (
        run("run", str(BASELINE), "-r", "1", "--horizon", "20d", "-j", "1", "--no-report", "--out", str(out))[
            0
        ]
        == 0
    )
    manifest = (
        (out / MANIFEST).read_text(encoding="utf-8").replace('"status": "complete"', '"status": "running"')
    )
    (out / MANIFEST).write_text(manifest, encoding="utf-8")
    code, _, err = run("report", str(out))
    assert code == 2
    assert "not finished" in err
    assert "Traceback" not in err


def test_stale_figures_from_an_earlier_build_are_removed(run_dir: Path) -> None:
    stale = run_dir / "figures" / "old_figure.png"
    stale.write_bytes(b"old")
    record_report_files(run_dir, [*report_files(run_dir), "figures/old_figure.png"])  # an earlier build's
    build_report(run_dir)
    assert not stale.exists()


def test_grid_factors_parse_scenario_names() -> None:
    names = ["base", "fewer_seats", "a=1,b=x", "a=1,b=y", "a=2,b=x", "a=2,b=y"]
    assert grid_factors(names) == {"a": ["1", "2"], "b": ["x", "y"]}


def test_a_cell_table_s_columns_are_numbers_with_nan_for_empty_cells_or_else_text(tmp_path: Path) -> None:
    """The report's reader of a cell's table (report/data.py ``_columns``): a column whose every cell is a
    number (or empty, read NaN) is a float array; any other is an object array of its texts."""
    import math

    from simiop.report.data import _columns

    path = tmp_path / "daily.csv"
    path.write_text("day,track,hours,mixed\n0,day,1.5,3\n1,evening,,n/a\n", encoding="utf-8")
    found = _columns(path, ("hours", "track", "day", "mixed"))
    assert found["day"].dtype == float
    assert found["day"].tolist() == [0.0, 1.0]
    assert found["hours"][0] == 1.5
    assert math.isnan(found["hours"][1])
    assert found["track"].dtype == object
    assert found["track"].tolist() == ["day", "evening"]
    assert found["mixed"].tolist() == ["3", "n/a"]


def test_kpis_csv_is_read_as_the_dict_reader_read_it(tmp_path: Path) -> None:
    """The folder's KPI values, read as plain rows: per (scenario, kpi) in file order, '' and 'nan' as NaN,
    a blank line skipped, a short row's missing value NaN; the same as read_rows (a dict per row) gives."""
    path = tmp_path / "kpis.csv"
    path.write_text(
        "scenario,replication,kpi,value\n"
        "base,0,referrals,12\nbase,0,wait,nan\n\nbase,1,referrals,14.5\nbase,1,wait,\n"
        "more,0,referrals,1e-05\n",
        encoding="utf-8",
    )
    found = _kpi_values(path)
    expected: dict[tuple[str, str], list[float]] = {}
    for row in read_rows(path):
        expected.setdefault((row["scenario"], row["kpi"]), []).append(number(row["value"]))
    assert list(found) == list(expected) == [("base", "referrals"), ("base", "wait"), ("more", "referrals")]
    assert found[("base", "referrals")] == expected[("base", "referrals")] == [12.0, 14.5]
    assert found[("more", "referrals")] == [1e-05]
    assert all(math.isnan(value) for value in found[("base", "wait")])
    assert len(found[("base", "wait")]) == 2
    path.write_text("scenario,replication,kpi,value\nbase,0,referrals\n", encoding="utf-8")
    assert all(math.isnan(value) for value in _kpi_values(path)[("base", "referrals")])


@pytest.mark.parametrize(
    ("text", "missing"),
    [("", "scenario, kpi, value"), ("scenario,replication,kpi,valu\nbase,0,referrals,12\n", "value")],
)
def test_a_damaged_kpis_csv_is_one_line_naming_the_file_and_its_missing_columns(
    run_dir: Path, tmp_path: Path, text: str, missing: str
) -> None:
    """An emptied kpis.csv, or one whose header lost a column, was a traceback (ValueError: 'value' is
    not in list) in `simiop report`; it is one line naming the file and the columns, exit 2."""
    path = tmp_path / "kpis.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        _kpi_values(path)
    assert caught.value.lines() == [f"{path}: missing column(s) {missing}; was it written by simiop?"]
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    (folder / "kpis.csv").write_text(text, encoding="utf-8")
    code, _, err = run("report", str(folder))
    assert code == 2
    assert err.strip() == f"{folder / 'kpis.csv'}: missing column(s) {missing}; was it written by simiop?"


@pytest.mark.parametrize("name", ["summary.csv", "projections.csv"])
def test_a_damaged_summary_or_projections_csv_is_one_line_naming_the_file(
    run_dir: Path, tmp_path: Path, name: str
) -> None:
    """summary.csv with a lost column was a KeyError traceback, and a cell that is not a number a
    ValueError; each is now one line naming the file, exit 2."""
    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    path = folder / name
    original = path.read_text(encoding="utf-8")
    header, first, *rest = original.splitlines(keepends=True)
    path.write_text(header.replace("ci95_low", "low"), encoding="utf-8")  # header only, a column renamed
    code, _, err = run("report", str(folder))
    assert code == 2
    assert err.strip() == f"{path}: missing column(s) ci95_low; was it written by simiop?"
    names = header.rstrip("\r\n").split(",")
    cells = first.rstrip("\r\n").split(",")
    cells[names.index("mean")] = "lots"
    path.write_text(header + ",".join(cells) + "\n" + "".join(rest), encoding="utf-8")
    code, _, err = run("report", str(folder))
    assert code == 2
    assert err.strip().startswith(f"{path}: could not convert string to float: 'lots'")
    assert len(err.strip().splitlines()) == 1
