"""Sorting of the numpy-backed table models, through their one base (``ui/shared/table_base``).

Every such model (the results/compare frame model, a list's members) is checked the same way:
Qt's model tester watching a sort of every column in both orders; a selection and the current
row following their sites through a sort, with missing values present; ties keeping source
order (a stable sort, whatever was clicked before); missing values last in both orders; and a
vertical-sort layout hint reaching the views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from caliber_desktop.ui.results.columns import PINNED_KEY, ColumnSpec
from caliber_desktop.ui.shared.frame_model import FrameTableModel
from caliber_desktop.ui.shared.list_members_model import ListMembersModel
from caliber_desktop.ui.shared.roles import SITE_ID_ROLE
from caliber_desktop.ui.shared.table_base import SortedTableModel, sort_permutation

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
NAN = np.nan

# Twelve sites with ties, missing scores and missing text, in a deliberate source order.
IDS = [f"site{i:02d}.com" for i in range(12)]
SCORES = [50, NAN, 70, 50, NAN, 10, 70, 50, 90, NAN, 10, 50]
IMPRESSIONS = [300, 100, 300, 200, 100, 300, 200, 100, 300, 200, 100, 300]
KINDS = ["web", "app", None, "app", "web", None, "app", "web", "app", "web", None, "app"]


@dataclass
class Case:
    """A model under test, its column with missing values and a column full of ties."""

    model: SortedTableModel
    missing_column: int
    tie_column: int
    text_column: int


def frame_case() -> Case:
    frame = pd.DataFrame(
        {
            "kind": KINDS,
            "score": SCORES,
            "impressions": IMPRESSIONS,
            "flags": [("low_ctr",) if i % 3 == 0 else () for i in range(12)],
        },
        index=pd.Index(IDS, name="site_id"),
    )
    columns = [
        ColumnSpec("site_id", "Site"),
        ColumnSpec("kind", "Kind"),
        ColumnSpec("score", "Score", "score"),
        ColumnSpec("impressions", "Impressions", "int"),
        ColumnSpec("flags", "Flags", "flags"),
        ColumnSpec(PINNED_KEY, "Pinned", "pinned"),
    ]
    model = FrameTableModel(columns)
    model.set_frame(frame)
    model.set_pins({IDS[3]: ("block", "fraud"), IDS[8]: ("allow", "")})
    return Case(model, missing_column=2, tie_column=3, text_column=1)


def members_case() -> Case:
    frame = pd.DataFrame(
        {
            "kind": [k or "" for k in KINDS],
            "score": SCORES,
            "impressions": IMPRESSIONS,
            "spend": [float(v) / 10 for v in IMPRESSIONS],
            "overridden": [i in (3, 8) for i in range(12)],
            "override_reason": ["fraud" if i == 3 else "" for i in range(12)],
        },
        index=pd.Index(IDS, name="site_id"),
    )
    model = ListMembersModel()
    model.set_frame(frame)
    return Case(
        model,
        missing_column=ListMembersModel.SCORE,
        tie_column=ListMembersModel.IMPRESSIONS,
        text_column=ListMembersModel.KIND,
    )


CASES: dict[str, Callable[[], Case]] = {"frame": frame_case, "members": members_case}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, qapp: object) -> Case:
    return CASES[request.param]()


def shown_ids(model: SortedTableModel) -> list[str]:
    return [model.index(row, 0).data(SITE_ID_ROLE) for row in range(model.rowCount())]


def column_values(case: Case, column: int) -> list[float]:
    """A numeric column's values in view order, from the test's own data (not the model's key)."""
    source = {case.missing_column: SCORES, case.tie_column: IMPRESSIONS}[column]
    return [float(source[IDS.index(site)]) for site in shown_ids(case.model)]


# ------------------------------------------------------------------ Qt's model tester


def test_every_sort_passes_the_model_tester(qtmodeltester: ModelTester, case: Case) -> None:
    model = case.model
    qtmodeltester.check(model)  # the tester stays attached and watches every layout change
    for column in range(model.columnCount()):
        for order in (ASC, DESC):
            model.sort(column, order)
            qtmodeltester.check(model)
    model.sort(-1)
    assert shown_ids(model) == IDS
    qtmodeltester.check(model)


def test_a_filtered_sort_passes_the_model_tester(qtmodeltester: ModelTester, case: Case) -> None:
    model = case.model
    keep = np.array([i % 3 != 1 for i in range(12)])
    model.set_filter_mask(keep)
    qtmodeltester.check(model)
    model.sort(case.missing_column, DESC)
    qtmodeltester.check(model)
    assert sorted(shown_ids(model)) == [s for s, k in zip(IDS, keep, strict=True) if k]
    with pytest.raises(ValueError, match="mask"):
        model.set_filter_mask(keep[:5])


# ------------------------------------------------------------------ selection follows its rows


@pytest.mark.parametrize("order", [ASC, DESC])
def test_selected_rows_and_current_row_follow_a_sort(
    qtbot: QtBot, case: Case, order: Qt.SortOrder
) -> None:
    model = case.model
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(case.tie_column, ASC)
    missing = IDS[4]  # a missing score
    valued = IDS[8]  # the highest score
    rows = {model.index(r, 0).data(SITE_ID_ROLE): r for r in range(model.rowCount())}
    selection = view.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for site in (missing, valued):
        selection.select(model.index(rows[site], 0), flags)
    selection.setCurrentIndex(
        model.index(rows[missing], case.tie_column), QItemSelectionModel.SelectionFlag.NoUpdate
    )

    view.sortByColumn(case.missing_column, order)

    selected = {index.data(SITE_ID_ROLE) for index in selection.selectedRows()}
    assert selected == {missing, valued}
    current = selection.currentIndex()
    assert current.column() == case.tie_column
    assert model.index(current.row(), 0).data(SITE_ID_ROLE) == missing
    scores = column_values(case, case.missing_column)
    assert all(np.isnan(scores[-3:])), "missing scores sort last in both orders"
    assert not any(np.isnan(scores[:-3]))
    shown = scores[:-3]
    assert shown == sorted(shown, reverse=order is DESC)
    if order is DESC:
        assert model.index(0, 0).data(SITE_ID_ROLE) == valued


def test_a_sort_says_rows_moved_vertically(case: Case) -> None:
    hints: list[QAbstractItemModel.LayoutChangeHint] = []
    signature = ("QList<QPersistentModelIndex>", QAbstractItemModel.LayoutChangeHint)
    for signal in (case.model.layoutAboutToBeChanged, case.model.layoutChanged):
        overloads: Any = signal  # PySide's stubs lack SignalInstance.__getitem__
        overloads[signature].connect(lambda _parents, hint: hints.append(hint))
    case.model.sort(case.missing_column, DESC)
    assert hints == [QAbstractItemModel.LayoutChangeHint.VerticalSortHint] * 2


def test_a_sort_past_the_last_column_leaves_the_rows_alone(case: Case) -> None:
    model = case.model
    model.sort(case.tie_column, DESC)
    before = shown_ids(model)
    changes: list[object] = []
    model.layoutChanged.connect(lambda *args: changes.append(args))
    model.sort(model.columnCount(), ASC)  # past the last column
    assert shown_ids(model) == before
    assert changes == []
    assert model.sort_column == case.tie_column


# ------------------------------------------------------------------ stable, missing last


@pytest.mark.parametrize("order", [ASC, DESC])
def test_ties_keep_source_order_whatever_was_sorted_before(case: Case, order: Qt.SortOrder) -> None:
    model = case.model
    model.sort(case.tie_column, order)
    direct = shown_ids(model)
    model.sort(case.text_column, DESC)
    model.sort(case.missing_column, ASC)
    model.sort(case.tie_column, order)
    assert shown_ids(model) == direct  # reproducible: the earlier clicks do not leak in
    values = column_values(case, case.tie_column)
    assert values == sorted(values, reverse=order is DESC)
    for value in set(values):
        tied = [site for site, v in zip(direct, values, strict=True) if v == value]
        assert tied == sorted(tied, key=IDS.index)  # ties in source order, both directions


@pytest.mark.parametrize("order", [ASC, DESC])
def test_missing_text_sorts_last_in_both_orders(order: Qt.SortOrder) -> None:
    case = frame_case()  # a list's members hold "" for a missing kind: a value, not a gap
    model = case.model
    model.sort(case.text_column, order)
    kinds = [model.index(r, case.text_column).data() for r in range(model.rowCount())]
    present = [k for k in KINDS if k is not None]
    assert kinds == sorted(present, reverse=order is DESC) + ["–"] * (len(KINDS) - len(present))


finite_or_missing = st.one_of(st.integers(-3, 3).map(float), st.just(NAN))


@given(st.lists(finite_or_missing, max_size=40), st.sampled_from([ASC, DESC]))
def test_sort_permutation_is_stable_with_missing_last(
    values: list[float], order: Qt.SortOrder
) -> None:
    key: npt.NDArray[np.float64] = np.array(values, dtype=np.float64)
    permutation = sort_permutation(key, order)
    sign = -1.0 if order is DESC else 1.0
    expected = sorted(
        range(len(values)),
        key=lambda i: (np.isnan(key[i]), 0.0 if np.isnan(key[i]) else sign * key[i], i),
    )
    assert permutation.tolist() == expected


def test_persistent_indexes_follow_a_sort_under_a_filter(case: Case) -> None:
    model = case.model
    model.set_filter_mask(np.array([i % 2 == 0 for i in range(12)]))
    tracked = [QPersistentModelIndex(model.index(r, 1)) for r in range(model.rowCount())]
    ids = [model.index(p.row(), 0).data(SITE_ID_ROLE) for p in tracked]
    model.sort(case.missing_column, DESC)
    assert all(p.isValid() and p.column() == 1 for p in tracked)
    assert [model.index(p.row(), 0).data(SITE_ID_ROLE) for p in tracked] == ids
    assert sorted(p.row() for p in tracked) == list(range(model.rowCount()))
