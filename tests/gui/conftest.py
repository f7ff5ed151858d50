"""GUI tests (pytest-qt, offscreen): a registry per test and a guard against leftover work.

Every test here runs with a QApplication (pytest-qt's ``qapp``). The guard fails a test that
returns while a job is still running on the global pool or the DB lane: such a job would finish
inside the *next* test, against a data dir that is already gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.openai_server import OpenAIServer, use_server
from support.window_steps import idle, open_scored_sample

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.collector import GuiThreadCollector
from caliber_desktop.workers.registry import WorkerRegistry, db_lane

#: Time a pool thread may still need after its job's ``finished`` arrived (it is returning).
GRACE_MS = 250
#: How long the guard waits for leftover work before failing, so the next test starts clean.
SETTLE_MS = 5000

#: The offscreen platform plugin warns for every main window it shows; real platforms do not.
OFFSCREEN_NOISE = r"^This plugin does not support propagateSizeHints\(\)$"

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def no_leftover_pool_work(
    qapp: QApplication, gui_thread_collector: GuiThreadCollector | None
) -> Iterator[None]:
    """Fail the test if it left jobs running on the global pool or the DB lane."""
    yield
    leftovers = []
    for name, pool in (("global pool", QThreadPool.globalInstance()), ("DB lane", db_lane())):
        if pool.waitForDone(GRACE_MS):
            continue
        active = pool.activeThreadCount()
        pool.waitForDone(SETTLE_MS)
        leftovers.append(f"{name}: {active} thread(s) still busy {GRACE_MS} ms after the test")
    for name, pool in (("global pool", QThreadPool.globalInstance()), ("DB lane", db_lane())):
        assert pool.activeThreadCount() == 0, f"{name} did not settle within {SETTLE_MS} ms"
    assert not leftovers, "the test left work running: " + "; ".join(leftovers)


@pytest.fixture
def registry(qapp: QApplication) -> WorkerRegistry:
    # Deliberately no cancel/wait at teardown: a test must wait for its own jobs, and the guard
    # above catches one that does not.
    return WorkerRegistry()


@pytest.fixture
def window(workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot) -> MainWindow:
    win = MainWindow(workspace, registry)
    qtbot.addWidget(win)
    return win


@pytest.fixture
def ai_window(
    window: MainWindow,
    workspace: Workspace,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> Iterator[MainWindow]:
    """The window with the sample scored and a key: the model (the local server) answers."""
    use_server(workspace, openai_server, monkeypatch, key=True)
    open_scored_sample(window, qtbot)
    yield window
    idle(window, qtbot)


@pytest.fixture(scope="module")
def result(shared_data: Path) -> ScoreResult:
    """The display awareness sample scored, once per test module (the panels' tests read it)."""
    return score_file(
        shared_data / "ttd_display_awareness_sample.csv", ScoreRequest(goal=Goal.AWARENESS)
    ).result
