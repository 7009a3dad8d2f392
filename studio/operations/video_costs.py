"""What video jobs cost: the estimate kept with a job when it is queued, the cost recorded
when it ends, and what a project spent per service.

A job's params carry `estimate_usd` (from the price list, `studio.ai.video_cost`) from the
start, and `cost_usd` with `cost_from` once it ends: the service's own figure when the
provider reports one (`VideoStatus.extra["cost_usd"]`, "service"), else the estimate for a
clip that was made ("estimate"). A job that failed costs nothing unless the service says
it charged. The project keeps its jobs, so what it spent is the sum of their costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.ai.video_cost import clip_estimate, money
from studio.ai.video_provider import VideoCapabilities, VideoPrice, VideoStatus
from studio.core.records import VideoJob

__all__ = [
    "COST",
    "ESTIMATE",
    "Estimate",
    "job_estimate",
    "reported_cost",
    "spend_line",
    "spent_by_service",
    "with_cost",
]

ESTIMATE = "estimate_usd"
COST = "cost_usd"
COST_FROM = "cost_from"


def job_estimate(
    provider: str,
    caps: VideoCapabilities,
    params: Mapping[str, Any],
    overrides: Mapping[str, Mapping[str, VideoPrice]] | None = None,
) -> float | None:
    """About what the job described by `params` costs (None: no price known)."""
    return clip_estimate(
        provider,
        caps,
        model=params.get("model"),
        seconds=params.get("seconds"),
        audio=params.get("audio"),
        resolution=params.get("resolution"),
        size=params.get("size"),
        overrides=overrides,
    )


def reported_cost(status: VideoStatus) -> float | None:
    """The cost the service reported for a finished job, if the provider passed it on."""
    value = status.extra.get(COST) if status.extra else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def with_cost(
    params: Mapping[str, Any], reported: float | None, *, made: bool
) -> dict[str, Any] | None:
    """The params with the job's cost recorded, or None when there is nothing to record:
    the service's figure wins; a clip that was `made` costs its estimate otherwise."""
    if reported is not None:
        return {**params, COST: reported, COST_FROM: "service"}
    if made and COST not in params and params.get(ESTIMATE) is not None:
        return {**params, COST: params[ESTIMATE], COST_FROM: "estimate"}
    return None


def spent_by_service(jobs: Iterable[VideoJob]) -> dict[str, float]:
    """What the jobs cost, by provider (those that cost nothing are left out)."""
    spent: dict[str, float] = {}
    for job in jobs:
        cost = job.params.get(COST)
        if isinstance(cost, int | float) and not isinstance(cost, bool) and cost > 0:
            spent[job.provider] = round(spent.get(job.provider, 0.0) + float(cost), 4)
    return dict(sorted(spent.items()))


def spend_line(spent: Mapping[str, float]) -> str:
    """`Spent in this project: veo $3.20 · fal $0.45` ("" when nothing was spent)."""
    if not spent:
        return ""
    return "Spent in this project: " + " · ".join(f"{p} {money(c)}" for p, c in spent.items())


@dataclass(frozen=True)
class Estimate:
    """What a batch of clips will cost: the sum of the known prices, and how many clips
    have none (a service without a price list)."""

    total: float = 0.0
    unknown: int = 0
    clips: int = 0

    @classmethod
    def of(cls, amounts: Iterable[float | None]) -> Estimate:
        values = list(amounts)
        known = [a for a in values if a is not None]
        return cls(round(sum(known), 4), len(values) - len(known), len(values))

    @property
    def free(self) -> bool:
        """Nothing to pay (known to be so)."""
        return self.unknown == 0 and self.total <= 0

    def words(self) -> str:
        """`about $4.80`, `about $3.20 + 1 clip of unknown price`, `free`."""
        if self.free:
            return "free"
        if self.unknown == self.clips:
            return "price unknown (no price list: set one in Settings › Video)"
        text = f"about {money(self.total)}"
        if self.unknown:
            text += f" + {self.unknown} clip{'s' if self.unknown != 1 else ''} of unknown price"
        return text
