"""The one place that decides what "yours" means: every lookup filters by the current user."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from caliber_desktop.errors import NotFoundError
from caliber_desktop.models.store import Store
from caliber_desktop.services.records import UserRef

M = TypeVar("M")


class UserScoped:
    """Base of every service: bound to a store and the user the calls run as."""

    def __init__(self, store: Store, user: UserRef) -> None:
        self.store = store
        self.user = user

    def _owned(self, session: Session, model: type[M], ident: Any, kind: str) -> M:
        """The row with ``ident`` if the current user owns it; otherwise "not found".

        Another user's object is indistinguishable from a missing one.
        """
        if not isinstance(ident, int) or isinstance(ident, bool):
            raise NotFoundError(kind, ident)
        row = session.get(model, ident)
        if row is None or getattr(row, "user_id", None) != self.user.id:
            raise NotFoundError(kind, ident)
        return row
