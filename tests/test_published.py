"""The published-range measures on hand-built episodes (exact values), and their table and scripts."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

from simiop.experiments.cells import cell_dir
from simiop.results.published import (
    MEASURE_BY_NAME,
    MEASURES,
    REFERENCES,
    EpisodeRow,
    Inside,
    compare,
    inside,
    markdown_table,
    measure_replication,
    read_episodes,
    run_folder_measures,
)
from simiop.results.stats import summarise
from tests.conftest import BASELINE, REPO
from tests.validation import face_validity


def _episode(
    end_state: str | None,
    admitted: float | None = 0.0,
    ended: float | None = 10.0,
    referred: float = 0.0,
    source_kind: str = "community",
    held: int = 4,
    attended: int = 3,
) -> EpisodeRow:
    return EpisodeRow(source_kind, referred, admitted, ended, end_state, held, attended)


EPISODES = [
    _episode("completed", 0.0, 50.0, held=20, attended=19),
    _episode("completed", 0.0, 70.0, held=30, attended=27),
    _episode("dropout", 0.0, 10.0, held=4, attended=1),
    _episode("dropout", 0.0, 20.0, held=8, attended=3),
    _episode("step_up", 0.0, 30.0, held=10, attended=10),
    _episode("no_start", 0.0, 8.0, held=3, attended=0),
    _episode("declined", None, None, held=0, attended=0),
    _episode("no_show_at_intake", None, None, held=0, attended=0),
    # step-downs: calendar gaps 1, 2, 3, 6 and 12 days (the last outside the 10-day window)
    _episode(None, 1.9, None, referred=0.5, source_kind="step_down", held=0, attended=0),
    _episode(None, 2.1, None, referred=0.9, source_kind="step_down", held=0, attended=0),
    _episode(None, 3.0, None, referred=0.2, source_kind="step_down", held=0, attended=0),
    _episode(None, 6.5, None, referred=0.1, source_kind="step_down", held=0, attended=0),
    _episode(None, 12.5, None, referred=0.0, source_kind="step_down", held=0, attended=0),
    _episode(None, None, None, referred=0.0, source_kind="step_down", held=0, attended=0),
]


def test_each_measure_on_hand_built_episodes() -> None:
    """Discharges are the 2 completed, 2 dropouts and 1 step-up; the no-start is counted on its own."""
    values = measure_replication(EPISODES)
    assert values["completion_share_of_discharges"] == pytest.approx(2 / 5)
    assert values["dropout_share_of_discharges"] == pytest.approx(2 / 5)
    assert values["mean_length_of_stay_days"] == pytest.approx((50 + 70 + 10 + 20 + 30) / 5)
    assert values["attendance_share_of_held_days"] == pytest.approx(
        (19 + 27 + 1 + 3 + 10) / (20 + 30 + 4 + 8 + 10)
    )
    assert values["step_down_start_within_2_days_share"] == pytest.approx(2 / 4)
    assert values["step_down_start_within_5_days_share"] == pytest.approx(3 / 4)
    # admitted: 6 ended stays and the 5 step-downs admitted
    assert values["no_start_share_of_admissions"] == pytest.approx(1 / 11)
    assert values["dropout_share_with_no_starts"] == pytest.approx(3 / 6)
    assert values["dropouts_within_14_days_share"] == pytest.approx(1 / 2)
    assert values["stays_over_60_days_share"] == pytest.approx(1 / 5)
    assert set(values) == {m.name for m in MEASURES}


def test_the_warm_up_leaves_out_earlier_referrals_and_empty_denominators_are_nan() -> None:
    values = measure_replication(EPISODES, warmup_days=0.3)
    # only the step-downs referred at 0.5 and 0.9 are left: gaps 1 and 2
    assert values["step_down_start_within_2_days_share"] == 1.0
    assert math.isnan(values["completion_share_of_discharges"])
    assert math.isnan(values["mean_length_of_stay_days"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.40, 0.41, 0.42], Inside.YES),
        ([0.36, 0.40, 0.44], Inside.PARTLY),
        ([0.10, 0.11, 0.12], Inside.NO),
        ([0.70, 0.71, 0.72], Inside.NO),
        ([0.50], Inside.YES),
        ([0.30], Inside.NO),
    ],
)
def test_inside_from_the_confidence_interval(values: list[float], expected: Inside) -> None:
    """Completion's range is 38-68%; a single replication has no interval, so its mean decides."""
    assert inside(summarise(values), MEASURE_BY_NAME["completion_share_of_discharges"]) is expected


def test_open_ended_and_context_rows() -> None:
    step_down = MEASURE_BY_NAME["step_down_start_within_2_days_share"]
    assert inside(summarise([0.9, 0.95, 1.0]), step_down) is Inside.YES
    assert step_down.range_text() == ">= 45.0%"
    assert inside(summarise([0.1, 0.2]), MEASURE_BY_NAME["no_start_share_of_admissions"]) is Inside.NO_RANGE


def test_every_ranged_measure_names_its_sources() -> None:
    for m in MEASURES:
        if m.has_range:
            assert any(name in m.source for name in REFERENCES) or "ASSUMPTION" in m.source, m.name
        else:
            assert not m.source


def _write_episodes(path: Path, episodes: list[EpisodeRow]) -> None:
    path.parent.mkdir(parents=True)
    fields = list(EpisodeRow.__dataclass_fields__)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*fields, "payer"])
        writer.writeheader()
        for e in episodes:
            row = {f: "" if getattr(e, f) is None else getattr(e, f) for f in fields}
            writer.writerow({**row, "payer": "medicare"})


def test_episodes_csv_round_trip_and_run_folder(tmp_path: Path) -> None:
    """A result folder's episodes.csv gives the same measures as the episodes in memory."""
    for r in (0, 1):
        _write_episodes(cell_dir(tmp_path, "base", r) / "episodes.csv", EPISODES)
    assert read_episodes(cell_dir(tmp_path, "base", 0) / "episodes.csv") == EPISODES
    assert run_folder_measures(tmp_path, "base", 0.0) == [measure_replication(EPISODES)] * 2


def test_markdown_table_has_a_row_per_measure_and_a_column_pair_per_run() -> None:
    runs = [("before", compare([measure_replication(EPISODES)] * 2)), ("after", compare([]))]
    lines = markdown_table(runs).splitlines()
    assert len(lines) == 2 + len(MEASURES)
    assert lines[0].split(" | ")[2:6] == [
        "before: mean (95% CI)",
        "inside?",
        "after: mean (95% CI)",
        "inside?",
    ]
    assert "| dropouts / discharges | 16.5% to 23.0% | 40.0% (40.0% to 40.0%) | no | n/a | no |" in lines[3]


def test_face_validity_bad_config_names_the_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("config_version: 1\n", encoding="utf-8")
    assert face_validity.main([str(bad), "-r", "1"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    assert "Traceback" not in err


def test_published_ranges_script_reads_result_folders(tmp_path: Path) -> None:
    """tools/published_ranges.py on a real result folder: the same figures on both sides; bad folder exits 2."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "simiop", "run", str(BASELINE), "-r", "2", "--horizon", "120d"]
    subprocess.run([*command, "--out", str(out), "--tables", "episodes", "--no-report"], check=True)
    script = str(REPO / "tools" / "published_ranges.py")
    done = subprocess.run([sys.executable, script, str(out), str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("\n\n")[0].splitlines()
    assert len(table) == 2 + len(MEASURES)
    for row in table[2:]:
        cells = row.split(" | ")
        assert cells[2:4] == cells[4:6]
    missing = subprocess.run(
        [sys.executable, script, str(out), str(tmp_path / "none")], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        f"{tmp_path / 'none' / 'manifest.json'}: no manifest: not a simiop result directory"
    ]
