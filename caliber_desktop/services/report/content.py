"""Everything a report shows, gathered from the store in one go (then the store is not touched).

The builder only lays out what is here, so a report for a given run always says the same thing,
and the store is read once, on the worker thread, before any layout work starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from caliber_desktop.errors import NotFoundError, ValidationError
from caliber_desktop.models.enums import RunStatus
from caliber_desktop.services.ai.records import InsightRecord, list_insights
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.scoring.lists import SiteLists
from caliber_desktop.services.scoring.model import ScoreResult

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace

#: Insights shown at most (newest of each type and subject first).
MAX_INSIGHTS = 12


@dataclass(frozen=True)
class ReportContent:
    campaign: CampaignRecord
    run: RunRecord
    result: ScoreResult
    lists: SiteLists
    insights: list[InsightRecord]
    generated_at: datetime


def gather(workspace: Workspace, campaign_id: int, run_id: int | None = None) -> ReportContent:
    """The campaign, its run (the current one unless ``run_id``), lists and insights.

    A campaign that was never scored (or a run that did not complete) has nothing to report: a
    :class:`ValidationError` says so and what to do.
    """
    campaign = workspace.campaigns.get(campaign_id)
    runs = workspace.runs
    if run_id is None:
        run = runs.current_run(campaign_id)
        if run is None:
            raise ValidationError(
                f"Campaign {campaign.name!r} has no completed run, so there is nothing to report.",
                field="run",
                hint="Score it first (Campaign → Score Campaign, or caliber score --campaign ID).",
            )
    else:
        run = runs.run(run_id)
        if run.campaign_id != campaign_id:
            raise NotFoundError("Run", run_id)
    if run.status is not RunStatus.COMPLETED:
        raise ValidationError(
            f"Run {run.id} of {campaign.name!r} did not complete ({run.status.value}).",
            field="run",
            hint="Report on a completed run.",
        )
    result = runs.load_result(run.id)
    lists = runs.lists(campaign_id, run.id)
    insights = _insights(list_insights(workspace.store, workspace.user, campaign_id), run.id)
    return ReportContent(campaign, run, result, lists, insights, datetime.now(UTC))


def _insights(found: list[InsightRecord], run_id: int) -> list[InsightRecord]:
    """The newest insight of each type and subject made for this run (or for no run at all)."""
    seen: set[tuple[str, str | None]] = set()
    chosen = []
    for insight in found:  # newest first
        key = (insight.insight_type, insight.subject)
        if insight.run_id not in (None, run_id) or key in seen:
            continue
        seen.add(key)
        chosen.append(insight)
    return chosen[:MAX_INSIGHTS]
