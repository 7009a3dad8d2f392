"""List prices of well-known hosted chat models, in dollars per one million tokens. Qt-free.

For the meter in the prompt box when the person has set no price of their own (the prices
set in Tools › Benchmark, `studio.scoring.prices`, come first). Taken from the services'
pricing pages in 2025 (OpenAI, Anthropic, Google: standard tier, prompts under 200,000
tokens); they change, so the meter names where a price comes from.
"""

from __future__ import annotations

__all__ = ["LIST_PRICES", "list_price"]

# Name prefix → (input, output); the longest prefix that matches wins.
LIST_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-mini": (0.15, 0.60),
    "o3": (2.0, 8.0),
    "o4-mini": (1.10, 4.40),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-haiku-4": (1.0, 5.0),
    "claude-3-5-haiku": (0.80, 4.0),
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash": (0.30, 2.50),
}


def list_price(model: str) -> tuple[float, float] | None:
    """(input, output) dollars per 1M tokens for `model`, or None when Studio knows none.
    A gateway's `provider/model` name is looked up by its model part."""
    name = model.lower().rsplit("/", 1)[-1]
    matches = [p for p in LIST_PRICES if name.startswith(p)]
    return LIST_PRICES[max(matches, key=len)] if matches else None
