"""`.studioproj`: a whole project in one zip, for another person to open and go on from.

Layout: `manifest.json` (what the archive holds), `project.db` (a snapshot made with
SQLite's backup API, so an open project can be archived), `blobs/<sha256>` (every blob).
Writing one is `archive_write`; reading one, which trusts nothing in it, is `archive_read`.
This module holds what both agree on: the names, the summary, the blobs a database names.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from studio.errors import StudioError
from studio.export.base import (
    human_size,
)

SUFFIX = ".studioproj"
ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
DB_ENTRY = "project.db"
BLOB_PREFIX = "blobs/"
CHUNK = 1 << 20
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(StudioError):
    """An archive was refused; nothing was written."""


@dataclass(frozen=True)
class AssetSummary:
    name: str
    kind: str
    mime: str
    size: int


@dataclass(frozen=True)
class ArchiveSummary:
    """What an archive holds, read before anything is written."""

    path: Path
    name: str
    project_format: int
    created: float | None  # when the archive was made
    studio_version: str
    versions: int
    branches: int  # versions with no children: the tips of the tree's lines
    head: int | None
    assets: tuple[AssetSummary, ...]
    messages: int
    jobs: int
    blobs: int
    unpacked_size: int  # bytes on disk once imported
    archive_size: int

    def describe(self) -> str:
        """A few lines for a person deciding whether to import."""
        when = (
            time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created)) if self.created else "?"
        )
        lines = [
            f"Project “{self.name}” (archived {when} by Studio {self.studio_version or '?'})",
            f"{self.versions} version{'s' * (self.versions != 1)} on "
            f"{self.branches} line{'s' * (self.branches != 1)}"
            + (f", head v{self.head}" if self.head is not None else ""),
            f"{len(self.assets)} asset{'s' * (len(self.assets) != 1)}, "
            f"{self.messages} message{'s' * (self.messages != 1)}, "
            f"{self.jobs} video job{'s' * (self.jobs != 1)}",
            f"{human_size(self.unpacked_size)} once imported "
            f"({human_size(self.archive_size)} archive)",
        ]
        for asset in self.assets[:20]:
            lines.append(f"  {asset.name}  ({asset.mime}, {human_size(asset.size)})")
        if len(self.assets) > 20:
            lines.append(f"  … and {len(self.assets) - 20} more")
        return "\n".join(lines)


def referenced_blobs(db: Path) -> set[str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT blob FROM version_files UNION SELECT blob FROM assets")
        return {r[0] for r in rows}
    finally:
        conn.close()


def is_archive(path: Path | str) -> bool:
    path = Path(path)
    return path.suffix == SUFFIX and path.is_file()
