"""User B can neither see nor touch user A's templates, campaigns or uploads.

Every public service method that takes an id (``*_id``) is listed in ``CALLS`` below; a guard test
fails when a new one appears without being added, so no method can slip past this suite.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from caliber_desktop.errors import NotFoundError
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.campaigns.service import CampaignService
from caliber_desktop.services.campaigns.templates import TemplateService
from caliber_desktop.services.importing.uploads import UploadService
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.workspace import Workspace

SERVICES = (TemplateService, CampaignService, UploadService)
OWNED_TABLES = ("campaign_templates", "campaigns", "file_uploads")
MISSING_OFFSET = 100_000


@dataclass
class World:
    ws: Workspace
    user_a: UserRef
    user_b: UserRef
    templates: TemplateService  # bound to B
    campaigns: CampaignService  # bound to B
    uploads: UploadService  # bound to B
    a_ids: dict[str, list[int]]  # kind ("template", "campaign", "upload") → A's ids
    b_ids: dict[str, list[int]]
    b_file: Path  # a report only B has, never stored


def snapshot(world: World) -> dict[str, Any]:
    """Every row of the owned tables and every file under uploads/, byte for byte."""
    tables: dict[str, Any] = {}
    with world.ws.store.read() as session:
        conn = session.connection()
        for table in OWNED_TABLES:
            tables[table] = [tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table}")]
    root = world.ws.paths.uploads
    blobs = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    return {"tables": tables, "blobs": blobs}


# ----------------------------------------------------------------------------- the calls
# (service, method) → (kind of id it takes, how B calls it with that id and drawn extras)

Call = Callable[[World, int, st.DataObject | None], object]


def _pick(data: st.DataObject | None, strategy: st.SearchStrategy[Any], default: Any) -> Any:
    return default if data is None else data.draw(strategy)


SETTINGS_CHANGES = st.lists(
    st.sampled_from(
        [
            ("goal", "awareness"),
            ("channel", "display"),
            ("channel", "video"),
            ("ctr_sensitivity", False),
            ("analysis_level", "domain"),
        ]
    ),
    max_size=2,
).map(dict)


CALLS: dict[tuple[str, str], tuple[str, Call]] = {
    ("TemplateService", "get"): ("template", lambda w, i, d: w.templates.get(i)),
    ("TemplateService", "update"): (
        "template",
        lambda w, i, d: w.templates.update(
            i,
            name=_pick(d, st.sampled_from([None, "Stolen", "Mine now"]), "Stolen"),
            description=_pick(d, st.sampled_from([None, "", "changed"]), "changed"),
            settings=_pick(d, SETTINGS_CHANGES, {"goal": "awareness"}),
            custom_weights=_pick(d, st.sampled_from([None, {"ctr": 5.0}]), {"ctr": 5.0}),
        ),
    ),
    ("TemplateService", "delete"): ("template", lambda w, i, d: w.templates.delete(i)),
    ("CampaignService", "create"): (
        "template",
        lambda w, i, d: w.campaigns.create(
            _pick(d, st.sampled_from(["Copycat", "From your template"]), "Copycat"),
            template_id=i,
            settings=_pick(d, st.sampled_from([None, {"goal": "awareness"}]), None),
        ),
    ),
    ("CampaignService", "get"): ("campaign", lambda w, i, d: w.campaigns.get(i)),
    ("CampaignService", "update"): (
        "campaign",
        lambda w, i, d: w.campaigns.update(
            i,
            name=_pick(d, st.sampled_from([None, "Hijacked"]), "Hijacked"),
            description=_pick(d, st.sampled_from([None, "", "mine"]), "mine"),
            kpi_pixel=_pick(d, st.sampled_from([None, "02", ""]), "02"),
            settings=_pick(d, SETTINGS_CHANGES, {"goal": "awareness"}),
        ),
    ),
    ("CampaignService", "set_status"): (
        "campaign",
        lambda w, i, d: w.campaigns.set_status(
            i,
            _pick(d, st.sampled_from(list(CampaignStatus)), CampaignStatus.PROCESSING),
            error=_pick(d, st.sampled_from([None, "sabotage"]), "sabotage"),
        ),
    ),
    ("CampaignService", "update_progress"): (
        "campaign",
        lambda w, i, d: w.campaigns.update_progress(
            i,
            _pick(d, st.integers(0, 100), 1),
            _pick(d, st.none() | st.integers(100, 200), 100),
        ),
    ),
    ("CampaignService", "delete"): (
        "campaign",
        lambda w, i, d: w.campaigns.delete(i, force=_pick(d, st.booleans(), True)),
    ),
    ("UploadService", "attach"): ("campaign", lambda w, i, d: w.uploads.attach(i, w.b_file)),
    ("UploadService", "list"): ("campaign", lambda w, i, d: w.uploads.list(i)),
    ("UploadService", "get"): ("upload", lambda w, i, d: w.uploads.get(i)),
    ("UploadService", "preview"): (
        "upload",
        lambda w, i, d: w.uploads.preview(i, _pick(d, st.integers(1, 50), 5)),
    ),
    ("UploadService", "remove"): ("upload", lambda w, i, d: w.uploads.remove(i)),
}
KIND_NAME = {"template": "Template", "campaign": "Campaign", "upload": "Upload"}


def id_taking_methods() -> set[tuple[str, str]]:
    found = set()
    for service in SERVICES:
        for name, member in inspect.getmembers(service, inspect.isfunction):
            if name.startswith("_"):
                continue
            params = inspect.signature(member).parameters
            if any(p.endswith("_id") for p in params):
                found.add((service.__name__, name))
    return found


def test_every_method_taking_an_id_is_exercised_here() -> None:
    methods = id_taking_methods()
    missing = sorted(methods - set(CALLS))
    assert not missing, f"add these to CALLS in {__name__}: {missing}"
    stale = sorted(set(CALLS) - methods)
    assert not stale, f"these no longer take an id, drop them from CALLS: {stale}"


# ----------------------------------------------------------------------------- the world


@pytest.fixture
def world(workspace: Workspace, add_user, settings, report_file) -> World:
    """A has templates, campaigns in every status and uploads (one blob shared); B has a few."""
    ws = workspace
    user_a = ws.user
    shared = report_file()
    base = shared.read_text(encoding="utf-8")
    other = report_file(base + "2024-11-03,extra.com,Kargo,10,0,0.01\n")

    t_used = ws.templates.create("A used template", settings, custom_weights={"ctr": 2})
    t_free = ws.templates.create("A free template", {**settings, "goal": "awareness"})
    c_pending = ws.campaigns.create("A pending", template_id=t_used.id, kpi_pixel="01")
    c_done = ws.campaigns.create("A completed", settings=settings)
    c_failed = ws.campaigns.create("A failed", settings=settings)
    c_busy = ws.campaigns.create("A processing", settings=settings)
    u1 = ws.uploads.attach(c_pending.id, shared)
    u2 = ws.uploads.attach(c_done.id, shared)  # same bytes: one blob, two rows
    u3 = ws.uploads.attach(c_failed.id, other)
    u4 = ws.uploads.attach(c_busy.id, other)
    for campaign, steps in (
        (c_done, ["processing", "completed"]),
        (c_failed, ["processing", "failed"]),
        (c_busy, ["processing"]),
    ):
        for step in steps:
            ws.campaigns.set_status(campaign.id, step, error="A's own failure")
    ws.campaigns.update_progress(c_busy.id, 10, 100)

    user_b = add_user(ws, "uid-b", "b@example.com")
    b_templates = TemplateService(ws.store, user_b)
    b_campaigns = CampaignService(ws.store, user_b)
    b_uploads = UploadService(ws.store, user_b, ws.paths.root)
    b_template = b_templates.create("B template", settings)
    b_campaign = b_campaigns.create("B campaign", template_id=b_template.id)
    b_upload = b_uploads.attach(b_campaign.id, shared)  # B happens to have the same bytes as A
    b_file = report_file(base + "2024-11-04,only-b.com,Xandr,5,0,0.02\n")

    return World(
        ws=ws,
        user_a=user_a,
        user_b=user_b,
        templates=b_templates,
        campaigns=b_campaigns,
        uploads=b_uploads,
        a_ids={
            "template": [t_used.id, t_free.id],
            "campaign": [c_pending.id, c_done.id, c_failed.id, c_busy.id],
            "upload": [u1.id, u2.id, u3.id, u4.id],
        },
        b_ids={"template": [b_template.id], "campaign": [b_campaign.id], "upload": [b_upload.id]},
        b_file=b_file,
    )


def assert_refused_like_a_missing_id(
    world: World, key: tuple[str, str], ident: int, data: st.DataObject | None
) -> None:
    kind, call = CALLS[key]
    with pytest.raises(NotFoundError) as theirs:
        call(world, ident, data)
    missing = ident + MISSING_OFFSET
    with pytest.raises(NotFoundError) as absent:
        call(world, missing, None)
    assert theirs.value.kind == absent.value.kind == KIND_NAME[kind]
    assert theirs.value.ident == ident
    assert str(theirs.value).replace(str(ident), "<id>") == str(absent.value).replace(
        str(missing), "<id>"
    )


# ----------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("key", sorted(CALLS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_b_cannot_reach_any_of_as_objects(world: World, key: tuple[str, str]) -> None:
    before = snapshot(world)
    kind, _call = CALLS[key]
    for ident in world.a_ids[kind]:
        assert_refused_like_a_missing_id(world, key, ident, None)
    assert snapshot(world) == before


@given(data=st.data())
@hsettings(
    max_examples=50,
    deadline=None,
    # One world per test on purpose: B's calls must leave it unchanged, which every example checks.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_property_no_sequence_of_b_calls_touches_as_data(world: World, data: st.DataObject) -> None:
    before = snapshot(world)
    keys = data.draw(st.lists(st.sampled_from(sorted(CALLS)), min_size=1, max_size=6))
    for key in keys:
        kind, _call = CALLS[key]
        ident = data.draw(st.sampled_from(world.a_ids[kind]))
        assert_refused_like_a_missing_id(world, key, ident, data)
    assert snapshot(world) == before


@given(ident=st.one_of(st.text(max_size=5), st.booleans(), st.floats(), st.none()))
@hsettings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_ids_that_are_not_integers_are_simply_not_found(world: World, ident: object) -> None:
    before = snapshot(world)
    for key, (_kind, call) in CALLS.items():
        if key == ("CampaignService", "create") and ident is None:
            continue  # template_id=None means "no template": a different request
        with pytest.raises(NotFoundError):
            call(world, ident, None)  # type: ignore[arg-type]
    assert snapshot(world) == before


def test_b_lists_only_bs_own_objects(world: World) -> None:
    assert [t.id for t in world.templates.list()] == world.b_ids["template"]
    page = world.campaigns.list()
    assert [c.id for c in page.items] == world.b_ids["campaign"]
    assert page.total == 1
    assert world.campaigns.list(search="A pending").total == 0
    for status in CampaignStatus:
        expected = world.b_ids["campaign"] if status is CampaignStatus.PENDING else []
        assert [c.id for c in world.campaigns.list(status=status).items] == expected
    assert sum(world.campaigns.counts_by_status().values()) == 1
    assert [u.id for u in world.uploads.list(world.b_ids["campaign"][0])] == world.b_ids["upload"]


def test_a_user_without_objects_sees_empty_lists(world: World, add_user) -> None:
    user_c = add_user(world.ws, "uid-c", "c@example.com")
    assert TemplateService(world.ws.store, user_c).list() == []
    page = CampaignService(world.ws.store, user_c).list()
    assert (page.items, page.total, page.has_more) == ([], 0, False)
    assert set(CampaignService(world.ws.store, user_c).counts_by_status().values()) == {0}


def test_a_still_sees_everything_after_b_tried(world: World) -> None:
    for key in sorted(CALLS):
        kind, _call = CALLS[key]
        for ident in world.a_ids[kind]:
            assert_refused_like_a_missing_id(world, key, ident, None)
    a = world.ws  # bound to A
    assert sorted(t.id for t in a.templates.list()) == sorted(world.a_ids["template"])
    assert sorted(c.id for c in a.campaigns.list().items) == sorted(world.a_ids["campaign"])
    for upload_id in world.a_ids["upload"]:
        record = a.uploads.get(upload_id)
        assert record.path.exists()
        assert a.uploads.preview(upload_id, 2).rows[0][1] == "Site"
    assert a.campaigns.get(world.a_ids["campaign"][3]).processed_records == 10


def test_b_removing_shared_bytes_keeps_as_blob(world: World) -> None:
    """B's upload has the same bytes as two of A's: B removing it must not delete A's file."""
    a_record = world.ws.uploads.get(world.a_ids["upload"][0])
    b_record = world.uploads.get(world.b_ids["upload"][0])
    assert b_record.path == a_record.path
    world.uploads.remove(b_record.id)
    assert a_record.path.read_bytes()
    assert world.ws.uploads.preview(a_record.id, 1).rows
