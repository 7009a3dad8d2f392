"""Settings › Code model: providers with base URL, key, model, temperature and limits.

Everything but the key goes to settings.json; the key goes to the keyring (or, where there
is none, a private file; the dialog says which). The model list is asked of the server's
`/models` where it answers; otherwise the name is typed.
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
    QVBoxLayout,
    QWidget,
)

from studio.ai import keys
from studio.ai.chat_provider import DEFAULT_BASE_URL
from studio.core.errors import StudioError
from studio.core.generation import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_MODEL,
    ProviderConfig,
    make_code_provider,
    provider_config,
    provider_configs,
    remove_provider_config,
    save_provider_config,
)

KEY_WORDS = {
    "keyring": "A key is stored in the system keyring.",
    "file": "A key is stored in Studio's private key file.",
    "env": "No key stored: OPENAI_API_KEY from the environment is used.",
    "none": "No key stored (a local server may need none).",
}


class SettingsDialog(QDialog):
    def __init__(self, settings: Any, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.setWindowTitle("Settings › Code model")
        self.setMinimumWidth(620)
        self._configs = {c.name: c for c in provider_configs(settings)}
        self._models_task: asyncio.Task | None = None
        self._forget = False

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
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("paste a new key to store it")
        self.forget_btn = QPushButton("Forget key")
        self.forget_btn.clicked.connect(self._forget_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.forget_btn)
        self.key_note = QLabel()
        self.key_note.setWordWrap(True)
        self.key_note.setStyleSheet("color: #9da5b4;")

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
        self.context_window.setRange(2_000, 10_000_000)
        self.context_window.setSingleStep(8_000)
        self.context_window.setSuffix(" tokens")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Provider", entry_row)
        form.addRow("Kind", self.type_box)
        form.addRow("Base URL", self.base_url)
        form.addRow("API key", key_row)
        form.addRow(self.key_note)
        form.addRow("Model", model_row)
        form.addRow(self.models_note)
        form.addRow("Temperature", self.temperature)
        form.addRow("Max output tokens", self.max_tokens)
        form.addRow("Context window", self.context_window)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        current = provider_config(settings).name
        self.entry_box.setCurrentText(current)
        self._show_entry(current)

    # -- entries ------------------------------------------------------------------------

    def _show_entry(self, name: str) -> None:
        config = self._configs.get(name)
        if config is None:
            return
        self._forget = False
        self.type_box.setCurrentText(config.type)
        self.base_url.setText(config.base_url)
        self.key.clear()
        self.model.clear()
        self.model.setEditText(config.model)
        self.temperature.setValue(-0.1 if config.temperature is None else config.temperature)
        self.max_tokens.setValue(config.max_tokens or 0)
        self.context_window.setValue(config.context_window or DEFAULT_CONTEXT_WINDOW)
        self.remove_btn.setEnabled(name != "openai")
        self.models_note.setText("")
        self._update_key_note()

    def _update_key_note(self) -> None:
        name = self.entry_box.currentText()
        source = "none" if self._forget else keys.key_source(name)
        text = KEY_WORDS[source]
        problem = keys.keyring_problem()
        if problem and source != "keyring":
            text += (
                f"\n{problem[0].upper()}{problem[1:]}: a key entered here is kept in "
                f"{keys.key_file()}, readable only by you."
            )
        self.key_note.setText(text)
        self.forget_btn.setEnabled(source in ("keyring", "file"))
        self.adjustSize()

    def _add_entry(self) -> None:
        name, ok = QInputDialog.getText(self, "Add a provider", "Name (e.g. local, gateway):")
        name = name.strip()
        if not ok or not name:
            return
        if name not in self._configs:
            self._configs[name] = ProviderConfig(name=name)
            self.entry_box.addItem(name)
        self.entry_box.setCurrentText(name)

    def _remove_entry(self) -> None:
        name = self.entry_box.currentText()
        if name == "openai":
            return
        remove_provider_config(self.settings, name)
        self._configs.pop(name, None)
        self.entry_box.removeItem(self.entry_box.currentIndex())

    def _forget_key(self) -> None:
        self._forget = True
        self.key.clear()
        self._update_key_note()

    def current_config(self) -> ProviderConfig:
        """The entry as the form shows it now."""
        name = self.entry_box.currentText()
        temperature = self.temperature.value()
        return ProviderConfig(
            name=name,
            type=self.type_box.currentText() or "openai",
            base_url=self.base_url.text().strip(),
            model=self.model.currentText().strip(),
            temperature=None if temperature < 0 else round(temperature, 2),
            max_tokens=self.max_tokens.value() or None,
            context_window=self.context_window.value(),
            timeout=self._configs.get(name, ProviderConfig()).timeout,
        )

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
            provider = make_code_provider(
                self.host, dataclasses.replace(config, timeout=15.0), api_key=typed
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
        config = self.current_config()
        save_provider_config(self.settings, config, current=True)
        typed = self.key.text().strip()
        if typed:
            where = keys.set_api_key(config.name, typed)
            self.key.clear()
            self.saved_key_to = where
        elif self._forget:
            keys.delete_api_key(config.name)
        super().accept()

    def done(self, result: int) -> None:  # noqa: D102 - stop a model fetch left running
        if self._models_task is not None and not self._models_task.done():
            self._models_task.cancel()
        super().done(result)
