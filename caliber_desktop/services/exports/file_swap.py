"""A set of files written into one folder all together or not at all (exports, a run's hand-over).

Why: on Windows a file open in Excel cannot be replaced (``os.replace`` raises
``PermissionError``, WinError 32 or 5). Replacing a folder's files one by one then stops at the
open one, with the files before it new and the files after it old. Here the whole set goes in
as one transaction, :class:`Staging`:

1. **Scratch folder.** ``Staging(destination)`` makes a hidden ``.caliber-export-<random>``
   folder in the folder the files go to: beside a file or a new folder, *inside* an existing
   folder. Same volume, so every later step is a rename. If it cannot be made, the folder is
   not writable, and the error says so.
2. **Write.** The writers fill the scratch folder (:meth:`Staging.file`, :meth:`Staging.folder`).
   An ``OSError`` there (a full disk) becomes a message naming the folder.
3. **Check.** Every existing target must open for writing (:func:`open_for_writing`, nothing is
   truncated): Windows refuses that for a file another app has open, so a file open in Excel is
   found before anything moves. :func:`check_targets` does the same check, and that the folder
   can be written, before the slow part (scoring, writing), where the names are known up front.
4. **Swap.** Every existing target is moved aside into ``<scratch>/backup/<name>``, then every
   new file moved into place. When a step fails, the new files already placed are removed and
   every backup moved back: the folder is exactly as before, and the error names the file and
   says to close it (:func:`locked_error`, the one wording for every writer, the PDF too).
5. **Clean.** Leaving the ``with`` block deletes the scratch folder: the backups after a
   success, the half-written files after a failure or cancel. Only when a backup could not be
   moved back is the scratch folder kept, and the error says where the old file is.

A new folder is still made by renaming the staged folder, and a ``.zip`` is one file swapped in.

After a crash between 4 and 5 (the process killed, the power gone), a backup
``<dir>/.caliber-export-*/backup/<name>`` is always the previous ``<dir>/<name>``: backups exist
only where the scratch folder is in the target's own folder. Housekeeping relies on that to never
delete a backup whose file is missing (:mod:`caliber_desktop.services.maintenance.housekeeping`).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from caliber_desktop.errors import ValidationError

log = logging.getLogger(__name__)

#: The scratch folder of a transaction: hidden, beside or inside the destination.
STAGING_PREFIX = ".caliber-export-"
#: Inside the scratch folder: the previous files, moved aside during the swap.
BACKUP_DIR = "backup"
#: How a message ends ("Close x.csv … and export again."); the CLI says which command to run.
RETRY = "export again"
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


# ----------------------------------------------------------------------------- messages


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def locked_error(path: Path, exc: OSError, *, retry: str = RETRY) -> ValidationError:
    """``path`` could not be opened for writing or replaced: almost always open in Excel."""
    app = "your PDF viewer" if path.suffix.lower() == ".pdf" else "Excel"
    return ValidationError(
        f"Close {path.name} in {app} (or any app that has it open) and {retry}.",
        field="out",
        hint=(
            f"{path} is in use or read-only ({_reason(exc)}); nothing in its folder was changed."
        ),
    )


def folder_error(
    folder: Path, exc: OSError, *, retry: str = RETRY, create: bool = False
) -> ValidationError:
    """``folder`` cannot take the files: full, read-only, gone, or not creatable."""
    reason = _reason(exc)
    if exc.errno in _DISK_FULL:
        return ValidationError(
            f"The disk holding {folder} is full ({reason}).",
            field="out",
            hint=f"Free some space or choose another folder, then {retry}.",
        )
    verb = "create the folder" if create else "write to the folder"
    hint = (
        "Choose a folder you can write to"
        if isinstance(exc, PermissionError) or exc.errno == errno.EROFS
        else "Check that the drive is still there, or choose another folder"
    )
    return ValidationError(
        f"Cannot {verb} {folder} ({reason}).", field="out", hint=f"{hint}, then {retry}."
    )


def file_error(path: Path, exc: OSError, *, retry: str = RETRY) -> ValidationError:
    """``path`` (a target file) could not be replaced."""
    if isinstance(exc, PermissionError):
        return locked_error(path, exc, retry=retry)
    if isinstance(exc, IsADirectoryError):
        return _is_a_folder(path, retry)
    return folder_error(path.parent, exc, retry=retry)


def _is_a_folder(path: Path, retry: str) -> ValidationError:
    return ValidationError(
        f"{path} is a folder, where Caliber would write the file {path.name}.",
        field="out",
        hint=f"Rename or move that folder, or choose another place, then {retry}.",
    )


# ----------------------------------------------------------------------------- checks


def open_for_writing(path: Path) -> None:
    """Open an existing file for writing and close it unchanged (no truncation, no write).

    Windows refuses this with a sharing violation while another app (Excel) has the file open,
    and for a read-only file; both would make the swap fail half-way.
    """
    with open(path, "r+b"):
        pass


def check_target(path: Path, *, retry: str = RETRY) -> None:
    """Refuse a target that is a folder or cannot be opened for writing; a new name is fine."""
    if path.is_dir() and not path.is_symlink():
        raise _is_a_folder(path, retry)
    if not os.path.lexists(path):
        return
    try:
        open_for_writing(path)
    except FileNotFoundError:
        return  # removed meanwhile, or a dangling link: replaced like a new name
    except OSError as exc:
        raise file_error(path, exc, retry=retry) from None


def check_targets(folder: Path, names: Iterable[str], *, retry: str = RETRY) -> None:
    """Before the slow part: ``folder`` can be written (or created) and no target is locked.

    Leaves nothing behind: a missing folder is not created, only its nearest existing parent
    is tried with a scratch folder that is removed at once.
    """
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise ValidationError(
            f"{existing} is a file, so the folder {folder} cannot be made.",
            field="out",
            hint=f"Choose another folder, then {retry}.",
        )
    try:
        probe = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=existing)
    except OSError as exc:
        raise folder_error(folder, exc, retry=retry, create=existing != folder) from None
    with suppress(OSError):
        os.rmdir(probe)
    if existing == folder:
        for name in names:
            check_target(folder / name, retry=retry)


# ----------------------------------------------------------------------------- the transaction


class Staging:
    """A scratch folder beside (or inside) the destination; ``commit_*`` swaps the result in.

    Leaving the ``with`` block without a commit (an error, a cancel) deletes the scratch folder,
    so nothing half-written is ever visible and every previous file is untouched.
    """

    def __init__(self, destination: Path, *, retry: str = RETRY) -> None:
        self.destination = destination
        self.retry = retry
        self.committed = False
        self._keep = False  # a backup could not be put back: the scratch folder holds it
        #: the folder the files go to, and where the scratch folder is (see the module doc)
        self.home = destination if destination.is_dir() else destination.parent
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise folder_error(self.home, exc, retry=retry, create=True) from None
        try:
            self.root = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.home))
        except OSError as exc:
            raise folder_error(self.home, exc, retry=retry) from None

    def file(self) -> Path:
        """Where to write a single-file export."""
        return self.root / ("staged" + self.destination.suffix)

    def folder(self) -> Path:
        """Where to write a folder export's files."""
        path = self.root / "folder"
        path.mkdir(exist_ok=True)
        return path

    def commit_file(self) -> Path:
        self._swap([(self.file(), self.destination)])
        return self.destination

    def commit_folder(self) -> list[Path]:
        """Into a new folder by renaming the staged one; into an existing one as one swap."""
        staged = self.folder()
        names = sorted(p.name for p in staged.iterdir())
        target = self.destination
        if target.is_dir():
            self._swap([(staged / name, target / name) for name in names])
        elif os.path.lexists(target):
            raise ValidationError(
                f"{target} is a file, where Caliber would make a folder.",
                field="out",
                hint=f"Choose a folder, then {self.retry}.",
            )
        else:
            try:
                os.replace(staged, target)
            except OSError as exc:
                raise folder_error(target, exc, retry=self.retry, create=True) from None
            self.committed = True
        return [target / name for name in names]

    def commit_zip(self) -> Path:
        """The staged folder as one ``.zip`` (for analysts who e-mail the export)."""
        staged = self.folder()
        archive = self.root / "staged.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as book:
            for path in sorted(staged.iterdir()):
                book.write(path, path.name)
        self._swap([(archive, self.destination)])
        return self.destination

    def _swap(self, moves: Sequence[tuple[Path, Path]]) -> None:
        """Every ``(staged, target)`` in place, or the folder as it was (module doc, 3–4)."""
        for _, target in moves:
            check_target(target, retry=self.retry)
        backups = self.root / BACKUP_DIR
        backups.mkdir()
        aside: list[tuple[Path, Path]] = []  # (target, its backup)
        placed: list[Path] = []
        current = self.destination
        try:
            for _, target in moves:
                if os.path.lexists(target):
                    current = target
                    os.replace(target, backups / target.name)
                    aside.append((target, backups / target.name))
            for staged, target in moves:
                current = target
                os.replace(staged, target)
                placed.append(target)
        except BaseException as exc:  # Ctrl+C too: the previous files must not stay aside
            stuck = _roll_back(placed, aside)
            self._keep = bool(stuck)
            if not isinstance(exc, OSError):
                raise
            if stuck:
                raise _half_way(current, exc, stuck) from None
            raise file_error(current, exc, retry=self.retry) from None
        self.committed = True

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:  # only the backups that could not be put back stay (the message says where)
            for entry in self.root.iterdir():
                if entry.is_dir() and entry.name != BACKUP_DIR:
                    shutil.rmtree(entry, ignore_errors=True)
                elif entry.is_file():
                    with suppress(OSError):
                        entry.unlink()
        if isinstance(exc, OSError):  # writing the staged files failed: a full disk, mostly
            raise folder_error(self.home, exc, retry=self.retry) from exc


def _roll_back(placed: list[Path], aside: list[tuple[Path, Path]]) -> list[Path]:
    """Remove the new files placed and move every backup back; the backups left are returned."""
    had_one = {target for target, _ in aside}
    for target in reversed(placed):
        if target not in had_one:  # a new name: remove it (an old one is overwritten below)
            try:
                target.unlink()
            except OSError as exc:
                log.warning("could not remove %s after a failed export: %s", target, exc)
    stuck = []
    for target, backup in reversed(aside):
        try:
            os.replace(backup, target)
        except OSError as exc:
            log.error("could not put %s back to %s: %s", backup, target, exc)
            stuck.append(backup)
    return stuck


def _half_way(failed: Path, exc: OSError, stuck: list[Path]) -> ValidationError:
    folder = failed.parent
    names = ", ".join(p.name for p in stuck)
    return ValidationError(
        f"Writing into {folder} stopped at {failed.name} ({_reason(exc)}), and the previous "
        f"{names} could not be put back.",
        field="out",
        hint=f"Move them back into {folder} by hand from {', '.join(map(str, stuck))}.",
    )
