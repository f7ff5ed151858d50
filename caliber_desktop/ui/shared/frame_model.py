"""A thin table model over a pandas frame of scored sites (architecture rule 8).

A DSP report can hold 100k+ sites, so the model never keeps per-row Python objects: it holds one
numpy array per column, and its base (``table_base.SortedTableModel``) an index array mapping view
rows to frame rows. ``data()`` does O(1) work (one array lookup and one format), sorting is one
numpy argsort over the whole column, and filtering is a boolean mask computed by the caller on
the same arrays. Views and delegates read raw values through named roles instead of parsing
display text back. :class:`ColumnSpec` says what one column shows; ``ui/results/columns.py``
builds the specs of a scored run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.locale_format import (
    format_int,
    format_number,
    format_percent,
    format_significant,
)
from caliber_desktop.ui.shared.recommendations import recommendation_color
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE, SORT_ROLE, Index
from caliber_desktop.ui.shared.table_base import SortedTableModel, rank_key

Kind = Literal[
    "text", "int", "number", "money", "percent", "score", "flags", "recommendation", "pinned"
]

#: Key of the virtual column showing the analyst's override (it is not in the frame).
PINNED_KEY = "pinned"
#: Kinds holding numbers: kept as float arrays by the model and right-aligned.
NUMERIC_KINDS: frozenset[str] = frozenset({"int", "number", "money", "percent", "score"})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class ColumnSpec:
    """One column: which frame column feeds it, its header and how a value is shown.

    ``tooltip_key`` names another frame column whose value becomes the cell's tooltip (the
    evidence behind a flag, the sentence behind a score), so tooltips cost nothing until hovered.
    ``blank_if_site`` leaves a text cell empty where it only repeats the row's site id (a name
    column then shows the names that say something). ``text_tip`` puts a text cell's whole text
    first in its tooltip: a long site or name is elided in a laptop-narrow column.
    """

    key: str
    header: str
    kind: Kind = "text"
    align: int | None = None
    tooltip_key: str | None = None
    header_tooltip: str | None = None
    blank_if_site: bool = False
    text_tip: bool = False
    #: The labels table (``models/labels.py``) a text column's machine values are shown
    #: through: ``"band"`` shows ``moderate`` as "Moderate". Sorting keeps the stored value.
    vocabulary: labels.Kind | None = None

    @property
    def alignment(self) -> int:
        if self.align is not None:
            return self.align
        return _RIGHT if self.kind in NUMERIC_KINDS else _LEFT


MISSING = "–"


@dataclass(frozen=True)
class FrameArrays:
    """A frame as :class:`FrameTableModel` holds it: one numpy array per column.

    Plain data (no Qt object), so :func:`frame_arrays` can build it on a worker and the model
    adopt it on the GUI thread with :meth:`FrameTableModel.set_arrays`.
    """

    columns: tuple[ColumnSpec, ...]
    ids: np.ndarray
    id_index: pd.Index[Any]
    values: tuple[np.ndarray, ...]
    tooltips: tuple[np.ndarray | None, ...]


#: Text columns become Python objects this many rows at a time: Arrow converts a whole column
#: in one call that holds the interpreter lock (~50 ms for 100k driver sentences), which a
#: worker doing it stalls the GUI thread for.
OBJECT_SLICE_ROWS = 16_384


def object_array(values: pd.Series | pd.Index[Any]) -> np.ndarray:
    """``values`` as a numpy object array, converted in slices (see :data:`OBJECT_SLICE_ROWS`)."""
    n = len(values)
    if n <= OBJECT_SLICE_ROWS:
        return np.asarray(values.to_numpy(dtype=object), dtype=object)
    out = np.empty(n, dtype=object)
    for start in range(0, n, OBJECT_SLICE_ROWS):
        stop = min(n, start + OBJECT_SLICE_ROWS)
        part = values.iloc[start:stop] if isinstance(values, pd.Series) else values[start:stop]
        out[start:stop] = part.to_numpy(dtype=object)
    return out


def frame_arrays(frame: pd.DataFrame, columns: Sequence[ColumnSpec]) -> FrameArrays:
    """The model's arrays of ``frame`` for ``columns`` (callable on any thread).

    Each text column is converted once however many specs show or cite it (Why is the tooltip
    of three columns).
    """
    n = len(frame)
    ids = object_array(frame.index.astype(str))
    converted: dict[str, np.ndarray] = {}

    def objects(key: str) -> np.ndarray:
        if key not in converted:
            converted[key] = object_array(frame[key])
        return converted[key]

    values = []
    for spec in columns:
        if spec.key == frame.index.name:
            values.append(ids)
        elif spec.key == PINNED_KEY or spec.key not in frame:
            values.append(np.full(n, None, dtype=object))
        elif spec.kind in NUMERIC_KINDS:
            values.append(frame[spec.key].to_numpy(dtype=np.float64, na_value=np.nan))
        elif spec.blank_if_site:
            values.append(np.where(objects(spec.key) == ids, "", objects(spec.key)))
        else:
            values.append(objects(spec.key))
    return FrameArrays(
        columns=tuple(columns),
        ids=ids,
        id_index=pd.Index(ids),
        values=tuple(values),
        tooltips=tuple(
            objects(spec.tooltip_key) if spec.tooltip_key and spec.tooltip_key in frame else None
            for spec in columns
        ),
    )


class FrameTableModel(SortedTableModel):
    """Rows of a site frame (indexed by site id) in view order, with pins marked."""

    ROLE_NAMES = ((SITE_ID_ROLE, b"siteId"), (SORT_ROLE, b"sortValue"), (PINNED_ROLE, b"pinned"))

    def __init__(self, columns: Sequence[ColumnSpec] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[ColumnSpec] = list(columns)
        self._ids = np.empty(0, dtype=object)
        self._id_index: pd.Index[Any] = pd.Index([], dtype=object)
        self._values: list[np.ndarray] = []
        self._tooltips: list[np.ndarray | None] = []
        self._pins = np.empty(0, dtype=object)  # frame row → "allow"/"block"/None
        self._pin_reasons = np.empty(0, dtype=object)
        self._italic = QFont()
        self._italic.setItalic(True)

    # ------------------------------------------------------------------ loading
    def set_frame(self, frame: pd.DataFrame, columns: Sequence[ColumnSpec] | None = None) -> None:
        """Replace the frame (and optionally the columns); filters and pins are cleared."""
        self.set_arrays(frame_arrays(frame, self._columns if columns is None else columns))

    def set_arrays(self, arrays: FrameArrays) -> None:
        """Adopt columns made by :func:`frame_arrays` (on a worker: 100k sites take ~0.2 s);
        only assignments here, so the GUI thread does not stall. Filters and pins are cleared."""
        self.beginResetModel()
        self._columns = list(arrays.columns)
        n = len(arrays.ids)
        self._ids = arrays.ids
        self._id_index = arrays.id_index
        self._values = list(arrays.values)
        self._tooltips = list(arrays.tooltips)
        self._pins = np.full(n, None, dtype=object)
        self._pin_reasons = np.full(n, None, dtype=object)
        self.reset_rows(n)
        self.endResetModel()

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
            self.forget_sort_key(pinned)
        if self.row_total() and self._columns:
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.row_total() - 1, len(self._columns) - 1)
            )

    # ------------------------------------------------------------------ lookups
    @property
    def columns(self) -> list[ColumnSpec]:
        return list(self._columns)

    def column_of(self, key: str) -> int:
        return next((i for i, spec in enumerate(self._columns) if spec.key == key), -1)

    def frame_rows(self) -> np.ndarray:
        """Frame positions of the shown rows, in view order (read-only view)."""
        return self.source_rows()

    def site_id(self, row: int) -> str:
        return str(self._ids[self.source_row(row)])

    def site_ids(self, rows: np.ndarray | Sequence[int]) -> list[str]:
        return [str(s) for s in self._ids[self.map_to_source_rows(rows)]]

    def pinned(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """Whether each view row is pinned (bool array)."""
        pins = self._pins[self.map_to_source_rows(rows)]
        return np.asarray(pins != None, dtype=bool)  # noqa: E711 (elementwise on an object array)

    def view_rows(self, site_ids: Sequence[str]) -> np.ndarray:
        """View rows of the given sites, ascending; hidden or unknown sites are left out."""
        if not len(site_ids) or not self.row_total():
            return np.empty(0, dtype=np.intp)
        frame_rows = self._id_index.get_indexer(pd.Index(list(site_ids), dtype=object))
        rows = self.map_from_source_rows(frame_rows[frame_rows >= 0])
        return np.unique(rows[rows >= 0])

    # ------------------------------------------------------------------ sorting
    def sort_key(self, column: int) -> np.ndarray:
        """Numbers as they are (NaN = missing); text and flags ranked (the base caches it)."""
        values = self._values[column]
        if values.dtype.kind == "f":
            return values
        if self._columns[column].kind == "flags":
            values = pd.Series(values).map(_join_flags, na_action="ignore").to_numpy()
        return rank_key(values)

    # ------------------------------------------------------------------ Qt API
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
        if not (0 <= row < self.row_total() and 0 <= column < len(self._columns)):
            return None
        frame_row = self.source_row(row)
        spec = self._columns[column]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._values[column][frame_row]
            if spec.vocabulary is not None and isinstance(value, str):
                return labels.label(spec.vocabulary, value)
            return _format(spec.kind, value)
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
        text = self._values[column][frame_row] if self._columns[column].text_tip else None
        lead = [text] if isinstance(text, str) and text else []
        tips = self._tooltips[column]
        tip = None if tips is None else tips[frame_row]
        if isinstance(tip, tuple | list):
            lines = [str(t) for t in tip]
        else:
            lines = [tip] if isinstance(tip, str) and tip else []
        return "\n".join(lead + lines) or None


def _join_flags(value: Any) -> str:
    """Flag codes as the analyst reads them ("Made-for-advertising pattern, CTR anomaly")."""
    if isinstance(value, tuple | list):
        return labels.flags(str(v) for v in value)
    return labels.flags(str(value))


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
            return format_int(number)
        if kind == "money":
            return format_number(number, 2)
        if kind == "percent":
            return format_percent(number, 2)
        if kind == "score":
            return format_number(number, 1)
        return format_significant(number)
    if kind == "flags":
        return _join_flags(value)
    if kind == "recommendation":  # a cell, like Quality's "Good": the label as the legend has it
        return labels.recommendation(str(value))
    if isinstance(value, float) and value != value:
        return MISSING
    return str(value)
