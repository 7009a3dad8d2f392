"""A combo box of registered providers that follows the plugin host.

Disabling a plugin removes its providers at once and enabling brings them back (DESIGN,
Plugins): a form offering providers must show that without reopening anything. Each item
shows the name people know the service by (the provider's `label`, e.g. "OpenAI-compatible
/v1/videos (gateways)") and carries the registered name as its data (`chosen_name`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from studio.ai.video_provider import label_of

log = logging.getLogger(__name__)


def provider_label(host: Any, kind: str, name: str) -> str:
    """What a form calls the provider `name` (made with no options: no I/O, by contract)."""
    try:
        return label_of(host.get(kind, name)({}), name)
    except Exception:  # a plugin that cannot be made without its options: its name
        log.debug("no label for %s %s", kind, name, exc_info=True)
        return name


def chosen_name(combo: QComboBox) -> str:
    """The registered name of the provider chosen in a combo filled by `follow_providers`."""
    data = combo.currentData()
    return data if isinstance(data, str) else combo.currentText()


def choose_name(combo: QComboBox, name: str) -> None:
    """Choose the provider registered as `name` (nothing happens if it is not there)."""
    index = combo.findData(name)
    if index >= 0:
        combo.setCurrentIndex(index)


def shrink_to_fit(combo: QComboBox, characters: int = 4) -> None:
    """Let `combo` be narrower than its longest item (the list still shows it whole)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)


def follow_providers(
    combo: QComboBox,
    host: Any,
    *,
    kind: str = "video_providers",
    prefer: Iterable[str] = (),
    on_refill: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """Fill `combo` with the providers registered as `kind`, now and whenever plugins change.

    The current choice stays when it is still there, else the first of `prefer` that is.
    The combo's signals are blocked while it is refilled; `on_refill()` runs after each
    refill instead. Following stops when the combo is destroyed. Returns the refill
    function, for callers that want to refill at other times too.
    """
    prefer = tuple(prefer)
    if combo.sizeAdjustPolicy() == QComboBox.SizeAdjustPolicy.AdjustToContentsOnFirstShow:
        # Long labels ("OpenAI-compatible /v1/videos (gateways)") must not widen the pane.
        shrink_to_fit(combo, 8)

    def refill() -> None:
        names = [r.name for r in host.registrations(kind)]
        current = chosen_name(combo)
        combo.blockSignals(True)
        combo.clear()
        for name in names:
            combo.addItem(provider_label(host, kind, name), name)
            combo.setItemData(combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
        for wanted in (current, *prefer):
            if wanted in names:
                choose_name(combo, wanted)
                break
        combo.blockSignals(False)
        if on_refill is not None:
            on_refill()

    host.subscribe(refill)
    combo.destroyed.connect(lambda *_: host.unsubscribe(refill))
    refill()
    return refill
