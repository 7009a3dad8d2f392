"""What a playtest sends a game, and how: real key and mouse events on the view's render
widget (its focus proxy), as a person's keyboard and mouse would.

Inputs are a JSON list of steps, run in order:

    [{"at": 1.0, "key": "ArrowUp"},            # press (and hold 0.15 s) at 1 s after load
     {"key": "Space", "hold": 0.5},            # right after the previous step
     {"wait": 0.5},                            # let half a second pass
     {"at": 2.0, "tap": [0.5, 0.5]},           # click/tap at a point, as fractions of the view
     {"drag": [[0.3, 0.5], [0.7, 0.5]], "hold": 0.3}]   # press, move along a path, release

(A recorded input script of the AI playtester, `studio.sandbox.input_script`, writes drags
the same way.)
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
DRAG_TIME = 0.3  # seconds a drag takes from press to release, unless its step says
DRAG_MOVES = 8  # moves along each leg of a drag's path

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
    drag: tuple[tuple[float, float], ...] = ()  # the points a drag passes, in order

    @property
    def length(self) -> float:
        """Seconds the step takes to send."""
        return self.hold if self.key or self.drag else 0.05


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
                path = tuple((float(x), float(y)) for x, y in raw["drag"])
                if len(path) < 2:
                    raise ValueError("a drag needs two points")
                hold = float(raw.get("hold", DRAG_TIME))
                out.append(Step(at, hold=hold, drag=path))
                cursor = at + hold + 0.1
            else:
                raise StudioError(f"playtest input step {i + 1} has no key, tap, drag or wait")
        except (TypeError, ValueError):
            raise StudioError(f"playtest input step {i + 1} is malformed: {raw!r}") from None
    return sorted(out, key=lambda s: s.at)


def send_step(step: Step, views: Iterable[QWebEngineView]) -> Iterator[float]:
    """Send `step` to every view at once; yields the seconds to wait between its events."""
    views = list(views)
    if step.key is not None:
        key = qt_key(step.key)
        for view in views:
            QTest.keyPress(view.focusProxy() or view, key)
        yield step.hold
        for view in views:
            QTest.keyRelease(view.focusProxy() or view, key)
        return
    path = [step.tap] if step.tap is not None else _along(step.drag)
    if not path:
        return
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for view in views:
        mouse_event(view, QEvent.Type.MouseMove, *path[0], none)
        mouse_event(view, QEvent.Type.MouseButtonPress, *path[0], left)
    for x, y in path[1:]:
        yield step.hold / (len(path) - 1)
        for view in views:
            mouse_event(view, QEvent.Type.MouseMove, x, y, left)
    yield 0.05
    for view in views:
        mouse_event(view, QEvent.Type.MouseButtonRelease, *path[-1], left)


def _along(path: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points a drag's pointer passes: DRAG_MOVES steps along each leg of its path."""
    out = list(path[:1])
    for (x0, y0), (x1, y1) in zip(path, path[1:], strict=False):
        out += [
            (x0 + (x1 - x0) * i / DRAG_MOVES, y0 + (y1 - y0) * i / DRAG_MOVES)
            for i in range(1, DRAG_MOVES + 1)
        ]
    return out


def mouse_event(
    view: QWebEngineView, kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton
) -> None:
    """A mouse event at fractions (x, y) of the view, sent to its render widget; moves carry
    the held button, as a real drag does (QTest.mouseMove sends none held)."""
    target = view.focusProxy() or view
    local = QPointF(x * view.width(), y * view.height())
    held = button if kind != QEvent.Type.MouseButtonRelease else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind,
        local,
        QPointF(target.mapToGlobal(QPoint(round(local.x()), round(local.y())))),
        button,
        held,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)
