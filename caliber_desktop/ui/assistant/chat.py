"""The "Assistant" dock: a conversation about one campaign (or a general one), streamed as it comes.

The context picker defaults to the campaign open in the window and follows it; "General" talks
without campaign numbers. History is loaded on a worker when the panel is shown or the context
changes. A reply is streamed into the view as plain text (each delta appended at the end, so a
long conversation is not re-laid out thirty times a second) and rendered as Markdown once it is
complete. Stop ends the stream; the words that arrived stay, marked "stopped", exactly as the
service stored them. A failed turn stays too, marked, with the reason.

What the model wrote is untrusted: its Markdown is rendered with raw HTML shown as text and only
web links opening (``reader.MarkdownView``). Copy All (Ctrl+Shift+C) and Export… (Ctrl+S) take
the whole conversation as one Markdown document (``services/ai/transcript.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import (
    QKeyEvent,
    QKeySequence,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFrameFormat,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.ai.transcript import TranscriptTurn, conversation_markdown
from caliber_desktop.ui.account.menu import format_when
from caliber_desktop.ui.assistant.reader import (
    MARKDOWN_FEATURES,
    MarkdownView,
    TextExporter,
    copy_markdown,
    panel_action,
)
from caliber_desktop.ui.shared.forms import alive
from caliber_desktop.ui.shared.lazy import ReloadsWhenShown
from caliber_desktop.ui.shared.tones import blend, tone_colour
from caliber_desktop.workers.ai import ChatWorker, chat_history_job, clear_chat_job
from caliber_desktop.workers.base import ErrorInfo

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import WorkerRegistry

GENERAL = "General (no campaign)"
#: Turns loaded when a conversation is opened (the model itself only sees the last ten).
HISTORY_LIMIT = 200
STATUS_MARKS = {"stopped": ("Stopped", "warn"), "failed": ("Failed", "bad")}
INPUT_HINT = "Ask about this campaign's results… (Ctrl+Enter to send)"


@dataclass(frozen=True)
class Turn:
    """One message as the view shows it (plain data: history records or the reply in flight)."""

    role: str
    content: str
    status: str = "ok"
    model: str = ""
    created_at: datetime | None = None
    #: why a failed turn failed (shown under it)
    error: str = ""
    streaming: bool = False


def turn_of(record: Any) -> Turn:
    return Turn(
        role=str(record.role),
        content=str(record.content or ""),
        status=str(record.status),
        model=str(record.model or ""),
        created_at=record.created_at,
    )


class ChatPanel(ReloadsWhenShown, QWidget):
    """Conversation view, input, Send/Stop, Clear and the context picker."""

    #: a reply ended (the model was asked): refresh the AI status
    ai_used = Signal()
    #: the reply job ended: the stored ``ChatRecord``, or None (failed, cancelled)
    reply_finished = Signal(object)
    #: a conversation was (re)loaded
    history_loaded = Signal()

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.workspace = workspace
        self.registry = registry
        self.turns: list[Turn] = []
        self._worker: ChatWorker | None = None
        self._reply: Any = None
        self._stream_cursor: QTextCursor | None = None
        self._stale = True
        self._follow_after: int | None = None

        self.context_combo = QComboBox(self)
        self.context_combo.setObjectName("chatContext")
        self.context_combo.setAccessibleName("Campaign to talk about")
        self.context_combo.addItem(GENERAL, None)
        self.context_combo.setToolTip(
            "Which campaign's numbers the assistant sees; General uses none."
        )
        self.clear_button = QPushButton("Clear History…", self)
        self.clear_button.setObjectName("clearChat")
        self.clear_button.setAutoDefault(False)
        self.view = MarkdownView(self)
        self.view.setObjectName("chatView")
        self.view.setAccessibleName("Conversation")
        self.view.setPlaceholderText(
            "Ask which sites to block, why a metric moved, or what to test next. The assistant "
            "sees the selected campaign's latest results and your last ten messages."
        )
        self.input = QPlainTextEdit(self)
        self.input.setObjectName("chatInput")
        self.input.setAccessibleName("Your message")
        self.input.setPlaceholderText(INPUT_HINT)
        self.input.setTabChangesFocus(True)
        self.input.setMaximumHeight(round(self.fontMetrics().lineSpacing() * 5.5))
        self.input.installEventFilter(self)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("sendChat")
        self.send_button.setAutoDefault(False)
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopChat")
        self.stop_button.setAutoDefault(False)
        self.stop_button.setToolTip("End the reply here; what arrived is kept.")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("chatState")
        self.state_label.setEnabled(False)
        self.state_label.setWordWrap(True)  # a long message wraps; it never widens the dock
        self.exporter = TextExporter(
            self, registry, caption="Export the conversation", status=self.state_label.setText
        )
        self.copy_action = panel_action(
            self,
            "Copy Conversation",
            self.copy_conversation,
            "Ctrl+Shift+C",
            "Copy the whole conversation (Markdown)",
        )
        self.export_action = panel_action(
            self,
            "Export Conversation…",
            self.export_conversation,
            QKeySequence.StandardKey.Save,
            "Save the whole conversation to a file (.md, .html or .txt)",
        )
        self.copy_button = QPushButton("Copy All", self)
        self.copy_button.setObjectName("copyChat")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("exportChat")
        for button, action in (
            (self.copy_button, self.copy_action),
            (self.export_button, self.export_action),
        ):
            button.setAutoDefault(False)
            button.setToolTip(action.toolTip())
            button.clicked.connect(action.trigger)
            self.view.addAction(action)

        top = QHBoxLayout()
        top.addWidget(QLabel("Context:", self))
        top.addWidget(self.context_combo, stretch=1)
        top.addWidget(self.clear_button)
        conversation = QHBoxLayout()
        conversation.addWidget(self.copy_button)
        conversation.addWidget(self.export_button)
        conversation.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label, stretch=1)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, stretch=1)
        layout.addLayout(conversation)
        layout.addWidget(self.input)
        layout.addLayout(buttons)

        self.context_combo.currentIndexChanged.connect(self._on_context_changed)
        self.clear_button.clicked.connect(self.clear_history)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.input.textChanged.connect(self._update_controls)
        self._update_controls()

    # ------------------------------------------------------------------ context
    def context_id(self) -> int | None:
        value = self.context_combo.currentData()
        return value if isinstance(value, int) else None

    def set_campaigns(self, campaigns: list[tuple[int, str]]) -> None:
        """Offer these campaigns (id, name); the chosen one stays chosen while it exists."""
        current = self.context_id()
        self.context_combo.blockSignals(True)
        try:
            self.context_combo.clear()
            self.context_combo.addItem(GENERAL, None)
            for campaign_id, name in campaigns:
                self.context_combo.addItem(name, campaign_id)
            index = self.context_combo.findData(current) if current is not None else 0
            self.context_combo.setCurrentIndex(max(index, 0))
        finally:
            self.context_combo.blockSignals(False)
        if self.context_id() != current:  # its campaign was deleted: back to General
            self._on_context_changed()

    def follow_campaign(self, campaign_id: int | None) -> None:
        """The window opened a campaign: talk about it (after the reply in flight, if any)."""
        if self.streaming:
            self._follow_after = campaign_id
            return
        index = self.context_combo.findData(campaign_id) if campaign_id is not None else -1
        if index >= 0 and index != self.context_combo.currentIndex():
            self.context_combo.setCurrentIndex(index)

    @Slot()
    def _on_context_changed(self) -> None:
        self.turns = []
        self._render()
        self._stale = True
        if self._really_shown():
            self.reload()

    def _can_reload(self) -> bool:
        return not self.streaming

    @Slot()
    def reload(self) -> None:
        """Load the conversation of the chosen context on a worker."""
        self._stale = False
        context = self.context_id()
        self.state_label.setText("Loading the conversation…")
        self.registry.start(
            chat_history_job(self.workspace.ai, context, HISTORY_LIMIT),
            key="chat-history",
            on_result=lambda found: self._on_history(context, found),
            on_error=self._on_history_failed,
        )

    def _on_history(self, context: int | None, found: object) -> None:
        if not alive(self) or context != self.context_id() or self.streaming:
            return
        self.turns = [turn_of(r) for r in found] if isinstance(found, list) else []
        self.state_label.clear()
        self._render()
        self._update_controls()
        self.history_loaded.emit()

    def _on_history_failed(self, info: ErrorInfo) -> None:
        if alive(self):
            self.state_label.setText(info.message)

    # ------------------------------------------------------------------ sending
    @property
    def streaming(self) -> bool:
        return self._worker is not None

    @Slot()
    def send(self) -> None:
        message = self.input.toPlainText().strip()
        if not message or self.streaming:
            return
        worker = ChatWorker(self.workspace.ai, self.context_id(), message)
        worker.chat_signals.delta.connect(self._on_delta, Qt.ConnectionType.QueuedConnection)
        worker.signals.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._worker, self._reply = worker, None
        now = datetime.now(UTC)
        self.turns.append(Turn("user", message, created_at=now))
        self.turns.append(Turn("assistant", "", created_at=now, streaming=True))
        self.input.clear()
        self.state_label.setText("The assistant is writing…")
        self._render()
        self._update_controls()
        self.registry.start(worker, on_result=self._on_reply, on_error=self._on_failed)

    @Slot()
    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.state_label.setText("Stopping…")

    @Slot(str)
    def _on_delta(self, text: str) -> None:
        if not self.turns or not self.turns[-1].streaming:
            return
        last = self.turns[-1]
        self.turns[-1] = replace(last, content=last.content + text)
        cursor = self._stream_cursor
        if cursor is None:
            return
        stick = self._at_bottom()
        cursor.insertText(text)
        if stick:
            self._scroll_to_end()

    def _on_reply(self, record: object) -> None:
        self._reply = record
        if self.turns and self.turns[-1].streaming and hasattr(record, "content"):
            self.turns[-1] = replace(turn_of(record), streaming=True)

    def _on_failed(self, info: ErrorInfo) -> None:
        if self.turns and self.turns[-1].streaming:
            last = self.turns[-1]
            self.turns[-1] = replace(last, status="failed", error=info.message)
            if len(self.turns) > 1 and not self.input.toPlainText().strip():
                self.input.setPlainText(self.turns[-2].content)  # to send again in a click

    @Slot()
    def _on_finished(self) -> None:
        self._worker = None
        self._stream_cursor = None
        if self.turns and self.turns[-1].streaming:
            last = self.turns[-1]
            status = last.status if last.status != "ok" or self._reply is not None else "stopped"
            self.turns[-1] = replace(last, status=status, streaming=False)
        record, self._reply = self._reply, None
        status = getattr(record, "status", "failed")
        self.state_label.setText(
            {"stopped": "Stopped; the reply so far is kept.", "failed": ""}.get(status, "")
        )
        if alive(self.view):
            self._render()
        self._update_controls()
        follow, self._follow_after = self._follow_after, None
        if follow is not None:
            self.follow_campaign(follow)
        self.ai_used.emit()
        self.reply_finished.emit(record)

    # ------------------------------------------------------------------ clearing
    @Slot()
    def clear_history(self) -> None:
        if self.streaming:
            return
        where = self.context_combo.currentText()
        answer = QMessageBox.question(
            self,
            "Clear the conversation",
            f"Delete every message of the conversation about {where}?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        context = self.context_id()
        self.registry.start(
            clear_chat_job(self.workspace.ai, context),
            on_result=lambda _count: self._on_cleared(context),
            on_error=self._on_history_failed,
        )

    def _on_cleared(self, context: int | None) -> None:
        if alive(self) and context == self.context_id():
            self.turns = []
            self.state_label.setText("Conversation cleared.")
            self._render()
            self._update_controls()

    # ------------------------------------------------------------------ view
    def _render(self) -> None:
        """Lay out every turn; the reply in flight ends with a cursor the deltas write into."""
        stick = self._at_bottom()
        self.view.clear()
        self._stream_cursor = None
        cursor = QTextCursor(self.view.document())
        for turn in self.turns:
            self._insert_turn(cursor, turn)
        if stick or (self.turns and self.turns[-1].streaming):
            self._scroll_to_end()

    def _insert_turn(self, cursor: QTextCursor, turn: Turn) -> None:
        palette = self.view.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text_colour = palette.color(QPalette.ColorRole.Text)
        user = turn.role == "user"
        em = self.fontMetrics().averageCharWidth()
        frame = QTextFrameFormat()
        frame.setPadding(round(em * 0.8))
        frame.setTopMargin(round(em * 0.6))
        frame.setBorder(0)
        tint = palette.color(QPalette.ColorRole.Highlight) if user else text_colour
        frame.setBackground(blend(tint, base, 0.16 if user else 0.06))
        if user:
            frame.setLeftMargin(em * 6)
        else:
            frame.setRightMargin(em * 3)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertFrame(frame)

        quiet = QTextCharFormat()
        quiet.setForeground(palette.color(QPalette.ColorRole.PlaceholderText))
        strong = QTextCharFormat()
        strong.setFontWeight(700)
        strong.setForeground(text_colour)
        who = "You" if user else "Assistant"
        cursor.insertText(who, strong)
        details = [format_when(turn.created_at)] if turn.created_at else []
        if not user and turn.model and not turn.streaming:
            details.append(turn.model)
        if details:
            cursor.insertText("  ·  " + "  ·  ".join(details), quiet)
        mark = STATUS_MARKS.get(turn.status)
        if mark is not None and not turn.streaming:
            marked = QTextCharFormat()
            marked.setFontWeight(700)
            marked.setForeground(tone_colour(palette, mark[1]))
            cursor.insertText(f"  ·  {mark[0]}", marked)
        body = QTextCharFormat()
        body.setForeground(text_colour)
        cursor.insertBlock(QTextBlockFormat(), body)
        failed = QTextCharFormat()
        failed.setForeground(tone_colour(palette, "bad"))
        if turn.streaming:
            cursor.insertText(turn.content, body)
            self._stream_cursor = QTextCursor(cursor)
        elif turn.status == "failed" and not user and not turn.error:
            cursor.insertText(turn.content, failed)  # a stored failure: its text is the reason
        elif user or not turn.content:
            cursor.insertText(turn.content, body)
        else:
            cursor.insertMarkdown(turn.content, MARKDOWN_FEATURES)  # raw HTML shows as text
        if turn.error:
            cursor.insertBlock(QTextBlockFormat(), failed)
            cursor.insertText(turn.error, failed)
        cursor.movePosition(QTextCursor.MoveOperation.End)

    def _at_bottom(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() >= bar.maximum() - self.fontMetrics().height()

    def _scroll_to_end(self) -> None:
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def visible_text(self) -> str:
        """What the conversation shows now, as plain text (tests and "copy all")."""
        return self.view.toPlainText()

    # ------------------------------------------------------------------ copy, export
    def title(self) -> str:
        """What the conversation is about, as its document's heading says it."""
        if self.context_id() is None:
            return "General conversation (no campaign)"
        return f"Conversation about {self.context_combo.currentText()}"

    def document(self) -> str:
        """The conversation shown, as one Markdown document (the reply in flight as it is)."""
        turns = [
            TranscriptTurn(
                role=turn.role,
                content=turn.content,
                status=turn.status if not turn.streaming else "ok",
                model=turn.model if not turn.streaming else "",
                when=format_when(turn.created_at) if turn.created_at else "",
                error=turn.error,
            )
            for turn in self.turns
        ]
        return conversation_markdown(turns, title=self.title(), when=format_when(datetime.now(UTC)))

    @Slot()
    def copy_conversation(self) -> None:
        """The whole conversation as Markdown (and rendered, for apps that paste rich text)."""
        if self.turns:
            copy_markdown(self.document(), self.title())
            self.state_label.setText("Copied the conversation to the clipboard.")

    @Slot()
    def export_conversation(self) -> None:
        """Ask for a file and save the whole conversation there."""
        if self.turns:
            self.exporter.export(self.title(), self.document(), self.title())

    @Slot()
    def _update_controls(self) -> None:
        streaming = self.streaming
        self.send_button.setEnabled(not streaming and bool(self.input.toPlainText().strip()))
        self.stop_button.setEnabled(streaming)
        self.stop_button.setVisible(streaming)
        self.context_combo.setEnabled(not streaming)
        self.clear_button.setEnabled(not streaming and bool(self.turns))
        has_turns = bool(self.turns)
        for widget in (self.copy_action, self.export_action, self.copy_button, self.export_button):
            widget.setEnabled(has_turns)

    # ------------------------------------------------------------------ Qt
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Ctrl+Enter (⌘+Enter on macOS) in the input sends; Enter alone starts a new line.

        The window uses Ctrl+Enter for Score Campaign; while the input has the focus, the
        shortcut override is accepted so the keys reach the input (and send) instead.
        """
        if (
            watched is self.input
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.type() == QEvent.Type.KeyPress:
                self.send()
                return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self.streaming:
            self._render()
