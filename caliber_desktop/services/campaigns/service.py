"""Campaigns: created from a template (settings copied) or explicit settings; status and progress.

Status moves ``pending → processing → completed | failed``; a completed or failed campaign can be
scored again (``→ processing``), and a cancelled run returns ``processing`` to where it was.
A campaign cannot be deleted while it is processing; deleting a completed one throws away its
results, so it needs ``force=True`` (the GUI asks, the CLI wants ``--force``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from caliber_desktop.errors import ConflictError, ValidationError
from caliber_desktop.models import Campaign, CampaignTemplate, FileUpload
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.campaigns.templates import (
    apply_settings,
    clean_confidence,
    clean_name,
    settings_of,
)
from caliber_desktop.services.records import CampaignRecord, CampaignSettings, Page
from caliber_desktop.services.scope import UserScoped

S = CampaignStatus

#: Allowed status moves. processing → pending/completed also serve a cancelled (re-)run.
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.PENDING: frozenset({S.PROCESSING}),
    S.PROCESSING: frozenset({S.COMPLETED, S.FAILED, S.PENDING}),
    S.COMPLETED: frozenset({S.PROCESSING}),
    S.FAILED: frozenset({S.PROCESSING}),
}
MAX_PAGE = 500


def _status(raw: object) -> CampaignStatus:
    try:
        return CampaignStatus(str(raw).strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in CampaignStatus)
        raise ValidationError(
            f"status must be one of {allowed} (got {raw!r}).", field="status"
        ) from None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CampaignService(UserScoped):
    KIND = "Campaign"

    # ------------------------------------------------------------------ create
    def create(
        self,
        name: str,
        *,
        template_id: int | None = None,
        settings: CampaignSettings | Mapping[str, Any] | None = None,
        description: str = "",
        kpi_pixel: str | None = None,
        decision_confidence: float | None = None,
    ) -> CampaignRecord:
        """Create a pending campaign.

        With ``template_id`` the template's settings (custom weights and decision confidence
        too) are **copied**; any ``settings`` given as well override single fields, and a
        ``decision_confidence`` overrides the template's. Without a template all five settings
        are required.
        """
        clean = clean_name(name, "campaign")
        with self.store.write() as session:
            row = Campaign(
                user_id=self.user.id,
                name=clean,
                description=description.strip(),
                status=S.PENDING,
                kpi_pixel=(kpi_pixel or "").strip() or None,
            )
            if template_id is not None:
                template = self._owned(session, CampaignTemplate, template_id, "Template")
                resolved = settings_of(template)
                if settings:
                    changes = (
                        settings.as_dict() if isinstance(settings, CampaignSettings) else settings
                    )
                    resolved = resolved.with_changes(changes)
                row.template_id = template.id
                row.custom_weights = (
                    dict(template.custom_weights) if template.custom_weights else None
                )
                row.decision_confidence = template.decision_confidence
            elif isinstance(settings, CampaignSettings):
                resolved = settings
            else:
                resolved = CampaignSettings.from_mapping(settings or {})
            apply_settings(row, resolved)
            if decision_confidence is not None:
                row.decision_confidence = clean_confidence(decision_confidence)
            session.add(row)
            session.flush()
            return self._record(session, row)

    # ------------------------------------------------------------------ read
    def get(self, campaign_id: int) -> CampaignRecord:
        with self.store.read() as session:
            return self._record(session, self._owned(session, Campaign, campaign_id, self.KIND))

    def list(
        self,
        *,
        offset: int = 0,
        limit: int = 50,
        search: str | None = None,
        status: CampaignStatus | str | None = None,
    ) -> Page[CampaignRecord]:
        """One page of the user's campaigns, newest first, with the total for paging."""
        if offset < 0:
            raise ValidationError("offset cannot be negative.", field="offset")
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
        query = select(Campaign).where(Campaign.user_id == self.user.id)
        if status is not None and status != "":
            query = query.where(Campaign.status == _status(status))
        if search and search.strip():
            pattern = _like(search.strip().casefold())
            query = query.where(
                or_(
                    func.casefold(Campaign.name).like(pattern, escape="\\"),
                    func.casefold(Campaign.description).like(pattern, escape="\\"),
                )
            )
        with self.store.read() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(Campaign.created_at.desc(), Campaign.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            uploads = _upload_counts(session, [row.id for row in rows])
            items = [self._record(session, row, uploads.get(row.id, 0)) for row in rows]
        return Page(items=items, total=total, offset=offset, limit=limit)

    def counts_by_status(self) -> dict[CampaignStatus, int]:
        with self.store.read() as session:
            rows = session.execute(
                select(Campaign.status, func.count())
                .where(Campaign.user_id == self.user.id)
                .group_by(Campaign.status)
            ).all()
        counts = dict.fromkeys(CampaignStatus, 0)
        counts.update({status: int(count) for status, count in rows})
        return counts

    # ------------------------------------------------------------------ change
    def update(
        self,
        campaign_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        kpi_pixel: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> CampaignRecord:
        """Rename or re-describe; settings may change only while no run is in progress."""
        with self.store.write() as session:
            row = self._owned(session, Campaign, campaign_id, self.KIND)
            if name is not None:
                row.name = clean_name(name, "campaign")
            if description is not None:
                row.description = description.strip()
            if kpi_pixel is not None:
                row.kpi_pixel = kpi_pixel.strip() or None
            if settings:
                self._refuse_while_processing(row, "change the settings of")
                apply_settings(row, settings_of(row).with_changes(settings))
            session.flush()
            return self._record(session, row)

    def set_status(
        self, campaign_id: int, status: CampaignStatus | str, *, error: str | None = None
    ) -> CampaignRecord:
        """Move to ``status`` if the transition is allowed (see :data:`TRANSITIONS`)."""
        target = _status(status)
        with self.store.write() as session:
            row = self._owned(session, Campaign, campaign_id, self.KIND)
            if target not in TRANSITIONS[row.status]:
                raise ConflictError(
                    f"Campaign {row.name!r} is {row.status.value} and cannot become "
                    f"{target.value}.",
                    hint=_transition_hint(row.status),
                )
            now = utcnow()
            if target is S.PROCESSING:
                row.started_at = now
                row.error_message = None
                row.processed_records = 0
            elif target is S.COMPLETED:
                row.completed_at = now
                row.error_message = None
            elif target is S.FAILED:
                if not (error or "").strip():
                    raise ValidationError(
                        "A failed campaign needs the reason it failed.", field="error"
                    )
                row.error_message = (error or "").strip()
            row.status = target
            session.flush()
            return self._record(session, row)

    def update_progress(
        self, campaign_id: int, processed: int, total: int | None = None
    ) -> CampaignRecord:
        with self.store.write() as session:
            row = self._owned(session, Campaign, campaign_id, self.KIND)
            if row.status is not S.PROCESSING:
                raise ConflictError(
                    f"Campaign {row.name!r} is {row.status.value}; progress is recorded only "
                    "while it is processing."
                )
            total = row.total_records if total is None else total
            if processed < 0 or (total is not None and (total < 0 or processed > total)):
                raise ValidationError(
                    f"Progress {processed} of {total} is impossible.", field="processed"
                )
            row.processed_records = processed
            row.total_records = total
            session.flush()
            return self._record(session, row)

    def delete(self, campaign_id: int, *, force: bool = False) -> None:
        """Delete a campaign with its uploads' records, runs, overrides, insights and chat."""
        with self.store.write() as session:
            row = self._owned(session, Campaign, campaign_id, self.KIND)
            self._refuse_while_processing(row, "delete")
            if row.status is S.COMPLETED and not force:
                raise ConflictError(
                    f"Campaign {row.name!r} has scored results; deleting it also deletes them.",
                    hint="Confirm to delete it anyway (the CLI needs --force).",
                )
            session.delete(row)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _refuse_while_processing(row: Campaign, action: str) -> None:
        if row.status is S.PROCESSING:
            raise ConflictError(
                f"Campaign {row.name!r} is being scored; you cannot {action} it now.",
                hint="Wait for scoring to finish or cancel it first.",
            )

    def _record(
        self, session: Session, row: Campaign, uploads: int | None = None
    ) -> CampaignRecord:
        if uploads is None:
            uploads = _upload_counts(session, [row.id]).get(row.id, 0)
        return CampaignRecord(
            id=row.id,
            name=row.name,
            description=row.description,
            template_id=row.template_id,
            settings=settings_of(row),
            custom_weights=dict(row.custom_weights) if row.custom_weights else None,
            status=row.status,
            total_records=row.total_records,
            processed_records=row.processed_records,
            error_message=row.error_message,
            kpi_pixel=row.kpi_pixel,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
            completed_at=row.completed_at,
            current_run_id=row.current_run_id,
            upload_count=uploads,
            decision_confidence=row.decision_confidence,
        )


def _upload_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(FileUpload.campaign_id, func.count())
        .where(FileUpload.campaign_id.in_(ids))
        .group_by(FileUpload.campaign_id)
    ).all()
    return {int(cid): int(count) for cid, count in rows}


def _transition_hint(current: CampaignStatus) -> str:
    allowed = sorted(s.value for s in TRANSITIONS[current])
    return f"From {current.value} it can become: {', '.join(allowed)}."
