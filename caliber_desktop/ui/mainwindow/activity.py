"""The "Background jobs" dock: every job the registry runs, its progress, and a Cancel button.

It listens to the registry's signals only (emitted on the GUI thread), so it knows nothing about
particular workers and shows any job a later panel starts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.workers.registry import JobOutcome, WorkerRegistry

#: Finished jobs kept in the list; older ones are dropped so a long session stays small.
KEEP_FINISHED = 50
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1

OUTCOME_TEXT = {
    JobOutcome.DONE: "Done",
    JobOutcome.FAILED: "Failed",
    JobOutcome.CANCELLED: "Cancelled",
    JobOutcome.SUPERSEDED: "Replaced by a newer request",
}


class ActivityDock(QDockWidget):
    def __init__(self, registry: WorkerRegistry, parent: QWidget | None = None) -> None:
        super().__init__("Background jobs", parent)
        self.setObjectName("activityDock")
        self.registry = registry
        self._items: dict[str, QTreeWidgetItem] = {}
        self._finished: list[str] = []

        self.jobs = QTreeWidget(self)
        self.jobs.setObjectName("jobList")
        self.jobs.setHeaderLabels(["Job", "Status"])
        self.jobs.setRootIsDecorated(False)
        self.jobs.setUniformRowHeights(True)
        self.jobs.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.jobs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.cancel_button = QPushButton("Cancel job", self)
        self.cancel_button.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.jobs)
        layout.addLayout(buttons)
        self.setWidget(body)

        registry.job_added.connect(self._on_added)
        registry.job_started.connect(self._on_started)
        registry.job_progress.connect(self._on_progress)
        registry.job_finished.connect(self._on_finished)
        self.jobs.itemSelectionChanged.connect(self._update_cancel)
        self.cancel_button.clicked.connect(self._cancel_selected)

    def preferred_height(self) -> int:
        """About five jobs tall: enough to follow work without crowding the panels above."""
        return self.fontMetrics().height() * 8

    def status_of(self, job_id: str) -> str | None:
        item = self._items.get(job_id)
        return item.text(1) if item is not None else None

    # ------------------------------------------------------------------ registry signals
    @Slot(str, str)
    def _on_added(self, job_id: str, title: str) -> None:
        item = QTreeWidgetItem([title, "Waiting"])
        item.setData(0, JOB_ID_ROLE, job_id)
        self.jobs.insertTopLevelItem(0, item)
        self._items[job_id] = item

    @Slot(str)
    def _on_started(self, job_id: str) -> None:
        self._set_status(job_id, "Running")

    @Slot(str, int, int, str)
    def _on_progress(self, job_id: str, done: int, total: int, message: str) -> None:
        count = f"{done:,} of {total:,}" if total > 0 else ""
        detail = " — ".join(part for part in (count, message) if part)
        self._set_status(job_id, f"Running: {detail}" if detail else "Running")

    @Slot(str, str)
    def _on_finished(self, job_id: str, outcome: str) -> None:
        self._set_status(job_id, OUTCOME_TEXT.get(JobOutcome(outcome), outcome))
        self._finished.append(job_id)
        while len(self._finished) > KEEP_FINISHED:
            old = self._items.pop(self._finished.pop(0), None)
            if old is not None:
                self.jobs.takeTopLevelItem(self.jobs.indexOfTopLevelItem(old))
        self._update_cancel()

    # ------------------------------------------------------------------ cancel
    @Slot()
    def _update_cancel(self) -> None:
        self.cancel_button.setEnabled(self._selected_running() is not None)

    @Slot()
    def _cancel_selected(self) -> None:
        job_id = self._selected_running()
        if job_id is not None and self.registry.cancel(job_id):
            self._set_status(job_id, "Cancelling…")

    def _selected_running(self) -> str | None:
        items = self.jobs.selectedItems()
        if not items:
            return None
        job_id = items[0].data(0, JOB_ID_ROLE)
        return job_id if isinstance(job_id, str) and self.registry.is_running(job_id) else None

    def _set_status(self, job_id: str, text: str) -> None:
        item = self._items.get(job_id)
        if item is not None:
            item.setText(1, text)
