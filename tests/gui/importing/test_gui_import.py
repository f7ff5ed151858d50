"""The import dialog: attach on the DB lane, inspect on the pool, edit the mapping, score."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from support.real_exports import PLAIN_PULSEPOINT_NAMES, write
from support.vocabulary import machine_names, widget_texts

from caliber_desktop.config import load_settings
from caliber_desktop.models import labels
from caliber_desktop.services.importing.ingest import SCORING_FIELDS
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.importing.dialog import ImportDialog
from caliber_desktop.ui.importing.view import NOT_IN_FILE
from caliber_desktop.workers.registry import WorkerRegistry

TTD_CTV = "ttd_ctv_sample.csv"
#: A second cost column the reader does not choose (the advertiser's currency wins).
OTHER = "Advertiser Cost (USD)"
TIMEOUT = 20_000


@pytest.fixture
def two_costs(shared_data: Path, tmp_path: Path) -> Path:
    """The CTV sample with a USD cost column beside the advertiser-currency one."""
    frame = pd.read_csv(shared_data / TTD_CTV)
    adv = "Advertiser Cost (Adv Currency)"
    frame.insert(frame.columns.get_loc(adv) + 1, OTHER, (frame[adv] * 1.1).round(2))
    path = tmp_path / "ttd_ctv_two_costs.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def campaign(workspace: Workspace) -> CampaignRecord:
    return workspace.campaigns.create(
        "Q3 CTV",
        settings={
            "platform": "trade_desk",
            "goal": "action",
            "channel": "ctv",
            "ctr_sensitivity": False,
            "analysis_level": "domain",
        },
    )


def open_dialog(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    path: Path,
) -> ImportDialog:
    dialog = ImportDialog(workspace, registry, campaign, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)
    return dialog


def settle(qtbot: QtBot, registry: WorkerRegistry) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT)


def test_attaches_inspects_and_shows_detection_and_mapping(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    shared_data: Path,
    qtmodeltester: ModelTester,
) -> None:
    dialog = open_dialog(qtbot, workspace, registry, campaign, shared_data / TTD_CTV)
    assert dialog.upload is not None
    assert dialog.upload.path.is_relative_to(workspace.paths.root)  # the stored copy was read
    assert [u.id for u in workspace.uploads.list(campaign.id)] == [dialog.upload.id]
    assert dialog.inspection is not None
    assert dialog.pages.currentIndex() == 1
    assert "The Trade Desk (95 %)" in dialog.detection_label.text()
    assert "CTV (90 %)" in dialog.detection_label.text()
    assert "campaign is set to" not in dialog.detection_label.text()  # it agrees
    assert dialog.combos["site"].currentText() == "Site"
    assert dialog.combos["spend"].currentText() == "Advertiser Cost (Adv Currency)"
    assert dialog.combos["ad_load_xl_imps"].currentText() == NOT_IN_FILE
    assert dialog.mapping_table.rowCount() == 24  # ids and app clue, 16 counts, 5 rates
    assert dialog.kpi_pixels() == ("01",)
    assert dialog.preview_model.rowCount() == 20
    assert "5,000 rows read" in dialog.summary_label.text()
    assert dialog.score_button is not None
    assert dialog.score_button.isEnabled()
    assert not dialog.remember_box.isChecked()  # nothing changed yet
    qtmodeltester.check(dialog.preview_model)
    qtmodeltester.check(dialog.dropped_model)


def test_changing_spend_reinspects_and_score_carries_the_override(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    two_costs: Path,
) -> None:
    dialog = open_dialog(qtbot, workspace, registry, campaign, two_costs)
    first = dialog.inspection
    dialog.combos["spend"].setCurrentText(OTHER)
    settle(qtbot, registry)
    assert dialog.inspection is not first  # re-inspected
    assert dialog.inspection is not None
    assert dialog.inspection.mapping.columns["spend"] == OTHER
    spend_row = SCORING_FIELDS.index("spend")
    assert dialog.mapping_table.item(spend_row, 0).font().bold()  # the changed row stands out
    assert dialog.remember_box.isChecked()
    dialog.remember_box.click()  # as the analyst would: unticked, and it stays so
    assert not dialog.remember_box.isChecked()
    with qtbot.waitSignal(dialog.score_requested) as signal:
        assert dialog.score_button is not None
        dialog.score_button.click()
    assert dialog.upload is not None
    assert signal.args == [campaign.id, dialog.upload.id, {"spend": OTHER}, ("01",)]
    assert load_settings(workspace.paths.settings).mappings == {}  # not remembered
    settle(qtbot, registry)


def test_a_bad_file_shows_the_message_and_only_close(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    tmp_path: Path,
) -> None:
    bad = tmp_path / "x.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    dialog = open_dialog(qtbot, workspace, registry, campaign, bad)
    assert dialog.error_view is not None
    assert dialog.error_view.isVisibleTo(dialog)
    assert not dialog.pages.isVisibleTo(dialog)
    assert "x.csv" in dialog.error_label.text()
    assert dialog.score_button is None
    texts = [b.text().replace("&", "") for b in dialog.buttons.buttons()]
    assert texts == ["Close"]
    assert workspace.uploads.list(campaign.id) == []  # a refused file leaves nothing behind


def test_a_remembered_mapping_is_applied_next_time(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    two_costs: Path,
) -> None:
    dialog = open_dialog(qtbot, workspace, registry, campaign, two_costs)
    dialog.combos["spend"].setCurrentText(OTHER)
    settle(qtbot, registry)
    assert dialog.remember_box.isChecked()
    with qtbot.waitSignal(dialog.score_requested):
        dialog.accept()
    assert load_settings(workspace.paths.settings).mappings == {"trade_desk": {"spend": OTHER}}

    again = open_dialog(qtbot, workspace, registry, campaign, two_costs)
    assert again.upload is not None
    assert again.upload.already_attached
    assert again.combos["spend"].currentText() == OTHER
    assert again.override() == {"spend": OTHER}
    assert not again.remember_box.isChecked()  # already remembered; nothing new to store


def test_closing_while_busy_drops_late_results(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    shared_data: Path,
) -> None:
    dialog = ImportDialog(workspace, registry, campaign, shared_data / TTD_CTV)
    qtbot.addWidget(dialog)
    dialog.reject()
    settle(qtbot, registry)
    assert dialog.inspection is None


def test_a_report_with_other_platforms_names_shows_where_each_column_came_from(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "plain.csv", PLAIN_PULSEPOINT_NAMES + "bad.com,two thousand,1%,0,5,1\n")
    dialog = open_dialog(qtbot, workspace, registry, campaign, path)
    assert dialog.combos["spend"].currentText() == "Total Spend"
    assert dialog.combos["conversions"].currentText() == "Conversions"
    row = {
        dialog.mapping_table.item(r, 0).data(Qt.ItemDataRole.UserRole): r
        for r in range(dialog.mapping_table.rowCount())
    }
    found = dialog.mapping_table.item(row["spend"], 2)
    assert found.text() == "PulsePoint name ⚠"
    assert found.toolTip() == "PulsePoint column name (the file has no The Trade Desk one)"
    assert dialog.mapping_table.item(row["impressions"], 2).text() == "The Trade Desk name"
    assert dialog.mapping_table.item(row["clicks"], 2).text() == "not in the file"
    # every row accounted for, in the dialog's own words
    summary = dialog.summary_label.text()
    assert "4 rows read = 3 scored + 1 left out (1 with a count that is not a number)" in summary
    # warnings first, each a full sentence naming the file and column
    first = dialog.issue_list.item(0)
    assert first.data(Qt.ItemDataRole.UserRole) == "warning"
    messages = [dialog.issue_list.item(i).text() for i in range(dialog.issue_list.count())]
    assert any("PulsePoint names" in m for m in messages)
    assert any("'Impressions'" in m and "two thousand" in m for m in messages)


def test_mapping_one_column_to_two_fields_is_refused_in_the_dialog(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    shared_data: Path,
) -> None:
    dialog = open_dialog(qtbot, workspace, registry, campaign, shared_data / TTD_CTV)
    # The column is narrow: each choice is named whole in its tooltip, now and after a change.
    assert all(c.toolTip() == c.currentText() != "" for c in dialog.combos.values())
    dialog.combos["clicks"].setCurrentText("Impressions")
    assert dialog.combos["clicks"].toolTip() == "Impressions"
    settle(qtbot, registry)
    assert dialog.score_button is not None
    assert not dialog.score_button.isEnabled()
    message = dialog.issue_list.item(0).text()
    assert "'Impressions' for both impressions and clicks" in message
    dialog.combos["clicks"].setCurrentText("Clicks")  # put right: scoring is possible again
    settle(qtbot, registry)
    assert dialog.score_button.isEnabled()


def test_a_ttd_report_with_tv_quality_columns_shows_no_machine_names(
    qtbot: QtBot,
    workspace: Workspace,
    registry: WorkerRegistry,
    campaign: CampaignRecord,
    shared_data: Path,
) -> None:
    """Field labels from the one labels table, not the reader's names (``tvqi_raw`` leaked)."""
    dialog = open_dialog(qtbot, workspace, registry, campaign, shared_data / TTD_CTV)
    mapped = {
        dialog.mapping_table.item(r, 0).text() for r in range(dialog.mapping_table.rowCount())
    }
    assert labels.field("tvqi_raw") in mapped  # the TV Quality Index columns, under their label
    assert "tvqi_raw" not in mapped
    texts = widget_texts(dialog, data_views=[dialog.preview_view])
    headers = dialog.inspection.headers if dialog.inspection else []
    leaked = {n for t in texts for n in machine_names(t, allowed=headers)}
    assert not leaked, f"machine names shown in the import dialog: {sorted(leaked)}"
