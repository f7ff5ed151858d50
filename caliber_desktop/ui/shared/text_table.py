"""A table of ready-made text: the import dialog's file preview and its loss table.

The rows arrive formatted and are few, so this model keeps them as strings and neither sorts
nor formats lazily (the numpy-backed site tables build on ``table_base.SortedTableModel``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt

from caliber_desktop.ui.shared.roles import Index
from caliber_desktop.ui.shared.table_base import FlatTableModel


class TextTableModel(FlatTableModel):
    """Rows of ready-made text (a preview, a loss table): tiny, so no lazy formatting is needed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[str] = []
        self._rows: list[list[str]] = []
        self._tips: list[str] = []

    def set_rows(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], tips: Sequence[str] = ()
    ) -> None:
        """Replace everything; ``tips`` are per-column header tooltips (e.g. the file header)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = [[*row, *[""] * (len(columns) - len(row))][: len(columns)] for row in rows]
        self._tips = list(tips)
        self.endResetModel()

    def row_total(self) -> int:
        return len(self._rows)

    def column_total(self) -> int:
        return len(self._columns)

    def headerData(  # noqa: N802 (Qt override)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self._tips):
            return self._tips[section] or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None
