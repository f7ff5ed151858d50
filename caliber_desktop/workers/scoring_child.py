"""What the scoring child process runs: the real ``RunService.score_campaign`` on the same store.

Qt-free and importable on its own (the child imports only this and the services below it). The
child opens the window's SQLite store itself (WAL and the busy timeout let it write beside the
window's reads), takes the campaign's scoring lock and saves the run in one transaction, exactly
as in-process scoring does; killed part-way, SQLite rolls that transaction back and the OS
releases the lock, and the supervising worker puts back the campaign's status
(``RunService.restore_abandoned``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from caliber_desktop.config import ScoringSettings
from caliber_desktop.models.store import Store
from caliber_desktop.services.progress import ProgressCallback
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.runs.service import RunService


@dataclass(frozen=True)
class ScoringJob:
    """Everything the child needs, as plain picklable values (no store, no session)."""

    database: Path
    root: Path
    user: UserRef
    settings: ScoringSettings
    campaign_id: int
    upload_id: int | None = None
    mapping_override: Mapping[str, str] | None = None
    kpi_pixels: tuple[str, ...] | None = None

    @classmethod
    def of(
        cls,
        runs: RunService,
        campaign_id: int,
        *,
        upload_id: int | None = None,
        mapping_override: Mapping[str, str] | None = None,
        kpi_pixels: tuple[str, ...] | None = None,
    ) -> ScoringJob:
        return cls(
            database=runs.store.path,
            root=runs.root,
            user=runs.user,
            settings=runs.settings,
            campaign_id=campaign_id,
            upload_id=upload_id,
            mapping_override=dict(mapping_override) if mapping_override else None,
            kpi_pixels=kpi_pixels,
        )


def score_in_child(job: ScoringJob, *, progress: ProgressCallback) -> RunRecord:
    """Score and save the run (in the child); the run record goes back to the worker."""
    store = Store(job.database)  # the window opened and migrated it already
    try:
        runs = RunService(store, job.user, job.root, job.settings)
        return runs.score_campaign(
            job.campaign_id,
            upload_id=job.upload_id,
            mapping_override=job.mapping_override,
            kpi_pixels=job.kpi_pixels,
            progress=progress,
        )
    finally:
        store.close()
