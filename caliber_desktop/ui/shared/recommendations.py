"""How a recommendation (allow, block, monitor, insufficient data) reads: its words and colour.

The results table, its filter chips and the charts share these, so a colour means one thing.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

#: Recommendation colours as (light theme, dark theme) pairs: saturated enough to read on white,
#: light enough to read on a dark base. Charts use the same ones so a colour means one thing.
_RECOMMENDATION_COLORS: dict[str, tuple[str, str]] = {
    "allow": ("#1e7d3a", "#62c97f"),
    "block": ("#c0392b", "#f07167"),
    "monitor": ("#b36b00", "#f2b84b"),
    "insufficient_data": ("#6b6b6b", "#a8a8a8"),
}
RECOMMENDATIONS: tuple[str, ...] = tuple(_RECOMMENDATION_COLORS)


def is_dark_palette(palette: QPalette | None = None) -> bool:
    """True when the base (table/plot background) is dark; colours are chosen to contrast it."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def recommendation_color(recommendation: str, palette: QPalette | None = None) -> QColor:
    """The colour of a recommendation that reads on the current light or dark theme."""
    light, dark = _RECOMMENDATION_COLORS.get(recommendation, ("#6b6b6b", "#a8a8a8"))
    return QColor(dark if is_dark_palette(palette) else light)


def recommendation_text(value: str) -> str:
    return value.replace("_", " ")
