"""Errors sized to their message: the file and what to do, and "Show details" only for bugs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.keyboard import focus_not_shown, fusion, tab_stops, tab_walk, unnamed

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.ui.importing.dialog import ImportDialog
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.errors import READING_CHARS, ErrorDialog, error_box, screen_area
from caliber_desktop.workers.base import ErrorInfo

TIMEOUT = 20_000
SHORT = ErrorInfo.expected(
    "Exporting lists", FileRejectedError("scores.xlsx", "is open in Excel.", hint="Close it.")
)
LONG = ErrorInfo.expected(
    "Reading report",
    FileRejectedError(
        "people.csv",
        "no header row found in the first 20 rows (a header has at least 3 known column names "
        "such as Site, Impressions and Advertiser Cost). Check it is a performance report from "
        "The Trade Desk or PulsePoint, or map its columns by hand.",
        hint="Export the performance report again from the DSP as CSV or XLSX and import it.",
    ),
)
#: What every refused report tells the analyst to do.
WHAT_TO_DO = "Export the performance report again"


def bug() -> ErrorInfo:
    try:
        {}["impressions"]
    except KeyError as exc:
        return ErrorInfo.bug("Scoring Q4 display", exc)
    raise AssertionError("unreachable")


def shown(qtbot: QtBot, info: ErrorInfo, log_file: Path | None = None) -> ErrorDialog:
    box = error_box(None, info, log_file)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    return box


def needed_height(box: ErrorDialog) -> int:
    """The height the dialog's visible parts need: margins, the message, the buttons, gaps."""
    layout = box.layout()
    margins = layout.contentsMargins()
    view = box.view.layout()
    label = box.view.message_label
    message = max(label.heightForWidth(label.width()), box.view.icon_label.sizeHint().height())
    rows = [message, box.buttons.sizeHint().height()]
    if box.view.details_button is not None:
        rows.append(box.view.details_button.sizeHint().height())
    if box.view.log_edit is not None:
        rows += [box.view.log_edit.sizeHint().height(), QLabel("x").sizeHint().height()]
    gaps = (len(rows) - 1) * max(layout.spacing(), view.spacing())
    return margins.top() + margins.bottom() + sum(rows) + gaps


def assert_sized_to_text(box: ErrorDialog) -> None:
    label = box.view.message_label
    assert label.heightForWidth(label.width()) <= label.height()  # nothing clipped
    line = label.fontMetrics().height()
    assert box.height() <= needed_height(box) + line  # no band of empty space
    screen = screen_area()
    assert box.width() <= screen.width()
    assert box.height() <= screen.height()


def test_a_one_line_message_gets_a_small_dialog(qtbot: QtBot) -> None:
    box = shown(qtbot, SHORT)
    assert box.windowTitle() == "Exporting lists failed"
    assert box.text() == "scores.xlsx: is open in Excel. Close it."
    label = box.view.message_label
    assert label.width() <= label.fontMetrics().horizontalAdvance(box.text()) * 1.2
    assert box.width() <= 600
    assert_sized_to_text(box)
    assert box.view.details_button is None  # an expected error says it all
    assert box.view.copy_button is None


def test_a_long_message_wraps_at_reading_width(qtbot: QtBot) -> None:
    box = shown(qtbot, LONG)
    label = box.view.message_label
    metrics = label.fontMetrics()
    assert label.width() <= metrics.averageCharWidth() * (READING_CHARS + 1)
    assert label.height() >= metrics.lineSpacing() * 3  # wrapped, not one endless line
    assert box.text() == str(LONG.message)  # the service's words, intact
    assert_sized_to_text(box)


def test_a_bug_hides_its_details_until_asked(qtbot: QtBot, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "caliber.log"
    info = bug()
    box = shown(qtbot, info, log_file)
    view = box.view
    assert "This is a bug" in box.text()
    assert view.log_edit is not None
    assert view.log_edit.text() == str(log_file)
    assert view.details_edit is not None
    assert view.details_button is not None
    assert view.copy_button is not None
    assert not view.details_edit.isVisible()
    assert_sized_to_text(box)
    closed_height = box.height()
    view.details_button.click()
    assert view.details_edit.isVisible()
    assert "KeyError: 'impressions'" in view.details_edit.toPlainText()
    assert box.height() > closed_height
    assert box.height() <= screen_area().height()
    view.details_button.click()
    assert not view.details_edit.isVisible()
    assert box.height() == closed_height
    view.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert str(log_file) in copied
    assert "Traceback" in copied
    assert "KeyError: 'impressions'" in copied


def test_a_long_bug_text_is_cut_in_the_sentence_and_whole_in_the_details(qtbot: QtBot) -> None:
    try:
        raise ValueError("x" * 5000)
    except ValueError as exc:
        info = ErrorInfo.bug("Reading report", exc)
    box = shown(qtbot, info)
    assert len(box.text()) < 400
    assert "x" * 5000 in box.details()
    assert box.width() <= screen_area().width()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.csv", b"", "is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "PNG image"),
        ("people.csv", b"name,age\nbob,3\nann,4\n", "no header row"),
    ],
)
def test_importing_a_bad_file_names_it_and_says_what_to_do(
    window: MainWindow, qtbot: QtBot, tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    campaign = window.workspace.campaigns.create("Q4 display", settings=TTD_DISPLAY_AWARENESS)
    bad = tmp_path / name
    bad.write_bytes(content)
    window.show()
    with qtbot.waitSignal(window.startup_finished, timeout=TIMEOUT):
        window.start_up()
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT)
    window.import_into(campaign.id, bad)
    dialog = window.findChildren(ImportDialog)[-1]
    qtbot.waitUntil(lambda: dialog.error_view is not None, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.registry.running_count() == 0, timeout=TIMEOUT)
    assert dialog.windowTitle() == f"Importing {name} failed"
    text = dialog.error_label.text()
    assert text.startswith(f"{name}: ")
    assert says in text
    assert WHAT_TO_DO in text
    assert dialog.error_view is not None
    assert dialog.error_view.details_button is None  # a refused file is not a bug
    label = dialog.error_label
    assert label.heightForWidth(label.width()) <= label.height()
    line = label.fontMetrics().lineSpacing()
    buttons = dialog.buttons.sizeHint().height()
    assert dialog.height() <= label.height() + buttons + line * 3  # no big empty box
    assert dialog.width() <= label.width() + line * 8
    texts = [b.text().replace("&", "") for b in dialog.buttons.buttons()]
    assert texts == ["Close"]
    dialog.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_bug_dialog_works_by_keyboard(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, scheme: str
) -> None:
    box = shown(qtbot, bug(), tmp_path / "caliber.log")
    assert box.focusWidget() is box.buttons.button(QDialogButtonBox.StandardButton.Close)
    stops = tab_stops(box)
    assert box.view.details_button in stops
    assert box.view.copy_button in stops
    assert set(tab_walk(stops[0])) == set(stops)
    assert not unnamed(stops)
    with fusion(qapp, scheme):
        assert not focus_not_shown(stops)
