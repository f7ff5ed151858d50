"""Small table models over ready-made rows and column arrays (architecture rule 8).

:class:`TextTableModel` shows rows of text the import dialog already formatted (a preview, a loss
table); :class:`ListMembersModel` shows one allow/block/monitor list of a run over numpy columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from PySide6.QtCore import (
    QObject,
    Qt,
)
from PySide6.QtGui import QFont

from caliber_desktop.services.scoring.explain import format_value
from caliber_desktop.ui.shared.item_models import PINNED_ROLE, SITE_ID_ROLE, FlatTableModel, Index


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


class ListMembersModel(FlatTableModel):
    """One row per site on a list, over column arrays copied from the members frame.

    Cells are formatted in ``data()`` only for rows a view shows; sorting is one numpy argsort
    over the column, applied as a permutation (architecture rule 8).
    """

    COLUMNS = ("Site", "Kind", "Score", "Impressions", "Spend", "Source")
    SITE, KIND, SCORE, IMPRESSIONS, SPEND, SOURCE = range(6)
    NUMERIC = frozenset({SCORE, IMPRESSIONS, SPEND})
    ROLE_NAMES = ((SITE_ID_ROLE, b"siteId"), (PINNED_ROLE, b"pinned"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.set_frame(None)

    def set_unit(self, noun: str) -> None:
        """Name the first column for what the rows are ("Site", or "Vendor" at vendor level)."""
        columns = (noun, *type(self).COLUMNS[1:])
        if columns != self.COLUMNS:
            self.COLUMNS = columns
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)

    def set_frame(self, members: pd.DataFrame | None) -> None:
        """Replace every row (a reset: a new run or a new pin changes membership wholesale)."""
        frame = members if members is not None else pd.DataFrame()
        n = len(frame)

        def column(name: str, default: Any, dtype: Any) -> npt.NDArray[Any]:
            if name not in frame:
                return np.full(n, default, dtype=dtype)
            return frame[name].to_numpy(dtype=dtype, na_value=default)

        self.beginResetModel()
        self._ids = frame.index.astype(str).to_numpy(dtype=str) if n else np.array([], str)
        self._names = column("display_name", "", str) if "display_name" in frame else self._ids
        self._kinds = column("kind", "", str)
        self._score = column("score", np.nan, float)
        self._impressions = column("impressions", 0.0, float)
        self._spend = column("spend", 0.0, float)
        self._pinned = column("overridden", False, bool)
        self._reasons = column("override_reason", "", str)
        self._order: npt.NDArray[np.intp] = np.arange(n)
        self.endResetModel()

    def site_id(self, row: int) -> str:
        return str(self._ids[self._order[row]])

    def is_pinned(self, row: int) -> bool:
        return bool(self._pinned[self._order[row]])

    def row_total(self) -> int:
        return len(self._order)

    # ------------------------------------------------------------------ Qt API
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        i, column = int(self._order[index.row()]), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(i, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.SITE and self._names[i] != self._ids[i]:
                return f"Seen in the report as {self._names[i]}"
            if column == self.SOURCE and self._pinned[i]:
                return "Pinned by an analyst: kept on this list in every run until unpinned"
            return None
        if role == Qt.ItemDataRole.FontRole and column == self.SOURCE and self._pinned[i]:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SITE_ID_ROLE:
            return str(self._ids[i])
        if role == PINNED_ROLE:
            return bool(self._pinned[i])
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        keys = {
            self.SITE: self._ids,
            self.KIND: self._kinds,
            self.SCORE: self._score,
            self.IMPRESSIONS: self._impressions,
            self.SPEND: self._spend,
            self.SOURCE: np.where(
                self._pinned, np.char.add("pinned: ", self._reasons), "recommended"
            ),
        }
        key = keys.get(column)
        if key is None:
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_rows = [int(self._order[p.row()]) for p in old]
        order_ = np.argsort(key, kind="stable")
        if order is Qt.SortOrder.DescendingOrder:
            order_ = order_[::-1]
        self._order = order_
        where = np.empty_like(order_)
        where[order_] = np.arange(len(order_))
        self.changePersistentIndexList(
            old, [self.index(int(where[r]), p.column()) for r, p in zip(old_rows, old, strict=True)]
        )
        self.layoutChanged.emit()

    def _display(self, i: int, column: int) -> str | None:
        if column == self.SITE:
            return str(self._ids[i])
        if column == self.KIND:
            return str(self._kinds[i]).replace("_", " ")
        if column == self.SCORE:
            score = float(self._score[i])
            return "n/a" if np.isnan(score) else f"{score:.1f}"
        if column == self.IMPRESSIONS:
            return f"{self._impressions[i]:,.0f}"
        if column == self.SPEND:
            return format_value(float(self._spend[i]), "money")
        if column == self.SOURCE:
            if not self._pinned[i]:
                return "recommended"
            return f"pinned: {self._reasons[i]}" if self._reasons[i] else "pinned"
        return None
