"""Small pieces every window and panel shares: the app icon, relative fonts.

Errors are shown by :mod:`caliber_desktop.ui.shared.errors` (``error_box`` is re-exported here).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtGui import QFont, QIcon, QPixmap

# Where error dialogs were made before they got their own module; callers may still import it here.
from caliber_desktop.ui.shared.errors import error_box as error_box


def app_icon() -> QIcon:
    """The Caliber icon, loaded through importlib.resources so the frozen app finds it too.

    A real file keeps the SVG engine (sharp at every scale); anything else is rasterised once.
    """
    ref = resources.files("caliber_desktop.resources").joinpath("icons", "caliber.svg")
    if isinstance(ref, Path):
        return QIcon(str(ref))
    pixmap = QPixmap()
    pixmap.loadFromData(ref.read_bytes(), "SVG")
    return QIcon(pixmap)


def scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    """A font relative to the user's (never a fixed pixel or point size), for headings."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    else:  # a pixel-sized platform font: scale that instead
        font.setPixelSize(max(1, round(font.pixelSize() * factor)))
    font.setBold(bold)
    return font
