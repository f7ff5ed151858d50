"""A legend row for pyqtgraph charts: coloured symbols and words in the plot's title row.

The row sits above the plot area, so it never covers a bar or a dot, and wraps to the view's
width between entries, so it fits a laptop's narrow chart column (pyqtgraph's LegendItem floats
over the data; its title label would hold the plot as wide as its text). Shared by the results
charts and the site detail's chart.
"""

from __future__ import annotations

import html
import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

#: A legend entry: its words, its colour and the symbol drawn in that colour.
LegendEntry = tuple[str, QColor, str]


class LegendLabel(pg.LabelItem):
    """A title label that asks for no width: its text wraps to the plot, which the view sizes."""

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph override)
        height = float(self.itemRect().height())
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (0.0, height),
            Qt.SizeHint.PreferredSize: (0.0, height),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()


def install_legend_row(plot: pg.PlotItem) -> None:
    """Swap the plot's title label for a :class:`LegendLabel` (hidden until a legend is drawn)."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    old.setParentItem(None)
    plot.titleLabel = LegendLabel("", size="9pt")
    plot.layout.addItem(plot.titleLabel, 0, 1)
    plot.setTitle(None)


def legend_text(entries: list[LegendEntry]) -> str:
    """The legend as plain text: what a screen reader and the tests read."""
    return "   ".join(f"{symbol} {label}" for label, _colour, symbol in entries)


def draw_legend(view: pg.PlotWidget, entries: list[LegendEntry]) -> None:
    """Write ``entries`` into the title row of ``view``, wrapped to its plot area's width.

    Call again when the view is resized or its palette changes. The view's accessible
    description carries the same words.
    """
    plot = view.getPlotItem()
    title = plot.titleLabel
    if not entries:
        plot.setTitle(None)
        view.setAccessibleDescription("")
        return
    # non-breaking inside an entry, so a wrap only ever falls between entries
    parts = [
        f'<span style="color:{colour.name()}">{symbol}</span>&nbsp;'
        + html.escape(label).replace(" ", "&nbsp;")
        for label, colour, symbol in entries
    ]
    size = max(view.font().pointSizeF() - 1.0, 7.0)
    plot.setTitle(
        '<div align="center">' + " &nbsp; ".join(parts) + "</div>",
        size=f"{size:.1f}pt",
        color=view.palette().color(QPalette.ColorRole.Text).name(),
    )
    # the title row spans the plot area, right of the left axis
    room = float(view.width()) - float(plot.getAxis("left").width()) - 12.0
    title.item.setTextWidth(max(room, 60.0))
    title.updateMin()
    height = float(math.ceil(title.itemRect().height()))
    title.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)
    view.setAccessibleDescription("Legend: " + legend_text(entries))
