"""The AI assistant in the window, with the real service against the local OpenAI-compatible server.

The sample campaign is scored through the window (as on first run); the Insights and Assistant
docks then talk to ``tests/support/openai_server.py`` over real HTTP through the real SDK.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from support.openai_server import TEST_KEY, OpenAIServer, Reply, Status, use_server
from support.window_steps import idle, open_scored_sample, show_dock

from caliber_desktop.config import AISettings, Settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.services.ai.records import INSIGHT_TITLES, INSIGHT_TYPES
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.assistant.chat import GENERAL
from caliber_desktop.ui.assistant.insights import OFFLINE_NOTE
from caliber_desktop.ui.mainwindow.window import MainWindow
from caliber_desktop.ui.settings.dialog import SettingsDialog

TIMEOUT = 30_000
KEY = TEST_KEY
WORDS = [f"word{i} " for i in range(40)]


def test_chat_streams_incrementally_and_stop_keeps_the_partial_reply(
    ai_window: MainWindow, openai_server: OpenAIServer, qtbot: QtBot
) -> None:
    window = ai_window
    chat = window.assistant.chat_panel
    campaign_id = window.workbench.campaign_id
    assert chat.context_id() == campaign_id  # defaults to the campaign open in the window
    show_dock(window, window.assistant.chat_dock, qtbot)
    assert chat.isVisible()
    assert not chat.send_button.isEnabled()  # nothing typed yet

    openai_server.script(Reply("".join(WORDS), chunks=WORDS, delay_s=0.05))
    chat.input.setPlainText("Which sites should I block first?")
    assert chat.send_button.isEnabled()
    qtbot.keyClick(chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert chat.streaming
    assert chat.input.toPlainText() == ""
    assert not chat.send_button.isEnabled()
    assert chat.stop_button.isEnabled()
    assert not chat.context_combo.isEnabled()

    seen: list[str] = []

    def two_partial_states() -> bool:
        text = chat.visible_text()
        if "word0" in text and (not seen or seen[-1] != text):
            seen.append(text)
        return len(seen) >= 2

    qtbot.waitUntil(two_partial_states, timeout=TIMEOUT)
    assert "word39" not in seen[-1]  # still streaming: the reply is not all there
    assert len(seen[-1]) > len(seen[0])  # and it grew in place

    with qtbot.waitSignal(chat.reply_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(chat.stop_button, Qt.MouseButton.LeftButton)
    record = finished.args[0]
    assert record.status == "stopped"
    assert record.content.startswith("word0 ")
    assert "word39" not in record.content
    assert not chat.streaming
    assert not chat.stop_button.isVisible()
    assert chat.context_combo.isEnabled()
    chat.input.setPlainText("And the monitor list?")
    assert chat.send_button.isEnabled()  # Send is back
    assert "Stopped" in chat.visible_text()
    assert record.content.strip() in chat.visible_text()
    idle(window, qtbot)

    stored = window.workspace.ai.chat_history(campaign_id)
    assert [(r.role, r.status) for r in stored] == [("user", "ok"), ("assistant", "stopped")]
    assert stored[-1].content == record.content
    # The question went with the campaign's figures, the window's campaign as context.
    system = openai_server.chat_requests[-1].messages[0]
    assert system["role"] == "system"

    # The conversation is per context: General has none; back to the campaign, it is reloaded.
    chat.context_combo.setCurrentIndex(chat.context_combo.findText(GENERAL))
    idle(window, qtbot)
    assert "word0" not in chat.visible_text()
    with qtbot.waitSignal(chat.history_loaded, timeout=TIMEOUT):
        chat.context_combo.setCurrentIndex(chat.context_combo.findData(campaign_id))
    assert "Stopped" in chat.visible_text()
    assert "Which sites should I block first?" in chat.visible_text()


def test_chat_reply_completes_failure_is_marked_and_history_clears(
    ai_window: MainWindow,
    openai_server: OpenAIServer,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = ai_window
    chat = window.assistant.chat_panel
    show_dock(window, window.assistant.chat_dock, qtbot)
    openai_server.script(Reply("**Block** the bottom decile."))
    chat.input.setPlainText("What now?")
    with qtbot.waitSignal(chat.reply_finished, timeout=TIMEOUT) as finished:
        chat.send_button.click()
    assert finished.args[0].status == "ok"
    assert "Block the bottom decile." in chat.visible_text()  # rendered as Markdown
    assert "**" not in chat.visible_text()

    openai_server.script(Status(400, message="This model does not exist"))
    chat.input.setPlainText("Again?")
    with qtbot.waitSignal(chat.reply_finished, timeout=TIMEOUT) as finished:
        chat.send_button.click()
    assert finished.args[0] is None
    assert "Failed" in chat.visible_text()
    assert chat.input.toPlainText() == "Again?"  # kept, to send again
    idle(window, qtbot)

    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    chat.clear_button.click()
    idle(window, qtbot)
    assert chat.turns == []
    assert window.workspace.ai.chat_history(chat.context_id()) == []


def test_insights_panel_lists_a_generated_batch_with_a_failure(
    ai_window: MainWindow,
    openai_server: OpenAIServer,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = ai_window
    panel = window.assistant.insights_panel
    campaign_id = window.workbench.campaign_id
    assert panel.campaign_id == campaign_id
    show_dock(window, window.assistant.insights_dock, qtbot)
    assert panel.list.count() == 0
    assert panel.empty_label.isVisible()

    # The deep-dive is about the site selected in the results.
    loaded = window.workbench.loaded
    assert loaded is not None
    site = str(loaded.result.sites.index[3])
    window.results_panel.site_activated.emit(site)
    assert panel.subject_edit.text() == site

    # The first type asked fails (a 400 is not retried); the others are answered.
    openai_server.script(Status(400, message="The prompt was refused"))
    progress: list[tuple[int, int, str]] = []
    window.registry.job_progress.connect(lambda _job, *args: progress.append(args))
    with qtbot.waitSignal(panel.batch_finished, timeout=60_000) as done:
        panel.batch_button.click()
        assert panel.progress.isVisible()
        assert panel.stop_button.isVisible()
        assert not panel.generate_button.isEnabled()
    result = done.args[0]
    # Progress per type, as each one finished (the failed one included).
    assert [p for p in progress if p[2]] == [
        (n, len(INSIGHT_TYPES), kind) for n, kind in enumerate(INSIGHT_TYPES, start=1)
    ]
    assert set(result.failures) == {INSIGHT_TYPES[0]}
    assert "refused" in result.failures[INSIGHT_TYPES[0]]
    idle(window, qtbot)
    assert INSIGHT_TITLES[INSIGHT_TYPES[0]] in panel.error_label.text()
    assert not panel.error_label.isHidden()
    assert panel.progress_label.text() == "5 insights ready, 1 failed."
    assert not panel.progress.isVisible()

    texts = [panel.list.item(row).text() for row in range(panel.list.count())]
    assert len(texts) == 5
    for insight_type in INSIGHT_TYPES[1:]:
        assert any(t.startswith(INSIGHT_TITLES[insight_type]) for t in texts), insight_type
    assert any(t.startswith(f"{INSIGHT_TITLES['domain']}: {site}") for t in texts)
    assert all("gpt-4o-mini" in t for t in texts)

    # Viewing, copying.
    panel.list.setCurrentRow(0)
    record = panel.selected()
    assert record is not None
    assert not record.is_offline
    assert panel.viewer.toPlainText().strip() == "OK"
    assert panel.offline_label.isHidden()
    panel.copy_button.click()
    assert QApplication.clipboard().text() == record.content

    # Generating a type again reuses the stored answer (no request) and says so.
    requests = len(openai_server.chat_requests)
    performance = panel.type_combo.findData("performance")
    panel.type_combo.setCurrentIndex(performance)
    with qtbot.waitSignal(panel.insights_loaded, timeout=TIMEOUT):
        panel.generate_button.click()
    idle(window, qtbot)
    assert len(openai_server.chat_requests) == requests
    assert "cached" in panel.list.currentItem().text()
    # Regenerate bypasses the cache.
    panel.regenerate_button.click()
    idle(window, qtbot)
    assert len(openai_server.chat_requests) == requests + 1
    assert panel.list.count() == 6

    # Delete one, then clear all (confirmed).
    gone = panel.selected_id()
    panel.delete_button.click()
    idle(window, qtbot)
    assert panel.list.count() == 5
    assert gone not in {r.id for r in window.workspace.ai.insights(campaign_id)}
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: next(answers))
    panel.clear_button.click()  # "No": nothing happens
    idle(window, qtbot)
    assert panel.list.count() == 5
    panel.clear_button.click()
    idle(window, qtbot)
    assert panel.list.count() == 0
    assert window.workspace.ai.insights(campaign_id) == []


def test_without_a_key_the_offline_insight_is_shown_labelled(
    window: MainWindow,
    workspace: Workspace,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    use_server(workspace, openai_server, monkeypatch, key=False)
    open_scored_sample(window, qtbot)
    status = window.assistant.status
    qtbot.waitUntil(lambda: status.text().startswith("AI: offline"), timeout=TIMEOUT)
    assert "no OpenAI key" in status.text()

    panel = window.assistant.insights_panel
    show_dock(window, window.assistant.insights_dock, qtbot)
    with qtbot.waitSignal(panel.insights_loaded, timeout=TIMEOUT):
        panel.generate_button.click()
    idle(window, qtbot)
    assert panel.list.count() == 1
    item = panel.list.currentItem()
    assert item.text().startswith(INSIGHT_TITLES[INSIGHT_TYPES[0]])
    assert "offline (no AI)" in item.text()
    assert item.toolTip() == OFFLINE_NOTE
    record = panel.selected()
    assert record is not None
    assert record.is_offline
    assert panel.offline_label.isVisible()
    assert "offline" in panel.meta_label.text()
    assert panel.viewer.toPlainText().strip()
    assert openai_server.chat_requests == []  # nothing left the machine

    # The chat says why it cannot answer, inline.
    chat = window.assistant.chat_panel
    show_dock(window, window.assistant.chat_dock, qtbot)
    chat.input.setPlainText("Hello?")
    with qtbot.waitSignal(chat.reply_finished, timeout=TIMEOUT):
        chat.send_button.click()
    assert "Failed" in chat.visible_text()
    assert "No OpenAI key" in chat.visible_text()
    idle(window, qtbot)


def test_status_bar_shows_the_ai_status_and_follows_settings(
    ai_window: MainWindow, openai_server: OpenAIServer, qtbot: QtBot, tmp_path: Path
) -> None:
    window = ai_window
    status = window.assistant.status
    assert status in window.statusBar().findChildren(type(status))
    host = openai_server.base_url.split("//")[1].split("/")[0]
    qtbot.waitUntil(lambda: status.text().startswith(f"AI: gpt-4o-mini at {host}"))
    assert status.isVisible()
    assert "this minute" in status.text()
    assert "Endpoint:" in status.toolTip()
    before = status.status.remaining_per_minute

    # An AI call refreshes it.
    panel = window.assistant.insights_panel
    show_dock(window, window.assistant.insights_dock, qtbot)
    with qtbot.waitSignal(status.status_changed, timeout=TIMEOUT):
        panel.generate_button.click()
    idle(window, qtbot)
    assert status.status.remaining_per_minute == before - 1

    # Saving settings refreshes it too (the model name is in the line).
    window.actions_.settings.trigger()  # File › Settings…
    idle(window, qtbot)
    dialog = window.findChildren(SettingsDialog)[-1]
    dialog.ai_box.model.setCurrentText("gpt-4.1-mini")
    with qtbot.waitSignal(status.status_changed, timeout=TIMEOUT):
        dialog.ok_button.click()
    assert window.workspace.settings.ai.model == "gpt-4.1-mini"
    assert status.text().startswith("AI: gpt-4.1-mini")

    # Clicking the status opens Settings.
    status.click()
    idle(window, qtbot)
    opened = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    assert opened
    opened[-1].reject()
    idle(window, qtbot)


def test_settings_dialog_saves_and_validates_ai_settings(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(), tmp_path)
    qtbot.addWidget(dialog)
    box = dialog.ai_box
    assert box.base_url.text() == ""
    assert "empty" in box.base_url_hint.text().lower()
    box.base_url.setText("http://localhost:11434/v1/")
    box.model.setCurrentText("llama3.1")
    box.max_tokens.setValue(800)
    box.temperature.setValue(0.7)
    box.timeout.setValue(30)
    box.retries.setValue(4)
    box.cache_enabled.setChecked(False)
    assert not box.cache_ttl.isEnabled()
    box.per_minute.setValue(10)
    box.per_hour.setValue(100)
    assert dialog.ok_button.isEnabled()
    ai = dialog.result_settings().ai
    assert ai == AISettings(
        base_url="http://localhost:11434/v1",
        model="llama3.1",
        max_tokens=800,
        temperature=0.7,
        timeout_s=30.0,
        max_retries=4,
        cache_enabled=False,
        cache_ttl_s=3600,
        requests_per_minute=10,
        requests_per_hour=100,
    )
    reopened = SettingsDialog(dialog.result_settings(), tmp_path)
    qtbot.addWidget(reopened)
    assert reopened.result_settings().ai == ai

    # Refused values: inline message, OK disabled, a typed error naming the field.
    box.base_url.setText("localhost:11434")
    assert not dialog.ok_button.isEnabled()
    assert "https://" in box.base_url_error.text()
    with pytest.raises(ValidationError) as refused:
        dialog.result_settings()
    assert refused.value.field == "ai.base_url"
    box.base_url.setText("")
    box.model.setCurrentText("gpt 4o")
    assert not dialog.ok_button.isEnabled()
    assert "without spaces" in box.model_error.text()
    box.model.setCurrentText("gpt-4o")
    box.per_hour.setValue(5)
    assert not dialog.ok_button.isEnabled()
    assert "hourly limit" in box.limits_error.text()
    box.per_hour.setValue(50)
    assert dialog.ok_button.isEnabled()
    assert dialog.result_settings().ai.base_url == ""  # empty: OpenAI itself
