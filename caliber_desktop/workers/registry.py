"""Where running jobs live: lanes, strong references, superseding, changes, cancel on quit.

Architecture rules 3, 4, 6 and 7 in one GUI-thread object:

* **References (3).** ``start()`` keeps the worker — and through it its ``WorkerSignals`` — until
  the worker's queued ``finished`` arrives here, so nothing a job reports into is collected while it
  runs, and the last reference is dropped on the GUI thread. ``autoDelete`` is deliberately left
  on: in PySide6, ``QThreadPool.start()`` on a runnable with ``setAutoDelete(False)`` makes the
  pool the Python object's parent for the pool's whole life, so every job (and the snapshot it
  holds) would leak. With ``autoDelete`` on, the pool deletes only the C++ half after ``run()``
  returned; the registry sees that (``shiboken6.isValid`` turns false) and only then lets the
  Python object go, so the pool thread never holds the last reference. (Workers are queued with
  ``Worker.start_on``, which closes a PySide race that would otherwise leak very short jobs.)
* **Superseding (4).** ``start(worker, key="campaigns")``: a newer job with the same key makes the
  older one *superseded*: its token is cancelled and, should its result or error arrive anyway (it
  may already be queued), it is dropped. Only the latest job per key reaches its ``on_result`` /
  ``on_error`` callbacks and the registry's ``job_progress``/``failed`` signals; ``job_finished``
  reports the older one as ``superseded``. Callers therefore get results through the callbacks
  given to ``start()``, not by connecting to the worker's ``result`` themselves.
* **Lanes (6).** A job declares its :class:`~caliber_desktop.workers.lanes.Lane` and ``start()``
  submits it there: the serial DB lane (:func:`db_lane`, one thread, submission order) unless the
  job opted out (store reads, CPU and network jobs share the global pool). Callers no longer pick
  a pool, so none can forget the write lane; a DB-lane job is refused on any other pool.
* **Changes.** After a job that declared ``changes`` finished without failing, being cancelled or
  returning a :class:`~caliber_desktop.workers.base.Rejected`, :attr:`WorkerRegistry.changed`
  carries that set once, after the job's ``on_result`` ran; panels reload what they show from it
  instead of being told by whoever started the job. A superseded job whose work did complete
  counts too: the store changed even if nobody wants its result. Nothing is announced while
  :meth:`~WorkerRegistry.shutdown` waits (the app is quitting; a reload would only start jobs).
* **Quit (7).** :func:`install_quit_hook` cancels everything at ``aboutToQuit`` and waits, bounded.

Callbacks run on the GUI thread from this object's slots (the cross-thread receivers, rule 5),
so a callback may touch widgets directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEvent,
    QObject,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from caliber_desktop.workers.base import ErrorInfo, Rejected, Worker
from caliber_desktop.workers.lanes import Change, Lane, db_lane, pool_for

__all__ = [
    "Change",
    "ErrorCallback",
    "JobInfo",
    "JobOutcome",
    "Lane",
    "ResultCallback",
    "WorkerRegistry",
    "db_lane",
    "install_quit_hook",
    "pool_for",
]

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], object]
ErrorCallback = Callable[[ErrorInfo], object]

#: How often a finished worker is checked for the pool having let go of it (normally it has
#: by the time ``finished`` arrives, and the timer never starts).
_REAP_INTERVAL_MS = 5


class JobOutcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class JobInfo:
    """What a job declared about itself, for whoever lists jobs (plain data, no worker)."""

    job_id: str
    title: str
    #: :attr:`Worker.for_analyst <caliber_desktop.workers.base.Worker.for_analyst>`
    for_analyst: bool
    #: :attr:`Worker.cancellable <caliber_desktop.workers.base.Worker.cancellable>`
    cancellable: bool


@dataclass
class _Job:
    worker: Worker
    pool: QThreadPool
    key: str | None
    on_result: ResultCallback | None
    on_error: ErrorCallback | None
    superseded: bool = False
    failed: bool = False
    #: the result was a :class:`Rejected`: the service refused the input and changed nothing
    rejected: bool = False

    @property
    def changed(self) -> frozenset[Change]:
        """What this finished job changed: its declared changes if its work went through."""
        if self.failed or self.rejected or self.worker.cancelled:
            return frozenset()
        return self.worker.changes

    @property
    def outcome(self) -> JobOutcome:
        if self.superseded:
            return JobOutcome.SUPERSEDED
        if self.worker.cancelled:
            return JobOutcome.CANCELLED
        return JobOutcome.FAILED if self.failed else JobOutcome.DONE


class WorkerRegistry(QObject):
    """Starts workers and owns them until they finish; create and use it on the GUI thread."""

    #: job_id, title — accepted and queued
    job_added = Signal(str, str)
    #: job_id — began running on a pool thread
    job_started = Signal(str)
    #: job_id, done, total, message
    job_progress = Signal(str, int, int, str)
    #: job_id, outcome (a :class:`JobOutcome` value)
    job_finished = Signal(str, str)
    #: an :class:`ErrorInfo` from a job started without ``on_error`` (the window shows it)
    failed = Signal(object)
    #: job_id, its :class:`ErrorInfo` — any job that failed and was not superseded, whether or
    #: not its starter handled the error (the jobs list shows the message beside the job)
    job_failed = Signal(str, object)
    #: the last running job finished
    drained = Signal()
    #: a ``frozenset`` of :class:`Change`: what a job that just finished successfully changed
    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[str, _Job] = {}
        self._latest: dict[str, str] = {}
        self._retiring: list[Worker] = []
        self._reaper = QTimer(self)
        self._reaper.setInterval(_REAP_INTERVAL_MS)
        self._reaper.timeout.connect(self._reap)
        self._shutting_down = False
        #: used by the ``aboutToQuit`` hook; see :func:`install_quit_hook`
        self.quit_timeout_ms = 5000

    # ------------------------------------------------------------------ starting
    def db_lane(self) -> QThreadPool:
        return db_lane()

    def start(
        self,
        worker: Worker,
        *,
        key: str | None = None,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> str:
        """Run ``worker`` on its lane's pool and return its job id.

        ``on_result(value)`` / ``on_error(info)`` are called on the GUI thread unless the job was
        superseded. Without ``on_error``, errors are re-emitted as :attr:`failed`. The pool is
        the worker's lane's (:func:`~caliber_desktop.workers.lanes.pool_for`): a caller cannot
        put a store write beside another one.
        """
        self._require_own_thread()
        if worker.job_id in self._jobs or not shiboken6.isValid(worker):
            raise RuntimeError(f"{worker!r} was already started; a worker runs once.")
        if not worker.autoDelete():
            raise ValueError(
                f"{worker!r} has autoDelete off, which makes PySide keep it for the pool's whole "
                "life; leave it on (the registry holds the reference)."
            )
        pool = pool_for(worker.lane)
        job_id = worker.job_id
        if key is not None:
            older = self._jobs.get(self._latest.get(key, ""))
            if older is not None:
                older.superseded = True
                older.worker.cancel()
                log.debug("job %s (%s) superseded by %s", older.worker.job_id, key, job_id)
            self._latest[key] = job_id
        signals = worker.signals
        queued = Qt.ConnectionType.QueuedConnection
        signals.started.connect(self._on_started, queued)
        signals.progress.connect(self._on_progress, queued)
        signals.result.connect(self._on_result, queued)
        signals.error.connect(self._on_error, queued)
        signals.finished.connect(self._on_finished, queued)
        self._jobs[job_id] = _Job(worker, pool, key, on_result, on_error)
        self.job_added.emit(job_id, worker.title)
        worker.start_on(pool)
        return job_id

    # ------------------------------------------------------------------ control
    def running_count(self) -> int:
        """Jobs started whose ``finished`` has not arrived yet (queued ones included)."""
        return len(self._jobs)

    def is_running(self, job_id: str) -> bool:
        return job_id in self._jobs

    def job_info(self, job_id: str) -> JobInfo | None:
        """What a running (or queued) job declared; None once its ``finished`` arrived.

        Listeners of :attr:`job_added` call it from their slot: the job is registered by then.
        """
        job = self._jobs.get(job_id)
        if job is None:
            return None
        worker = job.worker
        return JobInfo(job_id, worker.title, worker.for_analyst, worker.cancellable)

    def cancel(self, job_id: str) -> bool:
        """Ask one job to stop; False if it is not running (any more)."""
        job = self._jobs.get(job_id)
        if job is None:
            return False
        job.worker.cancel()
        return True

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.worker.cancel()

    def wait_all(self, timeout_ms: int) -> bool:
        """Block until every job finished (``timeout_ms < 0``: no limit); True if all did.

        Waits for the pools the jobs run on (including anything else queued there), then
        delivers the signals already queued to this registry — so ``on_result``/``on_error``
        callbacks run now — and the count and references are up to date on return. Blocks the
        GUI thread: meant for quitting and tests.
        """
        self._require_own_thread()
        deadline = QDeadlineTimer(-1 if timeout_ms < 0 else timeout_ms)
        pools = {id(job.pool): job.pool for job in self._jobs.values()}
        for pool in pools.values():
            remaining = deadline.remainingTime()
            if not pool.waitForDone(remaining if remaining >= 0 else -1):
                break
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return not self._jobs

    def shutdown(self, timeout_ms: int) -> bool:
        """Cancel everything and wait; False (and a log line) if some job outlived the wait.

        Jobs finishing meanwhile announce no :attr:`changed`: a panel reloading now would only
        start new jobs while the app quits.
        """
        self.cancel_all()
        self._shutting_down = True
        try:
            done = self.wait_all(timeout_ms)
        finally:
            self._shutting_down = False
        if done:
            return True
        log.warning(
            "%d background job(s) still running after %d ms: %s",
            len(self._jobs),
            timeout_ms,
            ", ".join(job.worker.title for job in self._jobs.values()),
        )
        return False

    # ------------------------------------------------------------------ worker signals
    def _job_of_sender(self) -> _Job | None:
        job_id = getattr(self.sender(), "job_id", None)
        return self._jobs.get(job_id) if isinstance(job_id, str) else None

    @Slot()
    def _on_started(self) -> None:
        job = self._job_of_sender()
        if job is not None and not job.superseded:
            self.job_started.emit(job.worker.job_id)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, message: str) -> None:
        job = self._job_of_sender()
        if job is not None and not job.superseded:
            self.job_progress.emit(job.worker.job_id, done, total, message)

    @Slot(object)
    def _on_result(self, value: object) -> None:
        job = self._job_of_sender()
        if job is None:
            return
        job.rejected = isinstance(value, Rejected)
        if job.superseded:
            return
        if job.on_result is not None:
            job.on_result(value)

    @Slot(object)
    def _on_error(self, info: object) -> None:
        job = self._job_of_sender()
        if job is None:
            return
        job.failed = True
        if job.superseded or not isinstance(info, ErrorInfo):
            return
        self.job_failed.emit(job.worker.job_id, info)
        if job.on_error is not None:
            job.on_error(info)
        else:
            self.failed.emit(info)

    @Slot()
    def _on_finished(self) -> None:
        job = self._job_of_sender()
        if job is None:
            return
        job_id = job.worker.job_id
        del self._jobs[job_id]
        if job.key is not None and self._latest.get(job.key) == job_id:
            del self._latest[job.key]
        outcome = job.outcome
        changed = job.changed
        self._retire(job.worker)
        del job
        self.job_finished.emit(job_id, outcome.value)
        if changed and not self._shutting_down:
            log.debug("job %s changed %s", job_id, ", ".join(sorted(changed)))
            self.changed.emit(changed)
        if not self._jobs:
            self.drained.emit()

    # ------------------------------------------------------------------ lifetime
    def _retire(self, worker: Worker) -> None:
        """Let go of a finished worker once the pool thread has let go of it too."""
        if shiboken6.isValid(worker):
            self._retiring.append(worker)
            if not self._reaper.isActive():
                self._reaper.start()

    @Slot()
    def _reap(self) -> None:
        self._retiring = [worker for worker in self._retiring if shiboken6.isValid(worker)]
        if not self._retiring:
            self._reaper.stop()

    def _require_own_thread(self) -> None:
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("WorkerRegistry is used from its own (the GUI) thread only.")

    @Slot()
    def _on_about_to_quit(self) -> None:
        self.shutdown(self.quit_timeout_ms)


def install_quit_hook(
    app: QCoreApplication, registry: WorkerRegistry, timeout_ms: int = 5000
) -> None:
    """At ``aboutToQuit``, cancel running work and wait at most ``timeout_ms`` (rule 7).

    Jobs stop at their next cancellation point; store writes are transactions, so one that is cut
    off by the process ending leaves the database as it was before it.
    """
    registry.quit_timeout_ms = timeout_ms
    app.aboutToQuit.connect(registry._on_about_to_quit)
