"""The local profile: who the app runs as until Firebase sign-in is configured."""

from __future__ import annotations

import getpass

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from caliber_desktop.models import User
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.store import Store
from caliber_desktop.services.records import UserRef


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers, services)
        return "Analyst"


def to_ref(user: User) -> UserRef:
    return UserRef(
        id=user.id, display_name=user.display_name, email=user.email, is_local=user.is_local
    )


def local_profile(store: Store) -> UserRef:
    """Return the one local profile, creating it on first use.

    ``INSERT ... ON CONFLICT DO NOTHING`` against the partial unique index makes two processes
    starting at once end up with the same single row.
    """
    now = utcnow()
    with store.write() as session:
        session.execute(
            insert(User)
            .values(
                is_local=True,
                display_name=_os_user(),
                created_at=now,
                updated_at=now,
                last_login_at=now,
            )
            .on_conflict_do_nothing()
        )
        user = session.scalars(select(User).where(User.is_local.is_(True))).one()
        return to_ref(user)
