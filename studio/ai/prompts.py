"""The prompt texts shipped in `resources/prompts`, and filling them in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from studio.resources import resource_path

__all__ = [
    "continue_prompt",
    "fix_prompt",
    "format_errors",
    "load_prompt",
    "render",
    "retry_edit_prompt",
    "system_prompt",
]


@cache
def load_prompt(name: str) -> str:
    """A prompt file's text by name, without `.md` (e.g. `"system"`)."""
    return resource_path("prompts", f"{name}.md").read_text(encoding="utf-8").strip() + "\n"


def render(template: str, **values: str) -> str:
    """Fill `{{name}}` slots; braces elsewhere (JavaScript in examples) are left alone."""
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def system_prompt() -> str:
    return load_prompt("system")


def continue_prompt() -> str:
    return load_prompt("continue")


def format_errors(errors: Sequence[Mapping[str, object]]) -> str:
    """One line per error: message, then where it happened when known."""
    lines = []
    for error in errors:
        message = str(error.get("message", "")).strip() or "(no message)"
        source, line = error.get("source"), error.get("line")
        where = f"{source}:{line}" if source and line else str(source or "")
        lines.append(f"- {message}" + (f" ({where})" if where else ""))
    return "\n".join(lines) or "- (no error details)"


def fix_prompt(errors: Sequence[Mapping[str, object]], note: str = "") -> str:
    note = f"\nThe person adds: {note.strip()}\n" if note.strip() else ""
    return render(load_prompt("fix"), errors=format_errors(errors), note=note).rstrip() + "\n"


def retry_edit_prompt(blocks: str) -> str:
    return render(load_prompt("retry_edit"), blocks=blocks.strip()).rstrip() + "\n"
