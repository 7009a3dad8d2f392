"""Prompt tokens sent for the first follow-up on each starter template, before and after
Studio fitted requests to the model's context window (issue 22).

Run by hand: `python benchmarks/bench_prompt_tokens.py [--tokenizer o200k_base.tiktoken]`.

For each starter game, the request for a first follow-up ("add a second player") is built
as the generator builds it:
- "before": as Studio did before it knew windows (every entry planned for 128,000 tokens,
  so the whole game went, whatever the model could hold);
- "after" for an 8,192-token window (llama.cpp's, Ollama's, LM Studio's usual size) and a
  128,000-token one (nothing to cut: the same request as before).

Counts come from a real tokenizer when one is given: OpenAI's o200k through `tiktoken`
(pip), with its ranks taken from the npm package `js-tiktoken`, which ships them (no other
download is needed): `npm pack js-tiktoken && tar xzf js-tiktoken-*.tgz`, then
`python benchmarks/bench_prompt_tokens.py --from-js package/dist/ranks/o200k_base.js`.
Without it, Studio's own count is used (and the table says so).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.ai.context import TokenBudget, build_messages, plan_budget  # noqa: E402
from studio.ai.prompts import system_prompt  # noqa: E402
from studio.ai.tokens import count_tokens  # noqa: E402
from studio.config.resources import resource_path  # noqa: E402
from studio.story.prompts import system_prompt_for  # noqa: E402

PROMPT = "add a second player"
TEMPLATES = ("arena", "breakout", "runner", "story")


def tokenizer(ranks_js: str | None) -> tuple[str, Callable[[str], int]]:
    """o200k from js-tiktoken's ranks file (its `bpe_ranks` rows are "! <first rank>
    <base64 token>..."), else Studio's own count."""
    if not ranks_js:
        return "Studio's own count", count_tokens
    import tiktoken

    source = Path(ranks_js).read_text(encoding="utf-8")
    data = json.loads(source[source.index("{") : source.rindex("}") + 1])
    ranks: dict[bytes, int] = {}
    for row in data["bpe_ranks"].split("\n"):
        if row:
            _, first, *tokens = row.split(" ")
            ranks.update({base64.b64decode(t): int(first) + i for i, t in enumerate(tokens)})
    encoding = tiktoken.Encoding(
        "o200k_base", pat_str=data["pat_str"], mergeable_ranks=ranks, special_tokens={}
    )
    return "o200k (tiktoken)", lambda text: len(encoding.encode(text, disallowed_special=()))


def request_tokens(
    files: dict[str, str], system: str, budget: TokenBudget, count: Callable[[str], int]
) -> tuple[int, int]:
    built = build_messages(PROMPT, files, system=system, budget=budget)
    return sum(count(m["content"]) + 4 for m in built.messages), len(built.left_out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from-js", help="js-tiktoken's dist/ranks/o200k_base.js")
    args = parser.parse_args()
    name, count = tokenizer(args.from_js)
    print(f'First follow-up ("{PROMPT}") per starter template; tokens by {name}')
    print(f"{'template':10} {'before':>8} {'after, 8k window':>18} {'after, 128k':>12}")
    for template in TEMPLATES:
        folder = resource_path("templates", template)
        files = {
            p.name: p.read_text(encoding="utf-8")
            for p in folder.iterdir()
            if p.suffix in (".html", ".js", ".css", ".json") and p.name != "template.json"
        }
        system = system_prompt_for({k: v.encode() for k, v in files.items()}, template)
        system = system or system_prompt()
        before, _ = request_tokens(files, system, TokenBudget(128_000, 16_000), count)
        small, cuts = request_tokens(files, system, plan_budget(8_192, None, has_code=True), count)
        large, _ = request_tokens(files, system, plan_budget(128_000, None, has_code=True), count)
        print(f"{template:10} {before:>8,} {small:>10,} ({cuts} cut) {large:>12,}")


if __name__ == "__main__":
    main()
