"""The Settings dialog reads and writes API keys on worker threads (issue 18): a system
keyring may take a second to answer, or wait for the person to unlock it, and the GUI must
not wait with it. A keyring backend of the test's own records the thread of every call."""

from __future__ import annotations

import threading
import time

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtWidgets import QDialog

from studio.config import keys
from studio.config.settings import Settings
from studio.ui.dialogs.settings_dialog import SettingsDialog


class SlowKeyring(KeyringBackend):
    """A keyring in memory that takes its time and notes which thread asked."""

    priority = 10

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.threads: list[tuple[str, int]] = []

    def _call(self, what: str) -> None:
        self.threads.append((what, threading.get_ident()))
        time.sleep(0.2)

    def get_password(self, service: str, username: str) -> str | None:
        self._call("get")
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._call("set")
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._call("delete")
        self.store.pop((service, username), None)


@pytest.fixture
def slow_keyring():
    before = keyring.get_keyring()
    backend = SlowKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_keys_are_read_and_written_off_the_gui_thread(qtbot, qloop, config_dir, host, slow_keyring):
    slow_keyring.store[(keys.SERVICE, "openai")] = "sk-old-key"
    dialog = SettingsDialog(Settings(), host)
    qtbot.addWidget(dialog)
    assert "Looking for a stored key" in dialog.key_note.text()  # not read on this thread
    qtbot.waitUntil(lambda: "system keyring" in dialog.key_note.text(), timeout=10_000)
    assert dialog.forget_btn.isEnabled()

    dialog.key.setText("sk-new-key")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted  # still writing, the GUI free
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert slow_keyring.store[(keys.SERVICE, "openai")] == "sk-new-key"
    assert dialog.saved_keys == {"openai": "keyring"}

    calls = {what for what, _ in slow_keyring.threads}
    assert {"get", "set"} <= calls
    gui = threading.main_thread().ident
    assert [what for what, thread in slow_keyring.threads if thread == gui] == []
