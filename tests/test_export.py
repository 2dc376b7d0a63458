"""simiop export --xlsx: a workbook whose every value equals the result folder's CSV files, or a one-line refusal."""

from __future__ import annotations

import datetime as dt
import errno
import importlib.metadata
import json
import math
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from simiop import __version__
from simiop.experiments.manifest import MANIFEST
from simiop.export.sheets import (
    SHEETS,
    ExportSource,
    Sheet,
    cell,
    flatten,
    projection_sheet,
    read_source,
    summary_sheet,
    unit_of,
    workbook_sheets,
)
from simiop.report.data import load, read_rows
from simiop.results.budget import budget_of_folder
from simiop.results.periods import FISCAL_YEAR
from simiop.results.projections import PERIOD_FACTS
from tests.conftest import BASELINE, REPO
from tests.test_cli import run

TEXT = {"scenario", "kpi", "metric", "compared_with", "direction", "period_kind", "period", "better"}

EXPERIMENT = f"""
description: two therapist counts
base: {BASELINE}
grid:
  therapists:
    paths: [staff.roles.therapist.count]
    levels: [3, 4]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    code, _, err = run(
        "run", str(BASELINE), "-r", "2", "--horizon", "60d", "-j", "1", "--no-report", "--out", str(out)
    )
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def experiment_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export-experiment")
    spec = folder / "therapists.yaml"
    spec.write_text(EXPERIMENT, encoding="utf-8")
    out = folder / "out"
    code, _, err = run(
        "experiment", str(spec), "-r", "2", "--horizon", "60d", "-j", "1", "--no-report", "--out", str(out)
    )
    assert code == 0, err
    return out


def export(folder: Path, workbook: Path, *extra: str) -> tuple[int, str, str]:
    return run("export", str(folder), "--xlsx", str(workbook), *extra)


def exported(folder: Path, tmp_path: Path) -> openpyxl.Workbook:
    workbook = tmp_path / "results.xlsx"
    code, out, err = export(folder, workbook)
    assert (code, err) == (0, "")
    assert out.startswith(f"workbook: {workbook} (")
    return openpyxl.load_workbook(workbook)


def values(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def expect(column: str, text: str, found: Any) -> None:
    """One CSV cell against the workbook's: empty for nan, text for names, dates as dates, else a number."""
    where = f"{column}={text!r}, found {found!r}"
    if text in ("", "nan"):
        assert found is None, where
    elif column in TEXT:
        assert found == text, where
    elif column in ("start_date", "end_date"):
        assert isinstance(found, dt.datetime), where
        assert found.date() == dt.date.fromisoformat(text), where
    else:
        try:
            number = float(text)
        except ValueError:  # a flag or note a later simiop may add: text as it is
            assert found == text, where
            return
        if math.isinf(number):  # no spreadsheet number for it
            assert found == text, where
            return
        assert isinstance(found, (int, float)), where
        assert not isinstance(found, bool), where
        assert found == number, where


def check_long(sheet: Worksheet, rows: list[dict[str, str]]) -> None:
    """A long sheet is its CSV file, row for row, with a unit column after the KPI."""
    table = values(sheet)
    columns = list(rows[0])
    header = list(table[0])
    assert header == [*columns[: columns.index("kpi") + 1], "unit", *columns[columns.index("kpi") + 1 :]]
    assert len(table) == len(rows) + 1
    for row, found in zip(rows, table[1:], strict=True):
        by_name = dict(zip(header, found, strict=True))
        assert by_name["unit"] == unit_of(row["kpi"])
        for column in columns:
            expect(column, row[column], by_name[column])


def check_layout(book: openpyxl.Workbook) -> None:
    """Every sheet: header row frozen, no merged cell, widths set within limits."""
    for sheet in book.worksheets:
        assert sheet.freeze_panes is not None, sheet.title
        assert sheet["A1"].font.b, sheet.title
        assert coordinate_from_string(sheet.freeze_panes)[1] == 2, sheet.title
        assert not sheet.merged_cells.ranges, sheet.title
        widths = [sheet.column_dimensions[letter].width for letter in ("A", "B")]
        assert all(8 <= width <= 61 for width in widths), (sheet.title, widths)


def check_no_number_as_text(book: openpyxl.Workbook, names: list[str]) -> None:
    for name in names:
        for row in values(book[name])[1:]:
            for value in row:
                if isinstance(value, str):  # a number written as text would parse
                    with pytest.raises(ValueError, match="could not convert string to float"):
                        float(value)


def check_projections(sheet: Worksheet, rows: list[dict[str, str]], kind: str) -> None:
    table = values(sheet)
    header = list(table[0])
    assert header[:4] == ["scenario", "metric", "unit", "statistic"]
    mine = [row for row in rows if row["period_kind"] == kind]
    assert header[4:] == list(dict.fromkeys(row["period"] for row in mine))
    index = {(r[0], r[1], r[3]): r for r in table[1:]}
    statistics = [c for c in mine[0] if c not in {"scenario", "metric", "period_kind", "period"}]
    checked = 0
    for row in mine:
        at = header.index(row["period"])
        for column in statistics:
            key = (row["scenario"], "period" if column in PERIOD_FACTS else row["metric"], column)
            found = index[key][at]
            expect(column, row[column], found)
            checked += 1
    assert checked == len(mine) * len(statistics)
    mean_rows = [r for r in table[1:] if r[3] == "mean"]
    assert {r[1] for r in mean_rows} == {row["metric"] for row in mine}
    assert all(r[2] == unit_of(r[1]) for r in mean_rows)


def check_kpis(sheet: Worksheet, rows: list[dict[str, str]]) -> None:
    table = values(sheet)
    header = list(table[0])
    assert header[:3] == ["scenario", "kpi", "unit"]
    index = {(r[0], r[1]): r for r in table[1:]}
    assert len(index) == len(table) - 1 == len({(row["scenario"], row["kpi"]) for row in rows})
    for row in rows:
        expect(
            "value",
            row["value"],
            index[row["scenario"], row["kpi"]][header.index(f"replication {row['replication']}")],
        )


def readme(book: openpyxl.Workbook) -> dict[str, Any]:
    table = values(book["README"])
    assert table[0] == ("item", "value")
    return {item: value for item, value in table[1:]}


def test_run_workbook_equals_the_csv_files(run_dir: Path, tmp_path: Path) -> None:
    book = exported(run_dir, tmp_path)
    assert book.sheetnames == [
        "README",
        "Summary",
        "Projections",
        "Budget",
        "KPIs",
        "Projections by quarter",
        "Projections by month",
        "Projections by year open",
        "Inputs",
    ]
    check_layout(book)
    check_no_number_as_text(book, ["Summary", "Projections", "KPIs", "Projections by month"])
    check_long(book["Summary"], read_rows(run_dir / "summary.csv"))
    projections = read_rows(run_dir / "projections.csv")
    check_projections(book["Projections"], projections, "fiscal_year")
    check_projections(book["Projections by month"], projections, "month")
    check_projections(book["Projections by quarter"], projections, "quarter")
    check_projections(book["Projections by year open"], projections, "programme_year")
    check_kpis(book["KPIs"], read_rows(run_dir / "kpis.csv"))
    check_budget(book["Budget"], run_dir)


def check_budget(sheet: Any, out: Path) -> None:
    """The Budget sheet is `simiop budget`'s table: each line's mean per fiscal year and Total, and an
    interval row only for a line that varies across replications."""
    table = values(sheet)
    budget = budget_of_folder(out)
    assert table[0] == ("scenario", "line", "unit", "statistic", *budget.headings)
    rows = {(row[1], row[3]): row[4:] for row in table[1:]}
    for line in budget.rows:
        means = [None if math.isnan(cell.mean) else cell.mean for cell in line.cells]
        assert list(rows[(line.label, "mean")]) == pytest.approx(means), line.label
        varies = any(cell.varies for cell in line.cells)
        assert ((line.label, "range_low") in rows) == varies, line.label
    assert any(statistic == "range_high" for _, statistic in rows)  # revenue varies


def test_provenance_sheet(run_dir: Path, tmp_path: Path) -> None:
    book = exported(run_dir, tmp_path)
    manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    items = readme(book)
    assert items["created from folder"] == str(run_dir.resolve())
    assert items["command"] == shlex.join(manifest["command"])
    assert items["seed"] == manifest["plan"]["seed"]
    assert items["replications"] == 2
    assert items["kind"] == "run"
    assert items["scenarios"] == "base"
    assert (
        items["scenario: base"] == "changes from the config file: simulation.horizon_days=60.0"
    )  # --horizon
    assert items["exported by simiop"] == __version__
    assert items["metric: revenue_usd"].startswith("revenue earned")
    columns = set(read_rows(run_dir / "summary.csv")[0])
    assert "column: ci95_low, ci95_high" in items
    assert ("column: outcome95_low, outcome95_high" in items) == ("outcome95_low" in columns)
    assert items["run finished (UTC)"] == manifest["finished"]
    for library, version in manifest["versions"].items():
        assert items[f"version: {library}"] == version
    assert [item for item in items if item.startswith("sheet: ")] == [
        f"sheet: {n}" for n in book.sheetnames[1:]
    ]


def test_inputs_sheet_is_the_resolved_config(run_dir: Path, tmp_path: Path) -> None:
    book = exported(run_dir, tmp_path)
    table = values(book["Inputs"])
    assert table[0] == ("path", "base")
    found = dict(table[1:])
    config = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))["plan"]["scenarios"][0]["config"]
    assert found["simulation.horizon_days"] == 60
    assert found["simulation.replications"] == 2
    assert found["tracks.day.group_size.max"] == config["tracks"]["day"]["group_size"]["max"]
    assert found["staff.roles.therapist.count"] == config["staff"]["roles"]["therapist"]["count"]
    assert isinstance(found["staff.roles.therapist.count"], int)
    assert len(found) == len(table) - 1 > 50


def test_experiment_workbook_has_the_comparison(experiment_dir: Path, tmp_path: Path) -> None:
    book = exported(experiment_dir, tmp_path)
    assert book.sheetnames[:6] == ["README", "Summary", "Projections", "Budget", "Comparison", "KPIs"]
    assert {row[0] for row in values(book["Budget"])[1:]} == {
        s.name for s in load(experiment_dir).plan.scenarios
    }
    check_layout(book)
    check_no_number_as_text(book, ["Summary", "Comparison", "KPIs"])
    check_long(book["Summary"], read_rows(experiment_dir / "summary.csv"))
    comparison = read_rows(experiment_dir / "comparison.csv")
    assert comparison
    check_long(book["Comparison"], comparison)
    check_kpis(book["KPIs"], read_rows(experiment_dir / "kpis.csv"))
    check_projections(book["Projections"], read_rows(experiment_dir / "projections.csv"), "fiscal_year")
    items = readme(book)
    assert items["kind"] == "experiment"
    assert items["replications"] == 2
    assert items["compared with"] == "base"
    assert items["scenario: therapists=4"] == (
        "changes from the config file: simulation.horizon_days=60.0, staff.roles.therapist.count=4"
    )
    inputs = values(book["Inputs"])
    names = items["scenarios"].split("; ")  # grid names hold commas
    assert list(inputs[0]) == ["path", "differs", *names]
    rows = {row[0]: row for row in inputs[1:]}
    assert rows["staff.roles.therapist.count"][1] is True
    assert sorted(rows["staff.roles.therapist.count"][2:]) == [3, 3, 4]  # base (3) and the two levels
    assert rows["simulation.seed"][1] is False


def test_the_same_folder_gives_the_same_bytes(run_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert export(run_dir, first)[0] == 0
    assert export(run_dir, second)[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_new_csv_columns_appear_without_a_change(run_dir: Path) -> None:
    """Columns are read by name: an outcome range added to the CSV files becomes rows and columns."""
    source = read_source(run_dir)
    source.projections = [
        {**row, "outcome95_low": "1.5", "outcome95_high": "nan"} for row in source.projections
    ]
    source.summary = [
        {**{k: v for k, v in row.items() if k != "sd"}, "flag": "few replications"} for row in source.summary
    ]
    sheet = projection_sheet(FISCAL_YEAR)(source)
    assert sheet is not None
    statistics = list(dict.fromkeys(row[3] for row in sheet.rows[1:] if row[1] == "referrals"))
    # projections.csv's own annotations (clipped, flags) come after the ranges, before sd and n
    assert statistics == [
        "mean", "ci95_low", "ci95_high", "outcome95_low", "outcome95_high", "clipped", "flags", "sd", "n"
    ]  # fmt: skip
    outcome = [row for row in sheet.rows[1:] if row[1] == "referrals" and row[3] == "outcome95_low"]
    assert [value for row in outcome for value in row[4:]] == [1.5] * (len(sheet.rows[0]) - 4)
    high = [row for row in sheet.rows[1:] if row[3] == "outcome95_high"]
    assert high
    assert all(value is None for row in high for value in row[4:])
    readme_items = [row[0] for row in workbook_sheets(source)[0].rows]
    assert "column: outcome95_low, outcome95_high" in readme_items  # explained once the folder has it
    summary = summary_sheet(source)
    assert "sd" not in summary.rows[0]
    assert summary.rows[0][-1] == "flag"
    assert {row[-1] for row in summary.rows[1:]} == {"few replications"}


def test_producers_returning_none_leave_their_sheet_out(run_dir: Path) -> None:
    source = read_source(run_dir)

    def extra(_: ExportSource) -> Sheet:
        return Sheet("Extra", "a sheet added to the list", [("a",), (1,)])

    sheets = workbook_sheets(source, [lambda _: None, extra])
    assert [sheet.name for sheet in sheets] == ["README", "Extra"]
    assert ("sheet: Extra", "a sheet added to the list") in sheets[0].rows
    assert len(SHEETS) == len({getattr(p, "__name__", "") for p in SHEETS})  # each producer named


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        ("mean", "12", 12),
        ("mean", "0.25", 0.25),
        ("mean", "1e-05", 1e-05),
        ("mean", "nan", None),
        ("ci95_low", "", None),
        ("scenario", "3", "3"),
        ("start_date", "2027-07-01", dt.date(2027, 7, 1)),
        ("flag", "few replications", "few replications"),
        ("mean", "inf", "inf"),
    ],
)
def test_cell(column: str, text: str, expected: object) -> None:
    found = cell(column, text)
    assert found == expected
    assert type(found) is type(expected)


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("revenue_usd", "USD"),
        ("revenue_usd_medicaid", "USD"),
        ("attendance_rate", "share (0-1)"),
        ("share_patient_weeks_meeting_9h", "share (0-1)"),
        ("completion_share_of_discharges", "share (0-1)"),
        ("stays_over_60_days_share", "share (0-1)"),
        ("wait_referral_to_admission_days_median", "days"),
        ("billable_days", "days"),
        ("service_hours", "hours"),
        ("difference_percent", "%"),
        ("referrals", "count"),
    ],
)
def test_unit_of(name: str, unit: str) -> None:
    assert unit_of(name) == unit


def test_flatten_names_paths_as_set_does() -> None:
    data: dict[str, object] = {"a": {"b": 1, "c": [{"d": True}, 2]}, "e": [], "f": {}, "g": None}
    assert list(flatten(data)) == [
        ("a.b", 1),
        ("a.c[0].d", True),
        ("a.c[1]", 2),
        ("e", []),
        ("f", {}),
        ("g", None),
    ]


# --- refusals: one line, exit 2, nothing written ---------------------------------------------------


def refused(args: tuple[str, ...], expected: str) -> None:
    code, out, err = run("export", *args)
    assert code == 2
    assert out == ""
    assert err == expected + "\n"


def test_refuses_a_folder_that_is_not_a_result_folder(tmp_path: Path) -> None:
    workbook = tmp_path / "w.xlsx"
    refused(
        (str(tmp_path), "--xlsx", str(workbook)),
        f"{tmp_path / MANIFEST}: no manifest: not a simiop result directory",
    )
    refused(
        (str(tmp_path / "nope"), "--xlsx", str(workbook)),
        f"{tmp_path / 'nope'}: no such folder (DIR is a result folder of `simiop run` or `simiop experiment`)",
    )
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_unfinished_folder(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["status"] = "running"
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = export(copy, tmp_path / "w.xlsx")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "not finished" in err
    assert not (tmp_path / "w.xlsx").exists()


def test_never_replaces_a_file_without_force(run_dir: Path, tmp_path: Path) -> None:
    workbook = tmp_path / "mine.xlsx"
    workbook.write_bytes(b"my own spreadsheet")
    refused(
        (str(run_dir), "--xlsx", str(workbook)),
        f"--xlsx {workbook}: already exists; pass --force to replace it",
    )
    assert workbook.read_bytes() == b"my own spreadsheet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]
    code, _, err = export(run_dir, workbook, "--force")
    assert (code, err) == (0, "")
    assert openpyxl.load_workbook(workbook).sheetnames[0] == "README"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]


def test_refuses_a_file_it_cannot_write(run_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "w.xlsx"
    code, out, err = export(run_dir, missing)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"{missing}: cannot be written (no such file or directory")
    refused(
        (str(run_dir), "--xlsx", str(tmp_path / "w.csv")),
        f"--xlsx {tmp_path / 'w.csv'}: the name must end in .xlsx (Excel refuses another ending)",
    )
    folder = tmp_path / "f.xlsx"
    folder.mkdir()
    refused(
        (str(run_dir), "--xlsx", str(folder)),
        f"--xlsx {folder}: is a folder; name a file in it, e.g. {folder / 'results.xlsx'}",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.xlsx"]
    assert list(folder.iterdir()) == []


def test_without_the_extra_it_says_how_to_install_it(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # import xlsxwriter now raises ImportError
    refused(
        (str(run_dir), "--xlsx", str(tmp_path / "w.xlsx")),
        'writing a workbook needs XlsxWriter, an optional extra: pip install "simiop[excel]"',
    )
    assert list(tmp_path.iterdir()) == []


def test_help_names_force() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0
    assert "--force" in out
    assert "--xlsx FILE" in out


def test_a_failed_write_leaves_the_old_file_and_no_other(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = tmp_path / "old.xlsx"
    workbook.write_bytes(b"the old workbook")

    def disk_full(handle: object, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("simiop.atomic._write_to_disk", disk_full)
    refused(
        (str(run_dir), "--xlsx", str(workbook), "--force"),
        f"{workbook}: cannot be written (no space left on device)",
    )
    assert workbook.read_bytes() == b"the old workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.xlsx"]  # the temporary file removed


def test_dev_installs_the_excel_extra_so_ci_runs_these_tests() -> None:
    """.ci/run installs ".[dev]": without excel in dev, CI would test the refusal, not the workbook."""
    requires = importlib.metadata.requires("simiop") or []
    assert any(r.lower().startswith("xlsxwriter") and 'extra == "excel"' in r for r in requires), requires
    assert any(r.startswith("openpyxl") and 'extra == "test"' in r for r in requires), requires
    dev = next(r for r in requires if r.startswith("simiop[") and 'extra == "dev"' in r)
    assert "excel" in dev.split("]")[0]
    assert 'pip install "simiop[excel]"' in (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
