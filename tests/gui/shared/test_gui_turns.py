"""Turns: GUI-thread work in steps, each painted before the next, and the staged show of a run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from support.window_steps import TIMEOUT, idle, open_scored_sample

from caliber_desktop.ui.mainwindow import window as window_module
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.turns import PAINT_WAIT_MS, Turns


class Painted(QWidget):
    """A window that counts its paints."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        self.paints += 1


@pytest.fixture
def painted(qtbot: QtBot) -> Painted:
    widget = Painted()
    qtbot.addWidget(widget)
    widget.resize(200, 100)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.paints > 0)
    return widget


def test_each_step_runs_after_the_window_painted_the_one_before(
    painted: Painted, qtbot: QtBot
) -> None:
    turns = Turns(painted)
    seen: list[tuple[str, int]] = []

    def step(name: str) -> None:
        seen.append((name, painted.paints))
        painted.update()  # as a step that changes what is shown

    turns.run([lambda: step("page"), lambda: step("results"), lambda: step("lists")])
    assert [name for name, _ in seen] == ["page"]  # the first at once, the others later
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=2000)
    assert [name for name, _ in seen] == ["page", "results", "lists"]
    paints = [count for _, count in seen]
    assert paints[0] < paints[1] < paints[2]  # a paint between every two steps


def test_a_step_that_paints_nothing_does_not_hold_up_the_rest(
    painted: Painted, qtbot: QtBot
) -> None:
    turns = Turns(painted)
    seen: list[int] = []
    turns.run([lambda: seen.append(1), lambda: seen.append(2), lambda: seen.append(3)])
    qtbot.waitUntil(lambda: seen == [1, 2, 3], timeout=20 * PAINT_WAIT_MS)
    assert not turns.pending()


def test_new_steps_replace_those_still_waiting_and_finish_runs_them_now(
    painted: Painted, qtbot: QtBot
) -> None:
    turns = Turns(painted)
    seen: list[str] = []
    turns.run([lambda: seen.append("old run"), lambda: seen.append("old lists")])
    turns.run([lambda: seen.append("new run"), lambda: seen.append("new lists")])
    assert turns.pending()
    turns.finish()
    assert seen == ["old run", "new run", "new lists"]
    qtbot.wait(3 * PAINT_WAIT_MS)
    assert seen == ["old run", "new run", "new lists"]  # the old lists never come
    turns.run([lambda: seen.append("a"), lambda: seen.append("b")])
    turns.cancel()
    qtbot.wait(3 * PAINT_WAIT_MS)
    assert seen[-1] == "a"


def test_a_big_run_is_shown_in_steps_and_whole_in_the_end(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above STAGED_SITES the page, the results and the lists come one paint apart; the lists
    panel then shows the run's lists as an unstaged show does."""
    open_scored_sample(window, qtbot)
    loaded = window.workbench.loaded
    assert loaded is not None
    assert loaded.prepared_lists is not None
    window.clear_results()
    assert window.lists_panel.prepared is None
    monkeypatch.setattr(window_module, "STAGED_SITES", 10)
    paints = PaintCounter(window)
    steps: list[tuple[str, int]] = []
    for name, owner, method in (
        ("results", window.results_panel, "set_result"),
        ("lists", window.lists_panel, "set_lists"),
    ):
        real = getattr(owner, method)

        def recorded(*args: object, _real=real, _name=name, **kwargs: object) -> None:
            steps.append((_name, paints.count))
            _real(*args, **kwargs)

        monkeypatch.setattr(owner, method, recorded)
    before = paints.count
    window.show_run(loaded)
    assert window.pages.currentWidget() is window.results_panel  # the page at once
    assert steps == []  # its rows and the lists after paints
    qtbot.waitUntil(lambda: window.lists_panel.prepared is loaded.prepared_lists, timeout=TIMEOUT)
    assert [name for name, _ in steps] == ["results", "lists"]
    assert before < steps[0][1] < steps[1][1]  # the window painted before each step
    assert window.results_panel.model.rowCount() == len(loaded.result.sites)
    idle(window, qtbot)


class PaintCounter(QObject):
    """Counts the paints of a window (its update requests)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.count = 0
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.UpdateRequest:
            self.count += 1
        return False
