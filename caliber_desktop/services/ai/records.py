"""What the AI assistant stored, as plain records for the assistant, the PDF and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from caliber_desktop.models.assistant import AIInsight
from caliber_desktop.models.store import Store
from caliber_desktop.services.ai.kinds import INSIGHT_TITLES, INSIGHT_TYPES
from caliber_desktop.services.records import UserRef, jsonable

__all__ = [
    "INSIGHT_TITLES",
    "INSIGHT_TYPES",
    "InsightRecord",
    "insight_record",
    "list_insights",
]


@dataclass(frozen=True)
class InsightRecord:
    id: int
    campaign_id: int
    run_id: int | None
    insight_type: str
    #: For ``domain`` insights, the site it is about; else None.
    subject: str | None
    content: str
    #: The numbers the prompt was built from (what the insight "states it used").
    context: dict[str, Any]
    context_hash: str
    model: str
    #: Built from the run's statistics without a model ("offline insight").
    is_offline: bool
    created_at: datetime
    #: True when this call reused a stored insight instead of asking the model again.
    cached: bool = False

    @property
    def title(self) -> str:
        base = INSIGHT_TITLES.get(self.insight_type, self.insight_type)
        return f"{base}: {self.subject}" if self.subject else base

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


def insight_record(row: AIInsight, *, cached: bool = False) -> InsightRecord:
    return InsightRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        run_id=row.run_id,
        insight_type=row.insight_type,
        subject=row.subject,
        content=row.content,
        context=dict(row.context or {}),
        context_hash=row.context_hash,
        model=row.model,
        is_offline=row.is_offline,
        created_at=row.created_at,
        cached=cached,
    )


def list_insights(store: Store, user: UserRef, campaign_id: int) -> list[InsightRecord]:
    """The user's insights for one campaign, newest first (another user's campaign: none)."""
    with store.read() as session:
        rows = session.scalars(
            select(AIInsight)
            .where(AIInsight.campaign_id == campaign_id, AIInsight.user_id == user.id)
            .order_by(AIInsight.created_at.desc(), AIInsight.id.desc())
        ).all()
        return [insight_record(row) for row in rows]
