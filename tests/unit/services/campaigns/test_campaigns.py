"""Campaigns: paging, search, status filter, status transitions, progress and deletion rules."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caliber_desktop.errors import ConflictError, NotFoundError, ValidationError
from caliber_desktop.models import FileUpload
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.campaigns.service import MAX_PAGE, TRANSITIONS
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.workspace import Workspace

S = CampaignStatus
#: How to reach each status from a new (pending) campaign through allowed moves.
PATH_TO = {
    S.PENDING: [],
    S.PROCESSING: [S.PROCESSING],
    S.COMPLETED: [S.PROCESSING, S.COMPLETED],
    S.FAILED: [S.PROCESSING, S.FAILED],
}
ALL_PAIRS = list(itertools.product(S, S))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def campaign_in(ws: Workspace, status: CampaignStatus, settings, name: str = "C") -> CampaignRecord:
    record = ws.campaigns.create(name, settings=settings)
    for step in PATH_TO[status]:
        record = ws.campaigns.set_status(record.id, step, error="it broke")
    assert record.status is status
    return record


def upload_rows(ws: Workspace, campaign_id: int) -> int:
    with ws.store.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(FileUpload)
                .where(FileUpload.campaign_id == campaign_id)
            )
            or 0
        )


# ----------------------------------------------------------------------------- listing


def test_paging_walks_every_campaign_once_newest_first(workspace: Workspace, settings) -> None:
    created = [workspace.campaigns.create(f"Campaign {i}", settings=settings) for i in range(7)]
    seen: list[int] = []
    pages = []
    offset = 0
    while True:
        page = workspace.campaigns.list(offset=offset, limit=3)
        pages.append(page)
        seen.extend(c.id for c in page.items)
        if not page.has_more:
            break
        offset += page.limit
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert [p.has_more for p in pages] == [True, True, False]
    assert {p.total for p in pages} == {7}
    assert [p.offset for p in pages] == [0, 3, 6]
    assert seen == [c.id for c in reversed(created)]

    past_the_end = workspace.campaigns.list(offset=7, limit=3)
    assert (past_the_end.items, past_the_end.total, past_the_end.has_more) == ([], 7, False)


def test_an_empty_list_has_no_more(workspace: Workspace) -> None:
    page = workspace.campaigns.list()
    assert (page.items, page.total, page.has_more) == ([], 0, False)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"offset": -1}, "offset"), ({"limit": 0}, "limit"), ({"limit": MAX_PAGE + 1}, "limit")],
)
def test_paging_arguments_are_checked(workspace: Workspace, kwargs, field) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.list(**kwargs)
    assert caught.value.field == field


def test_search_treats_percent_and_underscore_literally(workspace: Workspace, settings) -> None:
    names = ["50% off", "500 off", "a_b test", "axb test", "Back\\slash", "Holiday"]
    ids = {name: workspace.campaigns.create(name, settings=settings).id for name in names}

    def found(text: str) -> set[str]:
        page = workspace.campaigns.list(search=text)
        assert page.total == len(page.items)
        return {c.name for c in page.items}

    assert found("50%") == {"50% off"}
    assert found("%") == {"50% off"}
    assert found("a_b") == {"a_b test"}
    assert found("_") == {"a_b test"}
    assert found("\\") == {"Back\\slash"}
    assert found("HOLI") == {"Holiday"}  # case-insensitive
    assert found("  off ") == {"50% off", "500 off"}  # trimmed
    assert found("") == set(names)
    assert found("nothing like it") == set()
    assert len(ids) == len(names)


def test_search_also_looks_at_descriptions(workspace: Workspace, settings) -> None:
    workspace.campaigns.create("Plain", settings=settings, description="Client: ACME 100%")
    workspace.campaigns.create("Other", settings=settings)
    assert [c.name for c in workspace.campaigns.list(search="acme 100%").items] == ["Plain"]


def test_status_filter_and_counts(workspace: Workspace, settings) -> None:
    by_status = {
        status: {
            campaign_in(workspace, status, settings, f"{status.value} {i}").id for i in range(n)
        }
        for status, n in zip(S, (3, 1, 2, 1), strict=True)
    }
    for status, ids in by_status.items():
        for spelled in (status, status.value, status.value.upper()):
            page = workspace.campaigns.list(status=spelled)
            assert {c.id for c in page.items} == ids
            assert page.total == len(ids)
    assert workspace.campaigns.counts_by_status() == {s: len(ids) for s, ids in by_status.items()}
    completed = workspace.campaigns.list(status="completed", search="completed 1")
    assert [c.name for c in completed.items] == ["completed 1"]
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.list(status="archived")
    assert caught.value.field == "status"
    assert "archived" in str(caught.value)


# ----------------------------------------------------------------------------- transitions


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=lambda s: s.value)
def test_every_allowed_transition_succeeds(workspace: Workspace, settings, source, target) -> None:
    record = campaign_in(workspace, source, settings)
    moved = workspace.campaigns.set_status(record.id, target, error="reason")
    assert moved.status is target
    assert workspace.campaigns.get(record.id).status is target


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=lambda s: s.value)
def test_every_forbidden_transition_is_refused(
    workspace: Workspace, settings, source, target
) -> None:
    record = campaign_in(workspace, source, settings, name="Stuck")
    with pytest.raises(ConflictError) as caught:
        workspace.campaigns.set_status(record.id, target, error="reason")
    message = str(caught.value)
    assert f"'Stuck' is {source.value} and cannot become {target.value}" in message
    for allowed in TRANSITIONS[source]:
        assert allowed.value in message  # the hint lists where it can go
    assert workspace.campaigns.get(record.id) == record


def test_the_transition_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(S)
    assert ALLOWED
    assert FORBIDDEN
    assert all((s, s) in FORBIDDEN for s in S)


def test_completion_sets_completed_at_and_processing_sets_started_at(
    workspace: Workspace, settings
) -> None:
    record = workspace.campaigns.create("Timed", settings=settings)
    assert (record.started_at, record.completed_at) == (None, None)
    before = utcnow()
    started = workspace.campaigns.set_status(record.id, "processing")
    assert started.started_at is not None
    assert before <= started.started_at <= utcnow()
    assert started.completed_at is None
    done = workspace.campaigns.set_status(record.id, S.COMPLETED)
    assert done.completed_at is not None
    assert started.started_at <= done.completed_at <= utcnow() + timedelta(seconds=1)
    assert workspace.campaigns.get(record.id).completed_at == done.completed_at


@pytest.mark.parametrize("error", [None, "", "   "])
def test_failing_needs_an_error_message(workspace: Workspace, settings, error) -> None:
    record = campaign_in(workspace, S.PROCESSING, settings)
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.set_status(record.id, S.FAILED, error=error)
    assert caught.value.field == "error"
    assert workspace.campaigns.get(record.id).status is S.PROCESSING


def test_the_failure_reason_is_kept_and_cleared_by_a_rerun(workspace: Workspace, settings) -> None:
    record = campaign_in(workspace, S.PROCESSING, settings)
    failed = workspace.campaigns.set_status(record.id, S.FAILED, error="  Column Site missing ")
    assert failed.error_message == "Column Site missing"
    rerun = workspace.campaigns.set_status(record.id, S.PROCESSING)
    assert rerun.error_message is None


def test_an_unknown_status_is_named(workspace: Workspace, settings) -> None:
    record = workspace.campaigns.create("X", settings=settings)
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.set_status(record.id, "done")
    assert caught.value.field == "status"
    assert "'done'" in str(caught.value)


# ----------------------------------------------------------------------------- progress


def test_progress_is_recorded_while_processing(workspace: Workspace, settings) -> None:
    record = campaign_in(workspace, S.PROCESSING, settings)
    assert record.processed_records == 0
    step = workspace.campaigns.update_progress(record.id, 250, 1000)
    assert (step.processed_records, step.total_records, step.progress) == (250, 1000, 0.25)
    step = workspace.campaigns.update_progress(record.id, 1000)  # the total is remembered
    assert (step.processed_records, step.total_records, step.progress) == (1000, 1000, 1.0)


@pytest.mark.parametrize(("processed", "total"), [(-1, 10), (11, 10), (5, -1), (-1, None)], ids=str)
def test_impossible_progress_is_refused(workspace: Workspace, settings, processed, total) -> None:
    record = campaign_in(workspace, S.PROCESSING, settings)
    workspace.campaigns.update_progress(record.id, 3, 10)
    with pytest.raises(ValidationError) as caught:
        workspace.campaigns.update_progress(record.id, processed, total)
    assert caught.value.field == "processed"
    after = workspace.campaigns.get(record.id)
    assert (after.processed_records, after.total_records) == (3, 10)


@pytest.mark.parametrize("status", [S.PENDING, S.COMPLETED, S.FAILED])
def test_progress_outside_processing_is_refused(workspace: Workspace, settings, status) -> None:
    record = campaign_in(workspace, status, settings)
    with pytest.raises(ConflictError, match="only while it is processing"):
        workspace.campaigns.update_progress(record.id, 1, 2)


# ----------------------------------------------------------------------------- update


def test_update_renames_and_changes_settings_but_not_while_processing(
    workspace: Workspace, settings
) -> None:
    record = workspace.campaigns.create("Old", settings=settings)
    changed = workspace.campaigns.update(
        record.id,
        name=" New  name ",
        description="d",
        kpi_pixel=" 03 ",
        settings={"goal": "awareness"},
    )
    assert (changed.name, changed.description, changed.kpi_pixel) == ("New name", "d", "03")
    assert changed.settings.goal.value == "awareness"

    workspace.campaigns.set_status(record.id, S.PROCESSING)
    with pytest.raises(ConflictError, match="being scored"):
        workspace.campaigns.update(record.id, settings={"goal": "action"})
    assert workspace.campaigns.get(record.id).settings.goal.value == "awareness"
    assert workspace.campaigns.update(record.id, name="Renamed").name == "Renamed"


# ----------------------------------------------------------------------------- delete


def test_delete_is_refused_while_processing(workspace: Workspace, settings) -> None:
    record = campaign_in(workspace, S.PROCESSING, settings, name="Running")
    for force in (False, True):
        with pytest.raises(ConflictError, match="'Running' is being scored"):
            workspace.campaigns.delete(record.id, force=force)
    assert workspace.campaigns.get(record.id).status is S.PROCESSING


def test_deleting_a_completed_campaign_needs_force(workspace: Workspace, settings) -> None:
    record = campaign_in(workspace, S.COMPLETED, settings, name="Scored")
    with pytest.raises(ConflictError, match="'Scored' has scored results") as caught:
        workspace.campaigns.delete(record.id)
    assert caught.value.hint is not None
    assert "--force" in caught.value.hint
    assert workspace.campaigns.get(record.id).status is S.COMPLETED
    workspace.campaigns.delete(record.id, force=True)
    with pytest.raises(NotFoundError):
        workspace.campaigns.get(record.id)


@pytest.mark.parametrize("status", [S.PENDING, S.FAILED])
def test_pending_and_failed_campaigns_delete_without_force(
    workspace: Workspace, settings, status
) -> None:
    record = campaign_in(workspace, status, settings)
    workspace.campaigns.delete(record.id)
    assert workspace.campaigns.list().total == 0


def test_deleting_a_campaign_deletes_its_upload_rows(
    workspace: Workspace, settings, report_file
) -> None:
    doomed = workspace.campaigns.create("Doomed", settings=settings)
    kept = workspace.campaigns.create("Kept", settings=settings)
    source = report_file()
    workspace.uploads.attach(doomed.id, source)
    workspace.uploads.attach(
        doomed.id, report_file(source.read_text(encoding="utf-8") + "2024-11-03,a.com,X,1,0,1\n")
    )
    survivor = workspace.uploads.attach(kept.id, source)
    assert workspace.campaigns.get(doomed.id).upload_count == 2
    assert upload_rows(workspace, doomed.id) == 2

    workspace.campaigns.delete(doomed.id)

    assert upload_rows(workspace, doomed.id) == 0
    assert [u.id for u in workspace.uploads.list(kept.id)] == [survivor.id]
    assert survivor.path.exists()
    with pytest.raises(NotFoundError):
        workspace.uploads.list(doomed.id)


def test_missing_ids_are_not_found(workspace: Workspace) -> None:
    for call in (
        lambda: workspace.campaigns.get(404),
        lambda: workspace.campaigns.delete(404),
        lambda: workspace.campaigns.set_status(404, "processing"),
    ):
        with pytest.raises(NotFoundError, match="Campaign 404 was not found"):
            call()


def test_search_folds_case_beyond_ascii(workspace: Workspace, settings) -> None:
    workspace.campaigns.create("Café Ökonomie", settings=settings)
    workspace.campaigns.create("Plain", settings=settings)
    assert [c.name for c in workspace.campaigns.list(search="CAFÉ").items] == ["Café Ökonomie"]
    assert [c.name for c in workspace.campaigns.list(search="ökonomie").items] == ["Café Ökonomie"]
