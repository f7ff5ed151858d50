"""How long the results table takes to sort 100k sites (target ≤ 150 ms per click on a header).

Builds a 100k-row result frame by repeating the 2,000-site sample with new ids and perturbed
scores, loads it into :class:`FrameTableModel` behind a real ``QTableView`` (so the view's
layout-change handling is in the measurement) and prints the median of 5 sorts per column.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_table_sort.py [path/to/sample.csv]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTableView

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.ui.results.columns import result_columns
from caliber_desktop.ui.shared.frame_model import FrameTableModel

ROWS = 100_000
REPEATS = 5
SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "ttd_display_awareness_sample.csv"
)


def big_frame(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    copies = -(-rows // len(frame))
    parts = []
    for i in range(copies):
        part = frame.copy()
        part.index = pd.Index([f"{s}.{i}" for s in frame.index], name="site_id")
        part["score"] = np.clip(part["score"] + rng.normal(0, 2, len(part)), 0, 100)
        parts.append(part)
    return pd.concat(parts).iloc[:rows]


def median_ms(model: FrameTableModel, column: int) -> float:
    times = []
    for i in range(REPEATS):
        order = Qt.SortOrder.AscendingOrder if i % 2 else Qt.SortOrder.DescendingOrder
        start = time.perf_counter()
        model.sort(column, order)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    sample = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE
    result = score_file(sample, ScoreRequest(goal=Goal.AWARENESS)).result
    frame = big_frame(result.sites, ROWS)
    columns, _ = result_columns(result)
    model = FrameTableModel(columns)
    start = time.perf_counter()
    model.set_frame(frame)
    load_ms = (time.perf_counter() - start) * 1000
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    view.selectRow(10)
    app.processEvents()
    print(f"rows: {model.rowCount():,}  set_frame: {load_ms:.1f} ms")
    for key in ("score", "site_id", "impressions"):
        column = model.column_of(key)
        first = median_ms(model, column)  # includes ranking text once
        print(f"sort by {key:<12} median of {REPEATS}: {first:6.1f} ms")
    view.close()


if __name__ == "__main__":
    main()
