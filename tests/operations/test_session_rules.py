"""The rules the window only shows: what a prompt changes ("Changing v1"), which versions
Compare pairs, the history graph's lanes and folded runs, recent projects and their
pictures, the start screen's plan, two-column diffs and changed lines. Plain pytest."""

from __future__ import annotations

import pytest

from studio.config.settings import Settings
from studio.core.diff import changed_lines, side_by_side
from studio.core.store import Project
from studio.operations.history_graph import history_rows
from studio.operations.recent import (
    forget_recent,
    recent_projects,
    remember_recent,
    save_thumbnail,
    thumbnail_path,
)
from studio.operations.session import Session, compare_pair
from studio.operations.start import free_project_path, plan_start
from studio.words import plural


@pytest.fixture
def project(studio_project: Project) -> Project:
    return studio_project  # an empty project (studio.testing.fixtures)


def commit(project: Project, text: str, parent: int | None, **kw) -> int:
    return project.commit({"index.html": text}, parent=parent, kind="generate", **kw).id


# -- what a prompt changes ---------------------------------------------------------------


def test_changing_an_old_version_is_said_and_whether_it_branches(project):
    v1 = commit(project, "1", None)
    v2 = commit(project, "2", v1)
    v3 = commit(project, "3", v2)
    session = Session()
    session.project, session.shown = project, v3
    assert session.change_target() is None  # the newest: nothing to say
    session.show(v1)
    target = session.change_target()
    assert (target.base, target.newest, target.branches) == (v1, v3, True)
    assert target.words() == "Changing v1 (not the newest, v3): this starts a new branch"
    v4 = commit(project, "4", v1)  # the branch, made on v1
    session.show(v3)  # the tip of the first line: no longer the newest, but no branch
    assert session.change_target().words() == (
        f"Changing v3 (not the newest, v{v4}): this continues its own line"
    )


def test_compare_pairs_two_versions_older_first_or_says_why_not():
    assert compare_pair([7, 3]) == (3, 7)
    assert "second version" in compare_pair([3])
    assert "two versions" in compare_pair([])
    assert "only two" in compare_pair([1, 2, 3])


# -- the history graph -------------------------------------------------------------------


def test_a_branch_is_drawn_from_the_version_it_grew_from(project):
    v1 = commit(project, "1", None)
    v2 = commit(project, "2", v1)
    v3 = commit(project, "3", v2)
    v4 = commit(project, "4", v1)  # made on v1 while v3 was the newest
    rows = history_rows(project.versions())
    assert [r.version.id for r in rows] == [v1, v2, v3, v4]
    lanes = {r.version.id: r.lane for r in rows}
    assert lanes == {v1: 0, v2: 0, v3: 0, v4: 1}
    by_id = {r.version.id: r for r in rows}
    assert by_id[v1].forks == (1,)  # the branch leaves from v1's dot…
    assert 1 in by_id[v2].up and 1 in by_id[v2].down  # …passes v2 and v3…
    assert 1 in by_id[v3].up and 1 in by_id[v3].down
    assert by_id[v4].up == {1} and not by_id[v4].down  # …and ends at v4
    assert 0 not in by_id[v4].up  # v4 does not follow v3
    assert by_id[v3].down == {1}  # v3's own line ends there


def test_lanes_are_reused_so_the_graph_stays_narrow(project):
    root = commit(project, "r", None)
    line = commit(project, "a", root)  # the first line ends here
    branch = commit(project, "b", root)
    commit(project, "b2", branch)
    late = commit(project, "c", branch)  # a branch of the branch, after the first line ended
    rows = {r.version.id: r for r in history_rows(project.versions())}
    assert (rows[line].lane, rows[branch].lane) == (0, 1)
    assert rows[late].lane == 0  # the first line's lane is free again
    assert rows[branch].forks == (0,)
    assert max(r.lane for r in rows.values()) == 1


def test_runs_of_alike_versions_fold_into_one_row(project):
    v1 = commit(project, "1", None)
    ids = [v1]
    for n in range(4):  # a clip per scene, each its own version
        ids.append(
            project.commit(
                {"index.html": str(n)}, parent=ids[-1], kind="manual",
                meta={"label": f"clips for {n + 1} scene"},
            ).id
        )  # fmt: skip
    prompted = commit(project, "p", ids[-1], prompt="make it faster")
    rows = history_rows(project.versions())
    assert [len(r.versions) for r in rows] == [1, 4, 1]
    folded = rows[1]
    assert folded.folded and folded.version.id == ids[-1]
    assert [v.id for v in folded.versions] == ids[1:]
    assert rows[2].version.id == prompted
    expanded = history_rows(project.versions(), expanded={ids[1]})
    assert len(expanded) == 6


# -- recent projects and their pictures ----------------------------------------------------


def test_recent_projects_newest_first_with_their_pictures(tmp_path, project):
    settings = Settings(tmp_path / "settings.json")
    other = Project.create(tmp_path / "other")
    other.close()
    remember_recent(settings, project.path)
    remember_recent(settings, other.path)
    remember_recent(settings, project.path)  # opened again: first again, listed once
    assert [r.name for r in recent_projects(settings)] == ["game", "other"]
    assert recent_projects(settings)[0].thumbnail is None
    save_thumbnail(project.path, 1, b"\x89PNG first")
    newest = save_thumbnail(project.path, 12, b"\x89PNG newest")
    assert newest == thumbnail_path(project.path, 12) and newest.read_bytes() == b"\x89PNG newest"
    assert recent_projects(settings)[0].thumbnail == newest
    assert not list(newest.parent.glob("*.part"))  # written whole, then renamed
    forget_recent(settings, other.path)
    assert [r.name for r in recent_projects(settings)] == ["game"]


def test_a_recent_project_that_is_gone_is_not_listed(tmp_path):
    settings = Settings(tmp_path / "settings.json")
    remember_recent(settings, tmp_path / "gone.studio")
    assert recent_projects(settings) == []


# -- the start screen -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name", "template"),
    [
        ("Make a platformer where a cat jumps on clouds", "platformer-where-a-cat", None),
        ("an interactive video about a lighthouse keeper", "interactive-video-about-a", "story"),
        ("A story: the last ship leaves Mars", "story-the-last-ship", "story"),
        ("!!!", "game", None),
    ],
)
def test_the_first_sentence_names_the_project_and_picks_the_start(sentence, name, template):
    plan = plan_start(sentence)
    assert (plan.name, plan.template) == (name, template)
    assert plan.request.startswith(" ".join(sentence.split()))
    assert ("story.json" in plan.request) == (template == "story")


def test_a_new_project_gets_a_free_name(tmp_path):
    first = free_project_path(tmp_path, "cat-game")
    Project.create(first).close()
    assert free_project_path(tmp_path, "cat-game").name == "cat-game-2.studio"


# -- comparing and marking changes ---------------------------------------------------------


def test_two_columns_face_changed_lines_and_fold_long_unchanged_runs():
    old = "\n".join(f"line {i}" for i in range(1, 21))
    new = old.replace("line 10", "line ten") + "\nline 21"
    rows = side_by_side(old, new, context=2)
    changed = [r for r in rows if r.kind == "changed"]
    assert [(r.old_no, r.old, r.new_no, r.new) for r in changed] == [
        (10, "line 10", 10, "line ten")
    ]
    assert [(r.new_no, r.new) for r in rows if r.kind == "added"] == [(21, "line 21")]
    folds = [r.old for r in rows if r.kind == "fold"]
    assert folds == ["7 unchanged lines", "8 unchanged lines"]
    assert rows[0].kind == "fold"  # the start is folded too, with no context above


def test_changed_lines_are_the_new_sides_numbers():
    assert changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == {2, 4}
    assert changed_lines("same\n", "same\n") == set()


def test_plurals():
    assert plural(1, "line") == "1 line" and plural(2, "line") == "2 lines"
    assert plural(1204, "line") == "1,204 lines" and plural(3, "entry") == "3 entries"
