"""Test connection: one cheap authenticated call to a service, said in one line.

A video or image provider may offer `async check()` (plugin API 2), which raises the
provider's `ServiceError` when the service cannot be used. `check_connection` runs it with
a time limit and turns the outcome into a verdict a person reads in Settings: it works,
the key is refused, there is no credit, the service cannot be reached, the API is gone, or
this provider cannot test.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from studio.ai.services import ServiceError

__all__ = ["CheckResult", "Verdict", "check_connection"]

Verdict = Literal[
    "works", "key_refused", "no_credit", "unreachable", "gone", "cannot_test", "failed"
]
TIMEOUT = 30.0

_VERDICTS: dict[str, tuple[Verdict, str]] = {
    "auth": ("key_refused", "Key refused"),
    "quota": ("no_credit", "No credit"),
    "unreachable": ("unreachable", "Cannot reach the service"),
    "gone": ("gone", "Gone"),
}


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    line: str  # one line for the person

    @property
    def ok(self) -> bool:
        return self.verdict == "works"


async def check_connection(provider: Any, *, timeout: float = TIMEOUT) -> CheckResult:
    """Run `provider.check()` and say how it went. Never raises (but for cancellation)."""
    check = getattr(provider, "check", None)
    if not callable(check):
        return CheckResult(
            "cannot_test",
            "This provider cannot test its connection: make a short clip to try it.",
        )
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        return CheckResult(
            "unreachable", f"Cannot reach the service: no answer within {timeout:g} s."
        )
    except ServiceError as exc:
        if exc.kind == "rate_limited":  # the key was taken: only the pace is too fast
            return CheckResult("works", f"Works (the service asks to slow down: {exc})")
        verdict, words = _VERDICTS.get(exc.kind, ("failed", "Failed"))
        return CheckResult(verdict, f"{words}: {_one_line(str(exc))}")
    except Exception as exc:  # a provider's bug: said, not raised into the dialog
        return CheckResult("failed", f"The test itself failed: {type(exc).__name__}: {exc}")
    return CheckResult("works", "Works: the service answered and accepted the request.")


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "no reason given"
