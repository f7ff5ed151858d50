"""The insight cache: a stored insight *is* the cache entry.

The key is user + campaign + insight type (+ subject) + model + the sha256 of the canonical context
JSON; the TTL is ``ai.cache_ttl_s``. Rather than copying answers into ``cache_entries``, the lookup
finds the newest model-written ``ai_insights`` row with that key created within the TTL:

* one copy of each answer — nothing to keep in sync, nothing to expire separately;
* deleting an insight the analyst did not like also forgets it as a cache entry, so the next
  request asks the model again (a separate cache would keep serving the deleted answer);
* the context hash changes whenever the figures change (a new run, a new pin), so a stale answer
  is never served for new numbers; the model is part of the key, so switching models asks again.

Offline insights are never served from here (``is_offline`` rows are excluded): they are not model
answers, and a fresh one costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from caliber_desktop.models.assistant import AIInsight
from caliber_desktop.models.store import Store
from caliber_desktop.services.ai.records import InsightRecord, insight_record


@dataclass(frozen=True)
class CacheKey:
    user_id: int
    campaign_id: int
    insight_type: str
    subject: str | None
    model: str
    context_hash: str


def find_cached(store: Store, key: CacheKey, *, now: datetime, ttl_s: int) -> InsightRecord | None:
    """The stored answer for ``key`` younger than ``ttl_s`` seconds, marked ``cached``; or None."""
    if ttl_s <= 0:
        return None
    subject = (
        AIInsight.subject.is_(None) if key.subject is None else AIInsight.subject == key.subject
    )
    with store.read() as session:
        row = session.scalars(
            select(AIInsight)
            .where(
                AIInsight.user_id == key.user_id,
                AIInsight.campaign_id == key.campaign_id,
                AIInsight.insight_type == key.insight_type,
                subject,
                AIInsight.model == key.model,
                AIInsight.context_hash == key.context_hash,
                AIInsight.is_offline.is_(False),
                AIInsight.created_at > now - timedelta(seconds=ttl_s),
                AIInsight.created_at <= now,
            )
            .order_by(AIInsight.created_at.desc(), AIInsight.id.desc())
            .limit(1)
        ).first()
        return None if row is None else insight_record(row, cached=True)
