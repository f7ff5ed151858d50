"""What became of a report's rows and columns, shown the same way before and after scoring.

The import dialog shows it before anything is scored; the results header carries a chip that
opens it for the run on screen. Both read one :class:`DataQuality`: every row accounted for
(read = scored + left out, per reason with examples), how the ids were read (kinds, web hosts
rolled up, apps kept whole) and every warning and note, warnings first.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.scoring.model import DataQuality
from caliber_desktop.services.scoring.vocabulary import counted, ids_text
from caliber_desktop.ui.shared.locale_format import format_int, format_number
from caliber_desktop.ui.shared.text_table import TextTableModel

ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}


def chip_text(quality: DataQuality) -> tuple[str, str]:
    """(text, tone) of the results header's data-quality chip."""
    warnings = len(quality.warnings)
    left = quality.rows_dropped
    parts = []
    if warnings:
        parts.append(f"{format_int(warnings)} warning{'s' if warnings != 1 else ''}")
    parts.append(
        f"{format_int(left)} row{'s' if left != 1 else ''} left out" if left else "all rows scored"
    )
    return ("⚠ " if warnings else "") + " · ".join(parts), ("warn" if warnings else "neutral")


class DataQualityView(QWidget):
    """The accounting line, the ids line, the rows left out and every issue (warnings first)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = QLabel(wordWrap=True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ids_label = QLabel(wordWrap=True)
        self.dropped_model = TextTableModel(self)
        self.dropped_view = QTableView()
        self.dropped_view.setModel(self.dropped_model)
        self.dropped_view.setTabKeyNavigation(False)  # Tab moves on; arrows move inside
        self.dropped_view.setAccessibleName("Rows that will be dropped")
        self.dropped_view.verticalHeader().hide()
        self.dropped_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dropped_view.setWordWrap(True)
        self.dropped_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.dropped_view.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.issue_list = QListWidget()
        self.issue_list.setAccessibleName("Data quality issues")
        self.issue_list.setWordWrap(True)
        self.issue_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.issue_list.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.summary_label, self.ids_label, self.dropped_view):
            layout.addWidget(widget)
        layout.addWidget(self.issue_list, 1)

    def show_quality(
        self, quality: DataQuality, *, sites: int | None = None, problem: str | None = None
    ) -> None:
        text = quality.accounting()
        if sites is not None:
            text += f" · {counted(sites, quality.level)}"
        self.summary_label.setText(text)
        self.summary_label.setToolTip(
            "Every data row of the file is either scored or left out for one of the reasons below."
        )
        ids = ids_text(quality.ids)
        self.ids_label.setText(ids)
        self.ids_label.setVisible(bool(ids))
        rows = [
            [
                format_int(d.rows),
                format_int(d.impressions),
                format_number(d.spend, 2),
                d.label,
                "; ".join(d.examples[:3]),
            ]
            for d in quality.dropped
        ]
        self.dropped_model.set_rows(
            ["Rows", "Impressions", "Spend", "Left out because", "Examples"], rows
        )
        header = self.dropped_view.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (3, 4):  # the words wrap in their share of the width
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.dropped_view.setVisible(bool(rows))
        self._fit_dropped()
        issues: list[tuple[str, str]] = [(i.severity, i.message) for i in quality.warnings]
        issues += [(i.severity, i.message) for i in quality.issues if i.severity != "warning"]
        if problem:
            issues.insert(0, ("error", problem))
        self.show_issues(issues)

    def _fit_dropped(self) -> None:
        """As tall as its rows (up to six), so the issues below keep the room."""
        view = self.dropped_view
        view.resizeRowsToContents()
        shown = min(self.dropped_model.rowCount(), 6)
        height = view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
        height += sum(view.rowHeight(r) for r in range(shown))
        view.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.dropped_view.isVisible():
            self._fit_dropped()  # wrapped rows change height with the width

    def show_issues(self, issues: Sequence[tuple[str, str]]) -> None:
        self.issue_list.clear()
        style = self.style()
        for severity, message in issues:
            icon = style.standardIcon(ICONS.get(severity, ICONS["info"]))
            item = QListWidgetItem(icon, message)
            item.setToolTip(message)
            item.setData(Qt.ItemDataRole.UserRole, severity)
            self.issue_list.addItem(item)
        if not issues:
            self.issue_list.addItem("No problems found.")


class DataQualityDialog(QDialog):
    """The data-quality view of a scored run, opened from the results header."""

    def __init__(
        self, quality: DataQuality, sites: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Data quality — {quality.source or 'report'}")
        self.view = DataQualityView(self)
        self.view.show_quality(quality, sites=sites)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 130, metrics.height() * 36)
