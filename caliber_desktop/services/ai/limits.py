"""Per-user rate limits for AI requests: sliding windows of one minute and one hour in SQLite.

Each request that goes to the model records an event (``rate_limit_events``; a batch records one
event whose cost is its number of types). A new request is refused when the events of the last
60 s or 3600 s plus its cost would exceed the settings' limits; the refusal says exactly when the
oldest events leave the window. The check and the insert run in one write transaction, so two
windows (or the GUI and the CLI) cannot both take the last slot. The clock is injected for tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from caliber_desktop.errors import RateLimitedError
from caliber_desktop.models.infra import RateLimitEvent
from caliber_desktop.models.store import Store

KIND = "ai"
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Quota:
    remaining_per_minute: int
    remaining_per_hour: int


class RateLimiter:
    def __init__(
        self,
        store: Store,
        user_id: int,
        *,
        per_minute: int,
        per_hour: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.user_id = user_id
        self.limits = ((MINUTE, per_minute, "minute"), (HOUR, per_hour, "hour"))
        self.clock = clock

    def _events(self, session: Session, now: datetime) -> list[tuple[datetime, int]]:
        rows = session.execute(
            select(RateLimitEvent.occurred_at, RateLimitEvent.cost)
            .where(
                RateLimitEvent.user_id == self.user_id,
                RateLimitEvent.kind == KIND,
                RateLimitEvent.occurred_at > now - HOUR,
            )
            .order_by(RateLimitEvent.occurred_at, RateLimitEvent.id)
        ).all()
        return [(at, int(cost)) for at, cost in rows]

    def quota(self) -> Quota:
        now = self.clock()
        with self.store.read() as session:
            events = self._events(session, now)
        left = [
            max(0, limit - sum(c for at, c in events if at > now - window))
            for window, limit, _ in self.limits
        ]
        return Quota(left[0], left[1])

    def acquire(self, cost: int = 1) -> None:
        """Record ``cost`` requests now, or raise :class:`RateLimitedError` saying when to retry."""
        now = self.clock()
        with self.store.write() as session:
            session.execute(
                delete(RateLimitEvent).where(
                    RateLimitEvent.user_id == self.user_id,
                    RateLimitEvent.kind == KIND,
                    RateLimitEvent.occurred_at <= now - HOUR,
                )
            )
            events = self._events(session, now)
            for window, limit, name in self.limits:
                self._check(events, now, window, limit, name, cost)
            session.add(RateLimitEvent(user_id=self.user_id, kind=KIND, cost=cost, occurred_at=now))

    @staticmethod
    def _check(
        events: list[tuple[datetime, int]],
        now: datetime,
        window: timedelta,
        limit: int,
        name: str,
        cost: int,
    ) -> None:
        inside = [(at, c) for at, c in events if at > now - window]
        used = sum(c for _, c in inside)
        if used + cost <= limit:
            return
        hint = "Raise the limit in Settings › AI if you need more."
        if cost > limit:
            raise RateLimitedError(
                f"{cost} AI requests at once are more than your limit of {limit} per {name}.",
                retry_after_s=window.total_seconds(),
                hint=f"Ask for fewer insight types at once. {hint}",
            )
        # The moment enough of the oldest events have left the window for ``cost`` to fit.
        freed, retry_at = 0, now
        for at, c in inside:
            freed += c
            retry_at = at + window
            if used - freed + cost <= limit:
                break
        wait = float(max(1, math.ceil((retry_at - now).total_seconds())))
        local = retry_at.astimezone().strftime("%H:%M:%S")
        raise RateLimitedError(
            f"You reached your limit of {limit} AI requests per {name}; "
            f"try again in {wait:.0f} s (at {local}).",
            retry_after_s=wait,
            hint=hint,
        )
