"""Steps GUI tests take with the real main window: wait for its jobs, score the sample, open a site.

One copy, so a change to how the window starts or loads a run is followed in one place.
"""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QDockWidget
from pytestqt.qtbot import QtBot

from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.workers.base import Worker
from caliber_desktop.workers.lanes import Lane

#: Long enough for scoring the 20,000-row sample on a busy 2-core CI machine.
TIMEOUT = 60_000


def idle(window: MainWindow, qtbot: QtBot, timeout: int = TIMEOUT) -> None:
    """Wait until no job of the window's registry runs."""
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=timeout)


def start(window: MainWindow, qtbot: QtBot) -> None:
    """Show the window and run its start-up as the app does."""
    window.show()
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT):
        window.start_up()
    idle(window, qtbot)


def score_sample(window: MainWindow, qtbot: QtBot) -> int:
    """Score the sample campaign in a started window and wait for its results; its id."""
    window.try_sample()
    qtbot.waitUntil(lambda: window.workbench.loaded is not None, timeout=TIMEOUT)
    idle(window, qtbot)
    loaded = window.workbench.loaded
    assert loaded is not None
    return loaded.campaign_id


def open_scored_sample(window: MainWindow, qtbot: QtBot) -> int:
    """Start the window and score the sample campaign; its id."""
    start(window, qtbot)
    return score_sample(window, qtbot)


def open_first_site(window: MainWindow, qtbot: QtBot) -> None:
    """Select the results table's first row and wait for the Site detail to show it."""
    view = window.results_panel.view
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.waitUntil(lambda: window.detail_panel.name_label.text() != "", timeout=TIMEOUT)
    idle(window, qtbot)


def show_dock(window: MainWindow, dock: QDockWidget, qtbot: QtBot) -> None:
    """Raise a tabbed dock; its panel loads what it shows (once) when it becomes visible."""
    dock.raise_()
    panel = dock.widget()
    qtbot.waitUntil(lambda: panel.isVisible() and not panel._stale, timeout=TIMEOUT)
    idle(window, qtbot)


class WaitsForCancel(Worker):
    """An analyst's job that runs until it is cancelled (at most ``TIMEOUT``)."""

    title = "Waiting for the analyst"
    lane = Lane.CPU  # several run at once (the DB lane would queue them)
    for_analyst = True
    cancellable = True

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()

    def work(self) -> object:
        self.entered.set()
        self.token.wait(TIMEOUT / 1000)
        self.token.raise_if_cancelled()
        return None
