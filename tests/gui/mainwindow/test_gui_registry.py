"""WorkerRegistry: references until finished, superseded results dropped, waiting, the DB lane."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject, Signal, Slot
from pytestqt.qtbot import QtBot

from caliber_desktop.errors import CaliberError
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker, Worker
from caliber_desktop.workers.registry import (
    JobOutcome,
    WorkerRegistry,
    db_lane,
    install_quit_hook,
)

TIMEOUT_MS = 5000


class GatedWorker(Worker):
    """Blocks until the test opens its gate or cancels it; returns its name."""

    def __init__(self, name: str, gate: threading.Event | None = None) -> None:
        super().__init__(title=f"Gated {name}")
        self.name = name
        self.gate = gate or threading.Event()
        self.entered = threading.Event()

    def work(self) -> object:
        self.entered.set()
        while not self.gate.wait(0.005):
            self.token.raise_if_cancelled()
        return self.name


class Outcomes(QObject):
    """Collects the registry's job_finished outcomes (a GUI-thread receiver)."""

    def __init__(self, registry: WorkerRegistry) -> None:
        super().__init__()
        self.by_job: dict[str, str] = {}
        registry.job_finished.connect(self.on_finished)

    @Slot(str, str)
    def on_finished(self, job_id: str, outcome: str) -> None:
        self.by_job[job_id] = outcome


def drained(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


def test_registry_keeps_the_worker_until_finished_then_lets_go_on_the_gui_thread(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    worker = GatedWorker("a")
    gate = worker.gate
    worker_ref = weakref.ref(worker)
    signals_ref = weakref.ref(worker.signals)
    released_on: list[str] = []
    weakref.finalize(worker.signals, lambda: released_on.append(threading.current_thread().name))
    job_id = registry.start(worker)
    del worker
    gc.collect()
    assert worker_ref() is not None, "the registry must hold a running worker"
    assert registry.is_running(job_id)
    assert registry.running_count() == 1

    gate.set()
    drained(registry, qtbot)

    def released() -> bool:
        gc.collect()
        return worker_ref() is None and signals_ref() is None

    qtbot.waitUntil(released, timeout=TIMEOUT_MS)
    assert released_on == [threading.main_thread().name]
    assert not registry.is_running(job_id)


def test_many_short_jobs_are_all_released_on_the_gui_thread(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    released_on: list[str] = []
    results: list[object] = []
    for number in range(30):
        worker = FunctionWorker(int, number)
        weakref.finalize(
            worker.signals, lambda: released_on.append(threading.current_thread().name)
        )
        registry.start(worker, on_result=results.append)
    del worker
    drained(registry, qtbot)

    def all_released() -> bool:
        gc.collect()
        return len(released_on) == 30

    qtbot.waitUntil(all_released, timeout=TIMEOUT_MS)
    assert set(released_on) == {threading.main_thread().name}
    assert sorted(results) == list(range(30))  # type: ignore[type-var]


def test_a_superseded_jobs_result_is_ignored_even_when_already_queued(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    outcomes = Outcomes(registry)
    results: list[object] = []
    older = FunctionWorker(str, "older")
    older_id = registry.start(older, key="campaigns", on_result=results.append)
    # Let the older job finish on its thread (the DB lane: it declares no lane) while the GUI
    # thread processes nothing: its result and finished signals are now queued.
    assert db_lane().waitForDone(TIMEOUT_MS)
    newer_id = registry.start(
        FunctionWorker(str, "newer"), key="campaigns", on_result=results.append
    )
    drained(registry, qtbot)
    assert results == ["newer"]
    assert outcomes.by_job == {older_id: "superseded", newer_id: "done"}
    assert older.token.cancelled


def test_superseding_cancels_the_older_job(registry: WorkerRegistry, qtbot: QtBot) -> None:
    outcomes = Outcomes(registry)
    results: list[object] = []
    older = GatedWorker("older")  # its gate never opens: only a cancel ends it
    older_id = registry.start(older, key="k", on_result=results.append)
    assert older.entered.wait(TIMEOUT_MS / 1000)
    newer = GatedWorker("newer")
    newer.gate.set()
    newer_id = registry.start(newer, key="k", on_result=results.append)
    drained(registry, qtbot)
    assert results == ["newer"]
    assert outcomes.by_job[older_id] == JobOutcome.SUPERSEDED
    assert outcomes.by_job[newer_id] == JobOutcome.DONE


def test_jobs_with_different_keys_do_not_supersede_each_other(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    results: list[object] = []
    registry.start(FunctionWorker(str, "a"), key="one", on_result=results.append)
    registry.start(FunctionWorker(str, "b"), key="two", on_result=results.append)
    registry.start(FunctionWorker(str, "c"), on_result=results.append)
    drained(registry, qtbot)
    assert sorted(results) == ["a", "b", "c"]  # type: ignore[type-var]


def test_wait_all_times_out_while_work_runs_then_succeeds(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    worker = GatedWorker("slow")
    registry.start(worker)
    assert worker.entered.wait(TIMEOUT_MS / 1000)
    assert registry.wait_all(50) is False
    assert registry.running_count() == 1
    worker.gate.set()
    assert registry.wait_all(TIMEOUT_MS) is True
    assert registry.running_count() == 0


def test_cancel_all_and_shutdown_stop_running_jobs(registry: WorkerRegistry) -> None:
    outcomes = Outcomes(registry)
    workers = [GatedWorker(str(n)) for n in range(3)]
    ids = [registry.start(worker) for worker in workers]
    assert registry.shutdown(TIMEOUT_MS) is True
    assert registry.running_count() == 0
    assert all(worker.token.cancelled for worker in workers)
    assert {outcomes.by_job[job_id] for job_id in ids} == {JobOutcome.CANCELLED}


def test_cancel_one_job(registry: WorkerRegistry, qtbot: QtBot) -> None:
    outcomes = Outcomes(registry)
    worker = GatedWorker("x")
    job_id = registry.start(worker)
    assert registry.cancel(job_id) is True
    drained(registry, qtbot)
    assert outcomes.by_job[job_id] == JobOutcome.CANCELLED
    assert registry.cancel(job_id) is False  # not running any more


def test_errors_go_to_on_error_or_else_to_the_failed_signal(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    def fail() -> None:
        raise CaliberError("The report has no impressions column.")

    handled: list[ErrorInfo] = []
    with qtbot.assertNotEmitted(registry.failed):
        registry.start(FunctionWorker(fail), on_error=handled.append)
        drained(registry, qtbot)
    assert [info.message for info in handled] == ["The report has no impressions column."]

    with qtbot.waitSignal(registry.failed, timeout=TIMEOUT_MS) as blocker:
        registry.start(FunctionWorker(fail, title="Reading"))
    (info,) = blocker.args
    assert isinstance(info, ErrorInfo)
    assert info.title == "Reading failed"
    assert not info.is_bug
    drained(registry, qtbot)


def test_job_signals_describe_each_job(registry: WorkerRegistry, qtbot: QtBot) -> None:
    class Steps(Worker):
        title = "Stepping"

        def work(self) -> object:
            self.report_progress(1, 2, "half")
            self.report_progress(2, 2, "all")
            return None

    progress: list[tuple[str, int, int, str]] = []
    registry.job_progress.connect(lambda *args: progress.append(args))  # test-local, same thread
    with (
        qtbot.waitSignal(registry.job_added) as added,
        qtbot.waitSignal(registry.job_finished, timeout=TIMEOUT_MS) as finished,
        qtbot.waitSignal(registry.drained, timeout=TIMEOUT_MS),
    ):
        job_id = registry.start(Steps())
    assert added.args == [job_id, "Stepping"]
    assert finished.args == [job_id, "done"]
    assert progress == [(job_id, 1, 2, "half"), (job_id, 2, 2, "all")]


def test_a_worker_runs_once(registry: WorkerRegistry, qtbot: QtBot) -> None:
    worker = FunctionWorker(int)
    registry.start(worker)
    with pytest.raises(RuntimeError, match="runs once"):
        registry.start(worker)
    drained(registry, qtbot)
    with pytest.raises(RuntimeError, match="runs once"):
        registry.start(worker)


def test_a_worker_with_auto_delete_off_is_refused(registry: WorkerRegistry) -> None:
    worker = FunctionWorker(int)
    worker.setAutoDelete(False)
    with pytest.raises(ValueError, match="autoDelete"):
        registry.start(worker)


def test_the_db_lane_runs_one_job_at_a_time_in_order(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    lane = registry.db_lane()
    assert lane is db_lane()
    assert lane.maxThreadCount() == 1
    log: list[str] = []
    lock = threading.Lock()

    def write(name: str, gate: threading.Event | None) -> str:
        with lock:
            log.append(f"enter {name}")
        if gate is not None:
            gate.wait(TIMEOUT_MS / 1000)
        with lock:
            log.append(f"exit {name}")
        return name

    gate = threading.Event()
    registry.start(FunctionWorker(write, "first", gate))  # the default lane: DB
    registry.start(FunctionWorker(write, "second", None))
    qtbot.waitUntil(lambda: log == ["enter first"], timeout=TIMEOUT_MS)
    assert lane.activeThreadCount() == 1
    gate.set()
    drained(registry, qtbot)
    assert log == ["enter first", "exit first", "enter second", "exit second"]


def test_quit_hook_cancels_and_waits(registry: WorkerRegistry) -> None:
    class FakeApp(QObject):
        aboutToQuit = Signal()  # noqa: N815 (Qt's name)

    app = FakeApp()
    install_quit_hook(app, registry, timeout_ms=TIMEOUT_MS)  # type: ignore[arg-type]
    assert registry.quit_timeout_ms == TIMEOUT_MS
    worker = GatedWorker("long")
    registry.start(worker)
    app.aboutToQuit.emit()
    assert worker.token.cancelled
    assert registry.running_count() == 0
