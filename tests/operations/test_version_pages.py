"""History's rows a page at a time (`VersionTree`) against every record at once
(`version_tree`), on a project with forks, restores and a fork of a fork."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.records import GenerationInfo
from studio.core.store import Project
from studio.operations.history import VersionTree, tree_order
from studio.operations.projects import version_tree


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "game") as p:
        first = p.commit({"index.html": "<p>1"}, parent=None, kind="template")
        info = GenerationInfo("openai", "gpt-4.1", 10, 20, 0.5, 2.0)
        line = [first.id]
        for n in range(2, 9):
            meta = {"changed": ["index.html"]} if n % 2 else {}
            v = p.commit(
                {"index.html": f"<p>{n}"},
                parent=line[-1],
                kind="generate",
                prompt=f"step {n}",
                info=info,
                meta=meta,
            )
            line.append(v.id)
        fork = p.fork(line[2])
        p.commit({"index.html": "<p>on the fork"}, parent=fork.id, kind="edit")
        p.fork(fork.id)  # a fork of the fork: two levels in
        p.restore(line[1])
        p.fork(line[5])
        yield p


def test_the_tree_in_pages_is_the_whole_tree(project: Project) -> None:
    whole = version_tree(project)
    tree = VersionTree(project)
    assert len(tree) == len(whole) == len(project.versions())
    assert tree.page(0, len(tree)) == whole
    assert [d for d, _ in whole] == tree.depths and max(tree.depths) == 2
    pages = [row for start in range(0, len(tree), 3) for row in tree.page(start, 3)]
    assert pages == whole
    assert tree.page(len(tree), 5) == [] and tree.page(-4, 2) == whole[:2]
    for row, (_, version) in enumerate(whole):
        assert tree.row_of(version.id) == row
    assert tree.row_of(10_000) is None


def test_records_read_by_id_are_the_stored_ones(project: Project) -> None:
    every = project.versions()
    found = project.versions_by_id([v.id for v in every] + [999])
    assert sorted(found) == [v.id for v in every]
    assert all(found[v.id] == v == project.version(v.id) for v in every)
    assert found[2].info.model == "gpt-4.1" and found[2].meta == {}
    assert found[3].meta == {"changed": ["index.html"]}


def test_tree_order_keeps_the_first_child_on_its_line() -> None:
    links = [(1, None), (2, 1), (3, 2), (4, 1), (5, 4), (6, 4), (7, None)]
    assert tree_order(links) == ([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 1, 1, 2, 0])
    assert tree_order([]) == ([], [])
