"""History's rows: the version tree's shape at once, the versions' records a page at a time.

A project with 10,000 versions lists them in a blink this way: the shape comes from each
version's (id, parent) alone, and a view asks `VersionTree.page` only for the rows it shows
(`version_tree` in `studio.operations.projects` still gives every record at once).
"""

from __future__ import annotations

from collections.abc import Iterable

from studio.core.records import Version
from studio.core.store import Project

__all__ = ["VersionTree", "tree_order"]


def tree_order(links: Iterable[tuple[int, int | None]]) -> tuple[list[int], list[int]]:
    """Version ids in tree order, children after their parent, and each one's depth.

    `links` is (id, parent) oldest first. The first child continues its parent's line at
    the same depth; later children are forks, one level in.
    """
    children: dict[int | None, list[int]] = {}
    for vid, parent in links:
        children.setdefault(parent, []).append(vid)
    ids: list[int] = []
    depths: list[int] = []
    stack = [(0, v) for v in reversed(children.get(None, []))]
    while stack:
        depth, vid = stack.pop()
        ids.append(vid)
        depths.append(depth)
        kids = children.get(vid)
        if kids:
            stack.extend((depth + 1, k) for k in reversed(kids[1:]))
            stack.append((depth, kids[0]))
    return ids, depths


class VersionTree:
    """The versions of `project` in History's order, as they were when it was made (make a
    new one when versions change: it costs a few milliseconds for 10,000 versions)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.ids, self.depths = tree_order(project.version_links())
        self._rows: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, version_id: int) -> int | None:
        """The row that shows `version_id` (None: not in this tree)."""
        if self._rows is None:
            self._rows = {vid: row for row, vid in enumerate(self.ids)}
        return self._rows.get(version_id)

    def page(self, start: int, count: int) -> list[tuple[int, Version]]:
        """Rows `start` to `start + count` as (depth, version), read in one query."""
        start = max(0, start)
        ids = self.ids[start : start + max(0, count)]
        found = self.project.versions_by_id(ids)
        return [(self.depths[start + i], found[vid]) for i, vid in enumerate(ids) if vid in found]
