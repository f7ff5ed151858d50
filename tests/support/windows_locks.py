"""Windows' file-sharing rules, emulated on Linux: a file "open in Excel", a read-only folder.

Excel opens a workbook with a share mode that lets other programs read it but neither write,
rename nor delete it (no ``FILE_SHARE_WRITE``, no ``FILE_SHARE_DELETE``). Windows then refuses,
with a sharing violation (WinError 32) or "access denied" (WinError 5), both a ``PermissionError``
in Python:

* opening the file for writing (``open(path, "r+b")``, ``"wb"``, ``"a"``);
* renaming or moving it (``os.replace(path, other)``), replacing it (``os.replace(other, path)``);
* renaming a folder that holds it.

Reading it still works. A read-only folder (a share the analyst may only read) refuses creating,
writing, renaming or moving anything in it.

:class:`WindowsLocks` patches ``os.replace``, ``os.mkdir``, ``os.open`` and ``open`` (``io.open``,
which ``pathlib`` and ``zipfile`` use) for the paths it was told about; every other path goes to
the real call. It patches the OS-level calls, not Caliber's own functions, so the same test
reproduces what the code did before it knew about locks.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from typing import Any

import pytest

SHARING_VIOLATION = "The process cannot access the file because it is being used by another process"
ACCESS_DENIED = "Access is denied"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _key(path: Any) -> Path:
    return Path(os.path.abspath(os.fsdecode(path)))


class WindowsLocks:
    """Locked files and read-only folders, enforced on the OS calls of this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.locked: set[Path] = set()
        self.read_only: set[Path] = set()
        #: every refused call, as (function, path), for assertions and debugging
        self.refused: list[tuple[str, Path]] = []
        real_replace, real_mkdir, real_os_open, real_open = os.replace, os.mkdir, os.open, io.open

        def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            source, target = _key(src), _key(dst)
            for path in (source, target):
                if self._is_locked(path):
                    self._refuse("replace", path, 32, SHARING_VIOLATION)
            if any(lock.is_relative_to(source) for lock in self.locked):
                self._refuse("replace", source, 5, ACCESS_DENIED)  # a folder with an open file
            for path in (source, target):
                if path.parent in self.read_only:
                    self._refuse("replace", path, 5, ACCESS_DENIED)
            real_replace(src, dst, *args, **kwargs)

        def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            if _key(path).parent in self.read_only:
                self._refuse("mkdir", _key(path), 5, ACCESS_DENIED)
            real_mkdir(path, *args, **kwargs)

        def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & _WRITE_FLAGS and not isinstance(path, int):
                self._check_write("os.open", _key(path))
            return real_os_open(path, flags, *args, **kwargs)

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if not isinstance(file, int) and any(c in mode for c in "wax+"):
                self._check_write("open", _key(file))
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(io, "open", open_)
        monkeypatch.setattr(builtins, "open", open_)

    def lock(self, path: Path) -> Path:
        """``path`` is open in Excel from now on."""
        self.locked.add(_key(path))
        return path

    def make_read_only(self, folder: Path) -> Path:
        """Nothing can be created, written or moved in ``folder`` from now on."""
        self.read_only.add(_key(folder))
        return folder

    def _is_locked(self, path: Path) -> bool:
        return path in self.locked

    def _check_write(self, call: str, path: Path) -> None:
        if self._is_locked(path):
            self._refuse(call, path, 32, SHARING_VIOLATION)
        if path.parent in self.read_only:
            self._refuse(call, path, 5, ACCESS_DENIED)

    def _refuse(self, call: str, path: Path, winerror: int, text: str) -> None:
        self.refused.append((call, path))
        raise PermissionError(13, text, str(path))
