"""Named jobs of the window's start: the first store job, and the sample campaign on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from caliber_desktop.services.startup import sample_campaign, start_up_jobs
from caliber_desktop.workers.base import FunctionWorker, Worker
from caliber_desktop.workers.lanes import Change

if TYPE_CHECKING:
    from caliber_desktop.services.maintenance.housekeeping import CleanReport
    from caliber_desktop.services.workspace import Workspace

#: What seeding the sample writes: its template, its campaign and the attached report.
SAMPLE_CHANGES = frozenset({Change.TEMPLATES, Change.CAMPAIGNS, Change.UPLOADS})


def start_up(workspace: Workspace, *, cleaned: list[CleanReport] | None = None) -> Worker:
    """Recover interrupted runs, clean up (if the settings say so), seed the sample once.

    The clean-up's report is appended to ``cleaned`` on the worker; read it only once this job's
    result arrived. Result: the seeded sample ``CampaignRecord``, or None.
    """
    return FunctionWorker(
        start_up_jobs,
        workspace,
        cleaned=cleaned,
        title="Opening your campaigns",
        changes=SAMPLE_CHANGES | {Change.RUNS, Change.FILES, Change.SETTINGS},
    )


def prepare_sample(workspace: Workspace) -> Worker:
    """The sample campaign, ready to score: the existing one, or made again if it was deleted."""
    return FunctionWorker(
        sample_campaign, workspace, title="Preparing the sample", changes=SAMPLE_CHANGES
    )
