"""`simiop run`: the files it writes, their documented columns, byte-identical reruns, and its errors."""

from __future__ import annotations

import csv
from pathlib import Path

from simiop.results.tables import EPISODE_COLUMNS
from tests.conftest import BASELINE
from tests.test_cli import run

OUTPUTS = ("episodes.csv", "daily.csv", "staff.csv", "kpis.csv")


def run_baseline(out: Path, *extra: str) -> str:
    code, stdout, stderr = run(
        "run",
        str(BASELINE),
        "--horizon",
        "120d",
        "--replications",
        "1",
        "--jobs",
        "1",
        "--out",
        str(out),
        *extra,
    )
    assert code == 0, stderr
    return stdout


def first_cell(out: Path) -> Path:
    return out / "scenarios" / "base" / "r0000"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_documented_tables(tmp_path: Path) -> None:
    stdout = run_baseline(tmp_path / "out")
    assert "admissions" in stdout
    assert "median wait referral -> admission (days)" in stdout
    tmp_path = first_cell(tmp_path / "out")
    for name in OUTPUTS:
        assert (tmp_path / name).stat().st_size > 0
    episodes = read(tmp_path / "episodes.csv")
    assert list(episodes[0]) == list(EPISODE_COLUMNS)
    kpis = {row["kpi"]: float(row["value"]) for row in read(tmp_path / "kpis.csv")}
    assert kpis["referrals"] == len(episodes)
    assert sum(1 for row in episodes if row["censored"] == "1") == kpis["censored"]
    for kpi in (
        "admissions", "completions", "dropouts", "step_ups", "readmission_referrals",
        "wait_referral_to_assessment_days_p90", "wait_assessment_to_admission_days_median",
        "occupancy_day", "census_mean_evening", "group_days_cancelled_no_room", "attendance_rate",
        "length_of_stay_days_mean", "staff_utilisation_therapist", "caseload_mean_per_fte_therapist",
        "unduplicated_patients_served", "billable_days_4plus_services", "revenue_usd_medicare",
        "staff_cost_usd", "cost_per_completed_episode_usd", "share_patient_weeks_meeting_9h",
    ):  # fmt: skip
        assert kpi in kpis
    daily = read(tmp_path / "daily.csv")
    assert len(daily) == 120 * 2  # every day, both tracks
    assert {
        "date",
        "census",
        "wait_list",
        "groups_run",
        "cancelled_no_facilitator",
        "facilitation_hours",
    } <= set(daily[0])


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    run_baseline(tmp_path / "a")
    run_baseline(tmp_path / "b")
    run_baseline(tmp_path / "c", "--seed", "1")
    a, b, c = (first_cell(tmp_path / name) for name in "abc")
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "episodes.csv").read_bytes() != (c / "episodes.csv").read_bytes()


def test_a_holiday_rule_gives_byte_identical_files(tmp_path: Path) -> None:
    """The rule's dates come from the holidays package, the same on every run: same seed, same bytes."""
    rule = ("--set", "clinic.holidays={calendar: US, extra: [2027-01-19]}")
    run_baseline(tmp_path / "a", *rule)
    run_baseline(tmp_path / "b", *rule)
    a, b = first_cell(tmp_path / "a"), first_cell(tmp_path / "b")
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    daily = {(row["date"], row["track"]): row for row in read(a / "daily.csv")}
    for date in ("2027-01-18", "2027-01-19", "2027-02-15"):  # King Day, the extra day, Washington's Birthday
        assert daily[date, "day"]["groups_scheduled"] == "0"
    assert daily["2027-01-20", "day"]["groups_scheduled"] != "0"


def test_run_rejects_bad_input_with_exit_2(tmp_path: Path) -> None:
    code, _, err = run("run", str(BASELINE), "--horizon", "three years", "--out", str(tmp_path))
    assert code == 2
    assert err.startswith("--horizon: 'three years' is not a duration")
    code, _, err = run("run", str(BASELINE), "--set", "tracks.day.groups=-1", "--out", str(tmp_path))
    assert code == 2
    assert (
        err
        == "command line: --set tracks.day.groups=-1: tracks.day.groups: out of range (got -1; allowed 0 to 20)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_every_output_column_and_kpi_is_documented(tmp_path: Path) -> None:
    from simiop.config import load_config
    from simiop.results.session_kpis import CARE_SESSION_KINDS, MISSED_REASONS

    docs = (Path(__file__).resolve().parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    run_baseline(tmp_path / "out")
    tmp_path = first_cell(tmp_path / "out")
    for name in ("episodes.csv", "daily.csv", "staff.csv", "sessions.csv"):
        with (tmp_path / name).open(encoding="utf-8") as handle:
            for column in handle.readline().strip().split(","):
                assert f"`{column}`" in docs or f", `{column}`" in docs, (name, column)
    config = load_config(BASELINE)
    names = {**{t: "<track>" for t in config.tracks}, **{r: "<role>" for r in config.staff.roles}}
    names.update({p: "<payer>" for p in config.money.payers})
    for row in read(tmp_path / "kpis.csv"):
        kpi = row["kpi"]
        if kpi.startswith("end_state_"):
            kpi = "end_state_<state>"
        if kpi.startswith("unbilled_days_"):
            assert f"`{kpi.removeprefix('unbilled_days_')}`" in docs, kpi  # each reason is named
            kpi = "unbilled_days_<reason>"
        if kpi.startswith("care_missed_"):
            kind, reason = next(
                (k, r) for k in CARE_SESSION_KINDS for r in MISSED_REASONS if kpi == f"care_missed_{k}_{r}"
            )
            assert f"`{kind}`" in docs, kpi  # each kind and reason is named
            assert f"`{reason}`" in docs, kpi
            kpi = "care_missed_<kind>_<reason>"
        if kpi.startswith(
            "staff_utilisation_shift_"
        ):  # before the tracks: day and evening are track names too
            assert kpi.removeprefix("staff_utilisation_shift_") in ("day", "evening", "both"), kpi
            kpi = "staff_utilisation_shift_<shift>"
        for name in sorted(names, key=len, reverse=True):  # evening_therapist before therapist
            if kpi.endswith(f"_{name}"):
                kpi = kpi.removesuffix(name) + names[name]
                break
        assert f"`{kpi}`" in docs, kpi
