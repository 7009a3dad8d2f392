"""Export and share: a game as one HTML file or a web folder/zip; a project as an archive.

Exporters are registered through the plugin host (`register_exporters`), the built-in ones
exactly like a plugin's. Qt-free: the CLI and the Export dialog call the same functions.
"""

from __future__ import annotations

from typing import Any

from studio.core.export.archive import (
    SUFFIX as ARCHIVE_SUFFIX,
)
from studio.core.export.archive import (
    ArchiveError,
    ArchiveExporter,
    ArchiveSummary,
    AssetSummary,
    default_import_dest,
    import_archive,
    import_archive_async,
    inspect_archive,
    is_archive,
)
from studio.core.export.base import (
    LARGE_SINGLE_FILE,
    Exporter,
    ExportError,
    ExportResult,
    ProgressCallback,
    default_file_name,
    human_size,
    size_warning,
)
from studio.core.export.single_html import SingleHtmlExporter
from studio.core.export.web import FolderExporter, ZipExporter

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
    """The exporters registered with a `studio.plugins.PluginHost`, in display order."""
    found = [r.obj for r in host.registrations("exporters")]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda e: (rank.get(e.name, len(ORDER)), e.name))


def get_exporter(host: Any, name: str) -> Exporter:
    try:
        return host.get("exporters", name)
    except KeyError:
        known = ", ".join(e.name for e in exporters(host)) or "none"
        raise ExportError(f"no export format named {name!r} (known: {known})") from None
