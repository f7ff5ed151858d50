"""Campaign templates: reusable settings. A template in use cannot be deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caliber_desktop.errors import ConflictError, ValidationError
from caliber_desktop.models import Campaign, CampaignTemplate
from caliber_desktop.services.campaigns.confidence import CONFIDENCE_RANGE as CONFIDENCE_RANGE
from caliber_desktop.services.campaigns.confidence import clean_confidence as clean_confidence
from caliber_desktop.services.records import SETTING_FIELDS, CampaignSettings, TemplateRecord
from caliber_desktop.services.scope import UserScoped

MAX_NAME = 255


def clean_name(raw: object, what: str) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise ValidationError(f"The {what} needs a name.", field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(
            f"The {what} name is {len(name)} characters long; the limit is {MAX_NAME}.",
            field="name",
        )
    return name


def clean_weights(raw: Mapping[str, Any] | None) -> dict[str, float] | None:
    """Custom weights: metric → non-negative number, at least one positive."""
    if raw is None:
        return None
    weights: dict[str, float] = {}
    for metric, value in raw.items():
        try:
            weight = float(value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"The weight for {metric!r} must be a number (got {value!r}).",
                field="custom_weights",
            ) from None
        if weight < 0 or weight != weight:
            raise ValidationError(
                f"The weight for {metric!r} must be zero or more (got {value!r}).",
                field="custom_weights",
            )
        weights[str(metric)] = weight
    if weights and not any(weights.values()):
        raise ValidationError(
            "At least one custom weight must be above zero.", field="custom_weights"
        )
    return weights or None


def settings_of(row: CampaignTemplate | Campaign) -> CampaignSettings:
    return CampaignSettings(
        platform=row.platform,
        goal=row.goal,
        channel=row.channel,
        ctr_sensitivity=row.ctr_sensitivity,
        analysis_level=row.analysis_level,
    )


def apply_settings(row: CampaignTemplate | Campaign, settings: CampaignSettings) -> None:
    for name in SETTING_FIELDS:
        setattr(row, name, getattr(settings, name))


class TemplateService(UserScoped):
    KIND = "Template"

    # ------------------------------------------------------------------ reads
    def get(self, template_id: int) -> TemplateRecord:
        with self.store.read() as session:
            return self._record(
                session, self._owned(session, CampaignTemplate, template_id, self.KIND)
            )

    def list(self) -> list[TemplateRecord]:
        """The user's templates, newest first."""
        with self.store.read() as session:
            rows = session.scalars(
                select(CampaignTemplate)
                .where(CampaignTemplate.user_id == self.user.id)
                .order_by(CampaignTemplate.created_at.desc(), CampaignTemplate.id.desc())
            ).all()
            usage = _usage(session, [row.id for row in rows])
            return [self._record(session, row, usage.get(row.id, 0)) for row in rows]

    # ------------------------------------------------------------------ writes
    def create(
        self,
        name: str,
        settings: CampaignSettings | Mapping[str, Any],
        *,
        description: str = "",
        custom_weights: Mapping[str, Any] | None = None,
        decision_confidence: float | None = None,
    ) -> TemplateRecord:
        if not isinstance(settings, CampaignSettings):
            settings = CampaignSettings.from_mapping(settings)
        row = CampaignTemplate(
            user_id=self.user.id,
            name=clean_name(name, "template"),
            description=description.strip(),
            custom_weights=clean_weights(custom_weights),
            decision_confidence=clean_confidence(decision_confidence),
        )
        apply_settings(row, settings)
        with self.store.write() as session:
            self._refuse_duplicate(session, row.name)
            session.add(row)
            self._flush(session, row.name)
            return self._record(session, row, 0)

    def update(
        self,
        template_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        settings: Mapping[str, Any] | None = None,
        custom_weights: Mapping[str, Any] | None = None,
        decision_confidence: float | str | None = "",
    ) -> TemplateRecord:
        """Change a template. Campaigns already made from it keep their own copy.

        ``decision_confidence``: a value, None (back to the default), or "" (unchanged).
        """
        with self.store.write() as session:
            row = self._owned(session, CampaignTemplate, template_id, self.KIND)
            if name is not None:
                new_name = clean_name(name, "template")
                self._refuse_duplicate(session, new_name, exclude=row.id)
                row.name = new_name
            if description is not None:
                row.description = description.strip()
            if settings:
                apply_settings(row, settings_of(row).with_changes(settings))
            if custom_weights is not None:
                row.custom_weights = clean_weights(custom_weights)
            if decision_confidence != "":
                row.decision_confidence = clean_confidence(decision_confidence)
            self._flush(session, row.name)
            return self._record(session, row)

    def delete(self, template_id: int) -> None:
        with self.store.write() as session:
            row = self._owned(session, CampaignTemplate, template_id, self.KIND)
            names = session.scalars(
                select(Campaign.name).where(Campaign.template_id == row.id).order_by(Campaign.id)
            ).all()
            if names:
                shown = ", ".join(repr(n) for n in names[:3]) + (" …" if len(names) > 3 else "")
                raise ConflictError(
                    f"Template {row.name!r} is used by {len(names)} campaign"
                    f"{'s' if len(names) > 1 else ''} ({shown}) and cannot be deleted.",
                    hint="Delete those campaigns first, or keep the template.",
                )
            session.delete(row)

    # ------------------------------------------------------------------ helpers
    def _refuse_duplicate(self, session: Session, name: str, *, exclude: int | None = None) -> None:
        """Names are unique per user regardless of case; ``exclude`` is the template being renamed.

        Compared with the store's ``casefold()`` SQL function: SQLite's ``lower()`` folds ASCII
        only, so it would let "ÉTÉ" and "été" coexist.
        """
        clash = session.scalar(
            select(CampaignTemplate.id).where(
                CampaignTemplate.user_id == self.user.id,
                func.casefold(CampaignTemplate.name) == name.casefold(),
                CampaignTemplate.id != (exclude if exclude is not None else -1),
            )
        )
        if clash is not None:
            raise ConflictError(
                f"You already have a template named {name!r}.", hint="Choose another name."
            )

    def _flush(self, session: Session, name: str) -> None:
        try:
            session.flush()
        except IntegrityError:
            # Lost a race with another writer creating the same name.
            raise ConflictError(
                f"You already have a template named {name!r}.", hint="Choose another name."
            ) from None

    def _record(
        self, session: Session, row: CampaignTemplate, using: int | None = None
    ) -> TemplateRecord:
        if using is None:
            using = _usage(session, [row.id]).get(row.id, 0)
        return TemplateRecord(
            id=row.id,
            name=row.name,
            description=row.description,
            settings=settings_of(row),
            custom_weights=dict(row.custom_weights) if row.custom_weights else None,
            decision_confidence=row.decision_confidence,
            created_at=row.created_at,
            updated_at=row.updated_at,
            campaigns_using=using,
        )


def _usage(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Campaign.template_id, func.count())
        .where(Campaign.template_id.in_(ids))
        .group_by(Campaign.template_id)
    ).all()
    return {int(tid): int(count) for tid, count in rows if tid is not None}
