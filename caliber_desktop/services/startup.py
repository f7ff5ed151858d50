"""First run and every start: the bundled sample report, and the start-up jobs (recover, clean)."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.maintenance import housekeeping
from caliber_desktop.services.maintenance.housekeeping import CleanReport
from caliber_desktop.services.records import CampaignRecord, CampaignSettings
from caliber_desktop.services.workspace import Workspace

log = logging.getLogger(__name__)

SAMPLE_FILE = "ttd_display_awareness_sample.csv"
SAMPLE_TEMPLATE = "Sample · Trade Desk display awareness"
SAMPLE_CAMPAIGN = "Sample campaign (The Trade Desk, display)"
SAMPLE_SETTINGS = CampaignSettings(
    platform=Platform.TRADE_DESK,
    goal=Goal.AWARENESS,
    channel=Channel.DISPLAY,
    ctr_sensitivity=False,
    analysis_level=AnalysisLevel.DOMAIN,
)


def sample_report() -> Path:
    """Path of the bundled sample (a real file in both the source tree and the frozen app)."""
    ref = resources.files("caliber_desktop.resources").joinpath("samples", SAMPLE_FILE)
    with resources.as_file(ref) as path:
        return Path(path)


def seed_sample(workspace: Workspace) -> CampaignRecord | None:
    """Create the sample template and campaign with the report attached, once per data dir.

    Returns the campaign, or None when it was offered before (deleting it does not bring it back).
    """
    if workspace.settings.sample_seeded:
        return None
    campaign = _create_sample(workspace)
    workspace.settings.sample_seeded = True
    workspace.save_settings()
    log.info("seeded the sample campaign %d", campaign.id)
    return campaign


def start_up_jobs(
    workspace: Workspace, *, cleaned: list[CleanReport] | None = None
) -> CampaignRecord | None:
    """The window's first store job: recover runs a crash interrupted, clean up, offer the sample.

    The clean-up runs when ``housekeeping.clean_on_startup`` is on; its report is appended to
    ``cleaned`` (read by the window once this job's result arrives). A failing clean-up is
    logged and never stops the start-up.
    """
    workspace.runs.recover_interrupted()
    if workspace.settings.housekeeping.clean_on_startup:
        try:
            report = housekeeping.clean(
                workspace.paths, workspace.store, workspace.settings.housekeeping
            )
        except Exception:  # the analyst did not ask for it: never a start-up failure
            log.exception("the start-up clean-up failed")
        else:
            if cleaned is not None:
                cleaned.append(report)
    return seed_sample(workspace)


def sample_campaign(workspace: Workspace) -> CampaignRecord:
    """The sample campaign for "try it with a sample report": the existing one, or a new one.

    Asked for explicitly, so unlike first-run seeding it comes back after being deleted.
    """
    page = workspace.campaigns.list(search=SAMPLE_CAMPAIGN, limit=50)
    for campaign in page.items:
        if campaign.name == SAMPLE_CAMPAIGN and campaign.upload_count:
            return campaign
    return _create_sample(workspace)


def _create_sample(workspace: Workspace) -> CampaignRecord:
    existing = {t.name: t for t in workspace.templates.list()}
    template = existing.get(SAMPLE_TEMPLATE) or workspace.templates.create(
        SAMPLE_TEMPLATE,
        SAMPLE_SETTINGS,
        description="Created on first run for the bundled sample report.",
    )
    taken = {c.name for c in workspace.campaigns.list(search=SAMPLE_CAMPAIGN, limit=50).items}
    name, n = SAMPLE_CAMPAIGN, 2
    while name in taken:
        name, n = f"{SAMPLE_CAMPAIGN} {n}", n + 1
    campaign = workspace.campaigns.create(
        name,
        template_id=template.id,
        description="20,000 rows of synthetic Trade Desk delivery over 2,000 sites.",
    )
    workspace.uploads.attach(campaign.id, sample_report())
    return workspace.campaigns.get(campaign.id)
