"""Named jobs for campaign templates: list, create, update, delete.

Writes come back as a :class:`~caliber_desktop.workers.base.Rejected` when the service refuses
the input (a name taken, bad settings), so the form can show it beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from caliber_desktop.workers.base import FunctionWorker, Worker, rejected_or
from caliber_desktop.workers.lanes import Change, Lane

if TYPE_CHECKING:
    from caliber_desktop.services.records import CampaignSettings
    from caliber_desktop.services.workspace import Workspace


def list_templates(workspace: Workspace) -> Worker:
    """The analyst's templates, newest first (``list[TemplateRecord]``)."""
    return FunctionWorker(workspace.templates.list, title="Loading templates", lane=Lane.READ)


def create_template(
    workspace: Workspace,
    name: str,
    settings: CampaignSettings | Mapping[str, Any],
    *,
    description: str = "",
    decision_confidence: float | None = None,
) -> Worker:
    return FunctionWorker(
        rejected_or,
        workspace.templates.create,
        name,
        settings,
        description=description,
        decision_confidence=decision_confidence,
        title="Creating template",
        for_analyst=True,
        changes={Change.TEMPLATES},
    )


def update_template(
    workspace: Workspace,
    template_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    settings: Mapping[str, Any] | None = None,
    decision_confidence: float | str | None = "",
) -> Worker:
    """Save changes to a template; ``decision_confidence=""`` leaves it as it is."""
    return FunctionWorker(
        rejected_or,
        workspace.templates.update,
        template_id,
        name=name,
        description=description,
        settings=settings,
        decision_confidence=decision_confidence,
        title="Saving template",
        for_analyst=True,
        changes={Change.TEMPLATES},
    )


def delete_template(workspace: Workspace, template_id: int) -> Worker:
    """Delete a template; refused (a ``ConflictError``) while campaigns use it."""
    return FunctionWorker(
        workspace.templates.delete,
        template_id,
        title="Deleting template",
        for_analyst=True,
        changes={Change.TEMPLATES},
    )
