"""Insights for the open campaign: generate one or all on workers, then read, copy or delete them.

The panel follows the campaign open in the window (:meth:`InsightsPanel.set_campaign`) and the
site last selected in the results (:meth:`InsightsPanel.set_site`, which fills in the subject of a
site deep-dive). It lists the insights stored for the campaign only while it is visible — a
tabbed-away panel does not query the store for nothing — and reloads when it is shown again.

Every call goes through a worker: generating (which may reach the model) on the network lane,
deleting on the DB lane. An insight built without the model (no key, no network) is labelled
"offline" in the list and in the viewer, so nobody mistakes the statistics summary for advice.

Reading: the text is Markdown from an untrusted writer, shown by ``reader.MarkdownView`` (raw
HTML as text, web links only). Read (or Enter on an insight) gives the text the whole dock — the
commands and the list step aside until Esc or Show List; the dock itself can be floated and
resized for more. Copy (Ctrl+Shift+C) and Export… (Ctrl+S, .md/.html/.txt) are buttons, in the
text's context menu, and keys anywhere in the panel; Ctrl+C copies the selection.
"""

from __future__ import annotations

import functools
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.ai.offline import OFFLINE_LABEL
from caliber_desktop.services.ai.records import INSIGHT_TITLES, INSIGHT_TYPES, InsightRecord
from caliber_desktop.services.ai.transcript import insight_markdown
from caliber_desktop.ui.account.menu import format_when
from caliber_desktop.ui.assistant.reader import (
    MarkdownView,
    TextExporter,
    copy_markdown,
    panel_action,
)
from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.forms import FieldError, alive
from caliber_desktop.ui.shared.lazy import ReloadsWhenShown
from caliber_desktop.ui.shared.tones import chip_style
from caliber_desktop.workers.ai import (
    GenerateBatchWorker,
    GenerateInsightWorker,
    InsightRequest,
    clear_insights_job,
    delete_insight_job,
    insights_job,
)
from caliber_desktop.workers.base import ErrorInfo

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import WorkerRegistry

NO_CAMPAIGN = "Open a campaign to generate insights about it."
EMPTY_LIST = "No insights yet: choose a type and press Generate."
OFFLINE_NOTE = (
    "Offline insight: built from the campaign's statistics without an AI model. "
    "Add an OpenAI API key in Settings for a written analysis."
)
#: The type that is about one site and needs a subject.
SITE_TYPE = "domain"
#: What "Generate All" asks for (the deep-dive is about the chosen site, else the top one).
BATCH_TYPES = INSIGHT_TYPES
INSIGHT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def source_text(record: InsightRecord, *, cached: bool = False) -> str:
    """Where the text came from: the model's name, or that no model was used."""
    text = "offline (no AI)" if record.is_offline else record.model
    return f"{text} · cached" if cached else text


def shown_text(record: InsightRecord) -> str:
    """The text as the viewer shows it: an offline insight without its first-line label.

    The panel says "offline" above the text (the note and the source line); saying it again as
    the text's first sentence only pushes the findings down. Copy and Export keep the label: a
    pasted or saved text has no note beside it.
    """
    label = f"{OFFLINE_LABEL}."
    if record.is_offline and record.content.startswith(label):
        return record.content[len(label) :].lstrip("\n")
    return record.content


class NoteLabel(QLabel):
    """A one-line note that takes no room while it has nothing to say (progress, "Copied…")."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        super().setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        super().clear()
        self.hide()


class InsightsPanel(ReloadsWhenShown, QWidget):
    """The "Insights" dock: a campaign's insights and the commands to make more."""

    #: a job that may have used the model (or a rate-limit slot) ended: refresh the AI status
    ai_used = Signal()
    #: the stored insights were (re)listed
    insights_loaded = Signal()
    #: a batch ended: the ``BatchResult`` (None when it was stopped or failed as a whole)
    batch_finished = Signal(object)

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("insightsPanel")
        self.workspace = workspace
        self.registry = registry
        self.campaign_id: int | None = None
        self.records: dict[int, InsightRecord] = {}
        #: ids that came back from the cache in this session (the store does not know)
        self.cached_ids: set[int] = set()
        self.failures: dict[str, str] = {}
        self._site = ""
        #: the open campaign's name (the heading and file name of an exported insight)
        self.campaign_name = ""
        self._job: str | None = None
        self._batch_total = 0
        self._stale = False
        self._select_after_load: int | None = None

        self.campaign_label = QLabel(NO_CAMPAIGN, self)
        self.campaign_label.setObjectName("insightsCampaign")
        self.campaign_label.setWordWrap(True)
        self.campaign_label.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("insightType")
        self.type_combo.setAccessibleName("Kind of insight")
        for insight_type in INSIGHT_TYPES:
            self.type_combo.addItem(INSIGHT_TITLES[insight_type], insight_type)
        self.subject_edit = QLineEdit(self)
        self.subject_edit.setObjectName("insightSubject")
        self.subject_edit.setPlaceholderText("Site (select one in the results)")
        self.subject_edit.setClearButtonEnabled(True)
        self.generate_button = self._button("Generate", "generateInsight", self.generate)
        self.generate_button.setToolTip("Generate this insight (a recent one is reused).")
        self.batch_button = self._button("Generate All", "generateAllInsights", self.generate_all)
        self.batch_button.setToolTip(
            "Generate all six insights; the site deep-dive is about the site chosen above, "
            "or the top site."
        )
        self.stop_button = self._button("Stop", "stopInsights", self.stop)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("insightsProgress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(round(self.fontMetrics().height() * 0.6))
        self.progress_label = NoteLabel(self)
        self.progress_label.setObjectName("insightsProgressText")
        self.progress_label.setWordWrap(True)
        self.progress_label.hide()
        self.error_label = FieldError(self)
        self.error_label.setObjectName("insightsError")

        self.list = QListWidget(self)
        self.list.setObjectName("insightList")
        self.list.setAccessibleName("Insights")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.empty_label = QLabel(EMPTY_LIST, self)
        self.empty_label.setObjectName("insightsEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)
        self.clear_button = self._button("Clear All…", "clearInsights", self.clear_all)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("insightMeta")
        self.meta_label.setWordWrap(True)
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.offline_label = QLabel(OFFLINE_NOTE, self)
        self.offline_label.setObjectName("offlineNote")
        self.offline_label.setWordWrap(True)
        self.offline_label.hide()
        self.viewer = MarkdownView(self)
        self.viewer.setObjectName("insightViewer")
        self.viewer.setPlaceholderText("Select an insight to read it.")
        self.viewer.setAccessibleName("Insight text")
        self.exporter = TextExporter(
            self, registry, caption="Export the insight", status=self.progress_label.setText
        )
        self.copy_action = panel_action(
            self, "Copy Insight", self.copy_selected, "Ctrl+Shift+C", "Copy the insight (Markdown)"
        )
        self.export_action = panel_action(
            self,
            "Export Insight…",
            self.export_selected,
            QKeySequence.StandardKey.Save,
            "Save the insight to a file (.md, .html or .txt)",
        )
        self.read_action = panel_action(
            self, "Read", None, None, "Give the text the whole dock (Esc goes back)"
        )
        self.read_action.setCheckable(True)
        self.read_action.toggled.connect(self.set_reading)  # by the button, menu or code
        for action in (self.copy_action, self.export_action, self.read_action):
            self.viewer.addAction(action)
        self.copy_button = self._button("Copy", "copyInsight", self.copy_action.trigger)
        self.export_button = self._button("Export…", "exportInsight", self.export_action.trigger)
        self.read_button = self._button("Read", "readInsight", self.read_action.trigger)
        for button, action in (
            (self.copy_button, self.copy_action),
            (self.export_button, self.export_action),
            (self.read_button, self.read_action),
        ):
            button.setToolTip(action.toolTip())
        self.regenerate_button = self._button("Regenerate", "regenerateInsight", self.regenerate)
        self.regenerate_button.setToolTip("Ask the model again, ignoring the cached answer.")
        self.delete_button = self._button("Delete", "deleteInsight", self.delete_selected)

        self._layout()
        self.type_combo.currentIndexChanged.connect(self._update_controls)
        self.subject_edit.textChanged.connect(self._update_controls)
        self.subject_edit.returnPressed.connect(self.generate)
        self.list.currentItemChanged.connect(self._show_current)
        self.list.activated.connect(lambda _index: self.set_reading(True))
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_selected)
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.back_shortcut.activated.connect(lambda: self.set_reading(False))
        self.back_shortcut.setEnabled(False)
        self._restyle()
        self._show_progress(False)
        self._update_controls()

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _layout(self) -> None:
        picker = QHBoxLayout()
        picker.addWidget(self.type_combo, stretch=1)
        picker.addWidget(self.subject_edit, stretch=1)
        commands = QHBoxLayout()
        commands.addWidget(self.generate_button)
        commands.addWidget(self.batch_button)
        commands.addWidget(self.stop_button)
        commands.addStretch(1)
        commands.addWidget(self.clear_button)
        # What acts on the list sits under it; what acts on the text under the text (and
        # stays when reading hides the list).
        list_actions = QHBoxLayout()
        list_actions.addWidget(self.regenerate_button)
        list_actions.addStretch(1)
        list_actions.addWidget(self.delete_button)
        self.list_box = QWidget(self)
        top_layout = QVBoxLayout(self.list_box)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.list, stretch=1)
        top_layout.addWidget(self.empty_label)
        top_layout.addLayout(list_actions)
        actions = QHBoxLayout()
        actions.addWidget(self.read_button)
        actions.addWidget(self.copy_button)
        actions.addWidget(self.export_button)
        actions.addStretch(1)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.meta_label)
        bottom_layout.addWidget(self.offline_label)
        bottom_layout.addWidget(self.viewer, stretch=1)
        bottom_layout.addLayout(actions)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list_box)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        # The commands that make insights: hidden while reading, so the text has the dock.
        self.header = QWidget(self)
        header_layout = QVBoxLayout(self.header)
        header_layout.setContentsMargins(0, 0, 0, 0)
        header_layout.addWidget(self.campaign_label)
        header_layout.addLayout(picker)
        header_layout.addLayout(commands)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.splitter, stretch=1)

    # ------------------------------------------------------------------ what is open
    def set_campaign(self, campaign_id: int | None, name: str = "") -> None:
        """Follow the window's campaign; the list reloads now if shown, else when shown."""
        if campaign_id == self.campaign_id:
            if name:
                self.campaign_name = name
                self.campaign_label.setText(f"Insights for {name}")
            return
        if self._job is not None:
            self.registry.cancel(self._job)  # its results belong to the previous campaign
        self.campaign_id = campaign_id
        self.campaign_name = name
        self.set_reading(False)
        self.campaign_label.setText(
            NO_CAMPAIGN if campaign_id is None else f"Insights for {name or 'this campaign'}"
        )
        self.records.clear()
        self.list.clear()
        self.failures.clear()
        self.error_label.show_message(None)
        self.progress_label.clear()
        self.subject_edit.clear()
        self._site = ""
        self._show_current()
        self._stale = campaign_id is not None
        if self._stale and self._really_shown():
            self.reload()
        self._update_controls()

    def set_site(self, site_id: str) -> None:
        """The site selected in the results: the subject of a deep-dive, unless one was typed."""
        typed = self.subject_edit.text().strip()
        if not typed or typed == self._site:
            self.subject_edit.setText(site_id)
        self._site = site_id

    @Slot()
    def reload(self) -> None:
        if self.campaign_id is None:
            return
        self._stale = False
        self.registry.start(
            insights_job(self.workspace.ai, self.campaign_id),
            key="insights-list",
            on_result=functools.partial(self._on_listed, self.campaign_id),
            on_error=self._on_failed,
        )

    def _on_listed(self, campaign_id: int | None, found: object) -> None:
        if not alive(self) or campaign_id != self.campaign_id or not isinstance(found, list):
            return
        keep = self._select_after_load or self.selected_id()
        self._select_after_load = None
        self.records = {r.id: r for r in found if isinstance(r, InsightRecord)}
        self.list.clear()
        for record in found:
            if isinstance(record, InsightRecord):
                self.list.addItem(self._item(record))
        self._select(keep)
        self._update_controls()
        self.insights_loaded.emit()

    def _item(self, record: InsightRecord) -> QListWidgetItem:
        cached = record.cached or record.id in self.cached_ids
        when = format_when(record.created_at)
        item = QListWidgetItem(f"{record.title}\n{when} · {source_text(record, cached=cached)}")
        item.setData(INSIGHT_ID_ROLE, record.id)
        item.setToolTip(OFFLINE_NOTE if record.is_offline else f"Written by {record.model}")
        return item

    def _select(self, insight_id: int | None) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None and item.data(INSIGHT_ID_ROLE) == insight_id:
                self.list.setCurrentItem(item)
                return
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self._show_current()

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        value = item.data(INSIGHT_ID_ROLE) if item is not None else None
        return value if isinstance(value, int) else None

    def selected(self) -> InsightRecord | None:
        insight_id = self.selected_id()
        return self.records.get(insight_id) if insight_id is not None else None

    @Slot()
    def _show_current(self) -> None:
        record = self.selected()
        if record is None:
            self.meta_label.clear()
            self.offline_label.hide()
            self.viewer.clear()
        else:
            cached = record.cached or record.id in self.cached_ids
            self.meta_label.setText(
                f"<b>{escape(record.title)}</b><br>{format_when(record.created_at)} · "
                f"{escape(source_text(record, cached=cached))}"
            )
            self.offline_label.setVisible(record.is_offline)
            self.viewer.set_markdown(shown_text(record))
        self._update_controls()

    # ------------------------------------------------------------------ generating
    @property
    def busy(self) -> bool:
        return self._job is not None

    def current_type(self) -> str:
        return str(self.type_combo.currentData())

    @Slot()
    def generate(self) -> None:
        insight_type = self.current_type()
        subject = self.subject_edit.text().strip() if insight_type == SITE_TYPE else None
        self._generate(insight_type, subject, use_cache=True)

    @Slot()
    def regenerate(self) -> None:
        record = self.selected()
        if record is not None:
            self._generate(record.insight_type, record.subject, use_cache=False)

    def _generate(self, insight_type: str, subject: str | None, *, use_cache: bool) -> None:
        if self.busy or self.campaign_id is None or (insight_type == SITE_TYPE and not subject):
            return
        request = InsightRequest(self.campaign_id, insight_type, subject, use_cache)
        worker = GenerateInsightWorker(self.workspace.ai, request)
        self._begin(worker, f"Generating {INSIGHT_TITLES.get(insight_type, insight_type)}…", 0)
        self._job = self.registry.start(
            worker,
            on_result=functools.partial(self._on_generated, self.campaign_id),
            on_error=self._on_failed,
        )
        self._update_controls()

    @Slot()
    def generate_all(self) -> None:
        if self.busy or self.campaign_id is None:
            return
        subject = self.subject_edit.text().strip() or None
        worker = GenerateBatchWorker(
            self.workspace.ai, self.campaign_id, BATCH_TYPES, subject=subject
        )
        worker.batch_signals.item_done.connect(
            self._on_item_done, Qt.ConnectionType.QueuedConnection
        )
        worker.signals.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self.failures.clear()
        self._begin(worker, f"Generating {len(BATCH_TYPES)} insights…", len(BATCH_TYPES))
        self._job = self.registry.start(
            worker,
            on_result=functools.partial(self._on_batch, self.campaign_id),
            on_error=self._on_failed,
        )
        self._update_controls()

    def _begin(self, worker: Any, message: str, total: int) -> None:
        worker.signals.finished.connect(self._on_job_finished, Qt.ConnectionType.QueuedConnection)
        self._batch_total = total
        self.error_label.show_message(None)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress_label.setText(message)
        self._show_progress(True)

    @Slot()
    def stop(self) -> None:
        if self._job is not None:
            self.registry.cancel(self._job)
            self.progress_label.setText("Stopping…")

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, insight_type: str) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        if insight_type:
            title = INSIGHT_TITLES.get(insight_type, insight_type)
            self.progress_label.setText(f"{done} of {total} done (last: {title})")

    @Slot(str, object)
    def _on_item_done(self, insight_type: str, outcome: object) -> None:
        if isinstance(outcome, InsightRecord):
            if outcome.campaign_id != self.campaign_id:
                return
            self._remember(outcome)
        else:
            self.failures[insight_type] = str(outcome)
            self._show_failures()

    def _remember(self, record: InsightRecord) -> None:
        """Show a new insight at once (the list is reloaded from the store afterwards)."""
        if record.cached:
            self.cached_ids.add(record.id)
        if record.id not in self.records:
            self.records[record.id] = record
            self.list.insertItem(0, self._item(record))
        self._select_after_load = record.id

    def _on_generated(self, campaign_id: int | None, record: object) -> None:
        if not alive(self) or campaign_id != self.campaign_id:
            return
        if isinstance(record, InsightRecord):
            self._remember(record)
            self._select(record.id)
            note = " (reused a recent answer)" if record.cached else ""
            self.progress_label.setText(f"{record.title} ready{note}.")

    def _on_batch(self, campaign_id: int | None, result: object) -> None:
        if not alive(self) or campaign_id != self.campaign_id:
            return
        failures = getattr(result, "failures", None)
        if isinstance(failures, dict):
            self.failures.update({str(k): str(v) for k, v in failures.items()})
            self._show_failures()
        made = len(getattr(result, "insights", []) or [])
        failed = len(self.failures)
        self.progress_label.setText(
            f"{made} insight{'s' if made != 1 else ''} ready"
            + (f", {failed} failed." if failed else ".")
        )
        self.batch_finished.emit(result)

    def _show_failures(self) -> None:
        lines = [
            f"{INSIGHT_TITLES.get(kind, kind)}: {reason}" for kind, reason in self.failures.items()
        ]
        self.error_label.show_message("Not generated — " + "; ".join(lines) if lines else None)

    def _on_failed(self, info: ErrorInfo) -> None:
        if alive(self):
            self.error_label.show_message(info.message)
            self.progress_label.clear()

    @Slot()
    def _on_job_finished(self) -> None:
        self._job = None
        self._show_progress(False)
        # The store is the truth (order, and what a stopped batch had saved already).
        self._stale = self.campaign_id is not None
        if self._really_shown():
            self.reload()
        self._update_controls()
        self.ai_used.emit()

    def _show_progress(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.stop_button.setVisible(running)
        self._update_controls()

    # ------------------------------------------------------------------ copy, delete, clear
    @Slot()
    def copy_selected(self) -> None:
        """The insight's text as Markdown (and rendered, for apps that paste rich text)."""
        record = self.selected()
        if record is not None:
            copy_markdown(record.content, record.title)
            self.progress_label.setText(f"Copied {record.title} to the clipboard.")

    def document(self, record: InsightRecord) -> str:
        """The insight as a Markdown document: title, campaign, when, by what, the text."""
        cached = record.cached or record.id in self.cached_ids
        return insight_markdown(
            record.title,
            record.content,
            campaign=self.campaign_name,
            when=format_when(record.created_at),
            source=source_text(record, cached=cached),
        )

    @Slot()
    def export_selected(self) -> None:
        """Ask for a file and save the selected insight there (Markdown, a web page or text)."""
        record = self.selected()
        if record is not None:
            stem = f"{self.campaign_name} – {record.title}" if self.campaign_name else record.title
            self.exporter.export(stem, self.document(record), record.title)

    @Slot(bool)
    def set_reading(self, reading: bool) -> None:
        """Reading: the text takes the whole dock (the commands and the list step aside).

        Entered with Read, or Enter / a double-click on an insight; Esc or Show List goes back
        (the focus follows, so the keyboard is where the eyes are).
        """
        reading = reading and self.selected() is not None
        if self.read_action.isChecked() != reading:
            self.read_action.setChecked(reading)
        self.header.setVisible(not reading)
        self.list_box.setVisible(not reading)
        self.back_shortcut.setEnabled(reading)
        self.read_button.setText("Show List" if reading else "Read")
        self.read_button.setToolTip(
            "Back to the list of insights (Esc)" if reading else self.read_action.toolTip()
        )
        if reading:
            self.viewer.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.list.isVisible() and self.viewer.hasFocus():
            self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def reading(self) -> bool:
        return self.read_action.isChecked()

    @Slot()
    def delete_selected(self) -> None:
        record = self.selected()
        if record is None or self.busy:
            return
        self.registry.start(
            delete_insight_job(self.workspace.ai, record.id),
            on_result=functools.partial(self._on_deleted, record.id),
            on_error=self._on_failed,
        )

    def _on_deleted(self, insight_id: int, _result: object = None) -> None:
        if not alive(self):
            return
        self.records.pop(insight_id, None)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None and item.data(INSIGHT_ID_ROLE) == insight_id:
                self.list.takeItem(row)
                break
        self._show_current()

    @Slot()
    def clear_all(self) -> None:
        if self.campaign_id is None or self.busy or not self.records:
            return
        answer = QMessageBox.question(
            self,
            "Delete all insights",
            f"Delete all {len(self.records)} insights of this campaign? "
            "Generating them again asks the model again.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.registry.start(
            clear_insights_job(self.workspace.ai, self.campaign_id),
            on_result=lambda _count: self.reload() if alive(self) else None,
            on_error=self._on_failed,
        )

    # ------------------------------------------------------------------ state
    @Slot()
    def _update_controls(self) -> None:
        site_type = self.current_type() == SITE_TYPE
        self.subject_edit.setVisible(site_type)
        has_campaign = self.campaign_id is not None
        idle = not self.busy
        subject_ok = not site_type or bool(self.subject_edit.text().strip())
        self.type_combo.setEnabled(has_campaign and idle)
        self.subject_edit.setEnabled(has_campaign and idle)
        self.generate_button.setEnabled(has_campaign and idle and subject_ok)
        self.generate_button.setToolTip(
            "Select a site in the results (or type one) for a site deep-dive."
            if not subject_ok
            else "Generate this insight (a recent one is reused)."
        )
        self.batch_button.setEnabled(has_campaign and idle)
        has_selection = self.selected() is not None
        for action in (self.copy_action, self.export_action, self.read_action):
            action.setEnabled(has_selection)
        self.export_button.setEnabled(has_selection)
        self.read_button.setEnabled(has_selection)
        if self.reading and not has_selection:
            self.set_reading(False)
        self.copy_button.setEnabled(has_selection)
        self.regenerate_button.setEnabled(has_selection and idle)
        self.delete_button.setEnabled(has_selection and idle)
        self.clear_button.setEnabled(has_campaign and idle and bool(self.records))
        self.empty_label.setVisible(has_campaign and not self.records and not self._stale)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        sheet = chip_style(self.palette(), "warn")
        if self.offline_label.styleSheet() != sheet:
            self.offline_label.setStyleSheet(sheet)
