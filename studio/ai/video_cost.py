"""What a clip costs: prices per service and model, the person's own prices, estimates.

Each provider lists what its models cost (`VideoCapabilities.prices`, from the service's
public price list, by model name; "" for its only or default model). The person may set
their own in Settings › Video (a gateway charges differently, prices change): settings.json
`video_prices.<provider>.<model>` = `{"per_second": 0.4, "per_clip": 0.0,
"per_second_audio": 0.5}`. Their price wins over the provider's.

An estimate is "about": it is what the price list says for the length, sound and
resolution asked for. What a job really cost is recorded when it ends (the service's own
figure where it reports one, see `studio.operations.video_costs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from studio.ai.video_provider import (
    VideoCapabilities,
    VideoPrice,
    capabilities_of,
    make_provider,
    provider_options,
)

__all__ = [
    "PRICES_SETTING",
    "PriceRow",
    "PriceSource",
    "clip_estimate",
    "money",
    "price_for",
    "price_from_cells",
    "price_from_dict",
    "price_rows",
    "price_setting",
    "price_overrides",
    "price_to_dict",
    "price_words",
    "usd",
]

PRICES_SETTING = "video_prices"
PriceSource = Literal["settings", "provider"]
_FIELDS = ("per_second", "per_clip", "per_second_audio")


def price_from_dict(data: Any) -> VideoPrice | None:
    """A price as settings.json keeps it; None when it is not one (a hand-edited file)."""
    if not isinstance(data, Mapping):
        return None
    values: dict[str, float | None] = {}
    for key in _FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return None
        values[key] = float(value)
    if not values:
        return None
    factors = data.get("resolution_factor")
    factor = (
        {str(k): float(v) for k, v in factors.items() if isinstance(v, int | float) and v > 0}
        if isinstance(factors, Mapping)
        else {}
    )
    return VideoPrice(
        per_second=values.get("per_second") or 0.0,
        per_clip=values.get("per_clip") or 0.0,
        per_second_audio=values.get("per_second_audio"),
        resolution_factor=factor,
    )


def price_to_dict(price: VideoPrice) -> dict[str, Any]:
    data: dict[str, Any] = {"per_second": price.per_second, "per_clip": price.per_clip}
    if price.per_second_audio is not None:
        data["per_second_audio"] = price.per_second_audio
    if price.resolution_factor:
        data["resolution_factor"] = dict(price.resolution_factor)
    return data


def price_overrides(settings: Any) -> dict[str, dict[str, VideoPrice]]:
    """The person's prices from `settings` (anything with `.get`), by provider and model."""
    stored = settings.get(PRICES_SETTING) if settings is not None else None
    table: dict[str, dict[str, VideoPrice]] = {}
    for provider, models in stored.items() if isinstance(stored, Mapping) else ():
        if not isinstance(models, Mapping):
            continue
        for model, data in models.items():
            price = price_from_dict(data)
            if price is not None:
                table.setdefault(str(provider), {})[str(model)] = price
    return table


def price_for(
    provider: str,
    caps: VideoCapabilities,
    model: str | None,
    overrides: Mapping[str, Mapping[str, VideoPrice]] | None = None,
) -> tuple[VideoPrice, PriceSource] | None:
    """The price of a clip of `model` ("" or None: the default) and where it comes from;
    None when neither the person nor the provider gave one."""
    keys = [model or ""]
    if not model and caps.models:
        keys.append(caps.models[0])  # a provider's first model is its default
    if model:
        keys.append("")
    mine = (overrides or {}).get(provider) or {}
    for key in keys:
        if key in mine:
            return mine[key], "settings"
    for key in keys:
        if key in caps.prices:
            return caps.prices[key], "provider"
    return None


def clip_estimate(
    provider: str,
    caps: VideoCapabilities,
    *,
    model: str | None = None,
    seconds: int | float | None = None,
    audio: bool | None = None,
    resolution: str | None = None,
    size: str | None = None,
    overrides: Mapping[str, Mapping[str, VideoPrice]] | None = None,
) -> float | None:
    """About what one clip costs in US dollars; None when no price is known. An unset
    length is the model's shortest, unset sound is the model's default (on when it makes
    sound)."""
    found = price_for(provider, caps, model, overrides)
    if found is None:
        return None
    length = seconds or (min(caps.durations) if caps.durations else 0)
    sound = caps.audio if audio is None else audio
    return found[0].cost(float(length), audio=bool(sound), resolution=resolution or size)


def money(amount: float | None) -> str:
    """`$1.60`; `$0.004` stays visible as `<$0.01`; None is "unknown"."""
    if amount is None:
        return "unknown"
    if 0 < amount < 0.005:
        return "<$0.01"
    return f"${amount:,.2f}"


def price_words(price: VideoPrice) -> str:
    """`$0.40/s, $0.60/s with sound, ×1.5 at 1080p`; `free` for a price of nothing."""
    parts = []
    if price.per_second:
        parts.append(f"{usd(price.per_second)}/s")
    if price.per_second_audio is not None:
        parts.append(f"{usd(price.per_second_audio)}/s with sound")
    if price.per_clip:
        parts.append(f"{usd(price.per_clip)} a clip")
    parts += [f"×{f:.3g} at {r}" for r, f in price.resolution_factor.items()]
    return ", ".join(parts) if parts else "free"


def usd(rate: float) -> str:
    """A price in a list: `$0.10`, `$0.0035` (small rates keep their digits)."""
    return f"${rate:.2f}" if rate >= 0.01 or rate == 0 else f"${rate:.2g}"


@dataclass(frozen=True)
class PriceRow:
    """One line of Settings' price table: a service's model, its built-in price and the
    person's own (None: none)."""

    provider: str
    model: str  # "" for the provider's only or default model
    builtin: VideoPrice | None
    mine: VideoPrice | None


def price_rows(host: Any, settings: Any) -> list[PriceRow]:
    """A row for every model of every registered video provider, and for every price the
    person set for a model not listed (a gateway's own model)."""
    mine = price_overrides(settings)
    rows: list[PriceRow] = []
    for reg in host.registrations("video_providers"):
        try:
            provider = make_provider(host, reg.name, provider_options(settings, reg.name))
            caps = capabilities_of(provider)
            models = list(caps.models) or [""]
            listed = {m: capabilities_of(provider, m or None).prices for m in models}
        except Exception:  # a broken plugin must not keep Settings from opening
            continue
        own = mine.get(reg.name, {})
        for model in [*models, *(m for m in own if m not in models)]:
            prices = listed.get(model, caps.prices)
            builtin = prices.get(model) or prices.get("")
            rows.append(PriceRow(reg.name, model, builtin, own.get(model)))
    return rows


def price_from_cells(
    per_second: str, with_sound: str, per_clip: str, builtin: VideoPrice | None = None
) -> VideoPrice | None:
    """The price typed in a row's three cells (dollars; empty: not set); None when all are
    empty. ValueError names a cell that is not a number. The built-in price's factors for
    resolutions stay."""
    values: list[float | None] = []
    for text, what in (
        (per_second, "a second"),
        (with_sound, "a second with sound"),
        (per_clip, "a clip"),
    ):
        text = text.strip().lstrip("$")
        if not text:
            values.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            raise ValueError(
                f"the price {what} must be a number of dollars, not {text!r}"
            ) from None
        if value < 0:
            raise ValueError(f"the price {what} cannot be below zero")
        values.append(value)
    if all(v is None for v in values):
        return None
    second, sound, clip = values
    factors = builtin.resolution_factor if builtin is not None else {}
    return VideoPrice(second or 0.0, clip or 0.0, sound, dict(factors))


def price_setting(rows: Mapping[tuple[str, str], VideoPrice]) -> dict[str, Any]:
    """settings.json's `video_prices` for the person's prices, by (provider, model)."""
    out: dict[str, dict[str, Any]] = {}
    for (provider, model), price in rows.items():
        out.setdefault(provider, {})[model] = price_to_dict(price)
    return out
