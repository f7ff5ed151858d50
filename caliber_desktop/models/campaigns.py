"""Templates, campaigns and the report files attached to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caliber_desktop.models.base import Base, Timestamps, str_enum
from caliber_desktop.models.enums import (
    AnalysisLevel,
    CampaignStatus,
    Channel,
    FileFormat,
    Goal,
    Platform,
)


class CampaignSettingsColumns:
    """The five settings a template carries and a campaign copies (never references)."""

    platform: Mapped[Platform] = mapped_column(str_enum(Platform))
    goal: Mapped[Goal] = mapped_column(str_enum(Goal))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    ctr_sensitivity: Mapped[bool] = mapped_column(default=False)
    analysis_level: Mapped[AnalysisLevel] = mapped_column(str_enum(AnalysisLevel))
    #: Optional per-metric weights overriding the profile ({metric: weight}).
    custom_weights: Mapped[dict[str, float] | None] = mapped_column(JSON)
    #: How sure a site must be to go on a list (0.5–0.99); None: the default in Settings.
    decision_confidence: Mapped[float | None] = mapped_column(Float)


class CampaignTemplate(CampaignSettingsColumns, Timestamps, Base):
    __tablename__ = "campaign_templates"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")


class Campaign(CampaignSettingsColumns, Timestamps, Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index(None, "user_id", "status"), Index(None, "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Where the settings were copied from; RESTRICT backs the "template in use" rule.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_templates.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus), default=CampaignStatus.PENDING
    )
    total_records: Mapped[int | None]
    processed_records: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: The KPI conversion pixel ("01".."20" or a pixel name); None means the default.
    kpi_pixel: Mapped[str | None] = mapped_column(String(255))
    #: Snapshots of the last successful run, so the campaign reads without joining its runs.
    scoring_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    column_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    data_quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    current_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("score_runs.id", ondelete="SET NULL", use_alter=True)
    )


class FileUpload(Base):
    """A report attached to a campaign. The bytes live once in the data dir, named by sha256."""

    __tablename__ = "file_uploads"
    __table_args__ = (UniqueConstraint("campaign_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Relative to the data dir, so a moved CALIBER_HOME keeps working.
    stored_path: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(512))
    detected_format: Mapped[FileFormat] = mapped_column(str_enum(FileFormat))
    encoding: Mapped[str | None] = mapped_column(String(32))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    sheet_name: Mapped[str | None] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]
