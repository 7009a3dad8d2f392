"""A streaming reader for model answers: text chunks in, block events out.

The answer format is described in DESIGN.md ("Model output"). Chunks may split a tag, a
marker line or a `\\r\\n` anywhere; the parser holds back only the few characters that
could still turn out to be part of a tag, a fence or a marker, so the joined events do
not depend on how the text was chunked.
"""

from __future__ import annotations

import re
from typing import Literal

from studio.ai.blocks import (
    EditBlock,
    EditComplete,
    EditStarted,
    Event,
    FileComplete,
    FileDelta,
    FileStarted,
    Incomplete,
    MessageText,
    ParsedAnswer,
    collect,
    tidy_message,
)

__all__ = [
    "StreamParser",
    "coalesce",
    "last_open_tag",
    "opening_tag_at_start",
    "parse_answer",
    "strip_leading_fence",
]

_OPEN_TAG = re.compile(r"<(file|edit)((?:[ \t][^<>\n]*)?)>", re.IGNORECASE)
_PATH_ATTR = re.compile(
    r"""\b(?:path|filename|name|file)[ \t]*=[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s"'>/]+))""",
    re.IGNORECASE,
)
_CLOSE_TAG = {
    "file": re.compile(r"</file[ \t]*>", re.IGNORECASE),
    "edit": re.compile(r"</edit[ \t]*>", re.IGNORECASE),
}
# A Markdown fence line (``` or ~~~, optionally with a language), a bare closing fence,
# and anything a fence line could still grow into.
_FENCE_LINE = re.compile(r"[ \t]*(?:`{3,}|~{3,})[\w.+#-]*[ \t]*")
_BARE_FENCE = re.compile(r"[ \t]*(?:`{3,}|~{3,})[ \t]*")
_FENCE_PREFIX = re.compile(r"[ \t]*(?:`+|~+)[\w.+#-]*[ \t]*")
_BLANK_LINES = re.compile(r"(?:[ \t]*\n)+")
_SEARCH_MARK = re.compile(r"<{5,9}[ \t]*SEARCH[ \t]*:?", re.IGNORECASE)
_DIVIDER = re.compile(r"={5,9}")
_REPLACE_MARK = re.compile(r">{5,9}[ \t]*REPLACE[ \t]*:?", re.IGNORECASE)
_MAX_TAG = 400  # longer than any sensible opening tag: stop holding text back

_WS = " \t\n"
State = Literal["text", "file", "edit"]


def _tag_path(attrs: str) -> str | None:
    match = _PATH_ATTR.search(attrs)
    if not match:
        return None
    path = next(g for g in match.groups() if g is not None).strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    return path or None


def _could_open(s: str) -> bool:
    """Whether `s` (starting with '<') may still become an opening tag."""
    head = s[:5].lower()
    if len(s) <= 5:
        return "<file".startswith(head) or "<edit".startswith(head)
    if head not in ("<file", "<edit") or s[5] not in " \t":
        return False
    return ">" not in s and "\n" not in s and len(s) < _MAX_TAG


def _could_close(s: str, name: str) -> bool:
    target = "</" + name
    low = s.lower()
    if len(low) <= len(target):
        return target.startswith(low)
    return low.startswith(target) and not low[len(target) :].strip(" \t") and len(s) < 40


def _last_segment_start(s: str) -> int:
    """Tags never span a newline or contain '>': only the text after both can be open."""
    return max(s.rfind("\n"), s.rfind(">")) + 1


def _viable_open(s: str) -> int | None:
    start = _last_segment_start(s)
    pos = s.find("<", start)
    while pos != -1:
        if _could_open(s[pos:]):
            return pos
        pos = s.find("<", pos + 1)
    return None


def _viable_close(s: str, name: str) -> int | None:
    start = _last_segment_start(s)
    pos = s.find("<", start)
    while pos != -1:
        if _could_close(s[pos:], name):
            return pos
        pos = s.find("<", pos + 1)
    return None


def _last_line(s: str) -> tuple[int, str]:
    """(start, text) of the last non-blank line of `s`, ignoring trailing whitespace."""
    t = s.rstrip(_WS)
    start = t.rfind("\n") + 1
    return start, t[start:]


def _join_lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


class StreamParser:
    """Feed text chunks, get events. One parser reads one answer."""

    def __init__(self) -> None:
        self._state: State = "text"
        self._pending = ""
        self._held_cr = False
        self._finished = False
        self._path = ""
        self._line_start = True  # emitted prose ends at the start of a line
        self._fence_open = False  # a fence opened around/inside the current block
        self._fence_after = False  # drop one bare fence line right after a block
        # whole file
        self._body_started = False
        self._parts: list[str] = []
        # edit
        self._mode: Literal["outside", "search", "replace"] = "outside"
        self._search: list[str] = []
        self._replace: list[str] = []
        self._junk: list[str] = []
        self._serious_junk = False
        self._block_count = 0
        self._raw: list[str] = []
        self._scanned = 0  # how much of the pending edit text was searched already

    # -- public ---------------------------------------------------------------------------

    def feed(self, chunk: str) -> list[Event]:
        if self._finished:
            raise RuntimeError("feed() after finish()")
        self._pending += self._normalise(chunk)
        events: list[Event] = []
        self._run(events, final=False)
        return events

    def finish(self) -> list[Event]:
        """End of the answer: flush prose; an open block becomes `Incomplete`."""
        if self._finished:
            return []
        self._finished = True
        if self._held_cr:
            self._pending += "\n"
            self._held_cr = False
        events: list[Event] = []
        self._run(events, final=True)
        if self._state == "file":
            events.append(Incomplete(self._path, "".join(self._parts) + self._pending, "file"))
        elif self._state == "edit":
            raw = "".join(line + "\n" for line in self._raw) + self._pending
            events.append(Incomplete(self._path, raw, "edit"))
        self._pending = ""
        return events

    @property
    def state(self) -> State:
        return self._state

    # -- plumbing -------------------------------------------------------------------------

    def _normalise(self, chunk: str) -> str:
        if self._held_cr:
            chunk = "\r" + chunk
            self._held_cr = False
        if chunk.endswith("\r"):
            self._held_cr = True
            chunk = chunk[:-1]
        return chunk.replace("\r\n", "\n").replace("\r", "\n")

    def _run(self, events: list[Event], *, final: bool) -> None:
        handlers = {"text": self._in_text, "file": self._in_file, "edit": self._in_edit}
        while handlers[self._state](events, final):
            pass

    def _prose(self, events: list[Event], text: str) -> None:
        if text:
            events.append(MessageText(text))
            self._line_start = text.endswith("\n")

    # -- prose ----------------------------------------------------------------------------

    def _in_text(self, events: list[Event], final: bool) -> bool:
        if self._fence_after and not self._close_fence_after(final):
            return False
        p = self._pending
        for match in _OPEN_TAG.finditer(p):
            path = _tag_path(match.group(2))
            if path is None:
                continue
            before = p[: match.start()]
            start, line = _last_line(before)
            if _FENCE_LINE.fullmatch(line) and (start > 0 or self._line_start):
                before = before[:start]
                self._fence_open = True
            self._prose(events, before)
            self._pending = p[match.end() :]
            self._open_block(events, match.group(1).lower(), path)
            return True
        if final:
            self._prose(events, p)
            self._pending = ""
            return False
        hold = len(p)
        tag = _viable_open(p)
        if tag is not None:
            hold = tag
        start, line = _last_line(p[:hold])
        if line and _FENCE_PREFIX.fullmatch(line) and (start > 0 or self._line_start):
            hold = start
        self._prose(events, p[:hold])
        self._pending = p[hold:]
        return False

    def _close_fence_after(self, final: bool) -> bool:
        """After a fenced block: drop the closing fence. False while it can't be told yet."""
        p = self._pending
        rest = p.lstrip(_WS)
        if not rest:
            if final:
                self._fence_after = False
                return True
            return False
        end = rest.find("\n")
        line = rest if end == -1 else rest[:end]
        if end == -1 and not final and (_FENCE_PREFIX.fullmatch(line) or _could_open(line)):
            return False
        if _BARE_FENCE.fullmatch(line):
            self._pending = "" if end == -1 else rest[end + 1 :]
            self._fence_after = self._fence_open = False
            self._line_start = True
            return True
        if not _OPEN_TAG.match(rest):
            # Prose follows: the fence (if any) is the prose's business.
            self._fence_after = self._fence_open = False
        return True

    def _open_block(self, events: list[Event], kind: str, path: str) -> None:
        self._path = path
        if kind == "file":
            self._state = "file"
            self._body_started = False
            self._parts = []
            events.append(FileStarted(path))
        else:
            self._state = "edit"
            self._mode = "outside"
            self._search, self._replace, self._junk, self._raw = [], [], [], []
            self._serious_junk = False
            self._block_count = 0
            events.append(EditStarted(path))

    def _close_block(self, rest: str) -> None:
        self._pending = rest
        self._state = "text"
        self._fence_after = self._fence_open
        self._line_start = True

    # -- whole file -----------------------------------------------------------------------

    def _start_body(self, final: bool) -> bool:
        """Trim blank lines and one opening fence after `<file>`. False: need more text."""
        p = self._pending
        blank = _BLANK_LINES.match(p)
        if blank:
            p = p[blank.end() :]
        end = p.find("\n")
        line = p if end == -1 else p[:end]
        if not final and end == -1 and (not line.strip(" \t") or _FENCE_PREFIX.fullmatch(line)):
            self._pending = p
            return False
        if _FENCE_LINE.fullmatch(line):
            p = "" if end == -1 else p[end + 1 :]
            blank = _BLANK_LINES.match(p)
            if blank:
                p = p[blank.end() :]
            self._fence_open = True
        self._pending = p
        self._body_started = True
        return True

    def _in_file(self, events: list[Event], final: bool) -> bool:
        if not self._body_started and not self._start_body(final):
            return False
        p = self._pending
        match = _CLOSE_TAG["file"].search(p)
        if match:
            body = p[: match.start()].rstrip(_WS)
            start, line = _last_line(body)
            at_line_start = start > 0 or not self._parts
            if self._fence_open and _BARE_FENCE.fullmatch(line) and at_line_start:
                body = body[:start].rstrip(_WS)
                self._fence_open = False
            emitted = "".join(self._parts)
            content = emitted + body
            content = content + "\n" if content.strip(_WS) else ""
            if len(content) > len(emitted):
                events.append(FileDelta(self._path, content[len(emitted) :]))
            events.append(FileComplete(self._path, content))
            self._parts = []
            self._close_block(p[match.end() :])
            return True
        if final:
            return False
        hold = len(p)
        tag = _viable_close(p, "file")
        if tag is not None:
            hold = tag
        head = p[:hold]
        start, line = _last_line(head)
        at_line_start = start > 0 or not self._parts
        if self._fence_open and line and _FENCE_PREFIX.fullmatch(line) and at_line_start:
            hold = len(head[:start].rstrip(_WS))
        else:
            hold = len(head.rstrip(_WS))
        if hold:
            events.append(FileDelta(self._path, p[:hold]))
            self._parts.append(p[:hold])
        self._pending = p[hold:]
        return False

    # -- search/replace edits -------------------------------------------------------------

    def _in_edit(self, events: list[Event], final: bool) -> bool:
        p = self._pending
        # Only new text needs searching (a little back, for a tag split across chunks):
        # a minified line can be very long.
        since = max(0, self._scanned - 12)
        match = _CLOSE_TAG["edit"].search(p, since)
        if match:
            body = p[: match.start()]
            lines = body.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            for line in lines:
                self._edit_line(events, line)
            self._end_edit(events)
            self._scanned = 0
            self._close_block(p[match.end() :])
            return True
        if final:
            return False
        end = p.rfind("\n", since)
        if end != -1:
            for line in p[:end].split("\n"):
                self._edit_line(events, line)
            self._pending = p[end + 1 :]
        self._scanned = len(self._pending)
        return False

    def _edit_line(self, events: list[Event], line: str) -> None:
        self._raw.append(line)
        mark = line.strip()
        if self._mode == "outside":
            if _SEARCH_MARK.fullmatch(mark):
                self._mode, self._search = "search", []
            elif _FENCE_LINE.fullmatch(line):
                self._fence_open = not _BARE_FENCE.fullmatch(line) or not self._fence_open
            elif mark and mark != self._path:
                self._junk.append(line)
                if _DIVIDER.fullmatch(mark) or _REPLACE_MARK.fullmatch(mark):
                    self._serious_junk = True
        elif self._mode == "search":
            if _DIVIDER.fullmatch(mark):
                self._mode, self._replace = "replace", []
            elif _SEARCH_MARK.fullmatch(mark):
                # A new block began before the last one ended: keep that one as junk.
                self._junk += ["<<<<<<< SEARCH", *self._search]
                self._serious_junk = True
                self._search = []
            else:
                self._search.append(line)
        elif _REPLACE_MARK.fullmatch(mark):
            search, replace = _join_lines(self._search), _join_lines(self._replace)
            events.append(EditBlock(self._path, search, replace))
            self._block_count += 1
            self._mode = "outside"
        else:
            self._replace.append(line)

    def _end_edit(self, events: list[Event]) -> None:
        if self._mode != "outside":
            self._junk += ["<<<<<<< SEARCH", *self._search]
            if self._mode == "replace":
                self._junk += ["=======", *self._replace]
            self._serious_junk = True
        junk = "\n".join(self._junk).strip(_WS)
        malformed = junk if junk and (self._serious_junk or not self._block_count) else ""
        events.append(EditComplete(self._path, self._block_count, malformed))
        self._raw = []


def last_open_tag(text: str) -> tuple[int, str, str] | None:
    """(offset, kind, path) of the last opening `<file>`/`<edit>` tag in `text`."""
    found = None
    for match in _OPEN_TAG.finditer(text.replace("\r\n", "\n")):
        path = _tag_path(match.group(2))
        if path is not None:
            found = (match.start(), match.group(1).lower(), path)
    return found


def opening_tag_at_start(text: str) -> tuple[str, str] | None:
    """(kind, path) when `text` starts (after blank space and a fence) with an opening tag."""
    rest = text.lstrip(_WS)
    end = rest.find("\n")
    if end != -1 and _FENCE_LINE.fullmatch(rest[:end]):
        rest = rest[end + 1 :].lstrip(_WS)
    match = _OPEN_TAG.match(rest)
    if match and (path := _tag_path(match.group(2))):
        return match.group(1).lower(), path
    return None


def strip_leading_fence(text: str) -> str:
    """Drop a Markdown fence line at the very start of `text` (a continuation's wrapper)."""
    stripped = text.lstrip(" \t\n")
    end = stripped.find("\n")
    if end != -1 and _FENCE_LINE.fullmatch(stripped[:end]):
        return stripped[end + 1 :]
    return text


def coalesce(events: list[Event]) -> list[Event]:
    """Merge neighbouring prose events and neighbouring deltas of one file."""
    out: list[Event] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, MessageText) and isinstance(last, MessageText):
            out[-1] = MessageText(last.text + event.text)
        elif (
            isinstance(event, FileDelta) and isinstance(last, FileDelta) and last.path == event.path
        ):
            out[-1] = FileDelta(event.path, last.text + event.text)
        else:
            out.append(event)
    return out


def parse_answer(text: str) -> ParsedAnswer:
    """Read a whole answer at once (the same parser, fed in one chunk)."""
    parser = StreamParser()
    events = parser.feed(text) + parser.finish()
    answer = collect(events)
    answer.message = tidy_message(answer.message)
    return answer
