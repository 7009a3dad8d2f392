"""Pygments highlighting for the code editor that stays smooth on long files.

Lines are lexed one at a time (see `lexing`), and a long document is first highlighted
a slice at a time from a timer, so opening or streaming a 5,000-line file never holds the
event loop for more than a few milliseconds.
"""

from __future__ import annotations

import time

from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from studio.ui.code.lexing import LineState, initial_state, lex_line

STYLE = "one-dark"
SLICE_LINES = 8  # lines highlighted in one go: about 0.2-1 ms
BUDGET = 0.006  # seconds of highlighting per timer tick, well inside a 16 ms frame


def _formats(style: StyleMeta) -> dict[_TokenType, QTextCharFormat]:
    formats: dict[_TokenType, QTextCharFormat] = {}
    for token, spec in style:
        fmt = QTextCharFormat()
        if spec["color"]:
            fmt.setForeground(QColor(f"#{spec['color']}"))
        if spec["bold"]:
            fmt.setFontWeight(QFont.Weight.Bold)
        if spec["italic"]:
            fmt.setFontItalic(True)
        formats[token] = fmt
    return formats


class CodeHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, language: str | None = None) -> None:
        # Block states are ints: the few distinct lexer stacks are interned, and never dropped,
        # so a state a line still holds from before stays valid.
        self._states: list[LineState] = []
        self._state_ids: dict[LineState, int] = {}
        self._language = language
        self._limit = -1  # highest block number highlighted so far
        self._formats = _formats(get_style_by_name(STYLE))
        self._cache: dict[_TokenType, QTextCharFormat] = {}
        super().__init__(document)
        # Both owned by (or bound to) this object, so neither outlives it: a timer or a lambda
        # that calls back into a deleted highlighter raises in the event loop.
        self._timer = QTimer(self, interval=0, singleShot=True)
        self._timer.timeout.connect(self._highlight_more)
        document.blockCountChanged.connect(self._block_count_changed)
        self._schedule()

    def _block_count_changed(self, _count: int) -> None:
        self._schedule()

    def set_language(self, language: str | None) -> None:
        """Highlight the document anew (a slice at a time) in `language`."""
        self._language = language
        self._limit = -1
        doc = self.document()
        if doc is not None and not doc.isEmpty():
            # Clears every line's formats, cheaply as `_limit` is -1, and so cancels the full
            # rehighlight that QSyntaxHighlighter.setDocument schedules.
            self.rehighlight()
        self._schedule()

    @property
    def language(self) -> str | None:
        return self._language

    def busy(self) -> bool:
        """Lines are still waiting for their first highlighting."""
        doc = self.document()
        return (
            doc is not None and self._language is not None and (self._limit < doc.blockCount() - 1)
        )

    def _schedule(self) -> None:
        if self.busy():
            self._timer.start()

    def _highlight_more(self) -> None:
        """Highlight the next lines for at most BUDGET seconds, then yield to the event loop.

        A fixed number of lines per tick is too coarse: lexing time per line varies tenfold
        between markup, CSS and long lines of script."""
        doc = self.document()
        if doc is None:
            return
        deadline = time.perf_counter() + BUDGET
        last = doc.blockCount() - 1
        block = doc.findBlockByNumber(self._limit + 1)
        while block.isValid() and self._limit < last:
            start = block.blockNumber()
            self._limit = min(last, start + SLICE_LINES - 1)
            self.rehighlightBlock(block)  # cascades up to the new limit
            block = doc.findBlockByNumber(self._limit + 1)
            if time.perf_counter() >= deadline:
                break
        self._schedule()

    def _format(self, token: _TokenType) -> QTextCharFormat | None:
        if token not in self._cache:
            t = token
            while t not in self._formats and t.parent is not None:
                t = t.parent
            self._cache[token] = self._formats.get(t, QTextCharFormat())
        return self._cache[token]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        if self._language is None or self._limit < 0:
            return  # nothing highlighted yet (a file just loaded): every block is still -1
        number = self.currentBlock().blockNumber()
        if number > self._limit:
            self.setCurrentBlockState(-1)
            return
        previous = self.previousBlockState()
        state = self._states[previous] if previous >= 0 else initial_state(self._language)
        tokens, after = lex_line(text, state)
        for start, length, token in tokens:
            fmt = self._format(token)
            if fmt is not None and length:
                self.setFormat(start, length, fmt)
        self.setCurrentBlockState(self._state_id(after))

    def _state_id(self, state: LineState) -> int:
        found = self._state_ids.get(state)
        if found is None:
            found = self._state_ids[state] = len(self._states)
            self._states.append(state)
        return found
