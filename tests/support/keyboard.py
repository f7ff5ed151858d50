"""Walking a window with the keyboard as an analyst would: Tab, names, visible focus."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QImage, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QRadioButton,
    QTabBar,
    QWidget,
)

from caliber_desktop.ui.shared.theme import dark_palette, show_keyboard_focus

#: More Tab presses than any window here has controls: a walk that never comes back is a trap.
MAX_STOPS = 300


def tab_stops(root: QWidget) -> list[QWidget]:
    """Every control of ``root``'s window that Tab may stop on now, in Qt's focus chain order."""
    window = root.window()
    stops: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window and len(stops) < 100_000:
        if (
            (root is window or root.isAncestorOf(widget))
            and widget.window() is window
            and widget.isVisible()
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.focusProxy() is None
            and not _radio_behind_its_choice(widget)
        ):
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def _radio_behind_its_choice(widget: QWidget) -> bool:
    """Tab enters a group of radio buttons at the chosen one; the arrows move between them."""
    if not isinstance(widget, QRadioButton) or widget.isChecked():
        return False
    siblings = widget.parentWidget().findChildren(QRadioButton) if widget.parentWidget() else []
    return any(s.isChecked() and s.autoExclusive() for s in siblings)


@contextmanager
def fusion(app: QApplication, scheme: str) -> Iterator[None]:
    """The Fusion style with the light palette or the app's dark one, as the app sets them on
    Linux (:class:`~caliber_desktop.ui.shared.theme.ThemeFollower`)."""
    style, old = app.style().name(), QPalette(app.palette())
    app.setStyle("Fusion")
    show_keyboard_focus(app)
    if scheme == "dark":
        app.setPalette(dark_palette())
    try:
        yield
    finally:
        app.setPalette(old)
        app.setStyle(style or "Fusion")


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(key: Qt.Key) -> QWidget:
    """Press ``key`` where the focus is, as the keyboard would; returns the new focus."""
    QTest.keyClick(focused(), key)
    QApplication.processEvents()
    return focused()


def tab_walk(start: QWidget, *, backwards: bool = False) -> list[QWidget]:
    """The controls Tab (or Shift+Tab) visits from ``start`` until it comes back to it."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    QApplication.processEvents()
    assert focused() is start, f"{describe(start)} did not take the focus"
    key = Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab
    walk = [start]
    for _ in range(MAX_STOPS):
        widget = press(key)
        if widget is start:
            return walk
        assert widget not in walk, f"Tab is stuck in a loop at {describe(widget)}: {walk}"
        walk.append(widget)
    raise AssertionError(f"Tab never came back to {describe(start)}")


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says for ``widget``: its own name, a label's, or its text."""
    if widget.accessibleName():
        return widget.accessibleName()
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and label.text():
            return label.text().replace("&", "")
    if isinstance(widget, QAbstractButton | QLabel):
        return widget.text().replace("&", "")
    if isinstance(widget, QTabBar) and widget.count():
        return widget.tabText(widget.currentIndex())
    return ""


def accessible_name(widget: QWidget) -> str:
    """The name Qt hands the platform's accessibility layer."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name) if interface is not None else ""


def unnamed(widgets: list[QWidget]) -> list[str]:
    """Those a screen reader could not name."""
    return [
        describe(w) for w in widgets if not spoken_name(w).strip() or not accessible_name(w).strip()
    ]


def focus_not_shown(widgets: list[QWidget]) -> list[str]:
    """Those that look the same with and without the keyboard focus (Tab reaching each)."""
    hidden = []
    for widget in widgets:
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        press(Qt.Key.Key_Backtab)  # reach it by keyboard, so the style draws keyboard focus
        if press(Qt.Key.Key_Tab) is not widget:
            hidden.append(f"{describe(widget)} (not reached by Tab)")
            continue
        with_focus = grab(widget)
        press(Qt.Key.Key_Tab)
        if visible_change(with_focus, grab(widget)) < MIN_FOCUS_PIXELS:
            hidden.append(describe(widget))
    return hidden


#: A focus mark is at least a short line of pixels that clearly changed colour…
MIN_FOCUS_PIXELS = 20
#: …by at least this much (sum over red, green and blue, 0–765): a shade nobody sees is not it.
MIN_FOCUS_CONTRAST = 90


def visible_change(before: QImage, after: QImage) -> int:
    """How many pixels differ clearly between two grabs of one widget."""
    if before.size() != after.size():
        return MIN_FOCUS_PIXELS  # it changed size: that is seen
    arrays = [
        np.frombuffer(image.convertToFormat(QImage.Format.Format_RGB32).constBits(), np.uint8)
        .reshape(image.height(), -1)[:, : image.width() * 4]
        .reshape(image.height(), image.width(), 4)[:, :, :3]
        .astype(np.int16)
        for image in (before, after)
    ]
    contrast = np.abs(arrays[0] - arrays[1]).sum(axis=2)
    return int((contrast >= MIN_FOCUS_CONTRAST).sum())


def grab(widget: QWidget) -> QImage:
    QApplication.processEvents()
    return widget.grab().toImage()


def describe(widget: QWidget) -> str:
    name = widget.objectName() or spoken_name(widget) or "?"
    return f"{type(widget).__name__}({name!r})"
