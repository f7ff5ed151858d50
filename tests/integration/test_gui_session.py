"""The window follows the signed-in analyst (real emulator, real store, real window offscreen)."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import AuthConfig, AuthService
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.workers.registry import WorkerRegistry

pytestmark = [pytest.mark.emulator, pytest.mark.qt_log_ignore("propagateSizeHints")]
SETTINGS: dict[str, Any] = {
    "platform": "trade_desk",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}


def test_switching_analyst_shows_only_their_campaigns(
    emulator: str, workspace: Workspace, qtbot: QtBot
) -> None:
    auth = AuthService(AuthConfig.from_settings(workspace.settings), SecretStore(), workspace.store)
    ann = auth.sign_up("ann@example.com", "ann-password-1", "Ann")
    workspace.bind(auth.user_for(ann))
    workspace.campaigns.create("Ann's campaign", settings=SETTINGS)
    registry = WorkerRegistry()
    window = MainWindow(workspace, registry)
    qtbot.addWidget(window)
    window.auth = auth
    window.refresh_campaigns()
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=10_000)
    assert window.profile_label.text() == "Signed in as ann@example.com"
    assert [c.name for c in window.workbench.campaigns.values()] == ["Ann's campaign"]

    bob = auth.sign_up("bob@example.com", "bob-password-1", "Bob")
    window.on_session_changed(bob)
    qtbot.waitUntil(
        lambda: window.profile_label.text() == "Signed in as bob@example.com", timeout=10_000
    )
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=10_000)
    assert window.workbench.campaigns == {}
    assert window.pages.currentWidget() is window.welcome
    registry.shutdown(5_000)
