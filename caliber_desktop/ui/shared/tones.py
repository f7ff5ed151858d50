"""Colours that carry a meaning (good, bad, warn), derived from the current palette.

Shared by the site detail panel, its contribution chart and the lists panel, so a tone reads the
same everywhere and on light and dark themes alike.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from caliber_desktop.models.chart_style import TONE_COLOURS


def tone_colour(palette: QPalette, tone: str) -> QColor:
    """A meaning's colour with enough contrast on this palette: light shades on dark, deep on light.

    The shades are the shared table's (:data:`~caliber_desktop.models.chart_style.TONE_COLOURS`),
    which the PDF reads too. An unknown tone falls back to the palette's placeholder text.
    """
    colour = TONE_COLOURS.get(tone)
    if colour is None:
        return palette.color(QPalette.ColorRole.PlaceholderText)
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(colour.on(dark))


def blend(front: QColor, back: QColor, amount: float) -> QColor:
    """``amount`` of ``front`` over ``back``: a tinted background that stays on the palette."""
    mix = [
        round(a * amount + b * (1.0 - amount))
        for a, b in (
            (front.red(), back.red()),
            (front.green(), back.green()),
            (front.blue(), back.blue()),
        )
    ]
    return QColor(*mix)


def chip_style(palette: QPalette, tone: str) -> str:
    """Style sheet of a rounded label in a tone; lengths in ``em`` so it scales with the font."""
    fg = tone_colour(palette, tone)
    bg = blend(fg, palette.color(QPalette.ColorRole.Base), 0.16)
    return (
        f"color: {fg.name()}; background-color: {bg.name()}; border: 1px solid {fg.name()};"
        " border-radius: 0.5em; padding: 0.15em 0.6em;"
    )
