"""Light and dark, following the operating system.

Qt 6.5+ reports the OS colour scheme (``QStyleHints.colorScheme``) and signals when the user
switches it. The native styles of Windows 11 and macOS already follow it; on the others (and the
Fusion style Linux usually gets) we set a matching palette ourselves. Widgets and charts read
colours from the palette, never hard-coded, so a switch at run time repaints everything.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

from caliber_desktop.ui.shared.focus_style import FocusFrameStyle

#: Styles that follow the OS scheme by themselves.
NATIVE_SCHEME_STYLES = {"windows11", "macos"}


def dark_palette() -> QPalette:
    """A calm dark palette for the Fusion style (contrast checked against WCAG AA for text)."""
    palette = QPalette()
    base, window, text = QColor(30, 32, 36), QColor(40, 43, 48), QColor(230, 232, 235)
    group_colors = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(46, 49, 55),
        QPalette.ColorRole.ToolTipBase: QColor(52, 56, 62),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(150, 154, 160),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(50, 54, 60),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 120, 120),
        QPalette.ColorRole.Highlight: QColor(64, 132, 214),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.Mid: QColor(70, 74, 80),
        QPalette.ColorRole.Dark: QColor(22, 24, 27),
        QPalette.ColorRole.Light: QColor(80, 84, 90),
    }
    for role, color in group_colors.items():
        palette.setColor(role, color)
    disabled = QColor(120, 124, 130)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def show_keyboard_focus(app: QApplication) -> None:
    """Wrap the app's style in :class:`FocusFrameStyle` (focus frames one can see).

    Not the native styles of Windows 11 and macOS: they draw their own focus.
    """
    style = app.style()
    if isinstance(style, FocusFrameStyle) or style.name().lower() in NATIVE_SCHEME_STYLES:
        return
    app.setStyle(FocusFrameStyle(style.name() or "Fusion"))


def _is_fusion(style: QStyle) -> bool:
    base = style.baseStyle() if isinstance(style, QProxyStyle) else style
    return base.name().lower() == "fusion"


class ThemeFollower(QObject):
    """Applies the OS colour scheme now and whenever it changes."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.light = app.palette()
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self.apply)
        self.apply(hints.colorScheme())

    @Slot(Qt.ColorScheme)
    def apply(self, scheme: Qt.ColorScheme) -> None:
        style = self.app.style()
        if style is not None and style.name().lower() in NATIVE_SCHEME_STYLES:
            return
        if scheme == Qt.ColorScheme.Dark:
            if not _is_fusion(style):
                self.app.setStyle(FocusFrameStyle("Fusion"))
            self.app.setPalette(dark_palette())
        else:
            self.app.setPalette(self.light)
        show_keyboard_focus(self.app)

    @property
    def is_dark(self) -> bool:
        return self.app.palette().color(QPalette.ColorRole.Window).lightness() < 128
