"""Named jobs of the import dialog: attach a report to a campaign, then read it as scoring would.

Attaching writes an upload row (the DB lane); reading only parses the stored copy, so it
declares the CPU lane and a re-read after each mapping change never waits behind a store write.
``options`` are :func:`~caliber_desktop.services.importing.ingest.inspect_report`'s keywords
(``display_name``, ``platform``, ``level``, ``channel``, ``default_kpi_pixel``, ``preview_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliber_desktop.services.importing.ingest import inspect_report, inspect_with_memory
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace


def attach_report(workspace: Workspace, campaign_id: int, path: Path) -> Worker:
    """Copy the file into the data folder and attach it (result: the ``UploadRecord``)."""
    return FunctionWorker(
        workspace.uploads.attach,
        campaign_id,
        path,
        title="Attaching report",
        for_analyst=True,
        changes={Change.UPLOADS},
    )


def read_report(
    path: Path, *, remembered: Mapping[str, Mapping[str, str]], **options: Any
) -> Worker:
    """The first read, with the corrections remembered for the file's platform applied."""
    return FunctionWorker(
        inspect_with_memory,
        path,
        remembered=remembered,
        **options,
        title="Reading report",
        lane=Lane.CPU,
    )


def reread_report(
    path: Path,
    *,
    mapping_override: Mapping[str, str] | None,
    kpi_pixels: Sequence[str] | None,
    **options: Any,
) -> Worker:
    """Read again with the analyst's corrections and KPI pixels (result: an ``Inspection``)."""
    return FunctionWorker(
        inspect_report,
        path,
        mapping_override=mapping_override,
        kpi_pixels=kpi_pixels,
        **options,
        title="Reading report",
        lane=Lane.CPU,
    )
