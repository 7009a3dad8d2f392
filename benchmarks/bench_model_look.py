"""How long the first look for a code model takes (the start screen's line waits for it).

Run by hand: `python benchmarks/bench_model_look.py`. Measures, median of 7 looks each,
`studio.ai.model_discovery.find_local_servers`:
- over the usual ports (Ollama 11434, LM Studio 1234, llama.cpp 8080, vLLM 8000) with
  nothing listening on them (ports found in use here are named and left out);
- the same ports plus one Ollama-like server (Studio's test server on 127.0.0.1), found,
  told apart (Ollama) and its two models listed.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.ai.model_discovery import USUAL_PORTS, find_local_servers  # noqa: E402
from studio.testing.servers.local_models import LocalModelServer  # noqa: E402

REPEATS = 7


def _in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _median_ms(ports: list[int]) -> tuple[float, list]:
    times, found = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        found = asyncio.run(find_local_servers(ports))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), found


def main() -> None:
    usual = [port for port, _name in USUAL_PORTS]
    busy = [port for port in usual if _in_use(port)]
    if busy:
        print(f"in use here, left out: {busy}")
    free = [port for port in usual if port not in busy]
    ms, found = _median_ms(free)
    print(f"nothing listening on {len(free)} usual ports: {ms:.1f} ms median, found {found}")

    server = LocalModelServer("ollama", models=("llama3.2:latest", "qwen2.5-coder:7b"))
    server.start()
    try:
        ms, found = _median_ms([*free, server.port])
    finally:
        server.stop()
    (one,) = found
    print(
        f"one Ollama-like server among them: {ms:.1f} ms median, "
        f"found {one.kind} with {len(one.models)} models ({one.best_model()} chosen)"
    )


if __name__ == "__main__":
    main()
