"""The config layer: shipped configs validate, and every kind of bad input gets a located, one-line error."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simiop.cli import config_json_schema, starter_config_text
from simiop.config import ConfigError, SimiopConfig, apply_overrides, load_config, validate_config
from simiop.config.base import at_least, at_most
from simiop.config.descriptions import field_description
from tests.conftest import BASELINE, CONFIGS


def error_lines(data: Any, source: str = "clinic.yaml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate_config(data, source)
    return caught.value.lines()


def write(tmp_path: Path, text: str, name: str = "clinic.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def file_errors(path: Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return caught.value.lines()


# -- what ships is valid -------------------------------------------------------------------------


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_validate(path: Path) -> None:
    config = load_config(path)
    assert config.simulation.horizon_days > 0


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_match_the_json_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_json = json.loads(json.dumps(data, default=lambda value: value.isoformat()))
    jsonschema.Draft202012Validator(config_json_schema()).validate(as_json)


def test_the_json_schema_rejects_what_the_validator_rejects(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["grups"] = 2
    as_json = json.loads(json.dumps(baseline_data, default=str))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(config_json_schema()).validate(as_json)


@pytest.mark.parametrize("way", [{"until": "2030-06-30"}, {"fiscal_years": 3}, {}])
def test_the_json_schema_takes_until_or_fiscal_years_for_horizon_days(
    baseline_data: dict[str, Any], way: dict[str, Any]
) -> None:
    """A config may end its run by date or fiscal years without horizon_days (issue 20); with none of
    the three it is refused, as the loader refuses it."""
    del baseline_data["simulation"]["horizon_days"]
    baseline_data["simulation"].update(way)
    as_json = json.loads(json.dumps(baseline_data, default=str))
    validator = jsonschema.Draft202012Validator(config_json_schema())
    if way:
        validator.validate(as_json)
    else:
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(as_json)


def test_starter_config_is_the_baseline() -> None:
    assert starter_config_text() == BASELINE.read_text(encoding="utf-8")


def test_config_objects_are_immutable() -> None:
    config = load_config(BASELINE)
    with pytest.raises(pydantic.ValidationError):
        config.tracks["day"].groups = 5  # type: ignore[misc]


def test_baseline_values_are_read_with_their_types() -> None:
    config = load_config(BASELINE)
    assert config.clinic.opening_date == dt.date(2027, 1, 4)
    assert config.tracks["day"].weekdays == ("mon", "tue", "wed", "thu")
    assert config.tracks["day"].seats == 24
    assert config.intake.show_rate_by_days_waited.value_at(3.0) == pytest.approx(0.41)


def _numeric_properties(node: Any, path: str, schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) of a number or integer field, following $refs."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _numeric_properties(schema["$defs"][name], path, schema)
        if node.get("type") in ("number", "integer") and "const" not in node:
            found.append((path, node))
        for key, value in node.get("properties", {}).items():
            found.extend(_numeric_properties(value, f"{path}.{key}", schema))
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for item in node.get(key, []):
                found.extend(_numeric_properties(item, path, schema))
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                found.extend(_numeric_properties(node[key], f"{path}[]", schema))
    return found


def test_every_numeric_field_has_bounds() -> None:
    schema = config_json_schema()
    numeric = _numeric_properties(schema, "", schema)
    assert len(numeric) > 60
    unbounded = [
        path
        for path, prop in numeric
        if not (
            {"minimum", "exclusiveMinimum"} & prop.keys() and {"maximum", "exclusiveMaximum"} & prop.keys()
        )
    ]
    assert unbounded == []


def _undocumented(schema: dict[str, Any]) -> list[str]:
    missing = []
    for name, definition in [("<root>", schema), *schema["$defs"].items()]:
        for field, prop in definition.get("properties", {}).items():
            if field not in ("dist", "curve") and not prop.get("description"):
                missing.append(f"{name}.{field}")
    return missing


def test_every_field_is_documented() -> None:
    assert _undocumented(config_json_schema()) == []


# -- the example from the issue: three problems, three lines -----------------------------------


def test_typo_probability_and_group_size_are_all_reported(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["grups"] = baseline_data["tracks"]["day"].pop("groups")
    baseline_data["referrals"]["sources"]["community"]["contact_probability"] = 1.2
    baseline_data["tracks"]["evening"]["group_size"] = {"min": 11, "max": 10}
    lines = error_lines(baseline_data)
    assert "clinic.yaml: tracks.day.grups: unknown key; did you mean 'groups'?" in "\n".join(lines)
    assert (
        "clinic.yaml: referrals.sources.community.contact_probability: out of range (got 1.2; allowed 0 to 1)"
        in lines
    )
    assert (
        "clinic.yaml: tracks.evening.group_size.min: minimum group size exceeds the maximum "
        "(got 11; allowed <= max (10))" in lines
    )
    assert "clinic.yaml: tracks.day.groups: required key is missing" in lines
    assert len(lines) == 4


# -- one test per kind of bad input ---------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert file_errors(path) == [f"{path}: file not found"]


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "# only a comment\n")
    (line,) = file_errors(path)
    assert line.startswith(
        f"{path}: the file is empty (allowed a mapping with sections config_version, clinic"
    )


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "clinic:\n  name: [unclosed\nsimulation: {}\n")
    (line,) = file_errors(path)
    assert line.startswith(f"{path}: line 3, column ")
    assert "malformed YAML" in line


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "simulation:\n  seed: 1\n  seed: 2\n")
    (line,) = file_errors(path)
    assert line == f"{path}: line 3, column 3: malformed YAML: key 'seed' appears twice"


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "- clinic\n- simulation\n")
    (line,) = file_errors(path)
    assert line.startswith(f"{path}: expected a mapping of sections at the top level (got a list ['clinic'")


def test_list_where_a_mapping_is_expected(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["group_size"] = [3, 12]
    assert error_lines(baseline_data) == [
        "clinic.yaml: tracks.day.group_size: wrong type (got a list [3, 12]; allowed a mapping of keys to values)"
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_inf_are_refused(baseline_data: dict[str, Any], value: float) -> None:
    baseline_data["simulation"]["horizon_days"] = value
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: simulation.horizon_days: not a finite number (got ")


def test_nan_written_in_yaml_is_refused(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace("hours_per_day: 3  ", "hours_per_day: .nan  ", 1)
    (line,) = file_errors(write(tmp_path, text))
    assert ": tracks.day.hours_per_day: not a finite number (got nan; allowed a finite number)" in line


def test_negative_duration_field(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["lead_time_days"] = -2
    assert error_lines(baseline_data) == [
        "clinic.yaml: intake.lead_time_days: out of range (got -2; allowed 0 to 60)"
    ]


def test_negative_duration_distribution(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["patience_days"] = {"dist": "normal", "mean": 20, "sd": 5}
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: intake.patience_days: distribution can produce negative values")
    assert "truncate_below" in line


def test_probability_above_one(baseline_data: dict[str, Any]) -> None:
    baseline_data["length_of_stay"]["step_up_weekly_hazard"] = 1.5
    assert error_lines(baseline_data) == [
        "clinic.yaml: length_of_stay.step_up_weekly_hazard: out of range (got 1.5; allowed 0 to 1)"
    ]


def test_distribution_parameter_error_is_located_without_union_tags(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["patience_days"] = {"dist": "lognormal", "mean": 21, "sd": -1}
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: intake.patience_days.sd: out of range (got -1; allowed ")


def test_unknown_distribution_lists_the_registry(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["patience_days"] = {"dist": "lognormall", "mean": 21, "sd": 14}
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: intake.patience_days")
    assert "lognormall" in line
    for name in ("fixed", "exponential", "lognormal", "gamma", "beta", "poisson", "empirical"):
        assert name in line


# -- every problem at once, and bounds that can be typed back (issue 15) -------------------------------


def test_every_intake_slot_past_midnight_is_reported(baseline_data: dict[str, Any]) -> None:
    """Only schedule[0] was reported: fix it, rerun, meet schedule[2]."""
    baseline_data["intake"]["schedule"] = [
        {"weekday": "mon", "start_time": "23:00"},
        {"weekday": "tue", "start_time": "10:00"},
        {"weekday": "sun", "start_time": "23:30"},
    ]
    assert error_lines(baseline_data) == [
        f"clinic.yaml: intake.schedule[{index}].start_time: assessment would run past midnight "
        f"(got '{start}'; allowed a start that leaves 90 minutes before 24:00)"
        for index, start in ((0, "23:00"), (2, "23:30"))
    ]


def test_every_payer_with_a_4plus_rate_below_its_basic_rate_is_reported(
    baseline_data: dict[str, Any],
) -> None:
    payers = baseline_data["money"]["payers"]
    payers["medicare"]["per_diem_4plus_services_usd"] = 100.0
    payers["medicaid"]["per_diem_4plus_services_usd"] = 150.0
    payers["medicaid"]["per_diem_usd"] = 200.0000001
    assert error_lines(baseline_data) == [
        "clinic.yaml: money.payers.medicare.per_diem_4plus_services_usd: the 4+ services rate is below the "
        "basic rate (got 100; allowed >= per_diem_usd (259.13))",
        "clinic.yaml: money.payers.medicaid.per_diem_4plus_services_usd: the 4+ services rate is below the "
        "basic rate (got 150; allowed >= per_diem_usd (200.0000001))",
    ]


def test_a_tracks_independent_schedule_rules_are_reported_together(baseline_data: dict[str, Any]) -> None:
    track = baseline_data["tracks"]["evening"]
    track["start_time"] = "22:00"
    track["admission"] = {"policy": "cohort", "cohort_weekdays": ["sun"]}
    assert error_lines(baseline_data) == [
        "clinic.yaml: tracks.evening.hours_per_day: the programme day runs past midnight "
        "(got 3; allowed <= 2 for start_time 22:00)",
        f"clinic.yaml: tracks.evening.admission.cohort_weekdays: cohort start days must be programme days "
        f"(got a list ['sun']; allowed a subset of {track['weekdays']})",
    ]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hour=st.integers(13, 23), minute=st.integers(0, 59), over=st.floats(1e-6, 5.0))
def test_the_allowed_programme_day_shown_is_accepted(
    baseline_data: dict[str, Any], hour: int, minute: int, over: float
) -> None:
    """Was `got 0.0166667; allowed <= 0.0166667` for 23:59: the bound shown, typed back, was refused."""
    track = baseline_data["tracks"]["evening"]
    track.update(start_time=f"{hour:02d}:{minute:02d}", group_sessions_per_day=1, session_minutes=0.5)
    track["hours_per_day"] = min(12.0, 24 - hour - minute / 60 + over)
    lines = [line for line in error_lines(baseline_data) if "hours_per_day" in line]
    assert len(lines) == 1, lines
    match = re.search(r"allowed <= ([0-9.e+-]+)[ )]", lines[0])
    assert match is not None, lines[0]
    track["hours_per_day"] = float(match.group(1))
    validate_config(baseline_data)  # the bound as shown is accepted
    assert math.isclose(float(match.group(1)), 24 - hour - minute / 60, rel_tol=1e-5)  # and is the bound


@pytest.mark.parametrize(
    ("where", "value", "tweak"),
    [
        (("length_of_stay", "progress_review", "early_completion_probability"), 0.9,
         lambda data: data["length_of_stay"]["progress_review"].update(extend_probability=1 / 3)),
        (("tracks", "evening", "hours_per_day"), 3.0,
         lambda data: data["staff"]["roles"]["evening_therapist"].update(fte=1 / 60)),
        (("services", "individual_therapy", "session_minutes"), 60.0,
         lambda data: data["staff"]["roles"]["evening_therapist"].update(fte=1 / 90)),
    ],
)  # fmt: skip
def test_a_computed_bound_shown_is_accepted(
    baseline_data: dict[str, Any], where: tuple[str, ...], value: float, tweak: Any
) -> None:
    """1 - 1/3 was shown as 0.666667, itself refused; weekly_hours x fte likewise."""
    tweak(baseline_data)
    *parents, field = where
    holder = baseline_data
    for key in parents:
        holder = holder[key]
    holder[field] = value
    path = ".".join(where)
    (line,) = [line for line in error_lines(baseline_data) if f": {path}: " in line]
    match = re.search(r"allowed <= ([0-9.e+-]+)[ )]", line)
    assert match is not None, line
    holder[field] = float(match.group(1))
    assert path not in _problem_paths(baseline_data)


def _problem_paths(data: Any) -> set[str]:
    try:
        validate_config(data)
    except ConfigError as exc:
        return {problem.path for problem in exc.problems}
    return set()


@given(value=st.floats(1e-12, 1e12))
def test_bounds_are_printed_on_their_allowed_side(value: float) -> None:
    assert float(at_most(value)) <= value <= float(at_least(value))
    assert math.isclose(float(at_most(value)), value, rel_tol=1e-5)
    assert math.isclose(float(at_least(value)), value, rel_tol=1e-5)


def test_shares_must_sum_to_one(baseline_data: dict[str, Any]) -> None:
    baseline_data["referrals"]["sources"]["step_up"]["payer_mix"]["medicare"] = 0.5
    assert error_lines(baseline_data) == [
        "clinic.yaml: referrals.sources.step_up.payer_mix: shares must add up to 1 (got 'sum 1.35'; allowed sum 1)"
    ]


def test_intake_outcomes_must_sum_to_one(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["outcomes"]["decline"] = 0.2
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: intake.outcomes.admit: outcome probabilities must add up to 1")


def test_programme_day_must_fit_in_the_day(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["evening"]["start_time"] = "22:00"
    (line,) = error_lines(baseline_data)
    assert line == (
        "clinic.yaml: tracks.evening.hours_per_day: the programme day runs past midnight "
        "(got 3; allowed <= 2 for start_time 22:00)"
    )


def test_sessions_must_fit_in_the_programme_day(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["group_sessions_per_day"] = 4
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: tracks.day.group_sessions_per_day: group sessions do not fit")


def test_intake_slot_must_end_before_midnight(baseline_data: dict[str, Any]) -> None:
    baseline_data["intake"]["schedule"][3]["start_time"] = "23:00"
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: intake.schedule[3].start_time: assessment would run past midnight")


@pytest.mark.parametrize("bad", ["25:00", "9h", "12:60"])
def test_time_of_day_is_checked(baseline_data: dict[str, Any], bad: str) -> None:
    baseline_data["tracks"]["day"]["start_time"] = bad
    (line,) = error_lines(baseline_data)
    assert line.startswith(f"clinic.yaml: tracks.day.start_time: not a time of day (got '{bad}'; allowed ")


def test_unquoted_clock_time_stays_a_time(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace('start_time: "18:00"', "start_time: 17:30")
    config = load_config(write(tmp_path, text))
    assert config.tracks["evening"].start_time == "17:30"


def test_weekdays_must_be_weekdays(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["weekdays"] = ["mon", "funday"]
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: tracks.day.weekdays[1]: not one of the allowed values (got 'funday'")


def test_weekday_listed_twice(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["day"]["weekdays"] = ["mon", "mon"]
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: tracks.day.weekdays: weekday listed twice")


def test_cohort_days_must_be_programme_days(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["evening"]["admission"] = {"policy": "cohort", "cohort_weekdays": ["wed"]}
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: tracks.evening.admission.cohort_weekdays: cohort start days")


@pytest.mark.parametrize("bad", ["2027-02-30", "next monday"])
def test_dates_must_parse(baseline_data: dict[str, Any], bad: str) -> None:
    baseline_data["clinic"]["opening_date"] = bad
    (line,) = error_lines(baseline_data)
    assert line.startswith(f"clinic.yaml: clinic.opening_date: not a valid date (got '{bad}'")


def test_impossible_date_in_yaml_is_a_located_error(tmp_path: Path) -> None:
    text = BASELINE.read_text(encoding="utf-8").replace(
        "opening_date: 2027-01-04", "opening_date: 2027-02-30"
    )
    (line,) = file_errors(write(tmp_path, text))
    assert ": clinic.opening_date: not a valid date (got '2027-02-30'" in line


@pytest.mark.parametrize(("value", "shown"), [("2", "'2'"), (2.5, "2.5"), (True, "true")])
def test_wrong_types_are_not_coerced(baseline_data: dict[str, Any], value: Any, shown: str) -> None:
    baseline_data["tracks"]["day"]["groups"] = value
    assert error_lines(baseline_data) == [
        f"clinic.yaml: tracks.day.groups: wrong type (got {shown}; allowed a whole number)"
    ]


def test_warmup_must_end_before_horizon(baseline_data: dict[str, Any]) -> None:
    baseline_data["simulation"]["warmup_days"] = 2000
    (line,) = error_lines(baseline_data)
    assert line == (
        "clinic.yaml: simulation.warmup_days: warm-up must end before the horizon, leaving a whole day of "
        "results; a part day of warm-up counts as a whole day (got 2000; allowed <= 1094 for horizon_days 1095)"
    )


def test_cross_references_are_all_reported(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["evening"]["facilitator_role"] = "night_therapist"
    baseline_data["referrals"]["sources"]["community"]["payer_mix"] = {"medicare": 0.5, "tricare": 0.5}
    baseline_data["tracks"]["day"]["group_size"]["max"] = 14
    lines = error_lines(baseline_data)
    assert lines == [
        "clinic.yaml: tracks.day.group_size.max: groups larger than a room (got 14; allowed <= rooms.group_room_seats (12))",
        "clinic.yaml: tracks.evening.facilitator_role: unknown staff role (got night_therapist; "
        "allowed evening_therapist, intake_clinician, prescriber, therapist)",
        "clinic.yaml: referrals.sources.community.payer_mix.tricare: unknown payer (got tricare; "
        "allowed commercial, medicaid, medicare, self_pay)",
    ]


def test_invalid_names_are_refused(baseline_data: dict[str, Any]) -> None:
    baseline_data["tracks"]["Day Track"] = baseline_data["tracks"].pop("day")
    lines = error_lines(baseline_data)
    assert lines[0].startswith("clinic.yaml: tracks.Day Track: not a valid name")


def test_readmission_is_a_reserved_source_name(baseline_data: dict[str, Any]) -> None:
    sources = baseline_data["referrals"]["sources"]
    sources["readmission"] = sources.pop("community")
    (line,) = error_lines(baseline_data)
    assert line.startswith("clinic.yaml: referrals.sources.readmission: this source name is reserved")


def test_yaml_cannot_construct_python_objects(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, f'clinic: !!python/object/apply:os.system ["touch {marker}"]\n')
    (line,) = file_errors(path)
    assert "malformed YAML" in line
    assert not marker.exists()


def test_explicit_bad_tag_value_is_a_yaml_error(tmp_path: Path) -> None:
    (line,) = file_errors(write(tmp_path, "simulation: !!int twelve\n"))
    assert "malformed YAML: cannot read a value" in line


# -- overrides ---------------------------------------------------------------------------------------


def test_override_changes_one_field() -> None:
    config = load_config(BASELINE, ["tracks.day.group_size.max=10", "tracks.day.weekdays=[mon, wed, fri]"])
    assert config.tracks["day"].group_size.max == 10
    assert config.tracks["day"].weekdays == ("mon", "wed", "fri")
    assert config.tracks["evening"] == load_config(BASELINE).tracks["evening"]


def test_override_into_a_list_and_to_null() -> None:
    config = load_config(BASELINE, ["intake.schedule[0].parallel_slots=2", "services.family=null"])
    assert config.intake.schedule[0].parallel_slots == 2
    assert config.services.family is None


def test_override_is_validated_like_the_file() -> None:
    """And each problem an override causes is the command line's, naming the option, not the file's."""
    with pytest.raises(ConfigError) as caught:
        load_config(BASELINE, ["tracks.day.group_size.min=13", "simulation.seed=-1", "tracks.day.grups=3"])
    lines = caught.value.lines()
    assert (
        "command line: --set tracks.day.group_size.min=13: tracks.day.group_size.min: "
        "minimum group size exceeds the maximum (got 13; allowed <= max (12))" in lines
    )
    assert any(
        line.startswith(
            "command line: --set simulation.seed=-1: simulation.seed: out of range (got -1; allowed 0 to "
        )
        for line in lines
    )
    assert any(
        line.startswith(
            "command line: --set tracks.day.grups=3: tracks.day.grups: unknown key; did you mean 'groups'?"
        )
        for line in lines
    )
    assert not any(line.startswith(str(BASELINE)) for line in lines)


def test_override_path_that_does_not_exist() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(BASELINE, ["tracks.dya.groups=3", "intake.schedule[40].start_time=10:00", "nonsense"])
    assert caught.value.lines() == [
        "command line: --set tracks.dya.groups=3: tracks has no key 'dya' (allowed day, evening)",
        "command line: --set intake.schedule[40].start_time=10:00: intake.schedule is a list; "
        "40 is not an index in it (allowed 0 to 19)",
        "command line: --set nonsense: missing '=value' (allowed e.g. tracks.day.groups=3)",
    ]


@pytest.mark.parametrize(
    ("assignment", "whole"),
    [
        ("staff.roles.intake_clinician.hires[0].date=2028-01-01",
         "staff.roles.intake_clinician.hires=[{date: 2028-01-01}]"),
        ("staff.roles.intake_clinician.hires[1]={date: 2028-01-01, count: 2}",
         "staff.roles.intake_clinician.hires=[{date: 2028-01-01, count: 2}]"),
        ("staff.roles.intake_clinician.hires.0.count=2", "staff.roles.intake_clinician.hires=[{count: 2}]"),
    ],
)  # fmt: skip
def test_an_index_into_an_empty_list_says_to_set_the_whole_list(assignment: str, whole: str) -> None:
    """Was `... 0 is not an index in it (allowed 0 to -1)`."""
    with pytest.raises(ConfigError) as caught:
        load_config(BASELINE, [assignment])
    where, _ = whole.split("=", 1)
    index = assignment.removeprefix(where).lstrip(".[")[0]
    assert caught.value.lines() == [
        f"command line: --set {assignment}: {where} is an empty list; {index} is not an index in it "
        f"(allowed set the whole list: {whole})"
    ]
    if "date" in whole:  # the suggestion, typed as shown, is read as the list meant
        config = load_config(BASELINE, [whole])
        assert config.staff.roles["intake_clinician"].hires[0].date == dt.date(2028, 1, 1)


def test_overrides_do_not_change_their_input(baseline_data: dict[str, Any]) -> None:
    before = json.dumps(baseline_data, sort_keys=True, default=str)
    changed = apply_overrides(baseline_data, ["tracks.day.groups=5"])
    assert changed["tracks"]["day"]["groups"] == 5
    assert json.dumps(baseline_data, sort_keys=True, default=str) == before


def test_the_validated_config_round_trips(baseline_data: dict[str, Any]) -> None:
    config = validate_config(baseline_data)
    again = SimiopConfig.model_validate_json(config.model_dump_json())
    assert again == config


def test_schema_gives_list_lengths_as_item_counts() -> None:
    """A list's length bound must be minItems/maxItems: editors ignore minLength on an array."""
    found: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "array" and ({"minLength", "maxLength"} & set(node)):
                found.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    schema = config_json_schema()
    walk(schema, "")
    assert found == []
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    assert defs["Track"]["properties"]["weekdays"]["minItems"] == 1


def test_empty_text_and_hidden_fractions_are_explained() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(BASELINE, ['clinic.name=""', "tracks.day.group_size.min=10000.000000000002"])
    assert caught.value.lines() == [
        "command line: --set clinic.name=\"\": clinic.name: wrong length of text (got ''; allowed at least 1 character)",
        "command line: --set tracks.day.group_size.min=10000.000000000002: tracks.day.group_size.min: wrong type "
        "(got 10000.000000000002; allowed a whole number)",
    ]


# -- field docs say what the model does (issue 15) ----------------------------------------------------


def _doc(model: type[pydantic.BaseModel], field: str) -> str:
    return " ".join((field_description(model, field) or "").split())


def test_ramp_up_initial_fraction_is_documented_as_the_rate_at_opening() -> None:
    """The model's rate at day 0 is initial_fraction x the full rate; the first week gets more than that."""
    import numpy as np

    from simiop.config.referrals import RampUp, ReferralSource
    from simiop.model.referrals import rate_per_day

    assert _doc(RampUp, "initial_fraction").startswith("Referral rate at opening (day 0) as a share")
    assert "first week after opening" not in _doc(RampUp, "initial_fraction")
    source = ReferralSource.model_validate(
        {
            "kind": "community",
            "weekly_rate": 7.0,
            "ramp_up": {"initial_fraction": 0.2, "weeks_to_full": 4},
            "track_preference": {"either": 1.0},
            "payer_mix": {"commercial": 1.0},
        }
    )
    days = np.linspace(0.0, 7.0, 7001)
    rates = rate_per_day(source, days, np.ones_like(days))
    assert rates[0] == pytest.approx(0.2)  # per day: 0.2 x the full 1/day, at opening
    first_week_share = float(rates.mean())  # evenly spaced over the week: the mean rate of the week
    assert first_week_share == pytest.approx(0.2 + 0.8 * 3.5 / 28, rel=1e-6)  # 0.3, not 0.2


@pytest.mark.parametrize(
    ("model", "field", "says"),
    [
        ("staff.StaffRole", "shift", "prescriber and family sessions"),
        (
            "staff.StaffRole",
            "weekly_hours",
            "group, individual, prescriber and family sessions and intake assessments",
        ),
        ("care.IndividualTherapy", "sessions_per_week", "at most one per attended programme day"),
        ("care.PrescriberVisits", "role", "works the patient's track's shift"),
        ("intake.IntakeSlot", "parallel_slots", "capped by how many of them are at work that day"),
        ("tracks.GroupSize", "min", "merged with other groups"),
        ("tracks.Track", "hours_per_day", "direct time is the sessions' minutes, the breaks are not"),
    ],
)
def test_field_docs_name_what_the_model_does(model: str, field: str, says: str) -> None:
    """The doc mismatches found in the audit, each pinned to the model behaviour it now states."""
    import importlib

    module, name = model.split(".")
    cls = getattr(importlib.import_module(f"simiop.config.{module}"), name)
    assert says in _doc(cls, field)


# -- dates: whatever validate accepts, every date of the run can be computed (issue 15) ---------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(
    opening=dt.date(2197, 1, 1), horizon=1095, fiscal_month=7, hire=dt.date(2198, 1, 1)
)  # ends 2199-12-31
@example(
    opening=dt.date(2197, 1, 1), horizon=1096, fiscal_month=7, hire=dt.date(2198, 1, 1)
)  # a day too long
@example(opening=dt.date(2199, 12, 31), horizon=1, fiscal_month=1, hire=dt.date(2199, 12, 31))  # 1-day run
@example(opening=dt.date(2199, 12, 31), horizon=2, fiscal_month=1, hire=dt.date(2199, 12, 31))
@given(
    opening=st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    horizon=st.integers(1, 36_500),  # whole days: fractional horizons are another rule
    fiscal_month=st.integers(1, 12),
    hire=st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
)
def test_every_accepted_date_can_be_computed(
    baseline_data: dict[str, Any], opening: dt.date, horizon: int, fiscal_month: int, hire: dt.date
) -> None:
    """A config is refused with a line naming the date field, or its calendar and periods all compute."""
    from simiop.model.calendar import ClinicCalendar
    from simiop.results.periods import periods

    data = copy.deepcopy(baseline_data)
    data["clinic"]["opening_date"] = opening.isoformat()
    data["simulation"]["horizon_days"] = horizon
    data["money"]["fiscal_year_start_month"] = fiscal_month
    data["staff"]["roles"]["therapist"]["hires"] = [{"date": hire.isoformat()}]
    first, last = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
    in_range = first <= opening <= last and first <= hire <= last
    fits = in_range and opening + dt.timedelta(days=horizon - 1) <= last  # the run's last day
    try:
        config = validate_config(data)
    except ConfigError as exc:
        refused = {problem.path for problem in exc.problems}
    else:
        refused = set()
    assert bool(refused) == (not fits), refused
    assert refused <= {
        "clinic.opening_date",
        "staff.roles.therapist.hires[0].date",
        "simulation.horizon_days",
    }
    if refused:
        return
    calendar = ClinicCalendar.for_config(config)
    assert calendar.date_of(calendar.days - 1) <= last
    found = periods(config)
    assert found
    assert all(period.start_date <= period.end_date for period in found)
    assert all(label.startswith("FY") for label in (p.label for p in found if p.kind == "fiscal_year"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opening=st.dates(dt.date(2110, 1, 1), dt.date(2199, 12, 31)), beyond=st.integers(-2, 2))
def test_the_last_supported_date_is_a_runs_last_day_exactly(
    baseline_data: dict[str, Any], opening: dt.date, beyond: int
) -> None:
    """A run whose last day is 2199-12-31 is accepted, one a day longer refused (was a day too strict)."""
    last = dt.date(2199, 12, 31)
    horizon = (last - opening).days + 1 + beyond  # beyond == 0: the last day is exactly `last`
    if horizon < 1:
        return
    data = copy.deepcopy(baseline_data)
    data["clinic"]["opening_date"] = opening.isoformat()
    data["simulation"]["horizon_days"] = horizon
    data["simulation"]["warmup_days"] = 0
    data["staff"]["roles"]["therapist"]["hires"] = []
    if beyond <= 0:
        validate_config(data)
        return
    with pytest.raises(ConfigError) as caught:
        validate_config(data)
    assert [p.path for p in caught.value.problems] == ["simulation.horizon_days"]
    assert caught.value.problems[0].allowed == f"<= {(last - opening).days + 1} for this opening_date"


def test_reading_a_config_builds_the_validator_of_the_whole_config_not_of_every_section() -> None:
    """The config models defer their validators (``defer_build``): reading a config builds SimiopConfig's,
    which holds every section's schema, and leaves the sections' own unbuilt (each one built cost time at
    every start). In a fresh process, as other tests validate sections on their own."""
    import subprocess
    import sys

    probe = (
        "from simiop.config import load_config\n"
        "from simiop.config.care import AttendanceConfig\n"
        "from simiop.config.distributions import Exponential\n"
        "from simiop.config.model import SimiopConfig\n"
        "from simiop.config.referrals import ReferralSource\n"
        "from simiop.config.tracks import Track\n"
        f"config = load_config({str(BASELINE)!r})\n"
        "print(SimiopConfig.__pydantic_complete__, [model.__pydantic_complete__ for model in "
        "(AttendanceConfig, Exponential, ReferralSource, Track)])"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "True [False, False, False, False]"
