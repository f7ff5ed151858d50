"""Housekeeping and interrupted exports: staged files go, a backup that is the only copy stays."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from caliber_desktop.config import HousekeepingSettings
from caliber_desktop.services.exports.file_swap import BACKUP_DIR, STAGING_PREFIX
from caliber_desktop.services.maintenance import housekeeping
from caliber_desktop.services.maintenance.housekeeping import Kind
from caliber_desktop.services.workspace import Workspace

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def write(path: Path, data: bytes = b"x" * 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def age(folder: Path, by: timedelta) -> None:
    """``folder`` and everything in it last changed ``by`` before :data:`NOW`."""
    stamp = (NOW - by).timestamp()
    for path in sorted(folder.rglob("*"), reverse=True):
        os.utime(path, (stamp, stamp))
    os.utime(folder, (stamp, stamp))


@pytest.fixture
def hk() -> HousekeepingSettings:
    return HousekeepingSettings(export_max_age_days=30)


def test_interrupted_exports_are_cleaned_but_an_only_copy_is_kept(
    workspace: Workspace, hk: HousekeepingSettings
) -> None:
    out = workspace.paths.exports / "lists"
    placed = write(out / "scores.csv", b"new scores")  # the swap had placed this one…
    os.utime(placed, (NOW.timestamp(), NOW.timestamp()))  # (a recent export: not too old)
    # …and died before deleting the backups: the previous scores.csv may go, it was replaced.
    done = out / f"{STAGING_PREFIX}done"
    replaced = write(done / BACKUP_DIR / "scores.csv", b"old scores")
    staged = write(done / "folder" / "allow.csv", b"new allow")
    # Died mid-swap: summary.json was moved aside, the new one never placed.
    half = out / f"{STAGING_PREFIX}half"
    only_copy = write(half / BACKUP_DIR / "summary.json", b"the only summary")
    empty = out / f"{STAGING_PREFIX}empty"
    empty.mkdir()
    part = write(workspace.paths.exports / ".report.k2j3.part")
    for folder in (done, half, empty):
        age(folder, timedelta(days=2))
    os.utime(part, ((NOW - timedelta(days=2)).timestamp(),) * 2)
    running = out / f"{STAGING_PREFIX}running"  # an export writing right now
    fresh = write(running / BACKUP_DIR / "impact.csv")
    age(running, timedelta(minutes=1))

    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW)
    assert sorted((item.path, item.kind) for item in report.removals) == sorted(
        [
            (replaced.resolve(), Kind.STAGED),
            (staged.resolve(), Kind.STAGED),
            (part.resolve(), Kind.TEMP),
        ]
    )
    assert only_copy.read_bytes() == b"the only summary"
    (note,) = report.errors
    assert str(only_copy) in note
    assert str(out / "summary.json") in note
    assert "move it back" in note
    assert "could not be removed" in report.summary()
    assert not done.exists()
    assert not empty.exists()
    assert fresh.exists()
    assert (out / "scores.csv").read_bytes() == b"new scores"


def test_a_dry_run_leaves_interrupted_exports(
    workspace: Workspace, hk: HousekeepingSettings
) -> None:
    staging = workspace.paths.exports / f"{STAGING_PREFIX}x"
    staged = write(staging / "staged.xlsx")
    age(staging, timedelta(days=2))
    report = housekeeping.clean(workspace.paths, workspace.store, hk, now=NOW, dry_run=True)
    assert [(item.path, item.kind) for item in report.removals] == [(staged.resolve(), Kind.STAGED)]
    assert report.summary().startswith("Would remove 1 interrupted export file")
    assert staged.exists()
