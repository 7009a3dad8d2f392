"""Events and results of reading a model's answer (see DESIGN.md, "Model output").

The stream parser turns text into these events; the UI shows them as they come and
the generation operation applies the complete ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class MessageText:
    """Assistant prose outside any block, streamed piece by piece."""

    text: str


@dataclass(frozen=True, slots=True)
class FileStarted:
    path: str


@dataclass(frozen=True, slots=True)
class FileDelta:
    """More text of a whole file; the deltas of one file join to its final content."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class FileComplete:
    """A closed `<file>` block. Content has LF line ends and ends with one newline."""

    path: str
    content: str


@dataclass(frozen=True, slots=True)
class EditStarted:
    path: str


@dataclass(frozen=True, slots=True)
class EditBlock:
    """One complete SEARCH/REPLACE block. Both texts are whole lines ending in newline."""

    path: str
    search: str
    replace: str


@dataclass(frozen=True, slots=True)
class EditComplete:
    """A closed `<edit>` block.

    `malformed` is text inside the tag that was not a complete SEARCH/REPLACE block
    (an unterminated block or stray markers); empty when the tag was well formed.
    """

    path: str
    blocks: int = 0
    malformed: str = ""


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A block still open when the answer ended: never applied."""

    path: str
    partial_text: str
    kind: Literal["file", "edit"] = "file"


Event = (
    MessageText
    | FileStarted
    | FileDelta
    | FileComplete
    | EditStarted
    | EditBlock
    | EditComplete
    | Incomplete
)
CodeBlock = FileComplete | EditBlock

_BLANK_RUNS = re.compile(r"\n{3,}")


def tidy_message(text: str) -> str:
    """Prose as the person should read it: no blank-line runs left by removed blocks."""
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


@dataclass(slots=True)
class ParsedAnswer:
    """Everything read from one answer, in order."""

    message: str = ""
    blocks: list[CodeBlock] = field(default_factory=list)
    malformed_edits: list[EditComplete] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)

    @property
    def files(self) -> dict[str, str]:
        """Whole files by path (a later block for the same path wins)."""
        return {b.path: b.content for b in self.blocks if isinstance(b, FileComplete)}

    @property
    def edits(self) -> list[EditBlock]:
        return [b for b in self.blocks if isinstance(b, EditBlock)]

    @property
    def has_code(self) -> bool:
        return bool(self.blocks or self.malformed_edits or self.incomplete)


def collect(events: list[Event], into: ParsedAnswer | None = None) -> ParsedAnswer:
    """Fold parser events into a ParsedAnswer (message text is joined, then tidied)."""
    answer = into or ParsedAnswer()
    prose: list[str] = [answer.message] if answer.message else []
    for event in events:
        if isinstance(event, MessageText):
            prose.append(event.text)
        elif isinstance(event, FileComplete | EditBlock):
            answer.blocks.append(event)
        elif isinstance(event, EditComplete) and event.malformed:
            answer.malformed_edits.append(event)
        elif isinstance(event, Incomplete):
            answer.incomplete.append(event)
    answer.message = "".join(prose)
    return answer
