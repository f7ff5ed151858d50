"""The results panel: the frame model (qtmodeltester, numpy sorting), filters, linked selection.

Filters are checked against the pandas expression an analyst would write on the same frame, and
sorting against numpy's stable argsort, so the table shows exactly what the frame says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from caliber_desktop.services.scoring.lists import Override
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.results.columns import result_columns
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.ui.shared.frame_model import FrameTableModel
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE, SORT_ROLE

ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder


@pytest.fixture
def model(result: ScoreResult) -> FrameTableModel:
    columns, _ = result_columns(result)
    model = FrameTableModel(columns)
    model.set_frame(result.sites)
    return model


@pytest.fixture
def panel(qtbot: QtBot, result: ScoreResult) -> ResultsPanel:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    return panel


def shown_ids(model: FrameTableModel) -> list[str]:
    return model.site_ids(np.arange(model.rowCount()))


def expected_order(frame: pd.DataFrame, key: str, order: Qt.SortOrder) -> list[str]:
    """numpy's stable argsort of the frame column, descending by negation (NaN last)."""
    if key == "site_id":
        values = pd.factorize(frame.index.astype(str), sort=True)[0].astype(float)
    else:
        values = frame[key].to_numpy(dtype=float)
    positions = np.argsort(-values if order == DESC else values, kind="stable")
    return [str(s) for s in frame.index[positions]]


def big_frame(frame: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``copies`` perturbed copies of the sample with new ids: 100k rows from the 2,000-site run."""
    rng = np.random.default_rng(7)
    parts = []
    for i in range(copies):
        part = frame.copy()
        part.index = pd.Index([f"{s}.{i}" for s in frame.index], name="site_id")
        part["score"] = np.clip(part["score"] + rng.normal(0, 2, len(part)), 0, 100)
        part["spend"] = part["spend"] * rng.uniform(0.5, 1.5, len(part))
        parts.append(part)
    return pd.concat(parts)


# ------------------------------------------------------------------ the model


def test_model_passes_qtmodeltester(qtmodeltester, model: FrameTableModel) -> None:
    qtmodeltester.check(model)
    model.sort(model.column_of("score"), ASC)
    qtmodeltester.check(model)
    frame_mask = (model.frame_rows() % 3) == 0  # any mask; here every third frame row
    model.set_filter_mask(np.arange(model.rowCount()) % 3 == 0)
    assert model.rowCount() == int(frame_mask.sum())
    qtmodeltester.check(model)
    model.set_pins({model.site_id(0): ("block", "fraud")})
    qtmodeltester.check(model)


@pytest.mark.parametrize("key", ["score", "impressions", "site_id", "spend"])
@pytest.mark.parametrize("order", [ASC, DESC])
def test_sort_gives_numpy_order(
    model: FrameTableModel, result: ScoreResult, key: str, order: Qt.SortOrder
) -> None:
    model.sort(model.column_of(key), order)
    assert shown_ids(model) == expected_order(result.sites, key, order)


def test_sort_keeps_persistent_indexes_and_filter(
    model: FrameTableModel, result: ScoreResult
) -> None:
    from PySide6.QtCore import QPersistentModelIndex

    keep = (result.sites["recommendation"] == "block").to_numpy()
    model.set_filter_mask(keep)
    model.sort(model.column_of("impressions"), DESC)
    blocked = result.sites[keep]
    assert shown_ids(model) == expected_order(blocked, "impressions", DESC)
    model.set_filter_mask(None)
    tracked = QPersistentModelIndex(model.index(7, 2))
    site = model.data(model.index(7, 0), SITE_ID_ROLE)
    model.sort(model.column_of("site_id"), ASC)
    assert tracked.isValid()
    assert tracked.column() == 2
    assert model.data(model.index(tracked.row(), 0), SITE_ID_ROLE) == site


def test_roles_expose_raw_values(model: FrameTableModel, result: ScoreResult) -> None:
    score = model.column_of("score")
    first = result.sites.iloc[0]
    assert model.data(model.index(0, score), SORT_ROLE) == pytest.approx(first["score"])
    assert model.data(model.index(0, score)) == f"{first['score']:.1f}"
    assert model.data(model.index(0, 0), SITE_ID_ROLE) == str(result.sites.index[0])
    assert model.data(model.index(0, 0), PINNED_ROLE) is None


def test_hundred_thousand_rows_load_and_sort(qtbot: QtBot, result: ScoreResult) -> None:
    frame = big_frame(result.sites, 50)
    assert len(frame) == 100_000
    columns, _ = result_columns(result)
    model = FrameTableModel(columns)
    model.set_frame(frame)
    for key in ("score", "site_id"):
        model.sort(model.column_of(key), DESC)
        assert shown_ids(model)[:50] == expected_order(frame, key, DESC)[:50]
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    big = ScoreResult(**{**result.__dict__, "sites": frame})
    panel.set_result(big)
    assert panel.visible_row_count() == 100_000
    panel.view.sortByColumn(panel.model.column_of("spend"), ASC)
    assert panel.model.site_id(0) == str(frame["spend"].idxmin())


# ------------------------------------------------------------------ filters


def test_filters_match_pandas(qtbot: QtBot, panel: ResultsPanel, result: ScoreResult) -> None:
    sites = result.sites
    assert panel.visible_row_count() == len(sites)

    panel.recommendation_combo.setCurrentIndex(panel.recommendation_combo.findData("block"))
    assert panel.visible_row_count() == (sites["recommendation"] == "block").sum()
    panel.quality_combo.setCurrentIndex(panel.quality_combo.findData("poor"))
    expected = (sites["recommendation"] == "block") & (sites["quality_status"] == "poor")
    assert panel.visible_row_count() == expected.sum()
    panel.min_impressions_spin.setValue(1000)
    expected &= sites["impressions"] >= 1000
    assert panel.visible_row_count() == expected.sum()

    panel.recommendation_combo.setCurrentIndex(0)
    panel.quality_combo.setCurrentIndex(0)
    panel.min_impressions_spin.setValue(0)
    panel.flag_combo.setCurrentIndex(panel.flag_combo.findData("__any__"))
    assert panel.visible_row_count() == (sites["flags"].map(len) > 0).sum()
    panel.flag_combo.setCurrentIndex(panel.flag_combo.findData("mfa_pattern"))
    mfa = sites["flags"].map(lambda f: "mfa_pattern" in f)
    assert panel.visible_row_count() == mfa.sum() > 0
    panel.flag_combo.setCurrentIndex(0)

    text = "BUZZ"
    searched = sites.index.str.lower().str.contains(text.lower(), regex=False) | sites[
        "display_name"
    ].str.lower().str.contains(text.lower(), regex=False)
    panel.search_edit.setText(text)
    qtbot.waitUntil(lambda: panel.visible_row_count() == searched.sum())
    assert 0 < panel.visible_row_count() < len(sites)
    assert set(panel.histogram.bin_counts().nonzero()[0]) <= set(range(20))
    assert panel.histogram.bin_counts().sum() == searched.sum()


def test_chip_sets_recommendation_filter(panel: ResultsPanel, result: ScoreResult) -> None:
    panel.chips["allow"].click()
    assert panel.recommendation_combo.currentData() == "allow"
    assert panel.visible_row_count() == (result.sites["recommendation"] == "allow").sum()
    panel.chips["allow"].click()
    assert panel.visible_row_count() == len(result.sites)


# ------------------------------------------------------------------ linked selection


def test_table_selection_highlights_charts(qtbot: QtBot, panel: ResultsPanel) -> None:
    ids = [panel.model.site_id(r) for r in (0, 1, 2, 10, 500)]
    with qtbot.waitSignal(panel.selection_changed) as blocker:
        panel.select_sites(ids)
    assert sorted(blocker.args[0]) == sorted(ids)
    assert sorted(panel.scatter.highlighted_ids()) == sorted(ids)
    assert sorted(panel.selected_site_ids()) == sorted(ids)
    assert panel.histogram.highlighted_bins()


def test_scatter_selection_selects_rows(
    qtbot: QtBot, panel: ResultsPanel, result: ScoreResult
) -> None:
    picked = [str(s) for s in result.sites.index[[3, 30, 300]]]
    panel.scatter.points_selected.emit(picked)
    assert sorted(panel.selected_site_ids()) == sorted(picked)
    assert sorted(panel.scatter.highlighted_ids()) == sorted(picked)

    sites = result.sites
    low, high = 10.0, 20.0
    rect = QRectF(-10, low, 20, high - low)  # every spend (log10 between -10 and 10)
    with qtbot.waitSignal(panel.site_activated):
        ids = panel.scatter.select_rect(rect)
    expected = sites[(sites["score"] >= low) & (sites["score"] <= high)]
    assert sorted(ids) == sorted(expected.index) == sorted(panel.selected_site_ids())


def test_selection_survives_filter(panel: ResultsPanel, result: ScoreResult) -> None:
    blocked = result.sites.index[result.sites["recommendation"] == "block"][:3]
    allowed = result.sites.index[result.sites["recommendation"] == "allow"][:2]
    panel.select_sites([*blocked, *allowed])
    panel.recommendation_combo.setCurrentIndex(panel.recommendation_combo.findData("block"))
    assert sorted(panel.selected_site_ids()) == sorted(blocked)


def test_current_row_emits_site_activated(qtbot: QtBot, panel: ResultsPanel) -> None:
    with qtbot.waitSignal(panel.site_activated) as blocker:
        panel.view.setCurrentIndex(panel.model.index(4, 0))
    assert blocker.args == [panel.model.site_id(4)]


# ------------------------------------------------------------------ context menu


def test_pin_actions_emit_with_reason(
    qtbot: QtBot, panel: ResultsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [panel.model.site_id(r) for r in (2, 3)]
    panel.select_sites(ids)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  brand safety ", True))
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        panel.pin_block_action.trigger()
    assert blocker.args == [ids, "block", "brand safety"]
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        panel.pin_allow_action.trigger()
    assert blocker.args == [ids, "allow", "brand safety"]

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    with qtbot.assertNotEmitted(panel.pin_requested):
        panel.pin_allow_action.trigger()


def test_unpin_only_pinned_rows(qtbot: QtBot, panel: ResultsPanel) -> None:
    ids = [panel.model.site_id(r) for r in (0, 1, 2)]
    panel.recommendation_combo.setCurrentIndex(0)
    panel.select_sites(ids)
    panel._update_actions()
    assert not panel.unpin_action.isVisible()

    panel.set_overrides({ids[1]: Override("block", "fraud")})
    assert panel.selected_site_ids() == ids  # re-marking keeps the selection
    pinned = panel.model.column_of("pinned")
    assert panel.model.data(panel.model.index(1, pinned)) == "block"
    assert panel.model.data(panel.model.index(1, 0), Qt.ItemDataRole.FontRole).italic()
    assert "fraud" in panel.model.data(panel.model.index(1, pinned), Qt.ItemDataRole.ToolTipRole)
    panel._update_actions()
    assert panel.unpin_action.isVisible()
    with qtbot.waitSignal(panel.unpin_requested) as blocker:
        panel.unpin_action.trigger()
    assert blocker.args == [[ids[1]]]


def test_copy_ids(panel: ResultsPanel, qapp) -> None:
    ids = [panel.model.site_id(r) for r in (0, 1)]
    panel.select_sites(ids)
    panel.copy_ids_action.trigger()
    assert qapp.clipboard().text() == "\n".join(ids)


def test_clear_and_columns_menu(panel: ResultsPanel) -> None:
    actions = panel.columns_menu.actions()
    shrunk = next(a for a in actions if a.text().endswith("(adj.)"))
    assert not shrunk.isChecked()
    assert panel.view.isColumnHidden(int(shrunk.data()))
    shrunk.setChecked(True)
    assert not panel.view.isColumnHidden(int(shrunk.data()))
    panel.clear()
    assert panel.visible_row_count() == 0
    assert panel.selected_site_ids() == []
