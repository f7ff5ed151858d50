"""The local SQLite store: engine, pragmas, migrations, and read/write sessions.

Rules this module enforces (see docs/architecture.md):
- WAL journal, a busy timeout and foreign keys on every connection.
- Alembic migrations run at open; a database whose revision this app does not know was written by
  a newer Caliber and is refused with a clear message instead of being damaged.
- Writes are serialised: one lock inside the process, and ``BEGIN IMMEDIATE`` so a second process
  (the CLI while the window is open) waits for the write lock instead of failing mid-transaction.
- Sessions hand back plain values; ``expire_on_commit`` is off so rows read in a job stay readable
  after it closes its session.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from caliber_desktop.errors import SchemaTooNewError, StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 15_000
_WRITE_OPTION = "caliber_write"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    # Alembic's options go through ConfigParser interpolation: a "%" in the install path (a user
    # folder such as "C:\\Users\\100%") must be doubled or Alembic fails to start.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


SqlValue = str | bytes | int | float | None


def _casefold(value: SqlValue) -> SqlValue:
    return value.casefold() if isinstance(value, str) else value


def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" hook decide how each transaction starts (DEFERRED or IMMEDIATE);
    # pysqlite's own implicit BEGIN would otherwise make every write a lock upgrade that can fail.
    dbapi_connection.isolation_level = None
    # SQLite's lower()/LIKE fold ASCII only; casefold() lets "CAFÉ" find "Café".
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE_OPTION) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


#: SQLite primary result codes (https://sqlite.org/rescode.html); an extended code's low byte is
#: its primary code (SQLITE_BUSY_SNAPSHOT 517 → SQLITE_BUSY 5).
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
_BUSY = {SQLITE_BUSY, SQLITE_LOCKED}
_DAMAGED = {SQLITE_CORRUPT, SQLITE_NOTADB}
_UNWRITABLE = {SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM}


def result_code(exc: object) -> int | None:
    """The primary SQLite result code of a driver error (``sqlite3.Error.sqlite_errorcode``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def translate_db_error(exc: DBAPIError, path: Path) -> StoreError:
    """Turn a driver error into a message that says what happened and what to do.

    Classified by SQLite's result code, not the message text (which SQLite may word differently
    across versions, and which a path or a value in the message could mimic).
    """
    code = result_code(exc.orig)
    if code in _BUSY:
        return StoreError(
            f"The Caliber database {path} is busy: another Caliber window or command is writing.",
            hint="Wait for it to finish and try again.",
        )
    if code == SQLITE_FULL:
        return StoreError(
            f"The disk holding {path} is full; nothing was saved.",
            hint="Free some space and try again.",
        )
    if code in _DAMAGED:
        return StoreError(
            f"{path} is damaged or is not a Caliber database.",
            hint="Restore it from a backup, or move it away to start with an empty store.",
        )
    if code in _UNWRITABLE or (code == SQLITE_IOERR and _read_only_folder(path)):
        return StoreError(
            f"Caliber cannot write to {path}.",
            hint="Check the folder's permissions or set CALIBER_HOME to a writable folder.",
        )
    return StoreError(f"The Caliber database {path} failed: {exc.orig}")


def _read_only_folder(path: Path) -> bool:
    """An I/O error writing the journal next to the database is, in practice, a read-only folder."""
    return not os.access(path.parent, os.W_OK)


class Store:
    """One SQLite database file. Create it with :meth:`open`, which also migrates it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        # URL.create, not f"sqlite:///{path}": a URL string is decoded, so a data dir named
        # "a%20b" opened "a b" and one with "?" or "#" put the database somewhere else.
        self.engine: Engine = create_engine(
            URL.create("sqlite", database=str(path)),
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)
        self._writer_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer_engine, expire_on_commit=False)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) and migrate the database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
        return heads[0] if heads else None

    def migrate(self) -> None:
        """Bring the schema to this app's head; refuse a database from a newer app."""
        known = known_revisions()
        try:
            with self._write_lock, self._writer_engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_heads()
                unknown = [rev for rev in current if rev not in known]
                if unknown:
                    raise SchemaTooNewError(
                        f"{self.path} was written by a newer version of Caliber "
                        f"(schema {', '.join(unknown)}; this version knows up to "
                        f"{head_revision()}).",
                        hint="Install the newer Caliber, or set CALIBER_HOME to another folder.",
                    )
                if list(current) != [head_revision()]:
                    log.info("migrating %s from %s to %s", self.path, current, head_revision())
                    command.upgrade(alembic_config(conn), "head")
                conn.commit()
        except DBAPIError as exc:
            raise translate_db_error(exc, self.path) from exc

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work; anything it changed is rolled back."""
        session = self._read_sessions()
        try:
            yield session
        except OperationalError as exc:
            raise translate_db_error(exc, self.path) from exc
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One serialised write transaction: committed on success, rolled back on any error."""
        with self._write_lock:
            session = self._write_sessions()
            try:
                yield session
                session.commit()
            except OperationalError as exc:
                # Locked, full, read-only, damaged: the environment, not the caller's data.
                # IntegrityError is left to the services, which know which rule was broken.
                session.rollback()
                raise translate_db_error(exc, self.path) from exc
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check``: an empty list means the file is healthy."""
        with self.engine.connect() as conn:
            rows: list[Any] = list(conn.exec_driver_sql("PRAGMA integrity_check"))
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    def pragma(self, name: str) -> Any:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()
