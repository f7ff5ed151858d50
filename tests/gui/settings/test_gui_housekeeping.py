"""File › Clean Up Data Folder… (on workers, after asking), the start-up clean-up, the setting."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import caliber_desktop.workers.housekeeping as housekeeping_jobs
from caliber_desktop.config import Settings
from caliber_desktop.services.maintenance import housekeeping
from caliber_desktop.services.maintenance.housekeeping import CleanReport
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.settings.dialog import SettingsDialog
from caliber_desktop.ui.settings.housekeeping import HousekeepingBox
from caliber_desktop.workers.lanes import DB_LANE_NAME

TIMEOUT_MS = 10_000


def old_export(window: MainWindow, name: str = "lists.csv", size: int = 2048) -> Path:
    path = window.workspace.paths.exports / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (0, 0))  # 1970: older than any limit
    return path


def start(window: MainWindow, qtbot: QtBot) -> None:
    window.show()
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT_MS):
        window.start_up()
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT_MS)


def test_the_action_asks_then_cleans_on_a_worker(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = old_export(window)
    keeper = window.housekeeper
    threads: list[str] = []
    pools: list[str] = []
    real_clean = housekeeping.clean

    def spy(*args: Any, **kwargs: Any) -> CleanReport:
        threads.append(threading.current_thread().name)
        pools.append(QThread.currentThread().objectName())
        return real_clean(*args, **kwargs)

    monkeypatch.setattr(housekeeping_jobs, "clean", spy)
    assert window.actions_.clean_up in window.menuBar().actions()[0].menu().actions()

    with qtbot.waitSignal(keeper.cleaned, timeout=TIMEOUT_MS) as looked:
        window.actions_.clean_up.trigger()
    dry = looked.args[0]
    assert isinstance(dry, CleanReport)
    assert dry.dry_run
    assert dry.count == 1
    assert path.exists()  # nothing goes before the analyst says so
    box = keeper.confirm_box
    assert box is not None
    assert "Would remove 1 old export (2.0 KB)" in box.text()
    assert "lists.csv" in box.detailedText()

    remove = next(b for b in box.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(keeper.cleaned, timeout=TIMEOUT_MS) as done:
        remove.click()
    report = done.args[0]
    assert not report.dry_run
    assert report.count == 1
    assert not path.exists()
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT_MS)
    assert threading.main_thread().name not in threads
    assert len(threads) == 2
    assert pools == [DB_LANE_NAME, DB_LANE_NAME]  # never racing an import's upload rows
    result = keeper.result_box
    assert result is not None
    assert result.windowTitle() == "Data folder cleaned up"
    assert result.text() == "Removed 1 old export (2.0 KB)."
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "Removed 1 old export (2.0 KB).",
        timeout=TIMEOUT_MS,
    )
    result.close()


def test_cancel_removes_nothing(window: MainWindow, qtbot: QtBot) -> None:
    path = old_export(window)
    keeper = window.housekeeper
    with qtbot.waitSignal(keeper.cleaned, timeout=TIMEOUT_MS):
        window.actions_.clean_up.trigger()
    box = keeper.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: keeper.confirm_box is None, timeout=TIMEOUT_MS)
    assert window.registry.running_count() == 0
    assert path.exists()


def test_nothing_to_clean_says_so(window: MainWindow, qtbot: QtBot) -> None:
    keeper = window.housekeeper
    with qtbot.waitSignal(keeper.cleaned, timeout=TIMEOUT_MS):
        window.actions_.clean_up.trigger()
    assert keeper.confirm_box is None
    box = keeper.result_box
    assert box is not None
    assert box.windowTitle() == "Nothing to clean up"
    assert "older than 30 days" in box.text()
    box.close()


def test_start_up_cleans_when_the_setting_is_on(window: MainWindow, qtbot: QtBot) -> None:
    assert window.workspace.settings.housekeeping.clean_on_startup  # the default
    path = old_export(window)
    keep = window.workspace.paths.exports / "today.csv"
    keep.write_bytes(b"new")
    reports: list[object] = []
    window.housekeeper.cleaned.connect(reports.append)
    start(window, qtbot)
    assert not path.exists()
    assert keep.exists()
    assert len(reports) == 1
    assert isinstance(reports[0], CleanReport)
    assert reports[0].count == 1
    assert window.housekeeper.result_box is None  # quiet: no dialog at start-up
    qtbot.waitUntil(
        lambda: (
            window.statusBar().currentMessage()
            == "Cleaned up the data folder: Removed 1 old export (2.0 KB)."
        ),
        timeout=TIMEOUT_MS,
    )


def test_start_up_leaves_files_alone_when_the_setting_is_off(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.workspace.settings.housekeeping.clean_on_startup = False
    path = old_export(window)
    reports: list[object] = []
    window.housekeeper.cleaned.connect(reports.append)
    start(window, qtbot)
    assert path.exists()
    assert reports == []


def test_the_settings_dialog_edits_the_clean_up_settings(qtbot: QtBot, tmp_path: Path) -> None:
    settings = Settings()
    dialog = SettingsDialog(settings, tmp_path)
    qtbot.addWidget(dialog)
    box = dialog.findChild(HousekeepingBox)
    assert box is not None
    assert box.on_startup.isChecked()
    assert box.max_age.value() == 30
    box.on_startup.setChecked(False)
    box.max_age.setValue(7)
    result = dialog.result_settings()
    assert result.housekeeping.clean_on_startup is False
    assert result.housekeeping.export_max_age_days == 7
    assert settings.housekeeping.clean_on_startup is True  # the original is untouched
