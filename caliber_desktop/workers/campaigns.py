"""Named jobs for campaigns: list, create, rename, delete.

Each factory returns a worker configured with its lane, its title (the analyst's name for it),
whether it is the analyst's work or bookkeeping (``for_analyst``: the status bar's jobs indicator
shows only the former, so listing campaigns stays quiet) and what it changes; the caller only
starts it. Services are taken from the workspace when
the job is made, so a job keeps the analyst it was made for even if the window rebinds meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from caliber_desktop.workers.base import FunctionWorker, Worker, rejected_or
from caliber_desktop.workers.lanes import CAMPAIGN_AND_CONTENTS, Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.models.enums import CampaignStatus
    from caliber_desktop.services.records import CampaignSettings
    from caliber_desktop.services.workspace import Workspace


def list_campaigns(
    workspace: Workspace,
    *,
    limit: int,
    search: str | None = None,
    status: CampaignStatus | str | None = None,
) -> Worker:
    """A page of the analyst's campaigns, newest first (a ``Page[CampaignRecord]``)."""
    return FunctionWorker(
        workspace.campaigns.list,
        limit=limit,
        search=search,
        status=status,
        title="Loading campaigns",
        lane=Lane.READ,
    )


def create_campaign(
    workspace: Workspace,
    name: str,
    *,
    description: str = "",
    kpi_pixel: str | None = None,
    template_id: int | None = None,
    settings: CampaignSettings | Mapping[str, Any] | None = None,
) -> Worker:
    """Create a campaign from a template or explicit settings.

    Result: the ``CampaignRecord``, or a :class:`~caliber_desktop.workers.base.Rejected` naming
    the field the service refused (shown beside that field, not in a box).
    """
    fields: dict[str, Any] = {"description": description, "kpi_pixel": kpi_pixel}
    if template_id is not None:
        fields["template_id"] = template_id
    if settings is not None:
        fields["settings"] = settings
    return FunctionWorker(
        rejected_or,
        workspace.campaigns.create,
        name,
        **fields,
        title="Creating a campaign",
        for_analyst=True,
        changes={Change.CAMPAIGNS},
    )


def rename_campaign(workspace: Workspace, campaign_id: int, name: str) -> Worker:
    return FunctionWorker(
        workspace.campaigns.update,
        campaign_id,
        name=name,
        title="Renaming a campaign",
        for_analyst=True,
        changes={Change.CAMPAIGNS},
    )


def delete_campaign(workspace: Workspace, campaign_id: int, *, force: bool = False) -> Worker:
    """Delete a campaign with its files' records, runs and pins (``force``: even if scored)."""
    return FunctionWorker(
        workspace.delete_campaign,
        campaign_id,
        force=force,
        title="Deleting a campaign",
        for_analyst=True,
        changes=CAMPAIGN_AND_CONTENTS,
    )
