"""simiop removes only files it wrote itself: report rebuilds, --force, and every tidying path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simiop.experiments.cells import CELL_FILES, CellResult, remove_partial_cells, write_cell
from simiop.experiments.manifest import MANIFEST, read_manifest
from simiop.experiments.owned import (
    REPORT_RECORD,
    record_report_files,
    remove_files,
    report_files,
    written_by_simiop,
)
from tests.conftest import BASELINE
from tests.test_cli import run

RUN = ("run", str(BASELINE), "--horizon", "20d", "-j", "1", "--tables", "none")


def user_files(out: Path) -> dict[str, str]:
    """A user's own files, dropped into the places a user might put them."""
    files = {
        "figures/logo.png": "a logo",
        "scenarios/notes.txt": "notes",
        "scenarios/base/notes.txt": "more notes",
        "thesis.tex": "precious",
    }
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return files


def assert_kept(out: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        assert (out / name).read_text(encoding="utf-8") == text, name


def test_report_keeps_a_user_s_file_in_figures_and_removes_its_own_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(*RUN, "-r", "2", "--out", str(out))[0] == 0
    recorded = report_files(out)
    assert {"report.html", REPORT_RECORD} <= set(recorded)
    assert sorted(p.relative_to(out).as_posix() for p in (out / "figures").iterdir()) == sorted(
        name for name in recorded if name.startswith("figures/")
    )
    mine = user_files(out)
    stale = out / "figures" / "a_figure_no_longer_drawn.png"  # as an earlier build would have left it
    stale.write_bytes(b"old")
    record_report_files(out, [*recorded, "figures/a_figure_no_longer_drawn.png"])
    code, _, err = run("report", str(out))
    assert code == 0, err
    assert_kept(out, mine)
    assert not stale.exists()
    assert report_files(out) == recorded


@pytest.mark.parametrize("previous", ["complete", "interrupted", "unreadable manifest"])
def test_force_removes_only_what_simiop_wrote(tmp_path: Path, previous: str) -> None:
    out = tmp_path / "out"
    assert run(*RUN, "-r", "3", "--tables", "daily", "--out", str(out))[0] == 0
    if previous == "interrupted":  # as a run stopped before its end leaves the manifest: no files listed
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        manifest.update(status="running", files={}, report=[])
        (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        for name in ("kpis.csv", "summary.csv", "projections.csv", "report.html"):
            (out / name).unlink()
        shutil.rmtree(out / "figures")
    elif previous == "unreadable manifest":
        (out / MANIFEST).write_text("{not json", encoding="utf-8")
    mine = user_files(out)
    code, _, err = run(*RUN, "-r", "2", "--seed", "7", "--no-report", "--out", str(out))
    assert code == 2
    assert "--force" in err
    code, _, err = run(*RUN, "-r", "2", "--seed", "7", "--no-report", "--out", str(out), "--force")
    assert code == 0, err
    assert_kept(out, mine)
    assert read_manifest(out)["plan"]["seed"] == 7
    assert not (out / "scenarios" / "base" / "r0002").exists()  # the old run's third replication
    assert not (out / "scenarios" / "base" / "r0000" / "daily.csv").exists()  # its table, not kept now
    assert not (out / "report.html").exists()  # the old run's report (this run made none)
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["logo.png"]


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of a folder with its bytes: what a refused command must leave exactly as it was."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_force_writes_a_replication_beside_a_user_s_file_in_its_folder(tmp_path: Path) -> None:
    """F1: a user's file in a replication folder stays, and the forced run's replication is written beside it."""
    out = tmp_path / "out"
    assert run(*RUN, "-r", "2", "--out", str(out))[0] == 0
    mine = out / "scenarios" / "base" / "r0000" / "mine.csv"
    mine.write_text("mine", encoding="utf-8")
    code, _, err = run(*RUN, "-r", "2", "--seed", "7", "--no-report", "--out", str(out), "--force")
    assert code == 0, err
    assert mine.read_text(encoding="utf-8") == "mine"
    fresh = tmp_path / "fresh"
    assert run(*RUN, "-r", "2", "--seed", "7", "--no-report", "--out", str(fresh))[0] == 0
    cells = {name: data for name, data in snapshot(out).items() if name.startswith("scenarios/")}
    expected = {name: data for name, data in snapshot(fresh).items() if name.startswith("scenarios/")}
    assert cells == {**expected, "scenarios/base/r0000/mine.csv": b"mine"}
    manifest = read_manifest(out)
    assert manifest["status"] == "complete"
    assert "scenarios/base/r0000/mine.csv" not in manifest["files"]
    code, _, err = run("reproduce", str(out), "-j", "1", "--out", str(tmp_path / "again"))
    assert code == 0, err


def test_a_resume_reruns_a_replication_beside_a_user_s_file(tmp_path: Path) -> None:
    """F1b: a replication that lost a file runs again beside the user's file, which stays."""
    out = tmp_path / "out"
    assert run(*RUN, "-r", "2", "--tables", "daily", "--no-report", "--out", str(out))[0] == 0
    before = snapshot(out)
    (out / "scenarios" / "base" / "r0001" / "daily.csv").unlink()
    notes = out / "scenarios" / "base" / "r0001" / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    code, _, err = run(*RUN, "-r", "2", "--tables", "daily", "--no-report", "--out", str(out))
    assert code == 0, err
    after = snapshot(out)
    assert after.pop("scenarios/base/r0001/notes.txt") == b"mine"
    assert after.pop(MANIFEST) != b""
    before.pop(MANIFEST)
    assert after == before
    assert read_manifest(out)["status"] == "complete"


def _block_with_a_file(out: Path) -> None:
    shutil.rmtree(out / "scenarios" / "base" / "r0001")  # as a run stopped before this replication leaves it
    (out / "scenarios" / "base" / "r0001").write_text(
        "a user's file where a replication goes", encoding="utf-8"
    )


def _block_with_a_folder(out: Path) -> None:
    shutil.rmtree(out / "scenarios" / "base" / "r0001")
    (out / "scenarios" / "base" / "r0001" / "kpis.csv").mkdir(parents=True)


@pytest.mark.parametrize("block", [_block_with_a_file, _block_with_a_folder])
@pytest.mark.parametrize(
    "again",
    [
        pytest.param(("-r", "2", "--seed", "7", "--force"), id="forced over another run"),
        pytest.param(("-r", "2"), id="resumed"),
    ],
)
def test_a_refused_run_changes_nothing_in_the_folder(
    tmp_path: Path, block: Callable[[Path], None], again: tuple[str, ...]
) -> None:
    """F1, F1b: every reason to refuse is found before anything is removed or rewritten."""
    out = tmp_path / "out"
    assert run(*RUN, "-r", "2", "--out", str(out))[0] == 0
    user_files(out)
    (out / "scenarios" / "base" / "r0000" / "notes.txt").write_text("mine", encoding="utf-8")
    block(out)
    before = snapshot(out)
    code, _, err = run(*RUN, *again, "--no-report", "--out", str(out))
    assert code == 2
    assert err.startswith(f"{out}: scenarios/base/r0001")
    assert len(err.splitlines()) == 1
    assert snapshot(out) == before


def test_force_refuses_result_files_no_manifest_accounts_for_before_writing(tmp_path: Path) -> None:
    """A finished replication copied into a folder without a manifest would pass for this run's."""
    out = tmp_path / "out"
    assert run(*RUN, "-r", "1", "--no-report", "--out", str(out))[0] == 0
    (out / MANIFEST).unlink()
    before = snapshot(out)
    code, _, err = run(*RUN, "-r", "1", "--no-report", "--force", "--out", str(out))
    assert code == 2
    assert err.startswith(
        f"{out}: scenarios/base/r0000 holds result files that no simiop manifest accounts for"
    )
    assert snapshot(out) == before


def test_a_stale_temporary_cell_keeps_a_user_s_file(tmp_path: Path) -> None:
    partial = tmp_path / "scenarios" / "base" / "r0000.partial-12345"
    partial.mkdir(parents=True)
    (partial / "kpis.csv").write_text("half", encoding="utf-8")
    assert remove_partial_cells(tmp_path) == 1
    assert not partial.exists()
    partial.mkdir()
    (partial / "kpis.csv").write_text("half", encoding="utf-8")
    (partial / "mine.txt").write_text("mine", encoding="utf-8")
    remove_partial_cells(tmp_path)
    assert sorted(p.name for p in partial.iterdir()) == ["mine.txt"]
    write_cell(tmp_path, CellResult("base", 1, {"kpis.csv": b"k"}))
    assert (tmp_path / "scenarios" / "base" / "r0001" / "kpis.csv").read_bytes() == b"k"


def test_names_outside_the_folder_are_never_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    manifest = {"files": {"../outside.txt": "0", str(outside): "0"}, "report": ["../outside.txt", "/etc/x"]}
    names = written_by_simiop(out, manifest)
    assert "../outside.txt" not in names
    assert remove_files(out, ["../outside.txt", str(outside), "a/../../outside.txt"]) == []
    assert outside.read_text(encoding="utf-8") == "keep"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "out"
    assert run(*RUN, "-r", "2", "--tables", "daily", "--out", str(out))[0] == 0
    return out


_PLACES = st.sampled_from(["", "scenarios", "scenarios/base", "scenarios/base/r0000", "figures", "mine/deep"])
_NAMES = st.from_regex(r"[a-z]{1,8}\.(csv|png|txt|svg|html|json)", fullmatch=True)


@settings(max_examples=25)
@given(placed=st.lists(st.tuples(_PLACES, _NAMES), min_size=1, max_size=6))
def test_what_simiop_removes_never_includes_a_file_it_did_not_write(
    finished: Path, tmp_path_factory: pytest.TempPathFactory, placed: list[tuple[str, str]]
) -> None:
    """Invariant: whatever a user adds where, removing simiop's files removes all of those and none of theirs."""
    out = tmp_path_factory.mktemp("copy") / "out"
    shutil.copytree(finished, out)
    ours = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    theirs = {
        f"{place}/{name}".lstrip("/")
        for place, name in placed
        if not (place.endswith("/r0000") and name in CELL_FILES)  # a cell's own names are simiop's
    } - ours  # a file at a name simiop writes is overwritten by simiop: it is not the user's any more
    for name in theirs:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name, encoding="utf-8")
    removed = remove_files(out, written_by_simiop(out, read_manifest(out)))
    assert set(removed) == ours
    left = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert left == theirs


def test_force_over_an_experiment_removes_its_tables_and_scenarios_but_not_a_user_s_file(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_text(
        f"base: {BASELINE}\nreplications: 2\nhorizon: 20d\nscenarios:\n  fewer:\n    set: {{tracks.day.groups: 1}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = run(
        "experiment", str(spec), "-j", "1", "--tables", "none", "--no-report", "--out", str(out)
    )
    assert code == 0, err
    assert (out / "comparison.csv").is_file()
    notes = out / "scenarios" / "fewer" / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    code, _, err = run(*RUN, "-r", "1", "--no-report", "--force", "--out", str(out))
    assert code == 0, err
    assert notes.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in (out / "scenarios" / "fewer").iterdir()) == ["notes.txt"]
    assert not (out / "comparison.csv").exists()
    assert not (out / "scenarios" / "base" / "summary.csv").exists()
    assert sorted(p.name for p in (out / "scenarios" / "base").iterdir()) == ["r0000"]


def _mutate(out: Path, mutation: str) -> dict[str, str]:
    """One change a user (or a stopped run) might make to a finished folder; the user's files it adds."""
    r0000, r0001 = out / "scenarios" / "base" / "r0000", out / "scenarios" / "base" / "r0001"
    if mutation == "note in a replication":
        (r0000 / "notes.txt").write_text("mine", encoding="utf-8")
        return {"scenarios/base/r0000/notes.txt": "mine"}
    if mutation == "note at the top":
        (out / "thesis.tex").write_text("precious", encoding="utf-8")
        return {"thesis.tex": "precious"}
    if mutation == "a replication's file gone":
        (r0000 / "periods.csv").unlink()
    elif mutation == "a file where a replication goes":
        shutil.rmtree(r0001)
        r0001.write_text("mine", encoding="utf-8")
        return {"scenarios/base/r0001": "mine"}
    elif mutation == "a folder where a replication's file goes":
        (r0000 / "kpis.csv").unlink()
        (r0000 / "kpis.csv").mkdir()
    elif mutation == "manifest gone":
        (out / MANIFEST).unlink()
    return {}


_MUTATIONS = [
    "note in a replication",
    "note at the top",
    "a replication's file gone",
    "a file where a replication goes",
    "a folder where a replication's file goes",
    "manifest gone",
]
_BLOCKING = {"a file where a replication goes", "a folder where a replication's file goes"}


@settings(max_examples=20, deadline=None)
@given(
    mutations=st.lists(st.sampled_from(_MUTATIONS), unique=True, max_size=3),
    again=st.sampled_from([(), ("--seed", "7"), ("--force",), ("--seed", "7", "--force")]),
)
def test_a_run_either_refuses_changing_nothing_or_keeps_every_user_file(
    finished: Path, tmp_path_factory: pytest.TempPathFactory, mutations: list[str], again: tuple[str, ...]
) -> None:
    """Invariant: exit 2 leaves the folder byte for byte as it was; exit 0 keeps every file of the user's."""
    out = tmp_path_factory.mktemp("again") / "out"
    shutil.copytree(finished, out)
    theirs: dict[str, str] = {}
    for mutation in mutations:
        theirs.update(_mutate(out, mutation))
    before = snapshot(out)
    code, _, err = run(*RUN, "-r", "2", "--tables", "daily", "--no-report", *again, "--out", str(out))
    if _BLOCKING & set(mutations):
        assert code == 2, err
    if code == 2:
        assert len(err.splitlines()) == 1, err
        assert snapshot(out) == before
    else:
        assert code == 0, err
        assert_kept(out, theirs)
        assert read_manifest(out)["status"] == "complete"


def test_temporary_files_a_killed_write_left_are_simiops_and_nothing_else_is(
    finished: Path, tmp_path: Path
) -> None:
    """A write killed mid-way (SIGKILL) leaves write_bytes_atomic's ``.<name>.<8 characters>.tmp`` beside a
    file simiop writes: it is removed with simiop's files. The same shape beside a user's file, or with
    another length of random part, is not simiop's and stays."""
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    left = [
        ".summary.csv.k2_9qzab.tmp",
        f".{MANIFEST}.abcdefgh.tmp",
        "figures/.report-files.json.0a1b2c3d.tmp",
    ]
    kept = [
        ".thesis.tex.abcdefgh.tmp",
        ".summary.csv.abc.tmp",
        "summary.csv.abcdefgh.tmp",
        "figures/.x.png.abcdefgh.tmp",
    ]
    for name in [*left, *kept]:
        (out / name).write_bytes(b"half a file")
    names = written_by_simiop(out, read_manifest(out))
    assert set(left) <= set(names)
    assert not set(kept) & set(names)
    remove_files(out, names)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(kept)


def test_force_removes_a_temporary_file_a_killed_run_left(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(*RUN, "-r", "1", "--out", str(out))[0] == 0
    leftover = out / ".summary.csv.qwerty12.tmp"
    leftover.write_bytes(b"summary,half")
    code, _, err = run(*RUN, "-r", "1", "--seed", "3", "--no-report", "--out", str(out), "--force")
    assert code == 0, err
    assert not leftover.exists()
