"""Content-addressed blob store: files named by their SHA-256, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from studio.core.errors import ProjectError

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which protects it already
    fcntl = None  # type: ignore[assignment]

_CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def os_reason(exc: OSError, subject: Path) -> str:
    """Why an OS call failed, in words (`Permission denied`), naming the file only when it
    lies outside the `subject` that the message names already."""
    reason = exc.strerror or str(exc)
    where = Path(os.fsdecode(exc.filename)) if exc.filename else None
    if where is not None and where != subject and subject not in where.parents:
        reason += f" ({where})"
    return reason


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened (nor need fsync) on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Blobs live in `root/<sha256>`; identical content is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._held: int | None = None  # the folder, locked while the project is open

    # A process between writing a blob and committing the row that names it must not see
    # that blob removed as unnamed: every process with the project open holds a shared lock
    # on the blob folder, and leftovers are only removed under the exclusive one.

    def hold(self) -> bool:
        """Mark the store in use by this project until `release()`. True when no one else
        had it in use: the lock is exclusive then, until `share()`, so leftovers may go."""
        if fcntl is None:  # no flock: never sure to be alone, so never clean
            return False
        self._held = os.open(self.root, os.O_RDONLY)
        if _lock(self._held, wait=False):
            return True
        fcntl.flock(self._held, fcntl.LOCK_SH)  # waits out a cleaner, if one is at work
        return False

    def share(self) -> None:
        """Let other processes open the project too (after `hold()` returned True)."""
        if fcntl is not None and self._held is not None:
            fcntl.flock(self._held, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._held is not None:
            os.close(self._held)
            self._held = None

    def names(self) -> set[str]:
        """The blobs stored (temporary files left out)."""
        return {entry.name for entry in os.scandir(self.root) if _HEX64.fullmatch(entry.name)}

    def path(self, sha: str) -> Path:
        if not _HEX64.fullmatch(sha):
            raise ProjectError(f"not a blob id: {sha!r}")
        return self.root / sha

    def has(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, data: bytes) -> str:
        sha = sha256_bytes(data)
        if not self.has(sha):
            self._write_atomically(sha, lambda f: f.write(data))
        return sha

    def put_file(self, source: Path) -> str:
        """Store a file without reading it whole into memory (video clips can be large)."""
        try:
            sha = sha256_file(source)
        except OSError as exc:
            raise ProjectError(f"cannot read {source}: {os_reason(exc, source)}") from None
        if not self.has(sha):

            def copy(f) -> None:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, f, _CHUNK)

            self._write_atomically(sha, copy)
        return sha

    def read(self, sha: str) -> bytes:
        try:
            return self.path(sha).read_bytes()
        except FileNotFoundError:
            raise ProjectError(f"the project is missing blob {sha[:12]}… (damaged store)") from None

    def size(self, sha: str) -> int:
        try:
            return self.path(sha).stat().st_size
        except FileNotFoundError:
            raise ProjectError(f"the project is missing blob {sha[:12]}… (damaged store)") from None

    def verify(self, sha: str) -> bool:
        return self.has(sha) and sha256_file(self.path(sha)) == sha

    def remove_temporaries(self) -> None:
        """Temporary files left by a crash before their rename are garbage.

        A temporary file still locked belongs to a live writer (the app while the CLI opens
        the same project, say) and is left alone.
        """
        # os.scandir, not Path.glob: a folder of 10,000 blobs is listed in a few ms.
        with os.scandir(self.root) as entries:
            strays = [self.root / e.name for e in entries if e.name.startswith(".tmp-")]
        for stray in strays:
            try:
                fd = os.open(stray, os.O_RDONLY)
            except OSError:
                continue
            try:
                if _lock(fd, wait=False):
                    stray.unlink(missing_ok=True)
            except OSError:
                pass
            finally:
                os.close(fd)

    def _write_atomically(self, sha: str, write) -> None:
        try:
            self._write(sha, write)
        except OSError as exc:  # a full disk or a folder we may not write: one clear line
            raise ProjectError(
                f"cannot store a file in {self.root}: {os_reason(exc, self.root)}"
            ) from None

    def _write(self, sha: str, write) -> None:
        # Write, fsync, then rename: a crash leaves either no blob or a whole one.
        while True:
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)
            _lock(fd, wait=True)  # waits out a cleaner that is about to remove it
            if os.fstat(fd).st_nlink:
                break
            os.close(fd)  # removed by a cleaner between creation and lock: take another
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.root / sha)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.root)


def _lock(fd: int, *, wait: bool) -> bool:
    """Lock an open file exclusively (released when the fd closes); False if held elsewhere."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True
