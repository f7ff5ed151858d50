"""The SQLite store on a real file: migrations, pragmas, refusals, durability, serialised writes."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, func, select
from sqlalchemy.exc import IntegrityError

from caliber_desktop.errors import CaliberError, SchemaTooNewError, StoreError
from caliber_desktop.models import Base, Campaign, CampaignTemplate
from caliber_desktop.models import store as store_module
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.models.store import BUSY_TIMEOUT_MS, Store, head_revision
from caliber_desktop.services.campaigns.service import CampaignService
from caliber_desktop.services.workspace import Workspace, open_workspace


def schema_differences(store: Store, metadata: MetaData) -> list[object]:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def template_row(user_id: int, name: str) -> CampaignTemplate:
    return CampaignTemplate(
        user_id=user_id,
        name=name,
        platform=Platform.TRADE_DESK,
        goal=Goal.AWARENESS,
        channel=Channel.DISPLAY,
        ctr_sensitivity=False,
        analysis_level=AnalysisLevel.DOMAIN,
    )


def write_templates(
    store: Store, rows: list[CampaignTemplate], fail: Exception | None = None
) -> None:
    """Insert ``rows`` in one write transaction, each flushed to SQLite; then raise ``fail``."""
    with store.write() as session:
        for row in rows:
            session.add(row)
            session.flush()
            assert row.id is not None
        if fail is not None:
            raise fail


def count(store: Store, model: type[Base]) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ----------------------------------------------------------------------------- migrations


def test_migrating_an_empty_file_creates_every_table_at_head(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    with Store.open(path) as store:
        assert store.current_revision() == head_revision()
    with sqlite3.connect(path) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables


def test_migrated_schema_matches_the_orm_models(tmp_path: Path) -> None:
    with Store.open(tmp_path / "fresh.db") as store:
        assert schema_differences(store, Base.metadata) == []


def test_schema_comparison_notices_a_model_change_without_a_migration(tmp_path: Path) -> None:
    """Negative control: the comparison above really fails when a model drifts."""
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["campaigns"].append_column(Column("budget_cents", Integer, nullable=True))
    with Store.open(tmp_path / "fresh.db") as store:
        diffs = schema_differences(store, drifted)
    assert any(diff[0] == "add_column" and diff[3].name == "budget_cents" for diff in diffs)


def test_opening_again_at_head_runs_no_migration(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    Store.open(path).close()
    with Store.open(path) as store:
        assert store.current_revision() == head_revision()
        assert schema_differences(store, Base.metadata) == []


# Folder names analysts really have. "?" is not allowed in Windows file names.
ODD_FOLDERS = [
    "100%",
    "a%20b",
    "%(here)s",
    "Q4 #1",
    pytest.param("what?x=1", marks=pytest.mark.skipif(sys.platform == "win32", reason="'?'")),
]


@pytest.mark.parametrize("folder", ODD_FOLDERS)
def test_a_data_dir_with_url_or_config_characters_keeps_its_database_inside(
    tmp_path: Path, folder: str, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    """The database path is never parsed as a URL ("%20" decoded, "?"/"#" cut it short)."""
    home = tmp_path / folder
    monkeypatch.setenv("CALIBER_HOME", str(home))
    with open_workspace() as ws:
        assert ws.paths.database == home.resolve() / "caliber.db"
        ws.campaigns.create("Inside", settings=settings)
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]  # nothing beside it
    with sqlite3.connect(home / "caliber.db") as db:
        assert db.execute("SELECT name FROM campaigns").fetchall() == [("Inside",)]


@pytest.mark.parametrize("folder", ["100%", "%(here)s"])
def test_migrations_installed_under_a_percent_folder_still_run(
    tmp_path: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alembic reads its options through ConfigParser: an install path with "%" must work."""
    installed = tmp_path / folder / "migrations"
    shutil.copytree(store_module.MIGRATIONS_DIR, installed)
    monkeypatch.setattr(store_module, "MIGRATIONS_DIR", installed)
    with Store.open(tmp_path / "fresh.db") as store:
        assert store.current_revision() == head_revision()
        assert schema_differences(store, Base.metadata) == []


# ----------------------------------------------------------------------------- pragmas


def test_every_connection_has_wal_foreign_keys_and_a_busy_timeout(workspace: Workspace) -> None:
    store = workspace.store
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("foreign_keys") == 1
    assert store.pragma("busy_timeout") == BUSY_TIMEOUT_MS
    for opener in (store.read, store.write):
        with opener() as session:
            pragmas = [
                session.connection().exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, BUSY_TIMEOUT_MS]


def test_foreign_keys_are_enforced(workspace: Workspace) -> None:
    with pytest.raises(IntegrityError):
        write_templates(workspace.store, [template_row(user_id=987_654, name="orphan")])
    assert count(workspace.store, CampaignTemplate) == 0


# ----------------------------------------------------------------------------- refusals


def test_a_database_from_a_newer_caliber_is_refused_and_left_untouched(home: Path) -> None:
    open_workspace(home).close()
    db = home / "caliber.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()
    before = files_of(home)

    with pytest.raises(SchemaTooNewError) as caught:
        open_workspace(home)

    message = str(caught.value)
    assert "newer version" in message
    assert str(db) in message
    assert "9999_future" in message
    assert files_of(home) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_future",)
        ]
    conn.close()


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"this is not a database, just some text\n" * 200, id="text"),
        pytest.param(bytes(range(256)) * 40, id="binary"),
    ],
)
def test_a_file_that_is_not_a_database_gives_an_actionable_store_error(
    home: Path, garbage: bytes
) -> None:
    home.mkdir(parents=True)
    db = home / "caliber.db"
    db.write_bytes(garbage)

    with pytest.raises(StoreError) as caught:
        open_workspace(home)

    error = caught.value
    assert isinstance(error, CaliberError)
    assert str(db) in str(error)
    assert "not a Caliber database" in str(error)
    assert error.hint is not None
    assert "backup" in error.hint
    assert "move it away" in error.hint
    assert db.read_bytes() == garbage


def test_a_locked_database_says_it_is_busy(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    db = workspace.store.path
    blocker = sqlite3.connect(db, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        # A second process (the CLI while the window is open) cannot get the write lock.
        with Store(db) as other, pytest.raises(StoreError) as caught:
            write_templates(other, [template_row(workspace.user.id, "waits")])
        assert "busy" in str(caught.value)
        assert caught.value.hint is not None
        assert "try again" in caught.value.hint
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert count(workspace.store, CampaignTemplate) == 0


# ----------------------------------------------------------------------------- durability


def test_a_restart_keeps_the_data(home: Path, report_file, settings) -> None:
    with open_workspace(home) as ws:
        template = ws.templates.create("Keeps", settings, custom_weights={"ctr": 2})
        campaign = ws.campaigns.create("Survivor", template_id=template.id)
        source = report_file()
        upload = ws.uploads.attach(campaign.id, source)
        user = ws.user

    with open_workspace(home) as ws:
        assert ws.user == user
        assert ws.templates.get(template.id) == replace(template, campaigns_using=1)
        again = ws.campaigns.get(campaign.id)
        assert (again.name, again.settings, again.upload_count) == (
            "Survivor",
            template.settings,
            1,
        )
        stored = ws.uploads.get(upload.id)
        assert stored.sha256 == upload.sha256
        assert stored.path.read_bytes() == source.read_bytes()
        assert ws.store.integrity_check() == []


def test_a_failed_write_transaction_rolls_back_whole(workspace: Workspace) -> None:
    store, user_id = workspace.store, workspace.user.id

    with pytest.raises(RuntimeError, match="boom"):
        write_templates(
            store,
            [template_row(user_id, "first"), template_row(user_id, "second")],
            RuntimeError("boom"),
        )
    assert count(store, CampaignTemplate) == 0

    # A constraint broken by the last statement undoes the earlier ones too.
    with pytest.raises(IntegrityError):
        write_templates(store, [template_row(user_id, "kept?"), template_row(123_456, "bad user")])
    assert count(store, CampaignTemplate) == 0

    write_templates(store, [template_row(user_id, "committed")])
    assert count(store, CampaignTemplate) == 1


def test_reads_roll_back_anything_they_changed(workspace: Workspace) -> None:
    with workspace.store.read() as session:
        session.add(template_row(workspace.user.id, "not saved"))
        session.flush()
    assert count(workspace.store, CampaignTemplate) == 0


def test_two_threads_writing_at_once_both_succeed(workspace: Workspace, settings) -> None:
    per_thread = 25
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        service = CampaignService(workspace.store, workspace.user)
        try:
            start.wait()
            for index in range(per_thread):
                service.create(f"{prefix}-{index}", settings=settings)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    names = {c.name for c in workspace.campaigns.list(limit=500).items}
    assert names == {f"{p}-{i}" for p in ("left", "right") for i in range(per_thread)}


def test_two_stores_on_one_file_write_concurrently(workspace: Workspace, settings) -> None:
    """Two processes (window + CLI) wait for each other's write lock instead of failing."""
    per_store = 15
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    other = Store.open(workspace.store.path)

    def writer(store: Store, prefix: str) -> None:
        try:
            start.wait()
            for index in range(per_store):
                with store.write() as session:
                    session.add(template_row(workspace.user.id, f"{prefix}-{index}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(workspace.store, "a")),
        threading.Thread(target=writer, args=(other, "b")),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        other.close()
    assert errors == []
    assert count(workspace.store, CampaignTemplate) == 2 * per_store


def test_aware_datetimes_round_trip_as_utc(workspace: Workspace, settings) -> None:
    before = utcnow()
    record = workspace.campaigns.create("Clock", settings=settings)
    with workspace.store.read() as session:
        row = session.get(Campaign, record.id)
        assert row is not None
        assert row.created_at.tzinfo is not None
        assert before <= row.created_at <= utcnow()


def test_integrity_check_on_a_healthy_database_is_empty(workspace: Workspace) -> None:
    assert workspace.store.integrity_check() == []


# ----------------------------------------------------------------------------- error classes


def _real_error(tmp_path: Path, make: str) -> sqlite3.Error:
    """A real driver error of each kind, as SQLite raises it (with its result code)."""
    db = tmp_path / "x.db"
    sqlite3.connect(db).close()
    try:
        if make == "full":
            conn = sqlite3.connect(db)
            conn.execute("PRAGMA max_page_count = 2")
            conn.execute("CREATE TABLE t (x)")
            conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
        elif make == "readonly":
            conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
            conn.execute("CREATE TABLE t (x)")
        elif make == "cantopen":
            sqlite3.connect(tmp_path / "missing" / "x.db")
        elif make == "notadb":
            db.write_bytes(b"this is not a database" * 100)
            sqlite3.connect(db).execute("SELECT * FROM sqlite_master").fetchall()
        elif make == "constraint":  # its message mentions "busy" and "full": the code decides
            conn = sqlite3.connect(db)
            conn.execute("CREATE TABLE t (x CHECK (x > 0), CONSTRAINT busy_or_full CHECK (x < 9))")
            conn.execute("INSERT INTO t VALUES (10)")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError(f"{make}: SQLite raised nothing")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        ("full", "is full"),
        ("readonly", "cannot write"),
        ("cantopen", "cannot write"),
        ("notadb", "not a Caliber database"),
        ("constraint", "failed: CHECK constraint failed: busy_or_full"),
    ],
)
def test_store_errors_are_classified_by_sqlite_result_code(
    tmp_path: Path, make: str, says: str
) -> None:
    from sqlalchemy.exc import OperationalError

    orig = _real_error(tmp_path, make)
    assert isinstance(orig.sqlite_errorcode, int)
    error = store_module.translate_db_error(OperationalError("stmt", {}, orig), tmp_path / "c.db")
    assert says.lower() in str(error).lower()
    if make == "constraint":
        assert "busy" not in str(error).split("failed:")[0]  # not read from the message text
