"""The results panel's charts: the score distribution and spend against score.

Both draw whole numpy arrays through pyqtgraph items, so 100k sites cost a few array operations;
the scatter of a big run draws only the dots that would show (one per colour per screen cell), in
batches across event-loop turns, so the window never stalls on it. In both, colour is the
recommendation, from the one table the PDF reads too (``models/chart_style.py``), in its light or
dark variant; a legend row above each plot says so. The selected site is drawn in the palette's
selection colour (a line at its score, a ring around its dot). Selection flows both ways as site
ids: the panel tells a chart what to highlight, the scatter tells the panel which points the
analyst picked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from caliber_desktop.models.chart_style import SELECTED_LABEL, multiple_label
from caliber_desktop.ui.results.prepared import recommendation_codes
from caliber_desktop.ui.shared.chart_legend import (
    LegendEntry,
    draw_legend,
    install_legend_row,
    legend_text,
)
from caliber_desktop.ui.shared.recommendations import (
    RECOMMENDATIONS,
    recommendation_color,
    recommendation_legend,
)

#: Histogram bin edges: 5-point bins over the 0–100 score scale.
SCORE_EDGES = np.linspace(0.0, 100.0, 21)


def _codes(recommendations: np.ndarray) -> np.ndarray:
    """Recommendation → index into :data:`RECOMMENDATIONS`; integers are such codes already
    (made on the worker with the run: ~7 ms per chart less on the GUI thread)."""
    values = np.asarray(recommendations)
    if values.dtype.kind in "iu":
        return values.astype(np.intp, copy=False)
    return recommendation_codes(values)


class _SiteIds:
    """The plotted sites' ids. The lookup index is made on first use: most results are never
    highlighted, and making it for 100k ids took ~15 ms on the GUI thread per chart."""

    def __init__(self, ids: np.ndarray | Sequence[str] = ()) -> None:
        self.values = np.asarray(ids, dtype=object)
        self._index: pd.Index[Any] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.values[rows], dtype=object)

    def positions(self, site_ids: Sequence[str]) -> np.ndarray:
        """Where these ids are plotted; ids not plotted are left out."""
        if not len(site_ids) or not len(self.values):
            return np.empty(0, dtype=np.intp)
        if self._index is None:
            self._index = pd.Index(self.values)
        where = self._index.get_indexer(pd.Index(list(site_ids), dtype=object))
        return where[where >= 0]


def _halo_pen(palette: QPalette, width: float) -> QPen:
    """A wide pen in the plot's background colour: under a marker, it stands off the dots."""
    pen = QPen(palette.color(QPalette.ColorRole.Base))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    return pen


def _selection_pen(palette: QPalette, width: float) -> QPen:
    """The selected site's marker: the palette's selection colour, as the table's selected row."""
    pen = QPen(palette.color(QPalette.ColorRole.Highlight))
    pen.setCosmetic(True)
    pen.setWidthF(width)
    return pen


class _ThemedPlot(pg.PlotWidget):
    """A plot whose background, axes and text follow the Qt palette (and its changes).

    Its title row is a legend (:meth:`legend_entries`): a line of coloured symbols and words that
    wraps to the plot's width, so the chart reads alone on a laptop without covering any data.
    """

    def __init__(self, parent: QWidget | None = None, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.setMenuEnabled(False)
        self.plotItem.hideButtons()
        install_legend_row(self.plotItem)
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
        self._recolor()
        self._draw_legend()

    def _recolor(self) -> None:
        """Rebuild brushes that depend on the palette (subclasses)."""

    # ------------------------------------------------------------------ legend
    def legend_entries(self) -> list[LegendEntry]:
        """What the colours and markers of this chart mean, in the palette's current colours."""
        return []

    def legend_text(self) -> str:
        """The legend as plain text (what a screen reader and the tests read)."""
        return legend_text(self.legend_entries())

    def _draw_legend(self) -> None:
        draw_legend(self, self.legend_entries())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if getattr(self, "_themed", False) and self.plotItem is not None:
            self._draw_legend()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        # GraphicsView's constructor changes the palette before the plot item exists,
        # and close() drops it before the widget is gone.
        themed = getattr(self, "_themed", False) and self.plotItem is not None
        if event.type() == QEvent.Type.PaletteChange and themed:
            self.apply_palette()


#: At most this many selected sites get a line of their own in the histogram; a larger selection
#: (a dragged rectangle of hundreds) shows as outlined bins only.
MAX_MARKED = 50
#: A scatter of more points than this is drawn in batches of :data:`BATCH_POINTS`, one batch
#: per event-loop turn, so the window never waits for all of them at once.
ONE_ITEM_POINTS = 4000
BATCH_POINTS = 2500
#: Above this many points, the scatter draws one dot per colour per cell of this grid over the
#: range shown (see ``SpendScatter._one_per_cell``).
DECIMATE_POINTS = 20_000
DECIMATE_GRID = (256, 128)
#: A zoom or pan of a decimated scatter draws it again once it paused this long.
RANGE_SETTLE_MS = 150


class ScoreHistogram(_ThemedPlot):
    """How scores are spread, stacked by recommendation (the colours of the results table).

    A selected site is a vertical line at its score in the selection colour; a selection too
    large for a line each (a dragged rectangle) outlines the bins that hold it instead.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        self._ids = _SiteIds()
        self._scores = np.empty(0)
        self._codes = np.empty(0, dtype=np.intp)
        self._highlight_counts = np.zeros(len(SCORE_EDGES) - 1, dtype=np.intp)
        self._marked = np.empty(0)
        self._bars: list[pg.BarGraphItem] = []
        self._overlay: pg.BarGraphItem | None = None
        self._marker_halo = pg.PlotDataItem(connect="pairs")
        self._marker = pg.PlotDataItem(connect="pairs")
        super().__init__(parent)
        for z, item in ((11, self._marker_halo), (12, self._marker)):
            item.setZValue(z)
            self.addItem(item)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("bottom", "Score")
        self.setLabel("left", "Sites")
        self.setXRange(0, 100, padding=0.02)
        self.setAccessibleName("Score histogram")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to do by keyboard: the table is
        self.setAccessibleDescription(
            "How many sites got each score, stacked by recommendation; the selected site is a line."
        )

    def legend_entries(self) -> list[LegendEntry]:
        """The recommendations (the bars' colours) and the selected site's line."""
        palette = self.palette()
        if len(self._codes) and self._codes[0] < 0:
            entries = [("Sites", palette.color(QPalette.ColorRole.PlaceholderText), "■")]
        else:
            entries = [
                (recommendation_legend(name), recommendation_color(name, palette), "■")
                for name in RECOMMENDATIONS
            ]
        return [*entries, (SELECTED_LABEL, palette.color(QPalette.ColorRole.Highlight), "┃")]

    def set_sites(
        self, site_ids: np.ndarray, scores: np.ndarray, recommendations: np.ndarray | None = None
    ) -> None:
        """Show these sites; without recommendations the bars take the palette's highlight."""
        self._ids = _SiteIds(site_ids)
        self._scores = np.asarray(scores, dtype=np.float64)
        self._codes = (
            _codes(recommendations)
            if recommendations is not None
            else np.full(len(self._scores), -1, dtype=np.intp)
        )
        self._highlight_counts[:] = 0
        self._marked = np.empty(0)
        self._draw()
        self._draw_legend()

    def clear_sites(self) -> None:
        self.set_sites(np.empty(0, dtype=object), np.empty(0))

    def highlight(self, site_ids: Sequence[str]) -> None:
        """Mark the given sites' scores with lines (or, for many, outline their bins)."""
        where = self._positions(site_ids)
        scores = self._scores[where]
        self._highlight_counts = self._bin_counts(scores)
        finite = scores[np.isfinite(scores)]
        self._marked = finite if len(finite) <= MAX_MARKED else np.empty(0)
        self._draw_overlay()

    def marked_scores(self) -> list[float]:
        """The scores drawn as selection lines, in selection order (for tests and tooltips)."""
        return [float(s) for s in self._marked]

    def highlighted_bins(self) -> list[int]:
        """Indices of the bins holding at least one highlighted site (for tests and tooltips)."""
        return [int(i) for i in np.flatnonzero(self._highlight_counts)]

    def bin_counts(self) -> np.ndarray:
        return self._bin_counts(self._scores)

    # ------------------------------------------------------------------ drawing
    def _positions(self, site_ids: Sequence[str]) -> np.ndarray:
        return self._ids.positions(site_ids)

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
            # no recommendations: a neutral, never the selection colour
            groups = [(finite, self.palette().color(QPalette.ColorRole.PlaceholderText))]
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
        self._draw_markers()
        if not self._highlight_counts.any() or len(self._marked):
            return  # a few sites have their lines; a shaded bin would read as a bar of data
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

    def _draw_markers(self) -> None:
        """A line from the axis to above the tallest bar at each marked score, on a halo."""
        if not len(self._marked):
            self._marker.setData([], [])
            self._marker_halo.setData([], [])
            return
        top = max(int(self.bin_counts().max()), 1) * 1.04
        x = np.repeat(self._marked, 2)
        y = np.tile([0.0, top], len(self._marked))
        palette = self.palette()
        self._marker_halo.setData(x, y, pen=_halo_pen(palette, 6.0))
        self._marker.setData(x, y, pen=_selection_pen(palette, 2.5))


#: Diameter in pixels of the ring around a selected point (the dots are 6).
RING_SIZE = 15


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


class DecadeAxis(pg.AxisItem):
    """An axis over log10 values labelled at whole decades: ``$1``, ``$10``, ``$100``, ``$1k``.

    pyqtgraph's own log mode labels minor ticks as ``5·10¹6·10¹``, which run together on a narrow
    chart. Here every label is a short number, decades are thinned so their labels never touch,
    and the 2× and 5× steps are added only when a decade is wide enough to hold them. With
    ``decades`` off it is pyqtgraph's plain linear axis.
    """

    #: Steps inside a decade, in log10 units (2× and 5×); the narrowest gap is log10(2) ≈ 0.3.
    STEPS = (math.log10(2.0), math.log10(5.0))

    def __init__(self, orientation: str = "bottom", *, money: bool = True) -> None:
        super().__init__(orientation)
        self.money = money
        self.decades = True

    def _label_room(self) -> float:
        """Pixels a tick label needs, with a gap: the widest short label in the axis's font."""
        font = self.style.get("tickFont") or self.font()
        return QFontMetricsF(font).horizontalAdvance(self._label(1e5)) * 1.6

    def _label(self, value: float) -> str:
        return multiple_label(value, money=self.money)

    def decade_ticks(self, lo: float, hi: float, size: float) -> list[tuple[float, list[float]]]:
        """Tick levels for log10 values ``lo``–``hi`` on ``size`` pixels: decades, then 2×/5×."""
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or size <= 0:
            return []
        per_decade = size / (hi - lo)
        room = self._label_room()
        step = max(1, math.ceil(room / per_decade))
        first = math.ceil(lo - 1e-9)
        majors = [float(p) for p in range(first, math.floor(hi + 1e-9) + 1) if p % step == 0]
        levels: list[tuple[float, list[float]]] = [(float(step), majors)]
        if per_decade * self.STEPS[0] >= room:
            minors = [
                p + s
                for p in range(math.floor(lo), math.ceil(hi) + 1)
                for s in self.STEPS
                if lo <= p + s <= hi
            ]
            levels.append((self.STEPS[0], minors))
        return levels

    def tickValues(  # noqa: N802 (pyqtgraph override)
        self,
        minVal: float,  # noqa: N803 (pyqtgraph's names)
        maxVal: float,  # noqa: N803
        size: float,
    ) -> list[tuple[float, list[float]]]:
        if not self.decades:
            return super().tickValues(minVal, maxVal, size)  # type: ignore[no-any-return]
        levels = self.decade_ticks(minVal, maxVal, size)
        if sum(len(values) for _spacing, values in levels):
            return levels
        # zoomed in below a 2× step: pyqtgraph's linear ticks in log units, labelled as amounts
        return super().tickValues(minVal, maxVal, size)  # type: ignore[no-any-return]

    def tickStrings(  # noqa: N802 (pyqtgraph override)
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        if not self.decades:
            return super().tickStrings(values, scale, spacing)  # type: ignore[no-any-return]
        return [self._label(10.0**v) for v in values]


class SpendScatter(_ThemedPlot):
    """Each site as a point at (spend, score), coloured by recommendation.

    Drag a rectangle (or click a point) to select; Ctrl/Shift adds to the selection.
    ``points_selected`` carries the picked site ids; :meth:`highlight` rings given sites in the
    selection colour, on a halo of the background so the ring stands off dense points.
    """

    points_selected = Signal(list)

    def __init__(self, parent: QWidget | None = None, *, log_x: bool = True) -> None:
        self._ids = _SiteIds()
        self._spend = np.empty(0)
        self._y = np.empty(0)
        self._codes = np.empty(0, dtype=np.intp)
        self._highlighted = np.empty(0, dtype=np.intp)
        self._log_x = log_x
        self._points: pg.ScatterPlotItem | None = None
        self._rings: pg.ScatterPlotItem | None = None
        self._halos: pg.ScatterPlotItem | None = None
        self.spend_axis = DecadeAxis("bottom", money=True)
        pg.PlotWidget.__init__(
            self, parent, viewBox=_SelectionViewBox(), axisItems={"bottom": self.spend_axis}
        )
        self.setMenuEnabled(False)
        self.plotItem.hideButtons()
        install_legend_row(self.plotItem)
        self.setAccessibleName("Spend and score chart")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # selecting is by mouse; the table does it too
        self.setAccessibleDescription(
            "Each site as a point at its spend and score, coloured by recommendation; drag to "
            "select sites."
        )
        self._points = pg.ScatterPlotItem(pxMode=True, size=6, pen=None, hoverable=False)
        #: a big run's points, drawn in batches (:meth:`_draw_batch`)
        self._batches: list[pg.ScatterPlotItem] = []
        self._pending: list[np.ndarray] = []
        self._batch_xy: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        self._batch_timer = QTimer(self)
        self._batch_timer.setSingleShot(True)
        self._batch_timer.setInterval(0)
        self._batch_timer.timeout.connect(self._draw_batch)
        self._drawn_range: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
        #: a zoom or pan draws the dots again once it pauses
        self._range_timer = QTimer(self)
        self._range_timer.setSingleShot(True)
        self._range_timer.setInterval(RANGE_SETTLE_MS)
        self._range_timer.timeout.connect(self._redraw)
        self.plotItem.vb.sigRangeChangedManually.connect(self._on_range_changed)
        self._halos = pg.ScatterPlotItem(pxMode=True, size=RING_SIZE, brush=None, hoverable=False)
        self._rings = pg.ScatterPlotItem(pxMode=True, size=RING_SIZE, brush=None, hoverable=False)
        self._halos.setZValue(9)
        self._rings.setZValue(10)
        self.addItem(self._points)
        self.addItem(self._halos)
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
        self._ids = _SiteIds(site_ids)
        self._spend = np.asarray(spend, dtype=np.float64)
        self._y = np.asarray(scores, dtype=np.float64)
        self._codes = _codes(recommendations)
        self._highlighted = np.empty(0, dtype=np.intp)
        self._redraw()
        self._draw_legend()

    def legend_entries(self) -> list[LegendEntry]:
        """The recommendations (the dots' colours) and the selected site's ring."""
        palette = self.palette()
        entries = [
            (recommendation_legend(name), recommendation_color(name, palette), "●")
            for name in RECOMMENDATIONS
        ]
        return [*entries, (SELECTED_LABEL, palette.color(QPalette.ColorRole.Highlight), "◯")]

    def clear_points(self) -> None:
        empty = np.empty(0)
        self.set_points(np.empty(0, dtype=object), empty, empty, np.empty(0, dtype=object))

    def set_log_x(self, log_x: bool) -> None:
        """Spend spans orders of magnitude; a log axis keeps small sites from piling up at 0."""
        self._log_x = log_x
        self.spend_axis.decades = log_x
        self.spend_axis.picture = None  # pyqtgraph caches the drawn ticks
        self.spend_axis.update()
        self.setLabel("bottom", "Spend (log scale)" if log_x else "Spend")
        self._redraw()

    @property
    def log_x(self) -> bool:
        return self._log_x

    def highlight(self, site_ids: Sequence[str]) -> None:
        """Ring the given sites (ids not plotted are ignored)."""
        self._highlighted = np.unique(self._ids.positions(site_ids))
        self._draw_rings()

    def highlighted_ids(self) -> list[str]:
        return [str(s) for s in self._ids[self._highlighted]]

    def highlighted_points(self) -> list[tuple[float, float]]:
        """(spend, score) of each ringed site, as drawn (spend in money, not log10)."""
        if self._rings is None:
            return []
        x, y = self._rings.getData()
        spend = 10.0**x if self._log_x else x
        return [(float(a), float(b)) for a, b in zip(spend, y, strict=True)]

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
        self._drop_batches()
        if len(self._shown) <= ONE_ITEM_POINTS:
            brushes = np.array(self._brushes(), dtype=object)[self._codes[shown]]
            self._points.setData(x=x[shown], y=y[shown], brush=brushes, data=self._shown)
        else:  # a big run: its visible dots in batches, one per turn, in the points' order
            self._points.clear()
            self._batch_xy = (x, y)
            drawn = self._one_per_cell(x, y, self._shown)
            for start in range(0, len(drawn), BATCH_POINTS):
                self._pending.append(drawn[start : start + BATCH_POINTS])
            self._batch_timer.start()
        self._draw_rings()

    def _one_per_cell(self, x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Of many points, the last of each colour in each cell of a fine grid over the range
        shown, in their order: drawn in that order, each covers the others of its cell as all of
        them drawn would (cells are ~1/3 of a dot at the charts' sizes), and painting 100k dots
        stalled the window. 100k sites draw ~12–17k dots.

        Over the whole data while the plot ranges itself, else over what the analyst zoomed
        to (:meth:`_on_range_changed` draws again then).
        """
        if len(rows) <= DECIMATE_POINTS:
            return rows
        xs, ys = x[rows], y[rows]
        box = self.plotItem.vb
        if all(box.autoRangeEnabled()):
            (x0, x1), (y0, y1) = (xs.min(), xs.max()), (ys.min(), ys.max())
        else:
            (x0, x1), (y0, y1) = box.viewRange()
        self._drawn_range = (float(x0), float(x1), float(y0), float(y1))
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        columns, lines = DECIMATE_GRID
        cx = np.floor((xs - x0) / max(x1 - x0, 1e-12) * columns).astype(np.int64)
        cy = np.floor((ys - y0) / max(y1 - y0, 1e-12) * lines).astype(np.int64)
        cells = (self._codes[rows] * (columns + 1) + cx) * (lines + 1) + cy
        cells[~inside] = -1
        _, from_end = np.unique(cells[::-1], return_index=True)
        last = len(cells) - 1 - from_end  # the last of each: the one drawn on top of the others
        kept = np.sort(last[cells[last] >= 0])
        return np.asarray(rows[kept], dtype=np.intp)

    @Slot()
    def _on_range_changed(self) -> None:
        """Zoomed or panned over a decimated run: pick the dots for the new range."""
        box = self.plotItem.vb
        if len(self._shown) <= DECIMATE_POINTS or all(box.autoRangeEnabled()):
            return
        (x0, x1), (y0, y1) = box.viewRange()
        if (x0, x1, y0, y1) != self._drawn_range:
            self._range_timer.start()

    def drawing(self) -> bool:
        """Whether batches of a big run's points are still to be drawn."""
        return bool(self._pending)

    def drawn_positions(self) -> np.ndarray:
        """Positions (in the order given to :meth:`set_points`) of the dots drawn."""
        if not self._batches:
            return np.asarray(self._points.data["data"] if self._points else [], dtype=np.intp)
        return np.concatenate([item.data["data"].astype(np.intp) for item in self._batches])

    def _drop_batches(self) -> None:
        self._batch_timer.stop()
        self._pending.clear()
        for item in self._batches:
            if item.scene() is not None:
                self.removeItem(item)
        self._batches.clear()

    @Slot()
    def _draw_batch(self) -> None:
        """Make the next batch of a big run's points; the next waits for the next turn.

        pyqtgraph spends ~5 µs per point (100k sites stalled the window for 0.5 s): a batch
        takes ~10 ms. Batches keep the points' order, so overlapping dots stack as one item
        stacks them (one item per colour would paint a whole colour over another). They join
        the plot together once all are made: added one by one, each would repaint all before it.
        """
        if not self._pending:
            return
        rows = self._pending.pop(0)
        x, y = self._batch_xy
        item = pg.ScatterPlotItem(pxMode=True, size=6, pen=None, hoverable=False)
        brushes = np.array(self._brushes(), dtype=object)[self._codes[rows]]
        item.setData(x=x[rows], y=y[rows], brush=brushes, data=rows)
        item.sigClicked.connect(self._on_clicked)
        self._batches.append(item)
        if self._pending:
            self._batch_timer.start()
            return
        for made in self._batches:
            self.addItem(made)

    def _draw_rings(self) -> None:
        if self._rings is None or self._halos is None:
            return
        if not len(self._highlighted):
            self._rings.clear()
            self._halos.clear()
            return
        x, y = self._x()[self._highlighted], self._y[self._highlighted]
        ok = np.isfinite(x) & np.isfinite(y)
        palette = self.palette()
        self._halos.setData(
            x=x[ok], y=y[ok], pen=_halo_pen(palette, 5.0), brush=None, size=RING_SIZE
        )
        self._rings.setData(
            x=x[ok], y=y[ok], pen=_selection_pen(palette, 2.5), brush=None, size=RING_SIZE
        )

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
