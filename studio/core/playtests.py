"""AI playtests kept with the version they played: what the model did and found, each finding
with the input script that reproduces it and a screenshot.

A run is a JSON object (`studio.operations.agent_report.AgentReport.to_dict()`); the runs of
a version are a list in the project's meta under `playtests.v<ID>`, newest last, the last
`KEPT` of them. A finding's screenshot goes to the blob store first (written and fsynced),
and the run names it by hash, so a run never points at a picture that is not there.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from studio.core.store import Project

__all__ = ["KEPT", "playtest_runs", "save_playtest_run", "screenshot"]

KEPT = 20
_KEY = "playtests.v{}"
_SAVING = threading.Lock()  # one read-modify-write of a version's list at a time


def _key(project: Project, version_id: int) -> str:
    return _KEY.format(project.resolve(version_id))


def playtest_runs(project: Project, version_id: int) -> list[dict[str, Any]]:
    """The version's runs, oldest first (an entry that is not a run is skipped)."""
    text = project.get_meta(_key(project, version_id))
    try:
        runs = json.loads(text) if text else []
    except ValueError:
        return []
    return [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []


def save_playtest_run(
    project: Project,
    version_id: int,
    run: Mapping[str, Any],
    screenshots: Mapping[int, bytes] | None = None,
) -> dict[str, Any]:
    """Keep `run` with the version; `screenshots` (by finding index, JPEG or PNG) go to the
    blob store and their hashes into the findings. Returns the run as stored."""
    stored = json.loads(json.dumps(dict(run), default=str))
    findings = stored.get("findings") or []
    for index, picture in (screenshots or {}).items():
        if 0 <= index < len(findings) and picture:
            findings[index]["screenshot"] = project.blobs.put(picture)
    key = _key(project, version_id)
    with _SAVING:
        runs = [*playtest_runs(project, version_id), stored][-KEPT:]
        project.set_meta(key, json.dumps(runs))
    return stored


def screenshot(project: Project, blob: str) -> bytes:
    """A finding's screenshot by the hash its run names."""
    return project.blobs.read(blob)
