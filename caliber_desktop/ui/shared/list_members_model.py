"""The model of one allow/block/monitor list of a run: a row per member site (or vendor).

It holds column arrays copied from the members frame, formats a cell only in ``data()`` for the
rows a view shows, and sorts through :class:`~caliber_desktop.ui.shared.table_base.SortedTableModel`
(architecture rule 8). The arrays (:func:`member_arrays`) and a first sort order need no widget:
the lists panel has them made on the worker that loads a run (``ui/lists/prepared.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.locale_format import format_int, format_number, format_value
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE, Index
from caliber_desktop.ui.shared.table_base import IntArray, SortedTableModel, rank_key


@dataclass(frozen=True)
class MemberArrays:
    """One list's members as the model's column arrays (per member, in the frame's order)."""

    ids: npt.NDArray[Any]
    names: npt.NDArray[Any]
    kinds: npt.NDArray[Any]
    score: npt.NDArray[np.float64]
    impressions: npt.NDArray[np.float64]
    spend: npt.NDArray[np.float64]
    pinned: npt.NDArray[np.bool_]
    reasons: npt.NDArray[Any]

    def __len__(self) -> int:
        return len(self.ids)


def member_arrays(members: pd.DataFrame | None) -> MemberArrays:
    """The arrays of a members frame (``SiteLists.members``); callable on any thread."""
    frame = members if members is not None else pd.DataFrame()
    n = len(frame)

    def column(name: str, default: Any, dtype: Any) -> npt.NDArray[Any]:
        if name not in frame:
            return np.full(n, default, dtype=dtype)
        if dtype is str:
            return text_array(frame[name], default)
        return frame[name].to_numpy(dtype=dtype, na_value=default)

    ids = text_array(frame.index.astype(str), "") if n else np.array([], str)
    return MemberArrays(
        ids=ids,
        names=column("display_name", "", str) if "display_name" in frame else ids,
        kinds=column("kind", "", str),
        score=column("score", np.nan, float),
        impressions=column("impressions", 0.0, float),
        spend=column("spend", 0.0, float),
        pinned=column("overridden", False, bool),
        reasons=column("override_reason", "", str),
    )


#: Text columns become numpy strings this many rows at a time (~1 µs a row, all of it holding
#: the interpreter lock): a 65k-site list's column in one call stalled the GUI thread 15–28 ms
#: while the loading worker made it.
TEXT_SLICE_ROWS = 4_096


def text_array(values: pd.Series | pd.Index[Any], default: str) -> npt.NDArray[np.str_]:
    """``values.to_numpy(dtype=str)``, converted :data:`TEXT_SLICE_ROWS` rows at a time."""
    n = len(values)
    if n <= TEXT_SLICE_ROWS:
        return values.to_numpy(dtype=str, na_value=default)
    parts = [
        (values.iloc if isinstance(values, pd.Series) else values)[
            start : start + TEXT_SLICE_ROWS
        ].to_numpy(dtype=str, na_value=default)
        for start in range(0, n, TEXT_SLICE_ROWS)
    ]
    return np.concatenate(parts)  # as wide as the widest text, as one conversion is


@dataclass(frozen=True)
class SortedRows:
    """Source rows already in one column's order (``sort_permutation`` of its key)."""

    column: int
    order: Qt.SortOrder
    rows: IntArray


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
        self.set_arrays(member_arrays(members))

    def set_arrays(self, arrays: MemberArrays, sorted_rows: SortedRows | None = None) -> None:
        """Replace every row with ready arrays; ``sorted_rows`` shows them in that order at once
        (a 100k-site list's argsort, made on the worker, not here)."""
        self.beginResetModel()
        self._ids, self._names, self._kinds = arrays.ids, arrays.names, arrays.kinds
        self._score, self._impressions, self._spend = arrays.score, arrays.impressions, arrays.spend
        self._pinned, self._reasons = arrays.pinned, arrays.reasons
        self.reset_rows(len(arrays))
        if sorted_rows is not None and len(sorted_rows.rows) == len(arrays):
            self._show(sorted_rows.rows)
            self._sort_column, self._sort_order = sorted_rows.column, sorted_rows.order
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """As the base; rows already in this order stay (the view asks again after a reset
        that came sorted, and the rows only change by a reset, which forgets the order)."""
        if column >= 0 and (column, order) == (self.sort_column, self.sort_order):
            return
        super().sort(column, order)

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
