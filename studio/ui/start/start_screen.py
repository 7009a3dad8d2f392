"""The start screen: one large box to describe a game (or a story) that makes the project
and starts generating, the code model's line, the starter games with their pictures, the
recent projects with theirs, Open… and Import a game….

The screen only shows and asks: the main window creates and opens projects
(`MainWindow.start_from_sentence`, `create_from_template`...), the start plan is
`studio.operations.start`'s, the recent list `studio.operations.recent`'s.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.templates import Template
from studio.operations.recent import RecentProject
from studio.ui.code.model_status import ModelStatus, SetupLine
from studio.ui.dialogs.template_gallery import NAME_ROLE, placeholder, template_item

CARD = QSize(168, 94)
DATA = NAME_ROLE  # what an item stands for: a template's name, a project's path
MAX_WIDTH = 1180


class SentenceBox(QPlainTextEdit):
    """The describe-a-game box: Enter sends (Shift+Enter is a new line), as a chat box."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


def card_list() -> QListWidget:
    cards = QListWidget()
    cards.setViewMode(QListWidget.ViewMode.IconMode)
    cards.setIconSize(CARD)
    cards.setGridSize(QSize(CARD.width() + 14, CARD.height() + 36))
    cards.setMovement(QListWidget.Movement.Static)
    cards.setResizeMode(QListWidget.ResizeMode.Adjust)
    cards.setWrapping(True)
    cards.setWordWrap(True)
    cards.setObjectName("gallery")
    cards.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    cards.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return cards


def fit_height(cards: QListWidget) -> None:
    """As tall as its rows of cards: the page scrolls, not each list."""
    rows = 1
    if cards.count():
        per_row = max(1, cards.viewport().width() // cards.gridSize().width())
        rows = -(-cards.count() // per_row)
    cards.setFixedHeight(rows * cards.gridSize().height() + 8)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("startHeading")
    return label


class StartScreen(QScrollArea):
    sentence_submitted = Signal(str)
    template_chosen = Signal(str)
    recent_chosen = Signal(Path)
    open_requested = Signal()
    import_requested = Signal(str)  # "file", "folder" or "archive"
    back_requested = Signal()
    settings_requested = Signal()

    def __init__(self, status: ModelStatus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startScreen")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget()
        page.setObjectName("startPage")
        self.setWidget(page)

        self.title = QLabel("What do you want to make?")
        self.title.setObjectName("startTitle")
        self.back_btn = QPushButton()
        self.back_btn.clicked.connect(self.back_requested)
        self.back_btn.hide()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.back_btn)

        self.sentence = SentenceBox()
        self.sentence.setObjectName("startSentence")
        self.sentence.setPlaceholderText(
            "Describe a game (or a story)… e.g. “a platformer where a cat jumps between "
            "clouds and collects stars”"
        )
        self.sentence.setFixedHeight(88)
        self.sentence.setTabChangesFocus(True)
        self.sentence.submitted.connect(self._submit)
        self.sentence.textChanged.connect(self._update)
        self.create_btn = QPushButton("Make it  ▶")
        self.create_btn.setObjectName("primaryButton")
        self.create_btn.setToolTip("Make a project and ask the code model for the game (Enter)")
        self.create_btn.clicked.connect(self._submit)
        ask = QHBoxLayout()
        ask.addWidget(self.sentence, 1)
        ask.addWidget(self.create_btn, 0, Qt.AlignmentFlag.AlignBottom)
        self.setup_line = SetupLine(status, always=True)
        self.setup_line.settings_requested.connect(self.settings_requested)

        self.templates = card_list()
        self.templates.itemActivated.connect(lambda i: self.template_chosen.emit(i.data(DATA)))
        self.templates.itemClicked.connect(lambda i: self.template_chosen.emit(i.data(DATA)))
        self.recent = card_list()
        self.recent.itemActivated.connect(lambda i: self.recent_chosen.emit(Path(i.data(DATA))))
        self.recent.itemClicked.connect(lambda i: self.recent_chosen.emit(Path(i.data(DATA))))
        self.no_recent = QLabel("Projects you open appear here.")
        self.no_recent.setObjectName("emptyState")

        self.open_btn = QPushButton("Open…")
        self.open_btn.setToolTip("Open a project (a .studio folder)")
        self.open_btn.clicked.connect(self.open_requested)
        self.import_btn = QToolButton(text="Import a game…")
        self.import_btn.setToolTip("Make a project of a game made elsewhere")
        self.import_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.import_btn)
        for text, kind in (
            ("An HTML file…", "file"),
            ("A folder with index.html…", "folder"),
            ("A project archive (.studioproj)…", "archive"),
        ):
            menu.addAction(text, lambda k=kind: self.import_requested.emit(k))
        self.import_btn.setMenu(menu)
        recent_head = QHBoxLayout()
        recent_head.addWidget(heading("Recent projects"), 1)
        recent_head.addWidget(self.open_btn)
        recent_head.addWidget(self.import_btn)

        content = QWidget()
        content.setMaximumWidth(MAX_WIDTH)  # on a wide screen, a column in the middle
        centred = QHBoxLayout(page)
        centred.addWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(32, 20, 32, 20)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(ask)
        layout.addWidget(self.setup_line)
        layout.addSpacing(8)
        layout.addWidget(heading("Or start from a game"))
        layout.addWidget(self.templates)
        layout.addSpacing(8)
        layout.addLayout(recent_head)
        layout.addWidget(self.recent)
        layout.addWidget(self.no_recent)
        layout.addStretch(1)
        self._update()

    # -- filling --------------------------------------------------------------------------

    def show_templates(self, templates: list[Template]) -> None:
        self.templates.clear()
        for t in templates:
            self.templates.addItem(template_item(t))
        fit_height(self.templates)

    def show_recent(self, projects: list[RecentProject]) -> None:
        self.recent.clear()
        for project in projects:
            item = QListWidgetItem(project.name)
            picture = QPixmap(str(project.thumbnail)) if project.thumbnail else QPixmap()
            if picture.isNull():
                picture = placeholder(project.name[:1].upper() or "?", big=True)
            else:
                picture = picture.scaled(
                    CARD,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            item.setIcon(QIcon(picture))
            item.setToolTip(str(project.path))
            item.setData(DATA, str(project.path))
            self.recent.addItem(item)
        self.recent.setVisible(bool(projects))
        self.no_recent.setVisible(not projects)
        fit_height(self.recent)

    def set_open_project(self, name: str | None) -> None:
        """With a project open, a button goes back to it."""
        self.back_btn.setText(f"Back to {name}  ›" if name else "")
        self.back_btn.setVisible(bool(name))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        fit_height(self.templates)
        fit_height(self.recent)

    # -- asking ---------------------------------------------------------------------------

    def _update(self) -> None:
        self.create_btn.setEnabled(bool(self.sentence.toPlainText().strip()))

    def _submit(self) -> None:
        text = self.sentence.toPlainText().strip()
        if text:
            self.sentence_submitted.emit(text)
