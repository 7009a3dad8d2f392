"""A long game file for the editor's tests and benchmark (benchmarks/bench_editor.py)."""

from __future__ import annotations


def big_html(lines: int) -> str:
    """A game-like file of distinct lines: a style sheet, then a long script."""
    out = ["<!DOCTYPE html>", "<html>", "<head>", "<style>"]
    i = 0
    while len(out) < lines // 10:
        out += [f".box{i} {{ color: #{i % 4096:03x}; margin: {i}px; }} /* rule {i}", "  */"]
        i += 1
    out += ["</style>", "</head>", "<body>", "<script>"]
    while len(out) < lines - 3:
        out += [
            f"function step{i}(state, dt) {{",
            f"  const speed{i} = state.speed * {i} + dt; // tick {i}",
            f"  const label = `score ${{state.score}} of {i}",
            "  lives left`;",
            f"  return {{ x: state.x + speed{i}, y: Math.sin(dt / {i + 1}), label }};",
            "}",
        ]
        i += 1
    return "\n".join([*out[: lines - 3], "</script>", "</body>", "</html>"])
