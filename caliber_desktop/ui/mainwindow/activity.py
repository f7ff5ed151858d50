"""The "Background jobs" dock: the analyst's jobs, their progress, and a Cancel button.

The status bar's jobs indicator is the everyday view of the same list; this dock is the longer
one, hidden until the analyst opens it from the View menu. It reads
:class:`~caliber_desktop.ui.mainwindow.jobs.AnalystJobs`, so like the indicator it shows only
work the analyst asked for (each job declares it), never the app's bookkeeping, and it knows
nothing about particular workers.
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

from caliber_desktop.ui.mainwindow.jobs import AnalystJobs

JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ActivityDock(QDockWidget):
    def __init__(self, analyst_jobs: AnalystJobs, parent: QWidget | None = None) -> None:
        super().__init__("Background jobs", parent)
        self.setObjectName("activityDock")
        self.analyst_jobs = analyst_jobs
        self._items: dict[str, QTreeWidgetItem] = {}

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

        analyst_jobs.added.connect(self._on_added)
        analyst_jobs.updated.connect(self._on_updated)
        analyst_jobs.removed.connect(self._on_removed)
        self.jobs.itemSelectionChanged.connect(self._update_cancel)
        self.cancel_button.clicked.connect(self._cancel_selected)

    def preferred_height(self) -> int:
        """About five jobs tall: enough to follow work without crowding the panels above."""
        return self.fontMetrics().height() * 8

    def status_of(self, job_id: str) -> str | None:
        item = self._items.get(job_id)
        return item.text(1) if item is not None else None

    # ------------------------------------------------------------------ the analyst's jobs
    @Slot(str)
    def _on_added(self, job_id: str) -> None:
        job = self.analyst_jobs.job(job_id)
        if job is None:
            return
        item = QTreeWidgetItem([job.title, job.status()])
        item.setData(0, JOB_ID_ROLE, job_id)
        self.jobs.insertTopLevelItem(0, item)
        self._items[job_id] = item

    @Slot(str)
    def _on_updated(self, job_id: str) -> None:
        job = self.analyst_jobs.job(job_id)
        item = self._items.get(job_id)
        if job is not None and item is not None:
            item.setText(1, job.status())
            item.setToolTip(1, job.status())
        self._update_cancel()

    @Slot(str)
    def _on_removed(self, job_id: str) -> None:
        item = self._items.pop(job_id, None)
        if item is not None:
            self.jobs.takeTopLevelItem(self.jobs.indexOfTopLevelItem(item))
        self._update_cancel()

    # ------------------------------------------------------------------ cancel
    @Slot()
    def _update_cancel(self) -> None:
        self.cancel_button.setEnabled(self._selected_running() is not None)

    @Slot()
    def _cancel_selected(self) -> None:
        job_id = self._selected_running()
        if job_id is not None:
            self.analyst_jobs.cancel(job_id)

    def _selected_running(self) -> str | None:
        """The selected job if it can be cancelled now (running, and it stops part-way)."""
        items = self.jobs.selectedItems()
        if not items:
            return None
        job_id = items[0].data(0, JOB_ID_ROLE)
        job = self.analyst_jobs.job(job_id) if isinstance(job_id, str) else None
        return job.job_id if job is not None and job.can_cancel else None
