"""Cycles are collected on the GUI thread only, however much a worker allocates.

A collection on a worker destroys Qt objects off the GUI thread; with the GUI thread deleting a
closed menu at the same time, the two deadlocked (Qt's signal-slot mutex against the interpreter
lock) and the window froze for good. ``gc.callbacks`` records the thread of every collection.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot
from support.window_steps import open_scored_sample

from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.collector import GuiThreadCollector


@pytest.fixture
def collecting_threads() -> Iterator[list[str]]:
    """The name of the thread each collection started on, while the test runs."""
    threads: list[str] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(record)
    yield threads
    gc.callbacks.remove(record)


def test_scoring_in_the_window_collects_on_the_gui_thread_only(
    window: MainWindow, qtbot: QtBot, collecting_threads: list[str]
) -> None:
    """The sample (under the child's 16 MiB) is scored by a pool worker, in-process: it reads,
    sums and scores 20,000 rows and releases the reader's memory, and never collects."""
    open_scored_sample(window, qtbot)
    assert window.workbench.loaded is not None
    assert set(collecting_threads) <= {threading.main_thread().name}


def test_the_collector_takes_over_from_python_and_gives_collection_back(
    qtbot: QtBot, gui_thread_collector: GuiThreadCollector, collecting_threads: list[str]
) -> None:
    assert not gc.isenabled()
    owner = QObject()
    cycle: list[object] = [owner]
    cycle.append(cycle)
    # a worker allocating well past the thresholds: Python would collect on it; now nobody does
    kept: list[list[int]] = []
    worker = threading.Thread(target=lambda: kept.extend([i] for i in range(50_000)))
    worker.start()
    worker.join()
    assert collecting_threads == []
    del owner, cycle
    qtbot.waitUntil(lambda: gui_thread_collector.collections[0] > 0, timeout=5000)
    assert set(collecting_threads) == {threading.main_thread().name}
    gui_thread_collector.stop()
    assert gc.isenabled()
