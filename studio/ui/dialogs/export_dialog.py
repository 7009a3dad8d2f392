"""File > Export… and File > Import archive…: thin dialogs over `studio.export`.

Exports and imports run on a worker thread (the exporter's coroutine gets its own event
loop there), so encoding an MP4 fallback or unpacking a big archive never holds the GUI.
Progress and results come back through queued signals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.store import Project
from studio.errors import StudioError
from studio.export import (
    ARCHIVE_SUFFIX,
    ArchiveSummary,
    Exporter,
    ExportResult,
    default_file_name,
    default_import_dest,
    exporter_broke,
    exporters,
    human_size,
    import_archive,
    inspect_archive,
    size_warning,
)
from studio.operations.projects import version_tree
from studio.plugins.host import PluginHost
from studio.ui.widgets.background import Report, ThreadJob


def _reveal(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent if path.is_file() else path)))


class ExportDialog(QDialog):
    """Pick a format and a version, see the size, export, then show or open the result.

    The formats are the host's exporters, an outside plugin's guarded by the host: one that
    raises something other than a StudioError (a plugin's bug) switches its plugin off,
    also when it breaks on the export's worker thread (the host hears of it on the GUI
    thread); the person reads what happened and the plugin's formats leave the list."""

    exported = Signal(object)  # ExportResult

    def __init__(
        self,
        project: Project,
        host: PluginHost,
        version: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self.project = project
        self.host = host
        self.exporters: list[Exporter] = []
        self.job: ThreadJob | None = None
        self._exporting: Exporter | None = None
        self.result: ExportResult | None = None
        self._dest_edited = False

        self.format = QComboBox(objectName="format")
        self._fill_formats()
        self.description = QLabel(wordWrap=True, objectName="description")
        self.version = QComboBox(objectName="version")
        try:
            shown: int | None = project.resolve(version)
        except StudioError:  # no versions yet: only the archive can be made
            shown = None
        for depth, v in version_tree(project):
            label = f"{'    ' * depth}v{v.id}  {v.kind}  {v.title}"
            if v.id == project.head:
                label += "  (head)"
            self.version.addItem(label, v.id)
            if v.id == shown:
                self.version.setCurrentIndex(self.version.count() - 1)
        self.dest = QLineEdit(objectName="dest")
        self.dest.textEdited.connect(self._dest_typed)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest, 1)
        dest_row.addWidget(browse)
        self.keep = QLineEdit(objectName="keep")
        self.keep.setPlaceholderText("e.g. levels/*.json sounds/*")
        self.keep.setToolTip(
            "The single file carries only the files the game reaches. Name here (space-"
            "separated patterns) any it loads in ways Studio cannot see."
        )
        self.keep.editingFinished.connect(self._changed)
        self.size = QLabel(objectName="size")
        self.warning = QLabel(wordWrap=True, objectName="warning")
        self.warning.setStyleSheet("color: #e0a030;")
        self.use_zip = QPushButton("Use the zip instead", objectName="useZip")
        self.use_zip.clicked.connect(lambda: self.select_format("zip"))
        warn_row = QHBoxLayout()
        warn_row.addWidget(self.warning, 1)
        warn_row.addWidget(self.use_zip, 0, Qt.AlignmentFlag.AlignTop)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("", self.description)
        form.addRow("Version", self.version)
        form.addRow("Save as", dest_row)
        form.addRow("Also keep", self.keep)
        self._form = form
        form.addRow("Size", self.size)

        self.progress = QProgressBar(objectName="progress")
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel(wordWrap=True, objectName="status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder = QPushButton("Show in folder", objectName="showFolder")
        self.show_folder.clicked.connect(self.reveal)
        self.open_browser = QPushButton("Open in browser", objectName="openBrowser")
        self.open_browser.clicked.connect(self.open_in_browser)
        after = QHBoxLayout()
        after.addWidget(self.show_folder)
        after.addWidget(self.open_browser)
        after.addStretch(1)
        for b in (self.show_folder, self.open_browser):
            b.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.export_button.setObjectName("export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(warn_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(after)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.format.currentIndexChanged.connect(self._changed)
        self.version.currentIndexChanged.connect(self._changed)
        host.subscribe(self._plugins_changed)
        self.finished.connect(lambda _result: host.unsubscribe(self._plugins_changed))
        self._changed()

    # -- choices -------------------------------------------------------------------------

    @property
    def exporter(self) -> Exporter:
        return self.exporters[self.format.currentIndex()]

    @property
    def keep_options(self) -> dict[str, list[str]]:
        """`keep=` for an exporter that carries only what the game reaches."""
        patterns = self.keep.text().split()
        return {"keep": patterns} if patterns and getattr(self.exporter, "keeps", False) else {}

    @property
    def version_id(self) -> int | None:
        if self.exporter.name == "archive":
            return None  # the archive always holds every version
        return self.version.currentData()

    def _fill_formats(self) -> bool:
        """List what the host offers now; False when that did not change."""
        found = exporters(self.host)
        if [e.name for e in found] == [e.name for e in self.exporters]:
            return False
        current = self.format.currentData()
        self.exporters = found
        with QSignalBlocker(self.format):
            self.format.clear()
            for e in found:
                self.format.addItem(e.title, e.name)
            self.format.setCurrentIndex(max(self.format.findData(current), 0))
        return True

    def _plugins_changed(self) -> None:
        """A plugin was switched off or failed: its formats leave the list, once what runs
        now (the estimate that broke, say) has said why."""
        QTimer.singleShot(0, self, self._refresh_formats)

    def _refresh_formats(self) -> None:
        if self._fill_formats():
            self._changed()

    def _offered(self, exporter: Exporter) -> bool:
        return any(r.name == exporter.name for r in self.host.registrations("exporters"))

    def select_format(self, name: str) -> None:
        index = self.format.findData(name)
        if index >= 0:
            self.format.setCurrentIndex(index)

    def _dest_typed(self, _text: str) -> None:
        self._dest_edited = True

    def _changed(self) -> None:
        exporter = self.exporter
        self.description.setText(getattr(exporter, "description", ""))
        self.version.setEnabled(exporter.name != "archive")
        self._form.setRowVisible(self.keep, bool(getattr(exporter, "keeps", False)))
        if not self._dest_edited or not self.dest.text():
            folder = Path(self.dest.text()).parent if self.dest.text() else self.project.path.parent
            name = default_file_name(self.project, self.version_id, exporter)
            self.dest.setText(str(folder / name))
        try:
            estimate = exporter.estimate(self.project, self.version_id, **self.keep_options)
        except Exception as exc:  # a plugin's broken estimate among them: shown, not fatal
            self.size.setText("—")
            self.export_button.setEnabled(False)
            message = exporter_broke(self.host, exporter, exc)
            if self._offered(exporter):
                self._set_warning(message)
            else:  # its plugin was switched off just now: the format goes, the reason stays
                self._set_warning(None)
                self.status.setText(f"Cannot export: {message}")
            return
        self.export_button.setEnabled(self.job is None)
        self.size.setText(f"about {human_size(estimate)}")
        self._set_warning(size_warning(exporter, estimate))

    def _set_warning(self, text: str | None) -> None:
        self.warning.setText(text or "")
        self.warning.setVisible(bool(text))
        has_zip = self.format.findData("zip") >= 0
        self.use_zip.setVisible(bool(text) and has_zip and self.exporter.name == "html")

    def _browse(self) -> None:
        exporter = self.exporter
        if not exporter.suffix:
            chosen = QFileDialog.getSaveFileName(self, "Export to a new folder", self.dest.text())[
                0
            ]
        else:
            pattern = f"{exporter.title} (*{exporter.suffix})"
            chosen = QFileDialog.getSaveFileName(self, "Export", self.dest.text(), pattern)[0]
            if chosen and not chosen.endswith(exporter.suffix):
                chosen += exporter.suffix
        if chosen:
            self.dest.setText(chosen)
            self._dest_edited = True

    # -- export --------------------------------------------------------------------------

    def start_export(self) -> None:
        if self.job is not None:
            return
        text = self.dest.text().strip()
        if not text:
            self.status.setText("Choose where to save the export.")
            return
        out = Path(text).expanduser()
        if out.exists() and not self.confirm_replace(out):
            return
        exporter, version, keep = self.exporter, self.version_id, self.keep_options
        self._exporting = exporter  # the list may change meanwhile (a plugin switched off)
        project = self.project
        self.result = None
        for b in (self.show_folder, self.open_browser):
            b.hide()
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Exporting to {out}…")
        for w in (self.export_button, self.format, self.version, self.dest, self.keep):
            w.setEnabled(False)
        job = ThreadJob(
            lambda report: exporter.export(project, version, out, report, **keep),
            is_async=True,
            name="studio-export",
        )
        # Bound methods of this dialog: signals from the worker thread arrive queued.
        job.progress.connect(self._progress)
        job.succeeded.connect(self._done)
        job.failed.connect(self._failed)
        self.job = job
        job.start()

    def _progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))

    def confirm_replace(self, out: Path) -> bool:
        if out.is_dir():
            QMessageBox.warning(self, "Export", f"{out} is a folder that exists already.")
            return False
        answer = QMessageBox.question(self, "Export", f"{out.name} exists. Replace it?")
        return answer == QMessageBox.StandardButton.Yes

    def _finish(self) -> None:
        self.job = None
        self.progress.hide()
        for w in (self.format, self.version, self.dest, self.keep):
            w.setEnabled(True)
        self._changed()

    def _done(self, result: ExportResult) -> None:
        self.result = result
        self._finish()
        lines = [f"Exported to {result.path} ({human_size(result.size)})."]
        lines += [f"Note: {n}" for n in result.notes]
        self.status.setText("\n".join(lines))
        self.show_folder.show()
        self.open_browser.setVisible(self.browser_target() is not None)
        self.exported.emit(result)

    def _failed(self, message: str) -> None:
        exporter, error = self._exporting, self.job.error if self.job is not None else None
        self._finish()
        if error is not None:  # not a StudioError: Studio's own bug, logged by the host
            message = exporter_broke(self.host, exporter, error)
        self.status.setText(f"Export failed: {message}")

    def browser_target(self) -> Path | None:
        """What a browser can open: the HTML file, or a web folder's index.html."""
        if self.result is None:
            return None
        path = self.result.path
        if path.is_file() and path.suffix.lower() in (".html", ".htm"):
            return path
        if path.is_dir() and (path / "index.html").is_file():
            return path / "index.html"
        return None

    def reveal(self) -> None:
        if self.result is not None:
            _reveal(self.result.path)

    def open_in_browser(self) -> None:
        target = self.browser_target()
        if target is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def reject(self) -> None:
        if self.job is not None:
            self.job.cancel()  # the exporter writes all or nothing: cancelling leaves nothing
        super().reject()


class ImportArchiveDialog(QDialog):
    """Shows what an archive holds (nothing written yet), then imports it on request."""

    imported = Signal(object)  # Path of the new project

    def __init__(self, archive: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import project archive")
        self.setMinimumWidth(560)
        self.summary: ArchiveSummary | None = None
        self.imported_path: Path | None = None
        self.job: ThreadJob | None = None

        self.archive = QLineEdit(objectName="archive")
        self.archive.editingFinished.connect(self._inspect)
        pick = QPushButton("Choose…")
        pick.clicked.connect(self._browse_archive)
        row = QHBoxLayout()
        row.addWidget(self.archive, 1)
        row.addWidget(pick)
        self.details = QPlainTextEdit(objectName="details", readOnly=True)
        self.details.setMinimumHeight(140)
        self.dest = QLineEdit(objectName="dest")
        pick_dest = QPushButton("Choose…")
        pick_dest.clicked.connect(self._browse_dest)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest, 1)
        dest_row.addWidget(pick_dest)
        form = QFormLayout()
        form.addRow("Archive", row)
        form.addRow("Holds", self.details)
        form.addRow("New project", dest_row)
        self.progress = QProgressBar(objectName="progress")
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel(wordWrap=True, objectName="status")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setObjectName("import")
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if archive is not None:
            self.archive.setText(str(archive))
            self._inspect()

    def _browse_archive(self) -> None:
        chosen = QFileDialog.getOpenFileName(
            self, "Import project archive", "", f"Studio project archive (*{ARCHIVE_SUFFIX})"
        )[0]
        if chosen:
            self.archive.setText(chosen)
            self._inspect()

    def _browse_dest(self) -> None:
        chosen = QFileDialog.getSaveFileName(self, "New project folder", self.dest.text())[0]
        if chosen:
            self.dest.setText(chosen)

    def _inspect(self) -> None:
        text = self.archive.text().strip()
        self.summary = None
        self.import_button.setEnabled(False)
        if not text or self.job is not None:
            return
        path = Path(text).expanduser()
        self.details.setPlainText("Reading the archive…")
        self._run(lambda report: inspect_archive(path), self._inspected, self._refused)

    def _progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))

    def _inspected(self, summary: ArchiveSummary) -> None:
        self.job = None
        self.summary = summary
        self.details.setPlainText(summary.describe())
        if not self.dest.text():
            self.dest.setText(str(default_import_dest(summary.path)))
        self.status.setText("Nothing has been written yet.")
        self.import_button.setEnabled(True)

    def _refused(self, message: str) -> None:
        self.job = None
        self.details.setPlainText(message)
        self.status.setText("This archive cannot be imported. Nothing was written.")

    def start_import(self) -> None:
        if self.summary is None or self.job is not None:
            return
        archive, dest = self.summary.path, Path(self.dest.text().strip()).expanduser()

        def work(report: Report) -> Path:
            project = import_archive(archive, dest, on_progress=report)
            path = project.path
            project.close()
            return path

        self.progress.setValue(0)
        self.progress.show()
        self.import_button.setEnabled(False)
        self.status.setText("Importing…")
        self._run(work, self._imported, self._import_failed)

    def _imported(self, path: Path) -> None:
        self.job = None
        self.imported_path = path
        self.progress.hide()
        self.status.setText(f"Imported as {path}.")
        self.imported.emit(path)
        self.accept()

    def _import_failed(self, message: str) -> None:
        self.job = None
        self.progress.hide()
        self.status.setText(f"Import refused: {message}")
        self.import_button.setEnabled(self.summary is not None)

    def _run(self, work: Callable[[Report], Any], ok: Callable, bad: Callable) -> None:
        job = ThreadJob(work, name="studio-import")
        # Bound methods of this dialog: signals from the worker thread arrive queued.
        job.progress.connect(self._progress)
        job.succeeded.connect(ok)
        job.failed.connect(bad)
        self.job = job
        job.start()
