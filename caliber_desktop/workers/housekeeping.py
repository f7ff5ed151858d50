"""Named jobs for cleaning the data folder: look for what can go, then remove it.

Both run on the DB lane although the store is only read: a clean-up must never race an import
or a campaign deletion that is writing upload rows and blobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from caliber_desktop.services.maintenance.housekeeping import clean
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace


def find_clutter(workspace: Workspace) -> Worker:
    """A dry run: the ``CleanReport`` of what a clean-up would remove; nothing is removed."""
    return FunctionWorker(
        clean,
        workspace.paths,
        workspace.store,
        workspace.settings.housekeeping.model_copy(),
        dry_run=True,
        title="Looking for files to clean up",
    )


def clean_up(workspace: Workspace) -> Worker:
    """Remove old exports, orphaned uploads and leftover temporary files (a ``CleanReport``)."""
    return FunctionWorker(
        clean,
        workspace.paths,
        workspace.store,
        workspace.settings.housekeeping.model_copy(),
        dry_run=False,
        title="Cleaning up the data folder",
        for_analyst=True,
        changes={Change.FILES},
    )
