"""The jobs of the analyst's window: scoring a campaign, loading a run, pinning, exporting.

Each gets ids and paths (a snapshot), never a widget, and hands back plain values: the run record,
the engine's :class:`ScoreResult` (its frame is the worker's own, built in the job) and the
overrides, which the results, detail and lists panels show without touching the store.

Scoring declares the CPU lane, not the DB lane: it runs for minutes, and the run service opens
its own short write transactions (WAL and the busy timeout let them interleave with the lane's).

A large report (:data:`CHILD_MIN_BYTES`) is scored and saved in a child process the worker
supervises (``workers/child.py`` says why: C calls holding the interpreter lock stalled the
window up to ~100 ms); a small one in the worker itself, where those calls are short and a child's
start-up (a second or two of imports) would be most of the wait.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop.services.exports.run_outputs import write_run_outputs
from caliber_desktop.services.progress import Cancelled
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.runs.service import RunService
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.child import ChildDiedError, run_in_child
from caliber_desktop.workers.lanes import Change, Lane
from caliber_desktop.workers.scoring_child import ScoringJob, score_in_child

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
    #: what the window's ``prepare`` made of ``result`` on the worker (the results table's
    #: arrays), so the GUI thread only adopts it; None when no one asked
    prepared: object = None
    #: what the window's ``prepare_lists`` made of ``lists`` on the worker (the lists panel's
    #: arrays and file counts); None when no one asked
    prepared_lists: object = None


#: Made on the worker from a loaded run, for a panel (``ui/results/prepared.py``). The window
#: passes it in; this layer never imports the ui.
Prepare = Callable[[ScoreResult], object]
#: Made on the worker from a run's lists, for the lists panel (``ui/lists/prepared.py``).
PrepareLists = Callable[[ScoreResult, SiteLists], object]


def load_run(
    runs: RunService,
    campaign_id: int,
    run_id: int,
    prepare: Prepare | None = None,
    prepare_lists: PrepareLists | None = None,
) -> LoadedRun:
    """Everything the panels show for one run (the stored frame, overrides applied to lists)."""
    result = runs.load_result(run_id)
    overrides = runs.overrides(campaign_id)
    lists = build_lists(result.sites, overrides, warning_share=result.config.impact_warning_share)
    prepared = prepare(result) if prepare is not None else None
    ready_lists = prepare_lists(result, lists) if prepare_lists is not None else None
    return LoadedRun(campaign_id, runs.run(run_id), result, overrides, lists, prepared, ready_lists)


#: Reports at least this big (≈ 120k rows of a TTD export) are scored in a child process.
CHILD_MIN_BYTES = 16 * 1024 * 1024
#: How long to wait for the OS to release a killed child's scoring lock (at once on POSIX,
#: "eventually" on Windows) before putting the campaign back.
LOCK_RELEASE_WAIT_S = 10.0


def scoring_died(report_name: str, exit_code: int | None) -> ChildDiedError:
    """What the analyst reads when the scoring process ended without an answer (the OS killed
    it, most often for memory, or it crashed): the file, that nothing changed, what to do."""
    return ChildDiedError(
        f"Scoring {report_name} stopped before it finished: the process scoring it ended"
        " unexpectedly. Nothing was saved and the previous results are kept.",
        hint="This computer may have run short of memory: close other programs and score the"
        " campaign again.",
        child_exit_code=exit_code,
    )


class ScoreCampaignWorker(Worker):
    """Score a campaign's report into a new run, then load it for the panels.

    Progress comes from the engine's stages ("Read 1,000,000 rows", "Scoring 48,000 sites").
    In-process, the token stops it at the next stage boundary; in a child (``in_child``, by
    default for reports of :data:`CHILD_MIN_BYTES` or more) Cancel terminates the child at once,
    even mid-read. Either way the store is then left exactly as it was.
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
        in_child: bool | None = None,
        prepare: Prepare | None = None,
        prepare_lists: PrepareLists | None = None,
    ) -> None:
        super().__init__(title=title)
        self.runs = runs
        self.campaign_id = campaign_id
        self.upload_id = upload_id
        self.mapping_override = dict(mapping_override) if mapping_override else None
        self.kpi_pixels = kpi_pixels
        #: score in a child process; None decides by the report's size
        self.in_child = in_child
        self.prepare = prepare
        self.prepare_lists = prepare_lists
        #: the scoring child's process id once it started (None in-process)
        self.child_pid: int | None = None

    def work(self) -> LoadedRun:
        path, name = self.runs.report_to_score(self.campaign_id, self.upload_id)
        in_child = self.in_child
        if in_child is None:
            in_child = path.stat().st_size >= CHILD_MIN_BYTES
        if in_child:
            record = self._score_in_child(name)
        else:
            record = self.runs.score_campaign(
                self.campaign_id,
                upload_id=self.upload_id,
                mapping_override=self.mapping_override,
                kpi_pixels=self.kpi_pixels,
                progress=self.report_progress,
                cancel=self.token,
            )
        self.report_progress(100, 100, "Loading the results")
        return load_run(self.runs, self.campaign_id, record.id, self.prepare, self.prepare_lists)

    def _score_in_child(self, report_name: str) -> RunRecord:
        """Score and save in a child; stopped or dead, the campaign gets its fields back."""
        before = self.runs.scoring_snapshot(self.campaign_id)
        job = ScoringJob.of(
            self.runs,
            self.campaign_id,
            upload_id=self.upload_id,
            mapping_override=self.mapping_override,
            kpi_pixels=self.kpi_pixels,
        )
        try:
            record: RunRecord = run_in_child(
                score_in_child,
                (job,),
                progress=self.report_progress,
                cancel=self.token,
                died=lambda code: scoring_died(report_name, code),
                name=f"caliber-scoring-{self.campaign_id}",
                started=self._child_started,
            )
        except (Cancelled, ChildDiedError):
            self.runs.restore_abandoned(self.campaign_id, before, wait_s=LOCK_RELEASE_WAIT_S)
            raise
        return record

    def _child_started(self, pid: int) -> None:
        self.child_pid = pid


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


def current_run(
    workspace: Workspace,
    campaign_id: int,
    prepare: Prepare | None = None,
    prepare_lists: PrepareLists | None = None,
) -> LoadedRun | CampaignRecord:
    """The campaign's current run, loaded; the campaign itself when it has not been scored."""
    campaign = workspace.campaigns.get(campaign_id)
    if campaign.current_run_id is None:
        return campaign
    return load_run(workspace.runs, campaign_id, campaign.current_run_id, prepare, prepare_lists)


def load_current_run(
    workspace: Workspace,
    campaign_id: int,
    prepare: Prepare | None = None,
    prepare_lists: PrepareLists | None = None,
) -> Worker:
    """Open a campaign: its current run for the panels (or the campaign, if never scored).

    Bookkeeping (``for_analyst`` stays False): it follows every click in the campaign list.
    """
    return FunctionWorker(
        current_run,
        workspace,
        campaign_id,
        prepare,
        prepare_lists,
        title="Loading results",
        lane=Lane.READ,
    )


def score_campaign(
    runs: RunService,
    campaign_id: int,
    *,
    upload_id: int | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    campaign_name: str | None = None,
    prepare: Prepare | None = None,
    prepare_lists: PrepareLists | None = None,
) -> ScoreCampaignWorker:
    """``campaign_name`` names the job for the analyst ("Scoring Spring sale")."""
    return ScoreCampaignWorker(
        runs,
        campaign_id,
        upload_id=upload_id,
        mapping_override=mapping_override,
        kpi_pixels=tuple(kpi_pixels) if kpi_pixels else None,
        title=f"Scoring {campaign_name}" if campaign_name else None,
        prepare=prepare,
        prepare_lists=prepare_lists,
    )


def repin(
    runs: RunService,
    loaded: LoadedRun,
    site_ids: Sequence[str],
    pin_to: tuple[str, str] | None,
    prepare_lists: PrepareLists | None = None,
) -> LoadedRun:
    """Pin (``pin_to`` = action, reason) or unpin (None) sites, then rebuild the lists.

    The lists are rebuilt here, on the worker (100k sites: not on the GUI thread), from the run
    already loaded, and made ready for the lists panel with ``prepare_lists``.
    """
    for site_id in site_ids:
        if pin_to is None:
            runs.unpin(loaded.campaign_id, site_id)
        else:
            runs.pin(loaded.campaign_id, site_id, *pin_to)
    overrides = runs.overrides(loaded.campaign_id)
    result = loaded.result
    lists = build_lists(result.sites, overrides, warning_share=result.config.impact_warning_share)
    ready_lists = prepare_lists(result, lists) if prepare_lists is not None else None
    return LoadedRun(
        loaded.campaign_id, loaded.run, result, overrides, lists, loaded.prepared, ready_lists
    )


def pin_sites(
    runs: RunService,
    loaded: LoadedRun,
    site_ids: Sequence[str],
    action: str,
    reason: str,
    prepare_lists: PrepareLists | None = None,
) -> Worker:
    """Pin sites to the allow or block list; the result is ``loaded`` with new overrides."""
    return FunctionWorker(
        repin,
        runs,
        loaded,
        tuple(site_ids),
        (action, reason),
        prepare_lists,
        title="Pinning sites",
        for_analyst=True,
        changes={Change.OVERRIDES},
    )


def unpin_sites(
    runs: RunService,
    loaded: LoadedRun,
    site_ids: Sequence[str],
    prepare_lists: PrepareLists | None = None,
) -> Worker:
    return FunctionWorker(
        repin,
        runs,
        loaded,
        tuple(site_ids),
        None,
        prepare_lists,
        title="Removing pins",
        for_analyst=True,
        changes={Change.OVERRIDES},
    )


def export_run(loaded: LoadedRun, directory: Path) -> ExportRunWorker:
    return ExportRunWorker(loaded, directory)
