"""The Settings dialog: every entry's edits and keys saved together on Save, nothing on
Cancel; the video service (base URL, model, key) and the ffmpeg program."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from studio.ai.code_providers import ProviderConfig, provider_config, save_provider_config
from studio.ai.video_provider import VideoRequest, make_provider, provider_options
from studio.config import keys
from studio.config.settings import Settings
from studio.media.ffmpeg import ENV_VAR, SETTING, ffmpeg_path
from studio.plugins.host import PluginHost
from studio.ui.dialogs.settings_dialog import SettingsDialog
from tests.ai.video_server import VideoServer, server_clip
from tests.qt_asyncio import wait_for

# The package warns that OpenAI's own Sora models are retired; gateways keep the API.
pytestmark = [
    pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning"),
    pytest.mark.usefixtures("no_keyring"),
]

VIDEO_KEY = "sk-video-SECRET-5d1e"


@pytest.fixture
def settings(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """settings.json in the test's own folder, where the ffmpeg lookup reads it too."""
    monkeypatch.delenv(ENV_VAR, raising=False)  # it would win over the setting
    return Settings()


@pytest.fixture
def dialog(qtbot, settings: Settings, host: PluginHost) -> SettingsDialog:
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    return dialog


def stored_local(settings: Settings) -> None:
    """An entry "local" with a key, as an earlier session saved it."""
    save_provider_config(settings, ProviderConfig("local", base_url="http://127.0.0.1:1/v1"))
    keys.set_api_key("local", "sk-local-old")
    keys.set_api_key("openai", "sk-openai-old")


def choose(dialog: SettingsDialog, name: str) -> None:
    dialog.entry_box.setCurrentText(name)
    assert dialog.base_url.text() == dialog._configs[name].base_url


# -- code model entries -------------------------------------------------------------------


def test_edits_of_every_entry_and_their_keys_are_saved_together(
    dialog: SettingsDialog, settings: Settings
) -> None:
    dialog.add_entry("local")
    assert dialog.entry_box.currentText() == "local" and dialog.base_url.text() == ""
    dialog.base_url.setText("http://127.0.0.1:8080/v1")
    dialog.model.setEditText("llama-3")
    dialog.key.setText("sk-local-new")
    choose(dialog, "openai")
    assert dialog.key.text() == ""
    dialog.model.setEditText("gpt-test")
    dialog.key.setText("sk-openai-new")
    choose(dialog, "local")  # the form comes back as it was left, the typed key too
    assert dialog.model.currentText() == "llama-3" and dialog.key.text() == "sk-local-new"
    assert "stored when you press Save" in dialog.key_note.text()
    assert not settings.path.exists() and keys.get_api_key("local") is None  # nothing yet
    choose(dialog, "openai")
    dialog.accept()

    assert dialog.result() == QDialog.DialogCode.Accepted
    local = provider_config(settings, "local")
    assert (local.base_url, local.model) == ("http://127.0.0.1:8080/v1", "llama-3")
    assert provider_config(settings, "openai").model == "gpt-test"
    assert settings.get("code_provider") == "openai"  # the entry shown on Save
    assert keys.get_api_key("local") == "sk-local-new"
    assert keys.get_api_key("openai") == "sk-openai-new"
    assert dialog.saved_keys == {"local": "file", "openai": "file"}
    text = settings.path.read_text()
    assert "sk-local-new" not in text and "sk-openai-new" not in text


def test_cancel_keeps_settings_and_keys_as_they_were(
    qtbot, settings: Settings, host: PluginHost
) -> None:
    stored_local(settings)
    before = settings.path.read_bytes()
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    choose(dialog, "local")
    dialog.base_url.setText("http://127.0.0.1:2/v1")
    dialog._remove_entry()
    assert dialog.entry_box.findText("local") == -1
    assert settings.path.read_bytes() == before  # removal waits for Save
    assert keys.get_api_key("local") == "sk-local-old"
    dialog._forget_key()  # the openai entry is shown now
    assert "forgotten when you press Save" in dialog.key_note.text()
    dialog.add_entry("gateway")
    dialog.key.setText("sk-gateway")
    dialog.reject()

    assert settings.path.read_bytes() == before
    assert Settings().get("code_providers") == settings.get("code_providers")
    assert keys.get_api_key("local") == "sk-local-old"
    assert keys.get_api_key("openai") == "sk-openai-old"
    assert keys.get_api_key("gateway") is None


def test_removals_and_forgotten_keys_take_effect_on_save(
    qtbot, settings: Settings, host: PluginHost
) -> None:
    stored_local(settings)
    keys.set_api_key("gone", "sk-gone")
    save_provider_config(settings, ProviderConfig("gone", model="m"), current=True)
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    assert dialog.entry_box.currentText() == "gone"
    dialog._remove_entry()
    choose(dialog, "local")
    dialog._remove_entry()
    dialog.add_entry("local")  # the same name again: a new entry, without the old key
    assert dialog.base_url.text() == "" and dialog.key.text() == ""
    assert "stored key is forgotten when you press Save" in dialog.key_note.text()
    choose(dialog, "openai")
    dialog._forget_key()
    dialog.accept()

    names = set(settings.get("code_providers"))
    assert names == {"openai", "local"}
    assert provider_config(settings, "local").base_url == ""
    assert settings.get("code_provider") == "openai"
    for name in ("gone", "local", "openai"):
        assert keys.get_api_key(name) is None, name


# -- video ---------------------------------------------------------------------------------


@pytest.fixture
def video_server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=VIDEO_KEY) as server:
        yield server


def test_the_video_service_is_set_up_here_and_the_provider_uses_it(
    qloop, qtbot, settings: Settings, host: PluginHost, video_server: VideoServer
) -> None:
    sizes = ["1280x720", "720x1280"]
    settings.set("video_providers", {"openai": {"sizes": sizes, "base_url": "http://old:1/v1"}})
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    video = dialog.video
    dialog.tabs.setCurrentWidget(video)
    # Every video provider has its row, installed service plugins (Veo, ...) too; each
    # shows the name people know it by.
    names = [video.provider_box.itemData(i) for i in range(video.provider_box.count())]
    assert {"openai", "title-cards"} <= set(names)
    video.choose("openai")
    assert video.provider_box.currentText() == "OpenAI-compatible /v1/videos (gateways)"
    assert video.base_url.text() == "http://old:1/v1"
    video.base_url.setText(video_server.base_url)
    video.model.setEditText("gateway-video-1")
    video.key.setText(VIDEO_KEY)
    assert "Code model entry 'openai' uses the same key" in video.key_note.text()
    dialog.tabs.setCurrentIndex(0)  # the code tab shows the key the video tab typed
    assert dialog.entry_box.currentText() == "openai" and dialog.key.text() == VIDEO_KEY
    dialog.accept()

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings.get("video_providers") == {
        "openai": {"sizes": sizes, "base_url": video_server.base_url, "model": "gateway-video-1"}
    }
    assert keys.get_api_key("openai") == VIDEO_KEY
    assert VIDEO_KEY not in settings.path.read_text()

    options = provider_options(Settings(), "openai")
    provider = make_provider(host, "openai", options)
    try:
        remote_id = wait_for(provider.submit(VideoRequest("a fox", seconds=4, size="1280x720")))
        status = wait_for(provider.poll(remote_id))
    finally:
        wait_for(provider.aclose())
    assert status.status in ("in_progress", "completed")
    create = video_server.calls("POST")[0]
    assert create.headers["authorization"] == f"Bearer {VIDEO_KEY}"
    assert create.fields["model"] == "gateway-video-1"


def test_clearing_the_video_fields_keeps_the_other_options(
    qtbot, settings: Settings, host: PluginHost
) -> None:
    settings.set("video_providers", {"openai": {"base_url": "http://a:1/v1", "timeout": 5}})
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    dialog.video.base_url.clear()
    dialog.accept()
    assert settings.get("video_providers") == {"openai": {"timeout": 5}}


def test_a_bad_video_base_url_is_refused_and_nothing_is_saved(
    dialog: SettingsDialog, settings: Settings
) -> None:
    dialog.video.base_url.setText("127.0.0.1:8000/v1")
    dialog.video.key.setText(VIDEO_KEY)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.tabs.currentWidget() is dialog.video
    assert not dialog.problem.isHidden()
    assert "must start with http:// or https://" in dialog.problem.text()
    assert "'127.0.0.1:8000/v1'" in dialog.problem.text()
    assert dialog.video.base_url.text() == "127.0.0.1:8000/v1"  # kept for correcting
    assert not settings.path.exists() and keys.get_api_key("openai") is None
    dialog.video.base_url.setText("http://127.0.0.1:8000/v1")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert keys.get_api_key("openai") == VIDEO_KEY


# -- ffmpeg --------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts and symlinks")
def test_a_new_ffmpeg_must_run_before_it_is_saved(
    qloop, qtbot, dialog: SettingsDialog, settings: Settings, tmp_path: Path
) -> None:
    default = ffmpeg_path()
    fake = tmp_path / "not-ffmpeg"
    fake.write_text("#!/bin/sh\necho 'hello from a script'\n")
    fake.chmod(0o755)
    video = dialog.video
    video.ffmpeg.setText(str(fake))
    dialog.accept()
    wait_for(video._ffmpeg_check[1])
    qtbot.wait(50)  # the check's done callback
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.tabs.currentWidget() is video
    assert video.ffmpeg_note.text() == (
        f"{fake} does not seem to be ffmpeg: `-version` answered 'hello from a script'. "
        "Studio keeps using the ffmpeg it had."
    )
    assert settings.get(SETTING) is None and ffmpeg_path() == default

    link = tmp_path / "my-ffmpeg"
    link.symlink_to(default)
    video.ffmpeg.setText(str(link))
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert video.ffmpeg_note.text().startswith("It works: ffmpeg version ")
    assert settings.get(SETTING) == str(link)
    assert ffmpeg_path() == str(link)  # the media layer uses it from now on


def test_clearing_the_ffmpeg_path_goes_back_to_the_bundled_one(
    qtbot, settings: Settings, host: PluginHost
) -> None:
    default = ffmpeg_path()
    settings.set(SETTING, "/nowhere/ffmpeg")
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    assert dialog.video.ffmpeg.text() == "/nowhere/ffmpeg"
    dialog.video.ffmpeg.clear()
    dialog.accept()  # nothing to check: saved at once
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings.get(SETTING) == "" and ffmpeg_path() == default


def test_the_video_service_menu_opens_the_video_tab_and_save_reaches_the_video_pane(
    make_window, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    rebuilt: list[bool] = []
    monkeypatch.setattr(window.video, "_providers_refilled", lambda: rebuilt.append(True))
    shown: list[bool] = []

    def save() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        shown.append(dialog.tabs.currentWidget() is dialog.video)
        dialog.accept()

    QTimer.singleShot(300, save)
    window.video_service_action.trigger()
    assert shown == [True]
    assert rebuilt == [True]  # the pane builds its providers from the saved settings
