"""Operations on projects shared by the UI and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from studio.core.blobs import os_reason
from studio.core.records import Version
from studio.core.store import Project
from studio.core.templates import Template
from studio.errors import StudioError
from studio.operations.history import tree_order

MAX_IMPORT_BYTES = 512 * 1024 * 1024


def new_project(path: Path | str, template: Template | None = None) -> Project:
    """Create a project; with a template its game becomes the first version. If that
    fails, no half-made project is left behind."""
    if template is None:
        return Project.create(path)

    def first_version(project: Project) -> None:
        project.set_meta("template", template.name)
        project.commit(
            template.files(),
            parent=None,
            kind="template",
            meta={"label": f"template: {template.title}", "template": template.name},
        )

    return Project.create(path, setup=first_version)


def read_source(source: Path) -> dict[str, bytes]:
    """An HTML file, or a folder with `index.html` at its root, as project files."""
    source = source.expanduser()
    try:
        return _read_source(source)
    except OSError as exc:  # unreadable files, a folder that went away meanwhile
        raise StudioError(f"cannot read {source}: {os_reason(exc, source)}") from None


def _read_source(source: Path) -> dict[str, bytes]:
    if source.is_file():
        if source.suffix.lower() not in (".html", ".htm"):
            raise StudioError(f"{source} is not an HTML file or a folder with index.html")
        return {"index.html": source.read_bytes()}
    if not source.is_dir():
        raise StudioError(f"{source} does not exist")
    if not (source / "index.html").is_file():
        raise StudioError(f"{source} has no index.html at its root")
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part.startswith(".") for part in rel.parts) or path.is_symlink():
            continue  # hidden files and links stay out: .git, .DS_Store, links outside
        if path.is_file():
            total += path.stat().st_size
            if total > MAX_IMPORT_BYTES:
                raise StudioError(f"{source} is larger than {MAX_IMPORT_BYTES >> 20} MiB")
            files[rel.as_posix()] = path.read_bytes()
    if "index.html" not in files:  # it was a link, and links stay out
        raise StudioError(f"{source} has no index.html at its root (links are not imported)")
    return files


def import_source(project: Project, source: Path) -> Version:
    return project.commit(
        read_source(source),
        parent=project.head,
        kind="import",
        meta={"label": f"import of {source.name}"},
    )


def save_edit(
    project: Project, files: Mapping[str, bytes | str], *, kind: str = "manual"
) -> Version:
    """Commit the person's edits on top of the head; unchanged files make no new version."""
    parent = project.head
    if parent is not None:
        current = project.files(parent)
        encoded = {p: d.encode() if isinstance(d, str) else d for p, d in files.items()}
        if encoded == current:
            return project.version(parent)
    return project.commit(files, parent=parent, kind=kind)


def version_tree(project: Project) -> list[tuple[int, Version]]:
    """Versions in tree order with their depth, children after their parent (all of them;
    `studio.operations.history.VersionTree` reads a page at a time)."""
    versions = {v.id: v for v in project.versions()}
    ids, depths = tree_order((v.id, v.parent) for v in versions.values())
    return [(depth, versions[vid]) for vid, depth in zip(ids, depths, strict=True)]
