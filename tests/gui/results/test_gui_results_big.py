"""A 100k-site run in the results panel without stalling the window (issue 17): its arrays are
made off the GUI thread and adopted, its charts follow the table one per event-loop turn, and the
scatter draws one dot per colour per screen cell. What the analyst sees stays the same."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QRectF, Qt
from pytestqt.qtbot import QtBot

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.results.charts import DECIMATE_GRID, RECOMMENDATIONS
from caliber_desktop.ui.results.columns import result_columns
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.ui.results.prepared import PreparedResults, prepare_results
from caliber_desktop.ui.shared.frame_model import OBJECT_SLICE_ROWS, frame_arrays

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


@pytest.fixture(scope="module")
def big(shared_data: Path) -> ScoreResult:
    """100k sites: perturbed copies of the 2,000-site sample with new ids."""
    path = shared_data / "ttd_display_awareness_sample.csv"
    result = score_file(path, ScoreRequest(goal=Goal.AWARENESS)).result
    rng = np.random.default_rng(7)
    parts = []
    for i in range(50):
        part = result.sites.copy()
        part.index = pd.Index([f"{s}.{i}" for s in result.sites.index], name="site_id")
        part["score"] = np.clip(part["score"] + rng.normal(0, 2, len(part)), 0, 100)
        part["spend"] = part["spend"] * rng.uniform(0.5, 1.5, len(part))
        parts.append(part)
    return ScoreResult(**{**result.__dict__, "sites": pd.concat(parts)})


def prepared_on_a_thread(result: ScoreResult) -> PreparedResults:
    """As the loading worker does: made on another thread than the GUI's."""
    made: list[PreparedResults] = []
    thread = threading.Thread(target=lambda: made.append(prepare_results(result)))
    thread.start()
    thread.join()
    return made[0]


def charts_done(panel: ResultsPanel) -> bool:
    return not panel.charts_pending()


def test_text_columns_converted_in_slices_are_the_columns(big: ScoreResult) -> None:
    frame = big.sites
    assert len(frame) > 2 * OBJECT_SLICE_ROWS
    columns, _ = result_columns(big)
    arrays = frame_arrays(frame, columns)
    assert list(arrays.ids) == [str(s) for s in frame.index]
    for spec, values, tips in zip(columns, arrays.values, arrays.tooltips, strict=True):
        if spec.key in frame and spec.key != "display_name" and values.dtype == object:
            assert list(values) == list(frame[spec.key].to_numpy(dtype=object)), spec.key
        if tips is not None:
            assert list(tips) == list(frame[spec.tooltip_key].to_numpy(dtype=object))


def test_a_run_prepared_off_the_gui_thread_shows_as_one_prepared_on_it(
    qtbot: QtBot, big: ScoreResult
) -> None:
    here, there = ResultsPanel(), ResultsPanel()
    for panel in (here, there):
        qtbot.addWidget(panel)
        panel.resize(1366, 768)
    here.set_result(big)
    there.set_result(big, prepared=prepared_on_a_thread(big))
    header = here.view.horizontalHeader()
    assert there.model.columnCount() == here.model.columnCount()
    for column in range(here.model.columnCount()):
        assert there.view.isColumnHidden(column) == here.view.isColumnHidden(column)
        assert there.view.horizontalHeader().sectionSize(column) == header.sectionSize(column)
        for row in (0, 1, 16_384, 99_999):
            for role in ROLES:
                index_here, index_there = (
                    here.model.index(row, column),
                    there.model.index(row, column),
                )
                assert there.model.data(index_there, role) == here.model.data(index_here, role)
    flags = [here.flag_combo.itemData(i) for i in range(here.flag_combo.count())]
    assert [there.flag_combo.itemData(i) for i in range(there.flag_combo.count())] == flags
    for panel in (here, there):
        panel.search_edit.setText(str(big.sites.index[123]).upper())
        panel.apply_filters()
    assert there.visible_row_count() == here.visible_row_count() >= 1
    qtbot.waitUntil(lambda: charts_done(here) and charts_done(there), timeout=10_000)


def test_arrays_prepared_for_another_result_are_not_used(qtbot: QtBot, big: ScoreResult) -> None:
    other = ScoreResult(**{**big.__dict__, "sites": big.sites.iloc[:500]})
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(big, prepared=prepare_results(other))
    assert panel.visible_row_count() == len(big.sites)
    qtbot.waitUntil(lambda: charts_done(panel), timeout=10_000)


def test_a_big_runs_charts_follow_the_table_with_one_dot_per_cell(
    qtbot: QtBot, big: ScoreResult
) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    panel.set_result(big, prepared=prepare_results(big))
    assert panel.visible_row_count() == len(big.sites)  # the table at once
    qtbot.waitUntil(lambda: charts_done(panel), timeout=10_000)
    sites = big.sites
    scores = sites["score"].to_numpy(dtype=float)
    assert panel.histogram.bin_counts().sum() == np.isfinite(scores).sum()

    scatter = panel.scatter
    drawn = scatter.drawn_positions()
    assert len(drawn) < len(sites) / 4  # most dots would be painted over
    # positions are view rows (score order); one dot for each colour in each occupied cell
    rows = panel.model.frame_rows()  # the scatter's points, in view order
    x = np.log10(sites["spend"].to_numpy(dtype=float)[rows])  # every spend here is > 0
    y = scores[rows]
    codes = np.array([RECOMMENDATIONS.index(r) for r in sites["recommendation"].to_numpy()[rows]])
    columns, lines = DECIMATE_GRID
    every = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    x0, x1, y0, y1 = x[every].min(), x[every].max(), y[every].min(), y[every].max()

    def cells(at: np.ndarray) -> set[tuple[int, int, int]]:
        cx = np.floor((x[at] - x0) / (x1 - x0) * columns).astype(int)
        cy = np.floor((y[at] - y0) / (y1 - y0) * lines).astype(int)
        return set(zip(codes[at], cx, cy, strict=True))

    assert len(set(drawn)) == len(drawn) == len(cells(drawn)) == len(cells(every))
    assert set(codes[drawn]) == set(codes[every])
    assert len(set(codes[every])) == len(RECOMMENDATIONS)
    # selecting by rectangle still takes every site inside, drawn or not
    everything = QRectF(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2)
    assert len(scatter.select_rect(everything)) == len(every)


def test_a_replaced_run_is_let_go_over_the_turns_after_the_new_one_shows(
    qtbot: QtBot, big: ScoreResult
) -> None:
    """Freeing a 100k-site run's arrays took ~20 ms: not in the turn that adopts the next run."""
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    first = prepare_results(big)
    ids = weakref.ref(first.table.ids)  # every site id of the run, one Python string each
    panel.set_result(big, prepared=first)
    qtbot.waitUntil(lambda: charts_done(panel), timeout=10_000)
    del first

    panel.set_result(big, prepared=prepare_results(big))

    assert ids() is not None  # still held: let go on the turns that follow
    qtbot.waitUntil(lambda: ids() is None, timeout=5_000)
    assert panel.visible_row_count() == len(big.sites)
    qtbot.waitUntil(lambda: charts_done(panel), timeout=10_000)


def test_showing_a_run_does_not_move_the_table_or_the_charts(
    qtbot: QtBot, big: ScoreResult
) -> None:
    """The summary chips keep their room while there is no run: showing one resized the charts,
    and Qt repaints the whole window at once for each resized chart (one ~50 ms stall)."""
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    panel.show()
    qtbot.waitExposed(panel)
    before = (panel.view.geometry(), panel.histogram.geometry(), panel.scatter.geometry())

    panel.set_result(big, prepared=prepare_results(big))
    qtbot.waitUntil(lambda: charts_done(panel), timeout=10_000)

    assert all(chip.isVisible() for chip in panel.chips.values())
    assert (panel.view.geometry(), panel.histogram.geometry(), panel.scatter.geometry()) == before
