"""The lists panel adopts lists prepared off the GUI thread (issue 17) and shows exactly what it
showed when it computed them itself: the members in the same order, every cell and role, the tab
counts, the impacts, the files line. Its data-sized columns get the widths ``ResizeToContents``
gave them, measured on a few rows instead of 1,000 per column."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView
from pytestqt.qtbot import QtBot
from support.window_steps import TIMEOUT, idle, open_scored_sample

from caliber_desktop.services.runs.facts import list_cell
from caliber_desktop.services.scoring.lists import ListName, Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.lists.panel import ListsPanel, impact_sentence, summary_text
from caliber_desktop.ui.lists.prepared import (
    LIST_NAMES,
    SIZED_COLUMNS,
    PreparedLists,
    prepare_lists,
)
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.list_members_model import (
    TEXT_SLICE_ROWS,
    ListMembersModel,
    text_array,
)
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE
from caliber_desktop.workers import scoring

ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.TextAlignmentRole,
    SITE_ID_ROLE,
    PINNED_ROLE,
)


@pytest.fixture
def lists(result: ScoreResult) -> SiteLists:
    """The sample's lists with a pin each way (one with a reason, one without)."""
    sites = result.sites
    monitor = sites.index[sites["recommendation"] == "monitor"]
    pins = {
        str(sites.index[0]): Override("block", "brand safety"),
        str(monitor[0]): Override("allow", ""),
    }
    return build_lists(sites, pins)


def prepared_on_a_thread(lists: SiteLists, *, vendor_level: bool = False) -> PreparedLists:
    """As the loading worker does: made on another thread than the GUI's."""
    made: list[PreparedLists] = []
    thread = threading.Thread(
        target=lambda: made.append(prepare_lists(lists, vendor_level=vendor_level))
    )
    thread.start()
    thread.join()
    return made[0]


def gui_thread_model(lists: SiteLists, name: ListName) -> ListMembersModel:
    """The members as the panel built them on the GUI thread: the frame, sorted by the view."""
    model = ListMembersModel()
    model.set_frame(lists.members(name))
    model.sort(ListMembersModel.IMPRESSIONS, Qt.SortOrder.DescendingOrder)
    return model


def cells(model: ListMembersModel) -> list[tuple[Any, ...]]:
    """Every cell of every row in view order, in every role the model answers."""

    def plain(value: Any) -> Any:
        return value.toString() if isinstance(value, QFont) else value

    return [
        tuple(
            plain(model.index(row, column).data(role))
            for column in range(model.columnCount())
            for role in ROLES
        )
        for row in range(model.rowCount())
    ]


def old_files_line(lists: SiteLists, *, vendor_level: bool) -> str:
    """The files line as it was: the line breaks of each file's text, counted."""
    texts = lists.files(level_vendor=vendor_level)
    return summary_text(
        {name: text.count("\n") for name, text in texts.items()}, vendor_level=vendor_level
    )


@pytest.mark.parametrize("vendor_level", [False, True])
def test_lists_prepared_off_the_gui_thread_show_what_the_gui_thread_computed(
    qtbot: QtBot, lists: SiteLists, vendor_level: bool
) -> None:
    panel = ListsPanel()
    qtbot.addWidget(panel)
    panel.set_lists(
        lists,
        vendor_level=vendor_level,
        prepared=prepared_on_a_thread(lists, vendor_level=vendor_level),
    )
    for index, name in enumerate(LIST_NAMES):
        page = panel.pages[name]
        expected = gui_thread_model(lists, name)
        assert page.model.rowCount() == len(lists.members(name)) > 0
        assert cells(page.model) == cells(expected), name
        title = f"{list_cell(name)} ({len(lists.members(name)):,})"
        assert panel.tabs.tabText(index) == title
        assert panel.tabs.tabToolTip(index).startswith(f"{title}: ")
        assert page.impact_label.text() == impact_sentence(lists.impact[name])
    assert panel.files_label.text() == old_files_line(lists, vendor_level=vendor_level)
    for pinned_to in ("block", "allow"):  # each list holds its pin
        model = panel.pages[pinned_to].model
        assert any(model.index(r, 0).data(PINNED_ROLE) for r in range(model.rowCount()))


def test_lists_prepared_for_other_lists_are_not_used(
    qtbot: QtBot, lists: SiteLists, result: ScoreResult
) -> None:
    panel = ListsPanel()
    qtbot.addWidget(panel)
    panel.set_lists(lists, prepared=prepare_lists(build_lists(result.sites)))
    for name in LIST_NAMES:
        assert cells(panel.pages[name].model) == cells(gui_thread_model(lists, name))
    assert panel.files_label.text() == old_files_line(lists, vendor_level=False)


def test_an_analysts_own_sort_is_kept_on_the_next_run(qtbot: QtBot, lists: SiteLists) -> None:
    panel = ListsPanel()
    qtbot.addWidget(panel)
    panel.set_lists(lists, prepared=prepare_lists(lists))
    page = panel.pages["block"]
    page.view.sortByColumn(ListMembersModel.SITE, Qt.SortOrder.AscendingOrder)
    panel.set_lists(lists, prepared=prepare_lists(lists))
    ids = [page.model.index(r, 0).data(SITE_ID_ROLE) for r in range(page.model.rowCount())]
    assert ids == sorted(ids)
    assert page.view.horizontalHeader().sortIndicatorSection() == ListMembersModel.SITE


def test_columns_get_the_widths_resize_to_contents_gave_them(
    qtbot: QtBot, lists: SiteLists
) -> None:
    """The widths ResizeToContents gave when it measured every row (precision -1), without the
    panel's views measuring any column to its contents."""
    panel = ListsPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 600)
    panel.show()
    panel.set_lists(lists, prepared=prepared_on_a_thread(lists))
    QApplication.processEvents()
    for name in LIST_NAMES:
        view = panel.pages[name].view
        reference = QTableView()
        qtbot.addWidget(reference)
        reference.setModel(gui_thread_model(lists, name))
        reference.setWordWrap(False)
        reference.setSortingEnabled(True)  # its titles make room for the sort arrow
        reference.sortByColumn(ListMembersModel.IMPRESSIONS, Qt.SortOrder.DescendingOrder)
        reference.resize(view.size())
        header = reference.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(-1)
        reference.show()
        QApplication.processEvents()
        mine = view.horizontalHeader()
        for column in SIZED_COLUMNS:
            assert mine.sectionResizeMode(column) != QHeaderView.ResizeMode.ResizeToContents
            assert mine.sectionSize(column) == header.sectionSize(column), (name, column)


def test_an_empty_panel_sizes_its_columns_to_their_titles(qtbot: QtBot) -> None:
    panel = ListsPanel()
    qtbot.addWidget(panel)
    header = panel.pages["allow"].view.horizontalHeader()
    for column in SIZED_COLUMNS:
        assert header.sectionSize(column) == max(
            header.sectionSizeHint(column), header.minimumSectionSize()
        )


def test_the_window_hands_the_panel_lists_prepared_by_its_jobs(
    window: MainWindow, qtbot: QtBot
) -> None:
    """Scoring, re-opening and pinning each bring the lists prepared on their worker; the
    panel adopts them and shows what it computed itself before."""
    campaign = open_scored_sample(window, qtbot)
    panel = window.lists_panel

    def shown_as_prepared() -> scoring.LoadedRun:
        loaded = window.workbench.loaded
        assert loaded is not None
        assert isinstance(loaded.prepared_lists, PreparedLists)
        assert loaded.prepared_lists.lists is loaded.lists
        assert panel.prepared is loaded.prepared_lists  # adopted, not made again
        for name in LIST_NAMES:
            expected = gui_thread_model(loaded.lists, name)
            assert cells(panel.pages[name].model) == cells(expected), name
        assert panel.files_label.text() == old_files_line(loaded.lists, vendor_level=False)
        return loaded

    scored = shown_as_prepared()
    window.workbench.open_campaign(campaign)
    qtbot.waitUntil(lambda: window.workbench.loaded is not scored, timeout=TIMEOUT)
    idle(window, qtbot)
    opened = shown_as_prepared()
    site = str(opened.lists.members("allow").index[0])
    window.workbench.pin([site], "block", "client asked")
    qtbot.waitUntil(lambda: window.workbench.loaded is not opened, timeout=TIMEOUT)
    idle(window, qtbot)
    pinned = shown_as_prepared()
    assert pinned.lists.sites.loc[site, "list_action"] == "block"


def test_text_converted_in_slices_is_the_text_converted_at_once() -> None:
    """The worker converts a list's text columns a few thousand rows at a time (each call holds
    the interpreter lock); the arrays are those one conversion gives, widths included."""
    n = 3 * TEXT_SLICE_ROWS + 17
    texts = [None if i % 97 == 0 else "x" * (i % 41) + f"site{i}.example" for i in range(n)]
    texts[-1] = "the widest text of them all, in the last slice" * 3
    series = pd.Series(texts, dtype="str")
    whole = series.to_numpy(dtype=str, na_value="")
    sliced = text_array(series, "")
    assert sliced.dtype == whole.dtype
    assert np.array_equal(sliced, whole)
    index = pd.Index([t or "" for t in texts])
    assert np.array_equal(text_array(index, ""), index.to_numpy(dtype=str))
