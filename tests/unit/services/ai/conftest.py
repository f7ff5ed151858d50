"""Fixtures for the AI assistant tests: a small scored campaign, a service on the test server.

The report (``support/ai_report.py``: 30 sites, deterministic) is scored by the real engine into
the real SQLite store. Two of its sites carry hostile names — an instruction and a closing
delimiter — to show that report values never leave the prompt's data block.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.ai_report import SETTINGS, Clock, report_text
from support.openai_server import OpenAIServer

from caliber_desktop.config import AISettings
from caliber_desktop.services.ai import AIService
from caliber_desktop.services.workspace import Workspace


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scored_campaign(workspace: Workspace, tmp_path: Path) -> int:
    """A campaign of the current user, scored from the hostile little report."""
    path = tmp_path / "report.csv"
    path.write_text(report_text(), encoding="utf-8", newline="")
    campaign = workspace.campaigns.create("Holiday display", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, path)
    workspace.runs.score_campaign(campaign.id)
    return campaign.id


@pytest.fixture
def ai_settings(openai_server: OpenAIServer) -> AISettings:
    """Settings pointing at the test server, with quick retries and a short time limit."""
    return AISettings(base_url=openai_server.base_url, max_retries=1, timeout_s=2.0)


@pytest.fixture
def make_service(
    workspace: Workspace, clock: Clock, ai_settings: AISettings
) -> Callable[..., AIService]:
    """``make_service(key="sk-test", **settings_overrides)`` → an AIService for the test user."""

    def make(key: str | None = "sk-test", **overrides: Any) -> AIService:
        settings = ai_settings.model_copy(update=overrides)
        source = "keyring" if key else "none"
        return AIService(
            workspace.store,
            workspace.user,
            settings,
            lambda: (key, source),
            clock=clock,
            runs=workspace.runs,
        )

    return make


@pytest.fixture
def service(make_service: Callable[..., AIService]) -> AIService:
    return make_service()
