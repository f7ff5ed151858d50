"""The bundled sample report: a real CSV, seeded into a first workspace once and only once."""

from __future__ import annotations

from pathlib import Path

from caliber_desktop.models.enums import FileFormat
from caliber_desktop.services.scoring import sniff
from caliber_desktop.services.startup import (
    SAMPLE_CAMPAIGN,
    SAMPLE_SETTINGS,
    SAMPLE_TEMPLATE,
    sample_report,
    seed_sample,
)
from caliber_desktop.services.workspace import Workspace, open_workspace


def test_the_bundled_sample_sniffs_as_csv() -> None:
    path = sample_report()
    found = sniff.sniff(path)
    assert found == sniff.Sniffed(FileFormat.CSV, encoding="utf-8", delimiter=",")
    rows = sniff.preview(path, found, 3).rows
    assert rows[0][:2] == ["Date", "Advertiser"]
    assert "Site" in rows[0]
    assert len(rows) == 3


def test_the_sample_is_seeded_once_only(workspace: Workspace) -> None:
    campaign = seed_sample(workspace)
    assert campaign is not None
    assert campaign.name == SAMPLE_CAMPAIGN
    assert campaign.upload_count == 1
    [upload] = workspace.uploads.list(campaign.id)
    assert upload.path.read_bytes() == sample_report().read_bytes()
    assert [t.name for t in workspace.templates.list()] == [SAMPLE_TEMPLATE]
    assert workspace.settings.sample_seeded is True

    assert seed_sample(workspace) is None
    assert workspace.campaigns.list().total == 1


def test_the_sample_is_not_brought_back_after_a_restart(home: Path) -> None:
    with open_workspace(home) as ws:
        campaign = seed_sample(ws)
        assert campaign is not None
        ws.campaigns.delete(campaign.id)
    with open_workspace(home) as ws:
        assert ws.settings.sample_seeded is True
        assert seed_sample(ws) is None
        assert ws.campaigns.list().total == 0


def test_seeding_reuses_an_existing_sample_template(workspace: Workspace) -> None:
    existing = workspace.templates.create(SAMPLE_TEMPLATE, SAMPLE_SETTINGS)
    campaign = seed_sample(workspace)
    assert campaign is not None
    assert campaign.template_id == existing.id
    assert len(workspace.templates.list()) == 1
