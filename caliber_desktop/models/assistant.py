"""What the AI assistant produced and was told, per user and campaign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caliber_desktop.models.base import Base, str_enum, utcnow
from caliber_desktop.models.enums import ChatRole


class AIInsight(Base):
    __tablename__ = "ai_insights"
    __table_args__ = (Index(None, "campaign_id", "insight_type", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("score_runs.id", ondelete="SET NULL"))
    insight_type: Mapped[str] = mapped_column(String(32))
    #: For `domain` insights: which site it is about.
    subject: Mapped[str | None] = mapped_column(String(512))
    content: Mapped[str] = mapped_column(Text)
    context_hash: Mapped[str] = mapped_column(String(64), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model: Mapped[str] = mapped_column(String(128), default="")
    #: True when built from the run's statistics without calling a model.
    is_offline: Mapped[bool] = mapped_column(default=False)
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatMessage(Base):
    """One turn of a conversation; ``campaign_id`` NULL is the general conversation."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index(None, "user_id", "campaign_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ChatRole] = mapped_column(str_enum(ChatRole))
    content: Mapped[str] = mapped_column(Text)
    #: "ok", "failed" or "stopped" for assistant replies; the user's turn is stored first, always.
    status: Mapped[str] = mapped_column(String(16), default="ok")
    model: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
