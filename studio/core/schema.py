"""The project database schema and its migrations."""

from __future__ import annotations

import sqlite3

from studio.core.errors import ProjectError

FORMAT_VERSION = 2
APP_ID = "studio-project"

SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent INTEGER REFERENCES versions(id),
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    prompt TEXT,
    provider TEXT,
    model TEXT,
    tokens_in INTEGER,
    tokens_out INTEGER,
    ttft REAL,
    total_time REAL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX versions_parent ON versions(parent);
CREATE TABLE version_files (
    version INTEGER NOT NULL REFERENCES versions(id),
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (version, path)
) WITHOUT ROWID;
CREATE TABLE assets (
    name TEXT PRIMARY KEY,
    blob TEXT NOT NULL,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    version INTEGER REFERENCES versions(id),
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE video_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    remote_id TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    result TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
"""

# Format 2: jobs have a kind, so picture jobs share the table (and its persistence, errors
# and costs) with video jobs; the rows of format 1 are all video jobs.
JOB_KINDS_V2 = "ALTER TABLE video_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'video'"

# Each entry upgrades the database from the version before it to its index + 1.
MIGRATIONS: list[str] = [SCHEMA_V1, JOB_KINDS_V2]

REQUIRED_TABLES = {"meta", "versions", "version_files", "assets", "messages", "video_jobs"}


def initialise(conn: sqlite3.Connection) -> None:
    """Create the schema of a new project and mark it as ours, all in one transaction."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        _upgrade(conn, 0)
        conn.execute("INSERT INTO meta(key, value) VALUES ('app', ?)", (APP_ID,))


def migrate(conn: sqlite3.Connection, found: int) -> None:
    """Bring a database at format `found` up to FORMAT_VERSION in one transaction."""
    if found > FORMAT_VERSION:
        raise ProjectError(
            f"this project was saved by a newer Studio (format {found}, "
            f"this Studio reads up to {FORMAT_VERSION}); update Studio to open it"
        )
    if found == FORMAT_VERSION:
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        _upgrade(conn, found)


def _upgrade(conn: sqlite3.Connection, found: int) -> None:
    # Runs inside an explicit BEGIN: sqlite3 opens transactions implicitly only for DML, so
    # DDL alone would commit statement by statement and a failure would leave half a schema.
    for script in MIGRATIONS[found:FORMAT_VERSION]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
