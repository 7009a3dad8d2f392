"""A version's game files, ready to export: its files plus MP4 fallbacks for its WebM videos.

Games play WebM (VP9) because that is what the preview decodes; browsers without VP9
(older Safari) get an H.264 MP4 beside it. The MP4 is made with studio.media and cached
by the WebM's hash, so exporting the same game again does not encode again.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from studio.core.store import Project
from studio.errors import StudioError
from studio.export.base import ExportError, ProgressCallback
from studio.export.reach import other_hosts, other_hosts_note, reachable

ENTRY = "index.html"
# Encoder settings of the fallbacks; part of the cache key.
FALLBACK_CRF = 26
FALLBACK_PRESET = "veryfast"
# Until an MP4 exists, its size is guessed from the WebM's: H.264 at CRF 26 comes out
# between about half (synthetic, flat pictures) and the same size (busy footage) of the
# realtime VP9 proxy.
FALLBACK_SIZE_GUESS = 0.8
CACHE_ENV = "STUDIO_CACHE_DIR"

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


@dataclass
class GameBundle:
    """The files of one version as they will be exported."""

    version: int
    created: float
    title: str
    files: dict[str, bytes]  # the version's files, plus generated fallbacks
    fallbacks: dict[str, str] = field(default_factory=dict)  # webm path -> mp4 path
    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # files of the version not carried


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    root = Path(override) if override else Path(platformdirs.user_cache_dir("studio"))
    return root / "export-mp4"


def fallback_path(webm: str) -> str:
    return webm[: -len(".webm")] + ".mp4"


def webm_paths(paths: list[str] | dict[str, object]) -> list[str]:
    return sorted(p for p in paths if p.lower().endswith(".webm"))


def game_title(project: Project, files: dict[str, bytes]) -> str:
    """A story's title (its player's `<title>` is the template's), else the game's own
    `<title>`, else the project's name."""
    from studio.story.model import load_story  # late: only stories need it

    try:
        story = load_story(files)
    except StudioError:  # a broken story.json: the page's title will do
        story = None
    title = story.title if story is not None else ""
    if not title:
        page = files[ENTRY].decode("utf-8", errors="replace")
        match = _TITLE.search(page)
        title = html.unescape(match.group(1)) if match else ""
    return " ".join(title.split()) or project.name


def version_hashes(project: Project, version: int | None) -> tuple[int, dict[str, str]]:
    vid = project.resolve(version)
    hashes = project.file_hashes(vid)
    if ENTRY not in hashes:
        raise ExportError(f"version {vid} has no {ENTRY}: there is no game to export")
    return vid, hashes


def estimate_fallbacks(project: Project, hashes: dict[str, str]) -> int:
    """Bytes the MP4 fallbacks will add: the cached size when made before, else a guess."""
    total = 0
    for webm in webm_paths(hashes):
        if fallback_path(webm) in hashes:
            continue
        cached = _cached(hashes[webm])
        size = project.blobs.size(hashes[webm])
        total += cached.stat().st_size if cached.is_file() else int(size * FALLBACK_SIZE_GUESS)
    return total


async def load_bundle(
    project: Project,
    version: int | None,
    *,
    fallbacks: bool = True,
    reached_only: bool = False,
    keep: Sequence[str] = (),
    on_progress: ProgressCallback | None = None,
) -> GameBundle:
    """Read a version's files and make (or take from the cache) its videos' MP4 fallbacks.

    With `reached_only`, only the files the game reaches (`studio.export.reach`) and those
    `keep` patterns name are taken; the others are listed in `left_out`. The notes name the
    other hosts the game loads from (`studio.export.reach.other_hosts`)."""
    vid, hashes = version_hashes(project, version)
    files = {p: project.blobs.read(h) for p, h in sorted(hashes.items())}
    carried = reachable(files, keep)
    hosts = other_hosts(files, carried)
    left_out: list[str] = []
    if reached_only:
        left_out = [p for p in files if p not in carried]
        files = {p: data for p, data in files.items() if p in carried}
        hashes = {p: h for p, h in hashes.items() if p in carried}
    bundle = GameBundle(
        version=vid,
        created=project.version(vid).created,
        title=game_title(project, files),
        files=files,
        left_out=left_out,
        notes=[other_hosts_note(hosts)] if hosts else [],
    )
    videos = webm_paths(hashes) if fallbacks else []
    for n, webm in enumerate(videos):
        mp4 = fallback_path(webm)
        if mp4 in files:  # the game ships its own MP4 beside the WebM
            bundle.fallbacks[webm] = mp4
            continue

        def part(f: float, n: int = n) -> None:
            if on_progress is not None:
                on_progress((n + f) / len(videos))

        made = await make_fallback(project.blobs.path(hashes[webm]), webm, bundle.notes, part)
        if made is not None:
            files[mp4] = made
            bundle.fallbacks[webm] = mp4
    if on_progress is not None:
        on_progress(1.0)
    return bundle


def _cached(sha: str) -> Path:
    return cache_dir() / f"{sha}-h264-crf{FALLBACK_CRF}-{FALLBACK_PRESET}.mp4"


async def make_fallback(
    source: Path, name: str, notes: list[str], on_progress: ProgressCallback | None = None
) -> bytes | None:
    """H.264 + AAC bytes of a WebM video, or None (with a note) when it has no picture."""
    from studio.media import MediaError, export_mp4, probe

    cached = _cached(source.name)
    if cached.is_file():
        return cached.read_bytes()
    try:
        await probe(source)
    except MediaError as exc:
        if "audio file" not in str(exc):  # sound alone needs no H.264 fallback
            notes.append(f"{name}: no MP4 fallback ({exc})")
        return None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        await export_mp4(
            source, cached, crf=FALLBACK_CRF, preset=FALLBACK_PRESET, on_progress=on_progress
        )
    except MediaError as exc:
        raise ExportError(f"could not make the MP4 fallback of {name}: {exc}") from exc
    except OSError as exc:
        raise ExportError(f"could not make the MP4 fallback of {name}: {exc}") from exc
    return cached.read_bytes()
