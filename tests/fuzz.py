"""Shared by the fuzz tests (issue 18): how many examples a target gets, and the bounds every
target must keep whatever it is given.

Each target names its base number of examples, scaled by the Hypothesis profile (tests/
conftest.py: "ci" runs the base, `--hypothesis-profile long` twenty times as many):

    @settings(max_examples=examples(200))
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

from hypothesis import settings

from studio.errors import StudioError


def examples(base: int) -> int:
    return max(1, base * settings.default.max_examples // 100)


def clear_error_or_result(call: Callable[[], Any]) -> Any:
    """Run `call`: a StudioError (a clear message for a person) is a fine end, returned as
    it is; any other exception is the bug the fuzzing looks for, and propagates."""
    try:
        return call()
    except StudioError as exc:
        assert str(exc).strip(), "a StudioError must say what went wrong"
        return exc


def peak_memory(call: Callable[[], Any]) -> tuple[Any, int]:
    """(what `call` returned or raised as a StudioError, the most Python memory it held)."""
    tracemalloc.start()
    try:
        result = clear_error_or_result(call)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
