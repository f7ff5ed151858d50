"""Scoring a campaign into the store, reading its runs back, and the analyst's list overrides.

A run is all or nothing. The campaign is marked ``processing`` (so nobody deletes it or attaches
files mid-run), the file is scored outside any transaction, and the run, its snapshots and every
per-site row are then written in ONE transaction together with ``completed``. Cancelled, the
campaign gets back exactly the status and fields it had; failed, it becomes ``failed`` with the
message — and either way its previous run stays current, untouched.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, select

from caliber_desktop import __version__
from caliber_desktop.config import ScoringSettings
from caliber_desktop.errors import CaliberError, ConflictError, NotFoundError, ValidationError
from caliber_desktop.models import Campaign, FileUpload
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import CampaignStatus, ListAction, RunStatus
from caliber_desktop.models.scoring import ListOverride, ScoreRun
from caliber_desktop.models.store import Store
from caliber_desktop.services.campaigns.templates import settings_of
from caliber_desktop.services.progress import Cancelled, CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.runs.lock import ScoringLock
from caliber_desktop.services.runs.records import (
    RunRecord,
    number_or_none,
    plain_json,
    run_record,
)
from caliber_desktop.services.runs.site_rows import insert_sites, read_sites
from caliber_desktop.services.scope import UserScoped
from caliber_desktop.services.scoring.engine import ScoredReport, ScoreRequest, score_file
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import (
    DataQuality,
    MetricUse,
    ScoreResult,
    ScoringConfig,
)

log = logging.getLogger(__name__)
INTERRUPTED = (
    "Scoring was interrupted (Caliber closed before it finished); the previous results are kept."
    " Score the campaign again."
)
S = CampaignStatus
#: Campaign fields a cancelled run puts back exactly as they were.
_RESTORED = ("status", "started_at", "processed_records", "total_records", "error_message")


class RunService(UserScoped):
    KIND = "Campaign"

    def __init__(self, store: Store, user: UserRef, root: Path, settings: ScoringSettings) -> None:
        super().__init__(store, user)
        self.root = root
        self.settings = settings

    # ------------------------------------------------------------------ scoring
    def score_campaign(
        self,
        campaign_id: int,
        *,
        upload_id: int | None = None,
        mapping_override: Mapping[str, str] | None = None,
        kpi_pixels: tuple[str, ...] | None = None,
        progress: ProgressCallback = no_progress,
        cancel: CancelToken | None = None,
        decision_confidence: float | None = None,
    ) -> RunRecord:
        """Score the campaign's report (the latest upload unless ``upload_id``) into a new run.

        ``decision_confidence`` overrides the campaign's own (and the Settings default) for this
        run only.
        """
        cancel = cancel or CancelToken()
        lock = ScoringLock(self.root, campaign_id)
        if not lock.acquire():
            raise ConflictError(
                "This campaign is already being scored (in this window or another Caliber).",
                hint="Wait for that run to finish or cancel it.",
            )
        try:
            return self._score_locked(
                campaign_id,
                upload_id,
                mapping_override,
                kpi_pixels,
                progress,
                cancel,
                decision_confidence,
            )
        finally:
            lock.release()

    def _score_locked(
        self,
        campaign_id: int,
        upload_id: int | None,
        mapping_override: Mapping[str, str] | None,
        kpi_pixels: tuple[str, ...] | None,
        progress: ProgressCallback,
        cancel: CancelToken,
        decision_confidence: float | None = None,
    ) -> RunRecord:
        request, upload, before = self._begin(
            campaign_id, upload_id, mapping_override, kpi_pixels, decision_confidence
        )
        try:
            scored = score_file(
                self.root / upload.stored_path,
                request,
                display_name=upload.original_name,
                progress=progress,
                cancel=cancel,
            )
            cancel.raise_if_cancelled()
            progress(100, 100, "Saving results")
            return self._commit(campaign_id, upload.id, scored, cancel)
        except Cancelled:
            self._restore(campaign_id, before)
            raise
        except CaliberError as exc:
            self._fail(campaign_id, str(exc))
            raise
        except Exception as exc:  # a bug: the campaign must not stay "processing" forever
            log.exception("scoring campaign %s failed", campaign_id)
            self._fail(campaign_id, f"Scoring failed unexpectedly ({type(exc).__name__}).")
            raise

    def _begin(
        self,
        campaign_id: int,
        upload_id: int | None,
        mapping_override: Mapping[str, str] | None,
        kpi_pixels: tuple[str, ...] | None,
        decision_confidence: float | None = None,
    ) -> tuple[ScoreRequest, FileUpload, dict[str, Any]]:
        with self.store.write() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            if campaign.status is S.PROCESSING:  # we hold the lock: that run died with its process
                log.warning("campaign %s: an interrupted run is replaced", campaign_id)
                campaign.status = S.FAILED
                campaign.error_message = INTERRUPTED
            upload = self._upload(session, campaign, upload_id)
            before = {name: getattr(campaign, name) for name in _RESTORED}
            settings = settings_of(campaign)
            pixel = campaign.kpi_pixel
            request = ScoreRequest(
                goal=settings.goal,
                platform=settings.platform,
                channel=settings.channel,
                ctr_sensitivity=settings.ctr_sensitivity,
                level=settings.analysis_level,
                min_impressions=self.settings.min_impressions,
                allow_percentile=self.settings.allow_percentile,
                block_percentile=self.settings.block_percentile,
                normalization=self.settings.normalization,
                custom_weights=dict(campaign.custom_weights) if campaign.custom_weights else None,
                decision_confidence=(
                    decision_confidence
                    or campaign.decision_confidence
                    or self.settings.decision_confidence
                ),
                kpi_pixels=kpi_pixels or ((pixel,) if pixel else None),
                default_kpi_pixel=self.settings.default_kpi_pixel,
                mapping_override=dict(mapping_override) if mapping_override else None,
            )
            campaign.status = S.PROCESSING
            campaign.started_at = utcnow()
            campaign.error_message = None
            campaign.processed_records = 0
            campaign.total_records = None
            session.expunge(upload)
            return request, upload, before

    def _upload(self, session: Any, campaign: Campaign, upload_id: int | None) -> FileUpload:
        query = select(FileUpload).where(FileUpload.campaign_id == campaign.id)
        if upload_id is not None:
            query = query.where(FileUpload.id == upload_id)
        upload = session.scalars(
            query.order_by(FileUpload.uploaded_at.desc(), FileUpload.id.desc())
        ).first()
        if upload is None:
            if upload_id is not None:
                raise NotFoundError("Upload", upload_id)
            raise ValidationError(
                f"Campaign {campaign.name!r} has no report attached.",
                field="upload",
                hint="Attach a performance report first (caliber import FILE --campaign ID).",
            )
        if not (self.root / upload.stored_path).is_file():
            raise ValidationError(
                f"The stored copy of {upload.original_name} is missing from the data dir.",
                field="upload",
                hint="Attach the report again.",
            )
        return upload  # type: ignore[no-any-return]

    def _commit(
        self, campaign_id: int, upload_id: int, scored: ScoredReport, cancel: CancelToken
    ) -> RunRecord:
        result = scored.result
        quality = result.quality
        config = {**result.config.to_json(), "profile": result.profile}
        now = utcnow()
        with self.store.write() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            run = ScoreRun(
                campaign_id=campaign_id,
                upload_id=upload_id,
                status=RunStatus.COMPLETED,
                started_at=campaign.started_at or now,
                finished_at=now,
                app_version=__version__,
                config=config,
                column_mapping=scored.mapping_snapshot(),
                data_quality=quality.to_json(),
                summary=plain_json(result.summary),
                campaign_score=number_or_none(result.summary.get("campaign_score")),
                site_count=len(result.sites),
                rows_read=quality.rows_read,
                rows_dropped=quality.rows_dropped,
            )
            session.add(run)
            session.flush()
            insert_sites(session.connection(), run.id, result.sites)
            cancel.raise_if_cancelled()  # the last moment a cancel is still honoured
            campaign.current_run_id = run.id
            campaign.scoring_config = config
            campaign.column_mapping = run.column_mapping
            campaign.data_quality = run.data_quality
            campaign.status = S.COMPLETED
            campaign.completed_at = now
            campaign.error_message = None
            campaign.total_records = campaign.processed_records = quality.rows_read
            session.flush()
            return run_record(run)

    def _restore(self, campaign_id: int, before: Mapping[str, Any]) -> None:
        with self.store.write() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            for name, value in before.items():
                setattr(campaign, name, value)

    def _fail(self, campaign_id: int, message: str) -> None:
        with self.store.write() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            campaign.status = S.FAILED
            campaign.error_message = message

    # ------------------------------------------------------------------ scoring in another process
    def report_to_score(self, campaign_id: int, upload_id: int | None = None) -> tuple[Path, str]:
        """The stored file :meth:`score_campaign` would read, and the name the analyst knows it by.

        Raises what :meth:`score_campaign` raises for a missing campaign or report, so a
        supervisor (the window's scoring job) can check before it starts a scoring process.
        """
        with self.store.read() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            upload = self._upload(session, campaign, upload_id)
            return self.root / upload.stored_path, str(upload.original_name)

    def scoring_snapshot(self, campaign_id: int) -> dict[str, Any]:
        """The campaign fields a stopped run puts back (see :meth:`restore_abandoned`)."""
        with self.store.read() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            return {name: getattr(campaign, name) for name in _RESTORED}

    def restore_abandoned(
        self, campaign_id: int, before: Mapping[str, Any], *, wait_s: float = 0.0
    ) -> bool:
        """Put back ``before`` when the process scoring ``campaign_id`` was killed part-way.

        A killed process cannot restore the campaign itself (as a cancelled one does): its write
        transaction is rolled back by SQLite and its scoring lock released by the OS, but the
        ``processing`` mark it committed at the start stays. Only done while nobody scores the
        campaign (the lock is taken first, waiting up to ``wait_s`` for the OS to release the
        dead process's) and only over that mark. True if restored.
        """
        deadline = time.monotonic() + wait_s
        with ScoringLock(self.root, campaign_id) as lock:
            while not lock.acquire():
                if time.monotonic() >= deadline:
                    log.warning("campaign %s: its scoring lock is still held", campaign_id)
                    return False
                time.sleep(0.05)
            with self.store.write() as session:
                campaign = self._owned(session, Campaign, campaign_id, self.KIND)
                if campaign.status is not S.PROCESSING:
                    return False
                for name, value in before.items():
                    setattr(campaign, name, value)
                return True

    def recover_interrupted(self) -> list[int]:
        """Campaigns left ``processing`` by a run that died with its process become ``failed``.

        Called at start-up. A campaign another live process is scoring keeps its lock, so it is
        left alone. Returns the ids recovered.
        """
        with self.store.read() as session:
            stuck = list(
                session.scalars(
                    select(Campaign.id).where(
                        Campaign.user_id == self.user.id, Campaign.status == S.PROCESSING
                    )
                )
            )
        recovered = []
        for campaign_id in stuck:
            with ScoringLock(self.root, campaign_id) as lock:
                if not lock.acquire():
                    continue  # really running elsewhere
                with self.store.write() as session:
                    campaign = self._owned(session, Campaign, campaign_id, self.KIND)
                    if campaign.status is S.PROCESSING:
                        campaign.status = S.FAILED
                        campaign.error_message = INTERRUPTED
                        recovered.append(campaign_id)
        if recovered:
            log.warning("marked interrupted runs as failed: campaigns %s", recovered)
        return recovered

    # ------------------------------------------------------------------ reading runs
    def runs(self, campaign_id: int) -> list[RunRecord]:
        with self.store.read() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
            found = session.scalars(
                select(ScoreRun)
                .where(ScoreRun.campaign_id == campaign_id)
                .order_by(ScoreRun.started_at.desc(), ScoreRun.id.desc())
            ).all()
            return [run_record(run) for run in found]

    def run(self, run_id: int) -> RunRecord:
        with self.store.read() as session:
            return run_record(self._owned_run(session, run_id))

    def current_run(self, campaign_id: int) -> RunRecord | None:
        with self.store.read() as session:
            campaign = self._owned(session, Campaign, campaign_id, self.KIND)
            if campaign.current_run_id is None:
                return None
            return run_record(self._owned_run(session, campaign.current_run_id))

    def _owned_run(self, session: Any, run_id: int) -> ScoreRun:
        run = session.get(ScoreRun, run_id) if isinstance(run_id, int) else None
        if run is None:
            raise NotFoundError("Run", run_id)
        self._owned(session, Campaign, run.campaign_id, "Run")
        return run  # type: ignore[no-any-return]

    def site_frame(self, run_id: int) -> pd.DataFrame:
        """A run's sites as the engine produced them (index ``site_id``, score order)."""
        with self.store.read() as session:
            self._owned_run(session, run_id)
            return read_sites(session.connection(), run_id)

    def load_result(self, run_id: int) -> ScoreResult:
        """A stored run as the engine's :class:`ScoreResult` (explanations, lists, exports)."""
        record = self.run(run_id)
        summary = record.summary
        weights: dict[str, float] = summary.get("weights", {})
        directions: dict[str, Any] = summary.get("directions", {})
        uses = tuple(
            MetricUse(
                name=name,
                label=str(summary.get("labels", {}).get(name, name)),
                weight=float(weight),
                direction=directions.get(name, "higher"),
                median=number_or_none(summary.get("medians", {}).get(name)) or math.nan,
                unit=summary.get("units", {}).get(name, "ratio"),
                median_norm=float(summary.get("median_norms", {}).get(name, 50.0)),
            )
            for name, weight in weights.items()
        )
        return ScoreResult(
            config=ScoringConfig.from_json(record.config),
            profile=str(record.config.get("profile", "")),
            sites=self.site_frame(run_id),
            metrics=uses,
            dropped_metrics=dict(summary.get("dropped_metrics", {})),
            summary=summary,
            quality=DataQuality.from_json(record.data_quality),
        )

    # ------------------------------------------------------------------ overrides and lists
    def pin(self, campaign_id: int, site_id: str, action: ListAction | str, reason: str) -> None:
        """Pin ``site_id`` to the allow or block list of this campaign, on every future run."""
        try:
            pinned = ListAction(str(action).strip().lower())
        except ValueError:
            raise ValidationError(
                f"A site can be pinned to allow or block, not {action!r}.", field="action"
            ) from None
        site = site_id.strip()
        if not site:
            raise ValidationError("Say which site to pin.", field="site_id")
        with self.store.write() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
            row = session.scalars(
                select(ListOverride).where(
                    ListOverride.campaign_id == campaign_id, ListOverride.site_id == site
                )
            ).first()
            if row is None:
                row = ListOverride(campaign_id=campaign_id, user_id=self.user.id, site_id=site)
                session.add(row)
            row.action = pinned
            row.reason = reason.strip()
            row.created_at = utcnow()

    def unpin(self, campaign_id: int, site_id: str) -> bool:
        with self.store.write() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
            gone = session.execute(
                delete(ListOverride).where(
                    ListOverride.campaign_id == campaign_id, ListOverride.site_id == site_id
                )
            )
            return bool(getattr(gone, "rowcount", 0))

    def overrides(self, campaign_id: int) -> dict[str, Override]:
        with self.store.read() as session:
            self._owned(session, Campaign, campaign_id, self.KIND)
            found = session.scalars(
                select(ListOverride).where(ListOverride.campaign_id == campaign_id)
            ).all()
            return {row.site_id: Override(row.action.value, row.reason) for row in found}

    def lists(self, campaign_id: int, run_id: int | None = None) -> SiteLists:
        """The campaign's lists for ``run_id`` (default: the current run) with overrides applied."""
        if run_id is None:
            current = self.current_run(campaign_id)
            if current is None:
                raise ValidationError(
                    "This campaign has not been scored yet, so it has no lists.",
                    field="run",
                    hint="Score it first.",
                )
            run_id = current.id
        record = self.run(run_id)
        if record.campaign_id != campaign_id:
            raise NotFoundError("Run", run_id)
        warn = float(record.config.get("impact_warning_share", 0.20))
        return build_lists(self.site_frame(run_id), self.overrides(campaign_id), warning_share=warn)


# ----------------------------------------------------------------------------- rows
