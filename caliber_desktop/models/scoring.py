"""Score runs, the per-site rows they produce, and the analyst's manual list overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caliber_desktop.models.base import Base, str_enum, utcnow
from caliber_desktop.models.enums import ListAction, RunStatus


class ScoreRun(Base):
    """One scoring of one campaign: its exact configuration, inputs and summary (for compare)."""

    __tablename__ = "score_runs"
    __table_args__ = (Index(None, "campaign_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    app_version: Mapped[str] = mapped_column(String(32), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    column_mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    campaign_score: Mapped[float | None] = mapped_column(Float)
    site_count: Mapped[int] = mapped_column(default=0)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_dropped: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str | None] = mapped_column(Text)


class SiteScore(Base):
    """One site (domain, app, CTV app) or supply vendor in one run.

    Hot columns are real columns (filter, sort, sum, "top 20 by score" in SQL); flags and the
    explanation are JSON. The per-metric numbers (raw, shrunk, interval, normalised, points) live
    in the run's :class:`RunFrame`: their columns follow the profile, and a columnar file of
    100k sites reads back in a fraction of a second where per-row JSON took seconds.
    """

    __tablename__ = "site_scores"
    __table_args__ = (
        UniqueConstraint("run_id", "site_id"),
        Index(None, "run_id", "score"),
        Index(None, "run_id", "recommendation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(512), default="")
    impressions: Mapped[float] = mapped_column(Float, default=0.0)
    spend: Mapped[float] = mapped_column(Float, default=0.0)
    clicks: Mapped[float] = mapped_column(Float, default=0.0)
    conversions: Mapped[float] = mapped_column(Float, default=0.0)
    score: Mapped[float | None] = mapped_column(Float)
    percentile: Mapped[float | None] = mapped_column(Float)
    quality_status: Mapped[str | None] = mapped_column(String(16))
    recommendation: Mapped[str | None] = mapped_column(String(24))
    confidence: Mapped[str | None] = mapped_column(String(8))
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RunFrame(Base):
    """The whole per-site frame of a run, as the engine produced it, in one Parquet file."""

    __tablename__ = "run_frames"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("score_runs.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(String(16), default="parquet")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListOverride(Base):
    """The analyst pinned a site to allow or block; survives re-runs, reversible."""

    __tablename__ = "list_overrides"
    __table_args__ = (UniqueConstraint("campaign_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(String(512))
    action: Mapped[ListAction] = mapped_column(str_enum(ListAction))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
