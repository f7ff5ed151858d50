"""The jobs of the analyst's window: scoring a campaign, loading a run, pinning, exporting.

Each gets ids and paths (a snapshot), never a widget, and hands back plain values: the run record,
the engine's :class:`ScoreResult` (its frame is the worker's own, built in the job) and the
overrides, which the results, detail and lists panels show without touching the store.

Scoring declares the CPU lane, not the DB lane: it runs for minutes, and the run service opens
its own short write transactions (WAL and the busy timeout let them interleave with the lane's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop.services.exports.run_outputs import write_run_outputs
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.runs.service import RunService
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace


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
    lane = Lane.CPU
    #: a new run, and the campaign's status and current run
    changes = frozenset({Change.RUNS, Change.CAMPAIGNS})
    for_analyst = True
    cancellable = True

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
    lane = Lane.CPU
    #: not cancellable: the writer takes no token, so a cancel would only hide files written
    for_analyst = True

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


# ---------------------------------------------------------------------- named jobs


def current_run(workspace: Workspace, campaign_id: int) -> LoadedRun | CampaignRecord:
    """The campaign's current run, loaded; the campaign itself when it has not been scored."""
    campaign = workspace.campaigns.get(campaign_id)
    if campaign.current_run_id is None:
        return campaign
    return load_run(workspace.runs, campaign_id, campaign.current_run_id)


def load_current_run(workspace: Workspace, campaign_id: int) -> Worker:
    """Open a campaign: its current run for the panels (or the campaign, if never scored).

    Bookkeeping (``for_analyst`` stays False): it follows every click in the campaign list.
    """
    return FunctionWorker(
        current_run, workspace, campaign_id, title="Loading results", lane=Lane.READ
    )


def score_campaign(
    runs: RunService,
    campaign_id: int,
    *,
    upload_id: int | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    campaign_name: str | None = None,
) -> ScoreCampaignWorker:
    """``campaign_name`` names the job for the analyst ("Scoring Spring sale")."""
    return ScoreCampaignWorker(
        runs,
        campaign_id,
        upload_id=upload_id,
        mapping_override=mapping_override,
        kpi_pixels=tuple(kpi_pixels) if kpi_pixels else None,
        title=f"Scoring {campaign_name}" if campaign_name else None,
    )


def repin(
    runs: RunService,
    loaded: LoadedRun,
    site_ids: Sequence[str],
    pin_to: tuple[str, str] | None,
) -> LoadedRun:
    """Pin (``pin_to`` = action, reason) or unpin (None) sites, then rebuild the lists.

    The lists are rebuilt here, on the worker (100k sites: not on the GUI thread), from the run
    already loaded.
    """
    for site_id in site_ids:
        if pin_to is None:
            runs.unpin(loaded.campaign_id, site_id)
        else:
            runs.pin(loaded.campaign_id, site_id, *pin_to)
    overrides = runs.overrides(loaded.campaign_id)
    result = loaded.result
    lists = build_lists(result.sites, overrides, warning_share=result.config.impact_warning_share)
    return LoadedRun(loaded.campaign_id, loaded.run, result, overrides, lists)


def pin_sites(
    runs: RunService, loaded: LoadedRun, site_ids: Sequence[str], action: str, reason: str
) -> Worker:
    """Pin sites to the allow or block list; the result is ``loaded`` with new overrides."""
    return FunctionWorker(
        repin,
        runs,
        loaded,
        tuple(site_ids),
        (action, reason),
        title="Pinning sites",
        for_analyst=True,
        changes={Change.OVERRIDES},
    )


def unpin_sites(runs: RunService, loaded: LoadedRun, site_ids: Sequence[str]) -> Worker:
    return FunctionWorker(
        repin,
        runs,
        loaded,
        tuple(site_ids),
        None,
        title="Removing pins",
        for_analyst=True,
        changes={Change.OVERRIDES},
    )


def export_run(loaded: LoadedRun, directory: Path) -> ExportRunWorker:
    return ExportRunWorker(loaded, directory)
