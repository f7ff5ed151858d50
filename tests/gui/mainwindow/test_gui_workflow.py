"""The analyst's whole path through the real window, on a real store and real files.

template → campaign → import (with a mapping correction) → score on a worker → rows visible →
filter → linked selection → pin → export; then a cancelled re-score that leaves the results as they
were, and a bad file that gets a message instead of a traceback.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFileOpenEvent, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.window_steps import idle, open_first_site, open_scored_sample, start

from caliber_desktop.app import ReportOpener
from caliber_desktop.services.startup import sample_report
from caliber_desktop.ui.campaigns.dialog import NewCampaignDialog
from caliber_desktop.ui.campaigns.templates import TemplateManagerDialog
from caliber_desktop.ui.importing.dialog import ImportDialog
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.errors import ErrorDialog
from caliber_desktop.ui.shared.theme import ThemeFollower

TIMEOUT = 30_000
DISPLAY_AWARENESS = {
    "platform": "trade_desk",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}
USD = "Advertiser Cost (USD)"


def report_with_two_costs(folder: Path) -> Path:
    """The bundled sample plus a USD cost column (1.08 × the advertiser-currency cost)."""
    frame = pd.read_csv(sample_report())
    frame[USD] = (frame["Advertiser Cost (Adv Currency)"] * 1.08).round(4)
    path = folder / "q4_display.csv"
    frame.to_csv(path, index=False)
    return path


def current_run_id(window: MainWindow, campaign_id: int) -> int | None:
    with sqlite3.connect(window.workspace.paths.database) as db:
        row = db.execute("SELECT current_run_id FROM campaigns WHERE id = ?", (campaign_id,))
        return row.fetchone()[0]


def open_import(window: MainWindow, qtbot: QtBot, campaign_id: int, path: Path) -> ImportDialog:
    window.import_into(campaign_id, path)
    dialog = window.findChildren(ImportDialog)[-1]
    idle(window, qtbot)
    return dialog


def test_template_to_exported_lists(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.show()
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT):
        window.start_up()
    idle(window, qtbot)

    # A template, from the template manager.
    templates = window.actions_.templates_dialog()
    assert isinstance(templates, TemplateManagerDialog)
    idle(window, qtbot)
    templates.name_edit.setText("TTD display awareness")
    for name, value in DISPLAY_AWARENESS.items():
        combo = templates.settings_editor.combos[name]
        combo.setCurrentIndex(combo.findData(value))
    with qtbot.waitSignal(templates.templates_changed, timeout=TIMEOUT):
        templates.save_button.click()
    idle(window, qtbot)
    templates.close()

    # A campaign from it.
    dialog = window.actions_.new_campaign_dialog()
    assert isinstance(dialog, NewCampaignDialog)
    idle(window, qtbot)
    dialog.template_combo.setCurrentIndex(dialog.template_combo.findText("TTD display awareness"))
    dialog.name_edit.setText("Q4 always-on")
    with qtbot.waitSignal(dialog.campaign_created, timeout=TIMEOUT) as created:
        dialog.ok_button.click()
    campaign = created.args[0]
    idle(window, qtbot)
    qtbot.waitUntil(lambda: campaign.id in window.workbench.campaigns, timeout=TIMEOUT)

    # Import with a mapping correction (spend from the USD column), then score.
    importer = open_import(window, qtbot, campaign.id, report_with_two_costs(tmp_path))
    assert importer.combos["spend"].currentText() == "Advertiser Cost (Adv Currency)"
    importer.combos["spend"].setCurrentText(USD)
    idle(window, qtbot)
    assert importer.inspection is not None
    assert importer.inspection.mapping.columns["spend"] == USD
    with qtbot.waitSignal(window.workbench.scoring_finished, timeout=TIMEOUT) as finished:
        assert importer.score_button is not None
        importer.score_button.click()
    assert finished.args == [True]
    idle(window, qtbot)
    loaded = window.workbench.loaded
    assert loaded is not None
    assert loaded.run.column_mapping["columns"]["spend"] == USD
    sites = loaded.result.sites

    # Rows visible, in the results page.
    panel = window.results_panel
    assert window.pages.currentWidget() is panel
    assert panel.visible_row_count() == len(sites) == panel.model.rowCount()

    # Filter: only the blocked sites.
    panel.recommendation_combo.setCurrentIndex(panel.recommendation_combo.findData("block"))
    panel.apply_filters()
    assert panel.visible_row_count() == int((sites["recommendation"] == "block").sum())
    panel.recommendation_combo.setCurrentIndex(0)
    panel.apply_filters()

    # Linked selection: rows → points, and the detail dock follows the current row.
    chosen = list(sites.index[:3])
    panel.select_sites(chosen)
    assert sorted(panel.scatter.highlighted_ids()) == sorted(chosen)
    panel.view.setCurrentIndex(panel.model.index(panel.model.view_rows([chosen[0]])[0], 0))
    qtbot.waitUntil(lambda: window.detail_panel.name_label.text() != "", timeout=TIMEOUT)
    assert chosen[0] in window.detail_panel.name_label.text()

    # Pin a blocked site to the allow list from the table's context menu.
    blocked = sites.index[sites["recommendation"] == "block"][0]
    panel.select_sites([blocked])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("client's own site", True))
    panel.pin_allow_action.trigger()
    qtbot.waitUntil(
        lambda: (
            window.workbench.loaded is not None and blocked in window.workbench.loaded.overrides
        ),
        timeout=TIMEOUT,
    )
    idle(window, qtbot)
    lists = window.workbench.loaded.lists
    assert lists.sites.loc[blocked, "list_action"] == "allow"
    assert window.workspace.runs.overrides(campaign.id)[blocked].reason == "client's own site"

    # Export the DSP-ready files from the lists dock.
    out = tmp_path / "export"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    with qtbot.waitSignal(window.workbench.exported, timeout=TIMEOUT) as exported:
        window.lists_panel.export_button.click()
    names = {Path(p).name for p in exported.args[0]}
    assert {"allowlist_domains.txt", "blocklist_domains.txt", "scores.csv", "scores.xlsx"} <= names
    assert blocked in (out / "allowlist_domains.txt").read_text(encoding="utf-8").split()
    assert blocked not in (out / "blocklist_domains.txt").read_text(encoding="utf-8").split()

    # Cancel a re-score mid-run: the previous results stay, in the window and in the store.
    previous = loaded.run.id
    stages: list[str] = []

    def cancel_once_running(_done: int, _total: int, message: str) -> None:
        stages.append(message)
        if len(stages) == 1:  # the job is running: it has reported its first stage
            assert window.actions_.cancel_score.isEnabled()
            window.actions_.cancel_score.trigger()

    window.workbench.scoring_progress.connect(cancel_once_running)
    with qtbot.waitSignal(window.workbench.scoring_finished, timeout=TIMEOUT) as finished:
        window.workbench.score(campaign.id)
    window.workbench.scoring_progress.disconnect(cancel_once_running)
    assert finished.args == [False]
    assert stages
    assert not any(stage.startswith("Saving") for stage in stages)
    idle(window, qtbot)
    assert window.workbench.loaded is not None
    assert window.workbench.loaded.run.id == previous
    assert current_run_id(window, campaign.id) == previous
    assert window.workspace.campaigns.get(campaign.id).status.value == "completed"
    assert panel.visible_row_count() == len(sites)

    # A bad file: the import dialog says why, the campaign is untouched.
    bad = tmp_path / "weekly.csv"
    bad.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    rejected = open_import(window, qtbot, campaign.id, bad)
    assert rejected.score_button is None
    assert "weekly.csv" in rejected.error_label.text()
    assert "PDF" in rejected.error_label.text()
    rejected.close()
    assert current_run_id(window, campaign.id) == previous


def test_a_scoring_failure_is_a_message_dialog_not_a_traceback(
    window: MainWindow, qtbot: QtBot
) -> None:
    campaign = window.workspace.campaigns.create("Nothing attached", settings=DISPLAY_AWARENESS)
    with qtbot.waitSignal(window.error_reported, timeout=TIMEOUT) as reported:
        window.workbench.score(campaign.id)
    idle(window, qtbot)
    (info,) = reported.args
    assert not info.is_bug
    assert "has no report attached" in info.message
    (box,) = [b for b in window.findChildren(ErrorDialog) if b.isVisible()]
    assert box.text() == info.message
    assert box.details() == ""  # an expected error: no traceback
    assert box.view.details_button is None
    box.close()
    assert window.workspace.campaigns.get(campaign.id).status.value == "pending"


def test_dropping_a_report_on_the_window_opens_the_import(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    campaign = window.workspace.campaigns.create("Dropped", settings=DISPLAY_AWARENESS)
    window.show()
    with qtbot.waitSignal(window.campaigns_loaded, timeout=TIMEOUT):
        window.refresh_campaigns()
    window.campaigns_panel.select_campaign(campaign.id)
    idle(window, qtbot)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(sample_report()))])
    position = QPointF(window.rect().center())
    enter = QDragEnterEvent(
        position.toPoint(), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        position, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(drop)
    (dialog,) = window.findChildren(ImportDialog)
    idle(window, qtbot)
    assert dialog.inspection is not None
    assert [u.original_name for u in window.workspace.uploads.list(campaign.id)] == [
        sample_report().name
    ]
    dialog.close()
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path))])  # a folder is not a report
    refused = QDragEnterEvent(
        position.toPoint(), Qt.DropAction.CopyAction, other, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dragEnterEvent(refused)
    assert not refused.isAccepted()


def test_a_report_the_os_hands_to_the_app_opens_the_import(
    window: MainWindow, qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    """macOS: a report dropped on the Dock icon arrives as a QFileOpenEvent to the application;
    Windows: one dropped on the executable arrives as its argument (ReportOpener.open)."""
    campaign = window.workspace.campaigns.create("Handed over", settings=DISPLAY_AWARENESS)
    window.show()
    with qtbot.waitSignal(window.campaigns_loaded, timeout=TIMEOUT):
        window.refresh_campaigns()
    window.campaigns_panel.select_campaign(campaign.id)
    idle(window, qtbot)
    opener = ReportOpener(window)
    qapp.installEventFilter(opener)
    try:
        not_a_report = tmp_path / "notes.docx"
        not_a_report.write_bytes(b"x")
        assert not QApplication.sendEvent(qapp, QFileOpenEvent(str(not_a_report)))
        assert QApplication.sendEvent(qapp, QFileOpenEvent(str(sample_report())))
        qtbot.waitUntil(lambda: bool(window.findChildren(ImportDialog)), timeout=TIMEOUT)
    finally:
        qapp.removeEventFilter(opener)
    (dialog,) = window.findChildren(ImportDialog)
    idle(window, qtbot)
    assert [u.original_name for u in window.workspace.uploads.list(campaign.id)] == [
        sample_report().name
    ]
    dialog.close()


def test_the_window_follows_the_os_colour_scheme(qapp: QApplication) -> None:
    follower = ThemeFollower(qapp)
    before = qapp.palette()
    try:
        follower.apply(Qt.ColorScheme.Dark)
        if not follower.is_dark:  # a native style that follows the OS by itself
            pytest.skip(f"the {qapp.style().name()} style follows the OS scheme natively")
        window_color = qapp.palette().color(QPalette.ColorRole.Window)
        text_color = qapp.palette().color(QPalette.ColorRole.WindowText)
        assert window_color.lightness() < 80 < text_color.lightness()
        follower.apply(Qt.ColorScheme.Light)
        assert not follower.is_dark
    finally:
        qapp.setPalette(before)
        follower.deleteLater()


def test_pinning_the_open_site_updates_its_detail_at_once(window: MainWindow, qtbot: QtBot) -> None:
    """The Site detail said "Allow" after the open site was pinned to block, until reselected."""
    open_scored_sample(window, qtbot)
    open_first_site(window, qtbot)
    site = window.workbench.shown_site
    assert site is not None
    chip = window.detail_panel.chip
    assert "pinned" not in chip.text()
    window.workbench.pin([site], "block", "client asked")
    qtbot.waitUntil(lambda: chip.text().startswith("pinned to block"), timeout=TIMEOUT)
    assert "client asked" in chip.toolTip()
    idle(window, qtbot)
    window.workbench.unpin([site])
    qtbot.waitUntil(lambda: "pinned" not in chip.text(), timeout=TIMEOUT)
    idle(window, qtbot)


def test_scoring_a_campaign_not_selected_shows_its_run_without_loading_it_again(
    window: MainWindow, qtbot: QtBot
) -> None:
    """The scoring job brings the run with it; selecting the scored campaign (another one was
    selected) used to start a second load of the same run (~1 s of a worker at 100k sites)."""
    start(window, qtbot)
    sample = window.workspace.campaigns.list().items[0]
    other = window.workspace.campaigns.create("Other campaign", settings=TTD_DISPLAY_AWARENESS)
    window.workbench.refresh_campaigns()
    qtbot.waitUntil(lambda: window.campaigns_panel.select_campaign(other.id), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.workbench.campaign_id == other.id, timeout=TIMEOUT)
    idle(window, qtbot)
    titles: list[str] = []
    window.registry.job_added.connect(lambda _job, title: titles.append(title))
    window.workbench.score(sample.id)
    qtbot.waitUntil(lambda: window.workbench.loaded is not None, timeout=TIMEOUT)
    idle(window, qtbot)
    loaded = window.workbench.loaded
    assert loaded is not None
    assert loaded.campaign_id == sample.id
    current = window.campaigns_panel.current_campaign()
    assert current is not None
    assert current.id == sample.id
    assert window.results_panel.model.rowCount() == len(loaded.result.sites) > 0
    assert "Loading results" not in titles, titles
