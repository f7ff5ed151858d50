"""Campaign → Compare Runs…: two runs of the open campaign side by side.

The per-site table shows each site's old and new score and how much each metric's contribution
moved (the Δ columns add up to the score change); other tabs list new and removed sites and
sites that changed list. Everything is computed on a worker; sorting is the frame model's numpy
sort, so 100k sites stay responsive.
"""

from __future__ import annotations

from typing import Any

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

from caliber_desktop.models.enums import RunStatus
from caliber_desktop.services.exports.compare import RunComparison
from caliber_desktop.services.exports.run_data import OutputSources
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.ui.results.columns import ColumnSpec
from caliber_desktop.ui.shared.frame_model import FrameTableModel
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.outputs import compare_runs, list_runs
from caliber_desktop.workers.registry import WorkerRegistry

SIDE_COLUMNS = [
    ColumnSpec("site_id", "Site"),
    ColumnSpec("display_name", "Name"),
    ColumnSpec("score", "Score", "score"),
    ColumnSpec("recommendation", "Recommendation", "recommendation"),
    ColumnSpec("list", "List"),
]


def run_label(run: RunRecord) -> str:
    score = f"{run.campaign_score:.1f}" if run.campaign_score is not None else "—"
    when = run.started_at.strftime("%Y-%m-%d %H:%M")
    return f"Run {run.id} — {when} · {run.site_count:,} sites · score {score}"


def metric_labels(result: RunComparison) -> dict[str, str]:
    """Readable metric names of both runs (the newer run's wording wins)."""
    return {**result.old.summary.get("labels", {}), **result.new.summary.get("labels", {})}


def change_columns(result: RunComparison) -> list[ColumnSpec]:
    labels = metric_labels(result)
    return [
        ColumnSpec("site_id", "Site", tooltip_key="display_name"),
        ColumnSpec("score_old", "Old", "score"),
        ColumnSpec("score_new", "New", "score"),
        ColumnSpec("score_delta", "Δ score", "score", header_tooltip="New minus old score"),
        ColumnSpec("list_old", "Old list"),
        ColumnSpec("list_new", "New list"),
        *[
            ColumnSpec(
                f"{m}_delta",
                f"Δ {labels.get(m, m)}",
                "score",
                header_tooltip=f"Change of the points {labels.get(m, m)} contributes",
            )
            for m in result.metrics
        ],
    ]


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
            self.tabs.addTab(self._view(model), title)
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
        self.changes_model.set_frame(result.sites, change_columns(result))
        self.moved_model.set_frame(result.list_changes, change_columns(result))
        self.new_model.set_frame(result.new_sites.set_index("site_id"))
        self.removed_model.set_frame(result.removed_sites.set_index("site_id"))
        for view in self.views:
            if not view.isSortingEnabled():  # keep the frame order: biggest movers first
                view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
                view.setSortingEnabled(True)
            view.resizeColumnsToContents()
        counts = "; ".join(
            f"{name} {c['old']:,} → {c['new']:,} (+{c['entered']:,} / −{c['left']:,})"
            for name, c in result.list_counts.items()
        )
        labels = metric_labels(result)
        weights = ", ".join(
            f"{labels.get(m, m)} {a * 100:.0f} % → {b * 100:.0f} %"
            for m, (a, b) in result.weight_changes.items()
        )
        text = f"<b>{result.summary}</b><br>Lists: {counts}"
        if weights:
            text += f"<br>Weights changed: {weights}"
        self.summary.setText(text)
        self.tabs.setTabText(1, f"List changes ({len(result.list_changes):,})")
        self.tabs.setTabText(2, f"New sites ({len(result.new_sites):,})")
        self.tabs.setTabText(3, f"Removed sites ({len(result.removed_sites):,})")
        self.compared.emit(result)

    def _on_failed(self, info: ErrorInfo) -> None:
        self.summary.setText(info.message)

    @Slot()
    def _on_finished(self) -> None:
        self.compare_button.setEnabled(self.old_combo.count() >= 2)
