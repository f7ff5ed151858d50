"""The conversation store: one thread per user × campaign (campaign ``None``: the general one).

Fixes the original's two chat faults: every message is stored with its user and campaign (the
original's ``save_conversation`` dropped both), and the analyst's message is committed *before* the
model is called, so a failed or stopped call never loses what was typed. Assistant replies carry a
status: ``ok``, ``stopped`` (Stop pressed; the partial text is kept) or ``failed`` (the content is
the error message, shown in place of the reply and never sent back to the model as history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.assistant import ChatMessage
from caliber_desktop.models.enums import ChatRole
from caliber_desktop.models.store import Store
from caliber_desktop.services.records import jsonable

#: How many earlier messages go to the model with a new one.
HISTORY_WINDOW = 10
MAX_MESSAGE_CHARS = 4000
STATUSES = ("ok", "failed", "stopped")


@dataclass(frozen=True)
class ChatRecord:
    id: int
    campaign_id: int | None
    role: str  # "user" | "assistant"
    content: str
    status: str  # "ok" | "failed" | "stopped"
    model: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


def chat_record(row: ChatMessage) -> ChatRecord:
    return ChatRecord(
        id=row.id,
        campaign_id=row.campaign_id,
        role=str(ChatRole(row.role).value),
        content=row.content,
        status=row.status,
        model=row.model,
        created_at=row.created_at,
    )


def clean_message(message: object) -> str:
    """The analyst's message, validated: 1–4000 characters after trimming."""
    if not isinstance(message, str) or not message.strip():
        raise ValidationError("Type a message first.", field="message")
    text = message.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValidationError(
            f"The message is {len(text):,} characters long; the limit is {MAX_MESSAGE_CHARS:,}.",
            field="message",
            hint="Shorten it or split it into several questions.",
        )
    return text


class ChatLog:
    """Reads and writes one user's chat messages (ownership of the campaign is checked above)."""

    def __init__(self, store: Store, user_id: int) -> None:
        self.store = store
        self.user_id = user_id

    def _thread(self, campaign_id: int | None) -> Any:
        where = ChatMessage.user_id == self.user_id
        if campaign_id is None:
            return where & ChatMessage.campaign_id.is_(None)
        return where & (ChatMessage.campaign_id == campaign_id)

    def add(
        self,
        campaign_id: int | None,
        role: ChatRole,
        content: str,
        *,
        status: str = "ok",
        model: str = "",
        created_at: datetime,
    ) -> ChatRecord:
        with self.store.write() as session:
            row = ChatMessage(
                user_id=self.user_id,
                campaign_id=campaign_id,
                role=role,
                content=content,
                status=status,
                model=model,
                created_at=created_at,
            )
            session.add(row)
            session.flush()
            return chat_record(row)

    def history(self, campaign_id: int | None, limit: int | None = None) -> list[ChatRecord]:
        """The thread oldest first; ``limit``: only the last ``limit`` messages."""
        with self.store.read() as session:
            return self._history(session, campaign_id, limit)

    def _history(
        self, session: Session, campaign_id: int | None, limit: int | None
    ) -> list[ChatRecord]:
        query = (
            select(ChatMessage)
            .where(self._thread(campaign_id))
            .order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc())
        )
        if limit is not None:
            query = query.limit(max(0, limit))
        rows = session.scalars(query).all()
        return [chat_record(row) for row in reversed(rows)]

    def context_window(self, campaign_id: int | None, before_id: int) -> list[dict[str, str]]:
        """The last :data:`HISTORY_WINDOW` usable messages before ``before_id``, as API messages.

        Failed replies (error messages, not the model's words) are left out; a stopped reply is
        what the analyst saw, so it stays.
        """
        with self.store.read() as session:
            rows = session.scalars(
                select(ChatMessage)
                .where(
                    self._thread(campaign_id),
                    ChatMessage.id < before_id,
                    ChatMessage.status != "failed",
                    ChatMessage.content != "",
                )
                .order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc())
                .limit(HISTORY_WINDOW)
            ).all()
            return [
                {"role": str(ChatRole(row.role).value), "content": row.content}
                for row in reversed(rows)
            ]

    def clear(self, campaign_id: int | None) -> int:
        with self.store.write() as session:
            gone = session.execute(delete(ChatMessage).where(self._thread(campaign_id)))
            return int(getattr(gone, "rowcount", 0) or 0)
