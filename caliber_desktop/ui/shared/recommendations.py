"""How a recommendation (allow, block, monitor, insufficient data) reads: its words and colour.

The results table, its filter chips and the charts share these, so a colour means one thing.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from caliber_desktop.models.chart_style import (
    RECOMMENDATION_ORDER,
    recommendation_colour,
    recommendation_label,
)

#: Recommendations in the order chips, filters and chart legends list them (shared with the
#: PDF and the CLI, so every list reads in the same order).
RECOMMENDATIONS: tuple[str, ...] = RECOMMENDATION_ORDER


def is_dark_palette(palette: QPalette | None = None) -> bool:
    """True when the base (table/plot background) is dark; colours are chosen to contrast it."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def recommendation_color(recommendation: str, palette: QPalette | None = None) -> QColor:
    """The colour of a recommendation that reads on the current light or dark theme.

    The colours live in :mod:`caliber_desktop.models.chart_style`, which the PDF reads too.
    """
    return QColor(recommendation_colour(recommendation, dark=is_dark_palette(palette)))


def recommendation_text(value: str) -> str:
    """A recommendation in running text and table cells: ``insufficient data`` (the labels
    table's word, lower-cased to sit inside a sentence)."""
    return recommendation_label(value).lower()


def recommendation_legend(recommendation: str) -> str:
    """A recommendation in a chart legend, worded as in the PDF's legends: ``Insufficient data``."""
    return recommendation_label(recommendation)
