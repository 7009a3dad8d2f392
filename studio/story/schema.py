"""A small JSON Schema validator for the keywords `story.schema.json` uses.

Studio takes no dependency for this: the story schema needs a dozen keywords, listed in
`KEYWORDS`. A schema that uses any other keyword is refused when loaded (a test checks the
shipped one), so a keyword added to the schema cannot be silently ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from studio.config.resources import resource_path

__all__ = ["KEYWORDS", "SchemaError", "check_keywords", "load_schema", "schema_errors"]

Path = tuple[str | int, ...]

# Keywords that change validation, and those that only annotate.
KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "$ref",
    }
)
ANNOTATIONS = frozenset({"$schema", "$defs", "title", "description", "default", "examples"})

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ARTICLE = {"object": "an object", "array": "a list", "integer": "an integer"}


@dataclass(frozen=True)
class SchemaError:
    path: Path  # where in the document, e.g. ("scenes", 2, "choices", 0, "next")
    message: str

    @property
    def where(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top level)"


def check_keywords(schema: Any, where: str = "#") -> None:
    """Raise ValueError if the schema uses a keyword this validator does not know."""
    if isinstance(schema, dict):
        unknown = set(schema) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise ValueError(f"schema keyword(s) not supported at {where}: {sorted(unknown)}")
        for key in ("properties", "$defs"):
            for name, sub in (schema.get(key) or {}).items():
                check_keywords(sub, f"{where}/{key}/{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                check_keywords(schema[key], f"{where}/{key}")


@cache
def load_schema() -> dict[str, Any]:
    schema = json.loads(resource_path("story", "story.schema.json").read_text(encoding="utf-8"))
    check_keywords(schema)
    return schema


def _type_name(names: list[str]) -> str:
    words = [_ARTICLE.get(n, "a " + n if n != "null" else "null") for n in names]
    return " or ".join(words)


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def schema_errors(
    value: Any, schema: Mapping[str, Any] | None = None, *, root: Mapping[str, Any] | None = None
) -> list[SchemaError]:
    """Every way `value` breaks the schema (the story schema by default), in document order."""
    schema = schema if schema is not None else load_schema()
    return list(_check(value, schema, root if root is not None else schema, ()))


def _check(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: Path
) -> Iterator[SchemaError]:
    if "$ref" in schema:
        yield from _check(value, _resolve(root, schema["$ref"]), root, path)
        return
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[n](value) for n in names):
            yield SchemaError(path, f"must be {_type_name(names)}, not {json.dumps(value)[:60]}")
            return
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(json.dumps(o) for o in schema["enum"])
        yield SchemaError(path, f"must be one of {options}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield SchemaError(
                path,
                "must not be empty"
                if schema["minLength"] == 1
                else f"must have at least {schema['minLength']} characters",
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield SchemaError(
                path, f"is too long ({len(value)} characters, at most {schema['maxLength']})"
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield SchemaError(path, f"{json.dumps(value)[:60]} does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            yield SchemaError(path, f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            yield SchemaError(path, f"must be at most {schema['maximum']}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield SchemaError(path, f"must have at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield SchemaError(path, f"has {len(value)} items, at most {schema['maxItems']}")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                yield from _check(item, schema["items"], root, (*path, i))
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                yield SchemaError(path, f"is missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                yield from _check(item, props[key], root, (*path, key))
            elif extra is False:
                known = ", ".join(props)
                yield SchemaError((*path, key), f"is not a known field (known: {known})")
            elif isinstance(extra, dict):
                yield from _check(item, extra, root, (*path, key))
