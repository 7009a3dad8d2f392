"""History as a graph: each version a row, each line of versions a lane, each branch drawn
from the version it grew from, so a change made on v1 never looks as if it followed v4.

Rows come in tree order (a version, then the line it continues, then its branches; the
order of `version_tree`), so a line of versions is a run of consecutive rows in one lane. A
branch's lane is busy from the row of the version it left to its own last row; lanes are
reused once free, so the graph stays narrow. Runs of three or more alike versions in a line
(a clip per scene, edits one after another) are one row unless expanded.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from studio.core.records import Version

__all__ = ["GraphRow", "history_rows", "run_key"]

MIN_RUN = 3  # alike versions in a row that fold into one


@dataclass(frozen=True)
class GraphRow:
    versions: tuple[Version, ...]  # one version, or a run of alike ones (oldest first)
    lane: int  # where its dot is
    up: frozenset[int]  # lanes with a line from the row above to this row's middle
    down: frozenset[int]  # lanes with a line from the middle to the row below
    forks: tuple[int, ...]  # lanes a branch leaves for from this row's dot, going down

    @property
    def version(self) -> Version:
        """The version the row stands for (of a run, the newest)."""
        return self.versions[-1]

    @property
    def folded(self) -> bool:
        return len(self.versions) > 1


def run_key(version: Version) -> tuple[str, str] | None:
    """Versions with the same key are alike (numbers aside); a prompt is never alike."""
    if version.prompt:
        return None
    label = str(version.meta.get("label") or "")
    return version.kind, re.sub(r"\d+", "#", label)


def _order(versions: Sequence[Version]) -> tuple[list[Version], dict[int, list[int]]]:
    children: dict[int | None, list[Version]] = {}
    for v in versions:
        children.setdefault(v.parent, []).append(v)
    ordered: list[Version] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        v = stack.pop()
        ordered.append(v)
        stack.extend(reversed(children.get(v.id, [])))
    kids = {v.id: [c.id for c in children.get(v.id, [])] for v in versions}
    return ordered, kids


def _lanes(
    ordered: list[Version], kids: dict[int, list[int]], row: dict[int, int]
) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
    """Each version's lane, and each branch as (lane, row it leaves from, its first row)."""
    chains = []  # (start row, first row, last row, ids)
    for v in ordered:
        if v.parent is not None and kids[v.parent][0] == v.id:
            continue  # it continues its parent's line
        ids = [v.id]
        while kids[ids[-1]]:
            ids.append(kids[ids[-1]][0])
        start = row[v.parent] if v.parent is not None else row[v.id]
        chains.append((start, row[v.id], row[ids[-1]], ids))
    lane_of: dict[int, int] = {}
    busy_until: list[int] = []  # by lane: the last row it is busy
    branches = []
    for start, first, last, ids in sorted(chains, key=lambda c: (c[0], c[1])):
        lane = next((i for i, end in enumerate(busy_until) if end < start), len(busy_until))
        if lane == len(busy_until):
            busy_until.append(last)
        busy_until[lane] = last
        lane_of.update(dict.fromkeys(ids, lane))
        if start != first:
            branches.append((lane, start, first))
    return lane_of, branches


def history_rows(versions: Sequence[Version], expanded: Collection[int] = ()) -> list[GraphRow]:
    """The graph's rows; a run of alike versions is one row unless its first version's id
    is in `expanded`."""
    ordered, kids = _order(versions)
    row = {v.id: i for i, v in enumerate(ordered)}
    lane_of, branches = _lanes(ordered, kids, row)
    rows = []
    for i, v in enumerate(ordered):
        lane = lane_of[v.id]
        through = {k for k, start, first in branches if start < i < first}
        up = through | ({lane} if v.parent is not None else set())
        down = through | ({lane} if kids[v.id] else set())
        forks = tuple(lane_of[c] for c in kids[v.id][1:])
        rows.append(GraphRow((v,), lane, frozenset(up), frozenset(down), forks))
    return _fold(rows, kids, expanded)


def _fold(
    rows: list[GraphRow], kids: dict[int, list[int]], expanded: Collection[int]
) -> list[GraphRow]:
    """Fold runs of alike versions, each the first child of the one before and branching
    nowhere but from its last."""
    out: list[GraphRow] = []
    i = 0
    while i < len(rows):
        j = i + 1
        key = run_key(rows[i].version)
        while (
            key is not None
            and j < len(rows)
            and rows[j].version.parent == rows[j - 1].version.id
            and len(kids[rows[j - 1].version.id]) == 1
            and run_key(rows[j].version) == key
        ):
            j += 1
        run = rows[i:j]
        if len(run) >= MIN_RUN and run[0].version.id not in expanded:
            versions = tuple(r.version for r in run)
            out.append(GraphRow(versions, run[0].lane, run[0].up, run[-1].down, run[-1].forks))
        else:
            out.extend(run)
        i = j
    return out
