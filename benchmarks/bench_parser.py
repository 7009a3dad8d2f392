"""Stream parser and edit application speed.

Run by hand: `python benchmarks/bench_parser.py`. Measures
- a 2,000-line game streamed through the parser in ~4-character chunks (about one token
  each), as tokens per second;
- applying 20 search/replace blocks to a 5,000-line file (exact, whitespace-normalised
  and fuzzy matches), in milliseconds;
- applying 5 long blocks (60 lines each, every third line changed: all fuzzy) to a
  5,000-line file of look-alike lines, where scoring the candidate windows is the work.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.ai.blocks import EditBlock, FileComplete  # noqa: E402
from studio.ai.edits import apply_edits  # noqa: E402
from studio.ai.stream_parser import StreamParser  # noqa: E402


def game_source(lines: int) -> str:
    out = ["<!DOCTYPE html>", "<html>", "<body>", '<canvas id="c"></canvas>', "<script>"]
    i = 0
    while len(out) < lines - 3:
        out += [
            f"function enemy{i}Update(e, dt) {{",
            f"  e.x += e.vx * dt * {1 + i % 5};",
            "  if (e.x < 0 || e.x > W) { e.vx = -e.vx; }",
            f"  e.sprite = frames[(e.t * {i % 9 + 2}) % frames.length];",
            "}",
        ]
        i += 1
    out += ["</script>", "</body>", "</html>"]
    return "\n".join(out[:lines]) + "\n"


def bench_stream(lines: int = 2000, chunk: int = 4, repeats: int = 5) -> tuple[float, int]:
    body = game_source(lines)
    answer = f'Here is the game.\n\n<file path="index.html">\n{body}</file>\nHave fun!\n'
    chunks = [answer[i : i + chunk] for i in range(0, len(answer), chunk)]
    times = []
    for _ in range(repeats):
        parser = StreamParser()
        started = time.perf_counter()
        events = []
        for piece in chunks:
            events += parser.feed(piece)
        events += parser.finish()
        times.append(time.perf_counter() - started)
        done = [e for e in events if isinstance(e, FileComplete)]
        assert done and done[0].content == body
    return len(chunks) / statistics.median(times), len(chunks)


def bench_edits(lines: int = 5000, edits: int = 20, repeats: int = 5) -> dict[str, float]:
    text = game_source(lines)
    rows = text.split("\n")
    blocks = []
    kinds = []
    for n in range(edits):
        start = 200 + n * (lines - 400) // edits
        start -= start % 5  # functions are five lines long, after a five-line header
        assert rows[start].startswith("function"), rows[start]
        search = rows[start : start + 5]
        replace = [*search[:-1], "  e.hit = false;", "}"]
        kind = ("exact", "whitespace", "fuzzy")[n % 3]
        if kind == "whitespace":
            search = ["    " + line.strip() for line in search]
        elif kind == "fuzzy":
            search = [line.replace("e.vx", "e.velX") for line in search]
        kinds.append(kind)
        blocks.append(EditBlock("index.html", "\n".join(search) + "\n", "\n".join(replace) + "\n"))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = apply_edits({"index.html": text}, blocks)
        times.append(time.perf_counter() - started)
    hows = [r.how for r in result.results]
    assert result.ok and hows == kinds, hows
    return {"total_ms": statistics.median(times) * 1000, "edits": edits}


def bench_long_fuzzy(lines: int = 5000, repeats: int = 3) -> float:
    rng = random.Random(3)
    words = ["player", "enemy", "score", "speed", "jump", "tile", "level", "sprite", "frame"]
    rows = [
        f"  const {rng.choice(words)}{i % 50} = {rng.randint(0, 9)}; // {rng.choice(words)}"
        for i in range(lines)
    ]
    text = "\n".join(rows) + "\n"
    blocks = []
    for n in range(5):
        start = 300 + n * (lines - 600) // 5
        search = [
            r.replace("const", "let") if k % 3 else r for k, r in enumerate(rows[start:][:60])
        ]
        blocks.append(EditBlock("f.js", "\n".join(search) + "\n", "\n".join(search[:30]) + "\n"))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = apply_edits({"f.js": text}, blocks)
        times.append(time.perf_counter() - started)
    assert [r.how for r in result.results] == ["fuzzy"] * 5, result.results
    return statistics.median(times) * 1000


def main() -> None:
    rate, tokens = bench_stream()
    print(f"stream parser: 2,000-line game, {tokens} chunks of ~4 chars: {rate:,.0f} tokens/s")
    edits = bench_edits()
    print(
        f"edits: {edits['edits']} blocks (exact/whitespace/fuzzy) on a 5,000-line file: "
        f"{edits['total_ms']:.1f} ms"
    )
    print(
        f"edits: 5 blocks of 60 lines (all fuzzy) on a 5,000-line file: {bench_long_fuzzy():.1f} ms"
    )


if __name__ == "__main__":
    main()
