"""The end of a bench run, or of a merge of shards: every result in the out folder in the
suite's order, summarised per model, and written as results.json, results.csv and
report.html. Qt-free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from studio.scoring.results import BenchRun, OutDir, summarise
from studio.scoring.suite import Price, Suite

__all__ = ["prices_from_meta", "prices_to_meta", "write_outputs"]


def write_outputs(
    out: OutDir, suite: Suite, models: Iterable[str], prices: Mapping[str, Price]
) -> BenchRun:
    """Summarise every result in `out` and write the reports. Models are the run's (its
    bench.json's, then `models`, then any other a result names), results in the suite's
    task order, then repeat, then model: the same order however the results were made."""
    from studio.scoring.report import write_reports

    meta = out.read_meta() or {}
    chosen = list(dict.fromkeys([*meta.get("models", []), *models]))
    order = {t.id: i for i, t in enumerate(suite.tasks)}
    rank = {m: i for i, m in enumerate(chosen)}
    results = sorted(
        out.load_all(),
        key=lambda r: (order.get(r.task, len(order)), r.task, r.repeat, rank.get(r.model, 99)),
    )
    chosen += [r.model for r in results if r.model not in chosen]
    summaries = summarise(results, chosen, prices)
    run = BenchRun(out.path, results, summaries, chosen)
    run.files = write_reports(run, suite, out, meta, prices)
    return run


def prices_to_meta(prices: Mapping[str, Price]) -> dict[str, dict[str, float]]:
    """Prices as bench.json keeps them, so a merge of shards counts what the run counted."""
    return {m: {"in": p.input, "out": p.output} for m, p in prices.items()}


def prices_from_meta(data: Any) -> dict[str, Price] | None:
    """The prices bench.json kept; None when it has none (a run from before they were)."""
    if not isinstance(data, Mapping):
        return None
    try:
        return {str(m): Price(float(p["in"]), float(p["out"])) for m, p in data.items()}
    except (KeyError, TypeError, ValueError):
        return None
