"""Campaign → Compare Runs…: two runs of the open campaign side by side.

The per-site table shows each site's old and new score and how much each metric's contribution
moved (the Δ columns add up to the score change); other tabs list new and removed sites and
sites that changed list. Everything is computed on a worker; sorting is the frame model's numpy
sort, so 100k sites stay responsive.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models import labels
from caliber_desktop.models.enums import RunStatus
from caliber_desktop.services.exports.compare import RunComparison
from caliber_desktop.services.exports.run_data import OutputSources
from caliber_desktop.services.runs.facts import list_cell
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.ui.results.columns import ColumnSpec
from caliber_desktop.ui.shared.frame_model import FrameTableModel
from caliber_desktop.ui.shared.locale_format import format_datetime, format_int, format_number
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.outputs import compare_runs, list_runs
from caliber_desktop.workers.registry import WorkerRegistry

#: What the list columns mean (a pin moves a site onto a list whatever its recommendation).
LIST_TIP = "Where the site is once the campaign's pins apply: allow list, block list or neither"
SIDE_COLUMNS = [
    ColumnSpec("site_id", "Site"),
    ColumnSpec("display_name", "Name"),
    ColumnSpec("score", "Score", "score"),
    ColumnSpec("recommendation", "Recommendation", "recommendation"),
    ColumnSpec("list", "List"),
]


def run_label(run: RunRecord) -> str:
    score = format_number(run.campaign_score, 1) if run.campaign_score is not None else "—"
    when = format_datetime(run.started_at)
    return f"Run {run.id} — {when} · {format_int(run.site_count)} sites · score {score}"


def metric_labels(result: RunComparison) -> dict[str, str]:
    """Readable metric names, from the one label table (``models/labels.py``)."""
    return {m: labels.metric(m) for m in result.metrics}


def change_columns(result: RunComparison) -> list[ColumnSpec]:
    names = metric_labels(result)
    return [
        ColumnSpec("site_id", "Site", tooltip_key="display_name"),
        ColumnSpec("score_old", "Old", "score"),
        ColumnSpec("score_new", "New", "score"),
        ColumnSpec("score_delta", "Δ score", "score", header_tooltip="New minus old score"),
        ColumnSpec("list_old", "Old list", header_tooltip=LIST_TIP),
        ColumnSpec("list_new", "New list", header_tooltip=LIST_TIP),
        ColumnSpec("recommendation_old", "Old recommendation", "recommendation"),
        ColumnSpec("recommendation_new", "New recommendation", "recommendation"),
        *[
            ColumnSpec(
                f"{m}_delta",
                f"Δ {names[m]}",
                "score",
                header_tooltip=f"Change of the points {names[m]} contributes",
            )
            for m in result.metrics
        ],
    ]


def move_columns(result: RunComparison) -> list[ColumnSpec]:
    """The list-changes tab: the score-change columns plus the sentence saying why it moved."""
    columns = change_columns(result)
    return [*columns[:8], ColumnSpec("move", "Why it moved", tooltip_key="move"), *columns[8:]]


def shown_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its list columns in words ("Neither", not the ``monitor`` list name that
    reads like the monitor recommendation)."""
    if not len(frame):
        return frame
    return frame.assign(
        **{c: frame[c].map(list_cell) for c in ("list_old", "list_new", "list") if c in frame}
    )


def summary_html(result: RunComparison) -> str:
    """The comparison's headline for the dialog: what changed between the runs (every setting
    and weight, before → after), then the recommendation counts and list sizes each run reported
    — the same lines ``caliber compare`` prints."""
    changes = result.change_lines()
    changed = (
        "Changed between the runs: " + "; ".join(html.escape(c) for c in changes)
        if changes
        else "Both runs were scored with the same settings and weights."
    )
    return (
        f"<b>{html.escape(result.summary)}</b><br>{changed}"
        f"<br>Recommendations: {html.escape(result.recommendation_line())}"
        f"<br>Lists: {html.escape(result.list_line())}"
    )


class CompareDialog(QDialog):
    """Pick two runs; the comparison is computed on a worker and shown in sortable tables."""

    #: a comparison is shown (the :class:`RunComparison`)
    compared = Signal(object)

    def __init__(
        self,
        sources: OutputSources,
        registry: WorkerRegistry,
        campaign_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare Runs")
        self.resize(1000, 620)
        self.sources = sources
        self.registry = registry
        self.campaign_id = campaign_id
        #: the comparison shown (``result`` would hide QDialog.result())
        self.comparison: RunComparison | None = None

        self.old_combo = QComboBox(self)
        self.new_combo = QComboBox(self)
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self.start_compare)
        pick = QHBoxLayout()
        for text, combo in (("&Old:", self.old_combo), ("&New:", self.new_combo)):
            label = QLabel(text, self)
            label.setBuddy(combo)
            pick.addWidget(label)
            pick.addWidget(combo, 1)
        pick.addWidget(self.compare_button)

        self.summary = QLabel("Loading the runs…", self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes_model = FrameTableModel(parent=self)
        self.new_model = FrameTableModel(SIDE_COLUMNS, self)
        self.removed_model = FrameTableModel(SIDE_COLUMNS, self)
        self.moved_model = FrameTableModel(parent=self)
        self.tabs = QTabWidget(self)
        self.views: list[QTableView] = []
        for model, title in (
            (self.changes_model, "Score changes"),
            (self.moved_model, "List changes"),
            (self.new_model, "New sites"),
            (self.removed_model, "Removed sites"),
        ):
            view = self._view(model)
            view.setAccessibleName(title)
            self.tabs.addTab(view, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self._load_runs()

    def _view(self, model: FrameTableModel) -> QTableView:
        view = QTableView(self)
        view.setModel(model)  # sorting is enabled once there is a frame to sort
        view.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
        view.setAlternatingRowColors(True)
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        self.views.append(view)
        return view

    # ------------------------------------------------------------------ runs
    def _load_runs(self) -> None:
        self.registry.start(
            list_runs(self.sources, self.campaign_id),
            on_result=self._on_runs,
            on_error=self._on_failed,
        )

    def _on_runs(self, runs: Any) -> None:
        done = [r for r in runs or [] if isinstance(r, RunRecord)]
        done = [r for r in done if r.status is RunStatus.COMPLETED]
        for combo in (self.old_combo, self.new_combo):
            combo.clear()
            for run in done:
                combo.addItem(run_label(run), run.id)
        if len(done) < 2:
            self.summary.setText(
                "This campaign needs two completed runs to compare. Score it again after "
                "changing its settings or attaching a new report."
            )
            return
        self.old_combo.setCurrentIndex(1)
        self.new_combo.setCurrentIndex(0)
        self.compare_button.setEnabled(True)
        self.start_compare()

    # ------------------------------------------------------------------ comparing
    @Slot()
    def start_compare(self) -> None:
        old, new = self.old_combo.currentData(), self.new_combo.currentData()
        if old is None or new is None:
            return
        if old == new:
            self.summary.setText("Choose two different runs.")
            return
        self.summary.setText(f"Comparing run {old} with run {new}…")
        self.compare_button.setEnabled(False)
        worker = compare_runs(self.sources, self.campaign_id, int(old), int(new))
        worker.signals.finished.connect(self._on_finished)
        self.registry.start(
            worker, key=f"compare-{id(self)}", on_result=self._on_compared, on_error=self._on_failed
        )

    def _on_compared(self, result: Any) -> None:
        if not isinstance(result, RunComparison):
            return
        self.comparison = result
        self.changes_model.set_frame(shown_lists(result.sites), change_columns(result))
        self.moved_model.set_frame(shown_lists(result.list_changes), move_columns(result))
        self.new_model.set_frame(shown_lists(result.new_sites.set_index("site_id")))
        self.removed_model.set_frame(shown_lists(result.removed_sites.set_index("site_id")))
        for view in self.views:
            if not view.isSortingEnabled():  # keep the frame order: biggest movers first
                view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
                view.setSortingEnabled(True)
            view.resizeColumnsToContents()
        self.summary.setText(summary_html(result))
        self.tabs.setTabText(1, f"List changes ({len(result.list_changes):,})")
        self.tabs.setTabText(2, f"New sites ({len(result.new_sites):,})")
        self.tabs.setTabText(3, f"Removed sites ({len(result.removed_sites):,})")
        self.compared.emit(result)

    def _on_failed(self, info: ErrorInfo) -> None:
        self.summary.setText(info.message)

    @Slot()
    def _on_finished(self) -> None:
        self.compare_button.setEnabled(self.old_combo.count() >= 2)
