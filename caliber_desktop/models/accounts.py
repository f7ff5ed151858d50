"""People and the organisations they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from caliber_desktop.models.base import Base, Timestamps


class Organization(Timestamps, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class User(Timestamps, Base):
    """A Firebase account, or the one local profile used while sign-in is not configured.

    ``firebase_uid`` is unique (the original lacked this and could create duplicates on concurrent
    logins) and NULL only for the local profile; a partial unique index allows one local profile.
    """

    __tablename__ = "users"
    __table_args__ = (
        Index(
            "uq_users_one_local_profile",
            "is_local",
            unique=True,
            sqlite_where=text("is_local = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firebase_uid: Mapped[str | None] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    is_local: Mapped[bool] = mapped_column(default=False)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    last_login_at: Mapped[datetime | None]
