"""The model of one allow/block/monitor list of a run: a row per member site (or vendor).

It holds column arrays copied from the members frame, formats a cell only in ``data()`` for the
rows a view shows, and sorts through :class:`~caliber_desktop.ui.shared.table_base.SortedTableModel`
(architecture rule 8).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.locale_format import format_int, format_number, format_value
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE, Index
from caliber_desktop.ui.shared.table_base import SortedTableModel, rank_key


class ListMembersModel(SortedTableModel):
    """One row per site on a list, over column arrays copied from the members frame."""

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
        self.reset_rows(n)
        self.endResetModel()

    def site_id(self, row: int) -> str:
        return str(self._ids[self.source_row(row)])

    def is_pinned(self, row: int) -> bool:
        return bool(self._pinned[self.source_row(row)])

    def sort_key(self, column: int) -> npt.ArrayLike | None:
        """Numbers as they are (a missing score is NaN, so last), text ranked."""
        if column == self.SITE:
            return rank_key(self._ids)
        if column == self.KIND:
            return rank_key(self._kinds)
        if column == self.SCORE:
            return self._score
        if column == self.IMPRESSIONS:
            return self._impressions
        if column == self.SPEND:
            return self._spend
        if column == self.SOURCE:
            pinned = np.char.add("pinned: ", self._reasons)
            return rank_key(np.where(self._pinned, pinned, "recommended"))
        return None

    # ------------------------------------------------------------------ Qt API
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.row_total():
            return None
        i, column = self.source_row(index.row()), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(i, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.SITE:  # whole: a narrow dock elides the cell
                site = str(self._ids[i])
                if self._names[i] == self._ids[i]:
                    return site
                return f"{site}\nSeen in the report as {self._names[i]}"
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

    def _display(self, i: int, column: int) -> str | None:
        if column == self.SITE:
            return str(self._ids[i])
        if column == self.KIND:
            return labels.label("site_kind", self._kinds[i])
        if column == self.SCORE:
            score = float(self._score[i])
            return "n/a" if np.isnan(score) else format_number(score, 1)
        if column == self.IMPRESSIONS:
            return format_int(float(self._impressions[i]))
        if column == self.SPEND:
            return format_value(float(self._spend[i]), "money")
        if column == self.SOURCE:
            if not self._pinned[i]:
                return "recommended"
            return f"pinned: {self._reasons[i]}" if self._reasons[i] else "pinned"
        return None
