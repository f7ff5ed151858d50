"""Lanes and changes: a job runs where it declares, and a successful write says what it changed.

Which pool ran a job is read from the pool thread's name: Qt names each thread after its pool, so
the DB lane's thread is ``caliber-db-lane`` and the global pool's are not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QThread, QThreadPool, Slot
from pytestqt.qtbot import QtBot

from caliber_desktop.errors import CaliberError, ValidationError
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.workers import (
    account,
    api_key,
    campaigns,
    housekeeping,
    importing,
    outputs,
    scoring,
    startup,
    templates,
)
from caliber_desktop.workers.base import FunctionWorker, Worker, rejected_or
from caliber_desktop.workers.lanes import DB_LANE_NAME, Change, Lane, pool_for
from caliber_desktop.workers.registry import JobOutcome, WorkerRegistry, db_lane

TIMEOUT_MS = 5000


def pool_thread_name() -> str:
    """Runs on the job's thread: the name of the pool thread running it."""
    return QThread.currentThread().objectName()


class Changes(QObject):
    """Collects the registry's ``changed`` emissions (a GUI-thread receiver)."""

    def __init__(self, registry: WorkerRegistry) -> None:
        super().__init__()
        self.seen: list[object] = []
        registry.changed.connect(self.on_changed)

    @Slot(object)
    def on_changed(self, changes: object) -> None:
        self.seen.append(changes)


class Gated(Worker):
    """Blocks until its gate opens or it is cancelled; declares what it would change."""

    title = "Gated write"
    changes = frozenset({Change.CAMPAIGNS})

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def work(self) -> object:
        self.entered.set()
        while not self.gate.wait(0.005):
            self.token.raise_if_cancelled()
        return pool_thread_name()


def drained(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------- lanes


def test_a_job_without_a_declared_lane_runs_on_the_db_lane(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    class Undeclared(Worker):
        def work(self) -> object:
            return pool_thread_name()

    ran_on: list[object] = []
    plain = FunctionWorker(pool_thread_name)
    assert plain.lane is Lane.DB
    assert Undeclared().lane is Lane.DB
    registry.start(plain, on_result=ran_on.append)
    registry.start(Undeclared(), on_result=ran_on.append)
    drained(registry, qtbot)
    assert ran_on == [DB_LANE_NAME, DB_LANE_NAME]
    assert pool_for(Lane.DB) is db_lane()


@pytest.mark.parametrize("lane", [Lane.NETWORK, Lane.CPU, Lane.READ])
def test_a_job_that_opts_out_does_not_run_on_the_db_lane(
    registry: WorkerRegistry, qtbot: QtBot, lane: Lane
) -> None:
    """Not even while a long write holds the DB lane: it runs beside it."""
    write = Gated()
    registry.start(write)
    assert write.entered.wait(TIMEOUT_MS / 1000)
    ran_on: list[object] = []
    registry.start(FunctionWorker(pool_thread_name, lane=lane), on_result=ran_on.append)
    qtbot.waitUntil(lambda: len(ran_on) == 1, timeout=TIMEOUT_MS)
    assert registry.is_running(write.job_id), "it finished while the DB lane was still busy"
    assert ran_on[0] != DB_LANE_NAME
    assert pool_for(lane) is QThreadPool.globalInstance()
    write.gate.set()
    drained(registry, qtbot)


def test_a_caller_cannot_choose_the_pool(registry: WorkerRegistry) -> None:
    """The lane decides: there is no pool argument to put a store write beside another."""
    with pytest.raises(TypeError):
        registry.start(FunctionWorker(int), QThreadPool.globalInstance())  # type: ignore[misc]
    assert registry.running_count() == 0


# --------------------------------------------------------------------------- changes


def test_changed_fires_once_after_a_successful_write(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    changes = Changes(registry)
    order: list[str] = []
    registry.changed.connect(lambda _c: order.append("changed"))  # test-local, same thread
    worker = FunctionWorker(str, "saved", changes={Change.TEMPLATES, Change.CAMPAIGNS})
    with qtbot.waitSignal(registry.changed, timeout=TIMEOUT_MS) as announced:
        registry.start(worker, on_result=lambda _v: order.append("result"))
    assert announced.args == [frozenset({Change.TEMPLATES, Change.CAMPAIGNS})]
    drained(registry, qtbot)
    assert changes.seen == [frozenset({Change.TEMPLATES, Change.CAMPAIGNS})]
    assert order == ["result", "changed"]  # the caller's callback first, then every panel


def test_changed_stays_quiet_after_a_read(registry: WorkerRegistry, qtbot: QtBot) -> None:
    changes = Changes(registry)
    registry.start(FunctionWorker(str, "listed", lane=Lane.READ))
    drained(registry, qtbot)
    assert changes.seen == []


def test_changed_stays_quiet_after_a_failed_write(registry: WorkerRegistry, qtbot: QtBot) -> None:
    def fail() -> None:
        raise CaliberError("The database is busy.")

    def bug() -> None:
        raise KeyError("oops")

    changes = Changes(registry)
    errors: list[object] = []
    for fn in (fail, bug):
        registry.start(FunctionWorker(fn, changes={Change.CAMPAIGNS}), on_error=errors.append)
    drained(registry, qtbot)
    assert len(errors) == 2
    assert changes.seen == []


def test_changed_stays_quiet_after_a_cancelled_write(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    changes = Changes(registry)
    outcomes: list[str] = []
    registry.job_finished.connect(lambda _id, outcome: outcomes.append(outcome))
    worker = Gated()
    job_id = registry.start(worker)
    assert worker.entered.wait(TIMEOUT_MS / 1000)
    registry.cancel(job_id)
    drained(registry, qtbot)
    assert outcomes == [JobOutcome.CANCELLED]
    assert changes.seen == []


def test_changed_stays_quiet_when_the_service_rejected_the_input(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    def refuse(name: str) -> None:
        raise ValidationError(f"A template named {name!r} already exists.", field="name")

    changes = Changes(registry)
    results: list[object] = []
    worker = FunctionWorker(rejected_or, refuse, "Display", changes={Change.TEMPLATES})
    registry.start(worker, on_result=results.append)
    drained(registry, qtbot)
    assert [type(r).__name__ for r in results] == ["Rejected"]
    assert changes.seen == []


def test_a_superseded_write_that_completed_still_says_what_it_changed(
    registry: WorkerRegistry, qtbot: QtBot
) -> None:
    """Nobody wants its result, but the store did change."""
    changes = Changes(registry)
    results: list[object] = []
    older = FunctionWorker(str, "older", changes={Change.OVERRIDES})
    registry.start(older, key="pins", on_result=results.append)
    assert db_lane().waitForDone(TIMEOUT_MS)  # done on its thread; its signals still queued
    registry.start(
        FunctionWorker(str, "newer", changes={Change.OVERRIDES}),
        key="pins",
        on_result=results.append,
    )
    drained(registry, qtbot)
    assert results == ["newer"]
    assert changes.seen == [frozenset({Change.OVERRIDES})] * 2


def test_nothing_is_announced_while_shutting_down(registry: WorkerRegistry) -> None:
    changes = Changes(registry)
    registry.start(FunctionWorker(str, "saved", changes={Change.CAMPAIGNS}))
    assert db_lane().waitForDone(TIMEOUT_MS)
    assert registry.shutdown(TIMEOUT_MS) is True
    assert changes.seen == []


# --------------------------------------------------------------------------- named jobs


class FakeAuth:
    """The bound methods the account factories take; they are never called here."""

    def sign_in(self, *_a: object, **_k: object) -> None: ...
    def sign_up(self, *_a: object, **_k: object) -> None: ...
    def send_password_reset(self, *_a: object) -> None: ...
    def user_for(self, *_a: object) -> None: ...


def named_jobs(ws: Workspace, tmp_path: Path) -> dict[str, Callable[[], Worker]]:
    auth: Any = FakeAuth()
    store = SecretStore()
    loaded: Any = object()
    settings = {"platform": "trade_desk", "goal": "awareness", "channel": "display"}
    return {
        "list_campaigns": lambda: campaigns.list_campaigns(ws, limit=50),
        "create_campaign": lambda: campaigns.create_campaign(ws, "Spring", settings=settings),
        "rename_campaign": lambda: campaigns.rename_campaign(ws, 1, "Summer"),
        "delete_campaign": lambda: campaigns.delete_campaign(ws, 1, force=True),
        "list_templates": lambda: templates.list_templates(ws),
        "create_template": lambda: templates.create_template(ws, "Display", settings),
        "update_template": lambda: templates.update_template(ws, 1, name="Video"),
        "delete_template": lambda: templates.delete_template(ws, 1),
        "sign_in": lambda: account.sign_in(auth, "a@b.c", "secret", remember=True),
        "sign_up": lambda: account.sign_up(auth, "a@b.c", "secret", "A", remember=True),
        "send_password_reset": lambda: account.send_password_reset(auth, "a@b.c"),
        "refresh_sign_in": lambda: account.refresh_sign_in(auth, loaded),
        "sign_out": lambda: account.sign_out(auth, loaded, store),
        "restore_sign_in": lambda: account.restore_sign_in(auth, store),
        "open_user": lambda: account.open_user(auth, loaded),
        "read_api_key": lambda: api_key.read_api_key(store),
        "save_api_key": lambda: api_key.save_api_key(store, "sk-test"),
        "remove_api_key": lambda: api_key.remove_api_key(store),
        "retry_api_keyring": lambda: api_key.retry_api_keyring(store),
        "attach_report": lambda: importing.attach_report(ws, 1, tmp_path / "r.csv"),
        "read_report": lambda: importing.read_report(tmp_path / "r.csv", remembered={}),
        "reread_report": lambda: importing.reread_report(
            tmp_path / "r.csv", mapping_override=None, kpi_pixels=None
        ),
        "find_clutter": lambda: housekeeping.find_clutter(ws),
        "clean_up": lambda: housekeeping.clean_up(ws),
        "start_up": lambda: startup.start_up(ws, cleaned=[]),
        "prepare_sample": lambda: startup.prepare_sample(ws),
        "list_runs": lambda: outputs.list_runs(ws, 1),
        "compare_runs": lambda: outputs.compare_runs(ws, 1, 1, 2),
        "load_current_run": lambda: scoring.load_current_run(ws, 1),
        "score_campaign": lambda: scoring.score_campaign(ws.runs, 1),
        "pin_sites": lambda: scoring.pin_sites(ws.runs, loaded, ["a.com"], "block", "fraud"),
        "unpin_sites": lambda: scoring.unpin_sites(ws.runs, loaded, ["a.com"]),
        "export_run": lambda: scoring.export_run(loaded, tmp_path),
    }


#: name → (lane, changes): what each named job declares.
DECLARED: dict[str, tuple[Lane, frozenset[Change]]] = {
    "list_campaigns": (Lane.READ, frozenset()),
    "create_campaign": (Lane.DB, frozenset({Change.CAMPAIGNS})),
    "rename_campaign": (Lane.DB, frozenset({Change.CAMPAIGNS})),
    "delete_campaign": (
        Lane.DB,
        frozenset(
            {
                Change.CAMPAIGNS,
                Change.UPLOADS,
                Change.RUNS,
                Change.OVERRIDES,
                Change.INSIGHTS,
                Change.CHAT,
            }
        ),
    ),
    "list_templates": (Lane.READ, frozenset()),
    "create_template": (Lane.DB, frozenset({Change.TEMPLATES})),
    "update_template": (Lane.DB, frozenset({Change.TEMPLATES})),
    "delete_template": (Lane.DB, frozenset({Change.TEMPLATES})),
    "sign_in": (Lane.NETWORK, frozenset({Change.SESSION})),
    "sign_up": (Lane.NETWORK, frozenset({Change.SESSION})),
    "send_password_reset": (Lane.NETWORK, frozenset()),
    "refresh_sign_in": (Lane.NETWORK, frozenset()),
    "sign_out": (Lane.NETWORK, frozenset({Change.SESSION})),
    "restore_sign_in": (Lane.NETWORK, frozenset()),
    "open_user": (Lane.DB, frozenset({Change.SESSION})),
    "read_api_key": (Lane.NETWORK, frozenset()),
    "save_api_key": (Lane.NETWORK, frozenset({Change.SECRETS})),
    "remove_api_key": (Lane.NETWORK, frozenset({Change.SECRETS})),
    "retry_api_keyring": (Lane.NETWORK, frozenset({Change.SECRETS})),
    "attach_report": (Lane.DB, frozenset({Change.UPLOADS})),
    "read_report": (Lane.CPU, frozenset()),
    "reread_report": (Lane.CPU, frozenset()),
    "find_clutter": (Lane.DB, frozenset()),
    "clean_up": (Lane.DB, frozenset({Change.FILES})),
    "start_up": (
        Lane.DB,
        frozenset(
            {
                Change.TEMPLATES,
                Change.CAMPAIGNS,
                Change.UPLOADS,
                Change.RUNS,
                Change.FILES,
                Change.SETTINGS,
            }
        ),
    ),
    "prepare_sample": (
        Lane.DB,
        frozenset({Change.TEMPLATES, Change.CAMPAIGNS, Change.UPLOADS}),
    ),
    "list_runs": (Lane.READ, frozenset()),
    "compare_runs": (Lane.READ, frozenset()),
    "load_current_run": (Lane.READ, frozenset()),
    "score_campaign": (Lane.CPU, frozenset({Change.RUNS, Change.CAMPAIGNS})),
    "pin_sites": (Lane.DB, frozenset({Change.OVERRIDES})),
    "unpin_sites": (Lane.DB, frozenset({Change.OVERRIDES})),
    "export_run": (Lane.CPU, frozenset()),
}


def test_every_named_job_declares_its_lane_changes_and_title(
    workspace: Workspace, tmp_path: Path
) -> None:
    jobs = named_jobs(workspace, tmp_path)
    assert set(jobs) == set(DECLARED)
    titles = set()
    for name, make in jobs.items():
        worker = make()
        assert isinstance(worker, Worker), name
        assert (worker.lane, worker.changes) == DECLARED[name], name
        assert worker.title != Worker.title, f"{name} has no title for the Activity dock"
        assert worker.autoDelete(), name
        titles.add(worker.title)
    assert "Opening your campaigns" in titles


def test_the_workbench_jobs_open_pin_and_unpin_a_scored_run(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    """The named jobs the window's workbench switches to do what its inline jobs did."""
    changes = Changes(registry)
    results: list[object] = []

    def run(worker: Worker) -> object:
        results.clear()
        registry.start(worker, on_result=results.append)
        drained(registry, qtbot)
        assert len(results) == 1, worker
        return results[0]

    sample = run(startup.prepare_sample(workspace))
    assert isinstance(sample, CampaignRecord)
    assert run(scoring.load_current_run(workspace, sample.id)) == sample  # not scored yet
    workspace.runs.score_campaign(sample.id)
    loaded = run(scoring.load_current_run(workspace, sample.id))
    assert isinstance(loaded, scoring.LoadedRun)
    site = str(loaded.result.sites.index[0])

    pinned = run(scoring.pin_sites(workspace.runs, loaded, [site], "block", "fraud"))
    assert isinstance(pinned, scoring.LoadedRun)
    assert pinned.run == loaded.run
    assert pinned.overrides[site].action == "block"
    assert site in workspace.runs.overrides(sample.id)
    unpinned = run(scoring.unpin_sites(workspace.runs, pinned, [site]))
    assert isinstance(unpinned, scoring.LoadedRun)
    assert site not in unpinned.overrides
    assert changes.seen == [
        startup.SAMPLE_CHANGES,
        frozenset({Change.OVERRIDES}),
        frozenset({Change.OVERRIDES}),
    ]
