"""Settings › Video › Prices: what each service's models cost, editable.

One row per model of every registered video provider (`studio.ai.video_cost.price_rows`):
the built-in price (from the service's public price list) and three cells for the person's
own, in dollars: a second, a second with sound, a clip. Empty cells use the built-in
price. Saved as settings.json `video_prices`; estimates on the Generate button, in Make
clips and in `studio clips` use them from then on.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from studio.ai.video_cost import (
    PRICES_SETTING,
    PriceRow,
    price_from_cells,
    price_rows,
    price_setting,
    price_words,
)
from studio.ai.video_provider import VideoPrice

COLUMNS = ("Service", "Model", "Built-in price", "Your $/s", "$/s with sound", "$ a clip")
_EDITABLE = (3, 4, 5)


def _cell(text: str, *, editable: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if not editable:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setForeground(Qt.GlobalColor.gray)
    item.setToolTip(text)
    return item


def _cells(price: VideoPrice | None) -> tuple[str, str, str]:
    """The three cells of a price; a zero beside a price that is not is left empty (a
    price of nothing at all shows as 0 a second: free)."""
    if price is None:
        return ("", "", "")
    values = (price.per_second, price.per_second_audio, price.per_clip)
    if not any(values):
        return ("0", "", "")
    texts = ("" if not v else f"{v:g}" for v in values)
    return tuple(texts)  # type: ignore[return-value]


class PriceTable(QTableWidget):
    """The price table; `problem()` before `save(settings)`."""

    def __init__(self, host: Any, settings: Any) -> None:
        self.rows: list[PriceRow] = price_rows(host, settings)
        super().__init__(len(self.rows), len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for i, row in enumerate(self.rows):
            self.setItem(i, 0, _cell(row.provider))
            self.setItem(i, 1, _cell(row.model or "(default)"))
            self.setItem(i, 2, _cell(price_words(row.builtin) if row.builtin else "unknown"))
            for column, text in zip(_EDITABLE, _cells(row.mine), strict=True):
                self.setItem(i, column, _cell(text, editable=True))
        self.resizeColumnsToContents()
        self.setMinimumHeight(150)
        self.setToolTip("Your prices in US dollars; empty cells use the built-in price")

    def _text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""

    def prices(self) -> dict[tuple[str, str], VideoPrice]:
        """The person's prices as typed; ValueError names the row of a cell that is wrong."""
        out = {}
        for i, row in enumerate(self.rows):
            cells = [self._text(i, column) for column in _EDITABLE]
            try:
                price = price_from_cells(*cells, builtin=row.builtin)
            except ValueError as exc:
                name = f"{row.provider} {row.model}".strip()
                raise ValueError(f"In the price table, {name}: {exc}.") from None
            if price is not None:
                out[(row.provider, row.model)] = price
        return out

    def problem(self) -> str | None:
        try:
            self.prices()
        except ValueError as exc:
            return str(exc)
        return None

    def save(self, settings: Any) -> None:
        stored = settings.get(PRICES_SETTING)
        stored = stored if isinstance(stored, dict) else {}
        listed = {row.provider for row in self.rows}
        # Prices for providers not here now (a plugin switched off) stay as they were.
        table = {p: v for p, v in stored.items() if p not in listed}
        table |= price_setting(self.prices())
        if table != stored:
            settings.set(PRICES_SETTING, table)
