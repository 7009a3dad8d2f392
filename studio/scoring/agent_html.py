"""The bench report's view of an agent check: the AI playtester's steps and screenshots,
folded under the check (`studio.scoring.report` puts it in each step's checks cell)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["agent_plays_html"]

SHOTS_SHOWN = 12


def agent_plays_html(checks: Sequence[Mapping[str, Any]]) -> str:
    """A `<details>` block per agent check that played (empty for the others)."""
    out = []
    for check in checks:
        play = check.get("agent")
        if not isinstance(play, Mapping) or not play.get("steps"):
            continue
        steps = "".join(f"<li>{html.escape(str(step))}</li>" for step in play["steps"])
        shots = "".join(
            f'<a href="{html.escape(str(path))}"><img class="mini" src="{html.escape(str(path))}"'
            f' width="96" alt="step {number}"></a> '
            for number, path in enumerate(play.get("screenshots") or [], start=1)
            if number <= SHOTS_SHOWN
        )
        found = "; ".join(str(f) for f in play.get("findings") or [])
        out.append(
            f'<details class="meta"><summary>{html.escape(str(check.get("label", "agent")))}: '
            f"{len(play['steps'])} steps, {html.escape(str(play.get('stop', '')))}</summary>"
            f"<ol>{steps}</ol>{shots}"
            + (f"<p>Found: {html.escape(found)}</p>" if found else "")
            + "</details>"
        )
    return "".join(out)
