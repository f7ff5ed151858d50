"""Reading the assistant: Markdown rendered (raw HTML as text), the whole dock, Copy and Export.

The window runs at laptop size (1366×768) with the sample campaign scored; answers come from the
local OpenAI-compatible server over real HTTP (``tests/support/openai_server.py``), offline
insights from the real service without a key. Files are written for real; a read-only folder is
emulated on the OS calls (``support.windows_locks``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog
from pytestqt.qtbot import QtBot
from support.openai_server import OpenAIServer, Reply, use_server
from support.window_steps import idle, open_scored_sample, show_dock
from support.windows_locks import WindowsLocks

from caliber_desktop.services.ai.offline import OFFLINE_LABEL, offline_text
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.assistant.reader import MarkdownView, TextExporter, is_web_link
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.shared.errors import ErrorDialog

TIMEOUT = 30_000
HOSTILE = (
    "## Block first\n\n"
    "- **bad.example** scores 12.3\n"
    "- `other.example` is next\n\n"
    "<script>alert(1)</script>\n\n"
    "Paragraph with <img src=x onerror=alert(1)> inside.\n\n"
    "[the docs](https://example.com/help) and [a file](file:///etc/passwd)"
)


def laptop(window: MainWindow, qtbot: QtBot) -> None:
    window.resize(1366, 768)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)


def answer_to(path: Path, kind: str = "Markdown (*.md)") -> object:
    """A stand-in for the save dialog's answer (the dialog itself is the platform's)."""
    return lambda *_args, **_kwargs: (str(path), kind)


def bold_texts(document: QTextDocument) -> list[str]:
    found = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().fontWeight() >= 600:
                found.append(fragment.text())
            it += 1
        block = block.next()
    return found


def has_image(document: QTextDocument) -> bool:
    cursor = QTextCursor(document)
    while not cursor.atEnd():
        cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
        if cursor.charFormat().isImageFormat():
            return True
    return False


def saved(exporter: TextExporter, qtbot: QtBot, action: object) -> Path:
    with qtbot.waitSignal(exporter.saved, timeout=TIMEOUT) as done:
        action()  # type: ignore[operator]
    path = done.args[0]
    assert isinstance(path, Path)
    return path


def refused_box(exporter: TextExporter, qtbot: QtBot, action: object) -> ErrorDialog:
    with qtbot.waitSignal(exporter.failed, timeout=TIMEOUT):
        action()  # type: ignore[operator]
    box = exporter.widget.findChild(QDialog, "exportErrorBox")
    assert isinstance(box, ErrorDialog)
    assert box.isVisible()
    return box


def test_an_offline_insight_reads_in_the_whole_dock_and_is_copied_and_exported(
    window: MainWindow,
    workspace: Workspace,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    use_server(workspace, openai_server, monkeypatch, key=False)
    open_scored_sample(window, qtbot)
    laptop(window, qtbot)
    panel = window.assistant.insights_panel
    show_dock(window, window.assistant.insights_dock, qtbot)
    with qtbot.waitSignal(panel.insights_loaded, timeout=TIMEOUT):
        panel.generate_button.click()
    idle(window, qtbot)
    record = panel.selected()
    assert record is not None
    assert record.is_offline

    # The offline text is a Markdown list: shown as a list, not as "- " lines.
    document = panel.viewer.document()
    assert any(
        document.findBlockByNumber(n).textList() is not None for n in range(document.blockCount())
    )
    assert "\n- " not in panel.viewer.toPlainText()
    # The panel's note says "offline"; the text starts with the findings, not that label again.
    assert panel.offline_label.isVisible()
    assert record.content.startswith(OFFLINE_LABEL)
    assert OFFLINE_LABEL not in panel.viewer.toPlainText()

    # Reading: the commands and the list step aside, the text takes (most of) the dock.
    before = panel.viewer.height()
    assert before < panel.height() * 0.5
    assert not panel.read_action.isChecked()
    qtbot.mouseClick(panel.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.viewer.height() > panel.height() * 0.7, timeout=TIMEOUT)
    assert panel.reading
    assert not panel.list.isVisible()
    assert not panel.generate_button.isVisible()
    assert panel.meta_label.isVisible()  # the title stays
    assert panel.viewer.hasFocus()
    assert panel.read_button.text() == "Show List"
    # Word-wrapped: no horizontal scrolling at laptop width.
    assert panel.viewer.horizontalScrollBar().maximum() == 0
    qtbot.keyClick(panel.viewer, Qt.Key.Key_Escape)
    assert not panel.reading
    assert panel.list.isVisible()
    qtbot.waitUntil(lambda: panel.viewer.height() < panel.height() * 0.5, timeout=TIMEOUT)
    # Enter on an insight reads it.
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert panel.reading
    qtbot.keyClick(panel.viewer, Qt.Key.Key_Escape)

    # Copy: the button and Ctrl+Shift+C put the Markdown (and the rendered page) on the clipboard.
    clipboard = QApplication.clipboard()
    clipboard.clear()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == record.content
    assert "<html" in clipboard.mimeData().html()
    clipboard.clear()
    qtbot.keyClick(panel.viewer, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == ""  # Ctrl+C copies the selection: there is none
    panel.viewer.selectAll()
    qtbot.keyClick(panel.viewer, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text().strip() == panel.viewer.toPlainText().strip()
    clipboard.clear()
    qtbot.keyClick(
        panel.viewer,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert clipboard.text() == record.content
    # The context menu offers the panel's commands after the standard ones.
    assert {panel.copy_action, panel.export_action, panel.read_action} <= set(
        panel.viewer.actions()
    )

    # Export… (Ctrl+S): a Markdown document with the title, campaign, source and the text.
    out = tmp_path / "exports"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer_to(out / "overview"))
    path = saved(
        panel.exporter,
        qtbot,
        lambda: qtbot.keyClick(panel.viewer, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier),
    )
    assert path == out / "overview.md"  # the chosen type's suffix was added
    text = path.read_text(encoding="utf-8")
    assert text == panel.document(record)
    assert text.startswith(f"# {record.title} — {panel.campaign_name}\n")
    assert "offline (no AI)" in text
    assert record.content.splitlines()[-1] in text
    assert "overview.md" in panel.progress_label.text()

    # As a web page: rendered, not Markdown.
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", answer_to(out / "overview.html", "Web page (*.html)")
    )
    page = saved(panel.exporter, qtbot, panel.export_button.click)
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE HTML")
    assert f"<title>{record.title}</title>" in html
    assert "<li" in html

    # A folder the analyst may not write to: a message naming the file, and no file at all.
    shared = tmp_path / "shared"
    shared.mkdir()
    WindowsLocks(monkeypatch).make_read_only(shared)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer_to(shared / "insight.md"))
    box = refused_box(panel.exporter, qtbot, panel.export_button.click)
    assert "insight.md" in box.text()
    assert str(shared) in box.text()
    assert "Choose a folder you can write to" in box.text()
    assert list(shared.iterdir()) == []
    assert "Not saved" in panel.progress_label.text()
    box.close()


def test_model_markdown_is_rendered_and_its_html_shown_as_text(
    ai_window: MainWindow, openai_server: OpenAIServer, qtbot: QtBot
) -> None:
    window = ai_window
    laptop(window, qtbot)
    panel = window.assistant.insights_panel
    show_dock(window, window.assistant.insights_dock, qtbot)
    openai_server.script(Reply(HOSTILE))
    with qtbot.waitSignal(panel.insights_loaded, timeout=TIMEOUT):
        panel.generate_button.click()
    idle(window, qtbot)
    record = panel.selected()
    assert record is not None
    assert record.content == HOSTILE
    shown = panel.viewer.toPlainText()
    document = panel.viewer.document()

    # Markdown formatting: a heading, a list, bold; no literal markers.
    assert "Block first" in shown
    assert "##" not in shown
    assert "**" not in shown
    assert "bad.example" in bold_texts(document)
    assert any(
        document.findBlockByNumber(n).blockFormat().headingLevel() == 2
        for n in range(document.blockCount())
    )
    # Raw HTML is text: the script and the image tag appear as written, nothing is loaded.
    assert "<script>alert(1)</script>" in shown
    assert "<img src=x onerror=alert(1)>" in shown
    assert not has_image(document)
    # Links: only web addresses would open.
    assert is_web_link(QUrl("https://example.com/help"))
    assert not is_web_link(QUrl("file:///etc/passwd"))
    assert not panel.viewer.open_link(QUrl("file:///etc/passwd"))
    assert not is_web_link(QUrl("javascript:alert(1)"))


def test_the_conversation_is_copied_and_exported_whole(
    ai_window: MainWindow,
    openai_server: OpenAIServer,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = ai_window
    laptop(window, qtbot)
    chat = window.assistant.chat_panel
    show_dock(window, window.assistant.chat_dock, qtbot)
    assert not chat.copy_button.isEnabled()  # nothing to copy yet
    openai_server.script(Reply(HOSTILE))
    chat.input.setPlainText("Which sites should I block first?")
    with qtbot.waitSignal(chat.reply_finished, timeout=TIMEOUT):
        chat.send_button.click()
    idle(window, qtbot)
    shown = chat.visible_text()
    assert "<script>alert(1)</script>" in shown
    assert "**" not in shown
    assert "bad.example" in bold_texts(chat.view.document())
    assert not has_image(chat.view.document())
    assert chat.copy_button.isEnabled()

    clipboard = QApplication.clipboard()
    clipboard.clear()
    qtbot.mouseClick(chat.copy_button, Qt.MouseButton.LeftButton)
    copied = clipboard.text()
    assert copied.startswith(f"# Conversation about {chat.context_combo.currentText()}\n")
    assert "## You · " in copied
    assert "Which sites should I block first?" in copied
    assert "## Assistant · " in copied
    assert "### Block first" in copied  # the reply's heading sits under its message
    assert "<script>alert(1)</script>" in copied
    assert copied.index("Which sites") < copied.index("Block first")

    path = tmp_path / "chat.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer_to(path))
    written = saved(chat.exporter, qtbot, chat.export_button.click)
    assert written == path
    text = path.read_text(encoding="utf-8")
    # The same document as copied (but for the export time in its second line).
    assert text.splitlines()[2:] == copied.splitlines()[2:]
    assert "chat.md" in chat.state_label.text()

    shared = tmp_path / "shared"
    shared.mkdir()
    WindowsLocks(monkeypatch).make_read_only(shared)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer_to(shared / "chat"))
    box = refused_box(
        chat.exporter,
        qtbot,
        lambda: qtbot.keyClick(chat.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier),
    )
    assert "chat.md" in box.text()
    assert "Choose a folder you can write to" in box.text()
    assert list(shared.iterdir()) == []
    box.close()


def test_offline_insights_show_site_names_as_written(qtbot: QtBot) -> None:
    """A name with Markdown characters (``*``, ``_``) must not turn italic in the insight view."""
    name = "best_deals_*today*.example"
    site = {"name": name, "score": 12.0, "percentile": 3.0, "quality_status": "poor",
            "confidence": "high", "recommendation": "block", "list": "block",
            "impressions": 5000, "spend": 1.5, "flags": [], "metrics": []}  # fmt: skip
    view = MarkdownView()
    qtbot.addWidget(view)
    view.set_markdown(offline_text("domain", {"site": site, "campaign_score": 40.0}))
    assert name in view.toPlainText()


def test_the_app_exits_cleanly_after_a_copy(tmp_path: Path) -> None:
    """A Copy used to crash the app at exit (SIGSEGV): the clipboard deleted a Python-made
    QMimeData in Qt's exit handlers, after the interpreter had finalised."""
    script = (
        "from PySide6.QtWidgets import QApplication\n"
        "from caliber_desktop.ui.assistant.reader import copy_markdown\n"
        "app = QApplication([])\n"
        "copy_markdown('## Block first\\n\\n- **bad.example**', 'Insight')\n"
        "data = QApplication.clipboard().mimeData()\n"
        "assert data.text().startswith('## Block first'), data.text()\n"
        "assert '<b>' in data.html() or 'font-weight' in data.html(), data.html()\n"
        "assert set(data.formats()) == {'text/plain', 'text/html'}, data.formats()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False,
        timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
