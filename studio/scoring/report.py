"""The bench's outputs: a text table, results.json, results.csv and report.html. Qt-free.

The HTML report is one self-contained file (thumbnails embedded, full screenshots linked
relative to it) that reads well in a browser and in Qt's QTextBrowser (plain tables, no
scripts).
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from studio.scoring.agent_html import agent_plays_html
from studio.scoring.results import BenchRun, ModelSummary, OutDir, UnitResult
from studio.scoring.suite import Price, Suite

__all__ = ["csv_text", "html_report", "summary_table", "write_reports"]

CSV_FIELDS = [
    "task",
    "model",
    "repeat",
    "status",
    "passed",
    "checks_passed",
    "checks_total",
    "games",
    "load_errors",
    "runtime_errors",
    "animated",
    "reacts_to_input",
    "followups",
    "followups_applied",
    "followups_clean",
    "fixes",
    "fixes_worked",
    "ttft_s",
    "generation_s",
    "tokens_in",
    "tokens_out",
    "cost",
    "project",
    "screenshot",
    "error",
]


# -- numbers in words -------------------------------------------------------------------


def _secs(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 10:
        return f"{value:.2f} s"
    if value < 600:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min"


def _tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def _cost(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _frac(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "–"


# -- the text table ---------------------------------------------------------------------


def summary_rows(summaries: Sequence[ModelSummary]) -> list[list[str]]:
    rows = [
        [
            "model",
            "tasks passed",
            "checks",
            "load err",
            "runtime err",
            "animate",
            "input",
            "follow-ups",
            "auto-fixes",
            "TTFT",
            "time/task",
            "tokens in/out",
            "cost",
        ]
    ]
    for s in summaries:
        rows.append(
            [
                s.model,
                f"{_frac(s.tasks_passed, s.results)} {_pct(s.tasks_passed, s.results)}".strip(),
                f"{_frac(s.checks_passed, s.checks_total)} {_pct(s.checks_passed, s.checks_total)}",
                str(s.load_errors),
                str(s.runtime_errors),
                _frac(s.animated, s.games),
                _frac(s.reacts, s.games),
                _frac(s.followups_clean, s.followups),
                f"{s.fixes} ({s.fixes_worked} ok)" if s.fixes else "0",
                _secs(s.ttft_mean),
                _secs(s.time_per_task),
                f"{_tokens(s.tokens_in)}/{_tokens(s.tokens_out)}",
                _cost(s.cost),
            ]
        )
    return rows


def summary_table(summaries: Sequence[ModelSummary]) -> str:
    rows = summary_rows(summaries)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    not_run = sum(s.not_run for s in summaries)
    if not_run:
        lines.append(f"({not_run} result(s) could not be run and are not counted: see the report)")
    return "\n".join(lines)


# -- JSON and CSV -----------------------------------------------------------------------


def results_json(
    run: BenchRun, suite: Suite, meta: Mapping[str, Any], prices: Mapping[str, Price]
) -> str:
    data = {
        "suite": suite.name,
        "suite_path": str(suite.path),
        "started": meta.get("started"),
        "written": _dt.datetime.now().isoformat(timespec="seconds"),
        "base_url": meta.get("base_url"),
        "models": run.models,
        "prices_per_million_tokens": {
            m: {"in": p.input, "out": p.output} for m, p in prices.items() if m in run.models
        },
        "summary": [s.to_dict() for s in run.summaries],
        "results": [r.to_dict() for r in run.results],
    }
    return json.dumps(data, indent=1, ensure_ascii=False)


def _unit_row(r: UnitResult, prices: Mapping[str, Price]) -> dict[str, Any]:
    plays = r.plays()
    followups = r.followups
    applied = [s for s in followups if s.generation is not None and s.generation.ok]
    price = prices.get(r.model)
    shot = next((p.screenshot for p in reversed(plays) if p.screenshot), None)
    return {
        "task": r.task,
        "model": r.model,
        "repeat": r.repeat,
        "status": r.status,
        "passed": int(r.passed),
        "checks_passed": r.checks_passed,
        "checks_total": r.checks_total,
        "games": len(plays),
        "load_errors": sum(p.load_problem for p in plays),
        "runtime_errors": sum(p.runtime_problem for p in plays),
        "animated": sum(p.animated for p in plays),
        "reacts_to_input": sum(p.reacts for p in plays),
        "followups": len(followups),
        "followups_applied": len(applied),
        "followups_clean": sum(1 for s in applied if not s.generation.retried),
        "fixes": r.fixes,
        "fixes_worked": r.fixes_worked,
        "ttft_s": "" if r.ttft is None else round(r.ttft, 3),
        "generation_s": round(r.generation_time, 3),
        "tokens_in": r.tokens_in,
        "tokens_out": r.tokens_out,
        "cost": "" if price is None else round(price.cost(r.tokens_in, r.tokens_out), 6),
        "project": r.project or "",
        "screenshot": shot or "",
        "error": r.error or "",
    }


def csv_text(results: Sequence[UnitResult], prices: Mapping[str, Price]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        writer.writerow(_unit_row(r, prices))
    return buffer.getvalue()


# -- HTML -------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  background: #f6f7f9; color: #1f2328; font-size: 14px; line-height: 1.45; }
.page { max-width: 1180px; margin: 0 auto; padding: 28px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 34px 0 10px; }
h3 { font-size: 15px; margin: 22px 0 6px; }
.sub { color: #59636e; margin: 0 0 18px; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; background: #fff; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 10px; overflow-x: auto; }
.summary, .grid, .steps { width: 100%; }
.summary th, .summary td, .grid th, .grid td, .steps th, .steps td {
  padding: 8px 10px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
.summary th, .grid th, .steps th { font-size: 12px; color: #59636e; font-weight: 600;
  background: #fafbfc; white-space: nowrap; }
.summary th { text-align: right; }
.summary td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.summary td.label { color: #424a53; white-space: nowrap; }
.summary td.best { color: #116329; font-weight: 700; }
.scores { border-collapse: separate; border-spacing: 0 0; margin: 0 0 14px -2px;
  background: transparent; }
.score { background: #fff; border: 1px solid #d8dee4; border-radius: 10px; padding: 14px 18px;
  min-width: 190px; vertical-align: top; }
.scores td + td { border-left: 10px solid #f6f7f9; }
.score.top { border-color: #2da44e; box-shadow: 0 0 0 1px #2da44e inset; }
.score .model { font-weight: 600; font-size: 13px; color: #424a53; }
.big { font-size: 34px; font-weight: 700; letter-spacing: -0.02em; line-height: 1.15; }
.bar { background: #eaeef2; border-radius: 4px; height: 6px; width: 180px; margin: 8px 0; }
.bar div { background: #2da44e; height: 6px; border-radius: 4px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; }
.pass { background: #dafbe1; color: #116329; }
.fail { background: #ffebe9; color: #a40e26; }
.skip { background: #eaeef2; color: #59636e; }
.warn { background: #fff8c5; color: #7d4e00; }
.grid td.task { width: 200px; }
.cell { display: inline-block; margin: 0 8px 4px 0; vertical-align: top; width: 170px; }
.misses { font-size: 11px; color: #a40e26; line-height: 1.3; margin-top: 2px; }
.thumb { width: 168px; height: 126px; object-fit: cover; border-radius: 6px;
  border: 1px solid #d8dee4; background: #0d1117; display: block; }
.nothumb { width: 168px; height: 126px; border-radius: 6px; border: 1px dashed #d8dee4;
  color: #8c959f; font-size: 12px; text-align: center; line-height: 126px; }
.meta { font-size: 12px; color: #59636e; }
.mini { width: 120px; border-radius: 4px; border: 1px solid #d8dee4; display: block; }
.task-title { font-weight: 600; }
.kind { font-size: 12px; color: #59636e; }
.unit { background: #fff; border: 1px solid #d8dee4; border-radius: 10px; padding: 14px 16px;
  margin: 12px 0; }
.unit h3 { margin-top: 0; }
.prompt { color: #1f2328; max-width: 520px; }
.checks { margin: 0; padding: 0; list-style: none; }
.checks li { margin: 1px 0; }
.ok { color: #1a7f37; font-weight: 700; }
.no { color: #cf222e; font-weight: 700; }
.detail { color: #59636e; font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  background: #f0f2f4; padding: 1px 5px; border-radius: 4px; }
.help { color: #424a53; max-width: 860px; }
.help dt { font-weight: 600; margin-top: 8px; }
.help dd { margin: 2px 0 0 0; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _data_uri(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _badge(passed: bool, counted: bool = True, text: str | None = None) -> str:
    if not counted:
        return f'<span class="badge skip">{_e(text or "not run")}</span>'
    cls = "pass" if passed else "fail"
    return f'<span class="badge {cls}">{_e(text or ("PASS" if passed else "FAIL"))}</span>'


def _scoreboard_html(summaries: Sequence[ModelSummary]) -> str:
    """One card per model: the score (tasks passed) big, checks passed below."""
    best = max((s.pass_rate for s in summaries if s.results), default=None)
    cards = []
    for s in summaries:
        width = round(100 * s.pass_rate)
        top = (
            " top"
            if best is not None and s.results and s.pass_rate == best and len(summaries) > 1
            else ""
        )
        not_run = f" · {s.not_run} not run" if s.not_run else ""
        cards.append(
            f'<td class="score{top}"><div class="model">{_e(s.model)}</div>'
            f'<div class="big">{_pct(s.tasks_passed, s.results)}</div>'
            f'<div class="meta">{_frac(s.tasks_passed, s.results)} tasks passed{not_run}</div>'
            f'<div class="bar"><div style="width:{width}%"></div></div>'
            f'<div class="meta">{_pct(s.checks_passed, s.checks_total)} of checks '
            f"({_frac(s.checks_passed, s.checks_total)})</div></td>"
        )
    return f'<table class="scores"><tr>{"".join(cards)}</tr></table>'


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _price_text(price: Price | None) -> str:
    if price is None:
        return "no price set"
    return f"${price.input:g} in / ${price.output:g} out per 1M tokens"


def _metrics(s: ModelSummary, price: Price | None) -> list[tuple[str, str, float | None, bool]]:
    """(label, value as text, number to rank by or None, whether higher is better)."""
    games = s.games
    followups = _frac(s.followups_clean, s.followups)
    if s.followups_applied != s.followups_clean:
        followups += f" ({s.followups_applied} applied)"
    return [
        ("Tasks passed", _frac(s.tasks_passed, s.results), s.pass_rate, True),
        ("Checks passed", _frac(s.checks_passed, s.checks_total), s.check_rate, True),
        ("Games with load errors", f"{s.load_errors} of {games}", s.load_errors, False),
        ("Games with runtime errors", f"{s.runtime_errors} of {games}", s.runtime_errors, False),
        ("Games that animate", _frac(s.animated, games), _share(s.animated, games), True),
        ("Games that react to input", _frac(s.reacts, games), _share(s.reacts, games), True),
        ("Follow-ups applied cleanly", followups, _share(s.followups_clean, s.followups), True),
        ("Automatic fixes needed (worked)", f"{s.fixes} ({s.fixes_worked})", s.fixes, False),
        ("Time to first token (mean)", _secs(s.ttft_mean), s.ttft_mean, False),
        ("Generation time per task", _secs(s.time_per_task), s.time_per_task, False),
        ("Tokens in / out", f"{_tokens(s.tokens_in)} / {_tokens(s.tokens_out)}", None, False),
        ("Cost", _cost(s.cost), s.cost, False),
        ("Price", _price_text(price), None, False),
    ]


def _summary_html(summaries: Sequence[ModelSummary], prices: Mapping[str, Price]) -> str:
    table = [_metrics(s, prices.get(s.model)) for s in summaries]
    head = "<tr><th></th>" + "".join(f"<th>{_e(s.model)}</th>" for s in summaries) + "</tr>"
    rows = []
    for i, (label, *_rest) in enumerate(table[0] if table else []):
        values = [t[i][2] for t in table]
        ranked = [v for v in values if v is not None]
        higher = table[0][i][3]
        best = (max(ranked) if higher else min(ranked)) if len(ranked) > 1 else None
        if best is not None and all(v == best for v in ranked):
            best = None  # a tie between all says nothing
        cells = "".join(
            f'<td class="num{" best" if best is not None and t[i][2] == best else ""}">'
            f"{_e(t[i][1])}</td>"
            for t in table
        )
        rows.append(f'<tr><td class="label">{_e(label)}</td>{cells}</tr>')
    table_html = f'<table class="summary" width="100%">{head}{"".join(rows)}</table>'
    return f'<div class="card">{table_html}</div>'


def _thumb(r: UnitResult, out: OutDir) -> str:
    plays = [s.play for s in r.steps if s.play is not None]
    play = next((p for p in reversed(plays) if p.thumbnail or p.screenshot), None)
    if play is None:
        why = "not run" if not r.counted else "no picture" if plays else "no game"
        return f'<div class="nothumb">{why}</div>'
    src = _data_uri(out.path / play.thumbnail) if play.thumbnail else None
    src = src or _e(play.screenshot)
    full = _e(play.screenshot or play.thumbnail)
    return f'<a href="{full}"><img class="thumb" src="{src}" width="168" height="126" alt=""></a>'


def _grid_html(
    results: Sequence[UnitResult], suite: Suite, models: Sequence[str], out: OutDir
) -> str:
    by_task: dict[str, dict[str, list[UnitResult]]] = {}
    titles: dict[str, tuple[str, str, int]] = {}
    for r in results:
        by_task.setdefault(r.task, {}).setdefault(r.model, []).append(r)
        titles.setdefault(r.task, (r.title or r.task, r.kind, len(r.steps) - 1))
    for task in suite.tasks:
        if task.id in titles:
            titles[task.id] = (task.title, task.kind, len(task.followups))
    head = "<tr><th>Task</th>" + "".join(f"<th>{_e(m)}</th>" for m in models) + "</tr>"
    rows = []
    for task_id, per_model in by_task.items():
        title, kind, followups = titles[task_id]
        extra = f" · {followups} follow-up{'s' if followups != 1 else ''}" if followups else ""
        cells = [
            f'<td class="task"><div class="task-title">{_e(title)}</div>'
            f'<div class="kind">{_e(kind)}{extra}</div></td>'
        ]
        for model in models:
            units = per_model.get(model, [])
            parts = []
            for r in units:
                badge = _badge(r.passed, r.counted)
                rep = f" r{r.repeat}" if len(units) > 1 else ""
                fix = f" · {r.fixes} fix" if r.fixes else ""
                misses = [
                    str(c.get("label", ""))
                    for step in r.steps
                    for c in step.checks
                    if not c.get("passed")
                ]
                more = f" +{len(misses) - 3}" if len(misses) > 3 else ""
                missed = (
                    f'<div class="misses">✗ {_e(", ".join(misses[:3]))}{more}</div>'
                    if misses and r.counted
                    else ""
                )
                parts.append(
                    f'<div class="cell">{_thumb(r, out)}<div>{badge} '
                    f'<a href="#{_e(r.unit)}" class="meta">'
                    f"{r.checks_passed}/{r.checks_total} checks{rep}{fix}</a></div>{missed}</div>"
                )
            cells.append("<td>" + ("".join(parts) or '<span class="meta">–</span>') + "</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="card"><table class="grid" width="100%">{head}{"".join(rows)}</table></div>'


def _gen_text(g: Any) -> str:
    if g is None:
        return "–"
    bits = [g.status]
    if g.edits_applied or g.edits_failed:
        failed = f", {g.edits_failed} failed" if g.edits_failed else ""
        bits.append(f"{g.edits_applied} edit(s) applied{failed}")
    if g.files_written:
        bits.append(f"{g.files_written} file(s) written")
    if g.retried:
        bits.append("failed edits sent back once")
    bits.append(f"TTFT {_secs(g.ttft)}, {_secs(g.total_time)}")
    bits.append(f"{_tokens(g.tokens_in)} in / {_tokens(g.tokens_out)} out")
    return " · ".join(bits)


def _unit_html(r: UnitResult, out: OutDir) -> str:
    head = (
        f'<h3 id="{_e(r.unit)}">{_e(r.title or r.task)} · {_e(r.model)}'
        + (f" · repeat {r.repeat}" if r.repeat > 1 else "")
        + f" {_badge(r.passed, r.counted)}</h3>"
    )
    lines = [head]
    if r.error:
        lines.append(f'<p class="detail">{_e(r.error)}</p>')
    if r.project:
        lines.append(
            f'<p class="meta">Project: <code>studio open {_e(out.path / r.project)}</code> · '
            f"{r.checks_passed}/{r.checks_total} checks · {_secs(r.generation_time)} generating"
            f" · {_tokens(r.tokens_in)} in / {_tokens(r.tokens_out)} out</p>"
        )
    rows = [
        '<colgroup><col width="22%"><col width="28%"><col width="38%"><col width="12%">'
        "</colgroup><tr><th>Step</th><th>Generation</th><th>Checks</th><th>Picture</th></tr>"
    ]
    for step in r.steps:
        name = f"Follow-up {step.index}" if step.followup else "Prompt"
        if step.kind:
            name += f" ({step.kind})"
        prompt = step.prompt if len(step.prompt) <= 400 else step.prompt[:399] + "…"
        gen = _gen_text(step.generation)
        if step.fix is not None:
            errors = "; ".join(step.fix_errors[:2])
            gen += f'<div class="meta"><span class="badge warn">auto-fix</span> for: {_e(errors)}'
            gen += f"<br>{_e(_gen_text(step.fix))}</div>"
        play = step.play
        if play is not None:
            facts = [
                "loaded" if play.loaded else "did not load",
                "animates" if play.animated else "still",
                f"keys: {'yes' if play.reacts_keys else 'no'}",
                f"taps: {'yes' if play.reacts_taps else 'no'}",
            ]
            if play.fps:
                facts.append(f"{play.fps:g} fps")
            if play.hung:
                facts.append("HUNG")
            if play.crashed:
                facts.append("CRASHED")
            gen += f'<div class="meta">{_e(" · ".join(facts))}</div>'
        checks = "".join(
            f'<li><span class="{"ok" if c.get("passed") else "no"}">'
            f"{'✓' if c.get('passed') else '✗'}</span> {_e(c.get('label', ''))}"
            f' <span class="detail">{_e(c.get("detail", ""))}</span></li>'
            for c in step.checks
        )
        picture = ""
        if play is not None and play.screenshot:
            small = _e(play.thumbnail or play.screenshot)
            picture = (
                f'<a href="{_e(play.screenshot)}"><img class="mini" src="{small}" width="120" '
                'alt="screenshot"></a>'
            )
            if play.phone_screenshot:
                picture += f'<br><a class="meta" href="{_e(play.phone_screenshot)}">phone size</a>'
        rows.append(
            f'<tr><td><b>{_e(name)}</b><div class="prompt detail">{_e(prompt)}</div></td>'
            f'<td class="detail">{gen}</td><td><ul class="checks">{checks}</ul>'
            f"{agent_plays_html(step.checks)}</td>"
            f"<td>{picture}</td></tr>"
        )
    lines.append(f'<table class="steps" width="100%">{"".join(rows)}</table>')
    return '<div class="unit">' + "".join(lines) + "</div>"


HELP = """
<dl>
<dt>Tasks passed</dt><dd>A task passes when every step made a game (or applied its edit) and
every check of every step passed. This is the score: the share of tasks × repeats passed.</dd>
<dt>Checks passed</dt><dd>All checks of all steps, including “made a game” / “edit applied”:
partial credit that separates a nearly-right game from a blank page.</dd>
<dt>Load errors, runtime errors</dt><dd>Games (one per step) that did not load or logged load
errors; games that threw, logged console errors, hung or crashed while playing — after the
automatic fix, if one ran.</dd>
<dt>Animate, react to input</dt><dd>Games whose picture moves by itself; games whose state
(or, without <code>window.studio.state()</code>, picture) changed when keys were pressed or the
screen tapped, beyond what changes on its own.</dd>
<dt>Follow-ups applied cleanly</dt><dd>Follow-up edits that applied at once, without sending
failed edit blocks back to the model.</dd>
<dt>Auto-fixes</dt><dd>When a new game shows errors, its errors go to the model once (never
chained); in brackets, how many fixed games then played without errors.</dd>
<dt>TTFT, time, tokens, cost</dt><dd>Mean time to the first token; generation time per task
(all prompts, retries and fixes); tokens as the service counted them; cost where a price per
1M tokens is set: in Tools › Benchmark › Prices (kept in the settings), with
<code>--price-in/--price-out</code>, or in the suite's <code>[prices]</code>; the Price row
shows the one used.</dd>
</dl>
"""


def html_report(
    run: BenchRun, suite: Suite, out: OutDir, meta: Mapping[str, Any], prices: Mapping[str, Price]
) -> str:
    models = run.models
    counted = [r for r in run.results if r.counted]
    tasks = len({r.task for r in run.results})
    when = meta.get("started") or _dt.datetime.now().isoformat(timespec="seconds")
    sub = [
        f"{tasks} task{'s' if tasks != 1 else ''}",
        f"{len(models)} model{'s' if len(models) != 1 else ''}",
        f"{len(counted)} result{'s' if len(counted) != 1 else ''}",
        f"started {str(when).replace('T', ' ')}",
    ]
    if meta.get("base_url"):
        sub.append(str(meta["base_url"]))
    details = "".join(_unit_html(r, out) for r in run.results)
    desc = f'<p class="help">{_e(suite.description)}</p>' if suite.description else ""
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Bench · {_e(suite.name)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body><div class=page>"
        f"<h1>Bench · {_e(suite.name)}</h1>"
        f'<p class="sub">{_e(" · ".join(sub))}</p>{desc}'
        f"<h2>Models</h2>{_scoreboard_html(run.summaries)}{_summary_html(run.summaries, prices)}"
        f"<h2>Tasks</h2>{_grid_html(run.results, suite, models, out)}"
        f"<h2>Results</h2>{details}"
        f'<h2>How to read this</h2><div class="help">{HELP}</div>'
        "</div></body></html>\n"
    )


def write_reports(
    run: BenchRun, suite: Suite, out: OutDir, meta: Mapping[str, Any], prices: Mapping[str, Price]
) -> dict[str, Path]:
    from studio.scoring.results import _write_atomic

    files = {
        "json": out.path / "results.json",
        "csv": out.path / "results.csv",
        "html": out.path / "report.html",
    }
    _write_atomic(files["json"], results_json(run, suite, meta, prices))
    _write_atomic(files["csv"], csv_text(run.results, prices))
    _write_atomic(files["html"], html_report(run, suite, out, meta, prices))
    return files
