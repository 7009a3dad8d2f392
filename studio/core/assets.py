"""Video clips in a project's asset library, and putting them into the game.

A clip is three assets that share a base name:

- the proxy `<base>.webm` (VP9 + Opus): what the Preview and games play, and the clip's name;
- the original `<base>.mp4` (or whatever came in): kept for exports and new edits;
- the thumbnail `<base>.jpg`: for galleries.

Their metadata (`Asset.meta`) links them: `role` is original / proxy / thumbnail, `clip` names
the proxy, and the proxy carries `original`, `thumbnail`, `duration`, `width`, `height`, `fps`,
`source` (generated / imported / recorded / trimmed) and, for generated clips, `prompt`, `job`.

Pictures (and their kept source photos) are described in `studio.core.pictures`.

`asset_manifest` lists what a game version can load by relative URL, in the shape the code
model's context builder takes; pictures add their kind, frames, layout and anchor.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.blobs import sha256_file
from studio.core.errors import NotFoundError
from studio.core.pictures import SOURCE_ROLE, picture_facts
from studio.core.records import Asset, Version, guess_mime
from studio.core.store import Project
from studio.errors import StudioError

__all__ = [
    "ASSET_DIR",
    "Clip",
    "asset_file",
    "asset_manifest",
    "clip",
    "clips",
    "delete_clip",
    "export_clip",
    "import_video",
    "last_frame_png",
    "library_manifest",
    "slug",
    "trim_clip",
    "use_in_game",
]

ASSET_DIR = "assets"
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".ogv"}
# The internal parts of a clip, and a picture's kept photo: not offered to the code model.
_INTERNAL_ROLES = {"original", "thumbnail", SOURCE_ROLE}


@dataclass(frozen=True)
class Clip:
    """One video in the library, named by its proxy (the file a game plays)."""

    name: str
    original: str | None
    thumbnail: str | None
    duration: float
    width: int
    height: int
    source: str
    prompt: str | None
    created: float
    meta: Mapping[str, Any]

    @property
    def title(self) -> str:
        return (self.prompt or self.name).splitlines()[0][:80]


def _clip_of(asset: Asset) -> Clip:
    m = asset.meta
    return Clip(
        name=asset.name,
        original=m.get("original"),
        thumbnail=m.get("thumbnail"),
        duration=float(m.get("duration") or 0.0),
        width=int(m.get("width") or 0),
        height=int(m.get("height") or 0),
        source=str(m.get("source") or "imported"),
        prompt=m.get("prompt"),
        created=asset.created,
        meta=m,
    )


def clips(project: Project) -> list[Clip]:
    """The library's clips, oldest first (one entry per clip, however many files it has)."""
    return [
        _clip_of(a)
        for a in project.assets()
        if a.meta.get("role") == "proxy" or (a.kind == "video" and "role" not in a.meta)
    ]


def clip(project: Project, name: str) -> Clip:
    """The clip that `name` (its proxy, original or thumbnail) belongs to."""
    asset = project.asset(name)
    proxy = asset.meta.get("clip") if asset.meta.get("role") in _INTERNAL_ROLES else None
    return _clip_of(project.asset(proxy) if proxy else asset)


@contextlib.contextmanager
def asset_file(project: Project, name: str) -> Iterator[Path]:
    """A path named like the asset (ffmpeg and people read names) pointing at its blob."""
    asset = project.asset(name)
    with tempfile.TemporaryDirectory(prefix="studio-asset-") as folder:
        path = Path(folder) / asset.name
        try:
            os.symlink(project.blobs.path(asset.blob), path)
        except OSError:  # no symlinks (Windows without the right): copy instead
            shutil.copyfile(project.blobs.path(asset.blob), path)
        yield path


# -- importing --------------------------------------------------------------------------


def slug(text: str, fallback: str = "clip", limit: int = 32) -> str:
    """A file-name stem from free text: `A red fox, running!` → `a-red-fox-running`."""
    out = ""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if out and len(out) + 1 + len(word) > limit:
            break  # whole words only
        out = f"{out}-{word}" if out else word[:limit]
    return out or fallback


def _free_base(project: Project, base: str, suffix: str) -> tuple[str, str, str]:
    """Names for proxy, original and thumbnail that are all free, sharing one base."""
    taken = {a.name for a in project.assets()}
    n = 1
    while True:
        stem = base if n == 1 else f"{base}-{n}"
        original = f"{stem}{suffix}" if suffix != ".webm" else f"{stem}-original.webm"
        names = (f"{stem}.webm", original, f"{stem}.jpg")
        if not taken.intersection(names):
            return names
        n += 1


async def import_video(
    project: Project,
    src: Path | str,
    *,
    name: str | None = None,
    source: str = "imported",
    meta: Mapping[str, Any] | None = None,
    on_progress: Any = None,
) -> Clip:
    """Check a video file (a full decode), make its WebM proxy and thumbnail, and store all
    three in the library. All or nothing: a damaged or foreign file raises MediaError, and
    a failure or cancellation at any step leaves no asset and no new blob behind."""
    from studio.media import prepare_clip, probe

    src = Path(src)
    base = slug(Path(name).stem if name else src.stem)
    suffix = src.suffix.lower() if src.suffix.lower() in VIDEO_SUFFIXES else ".mp4"
    with tempfile.TemporaryDirectory(prefix="studio-import-") as folder:
        work = Path(folder)
        prepared = await prepare_clip(
            src, work / "proxy.webm", work / "poster.jpg", on_progress=on_progress
        )
        proxy_info = await probe(prepared.proxy)
        info = prepared.info
        common = {"source": source, **dict(meta or {})}
        original = _Part(
            src,
            guess_mime(f"clip{suffix}") if suffix != ".mkv" else "video/x-matroska",
            {
                **common,
                "role": "original",
                "duration": round(info.duration, 3),
                "width": info.width,
                "height": info.height,
                "fps": round(info.fps, 3),
                "video_codec": info.video_codec,
                "audio_codec": info.audio_codec,
            },
        )
        thumb = _Part(prepared.poster, "image/jpeg", {**common, "role": "thumbnail"})
        proxy = _Part(
            prepared.proxy,
            "video/webm",
            {
                **common,
                "role": "proxy",
                "duration": round(proxy_info.duration, 3),
                "width": proxy_info.width,
                "height": proxy_info.height,
                "fps": round(proxy_info.fps, 3),
                "has_audio": proxy_info.has_audio,
            },
        )
        stored = await _store_clip(project, base, suffix, original, thumb, proxy)
    return _clip_of(stored)


@dataclass(frozen=True)
class _Part:
    path: Path
    mime: str
    meta: Mapping[str, Any]


# Choosing free names and adding the rows is one step per process: two imports of files
# with the same name must not both pick `clip.webm` (the second would replace the first).
_STORING = threading.RLock()
_UNDOING: set[asyncio.Future[None]] = set()  # clean-ups that outlive a second cancel


async def _store_clip(
    project: Project, base: str, suffix: str, original: _Part, thumb: _Part, proxy: _Part
) -> Asset:
    """Add a clip's three assets (the proxy last: the gallery lists clips by it). A worker
    thread cannot be stopped, so a cancellation waits for it and then takes it all back."""
    added: list[Asset] = []
    new_blobs: set[str] = set()

    def store() -> Asset:
        with _STORING:
            proxy_name, original_name, thumb_name = _free_base(project, base, suffix)
            links = {"clip": proxy_name}
            parts = (
                (original_name, original, links),
                (thumb_name, thumb, links),
                (proxy_name, proxy, {**links, "original": original_name, "thumbnail": thumb_name}),
            )
            try:
                for asset_name, part, extra in parts:
                    sha = sha256_file(part.path)
                    if not project.blobs.has(sha):
                        new_blobs.add(sha)
                    added.append(
                        project.add_asset(
                            asset_name, part.path, mime=part.mime, meta={**part.meta, **extra}
                        )
                    )
            except BaseException:
                _take_back(project, added, new_blobs)
                raise
            return added[-1]

    storing = asyncio.ensure_future(asyncio.to_thread(store))
    try:
        return await asyncio.shield(storing)
    except asyncio.CancelledError:
        undo = asyncio.ensure_future(_undo_after(storing, project, added, new_blobs))
        _UNDOING.add(undo)
        undo.add_done_callback(_UNDOING.discard)
        await asyncio.shield(undo)
        raise


async def _undo_after(
    storing: asyncio.Future[Asset], project: Project, added: list[Asset], new_blobs: set[str]
) -> None:
    with contextlib.suppress(Exception):
        await storing  # the thread cannot be stopped: let it finish first
    await asyncio.to_thread(_take_back, project, added, new_blobs)


def _take_back(project: Project, added: list[Asset], new_blobs: set[str]) -> None:
    """Remove the assets of a clip that was not stored whole, and the blobs that did not
    exist before it and that no other asset uses now."""
    with _STORING:
        for asset in added:
            project.remove_asset(asset.name)
        in_use = {a.blob for a in project.assets()}
        for sha in new_blobs - in_use:
            project.blobs.path(sha).unlink(missing_ok=True)
        added.clear()


# -- the game -----------------------------------------------------------------------------


def attach_used_assets(project: Project, files: dict[str, bytes | str], changed: list[str]) -> None:
    """A library asset that the `changed` files name by `assets/<name>` goes into `files`,
    so the game keeps working when exported (the Preview alone would find it anyway)."""
    texts = [files[p] for p in changed if isinstance(files.get(p), str)]
    if not texts:
        return
    for asset in project.assets():
        path = f"{ASSET_DIR}/{asset.name}"
        if path in files or asset.meta.get("role") in _INTERNAL_ROLES:
            continue
        pattern = re.compile(re.escape(path) + r"(?![\w.-])")
        if any(pattern.search(text) for text in texts):  # type: ignore[arg-type]
            files[path] = project.blobs.read(asset.blob)


def add_screenshot(project: Project, png: bytes, version_id: int) -> Asset:
    """A picture of version `version_id` playing, kept in the asset library."""
    name = project.unique_asset_name(f"screenshot-v{version_id}.png")
    return project.add_asset(name, png, mime="image/png", meta={"version": version_id})


def use_in_game(project: Project, name: str, *, version_id: int | None = None) -> Version:
    """A new version: the given (or head) version's files plus `assets/<proxy>` from the
    library, so the game can load it by relative URL. No change: the version is returned."""
    asset = project.asset(name)
    if asset.meta.get("role") in _INTERNAL_ROLES and asset.meta.get("clip"):
        asset = project.asset(asset.meta["clip"])  # a clip goes in as its WebM proxy
    elif asset.meta.get("role") == SOURCE_ROLE and asset.meta.get("picture"):
        asset = project.asset(asset.meta["picture"])  # a photo goes in as its picture
    base = project.resolve(version_id)
    hashes = project.file_hashes(base)
    path = f"{ASSET_DIR}/{asset.name}"
    if hashes.get(path) == asset.blob:
        return project.version(base)
    hashes[path] = asset.blob
    return project.commit_hashes(
        hashes,
        parent=base,
        kind="manual",
        meta={"label": f"added {path}", "asset": asset.name},
    )


def delete_clip(project: Project, name: str) -> list[str]:
    """Remove a clip (all its files) from the library; versions keep their copies."""
    target = clip(project, name)
    removed = []
    for part in (target.name, target.original, target.thumbnail):
        if part:
            project.remove_asset(part)
            removed.append(part)
    return removed


def _facts(asset: Asset) -> dict[str, Any]:
    m = asset.meta
    return {
        "name": asset.name,
        "kind": asset.kind,
        "mime": asset.mime,
        "size": asset.size,
        "duration": m.get("duration"),
        "width": m.get("width"),
        "height": m.get("height"),
        **picture_facts(asset),
    }


def library_manifest(project: Project) -> list[dict[str, Any]]:
    """Every library asset a game could use (clips by their proxy; no originals/thumbs)."""
    return [_facts(a) for a in project.assets() if a.meta.get("role") not in _INTERNAL_ROLES]


def asset_manifest(project: Project, version_id: int | None = None) -> list[dict[str, Any]]:
    """What the game version can load: each `assets/<name>` file, as a dict of name, kind,
    mime, size, duration, width and height (None where not known), for the code model."""
    try:
        hashes = project.file_hashes(version_id)
    except NotFoundError:
        return []
    by_name = {a.name: a for a in project.assets()}
    by_blob = {a.blob: a for a in by_name.values()}
    manifest = []
    prefix = f"{ASSET_DIR}/"
    for path, sha in sorted(hashes.items()):
        if not path.startswith(prefix):
            continue
        name = path[len(prefix) :]
        known = by_name.get(name)
        if known is None or known.blob != sha:
            known = by_blob.get(sha)  # renamed, or gone from the library: match by content
        mime = guess_mime(name)
        entry = _facts(known) if known else {}
        entry.update(
            name=name,
            mime=mime,
            kind=mime.split("/", 1)[0] if "/" in mime else "other",
            size=project.blobs.size(sha),
        )
        for key in ("duration", "width", "height"):
            entry.setdefault(key, None)
        manifest.append(entry)
    return manifest


# -- edits ------------------------------------------------------------------------------


def _source_name(project: Project, target: Clip) -> str:
    """The best file to work from: the original when there is one."""
    if target.original:
        try:
            project.asset(target.original)
            return target.original
        except NotFoundError:
            pass
    return target.name


async def trim_clip(
    project: Project,
    name: str,
    start: float,
    end: float | None,
    *,
    on_progress: Any = None,
) -> Clip:
    """A new clip: the part from `start` to `end` seconds of `name` (cut frame-exactly)."""
    from studio.media import trim

    target = clip(project, name)
    with (
        asset_file(project, _source_name(project, target)) as src,
        tempfile.TemporaryDirectory(prefix="studio-trim-") as folder,
    ):
        out = Path(folder) / f"{Path(target.name).stem}-trim.mp4"
        await trim(src, out, start, end, on_progress=_share(on_progress, 0.0, 0.4))
        meta = {"trimmed_from": target.name, "trim": [start, end]}
        if target.prompt:
            meta["prompt"] = target.prompt
        return await import_video(
            project, out, source="trimmed", meta=meta, on_progress=_share(on_progress, 0.4, 1.0)
        )


def _share(on_progress: Any, low: float, high: float) -> Any:
    """One step's 0..1 as its share `low`..`high` of the whole operation's progress."""
    if on_progress is None:
        return None
    return lambda fraction: on_progress(low + (high - low) * fraction)


async def export_clip(
    project: Project, name: str, dest: Path | str, *, on_progress: Any = None
) -> Path:
    """Write a clip to `dest`: .mp4 (H.264 + AAC), .gif, or .webm (the proxy as it is)."""
    from studio.media import export_gif, export_mp4

    target = clip(project, name)
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix == ".webm":
        await asyncio.to_thread(
            shutil.copyfile, project.blobs.path(project.asset(target.name).blob), dest
        )
        return dest
    with asset_file(project, _source_name(project, target)) as src:
        if suffix in (".mp4", ".m4v", ".mov"):
            return await export_mp4(src, dest, on_progress=on_progress)
        if suffix == ".gif":
            return await export_gif(src, dest, on_progress=on_progress)
    raise StudioError(f"Cannot export to {dest.name}: use .mp4, .gif or .webm")


async def last_frame_png(project: Project, name: str) -> bytes:
    """The clip's exact last frame as PNG bytes (to continue a new clip from it)."""
    from studio.media import last_frame

    target = clip(project, name)
    with asset_file(project, _source_name(project, target)) as src:
        return await last_frame(src, image_format="png")
