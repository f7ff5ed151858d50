"""Campaigns panel, template manager, new-campaign and settings dialogs (pytest-qt, offscreen).

Dialogs run their reads and writes through a real registry on a real store (the ``workspace``
fixture); every test waits for its jobs so the guard fixture finds the pools idle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QStandardItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from caliber_desktop.config import Settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, CampaignStatus, Channel, Goal, Platform
from caliber_desktop.services.records import CampaignRecord, CampaignSettings, Page
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.campaigns.dialog import NewCampaignDialog, kpi_pixel_problem
from caliber_desktop.ui.campaigns.panel import CampaignsPanel
from caliber_desktop.ui.campaigns.templates import TemplateManagerDialog
from caliber_desktop.ui.settings.dialog import SettingsDialog
from caliber_desktop.workers.campaigns import create_campaign
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.templates import create_template

TIMEOUT_MS = 10_000
SETTINGS = CampaignSettings(
    Platform.TRADE_DESK, Goal.AWARENESS, Channel.DISPLAY, True, AnalysisLevel.DOMAIN
)
VIDEO_ACTION = {
    "platform": "pulsepoint",
    "goal": "action",
    "channel": "video",
    "ctr_sensitivity": False,
    "analysis_level": "supply_vendor",
}
YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


def record(
    campaign_id: int,
    status: CampaignStatus = CampaignStatus.PENDING,
    *,
    uploads: int = 1,
    done: int | None = None,
    total: int | None = None,
) -> CampaignRecord:
    now = datetime.now(UTC)
    return CampaignRecord(
        id=campaign_id, name=f"Campaign {campaign_id}", description="", template_id=None,
        settings=SETTINGS, custom_weights=None, status=status, total_records=total,
        processed_records=done, error_message=None, kpi_pixel=None, created_at=now,
        updated_at=now, started_at=None, completed_at=None, current_run_id=None,
        upload_count=uploads,
    )  # fmt: skip


def page(*records: CampaignRecord, total: int | None = None) -> Page[CampaignRecord]:
    return Page(list(records), len(records) if total is None else total, 0, 50)


def idle(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


@pytest.fixture
def panel(qtbot: QtBot) -> CampaignsPanel:
    widget = CampaignsPanel()
    qtbot.addWidget(widget)
    return widget


# --------------------------------------------------------------------------- panel


def test_panel_model_passes_the_model_tester(panel: CampaignsPanel, qtmodeltester: Any) -> None:
    panel.set_campaigns(
        page(
            record(1),
            record(2, CampaignStatus.PROCESSING, done=40, total=100),
            record(3, CampaignStatus.COMPLETED),
            record(4, CampaignStatus.FAILED),
        )
    )
    qtmodeltester.check(panel.model)
    panel.resize(panel.sizeHint() * 2)
    panel.show()
    assert not panel.grab().isNull()  # the progress delegate and status dots paint cleanly


def test_set_campaigns_keeps_the_selection_by_id(panel: CampaignsPanel, qtbot: QtBot) -> None:
    panel.set_campaigns(page(record(1), record(2), record(3)))
    with qtbot.waitSignal(panel.campaign_selected) as selected:
        assert panel.select_campaign(2)
    assert selected.args == [2]
    with qtbot.assertNotEmitted(panel.campaign_selected):
        panel.set_campaigns(page(record(5), record(3), record(2), record(1)))
    current = panel.current_campaign()
    assert current is not None
    assert current.id == 2
    assert panel.table.currentIndex().row() == 2

    with qtbot.assertNotEmitted(panel.campaign_selected):  # gone: nothing to load
        panel.set_campaigns(page(record(5)))
    assert panel.current_campaign() is None


def test_a_campaign_selected_before_it_is_listed_is_selected_on_reload(
    panel: CampaignsPanel, qtbot: QtBot
) -> None:
    panel.set_campaigns(page(record(1)))
    assert not panel.select_campaign(7)
    with qtbot.waitSignal(panel.campaign_selected) as selected:
        panel.set_campaigns(page(record(7), record(1)))
    assert selected.args == [7]


def test_search_is_debounced_and_the_status_filter_queries(
    panel: CampaignsPanel, qtbot: QtBot
) -> None:
    seen: list[tuple[str, object]] = []
    panel.query_changed.connect(lambda text, status: seen.append((text, status)))
    with qtbot.waitSignal(panel.query_changed, timeout=TIMEOUT_MS) as query:
        qtbot.keyClicks(panel.search, "spring")  # type: ignore[no-untyped-call]
    assert query.args == ["spring", None]
    assert seen == [("spring", None)]  # one query for the word, not one per key

    with qtbot.waitSignal(panel.query_changed) as query:
        panel.status_filter.setCurrentIndex(panel.status_filter.findData("completed"))
    assert query.args == ["spring", CampaignStatus.COMPLETED]


def test_summary_says_when_nothing_matches(panel: CampaignsPanel) -> None:
    panel.set_campaigns(page(record(1), total=60))
    assert panel.summary.text() == "60 campaigns, showing 1"
    panel.search.setText("zzz")
    panel.set_campaigns(page())
    assert "match" in panel.summary.text()


def test_context_actions_emit_their_signals(
    panel: CampaignsPanel, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel.set_campaigns(page(record(1), record(2, CampaignStatus.COMPLETED), record(3, uploads=0)))
    panel.select_campaign(1)
    with qtbot.waitSignal(panel.import_requested) as signal:
        panel.import_action.trigger()
    assert signal.args == [1]
    with qtbot.waitSignal(panel.score_requested) as signal:
        panel.score_action.trigger()
    assert signal.args == [1]

    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("  Spring   2 ", True))
    with qtbot.waitSignal(panel.rename_requested) as signal:
        panel.rename_action.trigger()
    assert signal.args == [1, "Spring 2"]

    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def ask(_parent: object, title: str, *_rest: object) -> QMessageBox.StandardButton:
            asked.append(title)
            return reply

        return ask

    monkeypatch.setattr(QMessageBox, "question", answer(YES))
    with qtbot.waitSignal(panel.delete_requested) as signal:
        panel.delete_action.trigger()
    assert signal.args == [1, False]

    panel.select_campaign(2)  # completed: results go too, so a warning and force=True
    monkeypatch.setattr(QMessageBox, "warning", answer(NO))
    with qtbot.assertNotEmitted(panel.delete_requested):
        panel.delete_action.trigger()
    monkeypatch.setattr(QMessageBox, "warning", answer(YES))
    with qtbot.waitSignal(panel.delete_requested) as signal:
        panel.delete_action.trigger()
    assert signal.args == [2, True]
    assert asked == ["Delete campaign", *["Delete campaign and results"] * 2]

    panel.select_campaign(3)  # nothing imported yet: nothing to score
    assert not panel.score_action.isEnabled()


def test_a_processing_campaign_cannot_be_deleted_or_rescored(panel: CampaignsPanel) -> None:
    panel.set_campaigns(page(record(1, CampaignStatus.PROCESSING, done=1, total=4)))
    panel.select_campaign(1)
    assert not panel.delete_action.isEnabled()
    assert not panel.score_action.isEnabled()
    assert panel.rename_action.isEnabled()


def test_new_campaign_button_asks_for_the_dialog(panel: CampaignsPanel, qtbot: QtBot) -> None:
    with qtbot.waitSignal(panel.new_campaign_requested):
        panel.new_button.click()


# --------------------------------------------------------------------------- templates


def open_templates(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> TemplateManagerDialog:
    dialog = TemplateManagerDialog(workspace, registry)
    qtbot.addWidget(dialog)
    dialog.show()
    idle(registry, qtbot)
    return dialog


def choose(combos: dict[str, Any], values: dict[str, object]) -> None:
    for name, value in values.items():
        combos[name].setCurrentIndex(combos[name].findData(value))


def test_template_dialog_creates_a_template_in_the_store(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog = open_templates(workspace, registry, qtbot)
    assert dialog.list.count() == 0
    assert not dialog.save_button.isEnabled()
    dialog.name_edit.setText("PulsePoint video")
    choose(dialog.settings_editor.combos, VIDEO_ACTION)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.templates_changed, timeout=TIMEOUT_MS):
        dialog.save_button.click()
    idle(registry, qtbot)
    [stored] = workspace.templates.list()
    assert stored.name == "PulsePoint video"
    assert stored.settings.as_dict() == VIDEO_ACTION
    assert dialog.list.count() == 1
    assert dialog.current_template() == stored  # stays selected for editing

    dialog.description_edit.setText("for the Q3 push")
    with qtbot.waitSignal(dialog.templates_changed, timeout=TIMEOUT_MS):
        dialog.save_button.click()
    idle(registry, qtbot)
    assert workspace.templates.get(stored.id).description == "for the Q3 push"


def test_pulsepoint_ctv_is_refused_inline(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog = open_templates(workspace, registry, qtbot)
    dialog.name_edit.setText("Bad")
    choose(dialog.settings_editor.combos, {**VIDEO_ACTION, "channel": "ctv"})
    channels = dialog.settings_editor.combos["channel"]
    model = channels.model()
    assert isinstance(model, QStandardItemModel)
    assert not model.item(channels.findData("ctv")).isEnabled()
    assert not dialog.save_button.isEnabled()
    assert dialog.settings_editor.error.text().startswith("PulsePoint reports cannot be scored")


def test_deleting_a_template_in_use_shows_the_reason(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = workspace.templates.create("Display", SETTINGS)
    workspace.campaigns.create("Spring", template_id=template.id)
    dialog = open_templates(workspace, registry, qtbot)
    dialog.list.setCurrentRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: YES)
    with qtbot.assertNotEmitted(dialog.templates_changed):
        dialog.delete_current()
        idle(registry, qtbot)
    assert not dialog.error.isHidden()
    assert "is used by 1 campaign ('Spring') and cannot be deleted" in dialog.error.text()
    assert [t.id for t in workspace.templates.list()] == [template.id]

    unused = workspace.templates.create("Unused", SETTINGS)
    dialog.reload()
    idle(registry, qtbot)
    dialog.list.setCurrentRow(0)  # newest first
    assert dialog.current_template() is not None
    with qtbot.waitSignal(dialog.templates_changed, timeout=TIMEOUT_MS):
        dialog.delete_current()
    idle(registry, qtbot)
    assert unused.id not in [t.id for t in workspace.templates.list()]
    assert dialog.list.count() == 1


def test_template_list_follows_changes_made_by_other_jobs(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    """The list reloads on the registry's ``changed``, whoever made the change."""
    dialog = open_templates(workspace, registry, qtbot)
    assert dialog.list.count() == 0
    registry.start(create_template(workspace, "Made elsewhere", SETTINGS))
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=TIMEOUT_MS)
    idle(registry, qtbot)
    assert dialog.list.item(0).text() == "Made elsewhere"
    assert "Used by 0 campaigns" in dialog.list.item(0).toolTip()

    [template] = workspace.templates.list()
    registry.start(create_campaign(workspace, "Spring", template_id=template.id))
    qtbot.waitUntil(
        lambda: "Used by 1 campaign" in dialog.list.item(0).toolTip(), timeout=TIMEOUT_MS
    )
    idle(registry, qtbot)


# --------------------------------------------------------------------------- new campaign


def open_new_campaign(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> NewCampaignDialog:
    dialog = NewCampaignDialog(workspace, registry)
    qtbot.addWidget(dialog)
    dialog.show()
    idle(registry, qtbot)
    return dialog


def test_ok_waits_until_the_form_is_valid(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    dialog = open_new_campaign(workspace, registry, qtbot)
    assert dialog.explicit.isChecked()
    assert not dialog.from_template.isEnabled()
    assert not dialog.ok_button.isEnabled()
    assert dialog.reason.text() == "The campaign needs a name."
    dialog.name_edit.setText("Spring")
    assert not dialog.ok_button.isEnabled()
    assert dialog.reason.text().startswith("Choose the platform, goal")
    choose(dialog.settings_editor.combos, VIDEO_ACTION)
    assert dialog.ok_button.isEnabled()
    assert dialog.reason.text() == ""
    dialog.kpi_edit.setText("7")
    assert not dialog.ok_button.isEnabled()
    assert not dialog.kpi_error.isHidden()
    assert "two digits" in dialog.kpi_error.text()
    dialog.kpi_edit.setText("Purchase pixel")
    assert dialog.ok_button.isEnabled()


@pytest.mark.parametrize(
    ("text", "ok"),
    [("", True), ("01", True), ("Purchase", True), ("7", False), ("123", False), ("a/b", False)],
)
def test_kpi_pixel_rule(text: str, ok: bool) -> None:
    assert (kpi_pixel_problem(text) is None) is ok


def test_creates_a_campaign_from_a_template(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    template = workspace.templates.create("Video action", VIDEO_ACTION)
    dialog = open_new_campaign(workspace, registry, qtbot)
    assert dialog.from_template.isChecked()
    assert dialog.selected_template() == template
    dialog.name_edit.setText("Autumn")
    dialog.kpi_edit.setText("12")
    with qtbot.waitSignal(dialog.campaign_created, timeout=TIMEOUT_MS) as created:
        dialog.ok_button.click()
    idle(registry, qtbot)
    campaign = created.args[0]
    assert isinstance(campaign, CampaignRecord)
    assert campaign.template_id == template.id
    assert campaign.settings == template.settings  # copied, not left at defaults
    assert campaign.kpi_pixel == "12"
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert workspace.campaigns.get(campaign.id).settings == template.settings


def test_creates_a_campaign_from_explicit_settings(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    workspace.templates.create("Unused", SETTINGS)
    dialog = open_new_campaign(workspace, registry, qtbot)
    dialog.explicit.setChecked(True)
    dialog.name_edit.setText("Explicit")
    assert not dialog.ok_button.isEnabled()
    choose(dialog.settings_editor.combos, VIDEO_ACTION)
    with qtbot.waitSignal(dialog.campaign_created, timeout=TIMEOUT_MS) as created:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    idle(registry, qtbot)
    campaign = created.args[0]
    assert campaign.template_id is None
    assert campaign.settings.as_dict() == VIDEO_ACTION


def test_a_service_validation_error_shows_at_its_field(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ValidationError("That description is not allowed.", field="description")

    monkeypatch.setattr(workspace.campaigns, "create", refuse)
    dialog = open_new_campaign(workspace, registry, qtbot)
    dialog.name_edit.setText("Refused")
    choose(dialog.settings_editor.combos, VIDEO_ACTION)
    with qtbot.assertNotEmitted(dialog.campaign_created):
        dialog.ok_button.click()
        idle(registry, qtbot)
    assert dialog.description_error.text() == "That description is not allowed."
    assert not dialog.description_error.isHidden()
    assert dialog.isVisible()
    assert dialog.ok_button.isEnabled()


# --------------------------------------------------------------------------- settings


def test_settings_dialog_round_trips_values(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Settings()
    dialog = SettingsDialog(original, tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.data_dir_edit.text() == str(tmp_path)
    assert dialog.data_dir_edit.isReadOnly()
    dialog.min_impressions.setValue(1000)
    dialog.allow_percentile.setValue(80)
    dialog.block_percentile.setValue(10)
    dialog.normalization.setCurrentIndex(dialog.normalization.findData("minmax"))
    dialog.kpi_pixel.setText("07")
    dialog.max_upload.setValue(50)
    assert dialog.decision_confidence.value() == 90  # the default, as a percentage
    dialog.decision_confidence.setValue(95)
    result = dialog.result_settings()
    assert result.scoring.model_dump() == {
        "min_impressions": 1000,
        "allow_percentile": 80.0,
        "block_percentile": 10.0,
        "normalization": "minmax",
        "default_kpi_pixel": "07",
        "decision_confidence": 0.95,
    }
    assert result.uploads.max_size_mb == 50
    assert original.scoring.min_impressions == 250  # a copy; the dialog never saves

    reopened = SettingsDialog(result, tmp_path)
    qtbot.addWidget(reopened)
    assert reopened.result_settings() == result

    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    reopened.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path))]


def test_settings_dialog_rejects_allow_at_or_below_block(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(), tmp_path)
    qtbot.addWidget(dialog)
    dialog.allow_percentile.setValue(30)
    dialog.block_percentile.setValue(30)
    assert not dialog.ok_button.isEnabled()
    assert "must be above the block cut-off" in dialog.percentile_error.text()
    with pytest.raises(ValidationError) as refused:
        dialog.result_settings()
    assert refused.value.field == "allow_percentile"
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.allow_percentile.setValue(31)
    assert dialog.ok_button.isEnabled()
