"""The GUI composition root's safety nets: the bug hook and refused start-ups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from caliber_desktop import app
from caliber_desktop.errors import SchemaTooNewError
from caliber_desktop.ui.shared.errors import ErrorDialog


def raise_and_report(reporter: app.BugReporter) -> None:
    try:
        raise ZeroDivisionError("division by zero in the spend share")
    except ZeroDivisionError:
        reporter(*sys.exc_info())  # type: ignore[arg-type]


def visible_boxes() -> list[ErrorDialog]:
    widgets = QApplication.topLevelWidgets()
    return [w for w in widgets if isinstance(w, ErrorDialog) and w.isVisible()]


def test_a_bug_escaping_a_slot_is_logged_and_shown_once(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = app.BugReporter()
    reporter.log_file = "/data/logs/caliber.log"
    shown_as = str(Path(reporter.log_file))  # a Path: backslashes on Windows
    raise_and_report(reporter)
    raise_and_report(reporter)  # a second bug while the dialog is open: logged, no 2nd dialog
    assert len(reporter.bugs) == 2
    assert [r.levelname for r in caplog.records if r.name == "caliber_desktop.app"] == [
        "CRITICAL",
        "CRITICAL",
    ]
    (box,) = visible_boxes()
    assert "ZeroDivisionError" in box.text()
    assert "ZeroDivisionError" in box.details()
    assert box.view.log_edit is not None
    assert box.view.log_edit.text() == shown_as
    box.close()
    qtbot.waitUntil(lambda: not visible_boxes())
    raise_and_report(reporter)  # the next bug gets a dialog again
    (box,) = visible_boxes()
    box.close()
    qtbot.waitUntil(lambda: not visible_boxes())


def test_in_smoke_mode_a_bug_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = app.BugReporter(smoke=True)
    raise_and_report(reporter)
    assert reporter.bugs == ["ZeroDivisionError: division by zero in the spend share"]
    assert "Traceback" in capsys.readouterr().err
    assert not visible_boxes()


def test_an_expected_startup_error_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[tuple[str, str]] = []

    def exec_(box: ErrorDialog) -> int:  # a modal dialog would wait for a click
        shown.append((box.windowTitle(), box.text()))
        return 0

    monkeypatch.setattr(ErrorDialog, "exec", exec_)
    error = SchemaTooNewError("caliber.db was written by a newer version of Caliber.")
    assert app._startup_refused(error, smoke=False) == 2
    assert shown == [("Caliber cannot start", str(error))]
    assert app._startup_refused(error, smoke=True) == 2
    assert capsys.readouterr().err == f"SMOKE FAILED: {error}\n"
