"""Who is scoring a campaign right now — answered by the operating system, not the database.

A campaign is marked ``processing`` in the store while it scores, so nobody deletes it or scores
it twice. If Caliber crashes (or the machine loses power) mid-run, that mark stays behind and the
campaign could never be scored or deleted again. So the scoring process also holds an exclusive
OS lock on ``locks/campaign-<id>.lock`` in the data dir: the OS releases it when the process ends,
however it ends. ``processing`` in the store with nobody holding the lock means "interrupted".
Works across processes (the window and the ``caliber`` command share a data dir).

The lock is always byte 0 of the file, and the file is never written: Windows' ``msvcrt.locking``
locks and unlocks ``nbytes`` *from the current file position* and an unlock must name exactly a
locked region, so every call seeks to 0 first (a file opened for append, or with content, would
otherwise lock one byte and unlock another). Windows locks are mandatory, so a PID written into
the locked byte could not even be read by the other process; we keep none. POSIX ``flock`` locks
the whole file regardless of position. ``tests/unit/services/runs/test_run_lock.py`` runs this
module against a stand-in that follows Microsoft's documented ``_locking`` rules.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from types import TracebackType

#: What a non-blocking lock attempt raises when someone else holds it: ``EACCES`` from
#: ``msvcrt.locking(LK_NBLCK)`` ("file already locked"), ``EWOULDBLOCK``/``EAGAIN`` from
#: ``flock(LOCK_NB)``. Anything else (a bad descriptor, a network share without locks) is a real
#: error and is raised, not read as "somebody else is scoring".
_HELD_ELSEWHERE = {errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK, getattr(errno, "EDEADLK", -1)}

if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class ScoringLock:
    """An exclusive, crash-safe claim on scoring one campaign."""

    def __init__(self, root: Path, campaign_id: int) -> None:
        self.path = root / "locks" / f"campaign-{campaign_id}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process now holds the lock; False if another process (or holder) does."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not inherited by child processes (PEP 446), so none keeps the lock after we exit.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno in _HELD_ELSEWHERE:
                return False
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ScoringLock:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.release()
