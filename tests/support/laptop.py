"""Is the main window usable at a laptop size? One check, for a test and for a child process.

:func:`layout_problems` says, in sentences, what is wrong with a window showing a scored run and a
site: it does not fit the size, a decision column (Site, Score, Recommendation, Impressions,
Spend) is hidden or needs sideways scrolling, or some text is clipped (``support.clipping``).

Run as a module (``python -m support.laptop`` with ``tests`` on the path) it starts the real
window the way the app does on whatever screen Qt was given — no resize, so the first-run layout
is what is checked — scores the sample, opens the first site and prints the problems as JSON.
The 150 % test runs it with ``QT_SCALE_FACTOR=1.5`` on a 1920×1080 offscreen screen.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication
from support.clipping import clipped_text, describe

from caliber_desktop.ui.mainwindow.window import MainWindow

#: The columns an analyst decides with: on screen without scrolling sideways.
MUST_SHOW = ("site_id", "score", "recommendation", "impressions", "spend")


def layout_problems(window: MainWindow, size: tuple[int, int]) -> list[str]:
    """Everything wrong with the window at ``size`` (logical px), as sentences; empty: it fits."""
    width, height = size
    problems = []
    hint = window.minimumSizeHint()
    if hint.width() > width or hint.height() > height:
        problems.append(f"the window needs at least {hint.width()}×{hint.height()}")
    if (window.width(), window.height()) != size:
        problems.append(f"the window is {window.width()}×{window.height()}, not {width}×{height}")
    panel = window.results_panel
    view = panel.view
    if not view.isVisible():
        problems.append("the results table is not shown")
    room = view.viewport().width()
    for key in MUST_SHOW:
        column = panel.model.column_of(key)
        if column < 0 or view.isColumnHidden(column):
            problems.append(f"the {key} column is hidden")
            continue
        left = view.columnViewportPosition(column)
        right = left + view.columnWidth(column)
        if left < 0 or right > room:
            problems.append(f"the {key} column spans {left}–{right} px of a {room} px table")
    clipped = clipped_text(window)
    if clipped:
        problems.append(describe(clipped))
    return problems


# --------------------------------------------------------------------------- child process


def _pump(app: QApplication, seconds: float, until: Callable[[], bool]) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if until():
            return True
        time.sleep(0.01)
    return until()


def main() -> int:
    """Open the scored sample in a first-run window on this screen; print what is wrong."""
    from caliber_desktop.app import _application
    from caliber_desktop.services.workspace import open_workspace
    from caliber_desktop.workers.registry import WorkerRegistry

    app = _application([])
    workspace = open_workspace()
    registry = WorkerRegistry()
    window = MainWindow(workspace, registry)
    window.show()
    window.start_up()
    idle = registry.running_count
    report: dict[str, object] = {}
    try:
        if not _pump(app, 60, lambda: window.startup_complete and idle() == 0):
            report["error"] = "start-up did not finish"
            return 1
        window.try_sample()
        if not _pump(app, 120, lambda: window.workbench.loaded is not None and idle() == 0):
            report["error"] = "the sample was not scored"
            return 1
        view = window.results_panel.view
        view.setCurrentIndex(view.model().index(0, 0))
        _pump(app, 60, lambda: bool(window.detail_panel.name_label.text()) and idle() == 0)
        _pump(app, 0.5, lambda: False)  # docks and splitters settle
        screen = window.screen()
        available = screen.availableGeometry()
        frame = window.frameGeometry()
        report.update(
            screen=[available.width(), available.height()],
            ratio=screen.devicePixelRatio(),
            frame=[frame.width(), frame.height()],
            problems=layout_problems(window, (window.width(), window.height())),
        )
        return 0
    finally:
        print(json.dumps(report, ensure_ascii=False))
        window.close()
        registry.shutdown(5000)
        workspace.close()


if __name__ == "__main__":
    sys.exit(main())
