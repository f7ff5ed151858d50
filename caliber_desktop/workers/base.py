"""The one shape every background job has (architecture rule 2).

A worker is a ``QRunnable`` that receives a snapshot (ids, paths, parameters, a copied frame) and
never a widget or an item model. It talks back only through its :class:`WorkerSignals`, which is
created on the GUI thread together with the worker, so every receiver there gets the emissions as
queued calls. Subclasses implement :meth:`Worker.work` and nothing else; ``run()`` turns its outcome
into the standard signals:

=====================  ==========================================================================
outcome of ``work()``  signals emitted (``started`` first and ``finished`` last, always)
=====================  ==========================================================================
returned a value       ``result(value)``
raised CaliberError    ``error(ErrorInfo(is_bug=False))`` — the message is the exception's text
raised anything else   ``error(ErrorInfo(is_bug=True))`` — logged with its traceback first
cancelled              neither ``result`` nor ``error``; :attr:`Worker.cancelled` is True
=====================  ==========================================================================

A job counts as cancelled when ``work()`` raises :class:`Cancelled` (the token's
``raise_if_cancelled`` or :meth:`Worker.report_progress` did it), or when the token was cancelled
by the time ``work()`` returned or failed with an expected error: nobody wants that result, and a
failure caused by stopping early is not news. A bug is reported even then.

Lifetime: ``autoDelete`` stays on (the registry module says why ``setAutoDelete(False)`` would
leak every job under PySide). The pool deletes the C++ half after ``run()`` returns; the registry,
which holds the Python object, drops it — and the signals with it — on the GUI thread once that
has happened. Start a worker with :meth:`Worker.start_on` (the registry does), never with a bare
``pool.start(worker)``.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from caliber_desktop.errors import CaliberError, ValidationError
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.workers.lanes import Change, Lane, changes_of

log = logging.getLogger(__name__)

#: A bug's own text in the dialog's sentence is cut to this; the details have all of it.
BUG_SUMMARY_CHARS = 160
#: How long ``run()`` waits for :meth:`Worker.start_on` to return before going ahead anyway.
SUBMIT_WAIT_S = 2.0


@dataclass(frozen=True)
class ErrorInfo:
    """What the GUI needs to report a failed job; plain data, safe to pass between threads.

    ``message`` is written for the analyst. ``details`` is the traceback for bugs (for the log
    and the dialog's "Show details"); it is empty for expected errors, whose message says it all.
    """

    title: str
    message: str
    details: str = ""
    is_bug: bool = False

    @classmethod
    def expected(cls, job_title: str, exc: CaliberError) -> ErrorInfo:
        return cls(title=f"{job_title} failed", message=str(exc))

    @classmethod
    def bug(cls, job_title: str, exc: BaseException) -> ErrorInfo:
        details = "".join(traceback.format_exception(exc))
        said = str(exc)
        if len(said) > BUG_SUMMARY_CHARS:  # the whole text is in the details and the log
            said = said[: BUG_SUMMARY_CHARS - 1].rstrip() + "…"
        return cls(
            title=f"{job_title} failed",
            message=(
                f"Caliber hit an unexpected problem ({type(exc).__name__}: {said}). "
                "This is a bug, not something you did; the details were written to the log."
            ),
            details=details,
            is_bug=True,
        )


class WorkerSignals(QObject):
    """The standard signal set; a separate QObject because a ``QRunnable`` cannot have signals."""

    started = Signal()
    #: done, total (0 = unknown), message
    progress = Signal(int, int, str)
    result = Signal(object)
    #: an :class:`ErrorInfo`
    error = Signal(object)
    #: emitted from a ``finally``: after this, the job will emit nothing more
    finished = Signal()

    def __init__(self, job_id: str) -> None:
        super().__init__()
        #: lets a receiver that serves many jobs tell them apart through ``QObject.sender()``
        self.job_id = job_id


class Worker(QRunnable):
    """Base of every background job: subclasses implement :meth:`work` and nothing else.

    Construct it on the GUI thread (its signals object must live there) and start it through the
    :class:`~caliber_desktop.workers.registry.WorkerRegistry`, which keeps it alive while it runs,
    or at least with :meth:`start_on` — never with a bare ``pool.start(worker)``. A worker runs
    once.
    """

    #: the job in the analyst's words: the jobs indicator (for analyst jobs), logs and error
    #: titles ("Loading campaigns failed")
    title = "Background job"
    #: where it runs (:mod:`~caliber_desktop.workers.lanes`); undeclared means the serial DB lane
    lane: Lane = Lane.DB
    #: what a successful run changes; the registry announces it with its ``changed`` signal
    changes: frozenset[Change] = frozenset()
    #: work the analyst asked for and may wait on (scoring, an export, a report, an insight):
    #: the status bar's jobs indicator and the Background jobs list show it. The default,
    #: False, is the app's own bookkeeping (loads, refreshes, status checks), which the analyst
    #: never needs to see; each named factory in ``workers/<feature>.py`` declares which it is.
    for_analyst: bool = False
    #: the job stops part-way when cancelled (it checks its token or reports progress), so
    #: offering Cancel for it means something; a plain call can only be dropped, not stopped
    cancellable: bool = False

    def __init__(
        self,
        *,
        title: str | None = None,
        lane: Lane | None = None,
        changes: Iterable[Change] | None = None,
        for_analyst: bool | None = None,
    ) -> None:
        super().__init__()
        if title is not None:
            self.title = title
        if lane is not None:
            self.lane = lane
        if changes is not None:
            self.changes = changes_of(changes)
        if for_analyst is not None:
            self.for_analyst = for_analyst
        self.job_id = uuid.uuid4().hex
        self.token = CancelToken()
        self.signals = WorkerSignals(self.job_id)
        #: set on the pool thread before ``finished``; read it only after ``finished`` arrived
        self.cancelled = False
        self._submitted = threading.Event()

    def start_on(self, pool: QThreadPool) -> None:
        """Queue the job on ``pool``.

        PySide's ``QThreadPool.start()`` makes the pool the runnable's parent only *after* Qt has
        queued it; a job that finishes before that moment gets a parent link nobody removes, and
        the worker (with its snapshot) is never freed. ``run()`` therefore waits until this
        method has returned. With a bare ``pool.start(worker)`` it waits :data:`SUBMIT_WAIT_S`
        and logs a warning.
        """
        pool.start(self)
        self._submitted.set()

    # ------------------------------------------------------------------ for subclasses
    def work(self) -> object:
        """Do the job on a pool thread and return its result (plain data, never ORM objects)."""
        raise NotImplementedError(f"{type(self).__name__} must implement work()")

    def report_progress(self, done: int, total: int, message: str = "") -> None:
        """Say how far the job is; also a cancellation point (raises :class:`Cancelled`).

        Matches :class:`~caliber_desktop.services.progress.ProgressCallback`, so it can be handed
        straight to a service.
        """
        self.token.raise_if_cancelled()
        self.signals.progress.emit(done, total, message)

    def cancel(self) -> None:
        """Ask the job to stop at its next cancellation point (callable from any thread)."""
        self.token.cancel()

    # ------------------------------------------------------------------ QRunnable
    def run(self) -> None:
        if not self._submitted.wait(SUBMIT_WAIT_S):
            log.warning("%r was started without Worker.start_on(); it may never be freed", self)
        signals = self.signals
        try:
            signals.started.emit()
            self.token.raise_if_cancelled()  # cancelled while still queued: do nothing
            value = self.work()
            self.token.raise_if_cancelled()  # a result that arrives after a cancel is unwanted
            signals.result.emit(value)
        except Cancelled:
            self.cancelled = True
            log.debug("job %s (%s) cancelled", self.job_id, self.title)
        except CaliberError as exc:
            if self.token.cancelled:
                self.cancelled = True
                log.debug("job %s (%s) cancelled; it then failed: %s", self.job_id, self.title, exc)
            else:
                log.info("job %s (%s) failed: %s", self.job_id, self.title, exc)
                signals.error.emit(ErrorInfo.expected(self.title, exc))
        except Exception as exc:
            log.exception("job %s (%s) failed with a bug", self.job_id, self.title)
            signals.error.emit(ErrorInfo.bug(self.title, exc))
        finally:
            signals.finished.emit()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title!r} {self.job_id} on {self.lane.value}>"


class FunctionWorker(Worker):
    """Runs one plain callable with arguments: for small jobs that need no progress of their own.

    The callable gets exactly the arguments given and cannot see the token, so it can only be
    cancelled before it starts (its result is still dropped if a cancel comes while it runs). Work
    that should stop part-way or report progress is a :class:`Worker` subclass instead.
    """

    def __init__(
        self,
        fn: Callable[..., object],
        *args: object,
        title: str | None = None,
        lane: Lane | None = None,
        changes: Iterable[Change] | None = None,
        for_analyst: bool | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(title=title, lane=lane, changes=changes, for_analyst=for_analyst)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def work(self) -> object:
        return self.fn(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Rejected:
    """A ValidationError carried back as a value: ``ErrorInfo`` would lose its ``field``.

    A job whose result is a ``Rejected`` changed nothing, so the registry announces no changes
    for it.
    """

    field: str | None
    message: str


def rejected_or(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service call on a worker, returning a :class:`Rejected` for bad input."""
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        return Rejected(exc.field, str(exc))
