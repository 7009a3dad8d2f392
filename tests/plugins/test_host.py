"""The plugin host: discovery through entry points, failures, API versions, collisions,
disabling and enabling, and the choice kept across restarts."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from studio.ai.video_provider import VideoError, VideoRequest, make_provider
from studio.config.settings import Settings
from studio.operations.video_queue import PollPolicy, VideoQueue
from studio.plugins.control import SETTINGS_KEY, load_host, plugin_rows, set_plugin_enabled
from studio.plugins.host import (
    BUILTIN,
    PluginError,
    PluginHost,
    PluginState,
)


def test_first_party_plugins_are_found_through_their_entry_points(settings: Settings) -> None:
    host = load_host(settings)
    cards = host.plugins["title-cards"]
    assert cards.distribution == "studio-title-cards" and cards.version == "0.1.0"
    assert cards.state == PluginState.ENABLED and cards.error is None
    assert cards.registered == [("video_providers", "title-cards")]
    assert host.owner("video_providers", "title-cards") == "title-cards"
    pack = host.plugins["template-pack"]
    assert pack.distribution == "studio-template-pack" and pack.state == PluginState.ENABLED
    assert pack.hooks == ["templates"]
    assert host.plugins[BUILTIN].state == PluginState.ENABLED


def test_a_distribution_on_the_path_is_discovered(good_plugin, settings: Settings) -> None:
    host = load_host(settings)
    info = host.plugins["demo"]
    assert (info.distribution, info.version) == ("studio-demo", "1.2.3")
    assert info.state == PluginState.ENABLED and info.api_required == 1
    assert sorted(info.registered) == [
        ("templates", "demo-game"),
        ("video_providers", "demo-video"),
    ]
    assert info.adds == "template: demo-game; video provider: demo-video"
    assert host.template("demo-game").title == "Demo game"
    assert host.owner("templates", "demo-game") == "demo"


def test_a_plugin_that_raises_on_import_fails_alone(make_dist, good_plugin, settings) -> None:
    broken = make_dist("STUDIO_API = 1\nraise RuntimeError('no luck today')\n", entry="broken")
    host = load_host(settings)
    info = host.plugins["broken"]
    assert info.state == PluginState.FAILED
    assert info.error.startswith("could not be imported: RuntimeError: no luck today")
    assert f"{broken.module}.py:2" in info.error  # where it raised
    assert not info.registered
    # Everything else works.
    assert host.plugins["demo"].state == PluginState.ENABLED
    assert host.plugins["title-cards"].state == PluginState.ENABLED
    assert "openai" in [r.name for r in host.registrations("video_providers")]


def test_a_plugin_that_raises_in_a_hook_fails_and_keeps_nothing(make_dist, settings) -> None:
    make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_exporters(register):
            register("half-done", object())

        @hookimpl
        def register_video_providers(register):
            raise ValueError("cannot reach my config")
        """,
        entry="raiser",
    )
    host = load_host(settings)
    info = host.plugins["raiser"]
    assert info.state == PluginState.FAILED
    assert info.error.startswith("raised in register_video_providers: ValueError: cannot reach")
    # What it registered before raising is gone too.
    assert "half-done" not in [r.name for r in host.registrations("exporters")]
    assert info.registered == []
    assert host.plugins[BUILTIN].state == PluginState.ENABLED


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        ("STUDIO_API = 99", "needs plugin API 99, but this Studio provides API 2: update Studio"),
        ("", "does not say which plugin API it needs: its module must set STUDIO_API = 2"),
        ("STUDIO_API = '1'", "declares STUDIO_API = '1'; it must be a whole number"),
        ("STUDIO_API = 0", "was written for plugin API 0, which this Studio no longer serves"),
    ],
)
def test_a_plugin_studio_cannot_serve_is_refused_clearly(
    make_dist, settings, declaration: str, expected: str
) -> None:
    make_dist(
        f"""
        from studio.plugins import hookimpl
        {declaration}

        @hookimpl
        def register_video_providers(register):
            register("from-the-future", lambda options: None)
        """,
        entry="future",
    )
    host = load_host(settings)
    info = host.plugins["future"]
    assert info.state == PluginState.FAILED
    assert expected in info.error
    assert "from-the-future" not in [r.name for r in host.registrations("video_providers")]


def test_a_name_already_taken_is_refused_and_the_rest_kept(make_dist, settings) -> None:
    make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_video_providers(register):
            register("openai", lambda options: "impostor")
            register("my-own", lambda options: "mine")
        """,
        entry="copycat",
    )
    host = load_host(settings)
    info = host.plugins["copycat"]
    assert info.state == PluginState.ENABLED
    assert host.owner("video_providers", "openai") == BUILTIN  # the first keeps it
    assert host.owner("video_providers", "my-own") == "copycat"
    message = "plugin copycat: video provider name 'openai' is already taken by builtin"
    assert any(p.startswith(message) for p in host.problems)
    assert info.warnings and info.warnings[0].startswith(message)


def test_two_distributions_with_one_plugin_name_load_once(make_dist, settings) -> None:
    first = make_dist("STUDIO_API = 1\n", entry="twin", distribution="studio-twin-a")
    make_dist("STUDIO_API = 1\n", entry="twin", distribution="studio-twin-b")
    host = load_host(settings)
    assert host.plugins["twin"].distribution == first.distribution
    assert any("from studio-twin-b was not loaded" in p for p in host.problems)


def test_a_misspelt_hook_fails_the_plugin(make_dist, settings) -> None:
    make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_template(register):
            pass
        """,
        entry="typo",
    )
    info = load_host(settings).plugins["typo"]
    assert info.state == PluginState.FAILED
    assert "implements hooks Studio does not have: register_template" in info.error


def test_registering_something_unusable_fails_the_plugin(make_dist, settings) -> None:
    make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_templates(register):
            register("not-a-template", "index.html")
        """,
        entry="wrong-type",
    )
    info = load_host(settings).plugins["wrong-type"]
    assert info.state == PluginState.FAILED
    assert "must be a studio.core.templates.Template" in info.error


def test_disabling_removes_everything_at_once_and_enabling_brings_it_back(
    good_plugin, settings
) -> None:
    host = load_host(settings)
    heard: list[str] = []
    host.subscribe(lambda: heard.append("changed"))
    host.disable("demo")
    assert host.plugins["demo"].state == PluginState.DISABLED
    assert "demo-game" not in [t.name for t in host.templates()]
    assert "demo-video" not in [r.name for r in host.registrations("video_providers")]
    with pytest.raises(KeyError, match="no template named 'demo-game'"):
        host.template("demo-game")
    host.enable("demo")
    assert host.plugins["demo"].state == PluginState.ENABLED
    assert host.template("demo-game").title == "Demo game"
    assert host.owner("video_providers", "demo-video") == "demo"
    assert heard == ["changed", "changed"]


def test_a_disabled_plugin_is_not_even_imported(make_dist, settings, tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    dist = make_dist(
        f"""
        from pathlib import Path
        Path({str(marker)!r}).write_text("yes")
        STUDIO_API = 1
        """,
        entry="shy",
    )
    set_plugin_enabled(settings, None, "shy", enabled=False)
    host = load_host(settings)
    assert host.plugins["shy"].state == PluginState.DISABLED
    assert host.plugins["shy"].distribution == dist.distribution  # listed all the same
    assert not marker.exists()
    host.enable("shy")
    assert marker.read_text() == "yes" and host.plugins["shy"].state == PluginState.ENABLED


def test_the_choice_holds_across_restarts(good_plugin, config_dir: Path) -> None:
    settings = Settings(config_dir / "settings.json")
    host = load_host(settings)
    set_plugin_enabled(settings, host, "demo", enabled=False)
    assert "demo-game" not in [t.name for t in host.templates()]
    stored = json.loads((config_dir / "settings.json").read_text())
    assert stored[SETTINGS_KEY] == ["demo"]

    restarted = load_host(Settings(config_dir / "settings.json"))  # a new start
    assert restarted.plugins["demo"].state == PluginState.DISABLED
    assert "demo-game" not in [t.name for t in restarted.templates()]

    set_plugin_enabled(Settings(config_dir / "settings.json"), restarted, "demo", enabled=True)
    assert restarted.template("demo-game")
    again = load_host(Settings(config_dir / "settings.json"))
    assert again.plugins["demo"].state == PluginState.ENABLED
    assert json.loads((config_dir / "settings.json").read_text())[SETTINGS_KEY] == []


def test_the_built_in_plugin_cannot_be_disabled(settings) -> None:
    host = load_host(settings)
    with pytest.raises(PluginError, match="part of Studio and cannot be disabled"):
        set_plugin_enabled(settings, host, BUILTIN, enabled=False)
    assert settings.get(SETTINGS_KEY) is None  # nothing was saved
    assert host.plugins[BUILTIN].state == PluginState.ENABLED


def test_an_unknown_name_is_refused_but_an_old_choice_can_be_forgotten(settings) -> None:
    host = load_host(settings)
    with pytest.raises(PluginError, match="no plugin named 'nope' \\(installed: builtin"):
        set_plugin_enabled(settings, host, "nope", enabled=False)
    settings.set(SETTINGS_KEY, ["uninstalled-long-ago"])
    set_plugin_enabled(settings, host, "uninstalled-long-ago", enabled=True)
    assert settings.get(SETTINGS_KEY) == []


def test_rows_list_every_plugin_built_in_first(good_plugin, make_dist, settings) -> None:
    make_dist("raise ImportError('missing dependency: frobnicate')\n", entry="aaa-broken")
    rows = plugin_rows(load_host(settings))
    assert rows[0].name == BUILTIN and not rows[0].can_toggle
    names = [r.name for r in rows]
    assert names[1:] == sorted(names[1:])
    broken = rows[names.index("aaa-broken")]
    assert broken.state == PluginState.FAILED and "missing dependency: frobnicate" in broken.error


# -- providers that raise while in use ---------------------------------------------------

CRASHING_PROVIDER = """
from studio.ai.video_provider import VideoCapabilities, VideoError
from studio.plugins import hookimpl
STUDIO_API = 1

class Crashing:
    name = "crashing"
    capabilities = VideoCapabilities()

    async def submit(self, request):
        if request.prompt == "polite":
            raise VideoError("rejected", "The service refused the prompt.")
        return {}["missing"]  # a bug: KeyError

    async def poll(self, remote_id):
        raise AssertionError("not reached")

    async def download(self, remote_id, variant, dest):
        raise AssertionError("not reached")

    async def cancel(self, remote_id):
        pass

    async def remix(self, remote_id, prompt):
        raise VideoError("unsupported", "no")

    async def extend(self, remote_id, prompt, seconds):
        raise VideoError("unsupported", "no")

    async def aclose(self):
        pass

@hookimpl
def register_video_providers(register):
    register("crashing", lambda options: Crashing())
"""


async def test_a_provider_that_raises_in_use_is_reported_and_dropped(make_dist, settings) -> None:
    dist = make_dist(CRASHING_PROVIDER, entry="crasher")
    host = load_host(settings)
    provider = make_provider(host, "crashing")
    # The guard is transparent: attributes and isinstance reach the provider.
    assert isinstance(provider, sys.modules[dist.module].Crashing)
    assert provider.name == "crashing" and provider.capabilities.durations == (4, 8, 12)
    # An error of the service's own kind is normal: the plugin stays.
    with pytest.raises(VideoError, match="refused the prompt"):
        await provider.submit(VideoRequest("polite"))
    assert host.plugins["crasher"].state == PluginState.ENABLED
    # A bug is reported: the plugin is failed and its provider removed.
    with pytest.raises(VideoError, match="broke \\(KeyError: 'missing'\\); Studio switched") as e:
        await provider.submit(VideoRequest("a bug"))
    assert e.value.kind == "failed"
    info = host.plugins["crasher"]
    assert info.state == PluginState.FAILED
    assert info.error.startswith("raised while in use: KeyError: 'missing'")
    assert "crashing" not in [r.name for r in host.registrations("video_providers")]
    assert host.plugins["title-cards"].state == PluginState.ENABLED


async def test_a_provider_bug_fails_the_job_in_the_queue_and_others_carry_on(
    make_dist, settings, studio_project, tmp_path: Path
) -> None:
    make_dist(CRASHING_PROVIDER, entry="crasher")
    host = load_host(settings)
    options = {"title-cards": {"work_dir": str(tmp_path / "cards")}}
    queue = VideoQueue(
        studio_project,
        lambda name: make_provider(host, name, options.get(name)),
        poll=PollPolicy(first=0.05, longest=0.2),
    )
    bad = queue.generate("crashing", "anything")
    good = queue.generate("title-cards", "Still here", seconds=1, size="160x90")
    await asyncio.wait_for(queue.run(), 60)
    await queue.aclose()
    bad, good = studio_project.job(bad.id), studio_project.job(good.id)
    assert bad.status == "failed" and "Studio switched the plugin off" in bad.error
    assert good.status == "completed"
    assert host.plugins["crasher"].state == PluginState.FAILED


async def test_a_provider_made_before_disabling_stops_working(good_plugin, settings, tmp_path):
    host = load_host(settings)
    provider = make_provider(host, "title-cards", {"work_dir": str(tmp_path / "cards")})
    set_plugin_enabled(settings, host, "title-cards", enabled=False)
    with pytest.raises(VideoError, match="is not available: the plugin is disabled") as e:
        await provider.submit(VideoRequest("Too late", seconds=1, size="160x90"))
    assert e.value.kind == "unsupported"
    await provider.aclose()  # clean-up still passes
    with pytest.raises(VideoError, match="no video provider named 'title-cards'"):
        make_provider(host, "title-cards")


def test_a_failing_factory_is_reported(make_dist, settings) -> None:
    make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_video_providers(register):
            register("fragile", lambda options: 1 / 0)
        """,
        entry="fragile",
    )
    host = load_host(settings)
    with pytest.raises(VideoError, match="ZeroDivisionError"):
        make_provider(host, "fragile")
    assert host.plugins["fragile"].state == PluginState.FAILED


def test_a_built_in_object_that_raises_is_only_logged(caplog) -> None:
    host = PluginHost()
    host.load_all(entry_points=False)
    host.report_failure(BUILTIN, RuntimeError("a Studio bug"))
    assert host.plugins[BUILTIN].state == PluginState.ENABLED
    assert "openai" in [r.name for r in host.registrations("video_providers")]
    assert "a Studio bug" in caplog.text


def test_enabling_a_failed_plugin_tries_it_again(make_dist, settings, tmp_path: Path) -> None:
    flag = tmp_path / "fixed"
    make_dist(
        f"""
        from pathlib import Path
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_exporters(register):
            if not Path({str(flag)!r}).exists():
                raise OSError("config missing")
            register("flaky-export", object())
        """,
        entry="flaky",
    )
    host = load_host(settings)
    assert host.plugins["flaky"].state == PluginState.FAILED
    flag.write_text("now")
    host.enable("flaky")
    assert host.plugins["flaky"].state == PluginState.ENABLED
    assert host.owner("exporters", "flaky-export") == "flaky"


def test_the_test_fixture_loads_a_module_as_a_plugin(studio_plugin_host, make_dist) -> None:
    dist = make_dist(
        """
        from studio.plugins import hookimpl
        STUDIO_API = 1

        @hookimpl
        def register_exporters(register):
            register("fixture-export", "an exporter")
        """
    )
    host = studio_plugin_host(dist.module, name="mine")
    assert host.plugins["mine"].state == PluginState.ENABLED
    assert host.owner("exporters", "fixture-export") == "mine"  # (handed out guarded)
    assert host.plugins[BUILTIN].state == PluginState.ENABLED
