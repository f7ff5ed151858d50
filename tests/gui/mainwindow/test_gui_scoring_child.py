"""The window's scoring job through a child process (issue 17): the real worker scores a real
report in a spawned child that opens the same store, with progress; cancel and a kill from
outside leave the store as it was and the lock free; typed errors cross the process boundary."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.runs.lock import ScoringLock
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.scoring import LoadedRun, ScoreCampaignWorker

#: A spawned child imports pandas, pyarrow and the engine before it reads a row.
TIMEOUT_MS = 120_000
REPORT = "ttd_display_awareness_sample.csv"


class Outcome:
    """What a job reported, collected on the GUI thread."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.results: list[Any] = []
        self.errors: list[ErrorInfo] = []

    def on_result(self, value: Any) -> None:
        self.results.append(value)

    def on_error(self, info: ErrorInfo) -> None:
        self.errors.append(info)


def snapshot(ws: Workspace, campaign_id: int) -> dict[str, Any]:
    """The store's state for the campaign: its row and every run table's count."""
    with sqlite3.connect(ws.paths.database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        counts = {
            name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("score_runs", "site_scores", "run_frames")
        }
    return {"campaign": {k: row[k] for k in row.keys() if k != "updated_at"}, **counts}  # noqa: SIM118


def lock_is_free(ws: Workspace, campaign_id: int) -> bool:
    with ScoringLock(ws.paths.root, campaign_id) as lock:
        return lock.acquire()


def run_job(
    qtbot: QtBot,
    registry: WorkerRegistry,
    worker: ScoreCampaignWorker,
    on_message: Any = None,
) -> Outcome:
    outcome = Outcome()

    def progress(_done: int, _total: int, message: str) -> None:
        outcome.messages.append(message)
        if on_message is not None:
            on_message(worker, message)

    worker.signals.progress.connect(progress)
    with qtbot.waitSignal(worker.signals.finished, timeout=TIMEOUT_MS):
        registry.start(worker, on_result=outcome.on_result, on_error=outcome.on_error)
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=5000)
    return outcome


@pytest.fixture
def campaign_id(workspace: Workspace, shared_data: Path) -> int:
    campaign = workspace.campaigns.create("Display", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / REPORT)
    return campaign.id


def scored_before(workspace: Workspace, campaign_id: int) -> int:
    """A first run (in-process), so "as it was" includes a current run to keep."""
    return workspace.runs.score_campaign(campaign_id).id


def test_the_worker_scores_in_a_child_with_progress_and_loads_the_run(
    qtbot: QtBot, registry: WorkerRegistry, workspace: Workspace, campaign_id: int
) -> None:
    worker = ScoreCampaignWorker(workspace.runs, campaign_id, in_child=True)
    outcome = run_job(qtbot, registry, worker)
    assert not outcome.errors
    assert worker.child_pid is not None
    assert worker.child_pid != os.getpid()
    (loaded,) = outcome.results
    assert isinstance(loaded, LoadedRun)
    assert len(loaded.result.sites) > 1000
    # the child's own stages, relayed, then the worker's
    assert "Reading the report" in outcome.messages
    assert any(m.startswith("Read 20,000 rows") for m in outcome.messages)
    assert outcome.messages[-2:] == ["Saving results", "Loading the results"]
    campaign = workspace.campaigns.get(campaign_id)
    assert campaign.status is CampaignStatus.COMPLETED
    assert campaign.current_run_id == loaded.run.id
    # the same run an in-process scoring of the same file saves
    again = workspace.runs.score_campaign(campaign_id)
    in_process = workspace.runs.load_result(again.id).sites
    assert loaded.result.sites.equals(in_process)
    assert lock_is_free(workspace, campaign_id)


@pytest.mark.parametrize(
    "stop_at", ["Reading the report", "Scoring sites", "Saving results"], ids=str.lower
)
def test_cancel_stops_the_child_and_leaves_the_store_as_it_was(
    qtbot: QtBot, registry: WorkerRegistry, workspace: Workspace, campaign_id: int, stop_at: str
) -> None:
    scored_before(workspace, campaign_id)
    before = snapshot(workspace, campaign_id)

    def cancel_at(worker: ScoreCampaignWorker, message: str) -> None:
        if message == stop_at:
            worker.cancel()

    worker = ScoreCampaignWorker(workspace.runs, campaign_id, in_child=True)
    started = time.monotonic()
    outcome = run_job(qtbot, registry, worker, cancel_at)
    assert worker.cancelled
    assert not outcome.results
    assert not outcome.errors
    assert stop_at in outcome.messages
    assert "Loading the results" not in outcome.messages
    assert time.monotonic() - started < TIMEOUT_MS / 1000
    assert snapshot(workspace, campaign_id) == before
    assert lock_is_free(workspace, campaign_id)
    # and the next scoring just works
    record = workspace.runs.score_campaign(campaign_id)
    assert workspace.campaigns.get(campaign_id).current_run_id == record.id


def test_a_child_killed_from_outside_is_a_clear_error_and_changes_nothing(
    qtbot: QtBot, registry: WorkerRegistry, workspace: Workspace, campaign_id: int
) -> None:
    scored_before(workspace, campaign_id)
    before = snapshot(workspace, campaign_id)

    def kill_mid_read(worker: ScoreCampaignWorker, message: str) -> None:
        if message == "Reading the report" and worker.child_pid is not None:
            os.kill(worker.child_pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # as the OS would

    worker = ScoreCampaignWorker(workspace.runs, campaign_id, in_child=True)
    outcome = run_job(qtbot, registry, worker, kill_mid_read)
    assert not worker.cancelled
    (error,) = outcome.errors
    assert not error.is_bug
    assert REPORT in error.message  # names the file
    assert "score the campaign again" in error.message  # and what to do
    assert "previous results are kept" in error.message
    assert snapshot(workspace, campaign_id) == before
    assert lock_is_free(workspace, campaign_id)
    # the next scoring (in a child again) works: no lock or write transaction left behind
    again = ScoreCampaignWorker(workspace.runs, campaign_id, in_child=True)
    outcome = run_job(qtbot, registry, again)
    assert not outcome.errors
    (loaded,) = outcome.results
    assert workspace.campaigns.get(campaign_id).current_run_id == loaded.run.id


def test_a_rejected_report_reaches_the_window_as_the_same_error(
    qtbot: QtBot,
    registry: WorkerRegistry,
    workspace: Workspace,
    campaign_id: int,
    tmp_path: Path,
) -> None:
    useless = tmp_path / "weather.csv"
    useless.write_text("city,temperature,wind\nParis,12,3\nOslo,-2,7\n", encoding="utf-8")
    upload = workspace.uploads.attach(campaign_id, useless)
    with pytest.raises(ValidationError) as in_process:
        workspace.runs.score_campaign(campaign_id, upload_id=upload.id)
    worker = ScoreCampaignWorker(workspace.runs, campaign_id, upload_id=upload.id, in_child=True)
    outcome = run_job(qtbot, registry, worker)
    (error,) = outcome.errors
    assert not error.is_bug
    assert error.message == str(in_process.value)
    assert "weather.csv" in error.message
    campaign = workspace.campaigns.get(campaign_id)
    assert campaign.status is CampaignStatus.FAILED  # as in-process: the child recorded it
    assert campaign.error_message == str(in_process.value)
    assert lock_is_free(workspace, campaign_id)
