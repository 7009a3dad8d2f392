"""Differences between two versions of a project, for History's compare view."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from studio.core.store import Project


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # "added", "removed", "changed" or "same"
    old_text: str
    new_text: str
    binary: bool = False

    def unified(self, context: int = 3) -> str:
        if self.binary:
            return f"Binary file {self.path} {self.status}\n"
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True),
            self.new_text.splitlines(keepends=True),
            fromfile=f"a/{self.path}",
            tofile=f"b/{self.path}",
            n=context,
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _text(data: bytes | None) -> tuple[str, bool]:
    if data is None:
        return "", False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return "", True


def diff_versions(project: Project, old: int, new: int) -> list[FileDiff]:
    """Per-file differences from version `old` to version `new`, changed files first."""
    old_hashes, new_hashes = project.file_hashes(old), project.file_hashes(new)
    result: list[FileDiff] = []
    for path in sorted(old_hashes.keys() | new_hashes.keys()):
        a, b = old_hashes.get(path), new_hashes.get(path)
        if a == b:
            status = "same"
        elif a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "changed"
        if status == "same":
            result.append(FileDiff(path, status, "", ""))
            continue
        old_text, old_bin = _text(project.blobs.read(a) if a else None)
        new_text, new_bin = _text(project.blobs.read(b) if b else None)
        result.append(FileDiff(path, status, old_text, new_text, old_bin or new_bin))
    result.sort(key=lambda d: d.status == "same")
    return result


def unified_diff(project: Project, old: int, new: int) -> str:
    return "".join(d.unified() for d in diff_versions(project, old, new) if d.status != "same")
