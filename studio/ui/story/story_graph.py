"""The story graph: scenes as nodes, choices as arrows, beside the editor of a story project.

`StoryPanel` follows the session: it shows the story of the version on screen, and hides
itself for projects without `story.json`. Clicking a scene opens its title, text and prompt
for editing; Apply commits a new version through the session (so the editor, the Preview and
History follow). "Make clips" runs a `studio.operations.story_clips.ClipBatch` on the Video
pane's queue and shows each scene's progress on its node; each clip lands as a version as it
arrives, so the Preview plays it in place of the title card. "Re-make clip" does it for one scene.
Whatever the panel writes builds on the editor's unsaved edits (saved first, as the Chat
panel does), so nothing typed is lost. The panel holds no story logic: layout aside,
everything is `studio.story`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import Any

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
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from studio.errors import StudioError
from studio.story.model import STORY_FILE, Scene, Story, parse_story, update_scene
from studio.story.validate import Problem, check_files
from studio.ui.session import ProjectSession
from studio.ui.widgets.provider_combo import follow_providers

log = logging.getLogger(__name__)

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


class SceneEditor(QWidget):
    """Title, text and prompt of the scene clicked in the graph."""

    apply_requested = Signal(str, dict)  # scene id, changed fields
    remake_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene_id: str | None = None
        self.heading = QLabel("Click a scene to edit it")
        self.heading.setObjectName("sceneHeading")
        self.title = QLineEdit()
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Narration, shown as subtitles")
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("What the scene's clip shows")
        for box in (self.text, self.prompt):
            box.setTabChangesFocus(True)
            box.setMinimumHeight(44)
            box.setMaximumHeight(90)
            box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.apply_btn = QPushButton("Apply")
        self.apply_btn.setObjectName("primaryButton")
        self.apply_btn.setToolTip("Save the scene as a new version")
        self.apply_btn.clicked.connect(self._apply)
        self.remake_btn = QPushButton("Re-make clip")
        self.remake_btn.setToolTip("Make this scene's clip again with the chosen provider")
        self.remake_btn.clicked.connect(
            lambda: self.scene_id and self.remake_requested.emit(self.scene_id)
        )
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Title", self.title)
        form.addRow("Text", self.text)
        form.addRow("Prompt", self.prompt)
        self.choices = QLabel()
        self.choices.setWordWrap(True)
        self.choices.setStyleSheet(f"color: {MUTED.name()};")
        form.addRow("Choices", self.choices)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remake_btn)
        buttons.addWidget(self.apply_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.heading)
        layout.addLayout(form, 1)
        layout.addLayout(buttons)
        self._original: dict[str, str] = {}
        self.show_scene(None)

    def show_scene(self, scene: Scene | None, *, keep_edits: bool = False) -> None:
        """Show `scene`; with `keep_edits`, fields changed and not applied stay as typed when
        it is the same scene (a new version arrived meanwhile)."""
        same = scene is not None and scene.id == self.scene_id
        pending = self.changes() if keep_edits and same else {}
        self.scene_id = scene.id if scene else None
        self._original = (
            {"title": scene.title, "text": scene.text, "prompt": scene.prompt} if scene else {}
        )
        self.heading.setText(f"<b>Scene “{scene.id}”</b>" if scene else "")
        self.title.setText(scene.title if scene else "")
        self.text.setPlainText(scene.text if scene else "")
        self.prompt.setPlainText(scene.prompt if scene else "")
        if scene is None:
            self.choices.setText("")
        elif scene.choices:
            self.choices.setText(
                "\n".join(f"{i + 1}. {c.label} → {c.next}" for i, c in enumerate(scene.choices))
            )
        else:
            self.choices.setText("an ending" if scene.ending else "none (a dead end)")
        if "title" in pending:
            self.title.setText(pending["title"])
        if "text" in pending:
            self.text.setPlainText(pending["text"])
        if "prompt" in pending:
            self.prompt.setPlainText(pending["prompt"])
        for w in (self.title, self.text, self.prompt, self.apply_btn, self.remake_btn):
            w.setEnabled(scene is not None)
        self.setVisible(scene is not None)  # the graph gets the room until a scene is chosen

    def changes(self) -> dict[str, str]:
        now = {
            "title": self.title.text(),
            "text": self.text.toPlainText(),
            "prompt": self.prompt.toPlainText(),
        }
        return {k: v for k, v in now.items() if v != self._original.get(k)}

    def _apply(self) -> None:
        if self.scene_id and self.changes():
            self.apply_requested.emit(self.scene_id, self.changes())


class StoryPanel(QWidget):
    """The graph, the scene editor and Make clips, for the version the session shows."""

    clips_finished = Signal(object)  # a ClipsOutcome

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.story: Story | None = None
        self.problems: list[Problem] = []
        # Where Make clips gets the project's video queue (the main window gives the Video
        # pane's, so jobs show there too); without one, the panel makes its own.
        self.queue_source: Callable[[], Any] | None = None
        # The Code pane this panel sits in (it sets this): its unsaved edits are saved
        # before the panel writes a version.
        self.code: Any = None
        self._own_queue: Any = None
        self._tasks: set[asyncio.Future] = set()
        self._batch: Any = None  # the ClipBatch running, if any
        self._node_progress: dict[str, tuple[float, str]] = {}  # kept across graph rebuilds
        self.heading = QLabel()
        self.heading.setObjectName("storyHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {BAD.name()};")
        self.hint = QLabel("Click a scene to edit it · drag to pan · wheel to zoom")
        self.hint.setStyleSheet(f"color: {MUTED.name()};")
        self.provider_box = QComboBox()
        self.provider_box.setToolTip("The video provider that makes the clips")
        self.continuity_box = QCheckBox("Continuity")
        self.continuity_box.setToolTip(
            "Start each clip from the last frame of the previous scene's clip"
        )
        self.make_btn = QPushButton("Make clips")
        self.make_btn.setToolTip("Make a clip for every scene that has none")
        self.make_btn.clicked.connect(lambda: self.make_clips())
        self.status = QLabel()
        self.status.setObjectName("storyStatus")
        self.graph = StoryGraphView()
        self.graph.scene_selected.connect(self._scene_selected)
        self.editor = SceneEditor()
        self.editor.apply_requested.connect(self.apply_edit)
        self.editor.remake_requested.connect(lambda sid: self.make_clips([sid]))
        tools = QHBoxLayout()
        tools.setContentsMargins(6, 0, 6, 0)
        tools.addWidget(QLabel("Clips by"))
        tools.addWidget(self.provider_box, 1)
        tools.addWidget(self.continuity_box)
        tools.addWidget(self.make_btn)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.graph)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.heading.setContentsMargins(6, 4, 6, 0)
        self.problem_label.setContentsMargins(6, 0, 6, 0)
        self.hint.setContentsMargins(6, 0, 6, 0)
        self.status.setContentsMargins(6, 0, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addLayout(tools)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.status)
        session.version_shown.connect(self.load_version)
        session.project_changed.connect(self._project_changed)
        # Plugins enabled or disabled add or take away video providers. Offline cards
        # first when nothing was chosen: they work without a key.
        follow_providers(self.provider_box, session.host, prefer=("title-cards",))
        self.hide()

    # -- following the session ------------------------------------------------------------

    def _project_changed(self, project: Any) -> None:
        if project is None:
            self.story = None
            self.graph.set_story(None, [], set())
            self.editor.show_scene(None)
            self.hide()
            if self._batch is not None:  # the project closes next: arrived clips go in first
                self._batch.land_now()
            for task in list(self._tasks):  # jobs stay in the project: they resume with it
                task.cancel()
            queue, self._own_queue = self._own_queue, None
            if queue is not None:
                queue.close_now()
                with contextlib.suppress(RuntimeError):
                    asyncio.get_running_loop()
                    self._track(asyncio.ensure_future(queue.aclose()))

    def load_version(self, version_id: int) -> None:
        files = self.session.files()
        if STORY_FILE not in files:
            self.story = None
            self.hide()
            return
        self.problems = check_files(files)
        try:
            self.story = parse_story(files[STORY_FILE])
        except StudioError:
            self.story = None
        self.graph.set_story(self.story, self.problems, set(files))
        for scene_id, (fraction, status) in self._node_progress.items():
            if scene_id in self.graph.nodes:
                self.graph.nodes[scene_id].set_progress(fraction, status)
        story = self.story
        if story is not None:
            self.heading.setText(
                f"<b>{story.title or 'Untitled story'}</b> — {len(story.scenes)} scenes, "
                f"{len(story.endings)} endings"
            )
        else:
            self.heading.setText("<b>story.json</b> is not valid JSON")
        count = len(self.problems)
        first = self.problems[0].message if self.problems else ""
        self.problem_label.setText(
            f"⚠ {first}" + (f"  (+{count - 1} more: hover for all)" if count > 1 else "")
        )
        self.problem_label.setToolTip("\n".join(f"⚠ {p.message}" for p in self.problems))
        self.problem_label.setVisible(bool(self.problems))
        selected = self.graph.selected
        self.editor.show_scene(
            story.scene(selected)
            if story is not None and selected and story.has(selected)
            else None,
            keep_edits=True,
        )
        if not self.isVisible():
            self.show()
            self._claim_space()

    def _claim_space(self) -> None:
        """Shown again in a splitter that had squeezed it to nothing: take half of it."""
        splitter = self.parentWidget()
        if not isinstance(splitter, QSplitter):
            return
        sizes = splitter.sizes()
        index = splitter.indexOf(self)
        total = sum(sizes)
        if index < 0 or total <= 0 or sizes[index] >= 160:
            return
        share = total * 0.6
        rest = (total - share) / max(1, len(sizes) - 1)
        splitter.setSizes([int(share) if i == index else int(rest) for i in range(len(sizes))])

    def _scene_selected(self, scene_id: str) -> None:
        if self.story is not None and self.story.has(scene_id):
            self.editor.show_scene(self.story.scene(scene_id))

    # -- editing --------------------------------------------------------------------------

    def _save_edits_first(self) -> None:
        if self.code is not None:
            self.code.save_edits()

    def apply_edit(self, scene_id: str, changes: dict[str, str]) -> None:
        """Commit the scene's new title/text/prompt as a version through the session."""
        self._save_edits_first()
        files = self.session.files()
        if STORY_FILE not in files:
            return
        try:
            text = update_scene(files[STORY_FILE], scene_id, **changes)
        except StudioError as exc:
            self.status.setText(str(exc))
            return
        files[STORY_FILE] = text.encode("utf-8")
        version = self.session.save_edit(files)
        if version is not None:
            self.status.setText(f"Scene {scene_id} saved as version {version.id}")

    # -- clips ----------------------------------------------------------------------------

    def _queue(self) -> Any:
        queue = self.queue_source() if self.queue_source is not None else None
        if queue is not None:
            return queue
        if self._own_queue is None and self.session.project is not None:
            from studio.ai.video_provider import make_provider, provider_options
            from studio.config.settings import Settings
            from studio.operations.video_queue import VideoQueue

            host = self.session.host

            def providers(name: str) -> Any:
                return make_provider(host, name, provider_options(Settings(), name))

            self._own_queue = VideoQueue(self.session.project, providers)
        return self._own_queue

    def busy(self) -> bool:
        return bool(self._tasks)

    def make_clips(self, scenes: list[str] | None = None) -> asyncio.Future | None:
        """Start making clips (all scenes without one, or the given ones)."""
        from studio.operations.story_clips import ClipBatch

        project = self.session.project
        provider = self.provider_box.currentText()
        if project is None or self.story is None or not provider or self.busy():
            return None
        # The clips are made for the story as typed: the editor's edits and the scene
        # editor's (not applied) are saved first.
        self._save_edits_first()
        if self.editor.scene_id and self.editor.changes():
            self.apply_edit(self.editor.scene_id, self.editor.changes())
        queue = self._queue()
        self.session.build_on_shown()  # clips land on the story on screen
        self.make_btn.setEnabled(False)
        self.editor.remake_btn.setEnabled(False)
        self.status.setText("Making clips…")
        self._node_progress.clear()
        for node in self.graph.nodes.values():
            if scenes is None or node.scene_id in scenes:
                node.set_progress(None)
        self._batch = ClipBatch(
            project,
            queue,
            provider,
            scenes=scenes,
            continuity=self.continuity_box.isChecked(),
            on_progress=self._progress,
            on_version=self._clip_landed,
            before_landing=self._before_landing,
        )
        task = asyncio.ensure_future(self._batch.run())
        self._track(task)
        task.add_done_callback(self._clips_done)
        return task

    def _before_landing(self) -> None:
        """A clip is about to land on the head: typing on it is saved first."""
        project = self.session.project
        if project is not None and self.session.shown == project.head:
            self._save_edits_first()

    def _clip_landed(self, version: Any) -> None:
        """Show the version with the new clip when the person looks at the one it builds on
        (the Preview plays the clip in place of the title card); else History just gains it."""
        if self.session.project is None:
            return  # landed as the project closes: it shows when the project opens again
        streaming = self.code is not None and self.code.streaming
        if self.session.shown == version.parent and not streaming:
            self.session.add_version(version)
        else:
            self.session.versions_changed.emit()
        self.session.assets_changed.emit()

    def _track(self, task: asyncio.Future) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _progress(self, item: Any) -> None:
        fraction = 1.0 if item.status == "completed" else item.progress
        self._node_progress[item.scene] = (fraction, item.status)
        node = self.graph.nodes.get(item.scene)
        if node is not None:
            node.set_progress(fraction, item.status)
        self.status.setText(
            f"{item.scene}: {item.status.replace('_', ' ')}"
            + (f" {round(item.progress * 100)}%" if item.status == "running" else "")
        )

    def _clips_done(self, task: asyncio.Future) -> None:
        self._batch = None
        self._node_progress.clear()
        self.make_btn.setEnabled(True)
        self.editor.remake_btn.setEnabled(self.editor.scene_id is not None)
        if task.cancelled():
            self.status.setText("Stopped making clips")
            return
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, StudioError):
                log.error("making clips failed", exc_info=exc)
            self.status.setText(f"Could not make clips: {exc}")
            return
        outcome = task.result()
        made, failed = len(outcome.made), len(outcome.failed)
        reused = sum(s.reused for s in outcome.made)
        parts = [f"{made} clip{'s' if made != 1 else ''} made"] if outcome.scenes else []
        if reused:
            parts[0] += f" ({reused} from earlier jobs)"
        if failed:
            parts.append(
                f"{failed} failed ({outcome.failed[0].scene}: "
                f"{outcome.failed[0].error or outcome.failed[0].status})"
            )
        parts += outcome.notes
        self.status.setText("; ".join(parts) or "Nothing to make")
        self.clips_finished.emit(outcome)
