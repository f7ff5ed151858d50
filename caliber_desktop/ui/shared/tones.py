"""Colours that carry a meaning (good, bad, warn), derived from the current palette.

Shared by the site detail panel, its contribution chart and the lists panel, so a tone reads the
same everywhere and on light and dark themes alike.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

#: Hues (HSL degrees) of the few meanings colour carries; lightness comes from the palette.
TONE_HUES = {"good": 140, "bad": 0, "warn": 35}


def tone_colour(palette: QPalette, tone: str) -> QColor:
    """A meaning's colour with enough contrast on this palette: light hues on dark, deep on light.

    An unknown tone falls back to the palette's placeholder text, a quiet neutral.
    """
    hue = TONE_HUES.get(tone)
    if hue is None:
        return palette.color(QPalette.ColorRole.PlaceholderText)
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor.fromHsl(hue, 170 if dark else 200, 165 if dark else 85)


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
