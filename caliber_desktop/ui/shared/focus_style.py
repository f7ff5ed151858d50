"""Keyboard focus one can see in Fusion, light and dark, without a style sheet.

Fusion marks the focused cell of a table or list by a slightly lighter shade (invisible on a
selected row) and a focused tab by a frame too faint on a dark palette. This proxy draws those
focus frames solid, in the palette's focus colour (the highlighted text colour on a selected
row), as Fusion already does around a focused line edit or button. A proxy style, not a style
sheet: a style sheet would stop palette changes (the light/dark switch) reaching the widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QPlainTextEdit,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QTabBar,
    QTableView,
    QTextEdit,
    QWidget,
)

#: Width of the focus frame, in device-independent pixels.
FOCUS_PEN = 1.5


class FocusFrameStyle(QProxyStyle):
    """The app's style with a visible focus frame on table and list cells, tabs, text boxes and
    lists (their frame; a focus change repaints it: see :meth:`polish`)."""

    def polish(self, widget: QWidget) -> None:  # type: ignore[override]
        super().polish(widget)
        if isinstance(widget, QTextEdit | QPlainTextEdit | QListView):
            # The frame is painted by the scroll area itself, which does not repaint when the
            # focus moves (its viewport does): repaint it then.
            widget.installEventFilter(self)

    def unpolish(self, widget: QWidget) -> None:  # type: ignore[override]
        widget.removeEventFilter(self)
        super().unpolish(widget)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut) and isinstance(
            watched, QWidget
        ):
            watched.update()
        return super().eventFilter(watched, event)

    def drawPrimitive(  # noqa: N802 (Qt override)
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect and _marks_focus(widget):
            if not isinstance(widget, QTabBar):  # the whole tab is framed in drawControl
                draw_focus_frame(option, painter)
            return
        super().drawPrimitive(element, option, painter, widget)

    def drawControl(  # noqa: N802 (Qt override)
        self,
        element: QStyle.ControlElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawControl(element, option, painter, widget)
        if (
            element == QStyle.ControlElement.CE_ShapedFrame
            and isinstance(widget, QTextEdit | QPlainTextEdit | QListView)
            and not isinstance(widget, QTableView)
            and widget.hasFocus()
        ):
            # Text boxes and lists: the frame in the focus colour, as Fusion does for a line
            # edit; an empty list has no current cell to frame, a text box no cell at all.
            draw_focus_frame(option, painter, on_highlight=False)
            return
        focused = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_KeyboardFocusChange
        if element == QStyle.ControlElement.CE_TabBarTab and (option.state & focused) == focused:
            # Around the whole tab, in the focus colour (a selected tab is not highlighted).
            draw_focus_frame(option, painter, inset=2, on_highlight=False)


def _marks_focus(widget: QWidget | None) -> bool:
    """Cells of item views (their viewport paints them) and tab bars (a frame of their own)."""
    if isinstance(widget, QTabBar | QAbstractItemView):
        return True
    parent = widget.parentWidget() if widget is not None else None
    return isinstance(parent, QAbstractItemView) and parent.viewport() is widget


def draw_focus_frame(
    option: QStyleOption, painter: QPainter, inset: float = 0, *, on_highlight: bool = True
) -> None:
    """A solid frame just inside ``option.rect``: the focus colour, or the highlighted text
    colour on a selected cell (``on_highlight``: it stands on the focus colour there)."""
    selected = on_highlight and bool(option.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Highlight
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    pen = QPen(option.palette.color(role), FOCUS_PEN)
    painter.setPen(pen)
    inset += FOCUS_PEN / 2
    painter.drawRect(QRectF(option.rect).adjusted(inset, inset, -inset - 1, -inset - 1))
    painter.restore()
