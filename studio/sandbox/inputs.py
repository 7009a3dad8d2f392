"""What a playtest sends a game, and how: real key and mouse events on the view's render
widget (its focus proxy), as a person's keyboard and mouse would.

Inputs are a JSON list of steps, run in order:

    [{"at": 1.0, "key": "ArrowUp"},            # press (and hold 0.15 s) at 1 s after load
     {"key": "Space", "hold": 0.5},            # right after the previous step
     {"wait": 0.5},                            # let half a second pass
     {"at": 2.0, "tap": [0.5, 0.5]},           # click/tap at a point, as fractions of the view
     {"drag": [0.3, 0.5, 0.7, 0.5]}]           # press, move, release: from one point to another
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

from studio.errors import StudioError

DEFAULT_HOLD = 0.15
DRAG_TIME = 0.3  # seconds a drag takes from press to release
DRAG_MOVES = 8

KEYS: dict[str, Qt.Key] = {
    "ArrowUp": Qt.Key.Key_Up,
    "ArrowDown": Qt.Key.Key_Down,
    "ArrowLeft": Qt.Key.Key_Left,
    "ArrowRight": Qt.Key.Key_Right,
    "Space": Qt.Key.Key_Space,
    " ": Qt.Key.Key_Space,
    "Enter": Qt.Key.Key_Return,
    "Escape": Qt.Key.Key_Escape,
    "Tab": Qt.Key.Key_Tab,
    "Shift": Qt.Key.Key_Shift,
    "Control": Qt.Key.Key_Control,
    "Backspace": Qt.Key.Key_Backspace,
}


def qt_key(name: str) -> Qt.Key:
    """A DOM key name (`ArrowUp`, `Space`, `KeyW`, `w`, `Digit1`, `1`) as a Qt key."""
    if name in KEYS:
        return KEYS[name]
    letter = name.removeprefix("Key").removeprefix("Digit")
    if len(letter) == 1 and letter.isalnum():
        return getattr(Qt.Key, f"Key_{letter.upper()}")
    raise StudioError(f"unknown key {name!r} in playtest inputs")


@dataclass(frozen=True)
class Step:
    at: float  # seconds after the game loaded
    key: str | None = None
    hold: float = DEFAULT_HOLD
    tap: tuple[float, float] | None = None
    drag: tuple[float, float, float, float] | None = None  # from (x, y) to (x, y)

    @property
    def length(self) -> float:
        """Seconds the step takes to send."""
        return self.hold if self.key else DRAG_TIME if self.drag else 0.05


def parse_inputs(steps: Sequence[dict[str, Any]]) -> list[Step]:
    """Steps as given in an inputs file, with their times resolved."""
    if not isinstance(steps, list | tuple):
        raise StudioError("playtest inputs must be a JSON list of steps")
    cursor, out = 0.0, []
    for i, raw in enumerate(steps):
        if not isinstance(raw, dict):
            raise StudioError(f"playtest input step {i + 1} is not an object")
        try:
            if "wait" in raw:
                cursor += float(raw["wait"])
                continue
            at = float(raw.get("at", cursor))
            if "key" in raw:
                qt_key(str(raw["key"]))  # refuse unknown keys now, not mid-game
                hold = float(raw.get("hold", DEFAULT_HOLD))
                out.append(Step(at, key=str(raw["key"]), hold=hold))
                cursor = at + hold + 0.05
            elif "tap" in raw or "click" in raw:
                x, y = raw.get("tap", raw.get("click"))
                out.append(Step(at, tap=(float(x), float(y))))
                cursor = at + 0.1
            elif "drag" in raw:
                x0, y0, x1, y1 = raw["drag"]
                out.append(Step(at, drag=(float(x0), float(y0), float(x1), float(y1))))
                cursor = at + DRAG_TIME + 0.1
            else:
                raise StudioError(f"playtest input step {i + 1} has no key, tap, drag or wait")
        except (TypeError, ValueError):
            raise StudioError(f"playtest input step {i + 1} is malformed: {raw!r}") from None
    return sorted(out, key=lambda s: s.at)


def send_step(step: Step, views: Iterable[QWebEngineView]) -> Iterator[float]:
    """Send `step` to every view at once; yields the seconds to wait between its events."""
    targets = [(view.focusProxy() or view, view.width(), view.height()) for view in views]

    def point(x: float, y: float, width: int, height: int) -> QPoint:
        return QPoint(int(x * width), int(y * height))

    if step.key is not None:
        key = qt_key(step.key)
        for target, _w, _h in targets:
            QTest.keyPress(target, key)
        yield step.hold
        for target, _w, _h in targets:
            QTest.keyRelease(target, key)
        return
    path = [step.tap] if step.tap is not None else []
    if step.drag is not None:
        x0, y0, x1, y1 = step.drag
        path = [(x0 + (x1 - x0) * i / DRAG_MOVES, y0 + (y1 - y0) * i / DRAG_MOVES) for i in
                range(DRAG_MOVES + 1)]  # fmt: skip
    if not path:
        return
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for target, w, h in targets:
        QTest.mouseMove(target, point(*path[0], w, h))
        QTest.mousePress(target, left, none, point(*path[0], w, h))
    for x, y in path[1:]:
        yield DRAG_TIME / DRAG_MOVES
        for target, w, h in targets:
            _move_pressed(target, point(x, y, w, h))
    yield 0.05
    for target, w, h in targets:
        QTest.mouseRelease(target, left, none, point(*path[-1], w, h))


def _move_pressed(target: Any, at: QPoint) -> None:
    """A mouse move with the left button held (QTest.mouseMove sends none held)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(at),
        QPointF(target.mapToGlobal(at)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)
