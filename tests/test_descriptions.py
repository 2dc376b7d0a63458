"""Field descriptions are the attribute docstrings, read when a schema or the reference asks for them.

The config models are made without them (reading every class's source at
every start costs a sixth of a short run); these tests hold that nothing a
document shows is lost by that: the JSON Schema carries, for every field of
every model, exactly the docstring written under it, as pydantic's own
``use_attribute_docstrings`` gave it.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simiop.cli import config_json_schema
from simiop.config import SimiopConfig
from simiop.config.base import Frozen
from simiop.config.descriptions import attribute_docstrings, describe_fields, field_description


class _Inner(BaseModel):
    size: int = 1
    """How big.

    In units."""
    untold: int = 0
    explicit: int = Field(0, description="given explicitly")
    """not this one"""


class _Outer(_Inner):
    inner: _Inner = _Inner()
    """The inner part."""
    size: int = 2


class _PydanticInner(BaseModel):  # _Inner as pydantic reads its docstrings itself, as each class is made
    model_config = ConfigDict(use_attribute_docstrings=True)
    size: int = 1
    """How big.

    In units."""
    untold: int = 0
    explicit: int = Field(0, description="given explicitly")
    """not this one"""


class _PydanticOuter(_PydanticInner):
    inner: _PydanticInner = _PydanticInner()
    """The inner part."""
    size: int = 2


def test_attribute_docstrings_reads_the_string_under_each_annotated_attribute() -> None:
    assert attribute_docstrings(_Inner) == {
        "size": "How big.\n\nIn units.",
        "explicit": "not this one",
    }
    assert attribute_docstrings(_Outer) == {"inner": "The inner part."}


def test_describe_fields_follows_pydantic_rules_and_rebuilds_nested_schemas() -> None:
    assert _Inner.model_fields["size"].description is None  # made without them
    describe_fields(_Inner)
    assert _Inner.model_fields["size"].description == "How big.\n\nIn units."
    assert _Inner.model_fields["untold"].description is None
    assert _Inner.model_fields["explicit"].description == "given explicitly"  # an explicit one is kept
    assert _Outer.model_fields["inner"].description == "The inner part."
    assert _Outer.model_fields["size"].description is None  # annotated again without a docstring
    assert _Outer.model_fields["explicit"].description == "given explicitly"  # inherited
    schema = _Outer.model_json_schema()
    assert schema["properties"]["inner"]["description"] == "The inner part."
    assert schema["$defs"]["_Inner"]["properties"]["size"]["description"] == "How big.\n\nIn units."
    theirs = json.dumps(_PydanticOuter.model_json_schema()).replace("_Pydantic", "_")
    assert json.dumps(schema) == theirs


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found, stack = [], [root]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_the_config_schema_gives_every_documented_field_its_docstring() -> None:
    """Every model in SimiopConfig's schema: each property's description is its field's docstring."""
    schema: dict[str, Any] = config_json_schema()
    by_name = {cls.__name__: cls for cls in _models(Frozen) if cls.__module__.startswith("simiop.config")}
    checked = 0
    for name, definition in schema["$defs"].items():
        model = by_name.get(name)
        if model is None or "properties" not in definition:
            continue
        names = {info.alias or name: name for name, info in model.model_fields.items()}
        for key, shown in definition["properties"].items():
            field = names[key]
            owner = next(c for c in model.__mro__ if field in vars(c).get("__annotations__", {}))
            expected = attribute_docstrings(owner).get(field)
            assert shown.get("description") == expected, f"{name}.{field}"
            checked += expected is not None
    assert checked > 100  # the schema's descriptions were checked, not skipped
    assert field_description(SimiopConfig, "clinic") == inspect.cleandoc(
        attribute_docstrings(SimiopConfig)["clinic"]
    )
