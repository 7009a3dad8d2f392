"""One HTML file holding the game and its assets, playable from file:// with no network.

The file is a small shell page (title, mute, fullscreen, touch hints) with the game in an
iframe built from `srcdoc`: the game keeps its own document, viewport and keyboard focus.
Scripts and stylesheets are inlined into the game document (stylesheets they `@import`
too); every other file travels as base64 and becomes a blob URL when the page starts (videos
play far better from blob URLs than from data: URLs). WebM videos carry an MP4 fallback for
browsers without VP9. Only the files the game reaches are carried (`studio.export.reach`),
plus those `keep` patterns name; the result's notes list what was left out.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

from studio import __version__
from studio.core.records import guess_mime
from studio.core.store import Project
from studio.export.base import (
    LARGE_SINGLE_FILE,
    ExportResult,
    Progress,
    ProgressCallback,
    atomic_file,
)
from studio.export.bundle import (
    ENTRY,
    GameBundle,
    estimate_fallbacks,
    load_bundle,
    version_hashes,
)
from studio.export.reach import left_out_note, reachable
from studio.export.rewrite import HtmlRewrite, decode_text
from studio.export.shell import (
    GAME_BOOTSTRAP,
    ICON_FULLSCREEN,
    ICON_SOUND,
    SHELL_CSS,
    SHELL_HTML,
    SHELL_JS,
    SINGLE_FILE_CSP,
    csp_meta,
)

# Files whose text is inlined as-is when referenced as a script or stylesheet.
INLINE_SUFFIXES = (".js", ".mjs", ".css")
SHELL_OVERHEAD = len(SHELL_HTML) + len(SHELL_CSS) + len(SHELL_JS) + len(GAME_BOOTSTRAP) + 2048
_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


def token(index: int) -> str:
    return f"__studio_asset_{index}__"


def json_in_script(value: object) -> str:
    """JSON that cannot end its `<script>` early (`<` is escaped as \\u003c)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace `@@NAME@@` in one pass, so filled-in text is never scanned again."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def build_single_html(bundle: GameBundle) -> str:
    """The whole page, as text."""
    mp4s = {mp4: webm for webm, mp4 in bundle.fallbacks.items()}
    order: list[str] = []
    index: dict[str, int] = {}

    def ref(path: str) -> str:
        if path not in index:
            index[path] = len(order)
            order.append(path)
        return token(index[path])

    rewrite = HtmlRewrite(
        files=bundle.files,
        fallbacks=bundle.fallbacks,
        head=csp_meta(SINGLE_FILE_CSP) + GAME_BOOTSTRAP,
        ref=ref,
        inline=True,
    )
    game = rewrite.apply(decode_text(bundle.files[ENTRY]), ENTRY)
    # Everything not inlined stays reachable: games also build asset URLs at run time.
    for path in bundle.files:
        if path != ENTRY and path not in rewrite.inlined:
            ref(path)
    assets = []
    for path in order:
        entry: dict[str, object] = {
            "path": path,
            "type": guess_mime(path),
            "data": base64.b64encode(bundle.files[path]).decode("ascii"),
        }
        if path in mp4s:
            entry["fallbackFor"] = mp4s[path]
        assets.append(entry)
    bundle.notes.extend(
        f"index.html refers to {m}, which is not in the game"
        for m in rewrite.missing
        if m not in bundle.left_out  # an icon, an old font format: left out on purpose
    )
    if bundle.left_out:
        bundle.notes.append(left_out_note(bundle.left_out))
    title = html.escape(bundle.title, quote=True)
    return fill(
        SHELL_HTML,
        {
            "CSP": csp_meta(SINGLE_FILE_CSP),
            "GENERATOR": f"Studio {__version__}",
            "TITLE": title,
            "CSS": SHELL_CSS,
            "ICON_SOUND": ICON_SOUND,
            "ICON_FULLSCREEN": ICON_FULLSCREEN,
            "GAME": json_in_script(game),
            "ASSET_DATA": json_in_script(assets),
            "JS": SHELL_JS,
        },
    )


class SingleHtmlExporter:
    name = "html"
    title = "Single HTML file"
    suffix = ".html"
    description = "One file that opens by double-click, offline, on desktop and phone."
    large_size = LARGE_SINGLE_FILE
    keeps = True  # carries only what the game reaches; `keep` patterns add more

    def estimate(self, project: Project, version: int | None, keep: Sequence[str] = ()) -> int:
        _, hashes = version_hashes(project, version)
        carried = reachable({p: project.blobs.read(h) for p, h in hashes.items()}, keep)
        hashes = {p: h for p, h in hashes.items() if p in carried}
        total = SHELL_OVERHEAD
        for path, sha in hashes.items():
            size = project.blobs.size(sha)
            inline = path == ENTRY or path.lower().endswith(INLINE_SUFFIXES)
            total += size if inline else (size + 2) // 3 * 4
        total += (estimate_fallbacks(project, hashes) + 2) // 3 * 4
        return total

    async def export(
        self,
        project: Project,
        version: int | None,
        out_path: Path,
        on_progress: ProgressCallback | None = None,
        *,
        keep: Sequence[str] = (),
    ) -> ExportResult:
        """Write the file; `keep` (globs on game paths, `levels/*`) names files to carry
        that the game reaches in ways the analysis cannot see."""
        progress = Progress(on_progress)
        bundle = await load_bundle(
            project, version, reached_only=True, keep=keep, on_progress=progress.part(0.0, 0.85)
        )
        text = await asyncio.to_thread(build_single_html, bundle)
        progress(0.9)
        data = text.encode("utf-8")
        out_path = Path(out_path)

        def write() -> None:
            with atomic_file(out_path) as tmp:
                tmp.write_bytes(data)

        await asyncio.to_thread(write)
        progress(1.0)
        return ExportResult(out_path, len(data), tuple(bundle.notes))
