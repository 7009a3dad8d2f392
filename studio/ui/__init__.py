"""Qt widgets only: main window, panes, dialogs. Business logic lives in studio.core."""

import studio.qt.refcount_fix  # noqa: F401, E402  (before any Qt call)
