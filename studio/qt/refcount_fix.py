"""A guard against a reference-counting bug in PySide6 6.12's wheels on Python 3.11.

PySide6 6.12 returns None from void methods (and True from `Signal.emit`) without taking a
reference. That is harmless where these objects are immortal (Python 3.12 and later); on
3.11 each call drops a reference, and after a few thousand calls Python aborts with
"deallocating None" or "deallocating True or False". Giving them a huge reference count
makes that unreachable. Every package that uses Qt imports this module first.
"""

from __future__ import annotations

import sys


def pin_singletons() -> None:
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):  # not on debug builds
        return
    import ctypes

    for obj in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
        if refcount.value < 1 << 40:
            refcount.value += 1 << 40


pin_singletons()
