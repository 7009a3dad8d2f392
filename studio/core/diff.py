"""Differences between two versions of a project, for History's compare view."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from studio.core.store import Project
from studio.words import plural


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


@dataclass(frozen=True)
class SideRow:
    """One row of two columns: a line of the old text beside a line of the new (None: no
    line on that side). `kind`: "same", "changed", "removed", "added", or "fold" for a run of
    unchanged lines left out (`old` then says how many)."""

    kind: str
    old_no: int | None
    old: str | None
    new_no: int | None
    new: str | None


def side_by_side(old_text: str, new_text: str, context: int = 3) -> list[SideRow]:
    """The rows of a two-column comparison: changed lines face each other, unchanged runs
    longer than twice `context` (and one) fold to their first and last `context` lines."""
    old, new = old_text.splitlines(), new_text.splitlines()
    rows: list[SideRow] = []

    def same(i1: int, i2: int, shift: int) -> None:
        rows.extend(SideRow("same", i + 1, old[i], i + shift + 1, old[i]) for i in range(i1, i2))

    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            head = context if i1 > 0 else 0
            tail = context if i2 < len(old) else 0
            if i2 - i1 > head + tail + 1:  # a fold hides two lines at least
                same(i1, i1 + head, j1 - i1)
                hidden = i2 - i1 - head - tail
                rows.append(SideRow("fold", None, plural(hidden, "unchanged line"), None, None))
                same(i2 - tail, i2, j1 - i1)
            else:
                same(i1, i2, j1 - i1)
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            a = i1 + k if i1 + k < i2 else None
            b = j1 + k if j1 + k < j2 else None
            kind = "added" if a is None else "removed" if b is None else "changed"
            rows.append(
                SideRow(
                    kind,
                    None if a is None else a + 1,
                    None if a is None else old[a],
                    None if b is None else b + 1,
                    None if b is None else new[b],
                )
            )
    return rows


def changed_lines(old_text: str, new_text: str) -> set[int]:
    """The lines of `new_text` (numbered from 1) that are new or changed since `old_text`."""
    old, new = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return {
        j + 1
        for tag, _i1, _i2, j1, j2 in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for j in range(j1, j2)
    }
