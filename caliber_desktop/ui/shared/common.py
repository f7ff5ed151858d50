"""Small pieces every window and panel shares: the app icon, error dialogs, relative fonts."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import QMessageBox, QWidget

from caliber_desktop.workers.base import ErrorInfo


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


def error_box(parent: QWidget | None, info: ErrorInfo, log_file: Path | None = None) -> QMessageBox:
    """The dialog for a failed job: the message; for a bug, where the log is and the traceback.

    Returned unshown so callers choose between ``open()`` (window-modal, does not block) and
    ``exec()``; tests inspect it without showing it.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical if info.is_bug else QMessageBox.Icon.Warning)
    box.setWindowTitle(info.title)
    box.setText(info.message)
    if info.is_bug and log_file is not None:
        box.setInformativeText(f"Log file: {log_file}")
    if info.details:
        box.setDetailedText(info.details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    return box
