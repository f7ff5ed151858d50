"""The clipped-text checker (``support.clipping``) finds what an analyst could not read.

Each case builds a small window with one widget too small for its text, and the same widget with
room (or elided with its tooltip), so the checker is known to fail and to pass for the right
reasons before the layout tests rely on it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot
from support.clipping import clipped_text

SENTENCE = "Viewability 90 % vs median 61 % (+18 pts); Refresh < 15 s 0.43 % vs median 3.1 %"


def shown(qtbot: QtBot, widget: QWidget, width: int, height: int = 200) -> QWidget:
    window = QWidget()
    qtbot.addWidget(window)
    QVBoxLayout(window).addWidget(widget)
    window.setFixedSize(width, height)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    return window


def test_a_one_line_label_narrower_than_its_text(qtbot: QtBot) -> None:
    label = QLabel(SENTENCE)
    label.setMinimumWidth(10)
    window = shown(qtbot, label, 150)
    (problem,) = clipped_text(window)
    assert problem.text == SENTENCE
    assert problem.needed > problem.available


def test_a_wrapped_label_fits_and_a_fixed_short_one_does_not(qtbot: QtBot) -> None:
    label = QLabel(SENTENCE)
    label.setWordWrap(True)
    assert clipped_text(shown(qtbot, label, 150, 300)) == []
    short = QLabel(SENTENCE)
    short.setWordWrap(True)
    short.setFixedHeight(short.fontMetrics().height())
    assert [p.why for p in clipped_text(shown(qtbot, short, 150, 300))] == ["wrapped text taller"]


def test_text_past_the_edge_of_a_scroll_area_is_clipped_below_it_is_not(qtbot: QtBot) -> None:
    body = QWidget()
    column = QVBoxLayout(body)
    wide = QLabel(SENTENCE)
    column.addWidget(wide)
    for _ in range(30):
        line = QLabel("a line further down")
        column.addWidget(line)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(body)
    window = shown(qtbot, scroll, 200)
    assert [p.text for p in clipped_text(window)] == [SENTENCE]  # the lines below scroll
    wide.setText("short")
    QApplication.processEvents()
    assert clipped_text(window) == []


def test_a_button_narrower_than_its_text(qtbot: QtBot) -> None:
    button = QPushButton("Export lists and results…")
    button.setMinimumWidth(10)
    button.setMaximumWidth(60)
    (problem,) = clipped_text(shown(qtbot, button, 200, 60))
    assert problem.why == "narrower than its text"


def test_a_narrow_header_section_passes_only_with_its_title_in_the_tooltip(qtbot: QtBot) -> None:
    model = QStandardItemModel(3, 2)
    model.setHorizontalHeaderLabels(["Recommendation", "Spend"])
    view = QTableView()
    view.setModel(model)
    view.setColumnWidth(0, 30)
    window = shown(qtbot, view, 300)
    (problem,) = clipped_text(window)
    assert problem.text == "Recommendation"
    model.setHeaderData(
        0, Qt.Orientation.Horizontal, "Recommendation (allow, monitor, block)", Qt.ToolTipRole
    )
    assert clipped_text(window) == []


def test_an_elided_tab_needs_its_title_in_the_tooltip(qtbot: QtBot) -> None:
    tabs = QTabWidget()
    tabs.setUsesScrollButtons(False)
    tabs.setElideMode(Qt.TextElideMode.ElideRight)
    for title in ("Allow (1,334)", "Block (2,465)", "Monitor (11,188)"):
        tabs.addTab(QWidget(), title)
    window = shown(qtbot, tabs, 240)
    assert {p.text for p in clipped_text(window)} >= {"Monitor (11,188)"}
    for index in range(tabs.count()):
        tabs.setTabToolTip(index, tabs.tabText(index))
    assert clipped_text(window) == []
