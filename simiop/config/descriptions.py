"""Field descriptions read from the attribute docstrings, once, and only when a document needs them.

Every config field is documented by the docstring under it, and that text
is the field's description in the JSON Schema (``simiop schema``) and the
config reference. Pydantic can read those docstrings as each model class is
made (``use_attribute_docstrings``), but it then reads and parses the
source of every class at every start of simiop: about 45 ms, a tenth of
a one-week run. Validation never uses a description, so the models are
made without them, and ``describe_fields`` reads the docstrings the way
pydantic does (an annotated attribute followed by a string) when a schema
or the reference is asked for, and rebuilds the models so that their JSON
Schema carries them. ``Frozen.model_json_schema`` does that first; code that
reads ``model_fields[name].description`` calls ``field_description``.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from pydantic import BaseModel


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstrings of the attributes annotated in ``cls``'s own body: {name: cleaned text}."""
    source = textwrap.dedent(inspect.getsource(cls))
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.ClassDef):  # pragma: no cover - getsource of a class is its class statement
        return {}
    found: dict[str, str] = {}
    for statement, following in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """``root`` and every subclass, each after its bases."""
    ordered: list[type[BaseModel]] = []
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls not in ordered:
            ordered.append(cls)
            stack.extend(reversed(cls.__subclasses__()))
    return ordered


_DESCRIBED: set[type[BaseModel]] = set()
"""The models whose fields have their descriptions already (new subclasses may appear later)."""


def describe_fields(root: type[BaseModel]) -> None:
    """Give every field of ``root``'s subclasses its docstring as description, and rebuild their schemas.

    A field takes the docstring of the nearest class (in method resolution
    order) whose body annotates it, as pydantic's own reading does; a
    description given explicitly (``Field(description=...)``) is kept.
    Models are rebuilt twice: the first pass may rebuild a model before a
    model it holds, whose schema it then copies without descriptions.
    """
    models = [cls for cls in _models(root) if cls not in _DESCRIBED]
    if not models:
        return
    docs = {cls: attribute_docstrings(cls) for cls in models}
    for cls in models:
        for name, field in cls.__pydantic_fields__.items():
            if field.description is not None:
                continue
            owner = next((c for c in cls.__mro__ if name in vars(c).get("__annotations__", {})), None)
            text = docs.get(owner, {}).get(name) if owner in docs else None
            if text is not None:
                field.description = text
    for _ in range(2):
        for cls in models:
            cls.model_rebuild(force=True)
    _DESCRIBED.update(models)


def field_description(model: type[BaseModel], name: str) -> str | None:
    """The description of ``model``'s field ``name``: its docstring (read now if not yet)."""
    from simiop.config.base import Frozen

    describe_fields(Frozen)
    return model.model_fields[name].description
