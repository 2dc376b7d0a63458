"""The Clinic page's edits without the web framework, the fields' specs, and the `simiop app` command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simiop.app.editing import (
    hires_text,
    parse_hires,
    problems_at,
    problems_of,
    read_text,
    slots_per_weekday,
    with_slots,
    with_value,
    yaml_text,
)
from simiop.app.fields import field_spec
from simiop.app.jobs import differences
from simiop.cli import main
from simiop.cli.app_command import streamlit_command
from simiop.config import ConfigError, Problem, validate_config
from tests.conftest import BASELINE


def test_field_specs_carry_the_schemas_bounds_and_the_references_help() -> None:
    volume = field_spec("referrals.volume")
    assert (volume.low, volume.low_open, volume.high, volume.high_open) == (0.0, True, 100.0, False)
    assert volume.widget_bounds(0.01) == (0.01, 100.0)
    groups = field_spec("tracks.evening.groups")
    assert groups.integer
    assert (groups.low, groups.high) == (0.0, 20.0)
    assert groups.help.startswith("Therapy groups running side by side")
    assert field_spec("staff.roles.prescriber.shift").choices == ("day", "evening", "both")
    with pytest.raises(KeyError):
        field_spec("tracks.day.no_such_field")


def test_an_edit_is_checked_as_the_file_is(baseline_data: dict[str, Any]) -> None:
    changed = with_value(baseline_data, "tracks.day.group_size.min", 13, "clinic.yaml")
    assert baseline_data["tracks"]["day"]["group_size"]["min"] == 3  # a copy: the original is kept
    config, problems = problems_of(changed, "clinic.yaml")
    assert config is None
    assert [p.path for p in problems_at(problems, "tracks.day.group_size.min")] == [
        "tracks.day.group_size.min"
    ]
    assert problems_at(problems, "tracks.evening.group_size.min") == []
    unknown = problems_of(
        with_value(baseline_data, "tracks.day.no_such_field", 1, "clinic.yaml"), "clinic.yaml"
    )
    assert [p.path for p in unknown[1]] == ["tracks.day.no_such_field"]


def test_problems_are_placed_by_section_and_field() -> None:
    section = Problem("tracks.day", "something about the track")
    field = Problem("tracks.day.groups", "something about groups")
    assert problems_at([section, field], "tracks.day.groups") == [section, field]
    assert problems_at([section, field], "tracks.evening.groups") == []


def test_saved_yaml_reads_back_to_the_same_config(baseline_data: dict[str, Any]) -> None:
    data = with_value(baseline_data, "referrals.volume", 2.0, "clinic.yaml")
    read, config = read_text(yaml_text(data), "saved.yaml")
    assert config == validate_config(data, "clinic.yaml")
    assert read["referrals"]["volume"] == 2.0


def test_bad_yaml_is_one_line_naming_the_file() -> None:
    with pytest.raises(ConfigError) as caught:
        read_text("clinic: [unclosed", "mine.yaml")
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith("mine.yaml:")


def test_slots_are_added_after_the_last_and_removed_from_the_end() -> None:
    schedule = [{"weekday": "mon", "start_time": "09:00"}, {"weekday": "tue", "start_time": "10:00"}]
    more = with_slots(schedule, "mon", 3, 90)
    assert [s["start_time"] for s in more if s["weekday"] == "mon"] == ["09:00", "10:30", "12:00"]
    assert {"weekday": "tue", "start_time": "10:00"} in more
    assert [s for s in with_slots(more, "mon", 1, 90) if s["weekday"] == "mon"] == [schedule[0]]
    assert [s["start_time"] for s in with_slots([], "sat", 2, 50)] == ["09:00", "10:00"]
    assert len(with_slots([], "sun", 40, 60)) == 15  # 09:00 to 23:00: no slot past midnight


def test_slot_counts_follow_the_schedule(baseline_data: dict[str, Any]) -> None:
    counts = slots_per_weekday(baseline_data)
    assert counts["mon"] == 4
    assert counts["sat"] == 0


def test_hires_are_written_and_read_as_one_line() -> None:
    hires = [{"date": dt.date(2027, 4, 1), "count": 2}, {"date": dt.date(2028, 1, 3), "count": 1}]
    assert hires_text(hires) == "2027-04-01 x 2; 2028-01-03"
    assert parse_hires("2027-04-01 x 2; 2028-01-03", "hires") == hires
    assert parse_hires("", "hires") == []
    with pytest.raises(ValueError, match=r"^hires: cannot read 'April'"):
        parse_hires("April", "hires")
    # no day of the calendar: kept as text, for the config to report as `simiop validate` does
    assert parse_hires("2027-02-30", "hires") == [{"date": "2027-02-30", "count": 1}]


def test_differences_name_each_changed_field() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    other = {"a": {"b": 2, "c": [1, 3]}, "d": 1}
    assert differences(base, other) == {"a.b": 2, "a.c": [1, 3]}
    assert differences(base, base) == {}


def test_the_app_serves_this_machine_only_without_usage_statistics() -> None:
    command = streamlit_command(8600)
    assert "--server.address=127.0.0.1" in command
    assert "--browser.gatherUsageStats=false" in command
    assert "--server.port=8600" in command
    assert Path(command[4]).name == "main.py"
    assert Path(command[4]).is_file()


def test_app_refuses_a_bad_config_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASELINE.read_text(encoding="utf-8").replace("groups: 2", "groups: -1"), encoding="utf-8")
    result = CliRunner().invoke(main, ["app", "--config", str(bad), "--no-browser"])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"{bad}: tracks.day.groups")
    assert len(result.output.strip().splitlines()) == 1
