"""Bench suites: TOML files of tasks (prompt, follow-ups, checks), read with `tomllib`.

    name = "My suite"                # optional, else the file's name
    seconds = 4                      # shortest playtest of a game
    viewport = [800, 600]            # the playtest's window
    every_step = ["loads", "no_console_errors"]   # checks added to every step
    keys = ["Space", "Enter", "ArrowLeft"]   # pressed to see if any game reacts to keys
    taps = [[0.5, 0.5]]                      # tapped to see if any game reacts to taps
    models = ["gpt-4.1"]             # used when no --model is given
    temperature = 0.7                # optional
    [prices."gpt-4.1"]               # price per 1M tokens, for the cost column
    in = 2.0
    out = 8.0

    [[task]]
    id = "jumper"                    # letters, digits, - and _
    title = "Jumping platformer"     # optional
    kind = "platformer"              # optional: what sort of game
    template = "runner"              # optional: start from a registered template
    start = "starters/bugged"        # optional: or from a folder next to the suite
    assets = ["assets/star.svg"]     # optional: files next to the suite, added as assets
    prompt = "Make a platformer ..."
    checks = ["loads", { state = "score", equals = 0, at = "start" }]

    [[task.followup]]
    kind = "speed"                   # optional: what sort of edit
    prompt = "Make the player 50% faster."
    checks = [{ state = "player.speed", at = "start", compare = "previous", increases = true }]

The check language is described in `studio.scoring.checks`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.config.resources import resource_path
from studio.errors import StudioError
from studio.scoring.checks import (
    DEFAULT_KEYS,
    DEFAULT_TAPS,
    Check,
    parse_checks,
    parse_keys,
    parse_taps,
    parse_viewport,
)

__all__ = ["Price", "Step", "Suite", "Task", "builtin_suites", "find_suite", "load_suite"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SUITE_KEYS = {
    "name",
    "description",
    "seconds",
    "viewport",
    "every_step",
    "models",
    "temperature",
    "prices",
    "keys",
    "taps",
    "task",
}
_TASK_KEYS = {
    "id",
    "title",
    "kind",
    "prompt",
    "template",
    "start",
    "assets",
    "checks",
    "followup",
    "seconds",
    "viewport",
}
_FOLLOWUP_KEYS = {"prompt", "kind", "checks"}
DEFAULT_SECONDS = 4.0
DEFAULT_VIEWPORT = (800, 600)


@dataclass(frozen=True)
class Price:
    """Dollars (or any currency) per one million tokens."""

    input: float
    output: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return tokens_in / 1e6 * self.input + tokens_out / 1e6 * self.output


@dataclass
class Step:
    """A prompt of a task: the first one, or a follow-up edit."""

    prompt: str
    checks: list[Check]
    kind: str = ""
    followup: bool = False


@dataclass
class Task:
    id: str
    title: str
    kind: str
    steps: list[Step]
    template: str | None = None
    start: Path | None = None
    assets: list[Path] = field(default_factory=list)
    seconds: float | None = None
    viewport: tuple[int, int] | None = None

    @property
    def followups(self) -> list[Step]:
        return self.steps[1:]


@dataclass
class Suite:
    name: str
    path: Path
    tasks: list[Task]
    description: str = ""
    seconds: float = DEFAULT_SECONDS
    viewport: tuple[int, int] = DEFAULT_VIEWPORT
    every_step: list[Check] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    temperature: float | None = None
    prices: dict[str, Price] = field(default_factory=dict)
    keys: tuple[str, ...] = DEFAULT_KEYS  # the generic reaction-to-keys segment
    taps: tuple[tuple[float, float], ...] = DEFAULT_TAPS
    digest: str = ""  # sha256 of the file, to notice a changed suite on --resume

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise StudioError(f"the suite {self.name} has no task {task_id!r}")


def _where(path: Path) -> str:
    return path.name


def _number(value: Any, where: str, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise StudioError(f"{where}: {name} must be a number from {low:g} to {high:g}")
    return float(value)


def _text(value: Any, where: str, name: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise StudioError(f"{where}: {name} must be {'a non-empty' if required else 'a'} string")
    return value.strip()


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise StudioError(
            f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
        )


def _prices(data: Any, where: str) -> dict[str, Price]:
    if not isinstance(data, Mapping):
        raise StudioError(f"{where}: prices must be a table of models")
    prices = {}
    for model, price in data.items():
        here = f"{where} prices.{model}"
        if not isinstance(price, Mapping) or set(price) - {"in", "out"}:
            raise StudioError(f"{here}: a price is {{ in = N, out = N }} per 1M tokens")
        prices[str(model)] = Price(
            _number(price.get("in", 0), here, "in", 0, 1e6),
            _number(price.get("out", 0), here, "out", 0, 1e6),
        )
    return prices


def _task(data: Any, index: int, base: Path, where: str) -> Task:
    if not isinstance(data, Mapping):
        raise StudioError(f"{where}: task {index + 1} is not a table")
    task_id = data.get("id")
    if not isinstance(task_id, str) or not _ID.match(task_id):
        raise StudioError(
            f"{where}: task {index + 1} needs an id of letters, digits, - and _ (got {task_id!r})"
        )
    here = f"{where} task {task_id!r}"
    _unknown(data, _TASK_KEYS, here)
    first = Step(
        _text(data.get("prompt"), here, "prompt", required=True),
        parse_checks(data.get("checks"), here),
    )
    steps = [first]
    followups = data.get("followup", [])
    if not isinstance(followups, list):
        raise StudioError(f"{here}: followup must be a list of tables ([[task.followup]])")
    for n, item in enumerate(followups, 1):
        at = f"{here} follow-up {n}"
        if not isinstance(item, Mapping):
            raise StudioError(f"{at}: not a table")
        _unknown(item, _FOLLOWUP_KEYS, at)
        steps.append(
            Step(
                _text(item.get("prompt"), at, "prompt", required=True),
                parse_checks(item.get("checks"), at, followup=True),
                kind=_text(item.get("kind"), at, "kind"),
                followup=True,
            )
        )
    template = _text(data.get("template"), here, "template") or None
    start = None
    if data.get("start") is not None:
        if template:
            raise StudioError(f"{here}: give template or start, not both")
        start = (base / _text(data["start"], here, "start", required=True)).resolve()
        if not (start / "index.html").is_file() and not start.is_file():
            raise StudioError(f"{here}: start {start} has no index.html")
    assets = data.get("assets", [])
    if not isinstance(assets, list) or not all(isinstance(a, str) for a in assets):
        raise StudioError(f"{here}: assets must be a list of file paths")
    asset_paths = [(base / a).resolve() for a in assets]
    for path in asset_paths:
        if not path.is_file():
            raise StudioError(f"{here}: asset {path} does not exist")
    return Task(
        id=task_id,
        title=_text(data.get("title"), here, "title") or task_id,
        kind=_text(data.get("kind"), here, "kind"),
        steps=steps,
        template=template,
        start=start,
        assets=asset_paths,
        seconds=_number(data["seconds"], here, "seconds", 1, 120) if "seconds" in data else None,
        viewport=parse_viewport(data["viewport"], here) if "viewport" in data else None,
    )


def load_suite(path: Path | str) -> Suite:
    """Read and validate a suite; every mistake is one clear `StudioError`."""
    path = Path(path).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StudioError(f"cannot read the suite {path}: {exc.strerror or exc}") from None
    where = _where(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StudioError(f"{where} is not valid TOML: {exc}") from None
    _unknown(data, _SUITE_KEYS, where)
    tasks_data = data.get("task")
    if not isinstance(tasks_data, list) or not tasks_data:
        raise StudioError(f"{where} has no tasks: add [[task]] tables")
    base = path.resolve().parent
    tasks = [_task(t, i, base, where) for i, t in enumerate(tasks_data)]
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise StudioError(f"{where}: two tasks have the id {task.id!r}")
        seen.add(task.id)
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
        raise StudioError(f"{where}: models must be a list of model names")
    temperature = data.get("temperature")
    return Suite(
        name=_text(data.get("name"), where, "name") or path.stem,
        path=path.resolve(),
        tasks=tasks,
        description=_text(data.get("description"), where, "description"),
        seconds=_number(data.get("seconds", DEFAULT_SECONDS), where, "seconds", 1, 120),
        viewport=parse_viewport(data["viewport"], where)
        if "viewport" in data
        else DEFAULT_VIEWPORT,
        every_step=parse_checks(data.get("every_step"), f"{where} every_step"),
        models=[m.strip() for m in models],
        temperature=None
        if temperature is None
        else _number(temperature, where, "temperature", 0, 2),
        prices=_prices(data.get("prices", {}), where),
        keys=parse_keys(data["keys"], where) if "keys" in data else DEFAULT_KEYS,
        taps=parse_taps(data["taps"], where) if "taps" in data else DEFAULT_TAPS,
        digest=hashlib.sha256(raw).hexdigest(),
    )


def builtin_suites() -> list[Path]:
    folder = resource_path("bench")
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def find_suite(name: str | Path) -> Path:
    """A suite file by path, or a built-in suite by name (`default`)."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    for candidate in builtin_suites():
        if candidate.stem == str(name):
            return candidate
    known = ", ".join(p.stem for p in builtin_suites()) or "none"
    raise StudioError(f"no suite file {name} (built-in suites: {known})")
