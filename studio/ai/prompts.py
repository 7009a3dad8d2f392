"""The prompt texts shipped in `resources/prompts`, and filling them in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from studio.config.resources import resource_path

__all__ = [
    "continue_prompt",
    "error_places",
    "fix_prompt",
    "format_errors",
    "quote_error_lines",
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


QUOTED_LINES = 6  # lines quoted on each side of an error's line in a fix prompt
QUOTED_ERRORS = 5  # places quoted at most (the first errors; the rest are usually echoes)


def _lines(text: str) -> list[str]:
    """Lines as a browser numbers them (the end of the last line is no line of its own)."""
    return text.removesuffix("\n").split("\n")


def error_places(
    errors: Sequence[Mapping[str, object]], files: Mapping[str, str]
) -> list[tuple[str, int]]:
    """(path, 1-based line) of each error that names a line of one of `files`, in order,
    each place once."""
    places: list[tuple[str, int]] = []
    for error in errors:
        source, line = str(error.get("source") or ""), error.get("line")
        if source not in files or not isinstance(line, int) or (source, line) in places:
            continue
        if 0 < line <= len(_lines(files[source])):
            places.append((source, line))
    return places


def quote_error_lines(errors: Sequence[Mapping[str, object]], files: Mapping[str, str]) -> str:
    """The code around each error's line, numbered, the line itself marked with `>`."""
    quotes = []
    for path, line in error_places(errors, files)[:QUOTED_ERRORS]:
        lines = _lines(files[path])
        first, last = max(1, line - QUOTED_LINES), min(len(lines), line + QUOTED_LINES)
        width = len(str(last))
        body = "\n".join(
            f"{n:>{width}}{'>' if n == line else ' '} {lines[n - 1]}"
            for n in range(first, last + 1)
        )
        quotes.append(f"{path}, lines {first}–{last}:\n{body}")
    return "\n\n".join(quotes)


def fix_prompt(
    errors: Sequence[Mapping[str, object]],
    note: str = "",
    files: Mapping[str, str] | None = None,
) -> str:
    """The fix request: the errors, the code around them (from `files`), the person's note."""
    note = f"\nThe person adds: {note.strip()}\n" if note.strip() else ""
    quoted = quote_error_lines(errors, files or {})
    code = (
        "\nThe code where they happened (line numbers and the > mark are not part of it):\n\n"
        f"{quoted}\n"
        if quoted
        else ""
    )
    text = render(load_prompt("fix"), errors=format_errors(errors), code=code, note=note)
    return text.rstrip() + "\n"


def retry_edit_prompt(blocks: str) -> str:
    return render(load_prompt("retry_edit"), blocks=blocks.strip()).rstrip() + "\n"
