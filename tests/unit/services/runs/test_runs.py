"""Scoring a campaign into the real SQLite store: one transaction, cancel and failure leave it as it
was, overrides survive re-runs, and nobody sees another user's runs."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.errors import ConflictError, NotFoundError, ValidationError
from caliber_desktop.models.enums import CampaignStatus, RunStatus
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.workspace import Workspace

SETTINGS = TTD_DISPLAY_AWARENESS


def table_counts(ws: Workspace) -> dict[str, int]:
    with sqlite3.connect(ws.paths.database) as db:
        return {
            name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            for name in ("score_runs", "site_scores", "list_overrides")
        }


def campaign_row(ws: Workspace, campaign_id: int) -> dict[str, Any]:
    with sqlite3.connect(ws.paths.database) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return {key: row[key] for key in row.keys() if key != "updated_at"}  # noqa: SIM118


@pytest.fixture
def scored(workspace: Workspace, shared_data: Path) -> tuple[Workspace, int]:
    campaign = workspace.campaigns.create("Display", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    workspace.runs.score_campaign(campaign.id)
    return workspace, campaign.id


def test_scoring_writes_one_run_with_snapshots_and_every_site(
    scored: tuple[Workspace, int],
) -> None:
    ws, campaign_id = scored
    campaign = ws.campaigns.get(campaign_id)
    assert campaign.status is CampaignStatus.COMPLETED
    assert campaign.completed_at is not None
    run = ws.runs.current_run(campaign_id)
    assert run is not None
    assert run.id == campaign.current_run_id
    assert run.status is RunStatus.COMPLETED
    assert (run.config["platform"], run.config["goal"]) == ("trade_desk", "awareness")
    assert run.column_mapping["columns"]["site"] == "Site"
    assert run.data_quality["rows_read"] == 20_000 == run.rows_read
    sites = ws.runs.site_frame(run.id)
    assert len(sites) == run.site_count == table_counts(ws)["site_scores"]
    assert run.site_count > 1_900  # 2,000 entities in the sample
    assert sites["score"].is_monotonic_decreasing
    assert run.campaign_score == pytest.approx(
        float((sites["score"] * sites["impressions"]).sum() / sites["impressions"].sum()),
        rel=1e-6,
    )
    first = sites.iloc[0]
    weights = run.summary["weights"]
    assert weights, "the summary records the weights used"
    assert sum(weights.values()) == pytest.approx(1.0)
    contributions = sum(first[f"{name}_contrib"] for name in weights)
    assert contributions == pytest.approx(first["score"], abs=1e-6)


def test_cancel_at_the_last_moment_leaves_the_store_exactly_as_it_was(
    scored: tuple[Workspace, int],
) -> None:
    ws, campaign_id = scored
    before_rows, before_campaign = table_counts(ws), campaign_row(ws, campaign_id)
    token = CancelToken()

    def cancel_when_saving(done: int, total: int, message: str) -> None:
        if message.startswith("Saving"):
            token.cancel()

    with pytest.raises(Cancelled):
        ws.runs.score_campaign(campaign_id, progress=cancel_when_saving, cancel=token)
    assert table_counts(ws) == before_rows
    assert campaign_row(ws, campaign_id) == before_campaign


def test_cancel_while_reading_restores_a_pending_campaign(
    workspace: Workspace, shared_data: Path
) -> None:
    campaign = workspace.campaigns.create("Video", settings={**SETTINGS, "channel": "video"})
    workspace.uploads.attach(campaign.id, shared_data / "ttd_video_sample.xlsx")
    before = campaign_row(workspace, campaign.id)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        workspace.runs.score_campaign(campaign.id, cancel=token)
    assert campaign_row(workspace, campaign.id) == before
    assert workspace.campaigns.get(campaign.id).status is CampaignStatus.PENDING
    assert table_counts(workspace)["score_runs"] == 0


def test_failure_marks_the_campaign_failed_and_keeps_the_previous_run(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, campaign_id = scored
    previous = ws.campaigns.get(campaign_id).current_run_id
    before_rows = table_counts(ws)
    useless = tmp_path / "weather.csv"
    useless.write_text("city,temperature,wind\nParis,12,3\nOslo,-2,7\n", encoding="utf-8")
    upload = ws.uploads.attach(campaign_id, useless)
    with pytest.raises(ValidationError) as caught:
        ws.runs.score_campaign(campaign_id, upload_id=upload.id)
    assert "weather.csv" in str(caught.value)
    campaign = ws.campaigns.get(campaign_id)
    assert campaign.status is CampaignStatus.FAILED
    assert campaign.error_message == str(caught.value)
    assert campaign.current_run_id == previous
    assert table_counts(ws) == before_rows
    assert ws.runs.lists(campaign_id).sites.shape[0] > 0  # previous results still usable


def test_overrides_survive_a_rerun_and_are_reversible(scored: tuple[Workspace, int]) -> None:
    ws, campaign_id = scored
    lists = ws.runs.lists(campaign_id)
    blocked = lists.members("block").index[0]
    allowed = lists.members("allow").index[0]
    ws.runs.pin(campaign_id, blocked, "allow", "client's own site")
    ws.runs.pin(campaign_id, allowed, "block", "brand safety")
    first_run = ws.campaigns.get(campaign_id).current_run_id
    record = ws.runs.score_campaign(campaign_id)
    assert record.id != first_run
    assert len(ws.runs.runs(campaign_id)) == 2
    again = ws.runs.lists(campaign_id)
    assert again.sites.loc[blocked, "list_action"] == "allow"
    assert again.sites.loc[blocked, "override_reason"] == "client's own site"
    assert again.sites.loc[allowed, "list_action"] == "block"
    assert ws.runs.unpin(campaign_id, blocked)
    assert ws.runs.lists(campaign_id).sites.loc[blocked, "list_action"] == "block"
    assert set(ws.runs.overrides(campaign_id)) == {allowed}
    with pytest.raises(ValidationError):
        ws.runs.pin(campaign_id, allowed, "maybe", "")


def test_scoring_needs_an_attached_report(workspace: Workspace) -> None:
    campaign = workspace.campaigns.create("Empty", settings=SETTINGS)
    with pytest.raises(ValidationError, match="no report attached"):
        workspace.runs.score_campaign(campaign.id)
    assert workspace.campaigns.get(campaign.id).status is CampaignStatus.PENDING


def test_another_user_sees_no_runs_and_cannot_score(
    scored: tuple[Workspace, int],
    add_user: Callable[[Workspace, str, str], UserRef],
) -> None:
    ws, campaign_id = scored
    run_id = ws.campaigns.get(campaign_id).current_run_id
    assert run_id is not None
    owner = ws.user
    ws.bind(add_user(ws, "uid-other", "other@example.com"))
    try:
        for call in (
            lambda: ws.runs.score_campaign(campaign_id),
            lambda: ws.runs.runs(campaign_id),
            lambda: ws.runs.site_frame(run_id),
            lambda: ws.runs.run(run_id),
            lambda: ws.runs.lists(campaign_id),
            lambda: ws.runs.pin(campaign_id, "x.com", "block", ""),
        ):
            with pytest.raises(NotFoundError):
                call()
    finally:
        ws.bind(owner)


def test_a_missing_stored_file_is_a_clear_error(scored: tuple[Workspace, int]) -> None:
    ws, campaign_id = scored
    shutil.rmtree(ws.paths.root / "uploads")
    with pytest.raises(ValidationError, match="missing from the data dir"):
        ws.runs.score_campaign(campaign_id)
    assert ws.campaigns.get(campaign_id).status is CampaignStatus.COMPLETED


def test_a_stored_run_explains_sites_like_the_fresh_result(
    workspace: Workspace, shared_data: Path
) -> None:
    from caliber_desktop.models.enums import Goal
    from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
    from caliber_desktop.services.scoring.explain import explain_site

    campaign = workspace.campaigns.create(
        "PulsePoint", settings={**SETTINGS, "platform": "pulsepoint"}
    )
    report = shared_data / "pulsepoint_display_sample.csv"
    workspace.uploads.attach(campaign.id, report)
    run = workspace.runs.score_campaign(campaign.id)
    stored = workspace.runs.load_result(run.id)
    fresh = score_file(report, ScoreRequest(goal=Goal.AWARENESS)).result
    assert stored.config == fresh.config
    assert [m.name for m in stored.metrics] == [m.name for m in fresh.metrics]
    assert stored.quality.rows_dropped == fresh.quality.rows_dropped
    for site_id in (fresh.sites.index[0], fresh.sites.index[-1], fresh.sites.index[500]):
        a, b = explain_site(stored, site_id), explain_site(fresh, site_id)
        assert a["top_drivers"] == b["top_drivers"]
        assert a["flags"] == b["flags"]
        for ma, mb in zip(a["metrics"], b["metrics"], strict=True):
            assert ma["name"] == mb["name"]
            assert ma["contribution"] == pytest.approx(mb["contribution"], abs=1e-9)
            assert ma["interval"] == pytest.approx(mb["interval"], abs=1e-12)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from caliber_desktop.services.runs.lock import ScoringLock
lock = ScoringLock(Path(sys.argv[1]), int(sys.argv[2]))
assert lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def hold_lock_elsewhere(root: Path, campaign_id: int) -> subprocess.Popen[str]:
    """Another process (another Caliber) scoring the campaign: it holds the OS lock."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root), str(campaign_id)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def mark_processing(ws: Workspace, campaign_id: int) -> None:
    """What a crash mid-run leaves behind: the store says processing, nobody holds the lock."""
    with sqlite3.connect(ws.paths.database) as db:
        db.execute("UPDATE campaigns SET status = 'processing' WHERE id = ?", (campaign_id,))


def test_a_run_interrupted_by_a_crash_never_locks_the_campaign(
    scored: tuple[Workspace, int],
) -> None:
    ws, campaign_id = scored
    previous = ws.campaigns.get(campaign_id).current_run_id
    mark_processing(ws, campaign_id)
    assert ws.runs.recover_interrupted() == [campaign_id]
    campaign = ws.campaigns.get(campaign_id)
    assert campaign.status is CampaignStatus.FAILED
    assert "interrupted" in (campaign.error_message or "")
    assert campaign.current_run_id == previous  # the last good results stay
    mark_processing(ws, campaign_id)
    record = ws.runs.score_campaign(campaign_id)  # scoring again just works
    assert ws.campaigns.get(campaign_id).current_run_id == record.id


def test_a_campaign_another_process_is_scoring_is_left_alone(
    scored: tuple[Workspace, int],
) -> None:
    ws, campaign_id = scored
    mark_processing(ws, campaign_id)
    holder = hold_lock_elsewhere(ws.paths.root, campaign_id)
    try:
        assert ws.runs.recover_interrupted() == []
        assert ws.campaigns.get(campaign_id).status is CampaignStatus.PROCESSING
        with pytest.raises(ConflictError, match="already being scored"):
            ws.runs.score_campaign(campaign_id)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # The OS releases a dead process's lock: at once on POSIX, "eventually" on Windows
    # (LockFileEx: "the time it takes ... depends upon available system resources").
    deadline = time.monotonic() + 10
    while not (recovered := ws.runs.recover_interrupted()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recovered == [campaign_id]
