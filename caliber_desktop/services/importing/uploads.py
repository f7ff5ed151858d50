"""Attach report files to campaigns: checked, copied into the data dir, content-addressed.

The bytes are copied once into ``uploads/<sha[:2]>/<sha256>.<format>`` while hashing; the copy (not
the original, which the user may change) is what gets sniffed and later scored. A rejected file
leaves nothing behind: no blob, no row. The same bytes attached twice are one blob; attached twice
to the same campaign they are one upload.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import tempfile
import time
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from caliber_desktop.errors import ConflictError, FileRejectedError
from caliber_desktop.models import Campaign, FileUpload
from caliber_desktop.models.base import utcnow
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.models.store import Store
from caliber_desktop.services.records import UploadRecord, UserRef
from caliber_desktop.services.scope import UserScoped
from caliber_desktop.services.scoring import sniff

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class UploadService(UserScoped):
    KIND = "Upload"

    def __init__(self, store: Store, user: UserRef, root: Path, *, max_size_mb: int = 1024) -> None:
        super().__init__(store, user)
        self.root = root  # the data dir; stored paths are relative to it
        self.uploads_dir = root / "uploads"
        self.max_bytes = max_size_mb * 1024 * 1024

    # ------------------------------------------------------------------ attach
    def attach(self, campaign_id: int, source: Path | str) -> UploadRecord:
        """Check ``source`` and attach it to the campaign; nothing is stored if it is refused."""
        source = Path(source)
        with self.store.read() as session:
            _refuse_while_processing(
                self._owned(session, Campaign, campaign_id, "Campaign"), "attach the file"
            )
        self._check_source(source)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        temp, digest, size = self._copy_hashing(source)
        created_blob = False
        try:
            found = sniff.sniff(temp, display_name=source.name)
            blob = self.uploads_dir / digest[:2] / f"{digest}.{found.format.value}"
            if not blob.exists():
                blob.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(temp, blob)
                    created_blob = True
                except PermissionError:
                    # Another Caliber stored these very bytes a moment ago and is reading them:
                    # Windows refuses to replace an open file. Same name, same content: use it.
                    if not blob.is_file():
                        raise
        finally:
            temp.unlink(missing_ok=True)
        try:
            return self._record_upload(campaign_id, source, blob, digest, size, found, created_blob)
        except BaseException:
            if created_blob and not self._blob_referenced(digest):
                blob.unlink(missing_ok=True)
            raise

    def _record_upload(
        self,
        campaign_id: int,
        source: Path,
        blob: Path,
        digest: str,
        size: int,
        found: sniff.Sniffed,
        created_blob: bool,
    ) -> UploadRecord:
        with self.store.write() as session:
            # Checked again inside the write: scoring may have started while the file was copied.
            _refuse_while_processing(
                self._owned(session, Campaign, campaign_id, "Campaign"), "attach the file"
            )
            existing = session.scalar(
                select(FileUpload).where(
                    FileUpload.campaign_id == campaign_id, FileUpload.sha256 == digest
                )
            )
            if existing is not None:
                return self._record(existing, reused_blob=True, already_attached=True)
            # Whether *this user* had these bytes before; another user's files are not their news.
            seen_before = session.scalar(
                select(FileUpload.id).where(
                    FileUpload.sha256 == digest, FileUpload.user_id == self.user.id
                )
            )
            row = FileUpload(
                user_id=self.user.id,
                campaign_id=campaign_id,
                sha256=digest,
                stored_path=blob.relative_to(self.root).as_posix(),
                size_bytes=size,
                original_name=source.name,
                detected_format=found.format,
                encoding=found.encoding,
                delimiter=found.delimiter,
                sheet_name=found.sheet_name,
                uploaded_at=utcnow(),
            )
            session.add(row)
            session.flush()
            log.info(
                "attached %s (%s, %d bytes) to campaign %d",
                source.name,
                digest[:12],
                size,
                campaign_id,
            )
            return self._record(row, reused_blob=seen_before is not None)

    # ------------------------------------------------------------------ read
    def get(self, upload_id: int) -> UploadRecord:
        with self.store.read() as session:
            return self._record(self._owned(session, FileUpload, upload_id, self.KIND))

    def list(self, campaign_id: int) -> list[UploadRecord]:
        """The campaign's files, newest first."""
        with self.store.read() as session:
            self._owned(session, Campaign, campaign_id, "Campaign")
            rows = session.scalars(
                select(FileUpload)
                .where(FileUpload.campaign_id == campaign_id, FileUpload.user_id == self.user.id)
                .order_by(FileUpload.uploaded_at.desc(), FileUpload.id.desc())
            ).all()
            return [self._record(row) for row in rows]

    def preview(self, upload_id: int, rows: int = 20) -> sniff.Preview:
        record = self.get(upload_id)
        if not record.path.exists():
            raise FileRejectedError(
                record.original_name,
                f"is missing from the data dir ({record.path}).",
                hint="Attach the report again.",
            )
        found = sniff.Sniffed(
            record.detected_format, record.encoding, record.delimiter, record.sheet_name
        )
        try:
            return sniff.preview(record.path, found, rows)
        except (OSError, ValueError, KeyError, csv.Error, zipfile.BadZipFile) as exc:
            # Passed the checks at import but a later part is unreadable (a damaged sheet, a
            # runaway quoted cell): say so instead of failing with a traceback.
            raise FileRejectedError(
                record.original_name,
                f"cannot be previewed ({type(exc).__name__}: {exc}).",
                hint=sniff.EXPORT_AGAIN,
            ) from None

    # ------------------------------------------------------------------ remove
    def remove(self, upload_id: int) -> None:
        """Detach a file; its blob is deleted when no other upload uses the same bytes."""
        with self.store.write() as session:
            row = self._owned(session, FileUpload, upload_id, self.KIND)
            campaign = session.get(Campaign, row.campaign_id)
            if campaign is not None:
                _refuse_while_processing(campaign, "remove the file")
            digest = row.sha256
            session.delete(row)
        self.forget_blobs({digest})

    def forget_blobs(self, digests: set[str]) -> int:
        """Delete the blob files of ``digests`` that no upload (of any user) refers to any more."""
        removed = 0
        for digest in digests:
            if self._blob_referenced(digest):
                continue
            for blob in (self.uploads_dir / digest[:2]).glob(f"{digest}.*"):
                blob.unlink(missing_ok=True)
                removed += 1
        return removed

    # ------------------------------------------------------------------ helpers
    def _check_source(self, source: Path) -> None:
        sniff.require_file(source, source.name)
        size = source.stat().st_size
        if size > self.max_bytes:
            raise FileRejectedError(
                source.name,
                f"is {size / 2**20:,.0f} MB; the limit is {self.max_bytes // 2**20:,} MB.",
                hint="Export a shorter date range, or raise the limit in Settings › Files.",
            )

    def _copy_hashing(self, source: Path) -> tuple[Path, str, int]:
        """Copy into a temp file beside the blobs (same disk, so the final move is atomic)."""
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(prefix=".incoming-", dir=self.uploads_dir)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileRejectedError(
                            source.name,
                            f"grew past the {self.max_bytes // 2**20:,} MB limit while copying.",
                            hint="Wait until the export has finished writing, then import it.",
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise FileRejectedError(
                source.name,
                f"could not be copied into the data dir ({exc.strerror or exc}).",
                hint="Check free disk space and that the file is not locked by another program.",
            ) from None
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest(), size

    def _blob_referenced(self, digest: str) -> bool:
        with self.store.read() as session:
            count = session.scalar(
                select(func.count()).select_from(FileUpload).where(FileUpload.sha256 == digest)
            )
        return bool(count)

    def _record(
        self, row: FileUpload, *, reused_blob: bool = False, already_attached: bool = False
    ) -> UploadRecord:
        return UploadRecord(
            id=row.id,
            campaign_id=row.campaign_id,
            sha256=row.sha256,
            path=self.root / row.stored_path,
            size_bytes=row.size_bytes,
            original_name=row.original_name,
            detected_format=row.detected_format,
            encoding=row.encoding,
            delimiter=row.delimiter,
            sheet_name=row.sheet_name,
            uploaded_at=row.uploaded_at,
            reused_blob=reused_blob,
            already_attached=already_attached,
        )


def _refuse_while_processing(campaign: Campaign, action: str) -> None:
    if campaign.status is CampaignStatus.PROCESSING:
        raise ConflictError(
            f"Campaign {campaign.name!r} is being scored; {action} when it is done."
        )


def orphan_blobs(store: Store, root: Path) -> list[Path]:
    """Blob files no upload row points at (left by deleted campaigns or a crash mid-import)."""
    uploads = root / "uploads"
    if not uploads.exists():
        return []
    with store.read() as session:
        referenced = set(session.scalars(select(FileUpload.stored_path)).all())
    stale_before = time.time() - 24 * 3600  # an ".incoming-" file younger than this may be mid-copy
    return [
        path
        for path in uploads.rglob("*")
        if path.is_file()
        and path.relative_to(root).as_posix() not in referenced
        and (not path.name.startswith(".") or path.stat().st_mtime < stale_before)
    ]


def prune_orphan_blobs(store: Store, root: Path) -> int:
    removed = 0
    for path in orphan_blobs(store, root):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
