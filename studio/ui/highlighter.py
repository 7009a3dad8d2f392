"""Pygments highlighting for the code editor that stays smooth on long files.

Lines are lexed one at a time (see `lexing`), and a long document is first highlighted
a slice at a time from a timer, so opening or streaming a 5,000-line file never holds the
event loop for more than a few milliseconds.
"""

from __future__ import annotations

from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from studio.ui.lexing import LineState, initial_state, lex_line

STYLE = "one-dark"
SLICE_LINES = 120  # lines highlighted per timer tick (about 10 ms)


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
        self._states: list[LineState] = []
        self._language = language
        self._limit = -1  # highest block number highlighted so far
        self._formats = _formats(get_style_by_name(STYLE))
        self._cache: dict[_TokenType, QTextCharFormat] = {}
        self._timer = QTimer(interval=0, singleShot=True)
        self._timer.timeout.connect(self._highlight_more)
        super().__init__(document)
        document.blockCountChanged.connect(lambda _n: self._schedule())
        self._schedule()

    def set_language(self, language: str | None) -> None:
        self._language = language
        self._states = []
        self._limit = -1
        self.rehighlight()
        self._schedule()

    def _schedule(self) -> None:
        if self.document() and self._limit < self.document().blockCount() - 1:
            self._timer.start()

    def _highlight_more(self) -> None:
        doc = self.document()
        if doc is None:
            return
        start = self._limit + 1
        self._limit = min(doc.blockCount() - 1, self._limit + SLICE_LINES)
        block = doc.findBlockByNumber(start)
        if block.isValid():
            self.rehighlightBlock(block)  # cascades up to the new limit
        self._schedule()

    def _format(self, token: _TokenType) -> QTextCharFormat | None:
        if token not in self._cache:
            t = token
            while t not in self._formats and t.parent is not None:
                t = t.parent
            self._cache[token] = self._formats.get(t, QTextCharFormat())
        return self._cache[token]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        number = self.currentBlock().blockNumber()
        if self._language is None or number > self._limit:
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
        # Block states are ints; the few distinct lexer stacks are interned in a list.
        try:
            return self._states.index(state)
        except ValueError:
            self._states.append(state)
            return len(self._states) - 1
