"""Background work out of the way: the status bar's jobs indicator, its popup and the jobs dock.

Real jobs on a real store: scoring the bundled sample (the analyst's work) and the loads,
refreshes and status checks around it (the app's bookkeeping, which must never show).
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from support.window_steps import WaitsForCancel, idle

from caliber_desktop.errors import CaliberError
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.startup import SAMPLE_CAMPAIGN, SAMPLE_SETTINGS
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.jobs import JobState
from caliber_desktop.ui.mainwindow.layout import STATE_KEY, STATE_VERSION
from caliber_desktop.ui.mainwindow.window import JOBS_DOCK_KEY, MainWindow
from caliber_desktop.workers import ai, campaigns, scoring
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT_MS = 30_000
#: The offscreen platform cannot raise a popup or let it grab input; real platforms can.
OFFSCREEN_POPUP = pytest.mark.qt_log_ignore(
    r"^This plugin does not support "
    r"(propagateSizeHints\(\)|raise\(\)|grabbing the (keyboard|mouse))$"
)
#: What the indicator says while scoring with progress known.
SCORING = re.compile(rf"^Scoring {re.escape(SAMPLE_CAMPAIGN)}… \d{{1,3}} %$")


def start(window: MainWindow, qtbot: QtBot) -> CampaignRecord:
    """The window shown, the sample seeded and listed; returns the (unscored) sample."""
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT_MS):
        window.start_up()
    idle(window, qtbot)
    (sample,) = window.workspace.campaigns.list().items
    return sample


def dock_rows(window: MainWindow) -> list[tuple[str, str]]:
    tree = window.activity.jobs
    return [
        (tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))
        for i in range(tree.topLevelItemCount())
    ]


def test_factories_declare_analyst_work_and_bookkeeping(workspace: Workspace) -> None:
    """Decided by what each named job declares, not by its title."""
    sample = workspace.campaigns.create("Spring sale", settings=SAMPLE_SETTINGS)
    scoring_job = scoring.score_campaign(workspace.runs, sample.id, campaign_name=sample.name)
    assert scoring_job.for_analyst
    assert scoring_job.cancellable
    assert scoring_job.title == "Scoring Spring sale"
    assert campaigns.rename_campaign(workspace, sample.id, "Autumn").for_analyst
    bookkeeping = (
        scoring.load_current_run(workspace, sample.id),
        campaigns.list_campaigns(workspace, limit=10),
        ai.status_job(workspace.ai),
        ai.chat_history_job(workspace.ai, None, 10),
        ai.insights_job(workspace.ai, sample.id),
    )
    assert [job.for_analyst for job in bookkeeping] == [False] * len(bookkeeping)
    # A plain call cannot stop part-way, so no Cancel is offered for it.
    assert not campaigns.rename_campaign(workspace, sample.id, "Autumn").cancellable


def test_scoring_shows_in_the_indicator_with_its_progress_then_quiets(
    window: MainWindow, qtbot: QtBot
) -> None:
    sample = start(window, qtbot)
    indicator = window.jobs_indicator
    assert not indicator.isVisible()  # nothing of the analyst's has run yet
    seen: list[tuple[str, bool]] = []
    window.analyst_jobs.changed.connect(
        lambda: seen.append((indicator.text, indicator.progress.isVisible()))
    )
    with qtbot.waitSignal(window.workbench.scoring_finished, timeout=TIMEOUT_MS) as finished:
        window.workbench.score(sample.id)
        assert indicator.isVisible()
        assert indicator.text == f"Scoring {SAMPLE_CAMPAIGN}…"  # queued: progress not known yet
    assert finished.args == [True]
    idle(window, qtbot)
    with_progress = [text for text, bar in seen if SCORING.match(text) and bar]
    assert with_progress, seen
    percents = [int(text.rsplit(" ", 2)[-2]) for text in with_progress]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    # Done: quiet, no progress bar, and only the analyst's job was ever named.
    assert indicator.text == "Recent jobs"
    assert not indicator.progress.isVisible()
    assert {text for text, _ in seen} <= {*(t for t in with_progress), seen[0][0], "Recent jobs"}
    (job,) = window.analyst_jobs.listed()
    assert (job.title, job.state) == (f"Scoring {SAMPLE_CAMPAIGN}", JobState.DONE)
    assert dock_rows(window) == [(f"Scoring {SAMPLE_CAMPAIGN}", "Done")]


@OFFSCREEN_POPUP
def test_the_popup_lists_the_job_and_its_cancel_really_stops_scoring(
    window: MainWindow, qtbot: QtBot
) -> None:
    sample = start(window, qtbot)
    indicator, popup = window.jobs_indicator, window.jobs_indicator.popup
    outcomes: dict[str, str] = {}
    window.registry.job_finished.connect(lambda job_id, outcome: outcomes.update({job_id: outcome}))
    stages: list[str] = []
    clicked: list[str] = []

    def cancel_from_the_popup(job_id: str) -> None:
        job = window.analyst_jobs.job(job_id)
        if job is None or job.state is not JobState.RUNNING or not job.message or clicked:
            return
        stages.append(job.message)
        qtbot.mouseClick(indicator.button, Qt.MouseButton.LeftButton)  # opens the popup
        assert popup.isVisible()
        (row,) = popup.rows()
        assert row.title.text() == f"Scoring {SAMPLE_CAMPAIGN}"
        assert row.progress.isVisible()
        assert row.cancel_button.isVisible()
        assert row.cancel_button.isEnabled()
        clicked.append(job_id)
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)

    window.analyst_jobs.updated.connect(cancel_from_the_popup)
    with qtbot.waitSignal(window.workbench.scoring_finished, timeout=TIMEOUT_MS) as finished:
        window.workbench.score(sample.id)
    window.analyst_jobs.updated.disconnect(cancel_from_the_popup)
    idle(window, qtbot)
    assert finished.args == [False]
    (job_id,) = clicked
    assert outcomes[job_id] == "cancelled"  # the worker stopped at its next stage
    assert window.workspace.runs.runs(sample.id) == []  # and wrote no run
    assert window.workspace.campaigns.get(sample.id).current_run_id is None
    (row,) = popup.rows()
    assert row.status.text() == "Cancelled"
    assert not row.cancel_button.isVisible()
    assert dock_rows(window) == [(f"Scoring {SAMPLE_CAMPAIGN}", "Cancelled")]
    popup.close()


@OFFSCREEN_POPUP
def test_bookkeeping_never_appears_in_the_indicator_popup_or_dock(
    window: MainWindow, qtbot: QtBot
) -> None:
    sample = start(window, qtbot)
    window.activity.show()
    started: list[str] = []
    window.registry.job_added.connect(lambda _id, title: started.append(title))
    finished: list[str] = []
    window.registry.job_finished.connect(lambda _id, outcome: finished.append(outcome))
    shown: list[str] = []
    window.analyst_jobs.added.connect(shown.append)

    # Loads after selecting a campaign, a refresh replaced by a newer one, a status check.
    window.campaigns_panel.select_campaign(sample.id)
    window.refresh_campaigns()
    window.refresh_campaigns()
    window.assistant.refresh_status()
    idle(window, qtbot)
    assert {"Loading results", "Loading campaigns"} <= set(started)
    assert "superseded" in finished

    assert shown == []
    assert dock_rows(window) == []
    assert not window.jobs_indicator.isVisible()
    window.show_jobs_action.trigger()  # the popup opens anyway: it says there is nothing
    popup = window.jobs_indicator.popup
    assert popup.isVisible()
    assert popup.rows() == []
    assert popup.empty.isVisible()
    popup.close()

    # An analyst job replaced by a newer request of its kind vanishes instead of saying so.
    older, newer = WaitsForCancel(), WaitsForCancel()
    older_id = window.registry.start(older, key="wait")
    assert older.entered.wait(TIMEOUT_MS / 1000)
    newer_id = window.registry.start(newer, key="wait")
    qtbot.waitUntil(lambda: window.analyst_jobs.job(older_id) is None, timeout=TIMEOUT_MS)
    assert [job.job_id for job in window.analyst_jobs.listed()] == [newer_id]
    assert dock_rows(window) == [("Waiting for the analyst", "Running")]
    window.registry.cancel(newer_id)
    idle(window, qtbot)
    texts = [status for _title, status in dock_rows(window)]
    assert texts == ["Cancelled"]
    assert not any("newer request" in text for text in texts)


@OFFSCREEN_POPUP
def test_a_failed_job_says_so_until_the_popup_is_opened(window: MainWindow, qtbot: QtBot) -> None:
    start(window, qtbot)
    nothing = window.workspace.campaigns.create("Nothing attached", settings=SAMPLE_SETTINGS)
    with qtbot.waitSignal(window.campaigns_loaded, timeout=TIMEOUT_MS):
        window.refresh_campaigns()  # the workbench names the job after the listed campaign
    with qtbot.waitSignal(window.error_reported, timeout=TIMEOUT_MS) as reported:
        window.workbench.score(nothing.id)
    idle(window, qtbot)
    (info,) = reported.args
    assert isinstance(info, ErrorInfo)
    for dialog in QApplication.topLevelWidgets():
        if dialog is not window and dialog.isVisible() and dialog.windowTitle().endswith("failed"):
            dialog.close()
    indicator = window.jobs_indicator
    assert indicator.text == "Scoring Nothing attached failed"
    assert not indicator.button.icon().isNull()  # a warning sign beside it
    indicator.open_popup()
    (row,) = indicator.popup.rows()
    assert row.status.text() == f"Failed: {info.message}"
    indicator.popup.close()
    assert indicator.text == "Recent jobs"  # seen


def test_a_failure_handled_by_its_starter_still_lists_its_message(
    window: MainWindow, qtbot: QtBot
) -> None:
    def refuse() -> None:
        raise CaliberError("The campaign name is already taken.")

    errors: list[ErrorInfo] = []
    window.registry.start(
        FunctionWorker(refuse, title="Renaming a campaign", for_analyst=True),
        on_error=errors.append,
    )
    idle(window, qtbot)
    assert len(errors) == 1
    assert dock_rows(window) == [
        ("Renaming a campaign", "Failed: The campaign name is already taken.")
    ]


def test_the_dock_is_hidden_by_default_and_after_restoring_an_old_saved_state(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    first = MainWindow(workspace, registry)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    assert not first.activity.isVisible()
    # What the previous version saved: geometry and dock state with the jobs dock open (it
    # always was), and no key of this version's.
    first.activity.show()
    first.layout_keeper.save()
    first.hide()
    settings = QSettings(str(workspace.paths.qt_state), QSettings.Format.IniFormat)
    assert not settings.contains(JOBS_DOCK_KEY)
    saved = settings.value(STATE_KEY)
    assert isinstance(saved, QByteArray)

    second = MainWindow(workspace, registry)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert not second.activity.isVisible()
    assert not second.activity.toggleViewAction().isChecked()
    # The state itself would have opened it: the window's own restore kept it closed.
    assert second.restoreState(saved, STATE_VERSION)
    assert second.activity.isVisible()


@OFFSCREEN_POPUP
def test_the_indicator_is_reachable_and_activatable_by_keyboard(
    window: MainWindow, qtbot: QtBot
) -> None:
    indicator = window.jobs_indicator
    button = indicator.button
    assert button.accessibleName() == "Background jobs"
    window.show()
    qtbot.waitExposed(window)
    worker = WaitsForCancel()
    job_id = window.registry.start(worker)
    assert worker.entered.wait(TIMEOUT_MS / 1000)
    qtbot.waitUntil(lambda: indicator.isVisible(), timeout=TIMEOUT_MS)
    assert button.accessibleDescription() == "Waiting for the analyst…"

    # Tab reaches it: it is in the window's focus chain and takes focus from the keyboard.
    chain: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not window and widget not in chain:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    assert button in chain
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus

    # Space opens the popup with its Cancel focused; Escape closes it and gives focus back.
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(button, Qt.Key.Key_Space)
    popup = indicator.popup
    qtbot.waitUntil(popup.isVisible, timeout=TIMEOUT_MS)
    (row,) = popup.rows()
    assert row.cancel_button.hasFocus()
    assert row.cancel_button.accessibleName() == "Cancel Waiting for the analyst"
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=TIMEOUT_MS)
    assert window.focusWidget() is button

    # Ctrl+J (View › Show Background Jobs) opens it too; Space on the focused Cancel stops the job.
    window.show_jobs_action.trigger()
    qtbot.waitUntil(popup.isVisible, timeout=TIMEOUT_MS)
    qtbot.keyClick(row.cancel_button, Qt.Key.Key_Space)
    idle(window, qtbot)
    assert worker.cancelled
    assert window.analyst_jobs.job(job_id) is not None
    assert window.analyst_jobs.job(job_id).state is JobState.CANCELLED  # type: ignore[union-attr]
    popup.close()


@OFFSCREEN_POPUP
def test_several_jobs_are_counted_and_the_popup_lists_each(
    window: MainWindow, qtbot: QtBot
) -> None:
    first, second = WaitsForCancel(), WaitsForCancel()
    second.title = "Writing the PDF report"
    first_id = window.registry.start(first)
    assert first.entered.wait(TIMEOUT_MS / 1000)
    second_id = window.registry.start(second)
    assert second.entered.wait(TIMEOUT_MS / 1000)
    indicator = window.jobs_indicator
    qtbot.waitUntil(
        lambda: indicator.text == "Waiting for the analyst… (+1 more)", timeout=TIMEOUT_MS
    )
    indicator.open_popup()
    titles = [row.title.text() for row in indicator.popup.rows()]
    assert titles == ["Writing the PDF report", "Waiting for the analyst"]  # newest first
    window.registry.cancel(second_id)
    qtbot.waitUntil(lambda: indicator.text == "Waiting for the analyst…", timeout=TIMEOUT_MS)
    window.registry.cancel(first_id)
    idle(window, qtbot)
    assert indicator.text == "Recent jobs"
    statuses = [row.status.text() for row in indicator.popup.rows()]
    assert statuses == ["Cancelled", "Cancelled"]
    indicator.popup.close()
