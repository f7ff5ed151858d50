"""The long jobs of the analyst's window: scoring a campaign, loading a run, exporting it.

Each gets ids and paths (a snapshot), never a widget, and hands back plain values: the run record,
the engine's :class:`ScoreResult` (its frame is the worker's own, built in the job) and the
overrides, which the results, detail and lists panels show without touching the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from caliber_desktop.services.exports.run_outputs import write_run_outputs
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.runs.service import RunService
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.workers.base import Worker


@dataclass(frozen=True)
class LoadedRun:
    """A run ready for the panels."""

    campaign_id: int
    run: RunRecord
    result: ScoreResult
    overrides: Mapping[str, Override]
    lists: SiteLists


def load_run(runs: RunService, campaign_id: int, run_id: int) -> LoadedRun:
    """Everything the panels show for one run (the stored frame, overrides applied to lists)."""
    result = runs.load_result(run_id)
    overrides = runs.overrides(campaign_id)
    lists = build_lists(result.sites, overrides, warning_share=result.config.impact_warning_share)
    return LoadedRun(campaign_id, runs.run(run_id), result, overrides, lists)


class ScoreCampaignWorker(Worker):
    """Score a campaign's report into a new run, then load it for the panels.

    Progress comes from the engine's stages ("Read 1,000,000 rows", "Scoring 48,000 sites"); the
    token stops it at the next stage boundary, and the store is then left exactly as it was.
    """

    title = "Scoring"

    def __init__(
        self,
        runs: RunService,
        campaign_id: int,
        *,
        upload_id: int | None = None,
        mapping_override: Mapping[str, str] | None = None,
        kpi_pixels: tuple[str, ...] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(title=title)
        self.runs = runs
        self.campaign_id = campaign_id
        self.upload_id = upload_id
        self.mapping_override = dict(mapping_override) if mapping_override else None
        self.kpi_pixels = kpi_pixels

    def work(self) -> LoadedRun:
        record = self.runs.score_campaign(
            self.campaign_id,
            upload_id=self.upload_id,
            mapping_override=self.mapping_override,
            kpi_pixels=self.kpi_pixels,
            progress=self.report_progress,
            cancel=self.token,
        )
        self.report_progress(100, 100, "Loading the results")
        return load_run(self.runs, self.campaign_id, record.id)


class ExportRunWorker(Worker):
    """Write the DSP list files, results (CSV and XLSX), summary and data quality to a folder."""

    title = "Exporting lists and results"

    def __init__(self, loaded: LoadedRun, directory: Path) -> None:
        super().__init__()
        self.loaded = loaded
        self.directory = directory

    def work(self) -> list[Path]:
        result = self.loaded.result
        about = {
            "config": {**result.config.to_json(), "profile": result.profile},
            "mapping": self.loaded.run.column_mapping,
        }
        return write_run_outputs(result, self.loaded.lists, self.directory, about=about, xlsx=True)
