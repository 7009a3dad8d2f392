"""What a game writes to its console, kept bounded and folded. Qt-free.

A page may log ten thousand lines a second; the buffer keeps the newest `limit` entries and
folds a line identical to the one before it into a count ("×123"), so memory and the work
of showing it stay small whatever the page does.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

LEVELS = ("log", "warning", "error")

# Kinds of error the Fix feature is offered: a console.error line, an uncaught exception,
# an unhandled rejection, a missing file, a page that did not load, a hang, a crash, memory.
ERROR_KINDS = ("console", "uncaught", "rejection", "resource", "load", "hang", "crash", "memory")


@dataclass
class ConsoleEntry:
    level: str  # log, warning, error
    message: str
    source: str = ""  # a project path (index.html, js/game.js) or a URL
    line: int = 0
    column: int = 0
    kind: str = "console"  # one of ERROR_KINDS for errors; "console" for plain lines
    count: int = 1
    time: float = field(default_factory=time.time)

    def same_line(self, other: ConsoleEntry) -> bool:
        return (
            self.level == other.level
            and self.message == other.message
            and self.source == other.source
            and self.line == other.line
            and self.kind == other.kind
        )

    @property
    def location(self) -> str:
        if not self.source:
            return ""
        return f"{self.source}:{self.line}" if self.line else self.source

    def as_error(self) -> dict:
        """The shape the Fix feature reads: message, source, line, kind."""
        return {
            "message": self.message,
            "source": self.source,
            "line": self.line,
            "kind": self.kind,
        }

    def to_dict(self) -> dict:
        return asdict(self)


class ConsoleBuffer:
    """The newest `limit` entries, identical neighbours folded; errors kept apart.

    `add` is cheap (the page's messages arrive one by one on the GUI thread); a view
    refreshes from it on a timer when `revision` moved, never once per line.
    """

    def __init__(self, limit: int = 2000, error_limit: int = 200) -> None:
        self.limit = limit
        self.entries: deque[ConsoleEntry] = deque()
        self.dropped = 0  # entries pushed out of the buffer by newer ones
        self.received = 0  # every line the page sent, folded or not
        self._errors: dict[tuple, ConsoleEntry] = {}
        self._error_limit = error_limit
        self.error_total = 0
        self.revision = 0  # bumped on every change, so views know when to refresh

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: ConsoleEntry) -> ConsoleEntry:
        self.received += 1
        self.revision += 1
        if entry.level == "error":
            self._note_error(entry)
        last = self.entries[-1] if self.entries else None
        if last is not None and last.same_line(entry):
            last.count += entry.count
            last.time = entry.time
            return last
        self.entries.append(entry)
        if len(self.entries) > self.limit:
            self.entries.popleft()
            self.dropped += 1
        return entry

    def extend(self, entries: Iterable[ConsoleEntry]) -> None:
        for entry in entries:
            self.add(entry)

    def _note_error(self, entry: ConsoleEntry) -> None:
        self.error_total += entry.count
        key = (entry.kind, entry.message, entry.source, entry.line)
        known = self._errors.get(key)
        if known is not None:
            known.count += entry.count
        elif len(self._errors) < self._error_limit:
            self._errors[key] = ConsoleEntry(**{**asdict(entry)})

    def errors(self) -> list[ConsoleEntry]:
        """Distinct errors since the last clear, oldest first."""
        return list(self._errors.values())

    def clear(self) -> None:
        self.entries.clear()
        self._errors.clear()
        self.error_total = 0
        self.dropped = 0
        self.received = 0
        self.revision += 1
