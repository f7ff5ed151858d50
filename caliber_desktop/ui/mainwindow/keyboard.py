"""Tab follows the window as it reads: left docks, the page in the middle, right, bottom, status.

Qt's focus chain is the order widgets were created in, so a dock built after the results page
(or a panel that builds its controls when a run opens) would be reached in an order nobody sees
on screen. The window asks :func:`next_in_reading_order` where Tab goes instead: the regions in
reading order, and within a region the order its panel set (each panel knows its own layout).
Tables do not keep Tab for their cells (``setTabKeyNavigation(False)``), so Tab always moves on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

#: Dock areas in reading order; the central widget sits between the top and the right ones.
AREAS_BEFORE_CENTRE = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.TopDockWidgetArea)
AREAS_AFTER_CENTRE = (Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea)


def focus_chain(window: QWidget) -> list[QWidget]:
    """Every widget of ``window`` in Qt's focus chain order (the window itself left out)."""
    chain: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window and len(chain) < 100_000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    return chain


def regions(window: QMainWindow) -> list[QWidget]:
    """The parts of the window a reader goes through, in order (docks in the same area by
    position; floating docks are windows of their own and keep their own order)."""
    docks = [
        dock
        for dock in window.findChildren(QDockWidget)
        if dock.parentWidget() is window and not dock.isFloating()
    ]

    def in_area(area: Qt.DockWidgetArea) -> list[QWidget]:
        placed = [d for d in docks if window.dockWidgetArea(d) == area]
        return sorted(placed, key=lambda d: (d.y(), d.x()))

    ordered: list[QWidget] = []
    for area in AREAS_BEFORE_CENTRE:
        ordered += in_area(area)
    central = window.centralWidget()
    if central is not None:
        ordered.append(central)
    for area in AREAS_AFTER_CENTRE:
        ordered += in_area(area)
    ordered.append(window.statusBar())
    return ordered


def takes_tab(widget: QWidget, window: QWidget) -> bool:
    """Whether Tab may stop on ``widget`` now (shown, enabled, accepts Tab, not a proxy's)."""
    return (
        widget.window() is window
        and widget.isVisible()
        and widget.isEnabled()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.focusProxy() is None
    )


def reading_order(window: QMainWindow) -> list[QWidget]:
    """The controls Tab visits now, in reading order.

    What belongs to no region (the tab bars of tabbed docks) comes before the status bar.
    """
    chain = [w for w in focus_chain(window) if takes_tab(w, window)]
    *parts, status = regions(window)

    def inside(region: QWidget) -> list[QWidget]:
        return [w for w in chain if region is w or region.isAncestorOf(w)]

    ordered = [w for region in parts for w in inside(region)]
    last = inside(status)
    return ordered + [w for w in chain if w not in ordered and w not in last] + last


def next_in_reading_order(window: QMainWindow, forward: bool) -> QWidget | None:
    """Where Tab (or Shift+Tab) goes from the focused control; None when Qt should decide."""
    order = reading_order(window)
    if not order:
        return None
    current = QApplication.focusWidget()
    while current is not None and current not in order:  # inside a compound control
        current = current.parentWidget()
    if current is None:
        return order[0] if forward else order[-1]
    step = 1 if forward else -1
    return order[(order.index(current) + step) % len(order)]
