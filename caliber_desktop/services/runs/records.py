"""What a score run looks like outside the store: a plain, immutable record.

Separate from :mod:`caliber_desktop.services.runs.service` so the window and the CLI can name the
type without loading the scoring engine, and so the conversion rules (no NaN in JSON) live in one
place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from caliber_desktop.models.enums import RunStatus
from caliber_desktop.models.scoring import ScoreRun


@dataclass(frozen=True)
class RunRecord:
    id: int
    campaign_id: int
    upload_id: int | None
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    campaign_score: float | None
    site_count: int
    rows_read: int
    rows_dropped: int
    config: dict[str, Any]
    column_mapping: dict[str, Any]
    data_quality: dict[str, Any]
    summary: dict[str, Any]


def number_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def plain_json(value: Any) -> Any:
    """JSON-able without NaN (SQLite's JSON would store invalid JSON)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_record(run: ScoreRun) -> RunRecord:
    return RunRecord(
        id=run.id,
        campaign_id=run.campaign_id,
        upload_id=run.upload_id,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        campaign_score=run.campaign_score,
        site_count=run.site_count,
        rows_read=run.rows_read,
        rows_dropped=run.rows_dropped,
        config=dict(run.config or {}),
        column_mapping=dict(run.column_mapping or {}),
        data_quality=dict(run.data_quality or {}),
        summary=dict(run.summary or {}),
    )
