"""Heavy work in a child process that a pool worker supervises (issue 17).

Why a process: a thread shares the interpreter lock with the GUI thread, and the long C calls of
scoring a 1M-row report (Arrow's CSV parse, pandas, the Parquet write, SQLite's insert of 100k
rows) hold it for up to ~100 ms at a time, so the window stalled that long however the work was
split. A child process has its own interpreter: the GUI thread then only waits for the pipe.

How (Qt-free, so the child never loads Qt; :func:`run_in_child` runs on a pool worker):

- **spawn, never fork**, on every OS (fork would copy the Qt app and its threads); in the frozen
  app ``sys.executable`` is the app itself and the entry points call
  ``multiprocessing.freeze_support()`` first, so a child stops there and runs only the target;
- the target is a module-level function called as ``target(*args, progress=callback)``; its
  progress, result or error comes back through a one-way pipe, and the supervisor relays the
  progress to the worker's own callback (a cancellation point, as in-process);
- **cancel** = ``Process.terminate()`` (TerminateProcess on Windows, SIGTERM elsewhere; no
  signal Windows lacks), then ``kill()`` if it lingers: it stops the child mid-read too. The
  caller puts back what the child had marked (``RunService.restore_abandoned``);
- a child that **dies** (killed by the OS, out of memory, a crash in C) ends the pipe; the
  supervisor raises the caller's own :class:`~caliber_desktop.errors.CaliberError` naming the
  file and what to do, never hangs;
- **errors cross the boundary typed**: a ``CaliberError`` raised in the child is raised again in
  the parent as the same class with the same attributes and text (their constructors take
  keywords, so plain pickling would lose them); anything else is a bug, raised as
  :class:`ChildBugError` with the child's traceback.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import pickle
import traceback
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection, wait
from typing import Any

from caliber_desktop.errors import CaliberError
from caliber_desktop.services.progress import CancelToken, ProgressCallback, one_shot

log = logging.getLogger(__name__)

#: How often the supervisor looks at its cancel token while the child is quiet.
POLL_S = 0.05
#: How long a child that has answered gets to exit by itself, and a terminated one to go.
EXIT_WAIT_S = 3.0


class ChildDiedError(CaliberError):
    """The child ended without an answer: killed (by the OS, for memory) or crashed in C.

    The supervisor's caller words the message (which file, what to do); ``child_exit_code`` is
    for the log (negative: the POSIX signal that ended it).
    """

    def __init__(self, message: str, *, hint: str | None = None, child_exit_code: int | None):
        super().__init__(message, hint=hint)
        self.child_exit_code = child_exit_code


class ChildBugError(Exception):
    """A child raised something that is not a ``CaliberError``: a bug, reported as one.

    Its text names the child's exception; ``child_traceback`` (also chained as the cause, so the
    log and the dialog's details show it) is the child's own traceback.
    """

    def __init__(self, type_name: str, text: str, child_traceback: str) -> None:
        super().__init__(f"{type_name}: {text}" if text else type_name)
        self.child_traceback = child_traceback


class _ChildTracebackError(Exception):
    """Carries the child's formatted traceback as the cause of a :class:`ChildBugError`."""

    def __str__(self) -> str:
        return f"\n\nIn the child process:\n{self.args[0]}"


def run_in_child(
    target: Callable[..., object],
    args: tuple[object, ...],
    *,
    progress: ProgressCallback,
    cancel: CancelToken,
    died: Callable[[int | None], ChildDiedError],
    name: str = "caliber-child",
    started: Callable[[int], None] | None = None,
) -> Any:
    """Run ``target(*args, progress=...)`` in a spawned child and return what it returned.

    Blocks the calling (pool) thread, not the GUI thread. Raises ``Cancelled`` once
    ``cancel`` is set or ``progress`` raised it (the child is then stopped), the child's own
    typed error, :class:`ChildBugError`, or ``died(exit_code)`` when the child ended without an
    answer. The child is always gone and the pipe closed when this returns or raises.
    ``started(pid)`` is called once the child runs (logs, tests).
    """
    cancel.raise_if_cancelled()
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_child_main, args=(writer, target, args), name=name, daemon=True
    )
    answered = False
    try:
        try:
            process.start()
        finally:
            writer.close()  # the child has its own copy: its end-of-file is the child's end
        log.debug("%s started as process %s", name, process.pid)
        if started is not None and process.pid is not None:
            started(process.pid)
        while True:
            cancel.raise_if_cancelled()
            ready = wait([reader, process.sentinel], timeout=POLL_S)
            if reader in ready:
                try:
                    message = reader.recv()
                except EOFError:
                    break  # the child is gone without an answer
                kind = message[0]
                if kind == "progress":
                    progress(*message[1:])
                    continue
                answered = True
                if kind == "result":
                    return message[1]
                if kind == "error":
                    raise _typed_error(*message[1:])
                raise ChildBugError(*message[1:]) from _ChildTracebackError(message[3])
            if process.sentinel in ready and not reader.poll():
                break  # exited, and nothing is left in the pipe
        process.join(EXIT_WAIT_S)
        log.warning("%s ended without an answer (exit code %s)", name, process.exitcode)
        raise died(process.exitcode)
    finally:
        _stop(process, gently=answered)
        reader.close()


def _stop(process: multiprocessing.process.BaseProcess, *, gently: bool) -> None:
    """The child gone for good: given time to exit if it answered, else terminated, then killed."""
    if gently:
        process.join(EXIT_WAIT_S)
    if process.is_alive():
        process.terminate()
        process.join(EXIT_WAIT_S)
    if process.is_alive():
        process.kill()
        process.join()
    process.close()


# --------------------------------------------------------------------------- in the child


def _child_main(
    writer: Connection, target: Callable[..., object], args: tuple[object, ...]
) -> None:
    """The child's whole life: run the target, send its answer, close the pipe."""

    def progress(done: int, total: int, message: str) -> None:
        writer.send(("progress", done, total, message))

    try:
        try:
            value = target(*args, progress=one_shot(progress))  # the child ends with its job
        except BaseException as exc:  # every outcome goes back to the parent
            writer.send(_error_message(exc))
        else:
            writer.send(("result", value))
    finally:
        writer.close()


def _error_message(exc: BaseException) -> tuple[object, ...]:
    """What the parent needs to raise ``exc`` again: typed for a ``CaliberError``."""
    if isinstance(exc, CaliberError):
        cls = type(exc)
        state = dict(vars(exc))
        message = ("error", cls.__module__, cls.__qualname__, exc.args, state)
        try:
            pickle.dumps(message)
        except Exception:  # an attribute that cannot travel: the text still does
            message = ("error", cls.__module__, cls.__qualname__, exc.args, {})
        return message
    text = "".join(traceback.format_exception(exc))
    return ("bug", type(exc).__name__, str(exc), text)


# --------------------------------------------------------------------------- in the parent


def _typed_error(
    module: str, qualname: str, args: tuple[object, ...], state: Mapping[str, object]
) -> CaliberError:
    """The child's ``CaliberError`` rebuilt as the same class, attributes and text.

    Only classes of this package are looked up; anything unexpected becomes a plain
    ``CaliberError`` with the same text, which the analyst reads the same way.
    """
    cls: object = CaliberError
    if module == "caliber_desktop" or module.startswith("caliber_desktop."):
        try:
            found: object = importlib.import_module(module)
            for part in qualname.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            found = CaliberError
        if isinstance(found, type) and issubclass(found, CaliberError):
            cls = found
    assert isinstance(cls, type)
    assert issubclass(cls, CaliberError)
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    vars(error).update(state)
    return error
