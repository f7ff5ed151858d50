"""Background jobs for the export and compare dialogs: plain ids and paths in, plain values out."""

from __future__ import annotations

from pathlib import Path

from caliber_desktop.services.exports.compare import RunComparison, compare
from caliber_desktop.services.exports.outputs import export
from caliber_desktop.services.exports.run_data import ExportInfo, OutputSources
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Lane


class ExportWorker(Worker):
    """Write one export (results, lists, summary or the campaign) with progress; cancellable."""

    title = "Exporting"
    lane = Lane.CPU
    for_analyst = True
    cancellable = True

    def __init__(
        self,
        sources: OutputSources,
        campaign_id: int,
        what: str,
        fmt: str,
        out_path: Path,
        *,
        run_id: int | None = None,
    ) -> None:
        super().__init__(title=f"Exporting {what} as {fmt.upper()}")
        self.sources = sources
        self.campaign_id = campaign_id
        self.what = what
        self.fmt = fmt
        self.out_path = out_path
        self.run_id = run_id

    def work(self) -> ExportInfo:
        return export(
            self.sources,
            self.campaign_id,
            self.what,
            self.fmt,
            self.out_path,
            run_id=self.run_id,
            progress=self.report_progress,
            cancel=self.token,
        )


class CompareWorker(Worker):
    """Compare two runs of a campaign (loads both runs' sites; 100k sites take a moment)."""

    title = "Comparing runs"
    lane = Lane.READ
    for_analyst = True

    def __init__(
        self, sources: OutputSources, campaign_id: int, old_run_id: int, new_run_id: int
    ) -> None:
        super().__init__()
        self.sources = sources
        self.campaign_id = campaign_id
        self.old_run_id = old_run_id
        self.new_run_id = new_run_id

    def work(self) -> RunComparison:
        self.report_progress(0, 0, "Loading both runs")
        return compare(self.sources, self.campaign_id, self.old_run_id, self.new_run_id)


def list_runs(sources: OutputSources, campaign_id: int) -> Worker:
    """The campaign's runs, newest first (what the compare dialog offers)."""
    return FunctionWorker(sources.runs.runs, campaign_id, title="Loading runs", lane=Lane.READ)


def compare_runs(
    sources: OutputSources, campaign_id: int, old_run_id: int, new_run_id: int
) -> CompareWorker:
    return CompareWorker(sources, campaign_id, old_run_id, new_run_id)
