"""Operations on a project shared by UI and CLI: diff, save_edit, version_tree, import,
templates."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from studio.core.diff import diff_versions, unified_diff
from studio.core.store import Project
from studio.core.templates import load_template
from studio.errors import StudioError
from studio.operations.projects import (
    import_source,
    new_project,
    read_source,
    save_edit,
    version_tree,
)


@pytest.fixture
def project(tmp_path: Path):
    p = Project.create(tmp_path / "game")
    yield p
    p.close()


# -- diff --------------------------------------------------------------------------------


def test_diff_reports_added_removed_changed_and_same(project: Project) -> None:
    v1 = project.commit(
        {"index.html": "<canvas></canvas>\n", "game.js": "const speed = 2;\nloop();\n",
         "old.js": "gone\n", "logo.png": b"\x89PNG\x00\xff"},
        parent=None, kind="generate",
    )  # fmt: skip
    v2 = project.commit(
        {"index.html": "<canvas></canvas>\n", "game.js": "const speed = 3;\nloop();\n",
         "new.js": "hello", "logo.png": b"\x89PNG\x00\xfe"},
        parent=v1.id, kind="edit",
    )  # fmt: skip
    diffs = {d.path: d for d in diff_versions(project, v1.id, v2.id)}
    assert {p: d.status for p, d in diffs.items()} == {
        "game.js": "changed",
        "index.html": "same",
        "logo.png": "changed",
        "new.js": "added",
        "old.js": "removed",
    }
    order = [d.path for d in diff_versions(project, v1.id, v2.id)]
    assert order[-1] == "index.html"  # unchanged files last, the rest by path
    assert order[:-1] == ["game.js", "logo.png", "new.js", "old.js"]

    js = diffs["game.js"]
    assert (js.old_text, js.binary) == ("const speed = 2;\nloop();\n", False)
    text = js.unified()
    assert text.startswith("--- a/game.js\n+++ b/game.js\n")
    assert "-const speed = 2;\n" in text and "+const speed = 3;\n" in text
    assert " loop();\n" in text

    assert diffs["logo.png"].binary
    assert diffs["logo.png"].unified() == "Binary file logo.png changed\n"
    assert diffs["old.js"].new_text == "" and diffs["new.js"].old_text == ""

    new_js = diffs["new.js"].unified()
    assert new_js.endswith("+hello\n")  # a last line without newline still ends the hunk

    whole = unified_diff(project, v1.id, v2.id)
    assert "index.html" not in whole
    assert "+++ b/new.js" in whole and "--- a/old.js" in whole
    assert unified_diff(project, v1.id, v1.id) == ""
    assert unified_diff(project, v2.id, v1.id).count("+const speed = 2;") == 1


def test_diff_of_unknown_version_raises(project: Project) -> None:
    v = project.commit({"index.html": "x"}, parent=None, kind="manual")
    with pytest.raises(StudioError):
        diff_versions(project, v.id, 42)


# -- save_edit ---------------------------------------------------------------------------


def test_save_edit_makes_a_version_only_when_something_changed(project: Project) -> None:
    first = save_edit(project, {"index.html": "<p>1</p>"})
    assert (first.kind, first.parent) == ("manual", None)
    same = save_edit(project, {"index.html": b"<p>1</p>"})  # str and bytes alike
    assert same.id == first.id
    assert len(project.versions()) == 1

    edited = save_edit(project, {"index.html": "<p>2</p>"}, kind="edit")
    assert (edited.kind, edited.parent) == ("edit", first.id)
    assert project.head == edited.id

    added = save_edit(project, {"index.html": "<p>2</p>", "a.js": ""})
    assert added.parent == edited.id
    removed = save_edit(project, {"index.html": "<p>2</p>"})
    assert removed.parent == added.id and project.files() == {"index.html": b"<p>2</p>"}
    assert len(project.versions()) == 4


def test_save_edit_compares_with_the_head_not_the_newest(project: Project) -> None:
    v1 = save_edit(project, {"index.html": "one"})
    save_edit(project, {"index.html": "two"})
    project.set_head(v1.id)
    again = save_edit(project, {"index.html": "one"})
    assert again.id == v1.id
    branch = save_edit(project, {"index.html": "two"})
    assert branch.parent == v1.id


# -- version tree ------------------------------------------------------------------------


def test_version_tree_orders_forks_after_their_line(project: Project) -> None:
    v1 = project.commit({"index.html": "1"}, parent=None, kind="template")
    v2 = project.commit({"index.html": "2"}, parent=v1.id, kind="generate")
    v3 = project.commit({"index.html": "3"}, parent=v2.id, kind="edit")
    v4 = project.fork(v1.id)
    v5 = project.commit({"index.html": "5"}, parent=v4.id, kind="edit")
    v6 = project.fork(v2.id)
    v7 = project.commit({"index.html": "7"}, parent=None, kind="import")  # a second root
    tree = [(depth, v.id) for depth, v in version_tree(project)]
    assert tree == [
        (0, v1.id),
        (0, v2.id),
        (0, v3.id),
        (1, v6.id),
        (1, v4.id),
        (1, v5.id),
        (0, v7.id),
    ]


def test_version_tree_lists_each_version_once_after_its_parent(project: Project) -> None:
    parent = None
    for i in range(40):
        v = project.commit({"index.html": str(i)}, parent=parent, kind="edit")
        if i % 7 == 3:
            project.fork(v.id)
        parent = v.id if i % 5 else (parent or v.id)
    tree = version_tree(project)
    ids = [v.id for _, v in tree]
    assert sorted(ids) == [v.id for v in project.versions()]
    position = {vid: i for i, vid in enumerate(ids)}
    for _, v in tree:
        if v.parent is not None:
            assert position[v.parent] < position[v.id]


def test_version_tree_of_a_long_history_does_not_recurse(project: Project) -> None:
    sha = project.blobs.put(b"x")
    parent = None
    with project._tx() as c:  # fast: rows only, same shape as commits make
        for i in range(1, 3001):
            c.execute(
                "INSERT INTO versions(id, parent, created, kind) VALUES (?, ?, ?, 'edit')",
                (i, parent, float(i)),
            )
            c.execute("INSERT INTO version_files VALUES (?, 'index.html', ?)", (i, sha))
            parent = i
    tree = version_tree(project)
    assert len(tree) == 3000 and {d for d, _ in tree} == {0}


def test_version_tree_empty(project: Project) -> None:
    assert version_tree(project) == []


# -- import ------------------------------------------------------------------------------


def test_import_an_html_file(tmp_path: Path, project: Project) -> None:
    base = project.commit({"index.html": "old"}, parent=None, kind="manual")
    page = tmp_path / "My Game.HTML"
    page.write_text("<h1>hi</h1>", encoding="utf-8")
    v = import_source(project, page)
    assert (v.kind, v.parent, v.meta["label"]) == ("import", base.id, "import of My Game.HTML")
    assert project.files(v.id) == {"index.html": b"<h1>hi</h1>"}
    assert project.head == v.id
    htm = tmp_path / "x.htm"
    htm.write_text("htm")
    assert import_source(project, htm).parent == v.id


def test_import_refuses_other_files_and_missing_sources(tmp_path: Path, project: Project) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(StudioError, match="not an HTML file"):
        import_source(project, tmp_path / "notes.txt")
    with pytest.raises(StudioError, match="does not exist"):
        import_source(project, tmp_path / "nope")
    assert project.versions() == []


def test_import_a_folder_skips_hidden_files_and_follows_links_inside(
    tmp_path: Path, project: Project
) -> None:
    src = tmp_path / "site"
    (src / "js").mkdir(parents=True)
    (src / "assets").mkdir()
    (src / ".git").mkdir()
    (src / "index.html").write_text("<script src='js/game.js'></script>")
    (src / "js" / "game.js").write_text("loop();")
    (src / "assets" / "ship.png").write_bytes(b"\x89PNG")
    (src / ".git" / "config").write_text("[core]")
    (src / ".DS_Store").write_bytes(b"\0\0")
    (src / "assets" / ".hidden.png").write_bytes(b"h")
    (src / "empty").mkdir()
    os.symlink(src / "assets" / "ship.png", src / "assets" / "hero.png")  # a file inside
    os.symlink("../js", src / "assets" / "scripts", target_is_directory=True)  # a folder inside
    os.symlink(src, src / "js" / "loop", target_is_directory=True)  # back to the root: once

    v = import_source(project, src)
    assert project.files(v.id) == {
        "index.html": b"<script src='js/game.js'></script>",
        "js/game.js": b"loop();",
        "assets/ship.png": b"\x89PNG",
        "assets/hero.png": b"\x89PNG",
        "assets/scripts/game.js": b"loop();",
    }
    assert v.meta["label"] == "import of site"


@pytest.mark.parametrize("link", ["linked.txt", "assets/also_linked.txt", "linked_dir"])
def test_a_link_leading_out_of_the_folder_refuses_the_import(
    tmp_path: Path, project: Project, link: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("private")
    src = tmp_path / "site"
    (src / "assets").mkdir(parents=True)
    (src / "index.html").write_text("<h1>game</h1>")
    target = outside if link == "linked_dir" else outside / "secret.txt"
    os.symlink(target, src / link, target_is_directory=target.is_dir())
    with pytest.raises(StudioError, match=f"{link} is a link to {target}, outside {src}"):
        import_source(project, src)
    assert project.versions() == []


def test_one_file_follows_the_same_link_rule(tmp_path: Path, project: Project) -> None:
    (tmp_path / "elsewhere.html").write_text("<h1>outside</h1>")
    game = tmp_path / "game"
    game.mkdir()
    (game / "real.html").write_text("<h1>inside</h1>")
    os.symlink(game / "real.html", game / "index.html")
    assert read_source(game / "index.html") == {"index.html": b"<h1>inside</h1>"}
    os.symlink(tmp_path / "elsewhere.html", game / "out.html")
    with pytest.raises(
        StudioError, match=f"out.html is a link to .*elsewhere.html, outside {game}"
    ):
        import_source(project, game / "out.html")
    os.symlink(game / "gone.html", game / "broken.html")
    with pytest.raises(StudioError, match="broken.html .* does not exist"):
        import_source(project, game / "broken.html")
    assert project.versions() == []


def test_import_folder_without_index_html_is_refused(tmp_path: Path, project: Project) -> None:
    src = tmp_path / "site"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "index.html").write_text("deep")
    (src / "game.js").write_text("x")
    with pytest.raises(StudioError, match="no index.html"):
        import_source(project, src)
    assert project.versions() == []


def test_import_folder_whose_index_html_is_a_link_is_refused(
    tmp_path: Path, project: Project
) -> None:
    (tmp_path / "elsewhere.html").write_text("outside")
    src = tmp_path / "site"
    src.mkdir()
    (src / "game.js").write_text("x")
    os.symlink(tmp_path / "elsewhere.html", src / "index.html")
    with pytest.raises(StudioError, match="index.html"):
        read_source(src)
    assert project.versions() == []


# -- templates ---------------------------------------------------------------------------


def make_template(root: Path, name: str, **meta: str) -> Path:
    folder = root / name
    (folder / "js").mkdir(parents=True)
    (folder / "template.json").write_text(json.dumps({"name": name, **meta}))
    (folder / "thumbnail.png").write_bytes(b"\x89PNG thumb")
    (folder / "index.html").write_text(f"<title>{name}</title>")
    (folder / "js" / "main.js").write_text("main();")
    return folder


def test_load_template_and_its_game_files(tmp_path: Path) -> None:
    folder = make_template(tmp_path, "pong", title="Pong", description="Two paddles", kind="2d")
    t = load_template(folder)
    assert (t.name, t.title, t.description, t.kind) == ("pong", "Pong", "Two paddles", "2d")
    assert t.thumbnail == folder / "thumbnail.png"
    assert t.files() == {"index.html": b"<title>pong</title>", "js/main.js": b"main();"}


def test_broken_templates_are_reported(tmp_path: Path) -> None:
    folder = make_template(tmp_path, "x")
    (folder / "index.html").unlink()
    with pytest.raises(StudioError, match="no index.html"):
        load_template(folder)
    (folder / "index.html").write_text("ok")
    (folder / "template.json").write_text("{not json")
    with pytest.raises(StudioError, match="template.json"):
        load_template(folder)


def test_new_project_from_a_template(tmp_path: Path) -> None:
    t = load_template(make_template(tmp_path / "templates", "pong", title="Pong"))
    with new_project(tmp_path / "mine", t) as p:
        assert p.get_meta("template") == "pong"
        (v,) = p.versions()
        assert (v.kind, v.parent, v.meta["template"], v.title) == (
            "template",
            None,
            "pong",
            "template: Pong",
        )
        assert p.head == v.id
        assert p.files() == t.files()
    with new_project(tmp_path / "empty") as p:
        assert p.versions() == [] and p.head is None
