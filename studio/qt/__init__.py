"""Qt start-up and the work-arounds Qt needs here, in one place.

- `refcount_fix`: pins None/True/False against a PySide6 6.12 bug on Python 3.11; importing
  this package applies it, so it runs before any Qt call of a module that imports from here.
- `collector`: garbage collection on the GUI thread only, and `application()`.
- `startup`: what must be set before QApplication exists (Chromium's flags, the `studio://`
  scheme), and `run_headless()`, the one way a command starts Qt with an asyncio loop.

This package imports nothing else of Studio's: everything that uses Qt may import it.
"""

from studio.qt import refcount_fix  # noqa: F401  (before any Qt call)
