"""JSON parsing that remembers where each value starts, so problems can name a line.

`parse_with_lines(text)` returns the same value `json.loads` would, and a map from each
value's path (a tuple of keys and indices) to its 1-based line. Invalid JSON raises
`json.JSONDecodeError`, with the line and column of the fault, as `json.loads` does.
"""

from __future__ import annotations

import json
from typing import Any

Path = tuple[str | int, ...]

_WS = " \t\n\r"
_SCALAR = json.JSONDecoder()
MAX_DEPTH = 100  # a story nests six deep; far deeper is an attack on the recursion limit


def parse_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    lines: dict[Path, int] = {}
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_of(pos: int) -> int:
        # Number of newlines before pos, plus one (bisect by hand keeps this stdlib-free).
        lo, hi = 0, len(newlines)
        while lo < hi:
            mid = (lo + hi) // 2
            if newlines[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        return pos

    def fail(message: str, pos: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, text, pos)

    def value(pos: int, path: Path) -> tuple[Any, int]:
        pos = skip(pos)
        if pos >= len(text):
            raise fail("Expecting value", pos)
        if len(path) > MAX_DEPTH:
            raise fail(f"Nested more than {MAX_DEPTH} deep", pos)
        lines[path] = line_of(pos)
        char = text[pos]
        if char == "{":
            return obj(pos + 1, path)
        if char == "[":
            return arr(pos + 1, path)
        return _SCALAR.raw_decode(text, pos)

    def obj(pos: int, path: Path) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        pos = skip(pos)
        if pos < len(text) and text[pos] == "}":
            return out, pos + 1
        while True:
            pos = skip(pos)
            if pos >= len(text) or text[pos] != '"':
                raise fail("Expecting property name enclosed in double quotes", pos)
            key, pos = _SCALAR.raw_decode(text, pos)
            pos = skip(pos)
            if pos >= len(text) or text[pos] != ":":
                raise fail("Expecting ':' delimiter", pos)
            out[key], pos = value(pos + 1, (*path, key))
            pos = skip(pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == "}":
                return out, pos + 1
            raise fail("Expecting ',' delimiter", pos)

    def arr(pos: int, path: Path) -> tuple[list[Any], int]:
        out: list[Any] = []
        pos = skip(pos)
        if pos < len(text) and text[pos] == "]":
            return out, pos + 1
        while True:
            item, pos = value(pos, (*path, len(out)))
            out.append(item)
            pos = skip(pos)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == "]":
                return out, pos + 1
            raise fail("Expecting ',' delimiter", pos)

    result, end = value(0, ())
    end = skip(end)
    if end != len(text):
        raise fail("Extra data", end)
    return result, lines
