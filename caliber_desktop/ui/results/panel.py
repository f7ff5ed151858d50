"""The results panel: every scored site of a run in a sortable, filterable table with charts.

The panel receives a finished :class:`ScoreResult` (it never reads the store) and hands the
analyst's decisions back as signals (pin, unpin, the site to open), so the main window decides
what to persist. Filters run on numpy arrays prepared once per result and reach the model as one
mask; the charts show the same filtered sites, and selection is linked both ways by site id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QSplitter,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.runs.facts import SCORE_CAVEAT, score_reading
from caliber_desktop.services.scoring.lists import Override
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.services.scoring.vocabulary import counted, unit_noun
from caliber_desktop.ui.importing.quality import DataQualityDialog, chip_text
from caliber_desktop.ui.results.charts import ScoreHistogram, SpendScatter
from caliber_desktop.ui.results.columns import NUMERIC_KINDS, ColumnSpec
from caliber_desktop.ui.results.filters import ResultsFilters
from caliber_desktop.ui.results.prepared import (
    PreparedResults,
    chart_arrays,
    parts_to_free,
    prepare_results,
)
from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.frame_model import FrameTableModel
from caliber_desktop.ui.shared.locale_format import format_int, format_number
from caliber_desktop.ui.shared.recommendations import (
    RECOMMENDATIONS,
    recommendation_color,
    recommendation_text,
)
from caliber_desktop.ui.shared.tones import tone_colour

#: Typing pauses this long before the table is filtered, so each keystroke does not refilter.
SEARCH_DEBOUNCE_MS = 150
#: A result with more sites than this updates its charts on the event-loop turns after the
#: table's, one chart per turn, so no single turn holds the window for all of them.
CHARTS_LATER_SITES = 20_000
CHARTS_LATER_MS = 30
#: A replaced run's arrays are let go this many per event-loop turn, one turn every
#: RETIRE_MS (see ``ResultsPanel._retire``).
RETIRE_PER_TURN = 4
RETIRE_MS = 10
#: At least this many average characters wide, the charts sit beside the table, else below it.
CHARTS_BESIDE_CHARS = 170


def _keep_room(widget: QWidget) -> None:
    """Hidden (no run), ``widget`` still takes its room, so showing a run does not push the
    table and charts down: that resized the charts, and Qt repaints the whole window at once
    for each resized chart, right after the run was adopted (the first run shown stalled the
    window ~50 ms)."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)


class ResultsPanel(QWidget):
    """One run's sites: summary, filters, the table, a histogram and a spend/score scatter."""

    #: the current row's site id (the site detail panel follows it)
    site_activated = Signal(str)
    #: site ids, "allow"/"block", the analyst's reason
    pin_requested = Signal(list, str, str)
    #: site ids whose pin should be removed
    unpin_requested = Signal(list)
    #: the selected site ids, after any selection change in the table or a chart
    selection_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: ScoreResult | None = None
        self._frame = pd.DataFrame()
        self._charts = chart_arrays(self._frame)
        #: per column key, the text its width is measured by (``prepared.column_samples``)
        self._samples: Mapping[str, str] = {}
        self._overrides: dict[str, Override] = {}
        self._syncing = False
        self.quality_dialog: DataQualityDialog | None = None
        self.model = FrameTableModel(parent=self)

        self.score_label = QLabel()
        self.score_label.setFont(scaled_font(self.font(), 1.5, bold=True))
        self.sites_label = QLabel()
        self.quality_button = QToolButton()
        self.quality_button.setAutoRaise(True)
        self.quality_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.quality_button.clicked.connect(self._on_quality_clicked)
        _keep_room(self.quality_button)
        self.quality_button.hide()
        self.shown_label = QLabel()
        self.chips: dict[str, QToolButton] = {}
        # Two rows (the score, then one chip per recommendation) so a laptop-wide panel beside
        # two docks never has to be wider than the screen.
        header = QHBoxLayout()
        header.addWidget(self.score_label)
        header.addWidget(self.sites_label)
        header.addStretch(1)
        header.addWidget(self.quality_button)
        chip_row = QHBoxLayout()
        for name in RECOMMENDATIONS:
            chip = QToolButton()
            chip.setAutoRaise(True)
            chip.setToolTip(f"Show only sites recommended: {recommendation_text(name)}")
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            chip.clicked.connect(self._on_chip_clicked)
            chip.setProperty("recommendation", name)
            _keep_room(chip)
            self.chips[name] = chip
            chip_row.addWidget(chip)
        chip_row.addStretch(1)

        self.filters = ResultsFilters(self.shown_label)
        self.search_edit = self.filters.search_edit
        self.recommendation_combo = self.filters.recommendation_combo
        self.quality_combo = self.filters.quality_combo
        self.min_impressions_spin = self.filters.min_impressions_spin
        self.flag_combo = self.filters.flag_combo
        self.columns_button = self.filters.columns_button
        self.columns_menu = self.filters.columns_menu

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
        self.view.setAccessibleName("Site scores")
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        # Fixed sections: resizing to contents would measure every one of 100k rows.
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setSectionsMovable(True)
        self.view.horizontalHeader().setHighlightSections(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_context_menu)

        self.histogram = ScoreHistogram()
        self.scatter = SpendScatter()
        #: the two charts: beside the table when the panel is wide, below it on a laptop
        self.charts = QSplitter(Qt.Orientation.Horizontal)  # side by side below the table
        self.charts.setObjectName("resultsCharts")
        self.charts.addWidget(self.histogram)
        self.charts.addWidget(self.scatter)
        self.charts.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.charts)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([3000, 2000])  # a ratio: scaled to the size on first layout
        self.charts_button = self.filters.charts_button
        self.charts_button.toggled.connect(self.charts.setVisible)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(chip_row)
        layout.addLayout(self.filters.search_row)
        layout.addLayout(self.filters.grid)
        layout.addWidget(self.splitter, 1)

        self.context_menu = QMenu(self)
        self.pin_allow_action = QAction("Pin to allow list…", self)
        self.pin_block_action = QAction("Pin to block list…", self)
        self.unpin_action = QAction("Remove pin", self)
        self.copy_ids_action = QAction("Copy site ids", self)
        self.pin_allow_action.triggered.connect(self._on_pin_allow)
        self.pin_block_action.triggered.connect(self._on_pin_block)
        self.unpin_action.triggered.connect(self._on_unpin)
        self.copy_ids_action.triggered.connect(self._on_copy_ids)
        self.context_menu.addActions([self.pin_allow_action, self.pin_block_action])
        self.context_menu.addAction(self.unpin_action)
        self.context_menu.addSeparator()
        self.context_menu.addAction(self.copy_ids_action)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self._charts_step = 0
        self._charts_timer = QTimer(self)
        self._charts_timer.setSingleShot(True)
        self._charts_timer.setInterval(CHARTS_LATER_MS)  # the table's paint gets its own turn
        self._charts_timer.timeout.connect(self._update_charts_later)
        #: the arrays of the run shown, and those of replaced runs not let go yet
        self._prepared: PreparedResults | None = None
        self._retired: list[object] = []
        self._retire_timer = QTimer(self)
        self._retire_timer.setInterval(RETIRE_MS)
        self._retire_timer.timeout.connect(self._free_retired)
        self.search_edit.textChanged.connect(self._search_timer.start)
        for combo in (self.recommendation_combo, self.quality_combo, self.flag_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.min_impressions_spin.valueChanged.connect(self.apply_filters)
        selection = self.view.selectionModel()
        selection.selectionChanged.connect(self._on_table_selection)
        selection.currentRowChanged.connect(self._on_current_row)
        self.scatter.points_selected.connect(self._on_points_selected)
        self.clear()

    # ------------------------------------------------------------------ public API
    def set_result(
        self,
        result: ScoreResult,
        overrides: Mapping[str, Override] | None = None,
        prepared: PreparedResults | None = None,
    ) -> None:
        """Show a run; filters reset, columns follow the run's metrics, pins are marked.

        ``prepared`` (:func:`prepare_results` of this result, made on the worker that loaded
        it) leaves the GUI thread only arrays to adopt; without it they are made here.
        """
        if prepared is None or prepared.sites is not result.sites:
            prepared = prepare_results(result)
        self._retire()
        self._prepared = prepared
        self._result = result
        frame = result.sites
        self._frame = frame
        self._charts = prepared.charts
        self._samples = prepared.samples
        columns = list(prepared.columns)
        self.model.set_arrays(prepared.table)
        self.filters.prepare(frame, prepared.filters)
        self._rebuild_columns_menu(columns, set(prepared.visible))
        self._fill_summary(result, prepared)
        self.filters.reset()
        self.set_overrides(overrides)
        score = self.model.column_of("score")
        if score >= 0:
            self.view.sortByColumn(score, Qt.SortOrder.DescendingOrder)
        self.apply_filters()

    def clear(self) -> None:
        """No run: an empty table and charts, the summary saying so."""
        self._retire()
        self._result = None
        self._frame = pd.DataFrame()
        self._charts = chart_arrays(self._frame)
        self._samples = {}
        self._overrides = {}
        self.model.set_frame(pd.DataFrame(index=pd.Index([], name="site_id")), [])
        self.filters.prepare(self._frame)
        self.histogram.clear_sites()
        self.scatter.clear_points()
        self.score_label.setText("No results")
        for label in (self.sites_label, self.shown_label):
            label.clear()
        self.quality_button.hide()
        for chip in self.chips.values():
            chip.hide()

    def set_overrides(self, overrides: Mapping[str, Override] | None) -> None:
        """Re-mark pinned rows; the filters, sort and selection stay as they are."""
        self._overrides = dict(overrides or {})
        self.model.set_pins({k: (o.action, o.reason) for k, o in self._overrides.items()})

    def select_sites(self, site_ids: Sequence[str], *, charts: bool = True) -> None:
        """Select these sites' rows (hidden ones are skipped) and scroll to the first.

        ``charts``: highlight them in the charts too (False when the charts are about to be
        redrawn, which highlights the selection then).
        """
        rows = self.model.view_rows(site_ids)
        selection = QItemSelection()
        last_column = max(0, self.model.columnCount() - 1)
        if len(rows):
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            for run in np.split(rows, breaks):
                top = self.model.index(int(run[0]), 0)
                bottom = self.model.index(int(run[-1]), last_column)
                selection.select(top, bottom)
        model = self.view.selectionModel()
        self._syncing = True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            model.select(selection, flags | QItemSelectionModel.SelectionFlag.Rows)
            if len(rows):
                first = self.model.index(int(rows[0]), 0)
                model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.view.scrollTo(first)
        finally:
            self._syncing = False
        self._selection_settled(charts=charts)

    def selected_site_ids(self) -> list[str]:
        """Selected sites in view order, read from selection ranges (no per-cell index list)."""
        return self.model.site_ids(self._selected_rows())

    def charts_pending(self) -> bool:
        """Whether a big result's charts are still being drawn (they follow the table)."""
        return self._charts_timer.isActive() or self.scatter.drawing()

    def visible_row_count(self) -> int:
        return self.model.rowCount()

    def filter_mask(self) -> np.ndarray:
        """The frame rows the current filters keep (what :meth:`apply_filters` hands the model)."""
        return self.filters.mask(self._frame)

    @Slot()
    def apply_filters(self) -> None:
        """Filter now (the search box calls this after its debounce); the selection is kept."""
        self._search_timer.stop()
        selected = self.selected_site_ids()
        self._syncing = True
        try:
            self.model.set_filter_mask(self.filter_mask())
        finally:
            self._syncing = False
        shown, total = self.model.rowCount(), len(self._frame)
        self.shown_label.setText(
            f"{format_int(shown)} of {format_int(total)} shown" if total else ""
        )
        later = len(self._frame) > CHARTS_LATER_SITES
        if later:
            self._charts_step = 0
            self._charts_timer.start()
        else:
            self._charts_timer.stop()
            self._update_charts()
        # a big result's charts highlight the selection when each is drawn (the turns after):
        # touching them now made the first paint follow this turn without a break
        self.select_sites(selected, charts=not later)

    # ------------------------------------------------------------------ building
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._place_charts()

    def _place_charts(self) -> None:
        """Charts beside the table when the panel is wide, below it (side by side) when not.

        Beside a laptop-wide table they would squeeze Score and Spend off screen; below it they
        keep their width and the table keeps every decision column.
        """
        beside = self.width() >= self.fontMetrics().averageCharWidth() * CHARTS_BESIDE_CHARS
        wanted = Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical
        if self.splitter.orientation() is wanted:
            return
        self.splitter.setOrientation(wanted)
        self.charts.setOrientation(Qt.Orientation.Vertical if beside else Qt.Orientation.Horizontal)
        self.splitter.setSizes([3000, 2000])
        self.charts.setSizes([1000, 1000])

    def _rebuild_columns_menu(self, columns: Sequence[ColumnSpec], visible: set[str]) -> None:
        self.columns_menu.clear()
        header = self.view.horizontalHeader()
        for i, spec in enumerate(columns):
            action = self.columns_menu.addAction(spec.header)
            action.setCheckable(True)
            action.setChecked(spec.key in visible)
            action.setData(i)
            action.toggled.connect(self._on_column_toggled)
            self.view.setColumnHidden(i, spec.key not in visible)
        for i, spec in enumerate(columns):
            header.resizeSection(i, self._column_width(spec))

    def _column_width(self, spec: ColumnSpec) -> int:
        """Room for the title (and the sort arrow) and for what most cells hold, from the font.

        Names and ids take the width of the 90th-percentile one, capped, so one very long
        subdomain does not push Score and Spend off a laptop screen (the cell elides it).
        """
        style = self.view.style()
        cells = self.view.fontMetrics()
        char = cells.averageCharWidth()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self.view)
        arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, self.view)
        title = self.view.horizontalHeader().fontMetrics().horizontalAdvance(spec.header)
        title += 3 * margin + arrow
        icon = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self.view)
        pad = 2 * char
        sample = self._samples.get(spec.key)
        if spec.key in ("site_id", "display_name"):
            typical = cells.horizontalAdvance(sample) if sample else 0
            content = min(max(typical, 12 * char), 28 * char)
        elif spec.kind == "recommendation":
            words = [recommendation_text(r) for r in RECOMMENDATIONS]
            content = max(cells.horizontalAdvance(w) for w in words) + icon + char
        elif spec.kind == "pinned":
            content = max(cells.horizontalAdvance(w) for w in ("allow", "block")) + icon + char
        elif spec.kind in NUMERIC_KINDS and sample is not None:
            content = cells.horizontalAdvance(sample)
        elif spec.key in ("top_drivers", "flags"):
            content = 24 * char
        else:
            content = 0
        return max(title, content + pad)

    def _fill_summary(self, result: ScoreResult, prepared: PreparedResults) -> None:
        summary = result.summary
        score = summary.get("campaign_score")
        self.score_label.setText(
            "–" if score is None else f"Campaign score {format_number(score, 1)}"
        )
        level = result.config.level
        reading = score_reading(score, prepared.median_score, level)
        self.score_label.setToolTip(f"{reading}\n{SCORE_CAVEAT}")  # the PDF's and insight's words
        facts = prepared.counts  # the counts the CLI, compare, PDF and insight show (run_counts)
        self.sites_label.setText(
            f"{format_int(facts.sites)} {unit_noun(level, plural=facts.sites != 1)}"
        )
        counts = facts.recommendations
        for name, chip in self.chips.items():
            chip.setText(f"● {format_int(counts.get(name, 0))} {recommendation_text(name)}")
            chip.setStyleSheet(f"color: {recommendation_color(name, self.palette()).name()};")
            chip.setToolTip(
                f"Show only {unit_noun(level)} recommended: {recommendation_text(name)}"
            )
            chip.show()
        quality = result.quality
        text, tone = chip_text(quality)
        self.quality_button.setText(text)
        self.quality_button.setStyleSheet(
            f"color: {tone_colour(self.palette(), tone).name()};" if tone == "warn" else ""
        )
        self.quality_button.setToolTip(
            quality.accounting()
            + "".join(f"\n⚠ {i.message}" for i in quality.warnings[:5])
            + "\nClick for the full data-quality report."
        )
        self.quality_button.show()

    def _retire(self) -> None:
        """Keep the shown run's arrays alive past this turn; let them go a few per turn after.

        Replacing a 100k-site run freed every site id, name and flag tuple of the old one in the
        turn that adopts the new one: ~20 ms more on that turn of the GUI thread.
        """
        if self._prepared is not None:
            self._retired.extend(parts_to_free(self._prepared))
            self._prepared = None
            self._retire_timer.start()

    @Slot()
    def _free_retired(self) -> None:
        del self._retired[:RETIRE_PER_TURN]
        if not self._retired:
            self._retire_timer.stop()

    def _update_charts(self, parts: tuple[str, ...] = ("histogram", "scatter")) -> None:
        rows = self.model.frame_rows()
        charts = self._charts
        if not len(self._frame) or not len(charts.ids):
            self.histogram.clear_sites()
            self.scatter.clear_points()
            return
        ids = charts.ids[rows]
        scores = charts.scores[rows]
        recs = charts.codes[rows]
        spend = charts.spend[rows]
        if "histogram" in parts:
            self.histogram.set_sites(ids, scores, recs)
        if "scatter" in parts:
            self.scatter.set_points(ids, spend, scores, recs)

    @Slot()
    def _update_charts_later(self) -> None:
        """A big result's charts, one per event-loop turn after the table (each ~10–30 ms for
        100k sites; all at once with the table they stalled the window), then the selection."""
        part = ("histogram", "scatter")[self._charts_step]
        self._update_charts((part,))
        ids = self.selected_site_ids()
        (self.histogram if part == "histogram" else self.scatter).highlight(ids)
        self._charts_step += 1
        if self._charts_step < 2:
            self._charts_timer.start()

    # ------------------------------------------------------------------ selection
    def _selected_rows(self) -> np.ndarray:
        ranges = self.view.selectionModel().selection()
        if ranges.isEmpty():
            return np.empty(0, dtype=np.intp)
        parts = [
            np.arange(r.top(), r.bottom() + 1, dtype=np.intp)
            for r in (ranges.at(i) for i in range(ranges.count()))
        ]
        return np.unique(np.concatenate(parts))

    def _selection_settled(self, *, charts: bool = True) -> None:
        ids = self.selected_site_ids()
        if charts:
            self.scatter.highlight(ids)
            self.histogram.highlight(ids)
        self.selection_changed.emit(ids)

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self._syncing:
            self._selection_settled()

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.site_activated.emit(self.model.site_id(current.row()))

    @Slot(list)
    def _on_points_selected(self, site_ids: list[str]) -> None:
        self.select_sites(site_ids)

    # ------------------------------------------------------------------ actions
    @Slot(QPoint)
    def _on_context_menu(self, pos: QPoint) -> None:
        self._update_actions()
        if self.selected_site_ids():
            self.context_menu.popup(self.view.viewport().mapToGlobal(pos))

    def _update_actions(self) -> None:
        rows = self._selected_rows()
        any_selected = bool(len(rows))
        for action in (self.pin_allow_action, self.pin_block_action, self.copy_ids_action):
            action.setEnabled(any_selected)
        self.unpin_action.setVisible(bool(self.model.pinned(rows).any()))

    def _ask_pin(self, action: str) -> None:
        ids = self.selected_site_ids()
        if not ids:
            return
        level = self._result.config.level if self._result is not None else None
        what = ids[0] if len(ids) == 1 else counted(len(ids), level)
        reason, ok = QInputDialog.getText(
            self, f"Pin to {action} list", f"Why pin {what} to the {action} list? (optional)"
        )
        if ok:
            self.pin_requested.emit(ids, action, reason.strip())

    @Slot()
    def _on_pin_allow(self) -> None:
        self._ask_pin("allow")

    @Slot()
    def _on_pin_block(self) -> None:
        self._ask_pin("block")

    @Slot()
    def _on_unpin(self) -> None:
        rows = self._selected_rows()
        pinned = rows[self.model.pinned(rows)]
        if len(pinned):
            self.unpin_requested.emit(self.model.site_ids(pinned))

    @Slot()
    def _on_copy_ids(self) -> None:
        ids = self.selected_site_ids()
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))

    @Slot()
    def _on_quality_clicked(self) -> None:
        if self._result is None:
            return
        if self.quality_dialog is not None:
            self.quality_dialog.deleteLater()
        self.quality_dialog = DataQualityDialog(self._result.quality, len(self._result.sites), self)
        self.quality_dialog.open()

    @Slot()
    def _on_chip_clicked(self) -> None:
        chip = self.sender()
        name = chip.property("recommendation") if chip is not None else None
        index = self.recommendation_combo.findData(name)
        current = self.recommendation_combo.currentIndex()
        self.recommendation_combo.setCurrentIndex(0 if index == current else index)

    @Slot(bool)
    def _on_column_toggled(self, checked: bool) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.view.setColumnHidden(int(action.data()), not checked)
