"""Prices per model for the bench's cost column. Qt-free.

They are kept in the settings under `bench_prices` as `{model: {"in": N, "out": N}}`, in
dollars (or any currency) per one million tokens: set in Tools › Benchmark, read by
`studio bench` too. `--price-in/--price-out` and a suite's `[prices]` table are the other
sources (the runner lets the settings and options win over the suite).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from studio.errors import StudioError
from studio.scoring.suite import Price

__all__ = ["SETTINGS_KEY", "parse_price", "prices_from", "save_prices", "stored_prices"]

SETTINGS_KEY = "bench_prices"
MAX_PRICE = 1e6  # per 1M tokens; the same bound as a suite's [prices]


def stored_prices(settings: Any) -> dict[str, Price]:
    """The settings' prices; entries that are not a valid price are skipped."""
    stored = settings.get(SETTINGS_KEY) or {}
    prices: dict[str, Price] = {}
    if not isinstance(stored, dict):
        return prices
    for model, price in stored.items():
        if not isinstance(price, dict):
            continue
        try:
            values = float(price.get("in", 0)), float(price.get("out", 0))
        except (TypeError, ValueError):
            continue
        if all(math.isfinite(v) and v >= 0 for v in values):
            prices[str(model)] = Price(*values)
    return prices


def save_prices(settings: Any, prices: Mapping[str, Price | None]) -> None:
    """Store prices for these models (None forgets a model's); other models' are kept."""
    stored = {m: {"in": p.input, "out": p.output} for m, p in stored_prices(settings).items()}
    for model, price in prices.items():
        if price is None:
            stored.pop(model, None)
        else:
            stored[model] = {"in": price.input, "out": price.output}
    settings.set(SETTINGS_KEY, stored)


def prices_from(
    settings: Any, models: Iterable[str], price_in: float | None, price_out: float | None
) -> dict[str, Price]:
    """Prices per model: the settings', then --price-in/--price-out for all `models`."""
    prices = stored_prices(settings)
    if price_in is not None or price_out is not None:
        for model in models:
            old = prices.get(model, Price(0.0, 0.0))
            prices[model] = Price(
                old.input if price_in is None else price_in,
                old.output if price_out is None else price_out,
            )
    return prices


def parse_price(text: str, what: str) -> float | None:
    """A price typed by a person: None when empty, else a number from 0 (a leading `$` is
    fine); anything else is a clear `StudioError`."""
    cleaned = text.strip().removeprefix("$").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= MAX_PRICE):
        raise StudioError(
            f"{what}: {text.strip()!r} is not a price (dollars per 1M tokens, e.g. 2.50)"
        )
    return value
