"""File → Export Report (PDF)…: asks for a file, writes the PDF on a worker, offers to open it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.window_steps import idle

from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.mainwindow.window import MainWindow

TIMEOUT = 30_000
SETTINGS = TTD_DISPLAY_AWARENESS


def test_export_report_writes_the_pdf_on_a_worker(
    workspace: Workspace,
    window: MainWindow,
    qtbot: QtBot,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    campaign = workspace.campaigns.create("Report from the window", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    workspace.runs.score_campaign(campaign.id)
    window.refresh_campaigns()
    idle(window, qtbot)

    # Nothing open yet: the action says what to do instead of asking for a file.
    asked: list[str] = []
    target = tmp_path / "client report"  # no extension: .pdf is added

    def save_name(_parent: object, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), "PDF files (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    run_actions = window.actions_.run_actions
    assert not any(action.isEnabled() for action in run_actions)
    window.actions_.export_report.trigger()
    assert asked == []

    with qtbot.waitSignal(window.workbench.run_loaded, timeout=TIMEOUT):
        window.workbench.open_campaign(campaign.id)
    assert all(action.isEnabled() for action in run_actions)
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.actions_.export_report.trigger()
    assert asked == [str(Path.home() / "Report from the window – Caliber report.pdf")]
    qtbot.waitUntil(
        lambda: window.findChild(QLabel, "reportWrittenLabel") is not None, timeout=TIMEOUT
    )
    idle(window, qtbot)
    written = tmp_path / "client report.pdf"
    assert written.is_file()
    text = PdfReader(written).pages[0].extract_text()
    assert "Report from the window" in text
    label = window.findChild(QLabel, "reportWrittenLabel")
    assert "client report.pdf" in label.text()
    assert opened == []  # nothing opens by itself
    label.linkActivated.emit("open")
    # As Paths: QUrl.toLocalFile() gives "C:/Users/…" (Qt's "/") on Windows, str(written) "\".
    assert [Path(url.toLocalFile()) for url in opened] == [written]

    # The next export starts in the folder used last.
    window.actions_.export_report.trigger()
    assert Path(asked[-1]).parent == tmp_path
    idle(window, qtbot)
