"""Settings › Video for every video service: its key, its base URL when it has one, Test
connection on a worker thread against a real local server (works, key refused, cannot
reach, cannot test), and the price table (yours win, saved, used by estimates)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from studio.ai.video_cost import price_overrides
from studio.ai.video_provider import VideoPrice
from studio.config.settings import Settings
from studio.plugins.host import PluginHost
from studio.ui.dialogs.settings_dialog import SettingsDialog
from tests.ai.video_server import VideoServer, server_clip

pytestmark = pytest.mark.usefixtures("no_keyring")

KEY = "sk-test-settings-SECRET-61fe"


@pytest.fixture
def settings(config_dir: Path) -> Settings:
    return Settings()


@pytest.fixture
def server() -> Iterator[VideoServer]:
    with VideoServer(server_clip(), api_key=KEY) as server:
        yield server


@pytest.fixture
def dialog(qtbot, settings: Settings, host: PluginHost) -> SettingsDialog:
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentWidget(dialog.video)
    return dialog


def outcome_of(qtbot, dialog: SettingsDialog) -> str:
    video = dialog.video
    job = video.test_connection()
    assert job is not None and video.test_note.text() == "Testing…"
    assert not video.test_button.isEnabled()
    qtbot.waitUntil(lambda: video.test_button.isEnabled(), timeout=20_000)
    assert job.thread is not None and job.thread is not threading.current_thread()
    return video.test_note.text()


def test_test_connection_says_in_one_line_how_it_went(
    qtbot, dialog: SettingsDialog, server: VideoServer
) -> None:
    video = dialog.video
    video.choose("openai")
    assert video.form.isRowVisible(video.base_url)
    video.base_url.setText(server.base_url)
    video.key.setText(KEY)  # typed, not saved yet: the test uses it
    assert outcome_of(qtbot, dialog).startswith("Works")
    assert server.calls("GET")[-1].headers["authorization"] == f"Bearer {KEY}"

    video.key.setText("sk-wrong")
    line = outcome_of(qtbot, dialog)
    assert line.startswith("Key refused: ") and "sk-wrong" not in line

    video.base_url.setText("http://127.0.0.1:9/v1")
    assert outcome_of(qtbot, dialog).startswith("Cannot reach the service: ")

    # A provider without check(): said so; a local one has no base URL to set.
    video.choose("title-cards")
    assert not video.form.isRowVisible(video.base_url)
    assert video.test_note.text() == ""  # each provider shows its own last answer
    assert "cannot test its connection" in outcome_of(qtbot, dialog)
    video.choose("openai")
    assert video.test_note.text().startswith("Cannot reach")
    dialog.reject()


def test_the_persons_prices_are_saved_and_used(
    qtbot, dialog: SettingsDialog, settings: Settings
) -> None:
    table = dialog.video.prices
    rows = {(r.provider, r.model): i for i, r in enumerate(table.rows)}
    assert {("openai", "sora-2"), ("openai", "sora-2-pro"), ("title-cards", "intro")} <= set(rows)
    sora = rows[("openai", "sora-2")]
    assert table.item(sora, 2).text() == "$0.10/s"
    table.item(sora, 3).setText("abc")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert "openai sora-2: the price a second must be a number of dollars" in dialog.problem.text()

    table.item(sora, 3).setText("0.07")
    table.item(sora, 5).setText("$0.5")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert settings.get("video_prices") == {
        "openai": {"sora-2": {"per_second": 0.07, "per_clip": 0.5}}
    }
    assert price_overrides(Settings())["openai"]["sora-2"] == VideoPrice(0.07, 0.5)


def test_the_table_shows_the_prices_saved_before(
    qtbot, settings: Settings, host: PluginHost
) -> None:
    settings.set("video_prices", {"openai": {"gateway-video": {"per_second": 0.2}}})
    dialog = SettingsDialog(settings, host)
    qtbot.addWidget(dialog)
    table = dialog.video.prices
    (row,) = [i for i, r in enumerate(table.rows) if r.model == "gateway-video"]
    assert table.item(row, 3).text() == "0.2" and table.item(row, 2).text() == "unknown"
    table.item(row, 3).setText("")  # emptied: the built-in price again (none here)
    dialog.accept()
    assert settings.get("video_prices") == {}
