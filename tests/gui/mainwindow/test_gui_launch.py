"""The windowed app given a command: a dialog, stderr and a log line, never a silent exit.

On Windows the windowed executable has no console, so ``caliber-desktop score report.csv`` used
to run the CLI with nowhere to print. ``app.main`` now refuses arguments it does not take and
points to ``caliber``; ``--smoke`` keeps working (tests/gui/mainwindow/test_gui_smoke.py, build.py).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from support.paths import REPO

from caliber_desktop import app
from caliber_desktop.config import HOME_ENV


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes the app would show, recorded instead of waiting for a click."""
    shown: list[tuple[str, str]] = []
    for kind in ("critical", "information"):
        monkeypatch.setattr(
            QMessageBox, kind, lambda _parent, title, text: shown.append((title, text))
        )
    return shown


def test_a_command_is_refused_with_a_dialog_stderr_and_a_log_line(
    boxes: list[tuple[str, str]],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "windows")  # as on a desktop: someone sees the box
    caplog.set_level(logging.ERROR, logger="caliber_desktop.app")
    assert app.main(["score", "report.csv"]) == 2
    ((title, text),) = boxes
    assert "caliber" in title
    assert "it was given: score report.csv" in text
    assert "score report.csv" in text.splitlines()[-2]  # the same command, for caliber
    assert capsys.readouterr().err.strip() == text
    assert any("refused command-line arguments" in r.getMessage() for r in caplog.records)
    for handler in logging.getLogger().handlers:
        handler.flush()
    # The data dir's log: the windowed executable's only trace on Windows besides the dialog.
    logged = "".join(f.read_text(encoding="utf-8") for f in (home / "logs").glob("*.log"))
    assert "refused command-line arguments ['score', 'report.csv']" in logged


def test_without_a_console_the_message_still_reaches_the_user(
    boxes: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Windows windowed executable: sys.stdout and sys.stderr are None."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "windows")
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert app.main(["doctor"]) == 2
    assert len(boxes) == 1
    assert app.main(["--help"]) == 0  # help, too, is a box when there is nowhere to print it
    assert boxes[1][0] == app.USAGE_TITLE
    assert "--help" in boxes[1][1]


def test_offscreen_no_dialog_waits_for_a_click(
    boxes: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.main(["--bogus"]) == 2
    assert boxes == []
    assert "it was given: --bogus" in capsys.readouterr().err


def test_help_on_a_console_lists_the_flags_and_the_command_line(
    boxes: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--smoke" in out
    assert "run caliber instead" in out
    assert boxes == []


@pytest.mark.e2e
def test_the_real_entry_refuses_a_command_and_opens_no_window(home: Path) -> None:
    """In a fresh process, as the frozen entry runs it (build/entry_gui.py calls app.main)."""
    env = {**os.environ, HOME_ENV: str(home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from caliber_desktop.app import main; "
         "sys.exit(main(sys.argv[1:]))", "score", "report.csv"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "run caliber instead" in done.stderr
    assert "SMOKE" not in done.stderr
    logged = "".join(f.read_text(encoding="utf-8") for f in (home / "logs").glob("*.log"))
    assert "refused command-line arguments ['score', 'report.csv']" in logged
    assert not (home / "caliber.db").exists()  # the window (and its database) never opened
