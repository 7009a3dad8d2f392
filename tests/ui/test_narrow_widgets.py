"""The flow layout that wraps rows of buttons and the label that shortens its text: the
pieces that keep a pane's minimum width small."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from studio.ui.widgets.elided_label import ElidedLabel
from studio.ui.widgets.flow_layout import FlowLayout


def _row(qtbot, width: int) -> tuple[QWidget, list[QPushButton]]:
    host = QWidget()
    outer = QVBoxLayout(host)
    flow = FlowLayout()
    buttons = [QPushButton(f"Button number {i}") for i in range(4)]
    for button in buttons:
        flow.addWidget(button)
    outer.addLayout(flow)
    outer.addStretch(1)
    qtbot.addWidget(host)
    host.resize(width, 300)
    host.show()
    qtbot.waitExposed(host)
    return host, buttons


def test_a_wide_row_keeps_its_buttons_on_one_line(qtbot):
    host, buttons = _row(qtbot, 1200)
    tops = {b.geometry().top() for b in buttons}
    assert len(tops) == 1
    lefts = [b.geometry().left() for b in buttons]
    assert lefts == sorted(lefts)


def test_a_narrow_row_wraps_and_nothing_overlaps_or_sticks_out(qtbot):
    widest = max(QPushButton(f"Button number {i}").sizeHint().width() for i in range(4))
    host, buttons = _row(qtbot, widest + 40)
    boxes = [b.geometry() for b in buttons]
    assert len({box.top() for box in boxes}) == 4  # one a line
    for i, box in enumerate(boxes):
        assert host.rect().contains(box)
        assert not any(box.intersects(other) for other in boxes[i + 1 :])
    # The layout's minimum is its widest button, not the sum of them.
    assert host.minimumSizeHint().width() < 2 * widest


def test_a_long_label_shortens_but_keeps_its_text(qtbot):
    text = "v12 · A very long game title that would widen the pane"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    assert label.minimumSizeHint().width() < label.sizeHint().width() // 4
    assert label.text() == text and label.toolTip() == text  # shown whole on hover
