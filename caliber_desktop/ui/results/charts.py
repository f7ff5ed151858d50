"""The results panel's charts: the score distribution and spend against score.

Both draw whole numpy arrays through one pyqtgraph item each, so 100k sites cost a few array
operations and no per-point Python objects. Colours come from the widget palette and the shared
recommendation colours, so a chart reads on a light and on a dark theme alike. Selection flows
both ways as site ids: the panel tells a chart what to highlight, the scatter tells the panel
which points the analyst picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPalette, QPen
from PySide6.QtWidgets import QWidget

from caliber_desktop.ui.shared.recommendations import RECOMMENDATIONS, recommendation_color

#: Histogram bin edges: 5-point bins over the 0–100 score scale.
SCORE_EDGES = np.linspace(0.0, 100.0, 21)


def _codes(recommendations: np.ndarray) -> np.ndarray:
    """Recommendation → index into :data:`RECOMMENDATIONS` (unknown values → the last one)."""
    codes = pd.Categorical(recommendations, categories=list(RECOMMENDATIONS)).codes
    return np.where(codes < 0, len(RECOMMENDATIONS) - 1, codes).astype(np.intp)


class _ThemedPlot(pg.PlotWidget):
    """A plot whose background, axes and text follow the Qt palette (and its changes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.plotItem.hideButtons()
        self._themed = True
        self.apply_palette()

    def apply_palette(self) -> None:
        palette = self.palette()
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        self.plotItem.titleLabel.setAttr("color", text.name())
        self._recolor()

    def _recolor(self) -> None:
        """Rebuild brushes that depend on the palette (subclasses)."""

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        # GraphicsView's constructor changes the palette before the plot item exists,
        # and close() drops it before the widget is gone.
        themed = getattr(self, "_themed", False) and self.plotItem is not None
        if event.type() == QEvent.Type.PaletteChange and themed:
            self.apply_palette()


class ScoreHistogram(_ThemedPlot):
    """How scores are spread, stacked by recommendation; selected sites outline their bins."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._ids = pd.Index([], dtype=object)
        self._scores = np.empty(0)
        self._codes = np.empty(0, dtype=np.intp)
        self._highlight_counts = np.zeros(len(SCORE_EDGES) - 1, dtype=np.intp)
        self._bars: list[pg.BarGraphItem] = []
        self._overlay: pg.BarGraphItem | None = None
        super().__init__(parent)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("bottom", "Score")
        self.setLabel("left", "Sites")
        self.setXRange(0, 100, padding=0.02)

    def set_sites(
        self, site_ids: np.ndarray, scores: np.ndarray, recommendations: np.ndarray | None = None
    ) -> None:
        """Show these sites; without recommendations the bars take the palette's highlight."""
        self._ids = pd.Index(np.asarray(site_ids, dtype=object))
        self._scores = np.asarray(scores, dtype=np.float64)
        self._codes = (
            _codes(np.asarray(recommendations, dtype=object))
            if recommendations is not None
            else np.full(len(self._scores), -1, dtype=np.intp)
        )
        self._highlight_counts[:] = 0
        self._draw()

    def clear_sites(self) -> None:
        self.set_sites(np.empty(0, dtype=object), np.empty(0))

    def highlight(self, site_ids: Sequence[str]) -> None:
        """Outline, per bin, how many of the given sites fall in it."""
        where = self._positions(site_ids)
        self._highlight_counts = self._bin_counts(self._scores[where])
        self._draw_overlay()

    def highlighted_bins(self) -> list[int]:
        """Indices of the bins holding at least one highlighted site (for tests and tooltips)."""
        return [int(i) for i in np.flatnonzero(self._highlight_counts)]

    def bin_counts(self) -> np.ndarray:
        return self._bin_counts(self._scores)

    # ------------------------------------------------------------------ drawing
    def _positions(self, site_ids: Sequence[str]) -> np.ndarray:
        if not len(site_ids) or not len(self._ids):
            return np.empty(0, dtype=np.intp)
        where = self._ids.get_indexer(pd.Index(list(site_ids), dtype=object))
        return where[where >= 0]

    @staticmethod
    def _bin_counts(scores: np.ndarray) -> np.ndarray:
        counts, _ = np.histogram(scores[np.isfinite(scores)], bins=SCORE_EDGES)
        return counts.astype(np.intp)

    def _recolor(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if not hasattr(self, "_bars"):
            return  # the palette is applied before __init__ has finished
        for bar in self._bars:
            self.removeItem(bar)
        self._bars = []
        centers = (SCORE_EDGES[:-1] + SCORE_EDGES[1:]) / 2
        width = (SCORE_EDGES[1] - SCORE_EDGES[0]) * 0.9
        finite = np.isfinite(self._scores)
        base = np.zeros(len(centers))
        groups: list[tuple[np.ndarray, QColor]]
        if len(self._codes) and self._codes[0] >= 0:
            groups = [
                (finite & (self._codes == i), recommendation_color(name, self.palette()))
                for i, name in enumerate(RECOMMENDATIONS)
            ]
        else:
            groups = [(finite, self.palette().color(QPalette.ColorRole.Highlight))]
        for mask, color in groups:
            counts = self._bin_counts(np.where(mask, self._scores, np.nan))
            if not counts.any():
                continue
            fill = QColor(color)
            fill.setAlphaF(0.75)
            bar = pg.BarGraphItem(
                x=centers, y0=base.copy(), height=counts, width=width, brush=fill, pen=None
            )
            self.addItem(bar)
            self._bars.append(bar)
            base = base + counts
        self._draw_overlay()

    def _draw_overlay(self) -> None:
        if self._overlay is not None:
            self.removeItem(self._overlay)
            self._overlay = None
        if not self._highlight_counts.any():
            return
        centers = (SCORE_EDGES[:-1] + SCORE_EDGES[1:]) / 2
        width = SCORE_EDGES[1] - SCORE_EDGES[0]
        # A few selected sites would vanish as bars of their own beside bins of hundreds, so the
        # whole bin is framed and shaded.
        present = self._highlight_counts > 0
        totals = np.maximum(self.bin_counts(), 1)
        color = self.palette().color(QPalette.ColorRole.Highlight)
        fill = QColor(color)
        fill.setAlphaF(0.25)
        pen = QPen(color)
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        self._overlay = pg.BarGraphItem(
            x=centers[present], height=totals[present], width=width, brush=fill, pen=pen
        )
        self._overlay.setZValue(10)
        self.addItem(self._overlay)


class _SelectionViewBox(pg.ViewBox):
    """Left-drag draws a selection rectangle; right-drag and the wheel still zoom and pan."""

    sigBoxSelected = Signal(QRectF, object)  # noqa: N815 (pyqtgraph's naming) — rect, modifiers

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802 (pyqtgraph override)
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start, end = ev.buttonDownPos(), ev.pos()
        if not ev.isFinish():
            self.updateScaleBox(start, end)
            return
        self.rbScaleBox.hide()
        rect = QRectF(self.mapToView(start), self.mapToView(end)).normalized()
        self.sigBoxSelected.emit(rect, ev.modifiers())


class SpendScatter(_ThemedPlot):
    """Each site as a point at (spend, score), coloured by recommendation.

    Drag a rectangle (or click a point) to select; Ctrl/Shift adds to the selection.
    ``points_selected`` carries the picked site ids; :meth:`highlight` rings given sites.
    """

    points_selected = Signal(list)

    def __init__(self, parent: QWidget | None = None, *, log_x: bool = True) -> None:
        self._ids = pd.Index([], dtype=object)
        self._spend = np.empty(0)
        self._y = np.empty(0)
        self._codes = np.empty(0, dtype=np.intp)
        self._highlighted = np.empty(0, dtype=np.intp)
        self._log_x = log_x
        self._points: pg.ScatterPlotItem | None = None
        self._rings: pg.ScatterPlotItem | None = None
        pg.PlotWidget.__init__(self, parent, viewBox=_SelectionViewBox())
        self.setMenuEnabled(False)
        self.plotItem.hideButtons()
        self._points = pg.ScatterPlotItem(pxMode=True, size=6, pen=None, hoverable=False)
        self._rings = pg.ScatterPlotItem(pxMode=True, size=11, brush=None, hoverable=False)
        self._rings.setZValue(10)
        self.addItem(self._points)
        self.addItem(self._rings)
        self._points.sigClicked.connect(self._on_clicked)
        self.plotItem.vb.sigBoxSelected.connect(self._on_box)
        self.setLabel("left", "Score")
        self._themed = True
        self.apply_palette()
        self.set_log_x(log_x)

    # ------------------------------------------------------------------ data
    def set_points(
        self,
        site_ids: np.ndarray,
        spend: np.ndarray,
        scores: np.ndarray,
        recommendations: np.ndarray,
    ) -> None:
        """Plot these sites; brushes are one shared QBrush per recommendation, picked by code."""
        self._ids = pd.Index(np.asarray(site_ids, dtype=object))
        self._spend = np.asarray(spend, dtype=np.float64)
        self._y = np.asarray(scores, dtype=np.float64)
        self._codes = _codes(np.asarray(recommendations, dtype=object))
        self._highlighted = np.empty(0, dtype=np.intp)
        self._redraw()

    def clear_points(self) -> None:
        empty = np.empty(0)
        self.set_points(np.empty(0, dtype=object), empty, empty, np.empty(0, dtype=object))

    def set_log_x(self, log_x: bool) -> None:
        """Spend spans orders of magnitude; a log axis keeps small sites from piling up at 0."""
        self._log_x = log_x
        self.getAxis("bottom").setLogMode(log_x)
        self.setLabel("bottom", "Spend (log scale)" if log_x else "Spend")
        self._redraw()

    @property
    def log_x(self) -> bool:
        return self._log_x

    def highlight(self, site_ids: Sequence[str]) -> None:
        """Ring the given sites (ids not plotted are ignored)."""
        if not len(site_ids) or not len(self._ids):
            self._highlighted = np.empty(0, dtype=np.intp)
        else:
            where = self._ids.get_indexer(pd.Index(list(site_ids), dtype=object))
            self._highlighted = np.unique(where[where >= 0])
        self._draw_rings()

    def highlighted_ids(self) -> list[str]:
        return [str(s) for s in self._ids[self._highlighted]]

    def select_rect(self, rect: QRectF, *, add: bool = False) -> list[str]:
        """Emit and return the ids inside ``rect`` (plot coordinates, log10 spend on log x)."""
        x = self._x()
        inside = (
            (x >= rect.left()) & (x <= rect.right()) & (self._y >= rect.top())
            & (self._y <= rect.bottom())
        )  # fmt: skip
        positions = np.flatnonzero(inside)
        if add:
            positions = np.union1d(positions, self._highlighted)
        return self._emit(positions)

    # ------------------------------------------------------------------ drawing
    def _x(self) -> np.ndarray:
        if not self._log_x:
            return self._spend
        positive = self._spend[self._spend > 0]
        floor = float(positive.min()) / 2 if len(positive) else 1e-3
        with np.errstate(invalid="ignore"):
            return np.log10(np.where(self._spend > 0, self._spend, floor))

    def _brushes(self) -> list[QBrush]:
        brushes = []
        for name in RECOMMENDATIONS:
            color = recommendation_color(name, self.palette())
            color.setAlphaF(0.7)
            brushes.append(QBrush(color))
        return brushes

    def _recolor(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._points is None:
            return
        x, y = self._x(), self._y
        shown = np.isfinite(x) & np.isfinite(y)
        self._shown = np.flatnonzero(shown)
        brushes = np.array(self._brushes(), dtype=object)[self._codes[shown]]
        self._points.setData(x=x[shown], y=y[shown], brush=brushes, data=self._shown)
        self._draw_rings()

    def _draw_rings(self) -> None:
        if self._rings is None:
            return
        color = self.palette().color(QPalette.ColorRole.Text)
        pen = pg.mkPen(color, width=1.5)
        if not len(self._highlighted):
            self._rings.clear()
            return
        x, y = self._x()[self._highlighted], self._y[self._highlighted]
        ok = np.isfinite(x) & np.isfinite(y)
        self._rings.setData(x=x[ok], y=y[ok], pen=pen, brush=None, size=11)

    # ------------------------------------------------------------------ picking
    def _on_clicked(self, _item: Any, points: Any, event: Any) -> None:
        if points is None or not len(points):
            return
        positions = np.array([int(points[0].data())], dtype=np.intp)
        if event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        ):
            positions = np.union1d(positions, self._highlighted)
        self._emit(positions)

    def _on_box(self, rect: QRectF, modifiers: Qt.KeyboardModifier) -> None:
        add = bool(
            modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        self.select_rect(rect, add=add)

    def _emit(self, positions: np.ndarray) -> list[str]:
        self._highlighted = np.asarray(positions, dtype=np.intp)
        self._draw_rings()
        ids = [str(s) for s in self._ids[self._highlighted]]
        self.points_selected.emit(ids)
        return ids
