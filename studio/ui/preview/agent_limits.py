"""The AI playtest's limits in the Preview: one small button that says them ("30 steps ·
10 min") and opens a form for all four the CLI has (steps, tokens, money, minutes). The
run checks them (`studio.operations.agent_report.Budget.limits`: a money limit needs the
model's price)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QMenu,
    QSpinBox,
    QToolButton,
    QWidget,
    QWidgetAction,
)

NO_LIMIT = "no limit"


class AgentLimits(QToolButton):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip("When the model stops playing: the first limit reached ends the run")
        self.steps = QSpinBox(minimum=1, maximum=200, value=30, suffix=" steps")
        self.tokens = QSpinBox(minimum=0, maximum=10_000_000, singleStep=10_000, suffix=" tokens")
        self.money = QDoubleSpinBox(minimum=0, maximum=1000, decimals=2, singleStep=0.1, prefix="$")
        self.minutes = QSpinBox(minimum=0, maximum=600, value=10, suffix=" min")
        form = QWidget()
        layout = QFormLayout(form)
        layout.setContentsMargins(8, 6, 8, 6)
        for label, box in (
            ("Steps", self.steps),
            ("Tokens", self.tokens),
            ("Money", self.money),
            ("Time", self.minutes),
        ):
            if box is not self.steps:
                box.setSpecialValueText(NO_LIMIT)  # shown at 0
            box.valueChanged.connect(self._say)
            layout.addRow(label, box)
        self.money.setToolTip("Counted with the model's price (Tools › Benchmark › Prices)")
        action = QWidgetAction(self)
        action.setDefaultWidget(form)
        menu = QMenu(self)
        menu.addAction(action)
        self.setMenu(menu)
        self._say()

    def values(self) -> dict[str, Any]:
        """Keyword arguments of `Budget.limits` (0: no limit)."""
        return {
            "steps": self.steps.value(),
            "tokens": self.tokens.value(),
            "money": self.money.value(),
            "minutes": self.minutes.value(),
        }

    def _say(self) -> None:
        parts = [f"{self.steps.value()} steps"]
        if self.tokens.value():
            parts.append(f"{self.tokens.value() / 1000:g}k tokens")
        if self.money.value():
            parts.append(f"${self.money.value():.2f}")
        if self.minutes.value():
            parts.append(f"{self.minutes.value()} min")
        self.setText(" · ".join(parts))
