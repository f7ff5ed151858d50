"""The bases of the app's table models: flat rows, and rows shown through a numpy permutation.

Architecture rule 8: a view sorts a table by asking its model (``sort()``), never through a
``QSortFilterProxyModel`` calling a Python ``lessThan`` per pair of rows (about 5 s for 50k rows
against ~50 ms for one numpy argsort, docs ``performance.md``). :class:`SortedTableModel` is the
one place that keeps the permutation, maps view rows to source rows and back, and moves the
views' persistent indexes (selection, current row) along with their rows; it follows Orange's
``AbstractSortTableModel`` (``orangewidget/utils/itemmodels.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QObject,
    Qt,
    SignalInstance,
)

from caliber_desktop.ui.shared.roles import Index

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Rows move, columns stay: views and proxies may keep their column state.
_SORT_HINT = QAbstractItemModel.LayoutChangeHint.VerticalSortHint


class FlatTableModel(QAbstractTableModel):
    """A table without children: the row count and the column headers are the only hooks.

    Subclasses set :attr:`COLUMNS` (or override :meth:`column_total` and ``headerData`` for
    richer headers) and implement :meth:`row_total`.
    """

    COLUMNS: tuple[str, ...] = ()
    #: The model's own data roles and their names (``roleNames``, for QML and model testers).
    ROLE_NAMES: tuple[tuple[int, bytes], ...] = ()

    def row_total(self) -> int:
        raise NotImplementedError

    def column_total(self) -> int:
        return len(self.COLUMNS)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else self.column_total()

    def headerData(  # noqa: N802 (Qt override)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Read-only rows without children."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def roleNames(self) -> dict[int, QByteArray]:  # noqa: N802 (Qt override)
        names = dict(super().roleNames())
        names.update({role: QByteArray(name) for role, name in self.ROLE_NAMES})
        return names


# --------------------------------------------------------------------------- sort keys


def rank_key(values: npt.ArrayLike) -> FloatArray:
    """Text (or any comparable values) as float ranks in ascending order; missing → NaN.

    Ranking once per column turns every later sort into a float argsort, and lets descending
    be a negation that keeps ties stable and missing values last.
    """
    codes, _ = pd.factorize(pd.Series(np.asarray(values), dtype=object), sort=True)
    key = codes.astype(np.float64)
    key[codes < 0] = np.nan
    return key


def sort_permutation(key: npt.ArrayLike, order: Qt.SortOrder) -> IntArray:
    """Source rows in ``order`` of ``key``: stable both ways (ties keep source order) and NaN
    last both ways, which a reversed ascending sort would give neither of."""
    values = np.asarray(key, dtype=np.float64)
    if order == Qt.SortOrder.DescendingOrder:
        values = -values  # -NaN is NaN: still last
    return np.argsort(values, kind="stable").astype(np.intp, copy=False)


# --------------------------------------------------------------------------- the sort base


class SortedTableModel(FlatTableModel):
    """Source rows (held by the subclass as column arrays) shown through a row permutation.

    The base owns ``_order`` (view row → source row, only the rows the filter keeps) and keeps
    it in step with sorting and filtering. A subclass:

    - keeps its data per *source* row and reads it in ``data()`` through :meth:`source_row`
      (or ``self._order[row]``);
    - calls :meth:`reset_rows` between ``beginResetModel()`` and ``endResetModel()`` whenever
      its rows are replaced (sorting and filter start over, as views re-sort on a reset);
    - implements :meth:`sort_key`; a changed column's cached key is dropped with
      :meth:`forget_sort_key`.

    :meth:`sort` is one stable numpy argsort of a float key per column, missing values last in
    both orders, signalled as a vertical-sort layout change with every persistent index
    (selections, the current index) moved to its row's new place.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sorted: IntArray = np.empty(0, dtype=np.intp)  # every source row, in sort order
        self._shown: BoolArray | None = None  # source rows the filter keeps; None keeps all
        self._order: IntArray = self._sorted  # view row → source row
        self._positions: IntArray | None = None  # source row → view row (-1 hidden), lazily
        self._sort_keys: dict[int, FloatArray | None] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder

    # ------------------------------------------------------------------ subclass hooks
    def sort_key(self, column: int) -> npt.ArrayLike | None:
        """One number per source row ordering ``column`` ascending, NaN for a missing value;
        None when the column does not sort. Asked once per column, then cached."""
        return None

    def reset_rows(self, count: int) -> None:
        """Show ``count`` source rows in source order, unfiltered and unsorted; drop cached keys.

        Part of a reset: call it between ``beginResetModel()`` and ``endResetModel()``.
        """
        self._sort_keys.clear()
        self._sort_column, self._sort_order = -1, Qt.SortOrder.AscendingOrder
        self._shown = None
        self._show(np.arange(count, dtype=np.intp))

    def forget_sort_key(self, column: int | None = None) -> None:
        """Drop the cached key of ``column`` (every column when None) after its values changed.

        The rows keep their order until the next :meth:`sort`.
        """
        if column is None:
            self._sort_keys.clear()
        else:
            self._sort_keys.pop(column, None)

    # ------------------------------------------------------------------ filtering
    def set_filter_mask(self, mask: npt.ArrayLike | None) -> None:
        """Show only source rows where ``mask`` is true (None shows all); the sort order stays.

        A reset, not row removals: a filter can drop any rows anywhere, and a reset over a
        shown-row index array costs the same at 100 rows or 100k.
        """
        shown = None if mask is None else np.asarray(mask, dtype=bool)
        if shown is not None and shown.shape != self._sorted.shape:
            raise ValueError(f"mask has {shown.shape}, the model {len(self._sorted)} rows")
        self.beginResetModel()
        self._shown = shown
        self._show(self._sorted)
        self.endResetModel()

    # ------------------------------------------------------------------ row mapping
    def row_total(self) -> int:
        return len(self._order)

    def source_row(self, row: int) -> int:
        """The source row shown at view row ``row``."""
        return int(self._order[row])

    def source_rows(self) -> IntArray:
        """The source rows of every shown row, in view order (read-only)."""
        view = self._order.view()
        view.flags.writeable = False
        return view

    def map_to_source_rows(self, rows: npt.ArrayLike) -> IntArray:
        """Source rows of view rows."""
        return self._order[np.asarray(rows, dtype=np.intp)]

    def map_from_source_rows(self, source_rows: npt.ArrayLike) -> IntArray:
        """View rows of source rows; -1 for a row the filter hides."""
        if self._positions is None:
            positions = np.full(len(self._sorted), -1, dtype=np.intp)
            positions[self._order] = np.arange(len(self._order), dtype=np.intp)
            self._positions = positions
        return self._positions[np.asarray(source_rows, dtype=np.intp)]

    # ------------------------------------------------------------------ sorting
    @property
    def sort_column(self) -> int:
        """The column the rows are sorted by; -1 for source order."""
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Stable sort of every source row by ``column``'s key, missing values last either way.

        Ties keep source order, so a sort is reproducible whatever was clicked before. A
        negative column restores source order; a column without a key leaves the rows alone.
        """
        if column >= self.column_total():
            return
        if column < 0:
            permutation = np.arange(len(self._sorted), dtype=np.intp)
        else:
            key = self._key(column)
            if key is None:
                return
            permutation = sort_permutation(key, order)
        self._sort_column, self._sort_order = column, order
        self._reorder(permutation)

    def _key(self, column: int) -> FloatArray | None:
        if column not in self._sort_keys:
            key = self.sort_key(column)
            self._sort_keys[column] = None if key is None else np.asarray(key, dtype=np.float64)
        return self._sort_keys[column]

    def _reorder(self, permutation: IntArray) -> None:
        """Show the rows in a new order, telling views and moving every persistent index."""
        _with_hint(self.layoutAboutToBeChanged).emit([], _SORT_HINT)
        persistent = self.persistentIndexList()
        sources = self._order[np.fromiter((p.row() for p in persistent), np.intp, len(persistent))]
        self._show(permutation)
        if persistent:
            rows = self.map_from_source_rows(sources)
            self.changePersistentIndexList(
                persistent,
                [
                    self.index(int(row), old.column()) if row >= 0 else QModelIndex()
                    for row, old in zip(rows, persistent, strict=True)
                ],
            )
        _with_hint(self.layoutChanged).emit([], _SORT_HINT)

    def _show(self, permutation: IntArray) -> None:
        """Adopt a sort order of all source rows; the view shows those the filter keeps."""
        self._sorted = permutation
        shown = self._shown
        self._order = permutation if shown is None else permutation[shown[permutation]]
        self._positions = None


def _with_hint(signal: SignalInstance) -> SignalInstance:
    """The overload of a layout signal that carries a hint: PySide's ``emit`` on the plain
    attribute picks the argument-less one, and views would never see the sort hint."""
    overloads: Any = signal  # PySide's stubs lack SignalInstance.__getitem__
    hinted: SignalInstance = overloads[
        "QList<QPersistentModelIndex>", QAbstractItemModel.LayoutChangeHint
    ]
    return hinted
