"""Export and share: a game as one HTML file or a web folder/zip; a project as an archive.

Exporters are registered through the plugin host (`register_exporters`), the built-in ones
exactly like a plugin's. Qt-free: the CLI and the Export dialog call the same functions.
"""

from __future__ import annotations

from typing import Any

from studio.errors import StudioError
from studio.export.archive_format import SUFFIX as ARCHIVE_SUFFIX
from studio.export.archive_format import ArchiveError, ArchiveSummary, AssetSummary, is_archive
from studio.export.archive_read import (
    default_import_dest,
    import_archive,
    import_archive_async,
    inspect_archive,
)
from studio.export.archive_write import ArchiveExporter
from studio.export.base import (
    LARGE_SINGLE_FILE,
    Exporter,
    ExportError,
    ExportResult,
    ProgressCallback,
    default_file_name,
    human_size,
    size_warning,
)
from studio.export.single_html import SingleHtmlExporter
from studio.export.web import FolderExporter, ZipExporter

__all__ = [
    "ARCHIVE_SUFFIX",
    "LARGE_SINGLE_FILE",
    "ArchiveError",
    "ArchiveExporter",
    "ArchiveSummary",
    "AssetSummary",
    "ExportError",
    "ExportResult",
    "Exporter",
    "FolderExporter",
    "ProgressCallback",
    "SingleHtmlExporter",
    "ZipExporter",
    "builtin_exporters",
    "default_file_name",
    "default_import_dest",
    "exporter_broke",
    "exporters",
    "get_exporter",
    "human_size",
    "import_archive",
    "import_archive_async",
    "inspect_archive",
    "is_archive",
    "size_warning",
]

# The order the Export dialog lists the built-in formats in; plugins' come after, by name.
ORDER = ("html", "zip", "folder", "archive")


def builtin_exporters() -> list[Exporter]:
    return [SingleHtmlExporter(), ZipExporter(), FolderExporter(), ArchiveExporter()]


def exporters(host: Any) -> list[Exporter]:
    """The exporters registered with a `studio.plugins.PluginHost`, in display order, each
    looked up through `host.get` as `get_exporter` does (the host's guarded path)."""
    found = [host.get("exporters", r.name) for r in host.registrations("exporters")]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda e: (rank.get(e.name, len(ORDER)), e.name))


def exporter_broke(host: Any, exporter: Exporter, exc: BaseException) -> str:
    """`exporter` raised `exc`: say so in plain words. An outside plugin's exporter comes
    guarded by the host (`studio.plugins.guard`): its bugs arrive as an ExportError that
    says so, its plugin switched off already. Anything else that is not a StudioError nor
    an OSError of the person's disk is Studio's own bug, which the host logs."""
    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, StudioError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else what
    plugin = host.owner("exporters", exporter.name)
    if plugin is not None:
        host.report_failure(plugin, exc)
    return what


def get_exporter(host: Any, name: str) -> Exporter:
    try:
        return host.get("exporters", name)
    except KeyError:
        known = ", ".join(e.name for e in exporters(host)) or "none"
        raise ExportError(f"no export format named {name!r} (known: {known})") from None
