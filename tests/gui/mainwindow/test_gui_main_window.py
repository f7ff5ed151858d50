"""The main window: start-up jobs, the campaign list, status bar, menus, About, window state."""

from __future__ import annotations

import sys
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QPoint, QSize, Qt, qVersion
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from support.window_steps import WaitsForCancel

from caliber_desktop import __version__
from caliber_desktop.errors import CaliberError
from caliber_desktop.models.store import head_revision
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.startup import SAMPLE_CAMPAIGN, SAMPLE_SETTINGS, seed_sample
from caliber_desktop.services.workspace import Workspace, open_workspace
from caliber_desktop.ui.mainwindow.about import about_text
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.campaign_models import CampaignListModel
from caliber_desktop.ui.shared.errors import ErrorDialog
from caliber_desktop.ui.shared.roles import CAMPAIGN_ID_ROLE, CAMPAIGN_ROLE
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT_MS = 10_000


def start(window: MainWindow, qtbot: QtBot) -> None:
    window.show()
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT_MS):
        window.start_up()
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT_MS)


def test_first_start_seeds_the_sample_and_lists_it(window: MainWindow, qtbot: QtBot) -> None:
    start(window, qtbot)
    welcome = window.welcome
    model = welcome.model
    assert model.rowCount() == 1
    assert welcome.stack.currentWidget() is welcome.table
    cells = [model.index(0, column).data() for column in range(model.columnCount())]
    assert cells == [SAMPLE_CAMPAIGN, "Pending", SAMPLE_SETTINGS.label(), "1"]
    record = model.index(0, 0).data(CAMPAIGN_ROLE)
    assert isinstance(record, CampaignRecord)
    assert record.upload_count == 1
    assert welcome.summary.text() == "1 campaign"
    assert window.workspace.settings.sample_seeded
    # The start-up jobs (the sample offered, the list, the AI status, the conversation) are the
    # app's bookkeeping: nothing in the jobs dock, and no jobs indicator in the status bar.
    assert window.activity.jobs.topLevelItemCount() == 0
    assert window.analyst_jobs.listed() == []
    assert not window.jobs_indicator.isVisible()


def test_the_sample_is_offered_once(workspace: Workspace, qtbot: QtBot) -> None:
    seed_sample(workspace)  # an earlier run already added it
    registry = WorkerRegistry()
    window = MainWindow(workspace, registry)
    qtbot.addWidget(window)
    start(window, qtbot)
    assert window.welcome.model.rowCount() == 1


def test_an_empty_list_says_so(workspace: Workspace, window: MainWindow, qtbot: QtBot) -> None:
    workspace.settings.sample_seeded = True  # offered before, then deleted by the user
    start(window, qtbot)
    assert window.welcome.model.rowCount() == 0
    assert window.welcome.stack.currentWidget() is window.welcome.message
    assert "No campaigns yet" in window.welcome.message.text()


def test_refresh_shows_new_campaigns_and_supersedes_a_running_refresh(
    workspace: Workspace, window: MainWindow, qtbot: QtBot
) -> None:
    start(window, qtbot)
    workspace.campaigns.create("Spring sale", settings=SAMPLE_SETTINGS)
    finished: list[tuple[str, str]] = []
    window.registry.job_finished.connect(lambda *args: finished.append(args))
    with qtbot.waitSignal(window.campaigns_loaded, timeout=TIMEOUT_MS):
        window.refresh_campaigns()
        window.refresh_action.trigger()  # F5 again before the first reload is back
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT_MS)
    names = [window.welcome.model.campaign(row).name for row in range(2)]
    assert names == ["Spring sale", SAMPLE_CAMPAIGN]
    assert sorted(outcome for _, outcome in finished) == ["done", "superseded"]


def test_a_failed_load_shows_the_reason_in_place_and_in_a_dialog(
    workspace: Workspace, window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.settings.sample_seeded = True

    def locked(**_kwargs: object) -> None:
        raise CaliberError("The Caliber database is busy: another Caliber window is writing.")

    monkeypatch.setattr(workspace.campaigns, "list", locked)
    with qtbot.waitSignal(window.error_reported, timeout=TIMEOUT_MS) as reported:
        start(window, qtbot)
    (info,) = reported.args
    assert isinstance(info, ErrorInfo)
    assert not info.is_bug
    assert "database is busy" in window.welcome.message.text()
    boxes = [box for box in window.findChildren(ErrorDialog) if box.isVisible()]
    assert [box.text() for box in boxes] == [info.message]
    for box in boxes:
        box.close()


def test_a_job_error_without_handler_is_shown(window: MainWindow, qtbot: QtBot) -> None:
    def broken() -> None:
        raise KeyError("impressions")

    with qtbot.waitSignal(window.error_reported, timeout=TIMEOUT_MS) as reported:
        window.registry.start(FunctionWorker(broken, title="Reading the report"))
    (info,) = reported.args
    assert info.is_bug
    (box,) = [box for box in window.findChildren(ErrorDialog) if box.isVisible()]
    assert box.windowTitle() == "Reading the report failed"
    assert "KeyError" in box.details()
    assert box.view.log_edit is not None
    assert box.view.log_edit.text() == str(window.workspace.paths.log_file)
    box.close()
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT_MS)


def test_status_bar_says_who_the_app_runs_as_and_where_data_lives(
    workspace: Workspace, window: MainWindow
) -> None:
    labels = [label.text() for label in window.statusBar().findChildren(QLabel)]
    profile = window.profile_label.text()
    assert profile in labels
    assert profile == f"Local profile: {workspace.user.display_name}"
    assert workspace.user.label.endswith("(local profile)")
    root = str(workspace.paths.root)
    shown = window.data_dir_label.text().removeprefix("Data: ")
    assert str(root) in window.data_dir_label.toolTip()
    if len(root) <= 30:
        assert shown == root
    else:  # a long profile path is elided in the middle, so it cannot widen the window
        assert "…" in shown
        assert root.startswith(shown.split("…")[0])
        assert root.endswith(shown.split("…")[-1])
    assert window.data_dir_label.sizeHint().width() <= window.fontMetrics().averageCharWidth() * 44


def test_a_long_data_dir_does_not_widen_the_window(
    home: Path, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    """A Windows profile path is long; the status bar must still fit a laptop screen."""
    deep = home / ("Firstname.Lastname-" * 4) / "AppData" / "Local" / "Caliber" / "Caliber Desktop"
    ws = open_workspace(deep)
    try:
        win = MainWindow(ws, registry)
        qtbot.addWidget(win)
        assert len(str(deep)) > 100
        assert win.data_dir_label.sizeHint().width() < 400
        assert win.statusBar().minimumSizeHint().width() < 1000
        win.close()
    finally:
        ws.close()


def test_menus(window: MainWindow) -> None:
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    assert list(menus) == ["&File", "&Campaign", "&View", "&Account", "&Help"]
    file_actions = [a for a in menus["&File"].actions() if not a.isSeparator()]
    assert window.quit_action in file_actions
    assert not window.quit_action.shortcut().isEmpty()
    actions = window.actions_
    # The analyst's shortcuts: import/open, find, new campaign, export, score.
    for action, keys in (
        (actions.import_, QKeySequence.StandardKey.Open),
        (actions.find, QKeySequence.StandardKey.Find),
        (actions.new_campaign, QKeySequence.StandardKey.New),
    ):
        assert action.shortcut() == QKeySequence.keyBindings(keys)[0]
    assert actions.export.shortcut() == QKeySequence("Ctrl+E")
    assert actions.score.shortcut() == QKeySequence("Ctrl+Return")
    assert actions.import_ in file_actions
    assert actions.export in file_actions
    assert actions.new_campaign in menus["&Campaign"].actions()
    for dock in (window.campaigns_dock, window.detail_dock, window.lists_dock):
        assert dock.toggleViewAction() in menus["&View"].actions()
    assert window.about_action in menus["&Help"].actions()
    # The jobs dock is there to open from the View menu, but hidden by default.
    toggle = window.activity.toggleViewAction()
    assert toggle in menus["&View"].actions()
    assert window.show_jobs_action in menus["&View"].actions()
    window.show()
    assert not window.activity.isVisible()
    toggle.trigger()
    assert window.activity.isVisible()
    toggle.trigger()
    assert not window.activity.isVisible()


def test_about_text_names_version_data_dir_schema_and_qt(workspace: Workspace) -> None:
    text = about_text(workspace)
    assert __version__ in text
    assert str(workspace.paths.root) in text
    assert workspace.store.current_revision() == head_revision()
    assert head_revision() in text
    assert qVersion() in text
    assert PySide6.__version__ in text


def test_about_box_opens_without_blocking(window: MainWindow, qtbot: QtBot) -> None:
    window.show()
    window.about_action.trigger()
    (box,) = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
    assert box.windowTitle() == "About Caliber"
    assert box.text() == about_text(window.workspace)
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: not window.findChildren(QMessageBox), timeout=TIMEOUT_MS)


def test_geometry_and_dock_layout_survive_a_restart(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    first = MainWindow(workspace, registry)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    # With the right-hand docks closed the window fits the offscreen screen (800×600), which
    # restoring clamps to.
    for dock in (
        first.detail_dock,
        first.lists_dock,
        first.assistant.insights_dock,
        first.assistant.chat_dock,
    ):
        dock.toggleViewAction().trigger()

    # 520 high: the results summary keeps its row even without a run (so showing one moves
    # nothing), which with the jobs dock open puts the window's minimum just over 500
    def placed() -> bool:  # the layout lowers the minimum size once it has run again
        first.resize(700, 520)
        first.move(40, 30)
        return first.size() == QSize(700, 520) and first.pos() == QPoint(40, 30)

    qtbot.waitUntil(placed)
    first.activity.toggleViewAction().trigger()  # show the jobs dock (hidden by default)
    first.close()
    assert workspace.paths.qt_state.is_file()
    assert workspace.paths.qt_state.parent == workspace.paths.root

    second = MainWindow(workspace, registry)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.size() == QSize(700, 520)
    assert second.pos() == QPoint(40, 30)
    assert second.activity.isVisible()  # the analyst opened it: it stays open
    assert second.activity.toggleViewAction().isChecked()
    assert not second.detail_dock.isVisible()
    assert not second.lists_dock.isVisible()
    assert not second.assistant.chat_dock.isVisible()
    assert second.campaigns_dock.isVisible()


def test_first_window_is_sized_from_the_screen(window: MainWindow) -> None:
    available = window.screen().availableGeometry()
    assert 0 < window.width() <= available.width()
    assert 0 < window.height() <= available.height()


def test_activity_dock_cancels_the_selected_job(window: MainWindow, qtbot: QtBot) -> None:
    worker = WaitsForCancel()  # the dock lists the analyst's jobs only
    job_id = window.registry.start(worker)
    assert worker.entered.wait(TIMEOUT_MS / 1000)
    jobs = window.activity.jobs
    qtbot.waitUntil(lambda: window.activity.status_of(job_id) == "Running", timeout=TIMEOUT_MS)
    jobs.setCurrentItem(jobs.topLevelItem(0))
    assert window.activity.cancel_button.isEnabled()
    qtbot.mouseClick(window.activity.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.activity.status_of(job_id) == "Cancelled", timeout=TIMEOUT_MS)
    assert worker.cancelled
    assert not window.activity.cancel_button.isEnabled()


def test_campaign_model_passes_the_model_tester(
    workspace: Workspace, qtmodeltester: ModelTester
) -> None:
    seed_sample(workspace)
    workspace.campaigns.create("Holiday push", settings=SAMPLE_SETTINGS, description="Q4")
    model = CampaignListModel()
    qtmodeltester.check(model)  # empty
    model.set_campaigns(workspace.campaigns.list().items)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.index(0, 0).data(CAMPAIGN_ID_ROLE) == model.campaign(0).id
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "Q4"
    assert model.roleNames()[CAMPAIGN_ROLE] == b"campaign"


def test_qt_calls_do_not_use_up_none_or_true(qtbot: QtBot) -> None:
    """Guards the pin that keeps PySide6 6.12.0 out (see pyproject.toml).

    Its wheels return ``None`` from void methods and ``True`` from ``emit`` without a new
    reference; on CPython 3.11 the process aborts with "none_dealloc" after ~5,000 calls.
    """
    label = QLabel()
    qtbot.addWidget(label)
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for number in range(1_000):
        label.setText(str(number))
        label.windowTitleChanged.emit("x")
    assert sys.getrefcount(None) - before_none > -100, "Qt calls leak references to None"
    assert sys.getrefcount(True) - before_true > -100, "signal emits leak references to True"
