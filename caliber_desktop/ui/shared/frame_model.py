"""A thin table model over a pandas frame of scored sites (architecture rule 8).

A DSP report can hold 100k+ sites, so the model never keeps per-row Python objects: it holds one
numpy array per column and an index array mapping view rows to frame rows. ``data()`` does O(1)
work (one array lookup and one format), sorting is one numpy argsort over the whole column, and
filtering is a boolean mask computed by the caller on the same arrays. Views and delegates read
raw values through named roles instead of parsing display text back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import (
    QObject,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from caliber_desktop.ui.results.columns import NUMERIC_KINDS, PINNED_KEY, ColumnSpec
from caliber_desktop.ui.shared.item_models import (
    PINNED_ROLE,
    SITE_ID_ROLE,
    SORT_ROLE,
    FlatTableModel,
    Index,
)

MISSING = "–"

#: Recommendation colours as (light theme, dark theme) pairs: saturated enough to read on white,
#: light enough to read on a dark base. Charts use the same ones so a colour means one thing.
_RECOMMENDATION_COLORS: dict[str, tuple[str, str]] = {
    "allow": ("#1e7d3a", "#62c97f"),
    "block": ("#c0392b", "#f07167"),
    "monitor": ("#b36b00", "#f2b84b"),
    "insufficient_data": ("#6b6b6b", "#a8a8a8"),
}
RECOMMENDATIONS: tuple[str, ...] = tuple(_RECOMMENDATION_COLORS)


def is_dark_palette(palette: QPalette | None = None) -> bool:
    """True when the base (table/plot background) is dark; colours are chosen to contrast it."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def recommendation_color(recommendation: str, palette: QPalette | None = None) -> QColor:
    """The colour of a recommendation that reads on the current light or dark theme."""
    light, dark = _RECOMMENDATION_COLORS.get(recommendation, ("#6b6b6b", "#a8a8a8"))
    return QColor(dark if is_dark_palette(palette) else light)


def recommendation_text(value: str) -> str:
    return value.replace("_", " ")


class FrameTableModel(FlatTableModel):
    """Rows of a site frame (indexed by site id) in view order, with pins marked."""

    ROLE_NAMES = ((SITE_ID_ROLE, b"siteId"), (SORT_ROLE, b"sortValue"), (PINNED_ROLE, b"pinned"))

    def __init__(self, columns: Sequence[ColumnSpec] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[ColumnSpec] = list(columns)
        self._ids = np.empty(0, dtype=object)
        self._id_index = pd.Index([], dtype=object)
        self._values: list[np.ndarray] = []
        self._tooltips: list[np.ndarray | None] = []
        self._sort_keys: dict[int, np.ndarray] = {}
        self._sorted = np.empty(0, dtype=np.intp)  # frame rows in sort order (all of them)
        self._mask: np.ndarray | None = None  # frame rows that pass the filter
        self._rows = np.empty(0, dtype=np.intp)  # view row → frame row
        self._pins = np.empty(0, dtype=object)  # frame row → "allow"/"block"/None
        self._pin_reasons = np.empty(0, dtype=object)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._italic = QFont()
        self._italic.setItalic(True)

    # ------------------------------------------------------------------ loading
    def set_frame(self, frame: pd.DataFrame, columns: Sequence[ColumnSpec] | None = None) -> None:
        """Replace the frame (and optionally the columns); filters and pins are cleared."""
        self.beginResetModel()
        if columns is not None:
            self._columns = list(columns)
        n = len(frame)
        self._ids = frame.index.astype(str).to_numpy(dtype=object)
        self._id_index = pd.Index(self._ids)
        self._values = [self._column_array(frame, spec, n) for spec in self._columns]
        self._tooltips = [
            frame[spec.tooltip_key].to_numpy(dtype=object)
            if spec.tooltip_key and spec.tooltip_key in frame
            else None
            for spec in self._columns
        ]
        self._sort_keys = {}
        self._pins = np.full(n, None, dtype=object)
        self._pin_reasons = np.full(n, None, dtype=object)
        self._mask = None
        self._sort_column, self._sort_order = -1, Qt.SortOrder.AscendingOrder
        self._sorted = np.arange(n, dtype=np.intp)
        self._rows = self._sorted
        self.endResetModel()

    @staticmethod
    def _column_array(frame: pd.DataFrame, spec: ColumnSpec, n: int) -> np.ndarray:
        if spec.key == frame.index.name:
            return frame.index.astype(str).to_numpy(dtype=object)
        if spec.key == PINNED_KEY or spec.key not in frame:
            return np.full(n, None, dtype=object)
        column = frame[spec.key]
        if spec.kind in NUMERIC_KINDS:
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        return column.to_numpy(dtype=object)

    def set_pins(self, pins: Mapping[str, tuple[str, str]] | None) -> None:
        """Mark rows pinned by the analyst: site id → (action, reason). Order and filter stay."""
        n = len(self._ids)
        self._pins = np.full(n, None, dtype=object)
        self._pin_reasons = np.full(n, None, dtype=object)
        if pins:
            keys = list(pins)
            where = self._id_index.get_indexer(pd.Index(keys, dtype=object))
            found = where >= 0
            values = [pins[k] for k, ok in zip(keys, found, strict=True) if ok]
            self._pins[where[found]] = [action for action, _ in values]
            self._pin_reasons[where[found]] = [reason for _, reason in values]
        pinned = self.column_of(PINNED_KEY)
        if pinned >= 0:
            self._values[pinned] = self._pins
            self._sort_keys.pop(pinned, None)
        if len(self._rows) and self._columns:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self._columns) - 1)
            )

    def set_filter_mask(self, mask: np.ndarray | None) -> None:
        """Show only frame rows where ``mask`` is true (None shows all); the sort order stays.

        A reset, not row removals: a filter can drop any rows anywhere, and a reset over a
        shown-row index array costs the same at 100 rows or 100k.
        """
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(self._ids),):
                raise ValueError(f"mask has {mask.shape}, the frame {len(self._ids)} rows")
        self.beginResetModel()
        self._mask = mask
        self._rows = self._sorted if mask is None else self._sorted[mask[self._sorted]]
        self.endResetModel()

    # ------------------------------------------------------------------ lookups
    @property
    def columns(self) -> list[ColumnSpec]:
        return list(self._columns)

    def column_of(self, key: str) -> int:
        return next((i for i, spec in enumerate(self._columns) if spec.key == key), -1)

    def frame_rows(self) -> np.ndarray:
        """Frame positions of the shown rows, in view order (read-only view)."""
        view = self._rows.view()
        view.flags.writeable = False
        return view

    def site_id(self, row: int) -> str:
        return str(self._ids[self._rows[row]])

    def site_ids(self, rows: np.ndarray | Sequence[int]) -> list[str]:
        return [str(s) for s in self._ids[self._rows[np.asarray(rows, dtype=np.intp)]]]

    def pinned(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """Whether each view row is pinned (bool array)."""
        pins = self._pins[self._rows[np.asarray(rows, dtype=np.intp)]]
        return np.asarray(pins != None, dtype=bool)  # noqa: E711 (elementwise on an object array)

    def view_rows(self, site_ids: Sequence[str]) -> np.ndarray:
        """View rows of the given sites, ascending; hidden or unknown sites are left out."""
        if not len(site_ids) or not len(self._rows):
            return np.empty(0, dtype=np.intp)
        frame_rows = self._id_index.get_indexer(pd.Index(list(site_ids), dtype=object))
        position = np.full(len(self._ids), -1, dtype=np.intp)
        position[self._rows] = np.arange(len(self._rows), dtype=np.intp)
        rows = position[frame_rows[frame_rows >= 0]]
        return np.unique(rows[rows >= 0])

    # ------------------------------------------------------------------ sorting
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Stable numpy sort of the whole frame by one column, missing values last either way.

        Ties keep frame order (score descending, then id), so a sort is reproducible. Persistent
        indexes (selection, current row) follow their rows to the new positions.
        """
        if column >= len(self._columns):
            return
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_frame_rows = np.array([self._rows[i.row()] for i in old_persistent], dtype=np.intp)
        if column < 0:
            self._sorted = np.arange(len(self._ids), dtype=np.intp)
        else:
            key = self._sort_key(column)
            if order == Qt.SortOrder.DescendingOrder:
                key = -key  # NaN stays NaN, so still last
            self._sorted = np.argsort(key, kind="stable").astype(np.intp, copy=False)
        self._sort_column, self._sort_order = column, order
        mask = self._mask
        self._rows = self._sorted if mask is None else self._sorted[mask[self._sorted]]
        if old_persistent:
            position = np.full(len(self._ids), -1, dtype=np.intp)
            position[self._rows] = np.arange(len(self._rows), dtype=np.intp)
            new_rows = position[old_frame_rows]
            self.changePersistentIndexList(
                old_persistent,
                [
                    self.index(int(r), i.column())
                    for r, i in zip(new_rows, old_persistent, strict=True)
                ],
            )
        self.layoutChanged.emit()

    def _sort_key(self, column: int) -> np.ndarray:
        """A float key per frame row (NaN = missing); text is ranked once and cached."""
        cached = self._sort_keys.get(column)
        if cached is not None:
            return cached
        values = self._values[column]
        if values.dtype.kind == "f":
            key = values
        else:
            if self._columns[column].kind == "flags":
                values = pd.Series(values).map(_join_flags, na_action="ignore").to_numpy()
            codes, _ = pd.factorize(pd.Series(values, dtype=object), sort=True)
            key = codes.astype(np.float64)
            key[codes < 0] = np.nan
        self._sort_keys[column] = key
        return key

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    # ------------------------------------------------------------------ Qt API
    def row_total(self) -> int:
        return len(self._rows)

    def column_total(self) -> int:
        return len(self._columns)

    def headerData(  # noqa: N802 (Qt override)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        spec = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.header_tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return spec.alignment
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(self._columns)):
            return None
        frame_row = self._rows[row]
        spec = self._columns[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return _format(spec.kind, self._values[column][frame_row])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return spec.alignment
        if role == SITE_ID_ROLE:
            return str(self._ids[frame_row])
        if role == SORT_ROLE:
            return _raw(self._values[column][frame_row])
        if role == PINNED_ROLE:
            pin = self._pins[frame_row]
            return None if pin is None else str(pin)
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if self._pins[frame_row] is not None else None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(spec, self._values[column][frame_row])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(column, frame_row)
        return None

    def _decoration(self, spec: ColumnSpec, value: Any) -> QColor | None:
        if spec.kind == "recommendation" and isinstance(value, str):
            return recommendation_color(value)
        if spec.kind == "pinned" and isinstance(value, str):
            return recommendation_color(value)
        return None

    def _tooltip(self, column: int, frame_row: int) -> str | None:
        if self._columns[column].kind == "pinned":
            reason = self._pin_reasons[frame_row]
            if self._pins[frame_row] is None:
                return None
            return f"Pinned to the {self._pins[frame_row]} list" + (f": {reason}" if reason else "")
        tips = self._tooltips[column]
        if tips is None:
            return None
        tip = tips[frame_row]
        if isinstance(tip, tuple | list):
            return "\n".join(str(t) for t in tip) or None
        return str(tip) if isinstance(tip, str) and tip else None


def _join_flags(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, tuple | list) else str(value)


def _raw(value: Any) -> Any:
    """Plain Python values for Qt (a numpy scalar does not cross into QVariant cleanly)."""
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, tuple | list):
        return list(value)
    return value


def _format(kind: str, value: Any) -> str | None:
    """One cell's text; O(1), called only for the cells the view paints."""
    if value is None:
        return "" if kind in ("pinned", "flags") else MISSING
    if kind in NUMERIC_KINDS:
        number = float(value)
        if number != number:  # NaN
            return MISSING
        if kind == "int":
            return f"{number:,.0f}"
        if kind == "money":
            return f"{number:,.2f}"
        if kind == "percent":
            return f"{number * 100:.2f} %"
        if kind == "score":
            return f"{number:.1f}"
        return f"{number:,.3g}"
    if kind == "flags":
        return _join_flags(value)
    if kind == "recommendation":
        return recommendation_text(str(value))
    if isinstance(value, float) and value != value:
        return MISSING
    return str(value)
