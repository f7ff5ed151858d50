"""The site detail panel's chart: each used metric's points against a median site.

Colour here is the tone of a contribution (the shared table's ``good`` and ``bad``): green bars
gained the site points against a median site, red bars cost it points. A legend row says so.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from caliber_desktop.ui.shared.chart_legend import (
    LegendEntry,
    draw_legend,
    install_legend_row,
    legend_text,
)
from caliber_desktop.ui.shared.tones import tone_colour

#: The legend's words for the two bar colours.
GAINED, LOST = "Gained vs a median site", "Lost vs a median site"


class ContributionChart(pg.PlotWidget):  # pyqtgraph is untyped (pyproject: mypy overrides)
    """Horizontal bars of each used metric's points vs a median site, above and below zero.

    ``values`` and ``labels`` keep what is drawn so callers (and tests) need not read pyqtgraph
    internals; the bars are one item with a brush per bar.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contributionChart")
        self.setAccessibleName("Score contributions")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the metrics table holds the same, by keyboard
        self.setAccessibleDescription(
            "Each metric's points for this site compared with a median site; the metrics table "
            "lists the same values."
        )
        self.values: list[float] = []
        self.labels: list[str] = []
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.invertY(True)  # first metric on top, as in the table
        item.setLabel("bottom", "points vs a median site")
        install_legend_row(item)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6)
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=90, movable=False)
        item.addItem(self.bars)
        item.addItem(self.zero_line)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.apply_palette()

    def set_metrics(self, labels: list[str], values: list[float]) -> None:
        self.labels, self.values = list(labels), [float(v) for v in values]
        self._draw()
        self._fit_height()

    def legend_entries(self) -> list[LegendEntry]:
        """What the bar colours mean; none while there are no bars."""
        if not self.values:
            return []
        palette = self.palette()
        return [
            (GAINED, tone_colour(palette, "good"), "■"),
            (LOST, tone_colour(palette, "bad"), "■"),
        ]

    def legend_text(self) -> str:
        return legend_text(self.legend_entries())

    def _fit_height(self) -> None:
        """Tall enough for every bar, the axis and the legend row (which may wrap)."""
        draw_legend(self, self.legend_entries())
        lines = max(len(self.values), 1) + 3  # bars plus the bottom axis and its label
        legend = self.getPlotItem().layout.rowMaximumHeight(0) if self.values else 0.0
        self.setFixedHeight(round(self.fontMetrics().lineSpacing() * lines * 1.5 + legend))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if hasattr(self, "zero_line") and event.size().width() != event.oldSize().width():
            self._fit_height()  # the legend may wrap to another number of lines

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        # its own palette (the parent hears first); also sent while pyqtgraph is still building
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "zero_line"):
            self.apply_palette()

    def clear_metrics(self) -> None:
        self.set_metrics([], [])

    def apply_palette(self) -> None:
        """Background, axes and bar colours from the current palette."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        self.setBackground(palette.color(QPalette.ColorRole.Base))
        for name in ("left", "bottom"):
            axis = self.getPlotItem().getAxis(name)
            axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
            axis.setTextPen(pg.mkPen(text))
        self.zero_line.setPen(pg.mkPen(text, width=1))
        self._draw()
        draw_legend(self, self.legend_entries())

    def _draw(self) -> None:
        values = np.asarray(self.values, dtype=float)
        palette = self.palette()
        good, bad = tone_colour(palette, "good"), tone_colour(palette, "bad")
        # pyqtgraph 0.14 fails on an empty ``pens``/``brushes`` list: one shared pen, and
        # per-bar brushes only when there are bars
        brushes = [pg.mkBrush(good if v >= 0 else bad) for v in values] or None
        self.bars.setOpts(
            x0=np.minimum(values, 0.0),
            y=np.arange(len(values), dtype=float),
            width=np.abs(values),
            height=0.6,
            brushes=brushes,
            brush=pg.mkBrush(good),
            pen=pg.mkPen(None),
        )
        item = self.getPlotItem()
        left = item.getAxis("left")
        left.setTicks([list(enumerate(self.labels))])
        # wide enough for the longest label, so pyqtgraph does not drop labels that overflow
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(t) for t in self.labels), default=0)
        left.setWidth(widest + metrics.averageCharWidth() * 2)
        reach = float(np.abs(values).max()) if len(values) else 1.0
        reach = max(reach, 1.0) * 1.1
        item.setXRange(-reach, reach, padding=0)
        item.setYRange(-0.6, max(len(values), 1) - 0.4, padding=0)
