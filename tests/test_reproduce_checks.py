"""simiop reproduce checks the folder's own files against its manifest, as well as the re-run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simiop
from simiop.experiments.manifest import read_manifest, sha256_of
from simiop.experiments.reproduce import DIFFERS, EXTRA, MATCH, MISSING, check_files
from tests.conftest import BASELINE
from tests.test_cli import run

R3_KPIS = "scenarios/base/r0003/kpis.csv"
R4_DAILY = "scenarios/base/r0004/daily.csv"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 5-replication run keeping daily.csv; tests copy it before changing anything."""
    out = tmp_path_factory.mktemp("reproduce") / "original"
    code, _, err = run(
        "run", str(BASELINE), "--horizon", "20d", "-r", "5", "--tables", "daily", "-j", "1",
        "--no-report", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    return out


def tampered_copy(original: Path, folder: Path) -> Path:
    """A copy with one number changed in r0003's kpis.csv and r0004's daily.csv deleted."""
    copy = folder / "copy"
    shutil.copytree(original, copy)
    kpis = copy / R3_KPIS
    lines = kpis.read_text(encoding="utf-8").splitlines(keepends=True)
    name, value = lines[1].rstrip("\n").rsplit(",", 1)
    lines[1] = f"{name},{float(value) + 1:g}\n"
    kpis.write_text("".join(lines), encoding="utf-8")
    (copy / R4_DAILY).unlink()
    return copy


def test_a_changed_or_deleted_file_in_the_folder_fails_reproduce(original: Path, tmp_path: Path) -> None:
    copy = tampered_copy(original, tmp_path)
    files = read_manifest(copy)["files"]
    code, stdout, err = run("reproduce", str(copy), "--out", str(tmp_path / "again"), "-j", "1")
    assert code == 1, err
    lines = stdout.splitlines()
    assert lines[0].startswith(f"differs  {R3_KPIS}  (the folder's file changed since the manifest")
    assert lines[0].endswith("; the re-run matches the manifest)")
    assert lines[1] == f"missing  {R4_DAILY}  (listed in the manifest but gone from the folder)"
    assert (
        lines[2]
        == f"{len(files) - 2} of {len(files)} files match (1 differs, 1 missing); re-run in {tmp_path / 'again'}/"
    )
    assert len(lines) == 3  # no line per matching file
    code, stdout, _ = run("reproduce", str(copy), "--out", str(tmp_path / "again"), "-j", "1", "--verbose")
    assert code == 1
    assert sum(line.startswith("match    ") for line in stdout.splitlines()) == len(files) - 2
    assert f"differs  {R3_KPIS}" in stdout


def test_an_untouched_folder_prints_one_line(original: Path, tmp_path: Path) -> None:
    code, stdout, _ = run("reproduce", str(original), "--out", str(tmp_path / "again"), "-j", "1")
    files = read_manifest(original)["files"]
    assert code == 0
    assert stdout.splitlines() == [
        f"{len(files)} of {len(files)} files match; re-run in {tmp_path / 'again'}/"
    ]


def test_the_api_reports_the_folder_s_files_and_has_a_short_repr(original: Path, tmp_path: Path) -> None:
    copy = tampered_copy(original, tmp_path)
    result = simiop.reproduce(copy, tmp_path / "again", jobs=1)
    assert not result.identical
    assert [(c.name, c.status) for c in result.problems] == [(R3_KPIS, DIFFERS), (R4_DAILY, MISSING)]
    text = repr(result)
    assert "\n" not in text
    assert len(text) < 200, text
    assert "1 differs, 1 missing" in text
    assert str(tmp_path / "again") in text
    clean = simiop.reproduce(original, tmp_path / "clean", jobs=1)
    assert clean.identical
    assert "files match>" in repr(clean)


_NAMES = st.lists(st.sampled_from(["a.csv", "b.csv", "s/r0000/kpis.csv", "s/r0001/daily.csv"]), unique=True)
_FATE = st.sampled_from(["kept", "changed", "deleted"])


@given(
    files=_NAMES.flatmap(lambda names: st.fixed_dictionaries({n: st.tuples(_FATE, _FATE) for n in names})),
    extra=st.booleans(),
)
def test_a_file_matches_only_when_the_folder_and_the_re_run_both_have_the_recorded_bytes(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, tuple[str, str]], extra: bool
) -> None:
    """Invariant: whatever happened to each file in the folder and in the re-run, the check says so."""
    source = tmp_path_factory.mktemp("source")
    recorded, rerun = {}, {}
    for name, (in_folder, in_rerun) in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")
        recorded[name] = sha256_of(path)
        if in_folder == "changed":
            path.write_text(name + "!", encoding="utf-8")
        elif in_folder == "deleted":
            path.unlink()
        if in_rerun != "deleted":
            rerun[name] = recorded[name] if in_rerun == "kept" else "0" * 64
    if extra:
        rerun["new.csv"] = "1" * 64
    checks = {check.name: check.status for check in check_files(source, recorded, rerun)}
    for name, (in_folder, in_rerun) in files.items():
        expected = {"kept": MATCH, "changed": DIFFERS, "deleted": MISSING}
        assert checks[name] == (expected[in_folder] if in_folder != "kept" else expected[in_rerun])
    assert (checks.get("new.csv") == EXTRA) is extra
    assert len(checks) == len(files) + extra


def test_report_of_a_folder_missing_a_cell_table_is_one_line_naming_it(
    original: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    (copy / R4_DAILY).unlink()
    code, _, err = run("report", str(copy))
    assert code == 2
    assert (
        err
        == f"{copy}: {R4_DAILY} cannot be read (no such file or directory); `simiop reproduce` checks every file\n"
    )


def test_rerunning_a_finished_run_with_a_cell_file_gone_runs_that_cell_again(
    original: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    (copy / R4_DAILY).unlink()
    code, stdout, err = run(
        "run", str(BASELINE), "--horizon", "20d", "-r", "5", "--tables", "daily", "-j", "1",
        "--no-report", "--out", str(copy),
    )  # fmt: skip
    assert code == 0, err
    assert "(4 kept from before)" in stdout
    assert (copy / R4_DAILY).read_bytes() == (original / R4_DAILY).read_bytes()
    assert read_manifest(copy)["files"] == read_manifest(original)["files"]


@pytest.mark.parametrize(
    ("typed", "stand_in"),
    [(".", "."), ("./", "."), ("..", "scenarios"), ("../", "scenarios"), ("scenarios/..", ".")],
)
def test_reproduce_a_folder_named_relatively_writes_beside_it(
    original: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str, stand_in: str
) -> None:
    """F3: `.`, `./` and `..` name the folder they stand for: the re-run goes beside it, never inside it."""
    copy = tmp_path / "fresh"
    shutil.copytree(original, copy)
    before = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*"))
    monkeypatch.chdir(copy / stand_in)
    code, stdout, err = run("reproduce", typed, "-j", "1")
    assert code == 0, err
    assert (tmp_path / "fresh-reproduced" / "manifest.json").is_file()
    assert stdout.splitlines()[-1].endswith(f"re-run in {tmp_path / 'fresh-reproduced'}/")
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*")) == before


def test_the_api_reproduces_the_current_folder_beside_it(
    original: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "fresh"
    shutil.copytree(original, copy)
    monkeypatch.chdir(copy)
    result = simiop.reproduce(".", jobs=1)
    assert result.identical
    assert result.outcome.out == tmp_path / "fresh-reproduced"


@pytest.mark.parametrize("inside", ["scenarios/again", "again"])
def test_reproduce_into_a_folder_inside_the_original_is_refused(
    original: Path, tmp_path: Path, inside: str
) -> None:
    copy = tmp_path / "fresh"
    shutil.copytree(original, copy)
    code, _, err = run("reproduce", str(copy), "--out", str(copy / inside), "-j", "1")
    assert code == 2
    assert (
        err == f"{copy / inside}: is inside the original folder {copy}; reproduce into a folder outside it, "
        "so that the original stays as its manifest recorded it\n"
    )
    assert not (copy / inside).exists()


def test_reproduce_of_the_root_folder_asks_for_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    code, _, err = run("reproduce", "/")
    assert code == 2
    assert err == "/: is the root folder; give --out for the re-run\n"
