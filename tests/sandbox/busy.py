"""A machine made busy on purpose: CPU burners in subprocesses, each bounded in time (it
ends by itself even if the test that started it dies), killed when the block ends."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

BURN = """import sys, time
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
"""


@contextlib.contextmanager
def busy_machine(per_core: int = 2, seconds: float = 90.0) -> Iterator[int]:
    """`per_core` burners for each CPU core, for at most `seconds`; yields how many."""
    count = per_core * (os.cpu_count() or 1)
    burners = [
        subprocess.Popen([sys.executable, "-c", BURN, str(seconds)], stdin=subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        yield count
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait(10)
