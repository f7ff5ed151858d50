"""The analyst's jobs, picked out of everything the registry runs: what they read about work.

The registry runs the analyst's work (scoring, exports, reports, insights) beside the app's own
bookkeeping (loading results after a click, refreshing the campaign list, checking the AI
assistant). Each job declares which it is (:attr:`Worker.for_analyst
<caliber_desktop.workers.base.Worker.for_analyst>`, set by its named factory in
``workers/<feature>.py``); this object keeps only the analyst's, so the status bar's indicator,
its popup and the Background jobs dock show the same list and none of them decides by a job's
title. A job replaced by a newer request of the same kind is dropped without a trace: the
analyst did not lose anything, the newer one carries on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.registry import JobOutcome, WorkerRegistry

#: Finished jobs kept for "recent" (newest first); older ones drop off so a session stays small.
KEEP_FINISHED = 20


class JobState(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    CANCELLING = "cancelling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: How each state reads; a running job with progress reads as its percentage instead.
STATE_TEXT = {
    JobState.WAITING: "Waiting",
    JobState.RUNNING: "Running",
    JobState.CANCELLING: "Cancelling…",
    JobState.DONE: "Done",
    JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled",
}
_ACTIVE = frozenset({JobState.WAITING, JobState.RUNNING, JobState.CANCELLING})
_OUTCOME_STATE = {
    JobOutcome.DONE: JobState.DONE,
    JobOutcome.FAILED: JobState.FAILED,
    JobOutcome.CANCELLED: JobState.CANCELLED,
}


@dataclass
class AnalystJob:
    """One of the analyst's jobs as the GUI shows it (mutable: it follows the job)."""

    job_id: str
    title: str
    cancellable: bool
    state: JobState = JobState.WAITING
    done: int = 0
    #: 0 = how far it is is not known (a busy indicator, not a percentage)
    total: int = 0
    #: the job's latest stage ("Scoring sites")
    message: str = ""
    #: why it failed, in the analyst's words (the :class:`ErrorInfo`'s message)
    error: str = ""

    @property
    def active(self) -> bool:
        return self.state in _ACTIVE

    @property
    def can_cancel(self) -> bool:
        return self.cancellable and self.state in (JobState.WAITING, JobState.RUNNING)

    @property
    def percent(self) -> int | None:
        if self.total <= 0 or not self.active:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))

    def status(self) -> str:
        """One line for a list: "45 % · Scoring sites", "Done", "Failed: the file is empty"."""
        if self.state is JobState.FAILED and self.error:
            return f"Failed: {self.error}"
        if self.state is JobState.RUNNING:
            percent = self.percent
            parts = [f"{percent} %" if percent is not None else "", self.message]
            return " · ".join(part for part in parts if part) or STATE_TEXT[self.state]
        return STATE_TEXT[self.state]


class AnalystJobs(QObject):
    """The analyst's running jobs and the last :data:`KEEP_FINISHED` finished ones.

    Listens to the registry's signals (all on the GUI thread) and asks it what each new job
    declared. Every change is announced twice: per job (``added``/``updated``/``removed``, for
    lists that update rows in place) and as a whole (``changed``, for summaries).
    """

    #: job_id — a new analyst job (at the top of the running ones)
    added = Signal(str)
    #: job_id — its state, progress or message changed
    updated = Signal(str)
    #: job_id — gone: superseded, or dropped off the end of the recent ones
    removed = Signal(str)
    #: anything above happened
    changed = Signal()

    def __init__(self, registry: WorkerRegistry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self._jobs: dict[str, AnalystJob] = {}
        #: ids of finished jobs, oldest first
        self._finished: list[str] = []
        registry.job_added.connect(self._on_added)
        registry.job_started.connect(self._on_started)
        registry.job_progress.connect(self._on_progress)
        registry.job_failed.connect(self._on_failed)
        registry.job_finished.connect(self._on_finished)

    # ------------------------------------------------------------------ reading
    def job(self, job_id: str) -> AnalystJob | None:
        return self._jobs.get(job_id)

    def running(self) -> list[AnalystJob]:
        """Jobs not finished yet, oldest first (the first is the one the indicator names)."""
        return [job for job in self._jobs.values() if job.active]

    def recent(self) -> list[AnalystJob]:
        """Finished jobs, newest first."""
        return [self._jobs[job_id] for job_id in reversed(self._finished)]

    def listed(self) -> list[AnalystJob]:
        """What a list shows, top to bottom: the running jobs newest first, then the recent."""
        return [*reversed(self.running()), *self.recent()]

    def cancel(self, job_id: str) -> bool:
        """Stop a cancellable running job; False if it cannot be (any more)."""
        job = self._jobs.get(job_id)
        if job is None or not job.can_cancel or not self.registry.cancel(job_id):
            return False
        job.state = JobState.CANCELLING
        self._announce(self.updated, job_id)
        return True

    # ------------------------------------------------------------------ registry signals
    @Slot(str, str)
    def _on_added(self, job_id: str, _title: str) -> None:
        info = self.registry.job_info(job_id)
        if info is None or not info.for_analyst:
            return
        self._jobs[job_id] = AnalystJob(job_id, info.title, info.cancellable)
        self._announce(self.added, job_id)

    @Slot(str)
    def _on_started(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None and job.state is JobState.WAITING:
            job.state = JobState.RUNNING
            self._announce(self.updated, job_id)

    @Slot(str, int, int, str)
    def _on_progress(self, job_id: str, done: int, total: int, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or not job.active:
            return
        if job.state is JobState.WAITING:
            job.state = JobState.RUNNING
        job.done, job.total = done, max(total, 0)
        job.message = message or job.message
        self._announce(self.updated, job_id)

    @Slot(str, object)
    def _on_failed(self, job_id: str, info: object) -> None:
        job = self._jobs.get(job_id)
        if job is not None and isinstance(info, ErrorInfo):
            job.error = info.message

    @Slot(str, str)
    def _on_finished(self, job_id: str, outcome: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        state = _OUTCOME_STATE.get(JobOutcome(outcome))
        if state is None:  # superseded: a newer request of the same kind carries on
            del self._jobs[job_id]
            self._announce(self.removed, job_id)
            return
        job.state = state
        self._finished.append(job_id)
        self._announce(self.updated, job_id)
        while len(self._finished) > KEEP_FINISHED:
            old = self._finished.pop(0)
            del self._jobs[old]
            self._announce(self.removed, old)

    def _announce(self, signal: SignalInstance, job_id: str) -> None:
        signal.emit(job_id)
        self.changed.emit()
