"""The campaigns panel: find a campaign, see where it stands, and act on it.

The panel never loads anything itself. It says what the analyst asked for (``query_changed``,
``score_requested``, …) and the main window runs the job on a worker and hands the page back
through :meth:`CampaignsPanel.set_campaigns`. That keeps every store call off the GUI thread and
lets the window decide paging and refresh policy in one place.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models import labels
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.records import CampaignRecord, Page
from caliber_desktop.ui.shared.campaign_models import (
    CampaignListModel,
    CampaignTableModel,
    status_icon,
)
from caliber_desktop.ui.shared.delegates import StatusDelegate
from caliber_desktop.ui.shared.roles import CAMPAIGN_ROLE

#: The id behind "no campaign is current" (store ids start at 1); never emitted.
NO_CAMPAIGN = -1
#: Typing pauses this long before a search is sent: one query per word, not per key.
SEARCH_DEBOUNCE_MS = 300

STATUS_FILTERS: tuple[tuple[str, CampaignStatus | None], ...] = (
    ("All statuses", None),
    *((labels.label("status", status), status) for status in CampaignStatus),
)


class CampaignsPanel(QWidget):
    """Search, filter and act on campaigns; the main window does the loading (see module doc)."""

    #: the id of the campaign that became current (not emitted when the selection empties)
    campaign_selected = Signal(int)
    #: search text, CampaignStatus or None — reload with these
    query_changed = Signal(str, object)
    new_campaign_requested = Signal()
    import_requested = Signal(int)
    score_requested = Signal(int)
    #: campaign id, force (the analyst confirmed that scored results go too)
    delete_requested = Signal(int, bool)
    rename_requested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("campaignsPanel")
        self._current_id = NO_CAMPAIGN
        #: asked for before it was listed (just created): selected when a reload brings it
        self._wanted: int | None = None
        self._reloading = False
        self._page: Page[CampaignRecord] | None = None

        self.search = QLineEdit(self)
        self.search.setObjectName("campaignSearch")
        self.search.setPlaceholderText("Search name or description")
        self.search.setAccessibleName("Search campaigns")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("campaignStatusFilter")
        self.status_filter.setAccessibleName("Campaign status")
        for label, status in STATUS_FILTERS:
            self.status_filter.addItem(label, "" if status is None else status.value)
            if status is not None:
                self.status_filter.setItemIcon(self.status_filter.count() - 1, status_icon(status))
        self.new_button = QPushButton("New campaign…", self)
        self.new_button.setObjectName("newCampaignButton")
        self.new_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder)
        )

        self.model = CampaignTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("campaignsTable")
        self.table.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
        self.table.setAccessibleName("Campaigns")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(CampaignListModel.STATUS, StatusDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().setVisible(False)
        # A narrow dock on a laptop: the name takes the width (elided, whole in its tooltip),
        # the status is a dot (its word in the tooltip); settings and files are in the name's
        # tooltip and on the start page.
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CampaignListModel.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CampaignListModel.STATUS, QHeaderView.ResizeMode.Fixed)
        metrics = self.fontMetrics()
        self.table.setColumnWidth(
            CampaignListModel.STATUS, metrics.horizontalAdvance("100%") + 3 * metrics.height() // 2
        )
        for column in (CampaignListModel.SETTINGS, CampaignListModel.FILES):
            self.table.setColumnHidden(column, True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QWidget.setTabOrder(self.table, self.new_button)  # as they read: the list, then New

        self.summary = QLabel(self)
        self.summary.setObjectName("campaignsSummary")
        self.summary.setWordWrap(True)

        self._build_actions()
        top = QHBoxLayout()
        top.addWidget(self.search, stretch=1)
        top.addWidget(self.status_filter)
        bottom = QHBoxLayout()  # the button sits here so the dock can be narrow
        bottom.addWidget(self.new_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, stretch=1)
        # On its own line: beside the button a narrow dock wrapped "1 campaign" into two lines.
        layout.addWidget(self.summary)
        layout.addLayout(bottom)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_query)
        self.search.textChanged.connect(self._on_search_edited)
        self.search.returnPressed.connect(self._emit_query)
        self.status_filter.currentIndexChanged.connect(self._emit_query)
        self.new_button.clicked.connect(self.new_campaign_requested)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self._update_actions()

    def _build_actions(self) -> None:
        def action(
            text: str, name: str, slot: Any, shortcut: QKeySequence | None = None
        ) -> QAction:
            act = QAction(text, self)
            act.setObjectName(name)
            act.triggered.connect(slot)
            if shortcut is not None:
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.table.addAction(act)
            return act

        self.import_action = action("Import report…", "importReportAction", self._import)
        self.score_action = action("Score", "scoreAction", self._score)
        self.rename_action = action(
            "Rename…", "renameAction", self._rename, QKeySequence(Qt.Key.Key_F2)
        )
        self.delete_action = action(
            "Delete…", "deleteAction", self._delete, QKeySequence(QKeySequence.StandardKey.Delete)
        )
        style = self.style()
        self.import_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton))
        self.score_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.delete_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon))

    # ------------------------------------------------------------------ public API
    def set_campaigns(self, page: Page[CampaignRecord]) -> None:
        """Show a freshly loaded page, keeping the current campaign if it is still listed."""
        keep = self._wanted if self._wanted is not None else self._current_id
        self._page = page
        self._reloading = True
        try:
            self.model.set_campaigns(page.items)
            row = self.model.row_of(keep) if keep != NO_CAMPAIGN else None
            if row is not None:
                self._select_row(row)
                self._wanted = None
        finally:
            self._reloading = False
        self._update_summary()
        self._sync_current()

    def select_campaign(self, campaign_id: int) -> bool:
        """Make ``campaign_id`` current; False if it is not on the shown page yet.

        A campaign not listed yet (created a moment ago, the reload still running) is remembered
        and selected when :meth:`set_campaigns` brings it.
        """
        row = self.model.row_of(campaign_id)
        if row is None:
            self._wanted = campaign_id
            return False
        self._wanted = None
        self._select_row(row)
        return True

    def current_campaign(self) -> CampaignRecord | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        record = index.data(CAMPAIGN_ROLE)
        return record if isinstance(record, CampaignRecord) else None

    def query(self) -> tuple[str, CampaignStatus | None]:
        """The search text and status filter as they stand (the window's first load uses it)."""
        value = self.status_filter.currentData()
        return self.search.text().strip(), CampaignStatus(value) if value else None

    # ------------------------------------------------------------------ internals
    def _select_row(self, row: int) -> None:
        index = self.model.index(row, CampaignListModel.NAME)
        flags = (
            self.table.selectionModel().SelectionFlag.ClearAndSelect
            | self.table.selectionModel().SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _sync_current(self) -> None:
        record = self.current_campaign()
        current = record.id if record is not None else NO_CAMPAIGN
        self._update_actions()
        if current != self._current_id:
            self._current_id = current
            # Only real ids go out: listeners load the campaign, and "none" is not loadable.
            if current != NO_CAMPAIGN:
                self.campaign_selected.emit(current)

    def _update_summary(self) -> None:
        page = self._page
        text, status = self.query()
        if page is None:
            self.summary.clear()
        elif not page.items:
            filtered = bool(text) or status is not None
            self.summary.setText(
                "No campaigns match this search or filter."
                if filtered
                else "No campaigns yet. Create one to attach the report you want scored."
            )
        else:
            noun = "campaign" if page.total == 1 else "campaigns"
            shown = f", showing {len(page.items)}" if page.has_more else ""
            self.summary.setText(f"{page.total} {noun}{shown}")

    def _update_actions(self) -> None:
        record = self.current_campaign()
        idle = record is not None and record.status is not CampaignStatus.PROCESSING
        self.import_action.setEnabled(idle)
        self.score_action.setEnabled(idle and record is not None and record.upload_count > 0)
        self.rename_action.setEnabled(record is not None)
        self.delete_action.setEnabled(idle)
        if record is not None and record.upload_count == 0:
            self.score_action.setToolTip("Import a report first; there is nothing to score yet.")
        else:
            self.score_action.setToolTip("")

    @Slot(str)
    def _on_search_edited(self, _text: str) -> None:
        self._debounce.start()  # restarts: the query goes once typing pauses

    @Slot()
    def _emit_query(self) -> None:
        self._debounce.stop()
        text, status = self.query()
        self.query_changed.emit(text, status)

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._reloading:
            self._sync_current()

    @Slot(QPoint)
    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self._select_row(index.row())
        menu = QMenu(self)
        menu.addAction(self.import_action)
        menu.addAction(self.score_action)
        menu.addSeparator()
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()

    @Slot()
    def _import(self) -> None:
        record = self.current_campaign()
        if record is not None:
            self.import_requested.emit(record.id)

    @Slot()
    def _score(self) -> None:
        record = self.current_campaign()
        if record is not None and record.upload_count > 0:
            self.score_requested.emit(record.id)

    @Slot()
    def _rename(self) -> None:
        record = self.current_campaign()
        if record is None:
            return
        name, ok = QInputDialog.getText(
            self, "Rename campaign", "New name:", QLineEdit.EchoMode.Normal, record.name
        )
        name = " ".join(name.split())
        if ok and name and name != record.name:
            self.rename_requested.emit(record.id, name)

    @Slot()
    def _delete(self) -> None:
        """Confirm first; scored results are lost with the campaign, so say so and force."""
        record = self.current_campaign()
        if record is None or record.status is CampaignStatus.PROCESSING:
            return
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        if record.status is CampaignStatus.COMPLETED:
            answer = QMessageBox.warning(
                self,
                "Delete campaign and results",
                f"Campaign “{record.name}” has scored results.\n\n"
                "Delete the campaign and also delete its results, lists and insights? "
                "This cannot be undone.",
                yes | no,
                no,
            )
            force = True
        else:
            answer = QMessageBox.question(
                self,
                "Delete campaign",
                f"Delete campaign “{record.name}” and its {record.upload_count} report file(s)?",
                yes | no,
                no,
            )
            force = False
        if answer == yes:
            self.delete_requested.emit(record.id, force)
