"""Settings › Video: every video service (its base URL when it has one, default model, key,
and Test connection), the price table, and the ffmpeg binary.

A video provider's options are settings.json's `video_providers.<name>` (what the Video pane
and `studio video` read); only `base_url` and `model` are edited here, other options (sizes,
timeouts, `key_name`...) are kept as they are. The key is stored under the name the provider
reads (`key_name`, else the provider's name), through the dialog's `PendingKeys`.

Test connection makes the provider from what the form shows now (the typed key and base URL
too) and runs its `check()` on a worker thread (`studio.ai.service_check`): the line under
the button says works, key refused, no credit, cannot reach, gone, or that this provider
cannot test. Prices: `studio.ui.dialogs.settings_prices`. The ffmpeg path is the
`ffmpeg_path` setting; a new one must answer `-version` before it is saved.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ai.service_check import CheckResult, check_connection
from studio.ai.video_provider import label_of, make_provider
from studio.media.errors import MediaError
from studio.media.ffmpeg import ENV_VAR, SETTING, ffmpeg_version
from studio.ui.dialogs.settings_keys import PendingKeys
from studio.ui.dialogs.settings_prices import PriceTable
from studio.ui.widgets.background import ThreadJob

EDITED = ("base_url", "model")  # the options this tab edits; the others are kept
DEFAULT = "openai"  # the provider shown first


_VERDICT_COLOURS = {"works": "#98c379", "cannot_test": "#9da5b4"}


def video_services(host: Any, stored: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every registered video provider, by name: the provider each makes with its stored
    options but no base URL (its default address, for a provider that has one). Making one
    is quick and does no I/O (the provider contract)."""
    services = {}
    for reg in host.registrations("video_providers"):
        options = {k: v for k, v in stored.get(reg.name, {}).items() if k != "base_url"}
        try:
            services[reg.name] = make_provider(host, reg.name, options)
        except Exception:  # a broken plugin must not keep Settings from opening
            continue
    return services


async def _check_and_close(provider: Any) -> CheckResult:
    try:
        return await check_connection(provider)
    finally:
        await provider.aclose()


class VideoSettings(QWidget):
    def __init__(
        self,
        settings: Any,
        host: Any,
        pending: PendingKeys,
        shares_key: Callable[[str], bool],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.pending = pending
        self._shares_key = shares_key
        stored = settings.get("video_providers")
        stored = {
            str(name): dict(options)
            for name, options in (stored.items() if isinstance(stored, dict) else ())
            if isinstance(options, dict)
        }
        self._services = video_services(host, stored)
        self._options = {name: stored.get(name, {}) for name in self._services}
        self._shown: str | None = None
        self._key_shown = ""  # the key field's text when the provider was shown
        self._stored_ffmpeg = str(settings.get(SETTING) or "").strip()
        self._ffmpeg_ok: set[str] = set()
        self._ffmpeg_check: tuple[str, asyncio.Task] | None = None  # (path, its check)
        self._tests: dict[str, ThreadJob] = {}  # Test connection running, by provider
        self._tested: dict[str, CheckResult] = {}  # the last answer, by provider

        self.provider_box = QComboBox()
        for name in sorted(self._services):
            self.provider_box.addItem(label_of(self._services[name], name), name)
        self.provider_box.currentIndexChanged.connect(
            lambda _i: self._show_provider(self.provider_box.currentData())
        )
        self.base_url = QLineEdit()
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.lineEdit().setPlaceholderText("the service's default")
        self.key, self.forget_btn, key_row = key_widgets(self._forget_key)
        self.key_note = NoteLabel()
        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip("One cheap call with the key and address above")
        self.test_button.clicked.connect(self.test_connection)
        self.test_note = NoteLabel()
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_note, 1)

        services = QGroupBox("Video service")
        self.form = form = QFormLayout(services)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Provider", self.provider_box)
        form.addRow("Base URL", self.base_url)
        form.addRow("Default model", self.model)
        form.addRow("API key", key_row)
        form.addRow(self.key_note)
        form.addRow(test_row)
        if not self._services:
            form.addRow(NoteLabel("No video provider is installed."))
            for widget in (self.base_url, self.model, self.key, self.forget_btn, self.test_button):
                widget.setEnabled(False)

        self.prices = PriceTable(host, settings)
        prices_box = QGroupBox("Prices (US$; yours win over the built-in ones)")
        QVBoxLayout(prices_box).addWidget(self.prices)

        self.ffmpeg = QLineEdit(self._stored_ffmpeg)
        self.ffmpeg.setPlaceholderText("the ffmpeg that comes with Studio (imageio-ffmpeg)")
        self.ffmpeg.editingFinished.connect(self._ffmpeg_edited)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        ffmpeg_row = QHBoxLayout()
        ffmpeg_row.addWidget(self.ffmpeg, 1)
        ffmpeg_row.addWidget(browse)
        self.ffmpeg_note = NoteLabel()
        from_env = os.environ.get(ENV_VAR, "").strip()
        if from_env:
            self.ffmpeg_note.setText(f"{ENV_VAR} is set ({from_env}): it is used instead.")
        ffmpeg_box = QGroupBox("ffmpeg")
        ffmpeg_form = QFormLayout(ffmpeg_box)
        ffmpeg_form.addRow("Program", ffmpeg_row)
        ffmpeg_form.addRow(self.ffmpeg_note)

        layout = QVBoxLayout(self)
        layout.addWidget(services)
        layout.addWidget(prices_box, 1)
        layout.addWidget(ffmpeg_box)
        if self._services:
            # The built-in provider first, as the Video pane chooses it; plugins' providers
            # may sort before it by name.
            self.provider_box.blockSignals(True)
            self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(DEFAULT)))
            self.provider_box.blockSignals(False)
            self._show_provider(self.provider_box.currentData())

    # -- video services ----------------------------------------------------------------

    def key_name(self, name: str) -> str:
        """The key store's name for provider `name`'s key (what the provider reads)."""
        return str(self._options.get(name, {}).get("key_name") or name)

    def problem(self) -> str | None:
        """What keeps the form from being saved, in words for the person (None: nothing)."""
        self.sync()
        for name, options in sorted(self._options.items()):
            url = options.get("base_url") or ""
            parts = urlsplit(url)
            if url and (parts.scheme not in ("http", "https") or not parts.hostname):
                return (
                    f"The base URL of {name!r} must start with http:// or https:// and name "
                    f"a host (for example http://127.0.0.1:8000/v1), not {url!r}."
                )
        return self.prices.problem()

    def sync(self) -> None:
        """Keep what the form shows for the provider shown (Save or another provider)."""
        name = self._shown
        if name is None:
            return
        options = self._options[name]
        options["base_url"] = self.base_url.text().strip()
        options["model"] = self.model.currentText().strip()
        self.pending.take(self.key_name(name), self.key.text(), self._key_shown)

    def reload(self) -> None:
        """Show the provider shown again (the other tab may have changed its key)."""
        if self._shown is not None:
            self._show_provider(self._shown, keep=False)

    def choose(self, name: str) -> None:
        """Show the provider registered as `name`."""
        index = self.provider_box.findData(name)
        if index >= 0:
            self.provider_box.setCurrentIndex(index)

    def _show_provider(self, name: str, *, keep: bool = True) -> None:
        if keep:
            self.sync()
        self._shown = name
        options = self._options[name]
        provider = self._services[name]
        default_url = getattr(provider, "base_url", None)
        has_url = isinstance(default_url, str)
        self.form.setRowVisible(self.base_url, has_url)
        self.base_url.setText(str(options.get("base_url") or "") if has_url else "")
        self.base_url.setPlaceholderText(default_url if has_url else "")
        self.model.clear()
        models = getattr(getattr(provider, "capabilities", None), "models", ()) or ()
        self.model.addItems(list(models))
        self.model.setEditText(str(options.get("model") or ""))
        self._key_shown = self.pending.typed(self.key_name(name))
        self.key.setText(self._key_shown)
        self._update_key_note()
        self._show_test(name)

    # -- Test connection ---------------------------------------------------------------

    def test_connection(self) -> ThreadJob | None:
        """Check the service shown with what the form says now, on a worker thread."""
        name = self._shown
        if name is None or name in self._tests:
            return self._tests.get(name or "")
        self.sync()
        options = {k: v for k, v in self._options[name].items() if v not in ("", None)}
        typed = self.key.text().strip()
        if typed:
            options["api_key"] = typed
        try:
            provider = make_provider(self.host, name, options)
        except Exception as exc:  # a plugin that cannot be made: said, not raised
            self._tested[name] = CheckResult("failed", f"The provider cannot be made: {exc}")
            self._show_test(name)
            return None
        job = ThreadJob(lambda _report: _check_and_close(provider), is_async=True)
        job.succeeded.connect(lambda result: self._test_done(name, result))
        job.failed.connect(lambda text: self._test_done(name, CheckResult("failed", text)))
        self._tests[name] = job
        self._show_test(name)
        job.start()
        return job

    def _test_done(self, name: str, result: CheckResult) -> None:
        self._tests.pop(name, None)
        self._tested[name] = result
        self._show_test(name)

    def _show_test(self, name: str) -> None:
        if name != self._shown:
            return
        testing = name in self._tests
        self.test_button.setEnabled(not testing)
        result = self._tested.get(name)
        if testing:
            text, colour = "Testing…", "#9da5b4"
        elif result is None:
            text, colour = "", "#9da5b4"
        else:
            text, colour = result.line, _VERDICT_COLOURS.get(result.verdict, "#e06c75")
        self.test_note.setStyleSheet(f"color: {colour};")
        self.test_note.setText(text)

    def _update_key_note(self) -> None:
        name = self.key_name(self._shown or "")
        text, can_forget = self.pending.note(name)
        if self._shares_key(name):
            text += f"\nThe Code model entry {name!r} uses the same key."
        self.key_note.setText(text)
        self.forget_btn.setEnabled(can_forget)

    def _forget_key(self) -> None:
        self.key.clear()
        self._key_shown = ""
        self.pending.forget(self.key_name(self._shown or ""))
        self._update_key_note()

    # -- ffmpeg ------------------------------------------------------------------------

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the ffmpeg program", self.ffmpeg.text())
        if path:
            self.ffmpeg.setText(path)
            self.check_ffmpeg()

    def _ffmpeg_edited(self) -> None:
        if self.ffmpeg_unchecked():
            self.check_ffmpeg()

    def ffmpeg_unchecked(self) -> bool:
        """Whether the ffmpeg path typed is new and has not answered `-version` yet."""
        text = self.ffmpeg.text().strip()
        return bool(text) and text != self._stored_ffmpeg and text not in self._ffmpeg_ok

    def check_ffmpeg(self) -> asyncio.Task:
        """Run the typed ffmpeg with `-version` (in the background); the note says how it went."""
        text = self.ffmpeg.text().strip()
        if self._ffmpeg_check is not None:
            checking, task = self._ffmpeg_check
            if checking == text and not task.done():
                return task
            task.cancel()
        self.ffmpeg_note.setText("Checking that this ffmpeg runs…")
        task = asyncio.ensure_future(self._check(text))
        self._ffmpeg_check = (text, task)
        return task

    async def _check(self, text: str) -> None:
        try:
            version = await ffmpeg_version(text)
        except MediaError as exc:
            if self.ffmpeg.text().strip() == text:
                self.ffmpeg_note.setText(f"{exc} Studio keeps using the ffmpeg it had.")
            return
        self._ffmpeg_ok.add(text)
        if self.ffmpeg.text().strip() == text:
            self.ffmpeg_note.setText(f"It works: {version}")

    # -- saving ------------------------------------------------------------------------

    def save(self) -> None:
        """Write the services' options and the ffmpeg path to settings.json (keys: the
        dialog saves `pending`)."""
        self.sync()
        stored = self.settings.get("video_providers") or {}
        merged = dict(stored) if isinstance(stored, dict) else {}
        for name, options in self._options.items():
            kept = {k: v for k, v in options.items() if k not in EDITED or v}
            if kept:
                merged[name] = kept
            else:
                merged.pop(name, None)
        if merged != stored:
            self.settings.set("video_providers", merged)
        ffmpeg = self.ffmpeg.text().strip()
        if ffmpeg != self._stored_ffmpeg:
            self.settings.set(SETTING, ffmpeg)
        self.prices.save(self.settings)

    def stop(self) -> None:
        if self._ffmpeg_check is not None:
            self._ffmpeg_check[1].cancel()
        for job in self._tests.values():
            job.cancel()


def key_widgets(forget: Callable[[], None]) -> tuple[QLineEdit, QPushButton, QHBoxLayout]:
    """A password field for a new key and its "Forget key" button, in a row."""
    key = QLineEdit()
    key.setEchoMode(QLineEdit.EchoMode.Password)
    key.setPlaceholderText("paste a new key to store it")
    forget_btn = QPushButton("Forget key")
    forget_btn.clicked.connect(forget)
    row = QHBoxLayout()
    row.addWidget(key, 1)
    row.addWidget(forget_btn)
    return key, forget_btn, row


class NoteLabel(QLabel):
    """A dim, wrapped line under a field, always as tall as its text needs: a tab page does
    not pass on height-for-width, so a plain wrapped label there is clipped."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setStyleSheet("color: #9da5b4;")

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(self.width()) if self.width() > 0 else -1
        if height >= 0:
            self.setMinimumHeight(height)
