"""Tools › Benchmark: run a bench suite against models and read its report.

The same operation as `studio bench` (`studio.operations.scoring_run.Bench`), run as an asyncio task
on Qt's loop: a progress bar and the latest steps while it runs, the HTML report in a
QTextBrowser when it is done (or stopped: what finished is kept and reported). The base URL
and key come from the chosen code provider in Settings; the models, suite and out folder
used last are remembered, and so are the prices per model (settings `bench_prices`, which
`studio bench` reads too) that the report's cost comes from.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as _dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.ai.code_providers import make_code_provider, provider_config, provider_configs
from studio.ai.providers import close_provider
from studio.config.settings import config_dir
from studio.errors import StudioError
from studio.scoring.prices import parse_price, save_prices, stored_prices
from studio.scoring.suite import Price

log = logging.getLogger(__name__)

LOG_LINES = 400
PRICE_ROWS_SHOWN = 3  # the prices table's height, in rows (it scrolls beyond)


class BenchDialog(QDialog):
    """Pick a suite and models, run, watch, read the report."""

    finished_run = Signal(object)  # the BenchRun, when a run ends (also when stopped)

    def __init__(self, settings: Any, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self.task: asyncio.Task | None = None
        self.bench: Any = None
        self.run_result: Any = None
        self._provider: Any = None
        self.setWindowTitle("Benchmark")
        self.resize(1100, 780)

        from studio.scoring.suite import builtin_suites

        self.suite_box = QComboBox()
        self.suite_box.setEditable(True)
        for path in builtin_suites():
            self.suite_box.addItem(path.stem, str(path))
        last_suite = settings.get("bench_suite")
        if last_suite:
            self._set_suite(str(last_suite))
        browse_suite = QPushButton("Choose…")
        browse_suite.clicked.connect(self._choose_suite)
        suite_row = QHBoxLayout()
        suite_row.addWidget(self.suite_box, 1)
        suite_row.addWidget(browse_suite)

        self.provider_box = QComboBox()
        for config in provider_configs(settings):
            self.provider_box.addItem(config.name)
        self.provider_box.setCurrentText(provider_config(settings).name)
        self.provider_box.currentTextChanged.connect(self._provider_changed)
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("the provider's address (OPENAI_BASE_URL when empty)")
        self.models = QLineEdit()
        self.models.setPlaceholderText("model names, separated by commas")
        self._provider_changed(self.provider_box.currentText())
        remembered = settings.get("bench_models")
        if isinstance(remembered, list) and remembered:
            self.models.setText(", ".join(str(m) for m in remembered))

        # One row per model named above; what is typed is kept while the names change.
        self._price_text = {
            model: (f"{price.input:g}", f"{price.output:g}")
            for model, price in stored_prices(settings).items()
        }
        self.prices = QTableWidget(0, 3)
        self.prices.setHorizontalHeaderLabels(["Model", "$ per 1M in", "$ per 1M out"])
        self.prices.verticalHeader().hide()
        header = self.prices.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.prices.setFixedHeight(
            header.sizeHint().height()
            + PRICE_ROWS_SHOWN * self.prices.verticalHeader().defaultSectionSize()
            + 2 * self.prices.frameWidth()
        )
        self.prices.setToolTip(
            "Dollars per million tokens, for the report's cost. Leave both empty when the "
            "price is unknown; 0 for a free (local) model."
        )
        self.prices.cellChanged.connect(self._price_edited)
        self.models.textChanged.connect(self._sync_prices)
        self._sync_prices()

        self.repeat = QSpinBox()
        self.repeat.setRange(1, 20)
        self.jobs = QSpinBox()
        self.jobs.setRange(1, 16)
        self.jobs.setValue(int(settings.get("bench_jobs") or 2))
        self.playtest_jobs = QSpinBox()
        self.playtest_jobs.setRange(1, 4)
        # As `studio bench`: as many games play at once as units run (the runner waits on
        # the games' clocks, not on the processor: benchmarks/bench_suite_run.py).
        self.playtest_jobs.setValue(min(4, self.jobs.value()))
        numbers = QHBoxLayout()
        for label, box in (
            ("Repeat", self.repeat),
            ("Generating at once", self.jobs),
            ("Playing at once", self.playtest_jobs),
        ):
            numbers.addWidget(QLabel(label))
            numbers.addWidget(box)
        numbers.addStretch(1)

        # A fresh folder for each run, as long as the person did not choose one.
        self._auto_out = str(self._default_out())
        self.out = QLineEdit(self._auto_out)
        browse_out = QPushButton("Choose…")
        browse_out.clicked.connect(self._choose_out)
        self.resume = QCheckBox("Resume the run in this folder")
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse_out)

        form = QFormLayout()
        form.addRow("Suite", suite_row)
        form.addRow("Provider", self.provider_box)
        form.addRow("Base URL", self.base_url)
        form.addRow("Models", self.models)
        form.addRow("Prices", self.prices)
        form.addRow("", numbers)
        form.addRow("Out folder", out_row)
        form.addRow("", self.resume)

        self.run_btn = QPushButton("Run")
        self.run_btn.setDefault(True)
        self.run_btn.clicked.connect(self.start)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop)
        self.open_btn = QPushButton("Open in browser")
        self.open_btn.setEnabled(False)
        self.open_btn.clicked.connect(self._open_in_browser)
        close_btn = QPushButton("Close")
        close_btn.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_btn)
        buttons.addWidget(self.stop_btn)
        buttons.addStretch(1)
        buttons.addWidget(self.open_btn)
        buttons.addWidget(close_btn)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("Choose a suite and models, then Run.")
        self.status.setWordWrap(True)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(LOG_LINES)
        self.report = QTextBrowser()
        self.report.setOpenExternalLinks(False)
        self.report.setOpenLinks(False)
        self.report.anchorClicked.connect(self._link)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.log_view)
        split.addWidget(self.report)
        split.setSizes([140, 520])

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    # -- the form ------------------------------------------------------------------------

    def _set_suite(self, path: str) -> None:
        index = self.suite_box.findData(path)
        if index < 0:
            self.suite_box.addItem(Path(path).name, path)
            index = self.suite_box.count() - 1
        self.suite_box.setCurrentIndex(index)

    def _choose_suite(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Bench suite", "", "Suites (*.toml)")
        if path:
            self._set_suite(path)

    def _choose_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Out folder", self.out.text())
        if path:
            self.out.setText(path)

    def _provider_changed(self, name: str) -> None:
        try:
            config = provider_config(self.settings, name)
        except StudioError:
            return
        self.base_url.setText(config.base_url)
        self.models.setText(config.effective_model)

    def _sync_prices(self) -> None:
        """Rebuild the prices table for the models now named."""
        self.prices.blockSignals(True)
        self.prices.setRowCount(0)
        for row, model in enumerate(self.model_names()):
            self.prices.insertRow(row)
            name = QTableWidgetItem(model)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.prices.setItem(row, 0, name)
            for column, text in enumerate(self._price_text.get(model, ("", "")), 1):
                self.prices.setItem(row, column, QTableWidgetItem(text))
        self.prices.blockSignals(False)

    def _price_edited(self, row: int, _column: int) -> None:
        model, cells = self.prices.item(row, 0).text(), []
        for column in (1, 2):
            item = self.prices.item(row, column)
            cells.append(item.text() if item is not None else "")
        self._price_text[model] = (cells[0], cells[1])

    def typed_prices(self) -> dict[str, Price | None]:
        """The table's prices per model: None where both are empty (no price); an empty
        one of two is 0. A price that is not a number is a `StudioError`."""
        prices: dict[str, Price | None] = {}
        for model in self.model_names():
            price_in, price_out = self._price_text.get(model, ("", ""))
            values = (
                parse_price(price_in, f"the input price of {model}"),
                parse_price(price_out, f"the output price of {model}"),
            )
            both_empty = values == (None, None)
            prices[model] = None if both_empty else Price(values[0] or 0.0, values[1] or 0.0)
        return prices

    def _default_out(self) -> Path:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        return config_dir() / "bench" / f"run-{stamp}"

    def suite_path(self) -> str:
        data = self.suite_box.currentData()
        text = self.suite_box.currentText().strip()
        if data and self.suite_box.itemText(self.suite_box.currentIndex()) == text:
            return str(data)
        return text

    def model_names(self) -> list[str]:
        return list(dict.fromkeys(m.strip() for m in self.models.text().split(",") if m.strip()))

    # -- running -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> asyncio.Task | None:
        """Start the run (an asyncio task); None when the form is not ready."""
        if self.running:
            return self.task
        from studio.scoring.suite import find_suite, load_suite

        models = self.model_names()
        try:
            if not models:
                raise StudioError("give at least one model name")
            prices = self.typed_prices()
            suite = load_suite(find_suite(self.suite_path()))
        except StudioError as exc:
            self.status.setText(str(exc))
            return None
        save_prices(self.settings, prices)
        self.settings.set("bench_models", models)
        self.settings.set("bench_suite", str(suite.path))
        self.settings.set("bench_jobs", self.jobs.value())
        if self.out.text() == self._auto_out and not self.resume.isChecked():
            self._auto_out = str(self._default_out())
            self.out.setText(self._auto_out)
        self.log_view.clear()
        self.report.clear()
        self.run_result = None
        self.progress.setRange(0, 0)  # busy until the number of results is known
        self.status.setText(f"Starting {suite.name} with {', '.join(models)}…")
        self._set_running(True)
        self.task = asyncio.ensure_future(self._run(suite, models))
        self.task.add_done_callback(self._done)
        return self.task

    async def _run(self, suite: Any, models: list[str]) -> Any:
        from studio.operations.scoring_run import Bench, BenchConfig
        from studio.scoring.play import QtPlayer
        from studio.scoring.results import OutDir

        config = provider_config(self.settings, self.provider_box.currentText())
        base_url = self.base_url.text().strip()
        if base_url:
            config = dataclasses.replace(config, base_url=base_url)
        # The key comes from the keyring: not on the GUI thread.
        self._provider = await asyncio.to_thread(make_code_provider, self.host, config)
        bench_config = BenchConfig(
            models=models,
            repeat=self.repeat.value(),
            jobs=self.jobs.value(),
            resume=self.resume.isChecked(),
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            context_window=config.context_window,
            # The table's, just saved, and those of models a resumed run had before.
            prices=stored_prices(self.settings),
            provider=config.name,
            base_url=getattr(self._provider, "base_url", "") or config.base_url,
        )

        def template(name: str) -> Any:
            try:
                return self.host.template(name)
            except KeyError as exc:
                raise StudioError(str(exc.args[0])) from None

        self.bench = Bench(
            suite,
            OutDir(self.out.text().strip() or self._default_out()),
            self._provider,
            QtPlayer(jobs=self.playtest_jobs.value()),
            bench_config,
            templates=template,
            on_event=self._event,
        )
        return await self.bench.run()

    def _event(self, event: Any) -> None:
        if event.kind == "start" or event.total:
            self.progress.setRange(0, max(1, event.total))
            self.progress.setValue(event.done)
        if event.kind in ("unit_done", "warning", "start", "done"):
            self.status.setText(event.text)
        self.log_view.appendPlainText(event.text)

    def stop(self) -> None:
        """Stop the run; finished results are kept and reported."""
        if self.running:
            self.status.setText("Stopping…")
            self.task.cancel()

    def _done(self, task: asyncio.Task) -> None:
        provider, self._provider = self._provider, None
        if provider is not None:
            with contextlib.suppress(RuntimeError):  # no loop running (closing the app)
                asyncio.ensure_future(close_provider(provider))
        if task.cancelled():
            if self.bench is not None:
                # What finished is on disk: report it.
                follow = asyncio.ensure_future(asyncio.to_thread(self.bench.write_outputs))
                follow.add_done_callback(lambda t: self._show(t, stopped=True))
            else:
                self._set_running(False)
                self.status.setText("Stopped.")
            return
        self._show(task)

    def _show(self, task: asyncio.Task, *, stopped: bool = False) -> None:
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            if not isinstance(error, StudioError):
                log.error("the bench failed", exc_info=error)
            self.status.setText(f"The bench could not run: {error}")
            return
        run = task.result()
        self.run_result = run
        html = run.files.get("html")
        if html is not None and Path(html).is_file():
            self.report.setSearchPaths([str(Path(html).parent)])
            self.report.setSource(QUrl.fromLocalFile(str(html)))
            self.open_btn.setEnabled(True)
        passed = sum(s.tasks_passed for s in run.summaries)
        counted = sum(s.results for s in run.summaries)
        verb = "Stopped" if stopped else "Done"
        self.status.setText(f"{verb}: {passed} of {counted} tasks passed. Report: {html}")
        self.finished_run.emit(run)

    def _set_running(self, running: bool) -> None:
        self.run_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running)
        widgets = (self.suite_box, self.provider_box, self.base_url, self.models, self.prices)
        for widget in (*widgets, self.out):
            widget.setEnabled(not running)

    def _link(self, url: QUrl) -> None:
        """Anchors scroll the report; screenshots and the rest open outside."""
        here = self.report.source()
        target = here.resolved(url)
        if url.hasFragment() and target.adjusted(QUrl.UrlFormattingOption.RemoveFragment) == (
            here.adjusted(QUrl.UrlFormattingOption.RemoveFragment)
        ):
            self.report.scrollToAnchor(url.fragment())
            return
        QDesktopServices.openUrl(target)

    def _open_in_browser(self) -> None:
        if self.run_result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.run_result.files["html"])))

    def done(self, result: int) -> None:  # noqa: D102 - closing stops a run left going
        self.stop()
        super().done(result)
