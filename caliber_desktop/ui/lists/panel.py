"""The allow, block and monitor lists of a run, what each costs, and the analyst's pins.

The panel displays a :class:`SiteLists` handed over by the main window and only *asks* for
changes: pinning, unpinning and exporting are signals, because overrides live in the store and
the files are written on a worker. The impact preview sits above each table so the cost of a list
("removes 39 % of impressions") is read before the list is uploaded to the DSP. What it shows is
made on the worker that loaded the run (``prepared.py``); the GUI thread only adopts it.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPoint,
    QRectF,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.runs.facts import list_cell, list_word
from caliber_desktop.services.scoring.lists import IMPACT_COLUMNS, ListImpact, ListName, SiteLists
from caliber_desktop.services.scoring.vocabulary import counted, unit_noun
from caliber_desktop.ui.lists.prepared import (
    FIRST_SORT,
    SIZED_COLUMNS,
    PreparedLists,
    prepare_lists,
)
from caliber_desktop.ui.lists.prepared import LIST_NAMES as LIST_NAMES  # the panel's tabs
from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.list_members_model import ListMembersModel
from caliber_desktop.ui.shared.locale_format import format_int, format_percent
from caliber_desktop.ui.shared.roles import SITE_ID_ROLE
from caliber_desktop.ui.shared.tones import blend, chip_style, tone_colour

LIST_TONES = {"allow": "good", "block": "bad", "monitor": "warn"}
#: What each list does to the traffic, for the impact sentence.
LIST_VERBS = {"allow": "keeps", "block": "removes", "monitor": "hold"}
#: What each tab holds. The third is not the "monitor" recommendation's count (the results
#: header's chip): it is every site on neither list, insufficient data and pins included.
LIST_TIPS = {
    "allow": "the sites on the allow list file",
    "block": "the sites on the block list file",
    "monitor": "the sites on neither list: recommended monitor, with too little data, not "
    "targetable, or taken off a list by a pin. Nothing here is uploaded.",
}


def format_share(share: float) -> str:
    """0.123 → "12.3 %" ("12,3 %" in German), 0.3 → "30 %": one decimal, none when it would
    be ".0"; the separators of the OS locale."""
    whole = round(share * 100, 1) == round(share * 100)
    return format_percent(share, 0 if whole else 1)


def impact_sentence(impact: ListImpact) -> str:
    """``"The block list removes 12 % of impressions and 9.5 % of spend; conversions are not in
    the report."``: a column the report lacks is named as missing, never shown as 0 %."""
    parts = [f"{format_share(v)} of {c}" for c, v in impact.shares.items()]
    listing = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    where = list_word(impact.list_name)  # "allow list", or "on neither list" for monitor
    subject = f"The {where}" if impact.list_name != "monitor" else f"The {unit_noun(None)} {where}"
    text = f"{subject} {LIST_VERBS[impact.list_name]} {listing}"
    if impact.unmeasured:
        missing = " and ".join(impact.unmeasured)
        text += f"; {missing} {'are' if len(impact.unmeasured) > 1 else 'is'} not in the report"
    return text + "."


class ShareBar(QWidget):
    """A small horizontal bar for one share (0–1), sized from the font, coloured by the list."""

    def __init__(self, tone: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tone, self.share = tone, 0.0

    def set_share(self, share: float) -> None:
        self.share = min(max(share, 0.0), 1.0)
        self.setToolTip(format_share(share))
        self.setAccessibleDescription(format_share(share))  # what the bar shows, for a reader
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * 20, round(metrics.height() * 0.7))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        height = min(self.height(), self.sizeHint().height())
        track = QRectF(0, (self.height() - height) / 2, self.width(), height)
        radius = height / 3
        palette = self.palette()
        track_colour = blend(
            palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.15
        )
        painter.setBrush(track_colour)
        painter.drawRoundedRect(track, radius, radius)
        painter.setBrush(tone_colour(palette, self.tone))
        fill = QRectF(track.x(), track.y(), track.width() * self.share, track.height())
        painter.drawRoundedRect(fill, radius, radius)
        painter.end()


class ListPage(QWidget):
    """One list: its impact preview (sentence, bars, warning) above its members table."""

    def __init__(self, name: ListName, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.impact_label = QLabel(self)
        self.impact_label.setObjectName(f"{name}ImpactText")
        self.impact_label.setWordWrap(True)
        self.warning_label = QLabel(self)
        self.warning_label.setObjectName(f"{name}ImpactWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setVisible(False)
        bars = QGridLayout()
        self.bars: dict[str, ShareBar] = {}
        self.share_labels: dict[str, QLabel] = {}
        for row, column in enumerate(IMPACT_COLUMNS):
            self.bars[column] = ShareBar(LIST_TONES[name], self)
            self.bars[column].setAccessibleName(f"Share of the campaign's {column}")
            self.share_labels[column] = QLabel(self)
            self.share_labels[column].setAlignment(Qt.AlignmentFlag.AlignRight)
            bars.addWidget(QLabel(column.capitalize(), self), row, 0)
            bars.addWidget(self.bars[column], row, 1)
            bars.addWidget(self.share_labels[column], row, 2)
        bars.setColumnStretch(1, 1)
        self.model = ListMembersModel(self)
        self.view = QTableView(self)
        self.view.setObjectName(f"{name}ListTable")
        self.view.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
        self.view.setAccessibleName(f"Sites in the {name} list")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        # largest first: the sites that move the impact most are the ones to check
        self.view.sortByColumn(*FIRST_SORT)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        # Sized by fit_columns to a few rows' cells: ResizeToContents measured 1,000 rows a
        # column on the GUI thread (~1 s for a 100k-site run's three lists).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ListMembersModel.SOURCE, QHeaderView.ResizeMode.Stretch)
        # The site elides (its tooltip has it whole) so Score shows in a laptop-narrow dock.
        header.setSectionResizeMode(ListMembersModel.SITE, QHeaderView.ResizeMode.Interactive)
        self.view.setColumnWidth(
            ListMembersModel.SITE, self.view.fontMetrics().averageCharWidth() * 18
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.impact_label)
        layout.addLayout(bars)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.view, stretch=1)
        #: per sized column, the source rows its width is measured by
        self._widest: Mapping[int, tuple[int, ...]] = {}
        self.set_impact(None)
        self.fit_columns({})

    def fit_columns(self, widest: Mapping[int, tuple[int, ...]]) -> None:
        """Size each data-sized column as ``ResizeToContents`` would (its title or its widest
        cell, through the view's own delegate and style), measuring only the ``widest`` rows
        (:func:`~caliber_desktop.ui.lists.prepared.widest_rows`) instead of 1,000."""
        self._widest = widest
        header = self.view.horizontalHeader()
        grid = 1 if self.view.showGrid() else 0
        for column in SIZED_COLUMNS:
            rows = self.model.map_from_source_rows(list(widest.get(column, ())))
            cells = [
                self.view.sizeHintForIndex(self.model.index(int(row), column)).width() + grid
                for row in rows
                if row >= 0
            ]
            width = max([header.sectionSizeHint(column), *cells])
            header.resizeSection(
                column, min(max(width, header.minimumSectionSize()), header.maximumSectionSize())
            )

    def set_impact(self, impact: ListImpact | None) -> None:
        self.impact_label.setText(impact_sentence(impact) if impact else "No run scored yet.")
        for column, bar in self.bars.items():
            measured = impact is None or column in impact.shares
            share = impact.shares.get(column, 0.0) if impact else 0.0
            bar.set_share(share)
            bar.setEnabled(measured)
            self.share_labels[column].setText(format_share(share) if measured else "not in report")
            if not measured:
                bar.setToolTip(f"The report has no {column} column.")
        warning = impact.warning if impact else None
        self.warning_label.setText(f"⚠ {warning}" if warning else "")
        self.warning_label.setStyleSheet(chip_style(self.palette(), "warn"))
        self.warning_label.setVisible(bool(warning))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.warning_label.setStyleSheet(chip_style(self.palette(), "warn"))
        elif event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit_columns(self._widest)  # as ResizeToContents followed the font

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.view.selectionModel().selectedRows()})


class ListsPanel(QWidget):
    """The three lists of the current run; pins and exports are requests to the main window."""

    #: site ids whose pins should be removed
    unpin_requested = Signal(list)
    #: site ids, "allow" or "block", the analyst's reason
    pin_requested = Signal(list, str, str)
    #: folder the lists and results should be written to
    export_requested = Signal(str)
    #: a site was double-clicked: show its detail
    site_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("listsPanel")
        self._lists: SiteLists | None = None
        #: what the panel shows, as prepared (on the loading worker, or here without one)
        self.prepared: PreparedLists | None = None
        self._level = AnalysisLevel.DOMAIN
        heading = QLabel("Allow and block lists", self)
        heading.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.files_label = QLabel(self)
        self.files_label.setObjectName("listFilesSummary")
        self.files_label.setWordWrap(True)
        self.export_button = QPushButton("Export lists…", self)
        self.export_button.setObjectName("exportListsButton")
        self.export_button.clicked.connect(self._export)
        self.tabs = QTabWidget(self)
        # In a narrow dock the tab titles elide (the tooltip has them whole) instead of hiding
        # the last list behind scroll arrows.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.pages: dict[ListName, ListPage] = {}
        for name in LIST_NAMES:
            page = ListPage(name, self.tabs)
            page.view.customContextMenuRequested.connect(self._show_context_menu)
            page.view.doubleClicked.connect(self._activate)
            self.pages[name] = page
            self.tabs.addTab(page, name.capitalize())

        self.unpin_action = QAction("Remove pin", self)
        self.unpin_action.triggered.connect(self._unpin)
        self.pin_allow_action = QAction("Pin to allow…", self)
        self.pin_allow_action.triggered.connect(self._pin_allow)
        self.pin_block_action = QAction("Pin to block…", self)
        self.pin_block_action.triggered.connect(self._pin_block)

        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.files_label)
        layout.addWidget(self.tabs, stretch=1)
        self.clear()

    # ------------------------------------------------------------------ public API
    def set_lists(
        self,
        lists: SiteLists,
        *,
        vendor_level: bool = False,
        prepared: PreparedLists | None = None,
    ) -> None:
        """Show a run's lists. ``prepared`` (:func:`prepare_lists` of these lists, made on the
        worker that loaded them) leaves the GUI thread only arrays to adopt; without it they
        are made here."""
        if prepared is None or prepared.lists is not lists or prepared.vendor_level != vendor_level:
            prepared = prepare_lists(lists, vendor_level=vendor_level)
        self._lists, self.prepared = lists, prepared
        self._level = AnalysisLevel.SUPPLY_VENDOR if vendor_level else AnalysisLevel.DOMAIN
        for index, name in enumerate(LIST_NAMES):
            page, ready = self.pages[name], prepared.pages[name]
            page.model.set_unit(unit_noun(self._level, plural=False).capitalize())
            header = page.view.horizontalHeader()
            sort = (header.sortIndicatorSection(), header.sortIndicatorOrder())
            first = ready.sorted_rows
            # in the order prepared on the worker, unless the analyst sorted by another column
            page.model.set_arrays(
                ready.members, first if sort == (first.column, first.order) else None
            )
            page.view.sortByColumn(*sort)
            page.fit_columns(ready.widest)
            page.set_impact(ready.impact)
            title = f"{list_cell(name)} ({format_int(page.model.rowCount())})"
            self.tabs.setTabText(index, title)
            self.tabs.setTabToolTip(index, f"{title}: {LIST_TIPS[name]}")
        self.files_label.setText(summary_text(prepared.file_counts, vendor_level=vendor_level))
        self.export_button.setEnabled(True)

    def clear(self) -> None:
        self._lists, self.prepared = None, None
        for index, name in enumerate(LIST_NAMES):
            self.pages[name].model.set_frame(None)
            self.pages[name].set_impact(None)
            self.pages[name].fit_columns({})
            self.tabs.setTabText(index, list_cell(name))
            self.tabs.setTabToolTip(index, "")
        self.files_label.setText("Score a report to build its lists.")
        self.export_button.setEnabled(False)

    def current_page(self) -> ListPage:
        return self.pages[LIST_NAMES[self.tabs.currentIndex()]]

    def selected_ids(self, *, pinned_only: bool = False) -> list[str]:
        page = self.current_page()
        return [
            page.model.site_id(r)
            for r in page.selected_rows()
            if not pinned_only or page.model.is_pinned(r)
        ]

    # ------------------------------------------------------------------ slots
    @Slot(QPoint)
    def _show_context_menu(self, pos: QPoint) -> None:
        page = self.current_page()
        index = page.view.indexAt(pos)
        if not index.isValid():
            return
        if not page.view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            page.view.selectRow(index.row())
        self.unpin_action.setEnabled(bool(self.selected_ids(pinned_only=True)))
        menu = QMenu(self)
        menu.addAction(self.pin_allow_action)
        menu.addAction(self.pin_block_action)
        menu.addSeparator()
        menu.addAction(self.unpin_action)
        menu.exec(page.view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    @Slot()
    def _unpin(self) -> None:
        ids = self.selected_ids(pinned_only=True)
        if ids:
            self.unpin_requested.emit(ids)

    @Slot()
    def _pin_allow(self) -> None:
        self._pin("allow")

    @Slot()
    def _pin_block(self) -> None:
        self._pin("block")

    def _pin(self, action: str) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = ids[0] if len(ids) == 1 else f"these {counted(len(ids), self._level)}"
        reason, ok = QInputDialog.getText(
            self,
            f"Pin to {action}",
            f"Why should {what} always be on the {action} list?\n"
            "The reason is kept with the pin and shown in the lists.",
        )
        if ok:
            self.pin_requested.emit(ids, action, reason.strip())

    @Slot()
    def _export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export lists and scores to a folder")
        if folder:
            self.export_requested.emit(folder)

    @Slot(QModelIndex)
    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.site_activated.emit(str(index.data(SITE_ID_ROLE)))


def files_summary(lists: SiteLists, *, vendor_level: bool = False) -> str:
    """How many entries each DSP file gets: the lines the export writes in it."""
    return summary_text(
        lists.file_entry_counts(level_vendor=vendor_level), vendor_level=vendor_level
    )


def summary_text(counts: Mapping[str, int], *, vendor_level: bool = False) -> str:
    """The files line from :meth:`SiteLists.file_entry_counts` (counted on the worker)."""
    if vendor_level:
        return (
            f"Supply-vendor files: {format_int(counts['allowlist_vendors.txt'])} to allow, "
            f"{format_int(counts['blocklist_vendors.txt'])} to block."
        )
    return (
        f"Domain files: {format_int(counts['allowlist_domains.txt'])} to allow, "
        f"{format_int(counts['blocklist_domains.txt'])} to block · App files: "
        f"{format_int(counts['allowlist_apps.txt'])} to allow, "
        f"{format_int(counts['blocklist_apps.txt'])} to block."
    )
