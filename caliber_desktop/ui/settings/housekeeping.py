"""File › Clean Up Data Folder…, the start-up clean-up's message, and Settings › Clean-up.

The action first lists what would go (a dry run on a worker), asks, then removes it on a worker
and says how much was freed. At start-up the clean-up is part of the window's first store job
(``services.startup.start_up_jobs``) when ``housekeeping.clean_on_startup`` is on; the window says
something (in the status bar) only when it removed something, and a failure there is logged, not
shown, because the analyst did not ask for it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QMessageBox, QSpinBox, QWidget

from caliber_desktop.config import HousekeepingSettings
from caliber_desktop.services.maintenance.housekeeping import CleanReport, format_size
from caliber_desktop.workers import housekeeping
from caliber_desktop.workers.base import ErrorInfo, Worker

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import ErrorCallback, ResultCallback, WorkerRegistry

log = logging.getLogger(__name__)

#: How many files the confirmation lists by name before "… and N more".
LISTED = 12


class Housekeeper(QObject):
    """Runs clean-ups for one window; the window keeps it (it is a child of the window)."""

    #: a clean-up (dry run or real) finished; carries the :class:`CleanReport`
    cleaned = Signal(object)

    def __init__(self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.registry = registry
        self.window = parent
        #: the confirmation box while it is open (tests answer it)
        self.confirm_box: QMessageBox | None = None
        #: the last result message box (tests read it)
        self.result_box: QMessageBox | None = None
        #: filled by the start-up job (``services.startup.start_up_jobs``) on its worker and read
        #: here only after that job's result arrived
        self.startup_reports: list[CleanReport] = []
        self._pending_status = ""
        registry.drained.connect(self._show_pending_status)

    def _start(self, worker: Worker, on_result: ResultCallback, on_error: ErrorCallback) -> str:
        # On the DB lane (the factories say so): a clean-up never races an import or a campaign
        # deletion that is writing upload rows.
        return self.registry.start(
            worker, key="housekeeping", on_result=on_result, on_error=on_error
        )

    # ------------------------------------------------------------------ start-up
    def announce_startup(self) -> None:
        """After the start-up job: say what its clean-up removed, if anything (else nothing)."""
        reports, self.startup_reports[:] = list(self.startup_reports), []
        for report in reports:
            if report.count:
                self._status(f"Cleaned up the data folder: {report.summary()}")
            self.cleaned.emit(report)

    # ------------------------------------------------------------------ the action
    def clean_up(self) -> None:
        """Look for what can go (on a worker), then ask before removing it."""
        self._start(housekeeping.find_clutter(self.workspace), self._ask, self._failed)

    def _ask(self, report: object) -> None:
        if not isinstance(report, CleanReport):
            return
        self.cleaned.emit(report)
        if not report.count:
            self._inform("Nothing to clean up", self._nothing_text())
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Clean up the data folder",
            f"{report.summary()}\n\nRemove these files?",
            QMessageBox.StandardButton.Cancel,
            self.window,
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setDetailedText(_listing(report))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            self.confirm_box = None
            if box.clickedButton() is remove:
                self._start(housekeeping.clean_up(self.workspace), self._done, self._failed)

        box.finished.connect(lambda _code: answered())
        self.confirm_box = box
        box.open()

    def _done(self, report: object) -> None:
        if not isinstance(report, CleanReport):
            return
        self.cleaned.emit(report)
        self._status(report.summary())
        title = "Clean-up incomplete" if report.errors else "Data folder cleaned up"
        text = report.summary()
        if report.errors:
            text += "\n\n" + "\n".join(report.errors[:LISTED])
        self._inform(title, text, warning=bool(report.errors))

    def _failed(self, info: ErrorInfo) -> None:
        self._inform(info.title or "Clean-up failed", info.message, warning=True)

    # ------------------------------------------------------------------ helpers
    def _nothing_text(self) -> str:
        days = self.workspace.settings.housekeeping.export_max_age_days
        return (
            f"No exports older than {days} days, no orphaned uploads and no leftover temporary "
            f"files in {self.workspace.paths.root}."
        )

    def _status(self, text: str) -> None:
        """Show ``text`` in the status bar once the jobs are over.

        The window clears the status bar when its last job ends, which is right after a clean-up
        result arrives; so the message waits for that and is shown just after it.
        """
        self._pending_status = text
        if self.registry.running_count() == 0:
            self._show_pending_status()

    def _show_pending_status(self) -> None:
        QTimer.singleShot(0, self, self._flush_status)

    def _flush_status(self) -> None:
        text, self._pending_status = self._pending_status, ""
        status = getattr(self.window, "statusBar", None)
        if text and callable(status):
            status().showMessage(text, 15_000)

    def _inform(self, title: str, text: str, *, warning: bool = False) -> None:
        icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self._forget_result_box)
        self.result_box = box
        box.open()

    def _forget_result_box(self) -> None:
        self.result_box = None


def _listing(report: CleanReport) -> str:
    lines = [
        f"{item.kind.value}: {item.path.name} ({format_size(item.size_bytes)})"
        for item in report.removals[:LISTED]
    ]
    if report.count > LISTED:
        lines.append(f"… and {report.count - LISTED} more")
    return "\n".join(lines)


class HousekeepingBox(QGroupBox):
    """Settings › Clean-up: clean at start-up, and how old an export may get."""

    def __init__(self, settings: HousekeepingSettings, parent: QWidget | None = None) -> None:
        super().__init__("Clean-up", parent)
        self.setObjectName("housekeepingBox")
        self.on_startup = QCheckBox("Clean up the data folder when Caliber starts", self)
        self.on_startup.setObjectName("cleanOnStartup")
        self.on_startup.setChecked(settings.clean_on_startup)
        self.on_startup.setToolTip(
            "Removes old exports, orphaned uploads and leftover temporary files "
            "(File › Clean Up Data Folder… does the same on request)."
        )
        self.max_age = QSpinBox(self)
        self.max_age.setObjectName("exportMaxAgeDays")
        self.max_age.setRange(1, 3650)
        self.max_age.setSuffix(" days")
        self.max_age.setValue(settings.export_max_age_days)
        self.max_age.setToolTip("Only the data folder's own exports folder is cleaned.")
        form = QFormLayout(self)
        form.addRow(self.on_startup)
        form.addRow("Remove exports older than:", self.max_age)

    def result(self, settings: HousekeepingSettings) -> HousekeepingSettings:
        return settings.model_copy(
            update={
                "clean_on_startup": self.on_startup.isChecked(),
                "export_max_age_days": self.max_age.value(),
            }
        )
