"""The story graph view: scenes as nodes, choices as arrows, laid out in columns by distance
from the start. A click on a node selects its scene; problems and clip progress show on
the nodes. The panel around it is `studio.ui.story.story_graph`."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from studio.story.model import Scene, Story
from studio.story.validate import Problem

NODE_W, NODE_H = 178.0, 62.0
COL_GAP, ROW_GAP = 64.0, 24.0
BG = QColor("#16181f")
NODE = QColor("#242833")
NODE_END = QColor("#2e2540")
EDGE = QColor("#7d8597")
TEXT = QColor("#e8e6e1")
MUTED = QColor("#9aa0ab")
ACCENT = QColor("#ffb454")
START = QColor("#4fd1c5")
BAD = QColor("#ff6b6b")
OK = QColor("#7bd88f")


def _elide(text: str, font: QFont, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)


class SceneNode(QGraphicsObject):
    """One scene: its title, id and clip state; outlined when it is the start, selected,
    or has a problem; a progress bar while its clip is being made."""

    def __init__(self, scene: Scene, *, start: bool, has_clip: bool, problems: list[str]):
        super().__init__()
        self.scene_id = scene.id
        self.title = scene.title or scene.id
        self.ending = scene.ending
        self.start = start
        self.has_clip = has_clip
        self.problems = problems
        self.selected = False
        self.progress: float | None = None
        self.status = ""
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        tip = f"{scene.id}: {scene.title}\n{scene.text}".strip()
        if problems:
            tip += "\n\n" + "\n".join(f"⚠ {p}" for p in problems)
        self._tip = tip
        self.continuity = ""
        self.setToolTip(tip)
        self.hover = False

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return QRectF(-3, -3, NODE_W + 6, NODE_H + 6)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, NODE_W, NODE_H)
        if self.selected:
            border, width = ACCENT, 2.5
        elif self.problems:
            border, width = BAD, 2.0
        elif self.start:
            border, width = START, 2.0
        else:
            border, width = QColor("#3a4050") if not self.hover else MUTED, 1.2
        painter.setPen(QPen(border, width))
        painter.setBrush(NODE_END if self.ending else NODE)
        painter.drawRoundedRect(rect, 10, 10)
        # The title, and below it the id and what the scene is.
        title_font = QFont()
        title_font.setPointSizeF(10.5)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(TEXT)
        painter.drawText(
            QRectF(12, 8, NODE_W - 24, 22),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            _elide(self.title, title_font, NODE_W - 24),
        )
        small = QFont()
        small.setPointSizeF(8.5)
        painter.setFont(small)
        painter.setPen(MUTED)
        kind = "start" if self.start else ("ending" if self.ending else "")
        label = f"{self.scene_id}" + (f" · {kind}" if kind else "")
        painter.drawText(
            QRectF(12, 30, NODE_W - 70, 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            _elide(label, small, NODE_W - 70),
        )
        # Clip state: a filled dot for a clip, a ring for none.
        dot = QRectF(NODE_W - 58, 34, 8, 8)
        painter.setPen(QPen(OK if self.has_clip else MUTED, 1.2))
        painter.setBrush(OK if self.has_clip else Qt.BrushStyle.NoBrush)
        painter.drawEllipse(dot)
        painter.setPen(OK if self.has_clip else MUTED)
        painter.drawText(
            QRectF(NODE_W - 46, 30, 40, 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "clip" if self.has_clip else "card",
        )
        if self.problems:
            painter.setPen(BAD)
            painter.drawText(
                QRectF(12, 46, NODE_W - 24, 16),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                _elide("⚠ " + self.problems[0], small, NODE_W - 24),
            )
        if self.progress is not None:
            track = QRectF(12, NODE_H - 10, NODE_W - 24, 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#3a4050"))
            painter.drawRoundedRect(track, 2, 2)
            failed = self.status in ("failed", "cancelled")
            painter.setBrush(BAD if failed else ACCENT)
            done = QRectF(
                track.x(),
                track.y(),
                track.width() * (1 if failed else self.progress),
                track.height(),
            )
            painter.drawRoundedRect(done, 2, 2)

    def set_progress(self, fraction: float | None, status: str = "") -> None:
        self.progress, self.status = fraction, status
        self.update()

    def set_continuity(self, words: str) -> None:
        """How the scene's clip joins the others (planned or made), in its tooltip."""
        self.continuity = words
        self.setToolTip(self._tip + (f"\n\nClip: {words}" if words else ""))

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.hover = False
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        view = self.scene().views()[0] if self.scene() and self.scene().views() else None
        if isinstance(view, StoryGraphView):
            view.select(self.scene_id)
        event.accept()

    def left(self) -> QPointF:
        return self.pos() + QPointF(0, NODE_H / 2)

    def right(self) -> QPointF:
        return self.pos() + QPointF(NODE_W, NODE_H / 2)


class ChoiceEdge(QGraphicsPathItem):
    """A choice: a curve from one scene to the next with an arrowhead and its label."""

    def __init__(self, source: SceneNode, target: SceneNode | QPointF, label: str, bad: bool):
        super().__init__()
        colour = BAD if bad else EDGE
        self.setPen(QPen(colour, 1.4))
        self.setZValue(-1)
        start = source.right()
        if isinstance(target, SceneNode):
            end = target.left()
            backwards = target.pos().x() <= source.pos().x()
        else:
            end, backwards = target, False
        path = QPainterPath(start)
        if backwards:
            # Back to an earlier column: loop under the nodes rather than through them.
            drop = max(source.pos().y(), end.y() - NODE_H / 2) + NODE_H + 18
            path.cubicTo(
                start + QPointF(60, 0),
                QPointF(start.x() + 60, drop),
                QPointF((start.x() + end.x()) / 2, drop),
            )
            path.cubicTo(QPointF(end.x() - 60, drop), end + QPointF(-60, 0), end)
        else:
            dx = max(40.0, (end.x() - start.x()) / 2)
            path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
        self.setPath(path)
        # Arrowhead along the curve's last direction.
        angle = math.atan2(
            end.y() - path.pointAtPercent(0.97).y(), end.x() - path.pointAtPercent(0.97).x()
        )
        size = 8.0
        head = QPolygonF(
            [
                end,
                end - QPointF(math.cos(angle - 0.45) * size, math.sin(angle - 0.45) * size),
                end - QPointF(math.cos(angle + 0.45) * size, math.sin(angle + 0.45) * size),
            ]
        )
        arrow = QGraphicsPathItem(self)
        shape = QPainterPath()
        shape.addPolygon(head)
        shape.closeSubpath()
        arrow.setPath(shape)
        arrow.setBrush(colour)
        arrow.setPen(Qt.PenStyle.NoPen)
        # The choice's number (the key that picks it in the player) on the curve; the label
        # is its tooltip, so the graph stays readable however long labels are.
        self.setToolTip(label)
        mid = path.pointAtPercent(0.5)
        badge = QGraphicsPathItem(self)
        circle = QPainterPath()
        circle.addEllipse(mid, 8.5, 8.5)
        badge.setPath(circle)
        badge.setBrush(QColor("#1d2029"))
        badge.setPen(QPen(colour, 1.2))
        badge.setToolTip(label)
        font = QFont()
        font.setPointSizeF(7.5)
        font.setBold(True)
        number = QGraphicsSimpleTextItem(label.split(".", 1)[0], badge)
        number.setFont(font)
        number.setBrush(BAD if bad else ACCENT)
        box = number.boundingRect()
        number.setPos(mid.x() - box.width() / 2, mid.y() - box.height() / 2)


class StoryGraphView(QGraphicsView):
    scene_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(QBrush(BG))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setMinimumHeight(140)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.nodes: dict[str, SceneNode] = {}
        self.edges: list[ChoiceEdge] = []
        self.selected: str | None = None

    def set_story(self, story: Story | None, problems: list[Problem], clips: set[str]) -> None:
        """Lay the story out: columns by distance from the start, unreachable scenes last."""
        graphics = self.scene()
        graphics.clear()
        self.nodes, self.edges = {}, []
        if story is None:
            return
        about: dict[str, list[str]] = {}
        for problem in problems:
            if problem.scene:
                about.setdefault(problem.scene, []).append(
                    problem.message.split(": ", 1)[-1]
                    if ": " in problem.message
                    else problem.message
                )
        depth = story.reachable()
        last = max(depth.values(), default=-1) + 1
        columns: dict[int, list[str]] = {}
        for scene_id in story.order():
            columns.setdefault(depth.get(scene_id, last), []).append(scene_id)
        tallest = max((len(c) for c in columns.values()), default=1)
        for col, ids in sorted(columns.items()):
            offset = (tallest - len(ids)) * (NODE_H + ROW_GAP) / 2
            for row, scene_id in enumerate(ids):
                scene = story.scene(scene_id)
                node = SceneNode(
                    scene,
                    start=scene_id == story.start,
                    has_clip=bool(scene.clip_path and scene.clip_path in clips),
                    problems=about.get(scene_id, []),
                )
                node.setPos(col * (NODE_W + COL_GAP), offset + row * (NODE_H + ROW_GAP))
                graphics.addItem(node)
                self.nodes[scene_id] = node
        for scene in story.scenes:
            source = self.nodes.get(scene.id)
            if source is None or source.scene_id != scene.id:
                continue
            for i, choice in enumerate(scene.choices):
                target = self.nodes.get(choice.next)
                label = f"{i + 1}. {choice.label}"
                if target is None:
                    ghost = source.right() + QPointF(COL_GAP * 0.8, 24 + 16 * i)
                    label += f" → {choice.next}?"
                    edge = ChoiceEdge(source, ghost, label, bad=True)
                else:
                    edge = ChoiceEdge(source, target, label, bad=False)
                graphics.addItem(edge)
                self.edges.append(edge)
        if self.selected in self.nodes:
            self.nodes[self.selected].selected = True
        else:
            self.selected = None
        graphics.setSceneRect(graphics.itemsBoundingRect().adjusted(-24, -24, 24, 24))
        self.fit()

    def fit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        view = self.viewport().rect()
        scale = min(view.width() / rect.width(), view.height() / rect.height(), 1.0)
        self.scale(max(scale, 0.35), max(scale, 0.35))
        self.centerOn(rect.center())

    def select(self, scene_id: str | None) -> None:
        for node in self.nodes.values():
            node.selected = node.scene_id == scene_id
            node.update()
        self.selected = scene_id if scene_id in self.nodes else None
        if self.selected:
            self.scene_selected.emit(self.selected)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt API)
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.fit()
