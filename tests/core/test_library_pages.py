"""The clip and picture libraries a page at a time, picked out by SQLite from the assets'
metadata, against the lists made from every asset as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.assets import clip, clip_count, clip_page, clip_row, clips
from studio.core.pictures import (
    PICTURE_ROLE,
    picture,
    picture_count,
    picture_page,
    picture_row,
    pictures,
)
from studio.core.store import Project


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "game") as p:
        for n in range(7):
            stem = f"clip-{n}"
            links = {"clip": f"{stem}.webm"}
            p.add_asset(f"{stem}.mp4", f"mp4 {n}".encode(), meta={"role": "original", **links})
            if n != 3:  # clip 3 lost its thumbnail
                p.add_asset(f"{stem}.jpg", f"jpg {n}".encode(), meta={"role": "thumbnail", **links})
            meta = {"role": "proxy", "duration": 2.0 + n, "width": 640, "height": 360, **links}
            meta.update(original=f"{stem}.mp4", thumbnail=f"{stem}.jpg")
            p.add_asset(f"{stem}.webm", f"webm {n}".encode(), meta=meta)
            layout = {
                "columns": 2,
                "rows": 1,
                "frame_width": 16,
                "frame_height": 16,
                "frames": 2,
                "anchor": [8, 16],
            }
            p.add_asset(
                f"pic-{n}.png",
                f"png {n}".encode(),
                meta={
                    "role": PICTURE_ROLE,
                    "kind": "sprite_sheet",
                    "width": 32,
                    "height": 16,
                    "layout": layout,
                    "anchor": [8, 16],
                },
            )
        p.add_asset("old.mp4", b"a video from before clips had roles")  # a clip on its own
        p.add_asset("odd.mp4", b"x", meta={"role": None})  # a role, though empty: not a clip
        p.add_asset("photo.jpg", b"y", meta={"role": "source", "picture": "pic-1.png"})
        p.add_asset("notes.txt", b"z", meta={"role": "pictures"})
        yield p


def test_clips_are_the_proxies_and_bare_videos_in_library_order(project: Project) -> None:
    before = [  # how clips() chose them from every asset
        a.name
        for a in project.assets()
        if a.meta.get("role") == "proxy" or (a.kind == "video" and "role" not in a.meta)
    ]
    assert [c.name for c in clips(project)] == before and "old.mp4" in before
    assert clip_count(project) == len(before) == 8
    assert all(c == clip(project, c.name) for c in clips(project))


def test_clip_pages_run_newest_first_with_their_thumbnails(project: Project) -> None:
    newest = list(reversed(clips(project)))
    rows = [row for start in range(0, 8, 3) for row in clip_page(project, start, 3)]
    assert [c for c, _ in rows] == newest
    for c, thumb in rows:
        expected = (
            project.asset(c.thumbnail).blob if c.thumbnail not in (None, "clip-3.jpg") else None
        )
        assert thumb == expected
    assert clip_page(project, 8, 5) == [] and len(clip_page(project, 0, 100)) == 8


def test_picture_pages_run_newest_first(project: Project) -> None:
    every = pictures(project)
    assert [p.name for p in every] == [
        a.name for a in project.assets() if a.meta.get("role") == PICTURE_ROLE
    ]
    assert picture_count(project) == len(every) == 7
    rows = picture_page(project, 2, 3)
    assert [p for p, _ in rows] == list(reversed(every))[2:5]
    assert all(
        blob == project.asset(p.name).blob and p == picture(project, p.name) for p, blob in rows
    )
    assert rows[0][0].layout is not None and rows[0][0].layout.frames == 2


def test_names_and_blobs_without_the_metadata(project: Project) -> None:
    every = project.assets()
    assert project.asset_names() == {a.name for a in every}
    assert project.blobs_of_assets() == {a.blob for a in every}
    assert project.unique_asset_name("clip-0.webm") == "clip-0-2.webm"


def test_a_row_is_found_by_name(project: Project) -> None:
    for row, (c, _) in enumerate(clip_page(project, 0, 100)):
        assert clip_row(project, c.name) == row
    for row, (p, _) in enumerate(picture_page(project, 0, 100)):
        assert picture_row(project, p.name) == row
    assert clip_row(project, "clip-2.jpg") is None and clip_row(project, "nothing") is None
    assert picture_row(project, "clip-0.webm") is None
