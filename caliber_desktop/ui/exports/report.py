"""File › Export Report (PDF)…: ask where, write the report on a worker, offer to open it.

The exporter sees the main window only as a ``QMainWindow`` (dialogs, status bar) and the open
run through :class:`ReportedRun`; ``ui/exports`` never imports ``ui/mainwindow``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow

from caliber_desktop.services.report import ReportInfo
from caliber_desktop.workers.report import ReportWorker

if TYPE_CHECKING:
    from caliber_desktop.services.records import CampaignRecord
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import WorkerRegistry
    from caliber_desktop.workers.scoring import LoadedRun

#: How long the "Report written — Open" link stays in the status bar.
LINK_LIFETIME_MS = 60_000


def suggested_name(campaign_name: str) -> str:
    """``<campaign> – Caliber report.pdf`` without characters a file system refuses."""
    safe = "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in campaign_name)
    return f"{safe.strip() or 'Campaign'} – Caliber report.pdf"


class ReportedRun(Protocol):
    """The run open in the window (the workbench) and the campaigns listed, for the title."""

    @property
    def loaded(self) -> LoadedRun | None: ...

    @property
    def campaigns(self) -> Mapping[int, CampaignRecord]: ...


class ReportExporter(QObject):
    """Remembers the folder used last and the report written last, for the window's lifetime."""

    def __init__(
        self,
        window: QMainWindow,
        run: ReportedRun,
        *,
        workspace: Workspace,
        registry: WorkerRegistry,
        report_error: Callable[[object], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.run = run
        self.workspace = workspace
        self.registry = registry
        self.report_error = report_error
        self.folder: Path = Path.home()
        self.last_path: Path | None = None
        self._label: QLabel | None = None

    @Slot()
    def export(self) -> None:
        """Ask where to save the PDF report of the open run, then write it on a worker."""
        window = self.window
        loaded = self.run.loaded
        if loaded is None:
            window.statusBar().showMessage("Open a scored campaign to report on it.", 5000)
            return
        campaign = self.run.campaigns.get(loaded.campaign_id)
        title = campaign.name if campaign is not None else f"Campaign {loaded.campaign_id}"
        name, _ = QFileDialog.getSaveFileName(
            window,
            "Export the PDF report",
            str(self.folder / suggested_name(title)),
            "PDF files (*.pdf)",
        )
        if not name:
            return
        path = Path(name) if name.lower().endswith(".pdf") else Path(f"{name}.pdf")
        self.folder = path.parent
        worker = ReportWorker(self.workspace, loaded.campaign_id, path, run_id=loaded.run.id)
        self.registry.start(worker, on_result=self._written, on_error=self.report_error)
        window.statusBar().showMessage(f"Writing {path.name}…", 5000)

    def _written(self, info: object) -> None:
        if not isinstance(info, ReportInfo):
            return
        bar = self.window.statusBar()
        if self._label is not None and shiboken6.isValid(self._label):
            bar.removeWidget(self._label)
            self._label.deleteLater()
        label = QLabel(
            f"Report written: {html.escape(info.path.name)} ({info.pages} pages) — "
            '<a href="open">Open</a>',
            bar,
        )
        label.setObjectName("reportWrittenLabel")
        label.setTextFormat(Qt.TextFormat.RichText)
        label.linkActivated.connect(self._open)  # opens only when the user clicks
        bar.addWidget(label)
        self._label = label
        self.last_path = info.path
        QTimer.singleShot(LINK_LIFETIME_MS, label, label.deleteLater)

    @Slot(str)
    def _open(self, _link: str) -> None:
        if self.last_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_path)))
