"""The results panel's filter bar: search, recommendation, quality, flags and impressions.

:class:`ResultsFilters` builds the filter widgets and the two rows they sit in (the panel adds the
rows to its layout and keeps the widgets as its own attributes). Per result it prepares the
lowercased search text and one mask per flag code, so filtering is a few numpy operations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
)

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.recommendations import RECOMMENDATIONS, recommendation_text

ALL = "All"
ANY_FLAG = "__any__"


@dataclass(frozen=True)
class FilterArrays:
    """What filtering one result needs, computed once (on a worker for a loaded run)."""

    #: each site's id and name, lowercased, for the search box
    search_text: pd.Series
    #: frame rows carrying each flag code (and :data:`ANY_FLAG`: any flag)
    flag_masks: Mapping[str, np.ndarray]
    #: the flag codes present, in the flag filter's order
    flag_codes: tuple[str, ...]


def filter_arrays(frame: pd.DataFrame) -> FilterArrays:
    """Lowercased search text and one mask per flag code (callable on any thread)."""
    n = len(frame)
    ids = pd.Series(frame.index.astype(str), dtype=object)
    names = (
        pd.Series(frame["display_name"].to_numpy(dtype=object), dtype=object).fillna("")
        if "display_name" in frame
        else pd.Series([""] * n, dtype=object)
    )
    search_text = (ids + "\n" + names.astype(str)).str.lower()
    masks: dict[str, np.ndarray] = {}
    codes: list[str] = []
    if "flags" in frame and n:
        # A plain loop, not pandas' map(len) and explode: each of those held the interpreter
        # lock ~15 ms for 100k sites while this runs on a worker beside the window.
        rows_of: dict[str, list[int]] = {}
        flagged = np.zeros(n, dtype=bool)
        for row, value in enumerate(frame["flags"].to_numpy(dtype=object)):
            for code in _flag_codes(value):
                rows_of.setdefault(str(code), []).append(row)
                flagged[row] = True
        masks[ANY_FLAG] = flagged
        for code in sorted(rows_of):
            mask = np.zeros(n, dtype=bool)
            mask[rows_of[code]] = True
            masks[code] = mask
            codes.append(code)
    return FilterArrays(search_text, masks, tuple(codes))


def _flag_codes(value: object) -> tuple[object, ...]:
    """One site's flag codes: a tuple (a list from older callers), none for a missing value."""
    if isinstance(value, tuple | list | np.ndarray):
        return tuple(code for code in value if code is not None and code == code)
    if value is None or (isinstance(value, float) and value != value):
        return ()
    return (value,)


class ResultsFilters:
    """The filter widgets, their two layout rows, and the arrays they filter on."""

    def __init__(self, shown_label: QLabel) -> None:
        self._search_text = pd.Series([], dtype=object)
        self._flag_masks: dict[str, np.ndarray] = {}
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search site or name…")
        self.search_edit.setAccessibleName("Search sites")
        self.search_edit.setClearButtonEnabled(True)
        self.recommendation_combo = _combo([(ALL, None)] + [
            (recommendation_text(r), r) for r in RECOMMENDATIONS
        ])  # fmt: skip
        self.quality_combo = _combo(
            [(ALL, None), *((labels.band(b).lower(), b) for b in ("good", "moderate", "poor"))]
        )
        self.min_impressions_spin = QSpinBox()
        self.min_impressions_spin.setRange(0, 2_000_000_000)
        self.min_impressions_spin.setSingleStep(100)
        self.min_impressions_spin.setGroupSeparatorShown(True)
        self.min_impressions_spin.setPrefix("≥ ")
        self.min_impressions_spin.setSuffix(" imps")
        self.min_impressions_spin.setToolTip("Only sites with at least this many impressions")
        self.flag_combo = _combo([(ALL, None), ("any flag", ANY_FLAG)])
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns…")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.columns_button.setMenu(self.columns_menu)
        #: shows or hides the histogram and the scatter (more rows for the table on a laptop)
        self.charts_button = QToolButton()
        self.charts_button.setObjectName("chartsToggle")
        self.charts_button.setText("Charts")
        self.charts_button.setCheckable(True)
        self.charts_button.setChecked(True)
        self.charts_button.setToolTip("Show or hide the score histogram and the spend chart")
        # Two rows, so the panel (and the window) stay usable on a laptop screen with docks open.
        self.search_row = search_row = QHBoxLayout()
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(shown_label)
        search_row.addWidget(self.columns_button)
        search_row.addWidget(self.charts_button)
        self.grid = filters = QGridLayout()
        for i, (text, widget) in enumerate(
            (
                ("Recommendation", self.recommendation_combo),
                ("Quality", self.quality_combo),
                ("Flags", self.flag_combo),
                ("Impressions", self.min_impressions_spin),
            )
        ):
            if isinstance(widget, QComboBox):
                widget.setSizeAdjustPolicy(
                    QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
                )
                widget.setMinimumContentsLength(6)
            row, column = divmod(i, 2)
            widget.setAccessibleName(text)  # what a screen reader says; the label sits beside
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addWidget(label, row, column * 2)
            filters.addWidget(widget, row, column * 2 + 1)
        filters.setColumnStretch(1, 1)
        filters.setColumnStretch(3, 1)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` the current filters keep (the panel hands this to the model)."""
        n = len(frame)
        mask = np.ones(n, dtype=bool)
        if not n:
            return mask
        text = self.search_edit.text().strip().lower()
        if text:
            mask &= self._search_text.str.contains(text, regex=False).to_numpy(dtype=bool)
        for combo, column in ((self.recommendation_combo, "recommendation"),
                              (self.quality_combo, "quality_status")):  # fmt: skip
            wanted = combo.currentData()
            if wanted is not None and column in frame:
                mask &= frame[column].to_numpy(dtype=object) == wanted
        minimum = self.min_impressions_spin.value()
        if minimum > 0:
            imps = frame["impressions"].to_numpy(dtype=np.float64, na_value=np.nan)
            mask &= np.nan_to_num(imps, nan=-1.0) >= minimum
        flag = self.flag_combo.currentData()
        if flag is not None:
            mask &= self._flag_masks.get(flag, np.zeros(n, dtype=bool))
        return mask

    def prepare(self, frame: pd.DataFrame, arrays: FilterArrays | None = None) -> None:
        """Adopt the arrays filtering ``frame`` needs (:func:`filter_arrays`, made here when a
        worker did not make them) and list its flags in the flag filter."""
        if arrays is None:
            arrays = filter_arrays(frame)
        self._search_text = arrays.search_text
        self._flag_masks = dict(arrays.flag_masks)
        self.flag_combo.blockSignals(True)
        while self.flag_combo.count() > 2:
            self.flag_combo.removeItem(2)
        for code in arrays.flag_codes:
            self.flag_combo.addItem(labels.flag(code), code)
        self.flag_combo.blockSignals(False)

    def reset(self) -> None:
        widgets = (self.search_edit, self.recommendation_combo, self.quality_combo,
                   self.flag_combo, self.min_impressions_spin)  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        self.search_edit.clear()
        for combo in (self.recommendation_combo, self.quality_combo, self.flag_combo):
            combo.setCurrentIndex(0)
        self.min_impressions_spin.setValue(0)
        for widget in widgets:
            widget.blockSignals(False)


def _combo(items: Sequence[tuple[str, str | None]]) -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo
