"""A combo box of registered provider names that follows the plugin host.

Disabling a plugin removes its providers at once and enabling brings them back (DESIGN,
Plugins): a form offering providers must show that without reopening anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtWidgets import QComboBox


def follow_providers(
    combo: QComboBox,
    host: Any,
    *,
    kind: str = "video_providers",
    prefer: Iterable[str] = (),
    on_refill: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """Fill `combo` with the names registered as `kind`, now and whenever plugins change.

    The current choice stays when it is still there, else the first of `prefer` that is.
    The combo's signals are blocked while it is refilled; `on_refill()` runs after each
    refill instead. Following stops when the combo is destroyed. Returns the refill
    function, for callers that want to refill at other times too.
    """
    prefer = tuple(prefer)

    def refill() -> None:
        names = [r.name for r in host.registrations(kind)]
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        for wanted in (current, *prefer):
            if wanted in names:
                combo.setCurrentText(wanted)
                break
        combo.blockSignals(False)
        if on_refill is not None:
            on_refill()

    host.subscribe(refill)
    combo.destroyed.connect(lambda *_: host.unsubscribe(refill))
    refill()
    return refill
