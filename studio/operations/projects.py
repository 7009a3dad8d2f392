"""Operations on projects shared by the UI and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

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
    """An HTML file, or a folder with `index.html` at its root, as project files.

    One rule for links in both: a link that stays inside the folder (for a single file, the
    folder it is in) is followed; one leading out of it, or to nothing, refuses the import
    with a message naming it. Hidden files and folders (.git, .DS_Store) stay out."""
    source = source.expanduser()
    try:
        return _read_source(source)
    except OSError as exc:  # unreadable files, a folder that went away meanwhile
        raise StudioError(f"cannot read {source}: {os_reason(exc, source)}") from None


def _read_source(source: Path) -> dict[str, bytes]:
    if not source.exists() and not source.is_symlink():
        raise StudioError(f"{source} does not exist")
    if not source.is_dir():
        if source.suffix.lower() not in (".html", ".htm"):
            raise StudioError(f"{source} is not an HTML file or a folder with index.html")
        target = _followed(source, source.name, source.parent.resolve(), source.parent)
        if not target.is_file():
            raise StudioError(f"{source} is not an HTML file or a folder with index.html")
        return {"index.html": target.read_bytes()}
    root = source.resolve()
    if not (root / "index.html").exists() and not (root / "index.html").is_symlink():
        raise StudioError(f"{source} has no index.html at its root")
    files: dict[str, bytes] = {}
    total = 0
    for rel, path in _walk(root, PurePosixPath(), root, source, frozenset({root})):
        total += path.stat().st_size
        if total > MAX_IMPORT_BYTES:
            raise StudioError(f"{source} is larger than {MAX_IMPORT_BYTES >> 20} MiB")
        files[rel] = path.read_bytes()
    if "index.html" not in files:
        raise StudioError(f"{source} has no index.html at its root")
    return files


def _followed(path: Path, name: str, root: Path, shown_root: Path) -> Path:
    """`path` itself, or where it links to when that is inside `root` (else refused)."""
    if not path.is_symlink():
        return path
    target = path.resolve()
    if not target.is_relative_to(root):
        raise StudioError(
            f"{name} is a link to {target}, outside {shown_root}: Studio follows links only "
            "inside the folder it imports (copy the file in instead)"
        )
    if not target.exists():
        raise StudioError(f"{name} in {shown_root} is a link to {target}, which does not exist")
    return target


def _walk(
    folder: Path, rel: PurePosixPath, root: Path, shown_root: Path, reading: frozenset[Path]
) -> Iterator[tuple[str, Path]]:
    """(project path, file to read) for every file under `folder`, links followed inside
    `root`; a link back to a folder being read is not entered again."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue  # hidden files and folders stay out: .git, .DS_Store
        name = rel / entry.name
        target = _followed(Path(entry.path), str(name), root, shown_root)
        if target.is_dir():
            real = target.resolve()
            if real not in reading:
                yield from _walk(target, name, root, shown_root, reading | {real})
        elif target.is_file():
            yield name.as_posix(), target


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
