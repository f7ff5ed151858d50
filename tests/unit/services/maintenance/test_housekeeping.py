"""Housekeeping: old exports, orphaned upload blobs and stale temp files go; nothing else does."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.portability import UTIME_OF_A_LINK, needs_symlinks

from caliber_desktop.cli import main as cli
from caliber_desktop.config import HousekeepingSettings, save_settings
from caliber_desktop.services.maintenance import housekeeping
from caliber_desktop.services.maintenance.housekeeping import Kind
from caliber_desktop.services.startup import SAMPLE_SETTINGS
from caliber_desktop.services.workspace import Workspace

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = SAMPLE_SETTINGS
REPORT = b"Date,Site,Impressions,Clicks,Advertiser Cost (USD)\n2024-01-01,a.com,1000,5,2.5\n"


def write(path: Path, data: bytes = b"x" * 10, *, age: timedelta = timedelta(0)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def age_tree(folder: Path, age: timedelta) -> None:
    stamp = (NOW - age).timestamp()
    for path in folder.rglob("*"):
        if UTIME_OF_A_LINK:
            os.utime(path, (stamp, stamp), follow_symlinks=False)
        elif not path.is_symlink():  # Windows has no lutimes: links keep their own time
            os.utime(path, (stamp, stamp))


@pytest.fixture
def hk() -> HousekeepingSettings:
    return HousekeepingSettings(export_max_age_days=30)


@pytest.fixture
def attach(workspace: Workspace, tmp_path: Path) -> Callable[[str, bytes], int]:
    campaign = workspace.campaigns.create("Housekeeping", settings=SETTINGS)

    def run(name: str, data: bytes) -> int:
        source = tmp_path / name
        source.write_bytes(data)
        return workspace.uploads.attach(campaign.id, source).id

    return run


def test_old_exports_go_and_recent_ones_stay(
    workspace: Workspace, hk: HousekeepingSettings
) -> None:
    exports = workspace.paths.exports
    old = write(exports / "2030-04" / "lists.csv", b"a" * 100, age=timedelta(days=31))
    recent = write(exports / "scores.xlsx", age=timedelta(days=29))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert [item.path for item in report.removals] == [old.resolve()]
    assert report.removals[0].kind is Kind.EXPORT
    assert report.bytes_freed == 100
    assert report.counts()["old export"] == 1
    assert not old.exists()
    assert recent.exists()
    assert report.summary() == "Removed 1 old export (100 bytes)."


def test_the_age_limit_is_the_setting(workspace: Workspace) -> None:
    path = write(workspace.paths.exports / "lists.csv", age=timedelta(days=8))
    keep = housekeeping.clean(
        workspace.paths, workspace.store, HousekeepingSettings(export_max_age_days=9), now=NOW
    )
    assert keep.count == 0
    assert path.exists()
    gone = housekeeping.clean(
        workspace.paths, workspace.store, HousekeepingSettings(export_max_age_days=7), now=NOW
    )
    assert gone.count == 1
    assert not path.exists()


def test_orphaned_uploads_go_and_referenced_ones_stay(
    workspace: Workspace, hk: HousekeepingSettings, attach: Callable[[str, bytes], int]
) -> None:
    kept_id = attach("kept.csv", REPORT)
    removed_id = attach("removed.csv", REPORT.replace(b"a.com", b"b.com"))
    kept, removed = workspace.uploads.get(kept_id), workspace.uploads.get(removed_id)
    # A crash after the row was deleted but before the blob was: the blob stays behind.
    with workspace.store.write() as session:
        from caliber_desktop.models import FileUpload

        session.delete(session.get(FileUpload, removed_id))
    age_tree(workspace.paths.uploads, timedelta(days=2))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert [(item.path, item.kind) for item in report.removals] == [
        (removed.path.resolve(), Kind.ORPHAN_UPLOAD)
    ]
    assert not removed.path.exists()
    assert kept.path.exists()
    assert workspace.uploads.preview(kept_id).rows


def test_a_just_written_orphan_is_kept_for_a_running_import(
    workspace: Workspace, hk: HousekeepingSettings
) -> None:
    """A blob is moved in before its row is committed: young unreferenced blobs stay."""
    blob = write(workspace.paths.uploads / "ab" / f"{'ab' * 32}.csv", age=timedelta(minutes=5))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert report.count == 0
    assert blob.exists()


def test_stale_temp_files_of_atomic_writes_go(
    workspace: Workspace, hk: HousekeepingSettings
) -> None:
    stale = write(workspace.paths.root / ".settings.json.k2j3.tmp", age=timedelta(hours=3))
    fresh = write(workspace.paths.root / ".settings.json.zz9.tmp", age=timedelta(minutes=1))
    look_alike = write(workspace.paths.root / "notes.tmp", age=timedelta(days=3))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert [(item.path, item.kind) for item in report.removals] == [(stale.resolve(), Kind.TEMP)]
    assert fresh.exists()
    assert look_alike.exists()


def test_a_dry_run_changes_nothing(
    workspace: Workspace, hk: HousekeepingSettings, attach: Callable[[str, bytes], int]
) -> None:
    old = write(workspace.paths.exports / "lists.csv", age=timedelta(days=90))
    temp = write(workspace.paths.root / ".caliber.json.x.tmp", age=timedelta(days=2))
    orphan = write(workspace.paths.uploads / "cd" / f"{'cd' * 32}.csv", age=timedelta(days=2))
    attach("kept.csv", REPORT)
    before = sorted(workspace.paths.root.rglob("*"))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW, dry_run=True)
    assert report.dry_run
    assert {item.path for item in report.removals} == {
        old.resolve(),
        temp.resolve(),
        orphan.resolve(),
    }
    assert report.summary().startswith("Would remove 1 old export, 1 orphaned upload, 1 temp file")
    assert sorted(workspace.paths.root.rglob("*")) == before  # (only the log file changed)


@needs_symlinks
def test_nothing_outside_the_data_dir_is_touched(
    workspace: Workspace, hk: HousekeepingSettings, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    victim = write(outside / "precious.csv", age=timedelta(days=400))
    victim_tmp = write(outside / ".precious.csv.a.tmp", age=timedelta(days=400))
    # Symlinks in the data dir to a file and to a folder outside it: neither followed nor removed.
    exports = workspace.paths.exports
    exports.mkdir(parents=True, exist_ok=True)
    (exports / "link.csv").symlink_to(victim)
    (exports / "linked-folder").symlink_to(outside, target_is_directory=True)
    (workspace.paths.uploads / "ef").mkdir(parents=True)
    (workspace.paths.uploads / "ef" / "linked").symlink_to(outside, target_is_directory=True)
    (workspace.paths.root / ".linked.tmp").symlink_to(victim_tmp)
    # The database, settings and logs are never candidates, however old.
    save_settings(workspace.settings, workspace.paths.settings)
    for path in workspace.paths.root.iterdir():
        if path.is_file() and not path.is_symlink():
            os.utime(path, (0, 0))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert report.count == 0, report.removals
    assert victim.exists()
    assert victim_tmp.exists()
    assert (exports / "link.csv").is_symlink()
    assert (workspace.paths.root / ".linked.tmp").is_symlink()
    assert workspace.paths.database.exists()
    assert workspace.paths.settings.exists()


@needs_symlinks
def test_an_exports_folder_that_is_a_symlink_is_left_alone(
    workspace: Workspace, hk: HousekeepingSettings, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    victim = write(elsewhere / "old.csv", age=timedelta(days=400))
    workspace.paths.exports.rmdir()
    workspace.paths.exports.symlink_to(elsewhere, target_is_directory=True)
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert report.count == 0
    assert victim.exists()


def test_a_file_that_cannot_be_removed_is_reported(
    workspace: Workspace, hk: HousekeepingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = write(workspace.paths.exports / "locked.csv", age=timedelta(days=90))
    real_unlink = Path.unlink

    def refuse(self: Path, missing_ok: bool = False) -> None:
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert report.count == 0
    assert report.errors == [f"{old.resolve()}: Permission denied"]
    assert "1 could not be removed" in report.summary()


def test_caliber_clean_dry_run_then_clean(
    workspace: Workspace, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    old = write(workspace.paths.exports / "lists.csv", b"12345")
    os.utime(old, (0, 0))  # the CLI cleans as of the real clock
    assert cli.main(["clean", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True
    assert dry["counts"]["old export"] == 1
    assert dry["bytes_freed"] == 5
    assert old.exists()
    assert cli.main(["clean"]) == 0
    out = capsys.readouterr().out
    assert "Removed 1 old export (5 bytes)." in out
    assert not old.exists()
    assert cli.main(["clean"]) == 0
    assert "Nothing to clean up." in capsys.readouterr().out
