"""The analyst's flows, wiring panels to services through workers.

Panels only show data and emit intents ("score campaign 3", "pin these sites"); this object turns
each intent into a job on the registry (writes on the DB lane) and puts the job's plain result back
into the panels. Nothing here touches the store on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.records import CampaignRecord, Page
from caliber_desktop.services.scoring.explain import explain_site
from caliber_desktop.ui.lists.prepared import prepare_run_lists
from caliber_desktop.ui.results.prepared import prepare_results
from caliber_desktop.workers import campaigns, scoring
from caliber_desktop.workers.base import ErrorInfo, Worker
from caliber_desktop.workers.lanes import Change
from caliber_desktop.workers.scoring import LoadedRun

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.ui.mainwindow.api import (
        CampaignList,
        CampaignOverview,
        RunView,
        SiteDetail,
    )
    from caliber_desktop.workers.registry import WorkerRegistry

log = logging.getLogger(__name__)
#: Changes the campaign list shows: names, status, settings (via templates), file counts, runs.
LIST_CHANGES = frozenset({Change.CAMPAIGNS, Change.TEMPLATES, Change.UPLOADS, Change.RUNS})

#: Campaigns listed at once (newest first); the search narrows it.
CAMPAIGN_PAGE = 500


class Workbench(QObject):
    """Owns what is open (campaign, run) and runs the jobs behind every panel's intents."""

    #: a run is shown (a :class:`LoadedRun`)
    run_loaded = Signal(object)
    #: whether a scored run is open now (the export and report actions follow it)
    run_available = Signal(bool)
    #: a scoring job started (campaign id) / ended (True when it produced a run)
    scoring_started = Signal(int)
    scoring_finished = Signal(bool)
    #: progress of the scoring job: done, total, message
    scoring_progress = Signal(int, int, str)
    #: export finished: the files written
    exported = Signal(list)
    #: the campaign list was (re)loaded and shown, or failed to load
    campaigns_listed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        registry: WorkerRegistry,
        *,
        window: RunView,
        campaign_list: CampaignList,
        overview: CampaignOverview,
        detail: SiteDetail,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        #: the window, as far as showing runs, errors and messages goes
        self.window = window
        self.campaign_list = campaign_list
        self.overview = overview
        self.detail = detail
        #: the site the Site detail shows (its pin must follow a pin or unpin)
        self.shown_site: str | None = None
        self.workspace = workspace
        self.registry = registry
        self.loaded: LoadedRun | None = None
        self.campaign_id: int | None = None
        self.scoring_job: str | None = None
        self._produced = False
        #: the campaign whose run a scoring job just delivered (selecting it loads nothing)
        self._delivered: int | None = None
        self._search: tuple[str, object] = ("", None)
        #: the campaigns last listed, by id (what dialogs are opened for)
        self.campaigns: dict[int, CampaignRecord] = {}

    # ------------------------------------------------------------------ campaigns
    @Slot()
    def refresh_campaigns(self) -> None:
        search, status = self._search
        worker = campaigns.list_campaigns(
            self.workspace,
            limit=CAMPAIGN_PAGE,
            search=search or None,
            status=status if isinstance(status, CampaignStatus) else None,
        )
        self.registry.start(
            worker, key="campaigns", on_result=self._on_campaigns, on_error=self._on_list_failed
        )

    @Slot(str, object)
    def set_query(self, search: str, status: object) -> None:
        self._search = (search, status)
        self.refresh_campaigns()

    def _on_campaigns(self, page: Any) -> None:
        if isinstance(page, Page):
            self.campaigns = {c.id: c for c in page.items if isinstance(c, CampaignRecord)}
            self.campaign_list.set_campaigns(page)
            self.overview.show_campaigns(page)
        self.campaigns_listed.emit()

    def _on_list_failed(self, info: ErrorInfo) -> None:
        self.overview.show_error(info.message)
        self.window.report_error(info)
        self.campaigns_listed.emit()

    @Slot(int)
    def open_campaign(self, campaign_id: int) -> None:
        """Show the campaign's current run (if it has one)."""
        self.campaign_id = campaign_id
        if campaign_id == self._delivered:
            return  # the scoring job brought this run with it: no second load (~1 s at 100k)
        worker = scoring.load_current_run(
            self.workspace, campaign_id, prepare_results, prepare_run_lists
        )
        self.registry.start(
            worker, key="run", on_result=self._show_run, on_error=self.window.report_error
        )

    def _show_run(self, loaded: Any) -> None:
        if isinstance(loaded, CampaignRecord):
            if loaded.id == self.campaign_id:
                self.loaded = None
                self.window.show_no_results(loaded)
                self.run_available.emit(False)
            return
        if not isinstance(loaded, LoadedRun) or loaded.campaign_id != self.campaign_id:
            return  # the analyst moved on to another campaign meanwhile
        self.loaded, self.shown_site = loaded, None
        self.window.show_run(loaded)
        self.run_loaded.emit(loaded)
        self.run_available.emit(True)

    @Slot(object)
    def campaign_created(self, record: object) -> None:
        if isinstance(record, CampaignRecord):  # the list refreshes on the registry's `changed`
            self.campaign_list.select_campaign(record.id)
            self.open_campaign(record.id)

    @Slot(int, bool)
    def delete_campaign(self, campaign_id: int, force: bool) -> None:
        self.registry.start(
            campaigns.delete_campaign(self.workspace, campaign_id, force=force),
            on_result=lambda _none: self._after_delete(campaign_id),
            on_error=self.window.report_error,
        )

    def _after_delete(self, campaign_id: int) -> None:
        if self.campaign_id == campaign_id:
            self.campaign_id, self.loaded = None, None
            self.window.clear_results()
            self.run_available.emit(False)

    @Slot(int, str)
    def rename_campaign(self, campaign_id: int, name: str) -> None:
        self.registry.start(
            campaigns.rename_campaign(self.workspace, campaign_id, name),
            on_error=self.window.report_error,
        )

    @Slot(object)
    def on_changed(self, changes: object) -> None:
        """After any write job (the registry's one "what changed" signal): refresh what shows it.

        Campaigns created, renamed or deleted, templates (their names show in the list), uploads
        (file counts) and runs: the campaign list reloads, whoever made the change.
        """
        if isinstance(changes, frozenset) and changes & LIST_CHANGES:
            self.refresh_campaigns()

    # ------------------------------------------------------------------ scoring
    @Slot(int)
    def score(
        self,
        campaign_id: int,
        upload_id: int | None = None,
        mapping_override: Mapping[str, str] | None = None,
        kpi_pixels: Sequence[str] | None = None,
    ) -> None:
        """Score on a worker; one scoring at a time (a second request is refused politely)."""
        if self.scoring_job is not None:
            self.window.statusBar().showMessage("A campaign is already being scored.", 5000)
            return
        worker = scoring.score_campaign(
            self.workspace.runs,
            campaign_id,
            upload_id=upload_id,
            mapping_override=mapping_override,
            kpi_pixels=tuple(kpi_pixels) if kpi_pixels else None,
            campaign_name=campaign.name if (campaign := self.campaigns.get(campaign_id)) else None,
            prepare=prepare_results,  # the results table's arrays, made on the worker
            prepare_lists=prepare_run_lists,  # and the lists panel's
        )
        worker.signals.progress.connect(self.scoring_progress)
        worker.signals.finished.connect(self._on_scoring_finished)
        self.campaign_id = campaign_id
        self.scoring_job = self.registry.start(
            worker, key="score", on_result=self._on_scored, on_error=self._on_score_failed
        )
        self.scoring_started.emit(campaign_id)
        self.refresh_campaigns()  # shows it as processing

    @Slot(int, int, object, object)
    def score_upload(
        self, campaign_id: int, upload_id: int, mapping: object, pixels: object
    ) -> None:
        self.score(
            campaign_id,
            upload_id,
            mapping if isinstance(mapping, Mapping) else None,
            tuple(pixels) if isinstance(pixels, list | tuple) else None,
        )

    @Slot()
    def cancel_scoring(self) -> None:
        if self.scoring_job is not None:
            self.registry.cancel(self.scoring_job)

    def _on_scored(self, loaded: Any) -> None:
        self._produced = isinstance(loaded, LoadedRun)
        self._delivered = loaded.campaign_id if self._produced else None
        try:  # selecting the scored campaign, if another was, opens it: with this run
            self.campaign_list.select_campaign(getattr(loaded, "campaign_id", -1))
        finally:
            self._delivered = None
        self._show_run(loaded)

    def _on_score_failed(self, info: ErrorInfo) -> None:
        self.window.report_error(info)

    @Slot()
    def _on_scoring_finished(self) -> None:
        produced, self._produced = self._produced, False
        self.scoring_job = None
        if not produced:
            self.window.statusBar().showMessage("Scoring stopped; the previous results stay.", 8000)
            # A failed or cancelled job announces no change, but the campaign's status did.
            self.refresh_campaigns()
        self.scoring_finished.emit(produced)

    # ------------------------------------------------------------------ sites and lists
    @Slot(str)
    def show_site(self, site_id: str) -> None:
        if self.loaded is None or site_id not in self.loaded.result.sites.index:
            self.shown_site = None
            self.detail.clear()
            return
        self.shown_site = site_id
        explanation = explain_site(self.loaded.result, site_id)
        self.detail.show_site(explanation, self.loaded.overrides.get(site_id))

    @Slot(list, str, str)
    def pin(self, site_ids: list[str], action: str, reason: str) -> None:
        """Pin on the DB lane; the lists are rebuilt there too (100k sites: not on the GUI
        thread), from the run already loaded."""
        if self.loaded is not None:
            self._start_pins(
                scoring.pin_sites(
                    self.workspace.runs, self.loaded, site_ids, action, reason, prepare_run_lists
                )
            )

    @Slot(list)
    def unpin(self, site_ids: list[str]) -> None:
        if self.loaded is not None:
            self._start_pins(
                scoring.unpin_sites(self.workspace.runs, self.loaded, site_ids, prepare_run_lists)
            )

    def _start_pins(self, worker: Worker) -> None:
        self.registry.start(
            worker, on_result=self._on_pins_changed, on_error=self.window.report_error
        )

    def _on_pins_changed(self, changed: Any) -> None:
        current = self.loaded
        if (
            not isinstance(changed, LoadedRun)
            or current is None
            or changed.run.id != current.run.id
        ):
            return  # another run is shown now
        self.loaded = changed
        self.window.show_overrides(changed)
        if self.shown_site is not None:  # the Site detail says "pinned to …" at once
            self.show_site(self.shown_site)
        self.run_loaded.emit(changed)

    @Slot(str)
    def export(self, folder: str) -> None:
        if self.loaded is None:
            return
        self.registry.start(
            scoring.export_run(self.loaded, Path(folder)),
            on_result=self._on_exported,
            on_error=self.window.report_error,
        )

    def _on_exported(self, paths: Any) -> None:
        written = [Path(p) for p in paths] if isinstance(paths, list) else []
        if written:
            self.window.statusBar().showMessage(
                f"Exported {len(written)} files to {written[0].parent}", 15_000
            )
        self.exported.emit(written)

    # ------------------------------------------------------------------ confirmations
    def confirm_delete(self, record: CampaignRecord) -> bool:
        parent = self.parent()
        answer = QMessageBox.question(
            parent if isinstance(parent, QWidget) else None,
            "Delete campaign",
            f"Delete {record.name!r} with its files' records, runs and pins?",
        )
        return answer == QMessageBox.StandardButton.Yes
