"""Cleaning the data dir: old exports, orphaned upload blobs, temp files left by a crash.

Run by ``caliber clean``, by File › Clean Up Data Folder…, and at start-up when
``housekeeping.clean_on_startup`` is on. Three kinds of files go:

* files in the data dir's ``exports`` folder older than ``export_max_age_days``;
* upload blobs no upload row refers to (left by a crash or a campaign deleted outside the app),
  found by :func:`caliber_desktop.services.importing.uploads.orphan_blobs`;
* ``.*.tmp`` files an atomic write (temp file + rename) left behind when it was interrupted, and
  ``.*.part`` files of an interrupted PDF report;
* ``.caliber-export-*`` folders an interrupted export left
  (:mod:`caliber_desktop.services.exports.file_swap`): the staged new files, and the backups of the
  previous ones. A backup
  ``<dir>/.caliber-export-*/backup/<name>`` is the previous ``<dir>/<name>``; it goes only when
  ``<dir>/<name>`` exists again. When that file is missing (the export died half-way through its
  swap), the backup is the only copy: it is kept and reported ("move it back"), never deleted.
  Only exports inside the data dir are seen; a folder elsewhere keeps its hidden leftover.

Anything younger than :data:`GRACE` is kept whatever its kind: a file that new may belong to an
import or a save still running in another window. Only regular files inside the data dir are
removed: symbolic links are neither followed nor removed, so nothing outside the data dir is ever
touched. The database, settings and logs are never candidates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from caliber_desktop.config import HousekeepingSettings, Paths
from caliber_desktop.models.store import Store
from caliber_desktop.services.exports.file_swap import BACKUP_DIR, STAGING_PREFIX
from caliber_desktop.services.importing.uploads import orphan_blobs

log = logging.getLogger(__name__)

#: Files younger than this are never removed (an import or a save may still be writing them).
GRACE = timedelta(hours=1)
#: Leftovers of an interrupted atomic write: ``.<name>.<random>.tmp`` beside the target (and
#: ``.<stem>.<random>.part`` of a PDF report).
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"
TEMP_SUFFIXES = (TEMP_SUFFIX, ".part")


class Kind(StrEnum):
    EXPORT = "old export"
    ORPHAN_UPLOAD = "orphaned upload"
    TEMP = "temp file"
    STAGED = "interrupted export file"


@dataclass(frozen=True)
class Removal:
    """One file a clean-up removes (or, in a dry run, would remove)."""

    path: Path
    kind: Kind
    size_bytes: int
    modified: datetime


@dataclass
class CleanReport:
    """What a clean-up found and removed; ``dry_run`` means nothing was removed."""

    dry_run: bool
    removals: list[Removal] = field(default_factory=list)
    #: files that could not be removed, as "path: reason"
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.removals)

    @property
    def bytes_freed(self) -> int:
        return sum(item.size_bytes for item in self.removals)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys((kind.value for kind in Kind), 0)
        for item in self.removals:
            found[item.kind.value] += 1
        return found

    def summary(self) -> str:
        """One sentence for a status bar, a message box or the CLI."""
        if not self.removals:
            text = "Nothing to clean up."
        else:
            parts = [f"{n} {kind}{'' if n == 1 else 's'}" for kind, n in self.counts().items() if n]
            verb = "Would remove" if self.dry_run else "Removed"
            text = f"{verb} {', '.join(parts)} ({format_size(self.bytes_freed)})."
        if self.errors:
            text += f" {len(self.errors)} could not be removed: {self.errors[0]}"
        return text


def format_size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n:,} bytes" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def clean(
    paths: Paths,
    store: Store,
    settings: HousekeepingSettings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> CleanReport:
    """Find (and unless ``dry_run``, remove) old exports, orphaned uploads and stale temp files."""
    now = now or datetime.now(UTC)
    report = CleanReport(dry_run=dry_run)
    root = paths.root.resolve()
    if not root.is_dir():
        return report
    export_cutoff = now - timedelta(days=settings.export_max_age_days)
    grace_cutoff = now - GRACE
    seen: set[Path] = set()

    def consider(path: Path, kind: Kind, cutoff: datetime) -> None:
        removal = _candidate(path, kind, root, cutoff)
        if removal is not None and removal.path not in seen:
            seen.add(removal.path)
            report.removals.append(removal)

    # Interrupted exports first: their files are never judged as old exports or temp files.
    settled = [d for d in _staging_dirs(paths.root, root) if not _touched_since(d, d, grace_cutoff)]
    for path in _files(paths.root, root):
        staging = _staging_root(path, paths.root)
        if staging is None:
            continue
        if staging in settled and not _touched_since(path, staging, grace_cutoff):
            kept = _only_copy(path, staging)
            if kept is not None:
                report.errors.append(kept)
            else:
                consider(path, Kind.STAGED, grace_cutoff)
        seen.add(path.resolve())
    for path in _files(paths.exports, root):
        consider(path, Kind.EXPORT, min(export_cutoff, grace_cutoff))
    for path in orphan_blobs(store, paths.root):
        consider(path, Kind.ORPHAN_UPLOAD, grace_cutoff)
    for path in _files(paths.root, root):
        if path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIXES):
            consider(path, Kind.TEMP, grace_cutoff)

    if not dry_run:
        _remove(report)
        _prune_staging(settled)
        _prune_empty_dirs(paths.exports, root, grace_cutoff)
    log.info("housekeeping%s: %s", " (dry run)" if dry_run else "", report.summary())
    return report


def _staging_root(path: Path, data_dir: Path) -> Path | None:
    """The ``.caliber-export-*`` folder ``path`` lies in, if any (below ``data_dir``)."""
    for folder in path.parents:
        if folder == data_dir or folder == folder.parent:
            return None
        if folder.name.startswith(STAGING_PREFIX):
            return folder
    return None


def _touched_since(path: Path, staging: Path, cutoff: datetime) -> bool:
    """Whether the file or a folder up to ``staging`` changed after ``cutoff``.

    A backup keeps its file's old time when it is moved aside, so the folders' times (changed
    by every move into them) say whether the export is recent.
    """
    for item in (path, *[p for p in path.parents if p.is_relative_to(staging)]):
        try:
            if datetime.fromtimestamp(item.lstat().st_mtime, UTC) >= cutoff:
                return True
        except OSError:
            return True  # gone or unreadable meanwhile: leave it to the next clean-up
    return False


def _only_copy(path: Path, staging: Path) -> str | None:
    """A note when ``path`` is the backup of a file that is missing (see the module doc)."""
    if path.parent != staging / BACKUP_DIR:
        return None
    original = staging.parent / path.name
    if os.path.lexists(original):
        return None
    log.warning("housekeeping keeps %s: %s is missing", path, original)
    return (
        f"{path}: kept, it is the previous {original.name} and {original} is missing "
        "(an export was interrupted); move it back"
    )


def _staging_dirs(folder: Path, root: Path) -> list[Path]:
    """Every ``.caliber-export-*`` folder below ``folder`` (no symlinks followed)."""
    if not folder.is_dir() or folder.is_symlink() or not _inside(folder, root):
        return []
    found = []
    for current, dirs, _files in os.walk(folder, followlinks=False):
        base = Path(current)
        dirs[:] = [name for name in dirs if not (base / name).is_symlink()]
        found += [base / name for name in dirs if name.startswith(STAGING_PREFIX)]
        dirs[:] = [name for name in dirs if not name.startswith(STAGING_PREFIX)]
    return found


def _prune_staging(settled: list[Path]) -> None:
    """Remove the emptied ``.caliber-export-*`` folders (a kept backup keeps its folder)."""
    for staging in settled:
        for current, dirs, _files in os.walk(staging, topdown=False, followlinks=False):
            for name in dirs:
                with contextlib.suppress(OSError):
                    (Path(current) / name).rmdir()  # only succeeds when empty
        with contextlib.suppress(OSError):
            staging.rmdir()


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (with its symlinks resolved) lies within ``root`` (already resolved)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop, an unreadable folder
        return False


def _files(folder: Path, root: Path) -> Iterator[Path]:
    """Regular files below ``folder``, without following symlinks, only inside ``root``."""
    if not folder.is_dir() or folder.is_symlink() or not _inside(folder, root):
        return
    for current, dirs, files in os.walk(folder, followlinks=False):
        base = Path(current)
        dirs[:] = [name for name in dirs if not (base / name).is_symlink()]
        for name in files:
            yield base / name


def _candidate(path: Path, kind: Kind, root: Path, cutoff: datetime) -> Removal | None:
    """A :class:`Removal` when ``path`` is a regular file in ``root`` older than ``cutoff``."""
    try:
        info = path.lstat()
    except OSError:
        return None  # gone meanwhile
    if not stat.S_ISREG(info.st_mode) or not _inside(path, root):
        return None  # symlinks (and anything they point at) are never touched
    modified = datetime.fromtimestamp(info.st_mtime, UTC)
    if modified >= cutoff:
        return None
    return Removal(path=path.resolve(), kind=kind, size_bytes=info.st_size, modified=modified)


def _remove(report: CleanReport) -> None:
    kept: list[Removal] = []
    for item in report.removals:
        try:
            # Checked again right before removing: the file may have been replaced meanwhile.
            if not stat.S_ISREG(item.path.lstat().st_mode):
                continue
            item.path.unlink()
        except FileNotFoundError:
            continue  # removed by someone else: not ours to count
        except OSError as exc:
            report.errors.append(f"{item.path}: {exc.strerror or exc}")
            continue
        kept.append(item)
    report.removals = kept


def _prune_empty_dirs(folder: Path, root: Path, cutoff: datetime) -> None:
    """Remove empty sub-folders unchanged since ``cutoff`` (never ``folder``, nor via a symlink).

    The upload folders are left alone: an import creates its ``uploads/<xx>`` folder just before
    moving the blob in, and an empty two-letter folder costs nothing.
    """
    if not folder.is_dir() or folder.is_symlink() or not _inside(folder, root):
        return
    for current, dirs, _files in os.walk(folder, topdown=False, followlinks=False):
        for name in dirs:
            sub = Path(current) / name
            try:
                info = sub.lstat()
                if (
                    stat.S_ISLNK(info.st_mode)
                    or datetime.fromtimestamp(info.st_mtime, UTC) >= cutoff
                ):
                    continue
                sub.rmdir()  # only succeeds when empty
            except OSError:
                pass
