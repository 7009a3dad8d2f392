"""A unified diff as HTML, for the views that show what a change would write (the review
bar, Keep these values) in a QTextBrowser."""

from __future__ import annotations

import html

from studio.core.diff import FileDiff

__all__ = ["unified_html"]

CONTEXT = 3  # unchanged lines shown around a change

_CSS = """
<style>
table { border-collapse: collapse; width: 100%; font-family: monospace; font-size: 12px; }
td { padding: 0 6px; white-space: pre; vertical-align: top; }
.add { background: #1f3b2a; color: #b8f2c8; } .del { background: #4a2224; color: #f5c2c4; }
.hunk { color: #61afef; } .file { color: #e5c07b; font-weight: bold; padding-top: 8px; }
</style>
"""


def unified_html(diffs: list[FileDiff]) -> str:
    rows = []
    for d in diffs:
        if d.status == "same":
            continue
        rows.append(f"<tr><td class=file>{html.escape(d.path)} ({d.status})</td></tr>")
        lines = d.unified(CONTEXT).splitlines()
        for line in lines if d.binary else lines[2:]:  # the ---/+++ header is the file row
            cls = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
            rows.append(f"<tr><td class='{cls}'>{html.escape(line)}</td></tr>")
    return _CSS + "<table>" + "".join(rows) + "</table>" if rows else "<p>No differences.</p>"
