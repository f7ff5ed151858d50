"""Writing a campaign's PDF report off the GUI thread, with progress and cancel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop.services.report import ReportInfo, write_report
from caliber_desktop.workers.base import Worker
from caliber_desktop.workers.lanes import Lane

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace


class ReportWorker(Worker):
    """Gather the run from the store and lay out the PDF; a cancel leaves no file behind.

    The report only reads the store, so it declares the CPU lane, not the write lane.
    """

    title = "Writing the PDF report"
    lane = Lane.CPU
    for_analyst = True
    cancellable = True

    def __init__(
        self, workspace: Workspace, campaign_id: int, path: Path, *, run_id: int | None = None
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.campaign_id = campaign_id
        self.path = path
        self.run_id = run_id

    def work(self) -> ReportInfo:
        return write_report(
            self.workspace,
            self.campaign_id,
            self.path,
            run_id=self.run_id,
            progress=self.report_progress,
            cancel=self.token,
        )
