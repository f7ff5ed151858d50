"""Who is scoring a campaign right now — answered by the operating system, not the database.

A campaign is marked ``processing`` in the store while it scores, so nobody deletes it or scores
it twice. If Caliber crashes (or the machine loses power) mid-run, that mark stays behind and the
campaign could never be scored or deleted again. So the scoring process also holds an exclusive
OS lock on ``locks/campaign-<id>.lock`` in the data dir: the OS releases it when the process ends,
however it ends. ``processing`` in the store with nobody holding the lock means "interrupted".
Works across processes (the window and the ``caliber`` command share a data dir).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

if sys.platform == "win32":  # pragma: no cover (exercised on Windows)
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ScoringLock:
    """An exclusive, crash-safe claim on scoring one campaign."""

    def __init__(self, root: Path, campaign_id: int) -> None:
        self.path = root / "locks" / f"campaign-{campaign_id}.lock"
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        """True if this process now holds the lock; False if another process does."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+b")
        if not _try_lock(handle):
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> ScoringLock:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.release()
