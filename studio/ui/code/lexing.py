"""Line-by-line Pygments lexing that carries the lexer state from one line to the next.

Qt's syntax highlighter works a line (block) at a time and re-highlights only until a line's
end state stops changing, which keeps editing smooth on long files. Pygments lexes whole
texts, so this module runs a RegexLexer on one line starting from a saved state stack and
returns the stack it ended in. HTML switches to the JavaScript or CSS lexer inside
`<script>` and `<style>`, so code there keeps its state across lines too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pygments.lexer import RegexLexer
from pygments.lexers import CssLexer, HtmlLexer, JavascriptLexer
from pygments.token import Comment, Error, Text, _TokenType

Token = tuple[int, int, _TokenType]  # start, length, type
LineState = tuple[str, tuple[str, ...], tuple[str, ...]]  # language, html stack, inner stack

ROOT: tuple[str, ...] = ("root",)
_LEXERS: dict[str, RegexLexer] = {
    "html": HtmlLexer(),
    "js": JavascriptLexer(),
    "css": CssLexer(),
    # Pygments' JsonLexer is not a RegexLexer (no state table to carry across lines); JSON is
    # a subset of JavaScript, whose lexer colours it the same way.
    "json": JavascriptLexer(),
}
_INNER = {
    "script-content": ("js", re.compile(r"<\s*/\s*script", re.I)),
    "style-content": ("css", re.compile(r"<\s*/\s*style", re.I)),
}
_CLOSERS = {lang: closer for lang, closer in _INNER.values()}


def language_for(path: str) -> str | None:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {
        "html": "html",
        "htm": "html",
        "js": "js",
        "mjs": "js",
        "css": "css",
        "json": "json",
    }.get(ext)


def initial_state(language: str) -> LineState:
    return (language, ROOT, ROOT)


COMMENT = "studio-block-comment"  # our own state: inside a block comment that spans lines
# Block comments by lexer: (opener, closer, states where the opener starts a comment). Pygments
# matches each with one regex, so one that spans lines would lose its colour after the first.
_BLOCK_COMMENTS: dict[RegexLexer, tuple[str, str, frozenset[str]]] = {
    _LEXERS["html"]: ("<!--", "-->", frozenset({"root"})),
    _LEXERS["js"]: ("/*", "*/", frozenset({"root", "slashstartsregex", "interp-inside"})),
    _LEXERS["json"]: ("/*", "*/", frozenset({"root", "slashstartsregex"})),
    _LEXERS["css"]: ("/*", "*/", frozenset(_LEXERS["css"].tokens) - {"urls"}),
}


def _run(
    lexer: RegexLexer, text: str, start: int, stack: tuple[str, ...], stop: frozenset[str]
) -> tuple[list[Token], tuple[str, ...], int]:
    """RegexLexer's own loop (pygments.lexer.RegexLexer.get_tokens_unprocessed), but it
    returns the final state stack, and stops early when a state in `stop` is entered.
    Pygments matches a block comment with one regex; one that spans lines gets a state."""
    tokens: list[Token] = []
    pos, end = start, len(text)
    states = list(stack)
    defs = lexer._tokens
    opener, closer, comment_states = _BLOCK_COMMENTS[lexer]
    while pos < end:
        inside = states[-1] == COMMENT
        if inside or (states[-1] in comment_states and text.startswith(opener, pos)):
            close = text.find(closer, pos if inside else pos + len(opener))
            if close < 0:
                tokens.append((pos, end - pos, Comment.Multiline))
                if not inside:
                    states.append(COMMENT)
                return tokens, tuple(states), end
            tokens.append((pos, close + len(closer) - pos, Comment.Multiline))
            pos = close + len(closer)
            if inside:
                states.pop()
            continue
        for match, action, new_state in defs[states[-1]]:
            m = match(text, pos)
            if not m:
                continue
            if action is not None:
                if type(action) is _TokenType:
                    tokens.append((pos, m.end() - pos, action))
                else:
                    tokens.extend((p, len(v), t) for p, t, v in action(lexer, m) if v)
            pos = m.end()
            if new_state is not None:
                _transition(states, new_state)
                if states[-1] in stop:
                    return tokens, tuple(states), pos
            break
        else:
            tokens.append((pos, 1, Error if text[pos] not in " \t" else Text))
            pos += 1
    return tokens, tuple(states), pos


def _transition(states: list[str], new_state: object) -> None:
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(states) > 1:
                    states.pop()
            elif state == "#push":
                states.append(states[-1])
            else:
                states.append(state)
    elif isinstance(new_state, int):
        if abs(new_state) >= len(states):
            del states[1:]
        else:
            del states[new_state:]
    elif new_state == "#push":
        states.append(states[-1])


@lru_cache(maxsize=20000)
def lex_line(text: str, state: LineState) -> tuple[tuple[Token, ...], LineState]:
    """Tokens of one line (without its newline) and the state the next line starts in."""
    language, outer, inner = state
    tokens: list[Token] = []
    pos = 0
    line = text + "\n"
    while pos < len(line):
        if language == "html":
            found, stack, pos = _run(_LEXERS["html"], line, pos, outer, frozenset(_INNER))
            tokens.extend(found)
            if stack[-1] in _INNER:
                language, _ = _INNER[stack[-1]]
                outer, inner = stack[:-1], ROOT
            else:
                outer = stack
        elif language in _CLOSERS:
            closer = _CLOSERS[language].search(line, pos)
            stop = closer.start() if closer else len(line)
            found, inner, _ = _run(_LEXERS[language], line[:stop], pos, inner, frozenset())
            tokens.extend(found)
            pos = stop
            if closer:  # back in HTML; what the script or style left open ends with it
                language, inner = "html", ROOT
        else:
            found, inner, pos = _run(_LEXERS[language], line, pos, inner, frozenset())
            tokens.extend(found)
    return tuple(t for t in tokens if t[0] < len(text)), (language, outer, inner)
