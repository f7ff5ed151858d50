"""The window on a laptop: 1366×768, 1280×800 and 1280×720 (a 1920×1080 screen at 150 %).

With the sample campaign scored and a site open, the window must fit the screen, the results
table must show Site, Score, Recommendation, Impressions and Spend without scrolling, and no
label, button or column title may be cut off (``support.laptop`` and ``support.clipping``).
The 150 % case also runs in a child process with ``QT_SCALE_FACTOR=1.5`` on a 1920×1080
offscreen screen, where the first-run layout (maximised on a screen that small) is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from support.clipping import clipped_text
from support.laptop import layout_problems
from support.paths import REPO
from support.window_steps import open_first_site, score_sample, start

from caliber_desktop.config import HOME_ENV
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.layout import STATE_KEY, STATE_VERSION
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.ui.shared.campaign_models import CampaignListModel
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT = 60_000
LAPTOPS = [(1366, 768), (1280, 800), (1280, 720)]
CHILD_TIMEOUT_S = 300
#: The saved-layout version of the window before it was laptop-first (docks too wide).
CRAMPED_STATE_VERSION = 3


def open_scored_sample(
    window: MainWindow, qtbot: QtBot, size: tuple[int, int]
) -> dict[str, list[str]]:
    """Start at ``size`` (a first run), score the sample and open its first site; what the
    start page (before scoring) clipped at each laptop size."""
    window.setWindowState(Qt.WindowState.WindowNoState)  # the small offscreen screen maximises
    window.resize(*size)
    start(window, qtbot)
    welcome = {}
    for laptop in LAPTOPS:
        settle(window, laptop)
        if clipped := clipped_text(window):
            welcome[f"start page at {laptop[0]}×{laptop[1]}"] = [str(c) for c in clipped]
    settle(window, size)
    score_sample(window, qtbot)
    open_first_site(window, qtbot)
    return welcome


def settle(window: MainWindow, size: tuple[int, int]) -> None:
    window.resize(*size)
    for _ in range(5):  # docks, splitters and wrapped labels settle over a few passes
        QApplication.processEvents()


def test_laptop_sizes_show_the_decision_columns_and_no_clipped_text(
    window: MainWindow, qtbot: QtBot
) -> None:
    found = open_scored_sample(window, qtbot, LAPTOPS[0])
    for size in LAPTOPS:
        settle(window, size)
        problems = layout_problems(window, size)
        if problems:
            found[f"{size[0]}×{size[1]}"] = problems
    # The other tabs of the right-hand dock at the smallest size.
    docks = window.assistant
    for dock in (window.lists_dock, docks.insights_dock, docks.chat_dock):
        dock.raise_()
        settle(window, LAPTOPS[-1])
        problems = layout_problems(window, LAPTOPS[-1])
        if problems:
            found[f"{dock.windowTitle()} at 1280×720"] = problems
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
    # The campaigns dock shows a status dot, its word in the tooltip (not "Co" for Completed).
    table = window.campaigns_panel.table
    status = table.model().index(0, CampaignListModel.STATUS)
    assert status.data(Qt.ItemDataRole.DisplayRole) is None
    assert status.data(Qt.ItemDataRole.DecorationRole) is not None
    assert status.data(Qt.ItemDataRole.ToolTipRole) == "Completed"
    name = table.model().index(0, CampaignListModel.NAME)
    assert name.data(Qt.ItemDataRole.DisplayRole) in name.data(Qt.ItemDataRole.ToolTipRole)


def test_150_percent_on_a_1080p_screen_first_run(tmp_path: Path) -> None:
    """A real first run at 150 %: the offscreen platform given a 1920×1080 screen, Qt scaling
    by 1.5, so the window lays out in 1280×720 logical pixels and paints 1920×1080."""
    screen = tmp_path / "screen.json"
    laptop = {"name": "Laptop", "x": 0, "y": 0, "width": 1920, "height": 1080, "dpr": 1}
    screen.write_text(json.dumps({"screens": [laptop]}), encoding="utf-8")
    env = {
        **os.environ,
        HOME_ENV: str(tmp_path / "caliber-home"),
        "HOME": str(tmp_path / "user-home"),
        "USERPROFILE": str(tmp_path / "user-home"),
        "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
        "QT_SCALE_FACTOR": "1.5",
        "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    env.pop("QT_ENABLE_HIGHDPI_SCALING", None)
    child = subprocess.run(
        [sys.executable, "-m", "support.laptop"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    assert child.returncode == 0, child.stdout + child.stderr
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["ratio"] == 1.5
    assert report["screen"] == [1280, 720]
    # Maximised on a screen this small (a device pixel of frame rounds to under one logical one).
    assert all(abs(got - full) <= 1 for got, full in zip(report["frame"], [1280, 720], strict=True))
    assert not report["problems"], "\n".join(report["problems"])


# ------------------------------------------------------------------ the Name column


def test_name_shows_only_where_it_differs_from_the_site(qtbot: QtBot, result: ScoreResult) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    model, sites = panel.model, result.sites
    name = model.column_of("display_name")
    assert not panel.view.isColumnHidden(name)  # the sample lists some sites under a subdomain
    texts = {model.site_id(r): model.index(r, name).data() for r in range(model.rowCount())}
    differs = sites["display_name"].astype(str) != sites.index.astype(str)
    assert differs.any()
    assert not differs.all()
    for site_id, shown in texts.items():
        listed = str(sites.loc[site_id, "display_name"])
        assert shown == ("" if listed == site_id else listed)
    # A long site or name is elided in a narrow column: its tooltip starts with the whole text.
    site = model.column_of("site_id")
    for row in range(20):
        tip = model.index(row, site).data(Qt.ItemDataRole.ToolTipRole)
        assert tip.split("\n")[0] == model.site_id(row)


def test_name_is_hidden_when_no_site_has_another_name(qtbot: QtBot, result: ScoreResult) -> None:
    sites = result.sites.copy()
    sites["display_name"] = sites.index.astype(str).to_numpy(dtype=object)
    same = ScoreResult(**{**result.__dict__, "sites": sites})
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(same)
    assert panel.view.isColumnHidden(panel.model.column_of("display_name"))
    column = panel.model.column_of("display_name")
    assert all(panel.model.index(r, column).data() == "" for r in range(10))
    assert np.all(sites["display_name"] == sites.index)


# ------------------------------------------------------------------ saved layouts


def test_an_older_saved_layout_is_not_restored(
    workspace: Workspace, registry: WorkerRegistry, qtbot: QtBot
) -> None:
    """A layout saved by the previous version (docks too wide for a laptop) gives way to the
    laptop-first one; a layout saved by this version comes back."""
    first = MainWindow(workspace, registry)
    qtbot.addWidget(first)
    settings = QSettings(str(workspace.paths.qt_state), QSettings.Format.IniFormat)
    settings.setValue(STATE_KEY, first.saveState(CRAMPED_STATE_VERSION))
    settings.sync()
    older = MainWindow(workspace, registry)
    qtbot.addWidget(older)
    assert STATE_VERSION != CRAMPED_STATE_VERSION
    assert older.layout_keeper.first_layout  # the old state was refused: first-run proportions
    older.save_window_state()
    saved = QSettings(str(workspace.paths.qt_state), QSettings.Format.IniFormat).value(STATE_KEY)
    assert isinstance(saved, QByteArray)
    again = MainWindow(workspace, registry)
    qtbot.addWidget(again)
    assert not again.layout_keeper.first_layout
