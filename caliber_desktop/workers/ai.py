"""The AI assistant's jobs: insights (one or a batch), streamed chat, and the small store jobs.

Every call that may reach the network (generate, batch, chat, status — the keyring can block too)
declares the network lane, never the DB lane: a slow model must not hold up the analyst's pins
and imports. The service opens its own short write transactions for what it stores, so those
jobs need no lane of their own. Deleting and clearing are plain store writes (the DB lane).

The service is handed in as a snapshot (``workspace.ai`` at the moment the job starts): settings
saved while a job runs rebind the workspace to a new service and only later jobs see it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from caliber_desktop.services.ai.transcript import save_text
from caliber_desktop.services.progress import CancelToken
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from pathlib import Path

    from caliber_desktop.services.ai import AIService
    from caliber_desktop.services.ai.records import InsightRecord

#: Deltas arriving faster than this are joined into one signal (≈ 30 repaints a second at most).
DELTA_INTERVAL_S = 1 / 30


@dataclass(frozen=True)
class InsightRequest:
    """One insight to generate: what the panel asked for, copied onto the worker."""

    campaign_id: int
    insight_type: str
    subject: str | None = None
    use_cache: bool = True


class GenerateInsightWorker(Worker):
    """One insight; the service falls back to an offline insight without a key or network."""

    title = "Generating an insight"
    lane = Lane.NETWORK
    changes = frozenset({Change.INSIGHTS})
    for_analyst = True
    cancellable = True

    def __init__(self, service: AIService, request: InsightRequest) -> None:
        super().__init__()
        self.service = service
        self.request = request

    def work(self) -> InsightRecord:
        request = self.request
        return self.service.generate(
            request.campaign_id,
            request.insight_type,
            subject=request.subject,
            use_cache=request.use_cache,
            cancel=self.token,
        )


class BatchSignals(QObject):
    """Per-type news of a batch, on top of the standard signals' overall progress."""

    #: insight type, then an ``InsightRecord`` (done) or a ``str`` (why it failed)
    item_done = Signal(str, object)


class GenerateBatchWorker(Worker):
    """Several insight types for one campaign; each type reports as soon as it is done.

    Result: the service's ``BatchResult``. A failed type does not stop the others; the
    ``progress`` message names the type that just finished. ``subject`` is the site of a
    ``domain`` insight (None: the service picks the run's top site).
    """

    title = "Generating insights"
    lane = Lane.NETWORK
    changes = frozenset({Change.INSIGHTS})
    for_analyst = True
    cancellable = True

    def __init__(
        self,
        service: AIService,
        campaign_id: int,
        types: Sequence[str],
        *,
        subject: str | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.campaign_id = campaign_id
        self.types = tuple(types)
        self.subject = subject
        self.batch_signals = BatchSignals()
        self._done = 0
        self._lock = threading.Lock()

    def work(self) -> object:
        self.signals.progress.emit(0, len(self.types), "")
        return self.service.generate_batch(
            self.campaign_id,
            list(self.types),
            cancel=self.token,
            on_done=self._on_done,
            subject=self.subject,
        )

    def _on_done(self, insight_type: str, outcome: InsightRecord | str) -> None:
        # Not report_progress: raising Cancelled inside the service's callback would read as a
        # failure of this type; the service checks the token itself between types.
        with self._lock:
            self._done += 1
            done = self._done
        self.batch_signals.item_done.emit(insight_type, outcome)
        self.signals.progress.emit(done, len(self.types), insight_type)


class ChatSignals(QObject):
    """The reply as it streams in; each emission carries the text added since the last one."""

    delta = Signal(str)


class ChatWorker(Worker):
    """Sends one message and streams the reply; the result is the stored reply (``ChatRecord``).

    Stop (:meth:`stop`) is not a cancel: the service ends the stream, stores what arrived as a
    "stopped" reply and returns it, and that record is this job's result. A cancel (quit, a
    superseding job) stops the stream the same way but the result is dropped, as for any job.
    Deltas are joined when they arrive faster than :data:`DELTA_INTERVAL_S`, and whatever is
    still held is sent before the result, so the text shown always ends up complete.
    """

    title = "Asking the assistant"
    lane = Lane.NETWORK
    changes = frozenset({Change.CHAT})
    #: not cancellable from the jobs list: a cancel drops the reply, while the Assistant
    #: dock's Stop keeps what arrived (the way to end a reply)
    for_analyst = True

    def __init__(self, service: AIService, campaign_id: int | None, message: str) -> None:
        super().__init__()
        self.service = service
        self.campaign_id = campaign_id
        self.message = message
        self.chat_signals = ChatSignals()
        self.stop_token = CancelToken()
        self._pending: list[str] = []
        self._last_emit = 0.0

    def stop(self) -> None:
        """End the reply where it is and keep it (callable from any thread)."""
        self.stop_token.cancel()

    def cancel(self) -> None:
        self.stop_token.cancel()
        super().cancel()

    def work(self) -> object:
        try:
            return self.service.chat(
                self.campaign_id, self.message, on_delta=self._on_delta, cancel=self.stop_token
            )
        finally:
            self._flush()

    def _on_delta(self, text: str) -> None:
        if not text:
            return
        self._pending.append(text)
        now = time.monotonic()
        if now - self._last_emit >= DELTA_INTERVAL_S:
            self._flush(now)

    def _flush(self, now: float | None = None) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self._last_emit = time.monotonic() if now is None else now
            self.chat_signals.delta.emit(text)


# ---------------------------------------------------------------------- short jobs
# Plain service calls, named once here so every panel's jobs read the same. Reads are READ, the
# status NETWORK (the keyring); delete and clear are DB-lane writes. Loads and the status check
# are bookkeeping; deleting and clearing are the analyst's (``for_analyst``).


def status_job(service: AIService) -> FunctionWorker:
    """The status line: reads the keyring (which can block) and the rate-limit counters."""
    return FunctionWorker(service.status, title="Checking the AI assistant", lane=Lane.NETWORK)


def insights_job(service: AIService, campaign_id: int) -> FunctionWorker:
    return FunctionWorker(service.insights, campaign_id, title="Loading insights", lane=Lane.READ)


def delete_insight_job(service: AIService, insight_id: int) -> FunctionWorker:
    return FunctionWorker(
        service.delete_insight,
        insight_id,
        title="Deleting an insight",
        for_analyst=True,
        changes={Change.INSIGHTS},
    )


def clear_insights_job(service: AIService, campaign_id: int) -> FunctionWorker:
    return FunctionWorker(
        service.clear_insights,
        campaign_id,
        title="Deleting insights",
        for_analyst=True,
        changes={Change.INSIGHTS},
    )


def chat_history_job(service: AIService, campaign_id: int | None, limit: int) -> FunctionWorker:
    return FunctionWorker(
        service.chat_history,
        campaign_id,
        limit=limit,
        title="Loading the conversation",
        lane=Lane.READ,
    )


def clear_chat_job(service: AIService, campaign_id: int | None) -> FunctionWorker:
    return FunctionWorker(
        service.clear_chat,
        campaign_id,
        title="Clearing the conversation",
        for_analyst=True,
        changes={Change.CHAT},
    )


def save_text_job(path: Path, text: str) -> FunctionWorker:
    """An insight or a conversation exported to a file (file work: the CPU lane)."""
    return FunctionWorker(
        save_text, path, text, title=f"Saving {path.name}", lane=Lane.CPU, for_analyst=True
    )
