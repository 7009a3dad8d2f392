"""`studio generate` as a real process against the scripted chat server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.store import Project
from tests.ai.chat_server import TEST_API_KEY as API_KEY
from tests.ai.chat_server import ChatServer, Scripted

REPO = Path(__file__).resolve().parents[1]

GAME = """<!DOCTYPE html>
<html>
<head><title>Ball</title></head>
<body>
<canvas id="c"></canvas>
<script>
const SPEED = 2;
requestAnimationFrame(function frame() { requestAnimationFrame(frame); });
</script>
</body>
</html>
"""
NEW_GAME = f'A ball game: tap or press space.\n\n<file path="index.html">\n{GAME}</file>\n'
BROKEN = GAME.replace("const SPEED = 2;", "const SPEED = 2;\nundefinedThing.go();")
FIX = (
    'Removed the call to a missing object.\n<edit path="index.html">\n'
    "<<<<<<< SEARCH\nundefinedThing.go();\n=======\n>>>>>>> REPLACE\n</edit>\n"
)


# Log records (plugins that fail to load print these) are not the command's own output.
_LOG_LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


class Run:
    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.code = result.returncode
        self.out = result.stdout
        self.err = "".join(
            line for line in result.stderr.splitlines(keepends=True) if not _LOG_LINE.match(line)
        )

    def ok(self) -> Run:
        assert self.code == 0, self.err
        assert "Traceback" not in self.err, self.err
        return self

    def failed(self, *fragments: str) -> str:
        """Non-zero, no traceback, and stderr ending in one `studio: error:` line."""
        assert self.code != 0, self.out
        assert "Traceback" not in self.err, self.err
        last = self.err.strip().splitlines()[-1]
        assert last.startswith("studio: error: "), self.err
        for fragment in fragments:
            assert fragment in last, last
        assert API_KEY not in self.err and API_KEY not in self.out
        return last


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


@pytest.fixture
def game(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "game") as project:
        return project.path


@pytest.fixture
def studio(tmp_path: Path, server: ChatServer):
    """Run `studio generate …` against the server with the key in STUDIO_TEST_KEY."""
    config = tmp_path / "config"

    def run(*args: str | Path, key: bool = True, timeout: float = 90) -> Run:
        env = {
            k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
        }
        env.update(STUDIO_CONFIG_DIR=str(config), PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
        if key:
            env["STUDIO_TEST_KEY"] = API_KEY
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), str(REPO)])
        env["PLUGIN_MARK"] = str(tmp_path / "plugin-used")
        command = [sys.executable, "-m", "studio", "generate", *map(str, args)]
        if "--base-url" not in args:
            command += ["--base-url", server.base_url]
        command += ["--model", "test-model", "--api-key-env", "STUDIO_TEST_KEY"] if key else []
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        return Run(result)

    return run


def versions(path: Path):
    with Project.open(path) as project:
        return project.versions(), project.head


def test_generate_prints_the_new_version_and_streams_progress(
    studio, server: ChatServer, game: Path
) -> None:
    server.script(Scripted.text(NEW_GAME, usage=(50, 200)))
    run = studio(game, "make a ball game").ok()
    made, head = versions(game)
    assert run.out == f"version {made[0].id}\n" and head == made[0].id
    assert "A ball game: tap or press space." in run.err
    assert "wrote index.html (11 lines)" in run.err
    assert made[0].info.model == "test-model" and made[0].info.tokens_out == 200
    request = server.chat_requests[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_quiet_prints_only_the_id(studio, server: ChatServer, game: Path) -> None:
    server.script(Scripted.text(NEW_GAME))
    run = studio(game, "make a ball game", "-q").ok()
    assert run.out.strip() == "version 1" and run.err == ""


@pytest.mark.parametrize(
    ("scripted", "words"),
    [
        (Scripted.fail(401, f"Incorrect API key provided: {API_KEY}"), "refused the API key"),
        (Scripted.fail(404, "The model `test-model` does not exist"), "was not found"),
        (Scripted.text("What kind of game would you like?"), "no code"),
    ],
)
def test_failure_is_one_clear_line(
    studio, server: ChatServer, game: Path, scripted: Scripted, words: str
) -> None:
    server.script(scripted)
    run = studio(game, "make a ball game")
    line = run.failed(words, "unchanged")
    if "no code" not in words:
        assert run.err.strip() == line  # nothing else was printed
    assert versions(game) == ([], None)


def test_connection_refused_and_missing_key_variable(studio, game: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = studio(game, "a game", "--base-url", f"http://127.0.0.1:{port}/v1")
    assert run.failed("Could not connect", f"127.0.0.1:{port}") == run.err.strip()
    run = studio(game, "a game", "--api-key-env", "NOT_SET_ANYWHERE", key=False)
    assert run.failed("NOT_SET_ANYWHERE is not set") == run.err.strip()
    run = studio(game, key=False)
    run.failed("say what to make or change")


def test_cut_off_then_continue(studio, server: ChatServer, game: Path) -> None:
    half = len(NEW_GAME) // 2
    server.script(
        Scripted.text(NEW_GAME[:half], finish_reason="length"), Scripted.text(NEW_GAME[half:])
    )
    studio(game, "make a ball game").failed("length limit", "Continue")
    assert versions(game) == ([], None)
    run = studio(game, "--continue").ok()
    made, head = versions(game)
    assert run.out == f"version {head}\n" and len(made) == 1


def test_cut_off_then_discard(studio, server: ChatServer, game: Path) -> None:
    server.script(Scripted.text(NEW_GAME[:100], finish_reason="length"))
    studio(game, "make a ball game").failed("length limit")
    assert "discarded" in studio(game, "--discard").ok().err
    studio(game, "--discard").failed("no cut-off answer")
    with Project.open(game) as project:
        assert any(m.content == NEW_GAME[:100] for m in project.messages())


def test_fix_with_an_errors_file(studio, server: ChatServer, game: Path, tmp_path: Path) -> None:
    with Project.open(game) as project:
        base = project.commit({"index.html": BROKEN}, parent=None, kind="manual").id
    errors = tmp_path / "errors.json"
    errors.write_text(
        json.dumps([{"message": "ReferenceError: undefinedThing is not defined", "line": 8}])
    )
    server.script(Scripted.text(FIX))
    run = studio(game, "--fix", "--errors", errors).ok()
    made, head = versions(game)
    assert run.out == f"version {head}\n"
    fix = made[-1]
    assert fix.kind == "fix" and fix.parent == base
    assert "ReferenceError: undefinedThing is not defined" in fix.prompt
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert "- ReferenceError: undefinedThing is not defined" in sent


def test_fix_takes_the_errors_from_a_headless_playtest(
    studio, server: ChatServer, game: Path
) -> None:
    with Project.open(game) as project:
        project.commit({"index.html": BROKEN}, parent=None, kind="manual")
    server.script(Scripted.text(FIX))
    run = studio(game, "--fix", timeout=120).ok()
    assert "playtesting version 1" in run.err
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert "undefinedThing is not defined" in sent
    made, head = versions(game)
    assert made[-1].kind == "fix" and head == made[-1].id


def test_variations_print_every_version_and_keep_the_head(
    studio, server: ChatServer, game: Path
) -> None:
    with Project.open(game) as project:
        base = project.commit({"index.html": GAME}, parent=None, kind="manual").id
    faster = 'Faster.\n<edit path="index.html">\n<<<<<<< SEARCH\nconst SPEED = 2;\n=======\n'
    server.script(
        *[Scripted.text(faster + f"const SPEED = {n};\n>>>>>>> REPLACE\n</edit>\n") for n in (3, 4)]
    )
    run = studio(game, "make it faster", "--variations", "2").ok()
    made, head = versions(game)
    ids = [v.id for v in made if v.parent == base]
    assert sorted(run.out.split()) == sorted(["version"] * 2 + [str(i) for i in ids])
    assert len(ids) == 2 and head == base
    assert "[1] edit to index.html" in run.err and "[2] edit to index.html" in run.err


# A plugin that registers a code provider (an OpenAI-compatible one, saying it was used).
CODE_PLUGIN = """
import os
from pathlib import Path

from studio.ai.code_providers import create_openai_chat_provider
from studio.plugins import hookimpl

STUDIO_API = 1


@hookimpl
def register_code_providers(register):
    def make(options):
        Path(os.environ["PLUGIN_MARK"]).write_text(options["base_url"])
        return create_openai_chat_provider(options)

    register("echo-code", make)
"""


def install_plugin(site: Path, module: str, source: str) -> None:
    """A throw-away distribution whose `studio.plugins` entry point is `module` (see
    tests/plugins/conftest.py): what importlib.metadata finds on the subprocess's path."""
    site.mkdir(exist_ok=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[studio.plugins]\n{module} = {module}\n")


def test_provider_registered_by_a_plugin_needs_no_settings_entry(
    studio, server: ChatServer, game: Path, tmp_path: Path
) -> None:
    install_plugin(tmp_path / "site", "studio_echo_code", CODE_PLUGIN)
    server.script(Scripted.text(NEW_GAME))
    run = studio(game, "make a ball game", "--provider", "echo-code").ok()
    made, head = versions(game)
    assert run.out == f"version {head}\n" and len(made) == 1
    assert (tmp_path / "plugin-used").read_text() == server.base_url  # its factory made it
    assert made[0].info.provider == "echo-code"
    line = studio(game, "more", "--provider", "nowhere").failed("no code provider named")
    assert "echo-code" in line and "openai" in line


def test_fix_sends_the_story_problems(studio, server: ChatServer, game: Path) -> None:
    from studio.config.resources import resource_path
    from studio.story.validate import check_files

    template = resource_path("templates", "story")
    story = (template / "story.json").read_text(encoding="utf-8")
    broken = story.replace('"next": "selkies"', '"next": "mermaids"')
    assert broken != story
    with Project.open(game) as project:
        files = {"index.html": (template / "index.html").read_bytes(), "story.json": broken}
        base = project.commit(files, parent=None, kind="manual").id
    fix = (
        'The choice led nowhere.\n<edit path="story.json">\n<<<<<<< SEARCH\n'
        '"next": "mermaids"\n=======\n"next": "selkies"\n>>>>>>> REPLACE\n</edit>\n'
    )
    server.script(Scripted.text(fix))
    studio(game, "--fix", timeout=120).ok()
    sent = server.chat_requests[0].body["messages"][-1]["content"]
    assert "leads to 'mermaids'" in sent and "'selkies' cannot be reached" in sent
    made, head = versions(game)
    assert made[-1].kind == "fix" and made[-1].parent == base and head == made[-1].id
    with Project.open(game) as project:
        assert check_files(project.files()) == []
