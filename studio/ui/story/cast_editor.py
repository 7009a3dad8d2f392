"""The story panel's cast editor: each recurring character's name, description and picture.

A picture comes from a file (kept in the library as it is imported) or from the project's
pictures; Make clips sends it, as a reference picture, with every scene that names the
character, to models that take them. Apply hands the edited cast to the panel, which
writes it as a version through `studio.operations.story_cast`.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.operations.story_cast import CastEdit
from studio.story.model import Character
from studio.ui.widgets.picture_buttons import asset_button, file_button, readable

THUMB = QSize(40, 40)


def _thumb(data: bytes | None) -> QLabel:
    from PySide6.QtGui import QImage, QPixmap

    label = QLabel()
    label.setFixedSize(THUMB)
    label.setStyleSheet("background: #0d0f13; border-radius: 3px; color: #7f8794;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    image = QImage.fromData(data) if data else QImage()
    if image.isNull():
        label.setText("—")
    else:
        label.setPixmap(
            QPixmap.fromImage(
                image.scaled(
                    THUMB,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        )
    return label


class CastEditor(QWidget):
    """`show_cast(cast, pictures)`; Apply emits `apply_requested(list[CastEdit])`."""

    apply_requested = Signal(list)
    refused = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.members: list[dict] = []  # name, description, picture, new_picture (bytes)
        self.dirty = False  # edited since shown: a new version does not replace the edits
        self.rows = QVBoxLayout()  # a card per character, fit for a narrow panel
        self.rows.setContentsMargins(0, 0, 0, 0)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(0, 0, 0, 0)
        inner_layout.addLayout(self.rows)
        inner_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        heading = QLabel("<b>Cast</b>")
        heading.setToolTip(
            "A picture per character goes with every scene that names them, to video "
            "models that take reference pictures"
        )
        self.add_button = QPushButton("Add character")
        self.add_button.clicked.connect(self.add_member)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("primaryButton")
        self.apply_button.setToolTip("Save the cast as a new version")
        self.apply_button.clicked.connect(self._apply)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def show_cast(self, cast: tuple[Character, ...], pictures: dict[str, bytes]) -> None:
        """Show the story's cast; `pictures` are the version's picture files by name."""
        self.members = [
            {
                "name": c.name,
                "description": c.description,
                "picture": c.picture,
                "shown": pictures.get(c.picture or ""),
                "new_picture": None,
            }
            for c in cast
        ]
        self.dirty = False
        self._lay_out()

    def add_member(self) -> None:
        self.members.append(
            {"name": "", "description": "", "picture": None, "shown": None, "new_picture": None}
        )
        self._changed()

    def edits(self) -> list[CastEdit]:
        return [
            CastEdit(m["name"], m["description"], m["picture"], m["new_picture"])
            for m in self.members
        ]

    def _apply(self) -> None:
        self.apply_requested.emit(self.edits())

    # -- rows ----------------------------------------------------------------------------

    def set_picture(self, index: int, data: bytes, label: str, *, asset: bool = False) -> bool:
        """Member `index`'s picture: one of the project's (`asset`: `label` is its name),
        or a new one (from a file) kept in the library when the cast is applied."""
        if not data or not readable(data):
            self.refused.emit(f"That picture cannot be read (use PNG, JPEG or WebP): {label}")
            return False
        member = self.members[index]
        if asset:
            member.update(picture=label, new_picture=None, shown=data)
        else:
            member.update(picture=None, new_picture=data, shown=data)
        self._changed()
        return True

    def _changed(self) -> None:
        self.dirty = True
        self._lay_out()

    def _lay_out(self) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        for member in self.members:
            self.rows.addWidget(self._card(member))

    def _edit(self, member: dict, key: str, text: str) -> None:
        member[key] = text
        self.dirty = True

    def _card(self, member: dict) -> QWidget:
        """One character: picture | name, Remove / description / where the picture comes
        from."""
        name = QLineEdit(member["name"])
        name.setPlaceholderText("Name")
        name.textChanged.connect(lambda text, m=member: self._edit(m, "name", text))
        description = QLineEdit(member["description"])
        description.setPlaceholderText("How they look, for every clip prompt")
        description.setCursorPosition(0)  # the start of a long description shows
        description.textChanged.connect(lambda text, m=member: self._edit(m, "description", text))

        def from_file(data: bytes, label: str, m=member) -> None:
            self.set_picture(self.members.index(m), data, label)

        def from_asset(data: bytes, asset: str, m=member) -> None:
            self.set_picture(self.members.index(m), data, asset, asset=True)

        def no_picture(m=member) -> None:
            m.update(picture=None, new_picture=None, shown=None)
            self._changed()

        def remove(m=member) -> None:
            self.members.remove(m)
            self._changed()

        clear = QToolButton(text="✕")
        clear.setToolTip("No picture")
        clear.clicked.connect(no_picture)
        clear.setEnabled(bool(member["shown"]))
        drop = QToolButton(text="Remove")
        drop.setToolTip("Take this character out of the cast")
        drop.clicked.connect(remove)
        card = QWidget()
        grid = QGridLayout(card)
        grid.setContentsMargins(0, 2, 0, 6)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 1)
        grid.addWidget(_thumb(member["shown"]), 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(name, 0, 1)
        grid.addWidget(drop, 0, 2)
        grid.addWidget(description, 1, 1, 1, 2)
        sources = QHBoxLayout()
        sources.setSpacing(4)
        sources.addWidget(file_button(self, "Picture…", "A picture of this character", from_file))
        sources.addWidget(asset_button(self.session, from_asset, "One of the project's pictures"))
        sources.addWidget(clear)
        sources.addStretch(1)
        grid.addLayout(sources, 2, 1, 1, 2)
        return card
