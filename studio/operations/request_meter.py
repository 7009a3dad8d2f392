"""What a request will carry and cost before it is sent, and what answers cost after.

The meter under the prompt box and `studio generate` both read this. Before sending, the
request is built exactly as the generator will build it (`studio.operations.request_build`):
its tokens by part (code, conversation, assets, pictures, …) against the model's context
window, what would be left out to fit (a warning when that is code), and the price: the
prompt's tokens plus an answer about as long as this model's recent answers here. After,
each answer's tokens (as the server reported them) and cost, and the project's total.

Prices per 1M tokens: the person's own (Tools › Benchmark, `studio.scoring.prices`), else a
hosted model's list price (`studio.ai.chat_prices`), else free for a server on this computer
or network; otherwise the meter says it knows no price.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from studio.ai.attachments import Attachment
from studio.ai.chat_prices import list_price
from studio.ai.context import PARTS
from studio.ai.context_window import ContextWindow, is_local_url
from studio.core.records import Message
from studio.operations.conversation import Request
from studio.operations.request_build import RequestBuilder
from studio.scoring.prices import stored_prices
from studio.scoring.suite import Price

__all__ = [
    "Measure",
    "Spend",
    "answer_cost",
    "chat_price",
    "measure",
    "project_spend",
    "spend_line",
    "tokens_and_cost",
]

EDIT_ANSWER = 2_000  # tokens an answer takes when nothing is known: edits to a game
WHOLE_ANSWER = 6_000  # ... a game written whole
PART_WORDS = {"request": "prompt", "assets": "asset list"}


def chat_price(settings: Any, model: str, base_url: str) -> tuple[Price | None, str]:
    """`model`'s price per 1M tokens and where it comes from, in words."""
    own = stored_prices(settings).get(model) if settings is not None else None
    if own is not None:
        return own, "your price"
    listed = list_price(model)
    if listed is not None:
        return Price(*listed), "list price"
    if base_url and is_local_url(base_url):
        return Price(0.0, 0.0), "runs on your computer or network"
    return None, "no price known: set one in Tools › Benchmark"


def _money(usd: float) -> str:
    if usd == 0:
        return "$0"
    return f"${usd:,.4f}" if usd < 0.01 else f"${usd:,.2f}"


@dataclass(frozen=True)
class Measure:
    """One request before it is sent (see the module doc)."""

    tokens: int
    parts: dict[str, int]
    window: ContextWindow | None
    left_out: tuple[str, ...]
    refusal: str | None
    unsent: tuple[str, ...]  # pick crops that stay home: the model reads no pictures
    answer_tokens: int
    price: Price | None
    price_source: str

    @property
    def cuts_code(self) -> bool:
        """Files or lines of code would be left out to fit the window."""
        return any(i.startswith("lines ") or "(not shown" in i for i in self.left_out)

    @property
    def cost(self) -> float | None:
        return None if self.price is None else self.price.cost(self.tokens, self.answer_tokens)

    def summary(self) -> str:
        """ "3,120 of 128,000 tokens (2%) · about $0.03": the request against the window and
        its price with an answer of the usual length."""
        if self.refusal:
            # A count of what would be sent would mislead: nothing is (the warning says why).
            return "This request would not be sent, as it is:"
        if self.window is not None:
            share = self.tokens / max(1, self.window.tokens)
            text = f"{self.tokens:,} of {self.window.tokens:,} tokens ({share:.0%})"
        else:
            text = f"About {self.tokens:,} tokens"
        cost = self.cost
        if cost is not None:
            text += f" · about {_money(cost)}" if cost else " · free"
        return text

    def breakdown(self) -> str:
        """ "code 2,400 · conversation 300 · pictures 765 · …": the parts that cost something."""
        shown = [f"{PART_WORDS.get(p, p)} {self.parts[p]:,}" for p in PARTS if self.parts.get(p)]
        answer = f"answer ~{self.answer_tokens:,}"
        return " · ".join([*shown, answer])

    def price_words(self) -> str:
        if self.price is None:
            return self.price_source
        if not (self.price.input or self.price.output):
            return f"Free ({self.price_source})"
        return (
            f"${self.price.input:g} in / ${self.price.output:g} out per 1M tokens "
            f"({self.price_source})"
        )

    def warning(self) -> str | None:
        """A line to show before sending: it would not be sent, or would cut the code."""
        if self.refusal:
            return self.refusal
        if self.cuts_code:
            cut = [i for i in self.left_out if i.startswith("lines ") or "(not shown" in i]
            return "To fit the model's context this request would leave out " + "; ".join(cut)
        return None


def _answer_tokens(history: Sequence[Message], model: str, has_code: bool) -> int:
    """How long an answer will be: the median of this model's last answers here."""
    lengths = [
        int(m.meta["tokens_out"])
        for m in history
        if m.role == "assistant" and m.meta.get("model") == model and m.meta.get("tokens_out")
    ]
    if lengths:
        return int(statistics.median(lengths[-5:]))
    return EDIT_ANSWER if has_code else WHOLE_ANSWER


async def measure(
    builder: RequestBuilder,
    prompt: str,
    *,
    base: int | None,
    attachments: Sequence[Attachment] = (),
    settings: Any = None,
) -> Measure:
    """The request `prompt` would make on version `base`, as the generator would send it."""
    request = Request("generate", prompt.strip() or "…", base, attachments=list(attachments))
    done = await builder.assemble(request)
    base_url = str(getattr(builder.provider, "base_url", "") or "")
    price, source = chat_price(settings, builder.model, base_url)
    return Measure(
        tokens=done.built.estimated_tokens,
        parts=dict(done.built.parts),
        window=done.window,
        left_out=tuple(done.left_out),
        refusal=done.refusal,
        unsent=tuple(done.unsent),
        answer_tokens=_answer_tokens(done.history, builder.model, bool(done.texts)),
        price=price,
        price_source=source,
    )


@dataclass(frozen=True)
class Spend:
    """What the answers of a project took, at the prices known now."""

    answers: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    usd: float = 0.0
    unpriced: int = 0  # answers of models with no known price (not in `usd`)

    def summary(self) -> str:
        if not self.answers:
            return "No answers yet in this project"
        text = (
            f"This project: {self.answers:,} answer{'s' if self.answers != 1 else ''}, "
            f"{self.tokens_in + self.tokens_out:,} tokens"
        )
        if self.usd or not self.unpriced:
            text += f", about {_money(self.usd)}"
        if self.unpriced:
            text += f" ({self.unpriced} without a known price)"
        return text


def answer_cost(message: Message, price_of: Callable[[str], Price | None]) -> float | None:
    """What one answer cost by its recorded tokens (None: no tokens, or no price)."""
    meta = message.meta
    tokens_in, tokens_out = int(meta.get("tokens_in") or 0), int(meta.get("tokens_out") or 0)
    price = price_of(str(meta.get("model") or ""))
    if price is None or not (tokens_in or tokens_out):
        return None
    return price.cost(tokens_in, tokens_out)


def project_spend(messages: Iterable[Message], price_of: Callable[[str], Price | None]) -> Spend:
    answers = tokens_in = tokens_out = unpriced = 0
    usd = 0.0
    for m in messages:
        if m.role != "assistant" or not (m.meta.get("tokens_in") or m.meta.get("tokens_out")):
            continue
        answers += 1
        tokens_in += int(m.meta.get("tokens_in") or 0)
        tokens_out += int(m.meta.get("tokens_out") or 0)
        cost = answer_cost(m, price_of)
        if cost is None:
            unpriced += 1
        else:
            usd += cost
    return Spend(answers, tokens_in, tokens_out, usd, unpriced)


def tokens_and_cost(tokens_in: int, tokens_out: int, price: Price | None) -> str:
    """ "3,120 in + 850 out tokens · about $0.013" for one answer."""
    text = f"{tokens_in:,} in + {tokens_out:,} out tokens"
    if price is not None:
        text += f" · about {_money(price.cost(tokens_in, tokens_out))}"
    return text


def spend_line(messages: Sequence[Message], price_of: Callable[[str], Price | None]) -> str:
    """Chat's line under the meter: the last answer's tokens and cost, then the project's."""
    answers = [m for m in messages if m.role == "assistant" and m.meta.get("tokens_in")]
    words = []
    if answers:
        meta = answers[-1].meta
        price = price_of(str(meta.get("model") or ""))
        tokens = int(meta.get("tokens_in") or 0), int(meta.get("tokens_out") or 0)
        words.append("Last answer: " + tokens_and_cost(*tokens, price))
        if price is None:
            words[-1] += " (no price known)"
    words.append(project_spend(messages, price_of).summary())
    return " · ".join(words)
