"""File → Export Data…: results, lists, summary or the full campaign as CSV, XLSX or JSON.

The export runs on a worker with progress and can be cancelled; the file (or folder) appears only
once it is complete (the service writes atomically).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.exports.run_data import (
    FOLDER_EXPORTS,
    ExportInfo,
    OutputSources,
    default_name,
)
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.outputs import ExportWorker
from caliber_desktop.workers.registry import WorkerRegistry

WHATS = (
    ("results", "Results (one row per site)"),
    ("lists", "Allow and block lists, and the sites on neither"),
    ("summary", "Summary"),
    ("campaign", "Full campaign (settings, mapping, data quality, results, pins, insights)"),
)
FORMATS = (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("json", "JSON"))


class ExportDialog(QDialog):
    """Pick what and which format, a target, and export on a worker."""

    #: the :class:`ExportInfo` of a finished export
    exported = Signal(object)

    def __init__(
        self,
        sources: OutputSources,
        registry: WorkerRegistry,
        campaign_id: int,
        run_id: int,
        parent: QWidget | None = None,
        *,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Data")
        self.sources = sources
        self.registry = registry
        self.campaign_id = campaign_id
        self.run_id = run_id
        self.folder = folder or Path.home()
        self.job: str | None = None
        self.info: ExportInfo | None = None
        self._cancelling = False

        self.what_combo = QComboBox(self)
        for key, label in WHATS:
            self.what_combo.addItem(label, key)
        self.format_combo = QComboBox(self)
        for key, label in FORMATS:
            self.format_combo.addItem(label, key)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("exportPath")
        self.path_edit.setAccessibleName("Export to")
        self.path_edit.setMinimumWidth(420)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        target = QHBoxLayout()
        target.addWidget(self.path_edit, 1)
        target.addWidget(browse)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)  # greyed: an explanation, not a message

        form = QFormLayout()
        form.addRow("&Export:", self.what_combo)
        form.addRow("&Format:", self.format_combo)
        form.addRow("&To:", target)
        form.addRow("", self.hint)

        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start_export)
        self.close_button.clicked.connect(self._close_or_cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.what_combo.currentIndexChanged.connect(self._choice_changed)
        self.format_combo.currentIndexChanged.connect(self._choice_changed)
        self._choice_changed()

    # ------------------------------------------------------------------ choices
    def what(self) -> str:
        return str(self.what_combo.currentData())

    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    def is_folder(self) -> bool:
        return (self.what(), self.fmt()) in FOLDER_EXPORTS

    @Slot()
    def _choice_changed(self) -> None:
        current = self.path_edit.text().strip()
        folder = Path(current).parent if current else self.folder
        name = default_name(self.campaign_id, self.run_id, self.what(), self.fmt())
        self.path_edit.setText(str(folder / name))
        self.hint.setText(
            "Several CSV files: written into this folder (or a .zip if the name ends in .zip)."
            if self.is_folder()
            else "Text cells that a spreadsheet would run as a formula are prefixed with '."
        )

    @Slot()
    def _browse(self) -> None:
        current = self.path_edit.text().strip() or str(self.folder)
        if self.is_folder():
            chosen = QFileDialog.getExistingDirectory(self, "Export into folder", current)
        else:
            pattern = f"{self.fmt().upper()} files (*.{self.fmt()})"
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to", current, pattern)
        if chosen:
            self.path_edit.setText(chosen)

    # ------------------------------------------------------------------ running
    @Slot()
    def start_export(self) -> None:
        text = self.path_edit.text().strip()
        if not text or self.job is not None:
            return
        worker = ExportWorker(
            self.sources, self.campaign_id, self.what(), self.fmt(), Path(text), run_id=self.run_id
        )
        worker.signals.progress.connect(self._on_progress)
        worker.signals.finished.connect(self._on_finished)
        self.info, self._cancelling = None, False
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText("Exporting…")
        self.export_button.setEnabled(False)
        self.close_button.setText("Cancel")
        self.job = self.registry.start(
            worker, on_result=self._on_exported, on_error=self._on_failed
        )

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.status.setText(message)

    def _on_exported(self, info: Any) -> None:
        if isinstance(info, ExportInfo):
            self.info = info
            shown = info.path if len(info.files) != 1 else info.files[0]
            self.status.setText(
                f"Exported {info.rows:,} sites ({len(info.files)} file"
                f"{'' if len(info.files) == 1 else 's'}) to {shown} in {info.seconds:.1f} s."
            )
            self.exported.emit(info)

    def _on_failed(self, info: ErrorInfo) -> None:
        self.status.setText(info.message)

    @Slot()
    def _on_finished(self) -> None:
        cancelled = self.info is None and self._cancelling
        self.job, self._cancelling = None, False
        self.progress.setVisible(False)
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")
        if cancelled:
            self.status.setText("Export cancelled; nothing was written.")

    @Slot()
    def _close_or_cancel(self) -> None:
        if self.job is not None:
            self._cancelling = True
            self.registry.cancel(self.job)
            self.status.setText("Cancelling…")
            return
        self.reject()

    def reject(self) -> None:
        if self.job is not None:
            self.registry.cancel(self.job)
        super().reject()
