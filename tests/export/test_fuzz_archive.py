"""Fuzzing project archives (issue 18): random mutations of a valid `.studioproj`,
truncation, entries whose headers lie about their size or name, and zip bombs.

Each import ends as a project that opens, or as an ArchiveError with nothing written: never
an unhandled exception, a file outside the destination's folder, or memory beyond a bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from studio.core.store import Project
from studio.errors import StudioError
from studio.export import ArchiveExporter, import_archive, inspect_archive
from studio.export.archive_format import ArchiveSummary
from tests.fuzz import clear_error_or_result, examples, peak_memory

CENTRAL, LOCAL = b"PK\x01\x02", b"PK\x03\x04"


@pytest.fixture(scope="module")
def valid_archive(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("archive")
    with Project.create(folder / "game", name="Fuzzed") as project:
        v1 = project.commit({"index.html": "<title>one</title>"}, parent=None, kind="template")
        project.commit(
            {"index.html": "<title>two</title>", "game.js": "let speed = 3;\n" * 50},
            parent=v1.id,
            kind="generate",
            prompt="faster",
        )
        project.add_asset("sprite.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
        project.add_message("user", "faster")
        project.add_job("openai", {"prompt": "a fox"})
        archive = folder / "game.studioproj"
        asyncio.run(ArchiveExporter().export(project, None, archive))
    return archive.read_bytes()


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imports")


def offsets(data: bytes, signature: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at != -1:
        found.append(at)
        at = data.find(signature, at + 1)
    return found


@st.composite
def rewritten(draw, original: bytes) -> bytes:
    """The archive zipped again, well formed, with an entry's content changed: past the zip
    layer's checks, into the manifest's, the database's and the blobs'."""
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        entries = {info.filename: zf.read(info) for info in zf.infolist()}
    name = draw(st.sampled_from(sorted(entries)))
    content = bytearray(entries[name])
    for _ in range(draw(st.integers(1, 6))):
        if content:
            content[draw(st.integers(0, len(content) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del content[draw(st.integers(0, len(content))) :]
    entries[name] = bytes(content)
    if draw(st.integers(0, 4)) == 0:
        entries[draw(st.sampled_from(["extra.txt", "blobs/" + "0" * 64, "blobs/x"]))] = b"?"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, data in entries.items():
            zf.writestr(entry, data)
    return out.getvalue()


@st.composite
def mutations(draw, original: bytes) -> bytes:
    if draw(st.integers(0, 2)) == 0:
        original = draw(rewritten(original))
    data = bytearray(original)
    centrals, locals_ = offsets(original, CENTRAL), offsets(original, LOCAL)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(
            st.sampled_from(["none", "flip", "truncate", "lie", "rename", "link", "splice"])
        )
        if action == "flip" and data:
            for _ in range(draw(st.integers(1, 8))):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif action == "lie" and centrals:
            # Sizes (and CRC) in an entry's central record and/or local header, made up.
            size = draw(
                st.sampled_from([0, 1, 100, 2**20, 2**31, 2**32 - 1]) | st.integers(0, 2**32 - 1)
            )
            field = draw(st.sampled_from([16, 20, 24]))  # crc, compressed, uncompressed
            where = draw(st.sampled_from(centrals))
            if where + field + 4 <= len(data):
                struct.pack_into("<L", data, where + field, size)
            if draw(st.booleans()) and locals_:
                local = draw(st.sampled_from(locals_))
                if local + field + 2 <= len(data):
                    struct.pack_into("<L", data, local + field - 2, size)
        elif action in ("rename", "link") and centrals:
            where = draw(st.sampled_from(centrals))
            if where + 46 > len(data):
                continue
            if action == "link":  # a symbolic link, or a device
                mode = draw(st.sampled_from([0o120777, 0o020666, 0o060666, 0o010644]))
                struct.pack_into("<L", data, where + 38, mode << 16)
                continue
            length = struct.unpack_from("<H", data, where + 28)[0]
            name = (
                draw(st.sampled_from(["../", "/", "C:/", "blobs/../../", "..\\", "\0"]))
                + "x" * length
            )
            data[where + 46 : where + 46 + length] = name.encode()[:length].ljust(length, b"a")
        elif action == "splice":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


def import_in_a_sandbox(sandboxes: Path, archive: bytes):
    """Import `archive` in a fresh folder; what it gave, and every path the folder holds."""
    folder = Path(tempfile.mkdtemp(dir=sandboxes))
    try:
        path = folder / "game.studioproj"
        path.write_bytes(archive)
        summary = clear_error_or_result(lambda: inspect_archive(path))
        assert isinstance(summary, ArchiveSummary | StudioError)
        result = clear_error_or_result(lambda: import_archive(path, folder / "copy"))
        if isinstance(result, Project):
            assert result.versions() is not None
            result.close()
        left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
        return result, left
    finally:
        shutil.rmtree(folder)


@settings(max_examples=examples(150))
@given(data=st.data())
def test_mutated_archives_are_imported_whole_or_refused_with_nothing_written(
    valid_archive, sandboxes, data
):
    archive = data.draw(mutations(valid_archive))
    result, left = import_in_a_sandbox(sandboxes, archive)
    if isinstance(result, StudioError):  # the kinds of refusal, for --hypothesis-show-statistics
        event(re.sub(r"'[^']*'|[0-9a-f]{12,}|\d+", "…", str(result).split(" (")[0])[:70])
    else:
        event("imported")
    if isinstance(result, StudioError):
        assert left == ["game.studioproj"], left  # nothing left of the refused import
    else:
        assert all(p == "game.studioproj" or p.startswith("copy.studio") for p in left), left
    assert list(sandboxes.iterdir()) == []  # and nothing beside the sandbox either


def test_a_central_directory_said_to_start_further_on_is_refused(valid_archive, sandboxes):
    """Found by the fuzzing in CI: an end record that puts the central directory 64 KiB
    further on makes zipfile place every entry before the file's start (OSError EINVAL)."""
    data = bytearray(valid_archive)
    end = data.rfind(b"PK\x05\x06")
    start = struct.unpack_from("<L", data, end + 16)[0]
    struct.pack_into("<L", data, end + 16, start + 0x10000)
    result, left = import_in_a_sandbox(sandboxes, bytes(data))
    assert isinstance(result, StudioError) and "damaged" in str(result), result
    assert left == ["game.studioproj"]


def test_the_valid_archive_does_import(valid_archive, sandboxes):
    """The control: unmutated, the archive imports (so refusals above are the mutations')."""
    result, left = import_in_a_sandbox(sandboxes, valid_archive)
    assert isinstance(result, Project)
    assert "copy.studio/project.db" in left


def bomb(tmp: Path, declared: int, real: int) -> bytes:
    """An archive whose one blob entry declares `declared` bytes and inflates to `real`."""
    content = bytes(real)
    sha = hashlib.sha256(content).hexdigest()
    path = tmp / "bomb.studioproj"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", '{"format": 1, "app": "studio-project"}')
        zf.writestr(f"blobs/{sha}", content)
    data = bytearray(path.read_bytes())
    for where, field in [(o, 24) for o in offsets(bytes(data), CENTRAL)] + [
        (o, 22) for o in offsets(bytes(data), LOCAL)
    ]:
        name_len = struct.unpack_from("<H", data, where + (28 if field == 24 else 26))[0]
        name_at = where + (46 if field == 24 else 30)
        if data[name_at : name_at + name_len].startswith(b"blobs/"):
            struct.pack_into("<L", data, where + field, declared)
            struct.pack_into("<L", data, where + field - 4, max(1, declared // 1000))
    return bytes(data)


@pytest.mark.parametrize(
    ("declared", "real"), [(1000, 50 << 20), (3 << 30, 50 << 20), (2**32 - 1, 1 << 20)]
)
def test_entries_that_lie_about_their_size_are_refused_in_bounded_memory(tmp_path, declared, real):
    archive = tmp_path / "bomb.studioproj"
    archive.write_bytes(bomb(tmp_path, declared, real))
    result, peak = peak_memory(lambda: import_archive(archive, tmp_path / "copy"))
    assert isinstance(result, StudioError), result
    assert peak < 16 << 20, peak
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.studioproj"]
