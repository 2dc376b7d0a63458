"""docs/config-reference.md: in step with the models, complete against the JSON schema, right where it matters.

The document is generated from the pydantic models, so the completeness check
walks the JSON schema instead: a field the generator skipped (a new kind of
type, a union it mishandles) shows up as a schema path missing from the tables.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from simiop.cli.config_commands import config_json_schema
from simiop.config.reference import NO_VALUE, REGENERATE, render_reference, unit_of
from tests.conftest import REPO

DOC = REPO / "docs" / "config-reference.md"

Rows = dict[str, dict[str, str]]
"""Table rows by their first cell (backticks removed), each as {column header: cell}."""


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table line, splitting only at unescaped pipes."""
    inner = line.strip()[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _tables(document: str) -> dict[str, Rows]:
    """Every table's rows, by the heading line above the table (e.g. "## `money`", "### `normal`")."""
    tables: dict[str, Rows] = {}
    heading = ""
    header: list[str] = []
    for line in document.splitlines():
        if line.startswith("#"):
            heading, header = line, []
        elif line.startswith("|"):
            cells = _cells(line)
            if not header:
                header = cells
            elif set(cells) != {"---"}:
                # strict: a row with an unescaped | in its text has too many cells
                tables.setdefault(heading, {})[cells[0].strip("`")] = dict(zip(header, cells, strict=True))
    return tables


def _field_rows(document: str) -> Rows:
    """Rows of the config sections (## headings), by dotted path."""
    rows: Rows = {}
    for heading, table in _tables(document).items():
        if heading.startswith("## `"):
            rows.update(table)
    return rows


def _family_rows(document: str) -> dict[str, Rows]:
    """Rows of each distribution family's table (### `name` headings), by family name."""
    return {
        heading.removeprefix("### ").strip("`"): table
        for heading, table in _tables(document).items()
        if heading.startswith("### `")
    }


def _placeholders_as_star(path: str) -> str:
    """`tracks.<track>.groups` -> `tracks.<*>.groups`: the schema does not know what a key means."""
    return re.sub(r"<[^<>]+>", "<*>", path)


class _SchemaWalk:
    """Field paths read from the JSON schema alone, independently of simiop.config.reference."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema["$defs"]
        self.paths: set[str] = set()
        self.leaves: set[str] = set()
        self.families: dict[str, set[str]] = {}
        self.walk(schema, "")

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.defs[node["$ref"].removeprefix("#/$defs/")]
        return node

    def walk(self, node: dict[str, Any], path: str) -> None:
        node = self.resolve(node)
        if path:
            self.paths.add(path)
        options = node.get("oneOf", [])
        if options and all("dist" in self.resolve(option).get("properties", {}) for option in options):
            # a distribution: the field is a leaf, its parameters are documented once
            for option in map(self.resolve, options):
                self.families[option["properties"]["dist"]["const"]] = set(option["properties"])
            self.leaves.add(path)
        elif "anyOf" in node or "oneOf" in node:  # X or null; one of several forms (a list or a rule)
            for option in node.get("anyOf", options):
                if option != {"type": "null"}:
                    self.walk(option, path)
        elif "properties" in node:
            for name, child in node["properties"].items():
                self.walk(child, f"{path}.{name}" if path else name)
        else:
            self.walk_part(node, path)

    def walk_part(self, node: dict[str, Any], path: str) -> None:
        """Mappings and lists: recurse when their entries are objects with fields, else a leaf."""
        parts: list[tuple[str, dict[str, Any]]] = [
            (".<*>", value) for value in node.get("patternProperties", {}).values()
        ]
        if isinstance(node.get("additionalProperties"), dict):
            parts.append((".<*>", node["additionalProperties"]))
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            parts.append(("[]", node["items"]))
        nested = [(suffix, child) for suffix, child in parts if "properties" in self.resolve(child)]
        for suffix, child in nested:
            self.walk(child, path + suffix)
        if not nested:
            self.leaves.add(path)


@pytest.fixture(scope="module")
def document() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schema_walk() -> _SchemaWalk:
    return _SchemaWalk(config_json_schema())


def test_committed_reference_is_up_to_date(document: str) -> None:
    assert document == render_reference(), (
        f"docs/config-reference.md is out of date with the config models; regenerate it with: {REGENERATE}"
    )


def test_regeneration_command_writes_the_reference() -> None:
    """The command the document names really prints it, in a fresh process with its own hash seed."""
    module = REGENERATE.split(" -m ")[1].split(" > ")[0]
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=REPO,
        capture_output=True,
        encoding="utf-8",
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"},
    )
    assert result.stdout == render_reference()


def test_header_names_the_regeneration_command(document: str) -> None:
    first_paragraph = document.split("\n\n")[1]
    assert REGENERATE in " ".join(first_paragraph.split())
    assert "must not be edited by hand" in first_paragraph


def test_every_schema_leaf_is_documented(document: str, schema_walk: _SchemaWalk) -> None:
    documented = {_placeholders_as_star(path) for path in _field_rows(document)}
    missing = sorted(schema_walk.leaves - documented)
    assert not missing, f"fields in the JSON schema but not in docs/config-reference.md: {missing}"


def test_every_documented_path_is_in_the_schema(document: str, schema_walk: _SchemaWalk) -> None:
    documented = {_placeholders_as_star(path) for path in _field_rows(document)}
    unknown = sorted(documented - schema_walk.paths)
    assert not unknown, f"paths in docs/config-reference.md that the JSON schema does not have: {unknown}"


def test_every_distribution_parameter_is_documented_once(document: str, schema_walk: _SchemaWalk) -> None:
    families = _family_rows(document)
    assert set(families) == set(schema_walk.families)
    for name, parameters in schema_walk.families.items():
        assert set(families[name]) == parameters, name
        assert families[name]["dist"]["type"] == f"`{name}`"


def test_every_field_has_a_type_bounds_default_and_description_cell(document: str) -> None:
    for path, row in _field_rows(document).items():
        assert row["type"], path
        assert (
            row["default"] == "required"
            or row["default"].startswith("required unless `")
            or row["default"].startswith("`")
            or row["default"] == ("its fields' defaults")
        ), path
        assert row["description"], path


@pytest.mark.parametrize(
    ("path", "column", "expected"),
    [
        ("money.payers.<payer>.per_diem_usd", "type", "number"),
        ("money.payers.<payer>.per_diem_usd", "unit", "USD/day"),
        ("money.payers.<payer>.per_diem_usd", "bounds", "0 to 100000"),
        ("money.payers.<payer>.per_diem_usd", "default", "required"),
        ("money.payers.<payer>.per_diem_4plus_services_usd", "type", "number or null"),
        ("money.payers.<payer>.per_diem_4plus_services_usd", "default", "`null`"),
        ("money.payers.<payer>.min_services_per_day", "bounds", "0 to 12"),
        ("money.fiscal_year_start_month", "default", "`7`"),
        ("simulation.horizon_days", "default", "required unless `until` or `fiscal_years` is given"),
        ("simulation.horizon_days", "bounds", "> 0 and <= 36500"),
        ("simulation.replications", "default", "`10`"),
        ("simulation.replications", "type", "integer"),
        ("simulation.replications", "bounds", "1 to 100000"),
        ("tracks.<track>.group_size.max", "bounds", "1 to 50"),
        ("tracks.<track>.group_size.max", "unit", "patients/group"),
        ("tracks.<track>.admission.policy", "type", "one of `rolling`/`cohort`/`continuous`"),
        ("tracks.<track>.weekdays", "bounds", "at least 1 item; no weekday twice"),
        ("staff.roles.<role>.caseload_cap", "type", "integer or null"),
        ("staff.roles.<role>.caseload_cap", "unit", "patients"),
        ("staff.roles.<role>.caseload_cap", "bounds", "1 to 500"),
        ("staff.roles.<role>.annual_salary_usd", "unit", "USD/year"),
        ("staff.roles.<role>.hires[].count", "unit", "persons"),
        ("referrals.sources.<source>.seasonality.amplitude", "bounds", ">= 0 and < 1"),
        ("intake.assessment_minutes", "unit", "minutes"),
        ("intake.patience_days", "type", "[distribution](#distributions)"),
        ("intake.patience_days", "bounds", "draws >= 0"),
        ("attendance.propensity", "bounds", "draws 0 to 1"),
        ("services", "default", "its fields' defaults"),
        ("services.family", "default", "`null`"),
        ("config_version", "bounds", "only 1"),
    ],
)
def test_spot_checks(document: str, path: str, column: str, expected: str) -> None:
    assert _field_rows(document)[path][column] == expected


def test_shares_say_they_sum_to_one(document: str) -> None:
    bounds = _field_rows(document)["referrals.sources.<source>.payer_mix"]["bounds"]
    assert "values: 0 to 1" in bounds
    assert "values sum to 1" in bounds


def test_normal_documents_its_yaml_key_not_its_attribute(document: str) -> None:
    normal = _family_rows(document)["normal"]
    assert "mean" in normal
    assert "location" not in normal


@pytest.mark.parametrize(
    ("description", "unit"),
    [
        ("Payment for a billable day with fewer than 4 services (USD/day).", "USD/day"),
        ("Salary of one full-time person per year (USD/year; BLS median wages).", "USD/year"),
        ("People in this role at opening (persons).", "persons"),
        ("Full-time equivalent of each person (1.0 = full time).", NO_VALUE),
        ("Share of the full weekly rate (0 to 1).", NO_VALUE),
        ("Service hours a patient-week must reach (Medicare: 9).", NO_VALUE),
        ("Length of one group session in minutes.", NO_VALUE),
        (None, NO_VALUE),
    ],
)
def test_unit_rule(description: str | None, unit: str) -> None:
    assert unit_of(description) == unit


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("session_minutes", "minutes"),
        ("patience_days", "days"),
        ("weeks_to_full", "weeks"),
        ("group_sessions_per_day", NO_VALUE),
        ("weekly_rate", NO_VALUE),
    ],
)
def test_a_field_name_states_a_unit_when_the_description_does_not(name: str, unit: str) -> None:
    assert unit_of("No parenthesised unit here.", name) == unit
    assert unit_of("Stated here (USD/day).", name) == "USD/day"


def test_unit_rule_refuses_two_units() -> None:
    with pytest.raises(ValueError, match="several units"):
        unit_of("Hours (hours/week) or days (days/year).")


def test_services_counted_default_names_both_cases() -> None:
    """A payer's services_counted left out depends on professional_fees (a before-validator fills it in):
    the reference's default column says both cases, not the field's own default (bundled payers' is wrong)."""
    from simiop.config.money import counted_by_default

    row = next(
        line
        for line in render_reference().splitlines()
        if line.startswith("| `money.payers.<payer>.services_counted`")
    )
    default = row.split(" | ")[4]
    for bundled in (True, False):
        assert json.dumps(list(counted_by_default(bundled=bundled))) in default
    assert "professional_fees" in default
