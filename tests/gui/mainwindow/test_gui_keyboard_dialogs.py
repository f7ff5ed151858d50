"""The main dialogs by keyboard: Tab in reading order reaches every control, each has a name,
and the focused one is visible in the light and the dark palette.

Import, new campaign, settings, export and sign-in, each on real parts (a real store, the real
sample report, a real keyring stand-in; sign-in needs no server until a button is pressed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from support.keyboard import focus_not_shown, fusion, spoken_name, tab_stops, tab_walk, unnamed

from caliber_desktop.services.auth.api import AuthConfig
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import AuthService
from caliber_desktop.services.startup import sample_report
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.account.signin import SignInDialog
from caliber_desktop.ui.campaigns.dialog import NewCampaignDialog
from caliber_desktop.ui.exports.dialog import ExportDialog
from caliber_desktop.ui.importing.dialog import ImportDialog
from caliber_desktop.ui.settings.dialog import SettingsDialog
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT = 60_000
SETTINGS = {
    "platform": "trade_desk",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}

#: a dialog and the controls that must come in this order (others may sit between them)
Opened = tuple[QDialog, list[QWidget]]


def import_dialog(workspace: Workspace, registry: WorkerRegistry, _tmp: Path) -> QDialog:
    campaign = workspace.campaigns.create("Keyboard", settings=SETTINGS)
    return ImportDialog(workspace, registry, campaign, sample_report())


def campaign_dialog(workspace: Workspace, registry: WorkerRegistry, _tmp: Path) -> QDialog:
    return NewCampaignDialog(workspace, registry)


def settings_dialog(workspace: Workspace, registry: WorkerRegistry, _tmp: Path) -> QDialog:
    return SettingsDialog(
        workspace.settings, workspace.paths.root, secrets=SecretStore(), registry=registry
    )


def export_dialog(workspace: Workspace, registry: WorkerRegistry, tmp: Path) -> QDialog:
    campaign = workspace.campaigns.create("Keyboard", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, sample_report())
    run = workspace.runs.score_campaign(campaign.id)
    return ExportDialog(workspace, registry, campaign.id, run.id, folder=tmp)


def sign_in_dialog(workspace: Workspace, registry: WorkerRegistry, _tmp: Path) -> QDialog:
    config = AuthConfig(api_key="demo-key", project_id="demo-caliber")
    return SignInDialog(AuthService(config, SecretStore(), workspace.store), registry)


DIALOGS: dict[str, Callable[[Workspace, WorkerRegistry, Path], QDialog]] = {
    "import": import_dialog,
    "campaign": campaign_dialog,
    "settings": settings_dialog,
    "export": export_dialog,
    "sign-in": sign_in_dialog,
}


@pytest.fixture(params=list(DIALOGS))
def opened(
    request: pytest.FixtureRequest,
    workspace: Workspace,
    registry: WorkerRegistry,
    qtbot: QtBot,
    tmp_path: Path,
) -> Iterator[Opened]:
    dialog = DIALOGS[request.param](workspace, registry, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)
    if isinstance(dialog, ImportDialog):
        qtbot.waitUntil(lambda: dialog.inspection is not None, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    yield dialog, reading_controls(dialog)
    dialog.close()
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)


def reading_controls(dialog: QDialog) -> list[QWidget]:
    """The controls that must come in this order, read off the built dialog."""
    if isinstance(dialog, ImportDialog):
        return [dialog.mapping_table, *dialog.combos.values(), dialog.preview_view]
    if isinstance(dialog, NewCampaignDialog):
        return [dialog.name_edit, dialog.description_edit, dialog.kpi_edit]
    if isinstance(dialog, SettingsDialog):
        assert dialog.api_key_box is not None
        return [
            dialog.min_impressions,  # the left column, top to bottom
            dialog.data_dir_edit,
            dialog.api_key_box.key_edit,  # then the right one
            dialog.ai_box.base_url,
            dialog.ok_button,  # OK and Cancel last
        ]
    if isinstance(dialog, ExportDialog):
        return [dialog.what_combo, dialog.format_combo, dialog.path_edit, dialog.export_button]
    assert isinstance(dialog, SignInDialog)
    return [dialog.tabs.tabBar(), dialog.email_edit, dialog.password_edit]


def test_tab_reaches_every_control_in_reading_order(opened: Opened) -> None:
    dialog, reading = opened
    stops = tab_stops(dialog)
    walk = tab_walk(stops[0])
    assert set(walk) == set(stops), [spoken_name(w) for w in set(stops) - set(walk)]
    positions = [walk.index(widget) for widget in reading]
    assert positions == sorted(positions), [spoken_name(walk[i]) for i in positions]


def test_every_control_has_a_name(opened: Opened) -> None:
    dialog, _ = opened
    assert not unnamed(tab_stops(dialog))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focused_control_is_visible(opened: Opened, qapp: QApplication, scheme: str) -> None:
    dialog, _ = opened
    with fusion(qapp, scheme):
        assert not focus_not_shown(tab_stops(dialog))
