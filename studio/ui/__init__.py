"""The window and its panes, as Qt widgets, grouped by pane: `code/`, `preview/`, `video/`,
`images/`, `story/`, with `dialogs/` and small shared `widgets/`. No rule of the domain
lives here: a widget calls an operation (`studio.operations`) and shows its result. Panes
talk to each other only through the session (`session.py`)."""

import studio.qt.refcount_fix  # noqa: F401, E402  (before any Qt call)
