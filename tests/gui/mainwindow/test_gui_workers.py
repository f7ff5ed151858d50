"""Worker contract: the standard signals in order, errors as ErrorInfo, cooperative cancel."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import QObject, Qt, QThreadPool, Slot
from pytestqt.qtbot import QtBot

from caliber_desktop.errors import CaliberError, FileRejectedError
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker, Worker

TIMEOUT_MS = 5000


class Recorder(QObject):
    """Lives on the GUI thread; receives a worker's signals as queued calls (rule 5)."""

    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self.events: list[str] = []
        self.progress: list[tuple[int, int, str]] = []
        self.results: list[object] = []
        self.errors: list[ErrorInfo] = []
        queued = Qt.ConnectionType.QueuedConnection
        signals = worker.signals
        signals.started.connect(self.on_started, queued)
        signals.progress.connect(self.on_progress, queued)
        signals.result.connect(self.on_result, queued)
        signals.error.connect(self.on_error, queued)
        signals.finished.connect(self.on_finished, queued)

    @Slot()
    def on_started(self) -> None:
        self.events.append("started")

    @Slot(int, int, str)
    def on_progress(self, done: int, total: int, message: str) -> None:
        self.events.append("progress")
        self.progress.append((done, total, message))

    @Slot(object)
    def on_result(self, value: object) -> None:
        self.events.append("result")
        self.results.append(value)

    @Slot(object)
    def on_error(self, info: object) -> None:
        assert isinstance(info, ErrorInfo)
        self.events.append("error")
        self.errors.append(info)

    @Slot()
    def on_finished(self) -> None:
        self.events.append("finished")


class CountingWorker(Worker):
    title = "Counting"

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps

    def work(self) -> object:
        for step in range(1, self.steps + 1):
            self.report_progress(step, self.steps, f"step {step}")
        return sum(range(self.steps + 1))


class LoopUntilCancelled(Worker):
    """Checks its token between steps, as the scoring engine will; never ends by itself."""

    title = "Looping"

    def __init__(self) -> None:
        super().__init__()
        self.iterations = 0
        self.running = threading.Event()

    def work(self) -> object:
        while True:
            self.token.raise_if_cancelled()
            self.iterations += 1
            self.running.set()
            self.token.wait(0.005)  # a step of work that wakes up at once on cancel


def run(worker: Worker, qtbot: QtBot) -> Recorder:
    recorder = Recorder(worker)
    worker.start_on(QThreadPool.globalInstance())
    qtbot.waitUntil(lambda: "finished" in recorder.events, timeout=TIMEOUT_MS)
    return recorder


def test_signals_arrive_in_the_standard_order(qtbot: QtBot) -> None:
    recorder = run(CountingWorker(3), qtbot)
    assert recorder.events == ["started", "progress", "progress", "progress", "result", "finished"]
    assert recorder.progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert recorder.results == [6]


def test_function_worker_returns_the_callables_value(qtbot: QtBot) -> None:
    worker = FunctionWorker(divmod, 17, 5, title="Dividing")
    recorder = run(worker, qtbot)
    assert recorder.events == ["started", "result", "finished"]
    assert recorder.results == [(3, 2)]
    assert worker.title == "Dividing"
    assert not worker.cancelled


def test_expected_error_becomes_a_user_message_without_traceback(qtbot: QtBot) -> None:
    def reject() -> None:
        raise FileRejectedError("report.pdf", "this is not a spreadsheet", hint="Export a CSV.")

    recorder = run(FunctionWorker(reject, title="Attaching the file"), qtbot)
    assert recorder.events == ["started", "error", "finished"]
    (info,) = recorder.errors
    assert info == ErrorInfo(
        title="Attaching the file failed",
        message="report.pdf: this is not a spreadsheet Export a CSV.",
        details="",
        is_bug=False,
    )


def test_unexpected_exception_is_a_bug_logged_with_its_traceback(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ValueError("cannot convert 'n/a' to float")

    with caplog.at_level(logging.ERROR, logger="caliber_desktop.workers.base"):
        recorder = run(FunctionWorker(broken, title="Scoring"), qtbot)
    assert recorder.events == ["started", "error", "finished"]
    (info,) = recorder.errors
    assert info.is_bug
    assert info.title == "Scoring failed"
    assert "ValueError: cannot convert 'n/a' to float" in info.message
    assert "Traceback" in info.details
    assert "in broken" in info.details
    (record,) = [r for r in caplog.records if r.name == "caliber_desktop.workers.base"]
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError


def test_a_looping_worker_stops_when_cancelled(qtbot: QtBot) -> None:
    worker = LoopUntilCancelled()
    recorder = Recorder(worker)
    worker.start_on(QThreadPool.globalInstance())
    qtbot.waitUntil(worker.running.is_set, timeout=TIMEOUT_MS)
    worker.cancel()
    qtbot.waitUntil(lambda: "finished" in recorder.events, timeout=TIMEOUT_MS)
    assert worker.cancelled
    assert worker.iterations >= 1
    # A cancelled job reports neither a result nor an error.
    assert recorder.events == ["started", "finished"]


def test_report_progress_is_a_cancellation_point(qtbot: QtBot) -> None:
    worker = CountingWorker(1_000_000)
    worker.cancel()  # before it even starts
    recorder = run(worker, qtbot)
    assert worker.cancelled
    assert recorder.events == ["started", "finished"]


def test_a_result_that_arrives_after_cancel_is_dropped(qtbot: QtBot) -> None:
    gate = threading.Event()
    worker = FunctionWorker(gate.wait, 5, title="Waiting")  # cannot see its token
    recorder = Recorder(worker)
    worker.start_on(QThreadPool.globalInstance())
    qtbot.waitUntil(lambda: "started" in recorder.events, timeout=TIMEOUT_MS)
    worker.cancel()
    gate.set()
    qtbot.waitUntil(lambda: "finished" in recorder.events, timeout=TIMEOUT_MS)
    assert worker.cancelled
    assert recorder.results == []


def test_an_expected_failure_after_cancel_is_not_reported(qtbot: QtBot) -> None:
    class FailsOnceCancelled(Worker):
        def work(self) -> object:
            self.token.wait(5)
            raise CaliberError("The connection was closed.")

    worker = FailsOnceCancelled()
    recorder = Recorder(worker)
    worker.cancel()
    worker.start_on(QThreadPool.globalInstance())
    qtbot.waitUntil(lambda: "finished" in recorder.events, timeout=TIMEOUT_MS)
    assert worker.cancelled
    assert recorder.errors == []


def test_a_worker_without_work_is_a_bug_not_a_crash(qtbot: QtBot) -> None:
    recorder = run(Worker(title="Nothing"), qtbot)
    (info,) = recorder.errors
    assert info.is_bug
    assert "NotImplementedError" in info.message


def test_every_job_gets_its_own_id_and_token() -> None:
    first, second = FunctionWorker(print), FunctionWorker(print)
    assert first.job_id != second.job_id
    assert first.signals.job_id == first.job_id
    first.cancel()
    assert first.token.cancelled
    assert not second.token.cancelled


def test_cancel_token_raises_cancelled_with_a_plain_message() -> None:
    token = CancelToken()
    token.raise_if_cancelled()  # not cancelled: nothing happens
    token.cancel()
    with pytest.raises(Cancelled, match=r"^Cancelled\.$"):
        token.raise_if_cancelled()
    assert isinstance(Cancelled(), CaliberError)
    assert token.wait(0) is True
