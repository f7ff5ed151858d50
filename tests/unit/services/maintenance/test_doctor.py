"""``caliber doctor``: a damaged store, broken references, disk space and the keyring."""

from __future__ import annotations

import json
import sqlite3
from collections import namedtuple
from pathlib import Path

import pytest

from caliber_desktop.cli import main as cli
from caliber_desktop.config import Paths
from caliber_desktop.models.store import Store
from caliber_desktop.services.maintenance import doctor
from caliber_desktop.services.maintenance.doctor import Status
from caliber_desktop.services.startup import SAMPLE_SETTINGS
from caliber_desktop.services.workspace import open_workspace

PAGE = 4096


def checks(paths: Paths) -> dict[str, doctor.Check]:
    return {check.name: check for check in doctor.run(paths).checks}


def fresh_store(home: Path) -> Paths:
    paths = Paths(home).ensure()
    Store.open(paths.database).close()
    return paths


def test_a_healthy_store_passes_every_check(home: Path) -> None:
    found = checks(fresh_store(home))
    for name in ("database", "schema version", "integrity", "foreign keys", "clean-up"):
        assert found[name].status is Status.OK, found[name]
    assert found["integrity"].detail == "PRAGMA integrity_check: ok"
    assert found["foreign keys"].detail == "PRAGMA foreign_key_check: ok"


def test_a_damaged_page_fails_the_integrity_check_with_a_clear_message(home: Path) -> None:
    paths = fresh_store(home)
    with sqlite3.connect(paths.database) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("CREATE INDEX filler_text ON filler (text)")
        conn.executemany(
            "INSERT INTO filler (text) VALUES (?)", [(f"row {i:06d} " * 8,) for i in range(3000)]
        )
    conn.close()
    size = paths.database.stat().st_size
    assert size > 20 * PAGE
    with paths.database.open("r+b") as handle:  # scribble over pages in the middle
        for page in range(size // PAGE // 2, size // PAGE // 2 + 4):
            handle.seek(page * PAGE + 100)
            handle.write(b"\xde\xad\xbe\xef" * 200)
    report = doctor.run(paths)
    assert not report.healthy
    failed = [check for check in report.checks if check.status is Status.FAIL]
    assert failed, report.checks
    check = failed[0]
    assert check.name in {"database", "integrity"}
    assert str(paths.database) in check.detail
    assert "damaged" in check.detail
    assert "backup" in check.hint


def test_a_file_that_is_not_a_database_fails(home: Path) -> None:
    paths = Paths(home).ensure()
    paths.database.write_bytes(b"this is not SQLite" * 500)
    found = checks(paths)
    assert found["database"].status is Status.FAIL
    assert "damaged or is not a Caliber database" in found["database"].detail
    assert "integrity" not in found


def test_rows_pointing_at_missing_rows_fail_the_foreign_key_check(home: Path) -> None:
    with open_workspace(home) as ws:
        ws.campaigns.create("Orphaned", settings=SAMPLE_SETTINGS)
    paths = Paths(home)
    with sqlite3.connect(paths.database) as conn:  # a tool that ignores foreign keys
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM users")
    conn.close()
    found = checks(paths)["foreign keys"]
    assert found.status is Status.FAIL
    assert "refer to missing rows" in found.detail
    assert "campaigns" in found.detail


def test_low_disk_space_warns_and_a_full_disk_fails(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _path: usage(10**12, 0, 200 * 2**20))
    paths = fresh_store(home)
    assert checks(paths)["disk space"].status is Status.WARN
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _path: usage(10**12, 0, 10 * 2**20))
    found = checks(paths)["disk space"]
    assert found.status is Status.FAIL
    assert "10 MB free" in found.detail


def test_the_keyring_backend_is_reported(home: Path) -> None:
    found = checks(fresh_store(home))["keyring"]
    assert found.status is Status.OK
    assert found.detail  # the backend's name (the tests' in-memory keyring)


def test_doctor_exits_non_zero_when_a_check_fails(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths(home).ensure()
    paths.database.write_bytes(b"garbage" * 1000)
    assert cli.main(["doctor", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["healthy"] is False
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["database"] == "fail"
    assert cli.main(["doctor"]) == 1
    text = capsys.readouterr().out
    assert "NOT healthy" in text
    assert "FAIL  database" in text


def test_the_ai_line_says_where_the_key_comes_from(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caliber_desktop.services.auth.secrets import OPENAI_API_KEY, SecretStore

    paths = fresh_store(home)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    without = checks(paths)["AI assistant"]
    assert without.status is Status.WARN
    assert "offline insights only" in without.detail
    assert "api.openai.com" in without.detail

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-1234")
    assert checks(paths)["AI assistant"].detail.endswith("(key from the environment)")

    assert SecretStore().set(OPENAI_API_KEY, "sk-from-keyring-5678")
    found = checks(paths)["AI assistant"]
    assert found.status is Status.OK
    assert found.detail == "gpt-4o-mini at api.openai.com (key from the keyring)"
    assert "sk-" not in f"{found.detail} {found.hint}"  # the key itself is never shown
