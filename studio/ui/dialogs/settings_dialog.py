"""Settings: the code model's providers (tab "Code model") and video services and ffmpeg
(tab "Video", `studio.ui.dialogs.settings_video`).

Code model entries have a base URL, key, model, temperature and limits, and Test connection
(`studio.operations.code_check`: no key, key refused, no such model, cannot reach, works).
The kind of service is asked only when a plugin adds one. Everything but the keys goes to
settings.json; keys go to the keyring (or, where there is none, a private file;
the dialog says which). The model list is asked of the server's `/models` where it answers;
otherwise the name is typed.

Nothing is written before Save: the form of the entry shown is kept in memory when another
is chosen, new keys and forgotten ones wait in `PendingKeys`, a removed entry is removed
(with its key) on Save, and Cancel leaves settings and keys as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ai.chat_provider import DEFAULT_BASE_URL
from studio.ai.code_providers import (
    DEFAULT_MODEL,
    ProviderConfig,
    make_code_provider,
    provider_config,
    provider_configs,
    remove_provider_config,
    save_provider_config,
)
from studio.config import keys
from studio.errors import StudioError
from studio.operations.code_check import check_code_model
from studio.ui.dialogs.connection_test import ConnectionTest
from studio.ui.dialogs.settings_keys import PendingKeys
from studio.ui.dialogs.settings_video import NoteLabel, VideoSettings, key_widgets


class SettingsDialog(QDialog):
    def __init__(self, settings: Any, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.setWindowTitle("Settings")
        self.setMinimumWidth(620)
        self._configs = {c.name: c for c in provider_configs(settings)}
        self._saved_names = set(self._configs)
        self._shown: str | None = None  # the entry the form holds
        self._key_shown = ""  # the key field's text when the entry was shown
        self.pending = PendingKeys()
        self._models_task: asyncio.Task | None = None
        self.saved_keys: dict[str, keys.KeySource] = {}

        self.entry_box = QComboBox()
        self.entry_box.addItems(sorted(self._configs))
        self.entry_box.currentTextChanged.connect(self._show_entry)
        add_btn = QPushButton("Add…")
        add_btn.setToolTip("Another OpenAI-compatible service (a gateway, a local server)")
        add_btn.clicked.connect(self._add_entry)
        self.remove_btn = QPushButton("Remove")
        self.remove_btn.clicked.connect(self._remove_entry)
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry_box, 1)
        entry_row.addWidget(add_btn)
        entry_row.addWidget(self.remove_btn)

        self.type_box = QComboBox()
        for reg in host.registrations("code_providers"):
            self.type_box.addItem(reg.name)
        self.base_url = QLineEdit()
        env_url = os.environ.get("OPENAI_BASE_URL")
        self.base_url.setPlaceholderText(
            f"{env_url} (OPENAI_BASE_URL)" if env_url else DEFAULT_BASE_URL
        )
        self.key, self.forget_btn, key_row = key_widgets(self._forget_key)
        self.key_note = NoteLabel()

        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.lineEdit().setPlaceholderText(DEFAULT_MODEL)
        self.refresh_btn = QPushButton("Fetch list")
        self.refresh_btn.setToolTip("Ask the server which models it has")
        self.refresh_btn.clicked.connect(self.fetch_models)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.refresh_btn)
        self.models_note = QLabel()
        self.models_note.setWordWrap(True)
        self.models_note.setStyleSheet("color: #9da5b4;")

        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(-0.1, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(1)
        self.temperature.setSpecialValueText("the model's default")
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(0, 1_000_000)
        self.max_tokens.setSingleStep(1000)
        self.max_tokens.setSpecialValueText("the model's default")
        self.context_window = QSpinBox()
        self.context_window.setRange(0, 10_000_000)
        self.context_window.setSingleStep(4_096)
        self.context_window.setSuffix(" tokens")
        # 0: Studio asks the server (studio.ai.context_window); a number overrides it.
        self.context_window.setSpecialValueText("ask the server")
        self.vision = QComboBox()  # pictures with a prompt, the AI playtester's screenshots
        for label, value in (
            ("Auto (by the model's name)", "auto"),
            ("Yes: send pictures", "yes"),
            ("No: text only", "no"),
        ):
            self.vision.addItem(label, value)
        self.vision.setToolTip(
            "Whether this model reads pictures: those sent with a prompt (pasted, marked or "
            "picked in the Preview) and the AI playtester's screenshots. Auto goes by the "
            "model's name (for a prompt's pictures, then asks its server)"
        )
        self.tester = ConnectionTest(
            NoteLabel(), "One real request with the address, key and model above"
        )
        self.tester.button.clicked.connect(self.test_connection)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Provider", entry_row)
        form.addRow("Service kind", self.type_box)
        # Only plugins add kinds: with the built-in one alone there is nothing to choose.
        form.setRowVisible(self.type_box, self.type_box.count() > 1)
        form.addRow("Base URL", self.base_url)
        form.addRow("API key", key_row)
        form.addRow(self.key_note)
        form.addRow("Model", model_row)
        form.addRow(self.models_note)
        form.addRow("Temperature", self.temperature)
        form.addRow("Max output tokens", self.max_tokens)
        form.addRow("Context window", self.context_window)
        form.addRow("Reads images", self.vision)
        form.addRow(self.tester)

        code_tab = QWidget()
        code_layout = QVBoxLayout(code_tab)
        code_layout.addLayout(form)
        code_layout.addStretch(1)
        self.video = VideoSettings(settings, host, self.pending, lambda n: n in self._configs)
        self.tabs = QTabWidget()
        self.tabs.addTab(code_tab, "Code model")
        self.tabs.addTab(self.video, "Video")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e06c75;")
        self.problem.hide()

        self.buttons = buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.pending.on_read.append(self._update_key_note)
        current = provider_config(settings).name
        self.entry_box.setCurrentText(current)
        self._show_entry(current)

    # -- entries ------------------------------------------------------------------------

    def _keep_form(self) -> None:
        """Keep what the form shows for the entry it holds (before showing another)."""
        if self._shown in self._configs:
            self._configs[self._shown] = self.current_config()
            self.pending.take(self._shown, self.key.text(), self._key_shown)

    def _tab_changed(self) -> None:
        # A key name can belong to both tabs ("openai"): show each the other's changes.
        self._keep_form()
        self.video.sync()
        if self._shown is not None:
            self._show_entry(self._shown, keep=False)
        self.video.reload()

    def _show_entry(self, name: str, *, keep: bool = True) -> None:
        config = self._configs.get(name)
        if config is None:
            return
        if keep:
            self._keep_form()
        self._shown = name
        self.type_box.setCurrentText(config.type)
        self.base_url.setText(config.base_url)
        self._key_shown = self.pending.typed(name)
        self.key.setText(self._key_shown)
        self.model.clear()
        self.model.setEditText(config.model)
        self.temperature.setValue(-0.1 if config.temperature is None else config.temperature)
        self.max_tokens.setValue(config.max_tokens or 0)
        self.context_window.setValue(config.context_window or 0)
        self.vision.setCurrentIndex(max(0, self.vision.findData(config.vision)))
        self.remove_btn.setEnabled(name != "openai")
        self.models_note.setText("")
        self.tester.show_entry(name)
        self._update_key_note()

    def _update_key_note(self) -> None:
        text, can_forget = self.pending.note(self._shown or "")
        self.key_note.setText(text)
        self.forget_btn.setEnabled(can_forget)
        self.adjustSize()

    def _add_entry(self) -> None:
        name, ok = QInputDialog.getText(self, "Add a provider", "Name (e.g. local, gateway):")
        if ok:
            self.add_entry(name)

    def add_entry(self, name: str) -> None:
        """A new entry named `name` (or the one of that name), shown in the form."""
        name = name.strip()
        if not name:
            return
        if name not in self._configs:
            self._configs[name] = ProviderConfig(name=name)
            self.entry_box.addItem(name)
        self.entry_box.setCurrentText(name)

    def _remove_entry(self) -> None:
        """Take the entry out of the form; settings and its key go on Save."""
        name = self.entry_box.currentText()
        if name == "openai":
            return
        self._configs.pop(name, None)
        self.pending.forget(name)  # an entry added again under this name starts keyless
        self._shown = None
        self.entry_box.removeItem(self.entry_box.currentIndex())

    def _forget_key(self) -> None:
        self.key.clear()
        self._key_shown = ""
        self.pending.forget(self._shown or "")
        self._update_key_note()

    def current_config(self) -> ProviderConfig:
        """The entry as the form shows it now."""
        name = self._shown or self.entry_box.currentText()
        temperature = self.temperature.value()
        return ProviderConfig(
            name=name,
            type=self.type_box.currentText() or "openai",
            base_url=self.base_url.text().strip(),
            model=self.model.currentText().strip(),
            temperature=None if temperature < 0 else round(temperature, 2),
            max_tokens=self.max_tokens.value() or None,
            context_window=self.context_window.value() or None,
            timeout=self._configs.get(name, ProviderConfig()).timeout,
            vision=self.vision.currentData() or "auto",
        )

    def test_connection(self):
        """Test the entry as the form shows it now (the key typed too), on a worker thread."""
        name, config = self._shown, self.current_config()
        if name is None:
            return None
        typed = self.key.text().strip() or None
        return self.tester.start(name, lambda: check_code_model(self.host, config, api_key=typed))

    # -- models -------------------------------------------------------------------------

    def fetch_models(self) -> asyncio.Task | None:
        """Ask the server for its models (in the background); the name stays free text."""
        if self._models_task is not None and not self._models_task.done():
            return self._models_task
        self.refresh_btn.setEnabled(False)
        self.models_note.setText("Asking the server for its models…")
        self._models_task = asyncio.ensure_future(self._fetch(self.current_config()))
        return self._models_task

    async def _fetch(self, config: ProviderConfig) -> None:
        typed = self.key.text().strip() or None
        provider = None
        try:
            quick = dataclasses.replace(config, timeout=15.0)
            provider = await asyncio.to_thread(  # the stored key is read off the GUI thread
                lambda: make_code_provider(self.host, quick, api_key=typed)
            )
            models = await provider.list_models()
        except StudioError as exc:  # GenerationError is not one: caught below
            self.models_note.setText(f"{exc} Type the model's name.")
            return
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            self.models_note.setText(
                f"The server did not list its models ({message}). Type the model's name."
            )
            return
        finally:
            self.refresh_btn.setEnabled(True)
            if provider is not None and hasattr(provider, "aclose"):
                with contextlib.suppress(Exception):
                    await provider.aclose()
        if self._shown != config.name:  # the person moved on to another entry meanwhile
            return
        keep = self.model.currentText()
        self.model.clear()
        self.model.addItems(models)
        self.model.setEditText(keep or (models[0] if models else ""))
        self.models_note.setText(
            f"{len(models)} models from the server." if models else "The server lists no models."
        )
        self.adjustSize()

    # -- saving -------------------------------------------------------------------------

    def accept(self) -> None:
        """Save every entry, removal and key of both tabs, once the form is valid. A new
        ffmpeg path is first run with `-version` (in the background): Save waits for it."""
        self._keep_form()
        self.problem.hide()
        problem = self.video.problem()
        if problem is None and self.video.ffmpeg_unchecked():
            check = self.video.check_ffmpeg()
            check.add_done_callback(self._ffmpeg_checked)
            return
        if problem is not None:
            self.tabs.setCurrentWidget(self.video)
            self.problem.setText(problem)
            self.problem.show()
            return
        for name in self._saved_names - set(self._configs):
            # Its stored key is forgotten with the other keys (Remove marked it so).
            remove_provider_config(self.settings, name, forget_key=False)
        for config in self._configs.values():
            save_provider_config(self.settings, config, current=False)
        self.settings.set("code_provider", self._shown or "openai")
        self.video.save()
        self._write_keys()

    def _write_keys(self) -> None:
        """Store and forget the keys on a worker thread (a keyring may take a while); the
        dialog closes once they are written."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop, so no GUI to hold: at once
            self._keys_written(self.pending.write())
            return
        self.buttons.setEnabled(False)
        writing = loop.run_in_executor(None, self.pending.write)
        writing.add_done_callback(self._keys_done)

    def _keys_done(self, writing: asyncio.Future) -> None:
        self.buttons.setEnabled(True)
        if writing.exception() is not None:
            self.problem.setText(f"The keys could not be stored: {writing.exception()}")
            self.problem.show()
            return
        self._keys_written(writing.result())

    def _keys_written(self, where: dict[str, keys.KeySource]) -> None:
        self.saved_keys = where
        self.key.clear()
        super().accept()

    def _ffmpeg_checked(self, task: asyncio.Task) -> None:
        if task.cancelled():  # the dialog closed, or another path is being checked
            return
        if self.video.ffmpeg_unchecked():  # it failed: the Video tab says why
            self.tabs.setCurrentWidget(self.video)
            return
        self.accept()

    def done(self, result: int) -> None:  # noqa: D102 - stop background work left running
        if self._models_task is not None and not self._models_task.done():
            self._models_task.cancel()
        self.pending.stop()
        self.video.stop()
        self.tester.stop()
        super().done(result)
