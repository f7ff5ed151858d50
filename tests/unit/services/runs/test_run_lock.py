"""The scoring lock under Windows' rules, emulated on any OS.

``msvcrt.locking`` (Microsoft's ``_locking``) locks or unlocks ``nbytes`` starting at the
*current file position*; an unlock must name exactly a region this handle locked, otherwise it
fails with ``EACCES``; a non-blocking lock (``LK_NBLCK``) of a byte any handle — in this process
or another — already locked fails with ``EACCES``. Locks belong to the handle (not the process, as
POSIX ``fcntl`` locks do). :class:`StrictMsvcrt` follows exactly those documented rules, and the
real ``run_lock`` module is loaded with it as if on Windows.

The lock this replaced opened the file for append and wrote a PID into it: from the second
scoring of a campaign it locked byte 5 and unlocked byte 0, so ``release()`` raised after the run
was saved. ``test_the_second_scoring_of_a_campaign_releases_cleanly`` fails on it.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.errors import ConflictError
from caliber_desktop.services.runs import lock as run_lock
from caliber_desktop.services.runs import service as runs
from caliber_desktop.services.workspace import Workspace


class StrictMsvcrt(ModuleType):
    """The ``msvcrt`` locking API with the semantics Microsoft documents for ``_locking``."""

    LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = range(5)

    def __init__(self) -> None:
        super().__init__("msvcrt")
        #: (device, inode) of a file → [(fd, start, length)] regions locked through that handle.
        self.regions: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self.calls: list[tuple[str, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        info = os.fstat(fd)
        held = self.regions.setdefault((info.st_dev, info.st_ino), [])
        start = os.lseek(fd, 0, os.SEEK_CUR)  # from the current position, not from 0
        self.calls.append(("unlock" if mode == self.LK_UNLCK else "lock", fd, start))
        if mode == self.LK_UNLCK:
            if (fd, start, nbytes) not in held:
                raise OSError(errno.EACCES, "Permission denied")
            held.remove((fd, start, nbytes))
            return
        overlaps = any(s < start + nbytes and start < s + n for _, s, n in held)
        if overlaps:  # LK_LOCK would retry for 10 s first; the lock never waits
            raise OSError(errno.EACCES, "Permission denied")
        held.append((fd, start, nbytes))


@pytest.fixture
def msvcrt() -> StrictMsvcrt:
    return StrictMsvcrt()


@pytest.fixture
def windows_lock(monkeypatch: pytest.MonkeyPatch, msvcrt: StrictMsvcrt) -> ModuleType:
    """``services/runs/lock.py`` imported as on Windows, with the strict stand-in as msvcrt."""
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    spec = importlib.util.spec_from_file_location("run_lock_on_windows", run_lock.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as patch:
        patch.setattr(sys, "platform", "win32")
        spec.loader.exec_module(module)
    return module


def test_the_stand_in_enforces_the_documented_rules(tmp_path: Path, msvcrt: StrictMsvcrt) -> None:
    path = tmp_path / "f.lock"
    path.write_bytes(b"12345")
    with path.open("r+b") as one, path.open("r+b") as two:
        one.seek(5)
        msvcrt.locking(one.fileno(), msvcrt.LK_NBLCK, 1)  # byte 5
        one.seek(0)
        with pytest.raises(OSError, match="Permission denied"):  # byte 0 was never locked
            msvcrt.locking(one.fileno(), msvcrt.LK_UNLCK, 1)
        two.seek(5)
        with pytest.raises(OSError, match="Permission denied"):  # another handle, same byte
            msvcrt.locking(two.fileno(), msvcrt.LK_NBLCK, 1)
        one.seek(5)
        msvcrt.locking(one.fileno(), msvcrt.LK_UNLCK, 1)
        msvcrt.locking(two.fileno(), msvcrt.LK_NBLCK, 1)


def test_the_second_scoring_of_a_campaign_releases_cleanly(
    tmp_path: Path, windows_lock: ModuleType, msvcrt: StrictMsvcrt
) -> None:
    for _ in range(3):
        lock = windows_lock.ScoringLock(tmp_path, 7)
        assert lock.acquire()
        lock.release()
        assert not lock.held
    # An older Caliber left its PID in the file: the lock is still byte 0.
    (tmp_path / "locks" / "campaign-7.lock").write_bytes(b"4242")
    with windows_lock.ScoringLock(tmp_path, 7) as lock:
        assert lock.acquire()
    starts = {start for _, _, start in msvcrt.calls}
    assert starts == {0}
    assert not any(msvcrt.regions.values())  # nothing left locked


def test_a_second_holder_is_refused_until_the_first_releases(
    tmp_path: Path, windows_lock: ModuleType
) -> None:
    first = windows_lock.ScoringLock(tmp_path, 3)
    second = windows_lock.ScoringLock(tmp_path, 3)
    other_campaign = windows_lock.ScoringLock(tmp_path, 4)
    assert first.acquire()
    assert first.acquire()  # re-entrant for the holder
    assert not second.acquire()
    assert other_campaign.acquire()
    first.release()
    assert second.acquire()
    second.release()
    other_campaign.release()


def test_a_lock_error_that_is_not_contention_is_raised(
    tmp_path: Path, windows_lock: ModuleType, msvcrt: StrictMsvcrt, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks_here(fd: int, mode: int, nbytes: int) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")  # e.g. a share without byte locks

    monkeypatch.setattr(msvcrt, "locking", no_locks_here)
    with pytest.raises(OSError, match="Invalid argument"):
        windows_lock.ScoringLock(tmp_path, 1).acquire()


def test_scoring_a_campaign_again_and_again_under_windows_locks(
    workspace: Workspace,
    shared_data: Path,
    windows_lock: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runs, "ScoringLock", windows_lock.ScoringLock)
    campaign = workspace.campaigns.create("Display", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    first = workspace.runs.score_campaign(campaign.id)
    second = workspace.runs.score_campaign(campaign.id)
    assert second.id != first.id
    assert workspace.campaigns.get(campaign.id).current_run_id == second.id
    holder = windows_lock.ScoringLock(workspace.paths.root, campaign.id)
    assert holder.acquire()  # "another Caliber" is scoring it now
    try:
        with pytest.raises(ConflictError, match="already being scored"):
            workspace.runs.score_campaign(campaign.id)
    finally:
        holder.release()
    workspace.runs.score_campaign(campaign.id)
