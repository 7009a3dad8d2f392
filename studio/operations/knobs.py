"""Knobs of a version, and keeping tuned values as a new version: what the Preview's knob
panel and `studio knobs` both call. The values are written into the source where they are
declared (`studio.ai.knobs.write_values`, through the edit machinery); the new version is a
child of the tuned one, its prompt says what changed, and it becomes the head.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from studio.ai.knobs import Knob, KnobError, declared_knobs, write_values
from studio.core.diff import FileDiff
from studio.core.records import Version
from studio.core.store import Project
from studio.operations.request_build import text_files

__all__ = ["KnobChange", "keep_values", "knob_changes", "version_knobs"]


def version_knobs(project: Project, version: int) -> list[Knob]:
    """The knobs declared in version `version`'s source (those a new value can be kept for)."""
    return [d.knob for d in declared_knobs(text_files(project.files(version)))]


@dataclass(frozen=True)
class KnobChange:
    """What keeping values would write: the new texts, each knob's change, the diffs."""

    files: dict[str, str]
    changed: list[tuple[Knob, float | bool]]
    diffs: list[FileDiff]

    def title(self) -> str:
        """ "Knobs: gravity 2300 → 1800, jump 760 → 820"."""
        return "Knobs: " + ", ".join(
            f"{k.name} {k.literal(k.value)} → {k.literal(v)}" for k, v in self.changed
        )


def knob_changes(project: Project, version: int, values: Mapping[str, float | bool]) -> KnobChange:
    """What keeping `values` on version `version` would change (nothing is stored)."""
    texts = text_files(project.files(version))
    new, changed = write_values(texts, values)
    if not changed:
        raise KnobError("These are the version's own values: there is nothing to keep.")
    diffs = [
        FileDiff(path, "changed", texts[path], new[path])
        for path in sorted(new)
        if new[path] != texts.get(path)
    ]
    return KnobChange(new, changed, diffs)


def keep_values(project: Project, version: int, values: Mapping[str, float | bool]) -> Version:
    """A new version, child of `version`, whose source holds `values`; it becomes the head.
    Raises KnobError (nothing stored) when they cannot be written."""
    change = knob_changes(project, version, values)
    files: dict[str, bytes | str] = dict(project.files(version))
    files.update(change.files)
    return project.commit(
        files,
        parent=version,
        kind="edit",
        prompt=change.title(),
        meta={"knobs": {k.name: v for k, v in change.changed}},
    )
