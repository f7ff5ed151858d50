"""Find text the analyst cannot read because a widget is too small for it.

:func:`clipped_text` walks every visible label, button and table header under a window and
reports each one whose text needs more room than it has: a one-line label narrower than its text,
a wrapping label shorter than its wrapped text, a button narrower than its size hint, a header
section or a tab narrower than its title, or any of them cut off by the edge of a parent (a dock,
the viewport of a scroll area). Cut off *vertically* inside a scroll area is fine: the analyst
scrolls down. A header section or tab that Qt elides ("…") passes only when its tooltip holds the
whole title; a label or button has to fit (elide it yourself and put the whole text in its tip).

Any GUI test can use it::

    problems = clipped_text(window)
    assert not problems, describe(problems)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QStyle,
    QTabBar,
    QToolButton,
    QWidget,
)

#: Rounding slack between a font's advance and where the style puts the text.
SLACK = 1


@dataclass(frozen=True)
class Clipped:
    """One piece of text that does not fit: where, what, and by how much."""

    where: str
    text: str
    needed: int
    available: int
    why: str

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.text!r} needs {self.needed} px, has {self.available} px "
            f"({self.why})"
        )


def describe(problems: list[Clipped]) -> str:
    return "clipped text:\n  " + "\n  ".join(str(p) for p in problems)


def clipped_text(root: QWidget) -> list[Clipped]:
    """Every visible label, button and header section under ``root`` whose text does not fit."""
    problems: list[Clipped] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if not widget.isVisible() or _shown_rect(widget).isEmpty():
            continue  # hidden, or behind another tab of a tabbed dock: not on screen
        if isinstance(widget, QLabel):
            problems += _label(widget, root)
        elif isinstance(widget, QAbstractButton):
            problems += _button(widget, root)
        elif isinstance(widget, QHeaderView):
            problems += _header(widget, root)
        elif isinstance(widget, QTabBar):
            problems += _tabs(widget)
    return problems


# --------------------------------------------------------------------------- one widget


def _name(widget: QWidget) -> str:
    name = widget.objectName()
    chain = []
    parent = widget.parentWidget()
    while parent is not None and len(chain) < 3:
        if parent.objectName():
            chain.append(parent.objectName())
        parent = parent.parentWidget()
    where = type(widget).__name__ + (f"#{name}" if name else "")
    return where + (f" in {'/'.join(chain)}" if chain else "")


def _plain(text: str) -> str:
    """A button's text as drawn: one ``&`` marks a mnemonic, ``&&`` is a literal ampersand."""
    return re.sub(r"&(.)", r"\1", text)


def _label(label: QLabel, root: QWidget) -> list[Clipped]:
    text = label.text()
    if not text.strip() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return []
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    shown = _rich_to_plain(text) if rich else text
    where = _name(label)
    rect = label.contentsRect()
    margin = label.margin()
    width = rect.width() - 2 * margin
    height = rect.height() - 2 * margin
    metrics = QFontMetrics(label.font())
    problems = []
    if label.wordWrap():
        longest = max((_advance(metrics, w) for w in shown.split()), default=0)
        if longest > width + SLACK:
            problems.append(Clipped(where, shown, longest, width, "a word wider than the label"))
        needed_height = label.heightForWidth(label.width())
        if needed_height > label.height() + SLACK:
            problems.append(
                Clipped(where, shown, needed_height, label.height(), "wrapped text taller")
            )
        needed = min(_text_width(label, text, rich, metrics), width)
    else:
        needed = _text_width(label, text, rich, metrics)
        if needed > width + SLACK:
            problems.append(Clipped(where, shown, needed, width, "wider than the label"))
        lines = max(1, shown.count("\n") + 1)
        if metrics.height() * lines > height + metrics.leading() * lines + 2 * SLACK + 2:
            problems.append(
                Clipped(where, shown, metrics.height() * lines, height, "taller than the label")
            )
    problems += _cut_by_parents(label, root, where, shown, min(needed, width), label.alignment())
    return problems


def _button(button: QAbstractButton, root: QWidget) -> list[Clipped]:
    text = _plain(button.text())
    if not text.strip():
        return []
    if (
        isinstance(button, QToolButton)
        and button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    ):
        return []
    where = _name(button)
    problems = []
    needed = button.sizeHint().width()
    if needed > button.width() + SLACK:
        problems.append(Clipped(where, text, needed, button.width(), "narrower than its text"))
    problems += _cut_by_parents(
        button, root, where, text, min(needed, button.width()), Qt.AlignmentFlag.AlignLeft
    )
    return problems


def _header(header: QHeaderView, root: QWidget) -> list[Clipped]:
    """Horizontal headers: each section on screen must fit its title (or elide with a tip)."""
    model = header.model()
    if model is None or header.orientation() is not Qt.Orientation.Horizontal:
        return []
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    mark = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
    metrics = QFontMetrics(header.font())
    viewport = header.viewport().width()
    problems = []
    for logical in range(header.count()):
        if header.isSectionHidden(logical):
            continue
        left = header.sectionViewportPosition(logical)
        size = header.sectionSize(logical)
        if left >= viewport or left + size <= 0:
            continue  # scrolled away: the analyst scrolls to it
        text = model.headerData(logical, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text.strip():
            continue
        needed = metrics.horizontalAdvance(text) + 2 * margin
        if header.isSortIndicatorShown() and header.sortIndicatorSection() == logical:
            needed += mark + margin
        if needed <= size + SLACK:
            continue
        tip = model.headerData(logical, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        if left + size > viewport and left + needed > viewport:
            continue  # the last section, partly scrolled: its text is reached by scrolling
        if isinstance(tip, str) and text in tip:
            continue  # the header elides it and the tooltip has it whole
        where = f"{_name(header)} section {logical}"
        problems.append(Clipped(where, text, needed, size, "header section narrower"))
    return problems


def _tabs(bar: QTabBar) -> list[Clipped]:
    """Each tab's title fits, or is elided with the whole title in its tooltip; none is pushed
    past the bar's edge (behind scroll arrows)."""
    style = bar.style()
    space = style.pixelMetric(QStyle.PixelMetric.PM_TabBarTabHSpace, None, bar)
    metrics = QFontMetrics(bar.font())
    problems = []
    for index in range(bar.count()):
        if not bar.isTabVisible(index):
            continue
        text = _plain(bar.tabText(index))
        rect = bar.tabRect(index)
        where = f"{_name(bar)} tab {index}"
        if rect.right() > bar.width() + SLACK or rect.left() < -SLACK:
            problems.append(Clipped(where, text, rect.width(), 0, "tab past the bar's edge"))
            continue
        needed = metrics.horizontalAdvance(text) + space
        if not bar.tabIcon(index).isNull():
            needed += bar.iconSize().width()
        if needed > rect.width() + SLACK and text not in bar.tabToolTip(index):
            problems.append(Clipped(where, text, needed, rect.width(), "tab title elided, no tip"))
    return problems


# --------------------------------------------------------------------------- helpers


def _advance(metrics: QFontMetrics, text: str) -> int:
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def _rich_to_plain(text: str) -> str:
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def _text_width(label: QLabel, text: str, rich: bool, metrics: QFontMetrics) -> int:
    if not rich:
        return _advance(metrics, text)
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(text)
    return int(doc.idealWidth() + 0.999)


def _ancestors(widget: QWidget) -> list[QWidget]:
    found = []
    parent = widget.parentWidget()
    while parent is not None and not parent.isWindow():
        found.append(parent)
        parent = parent.parentWidget()
    return found


def _shown_rect(widget: QWidget) -> QRect:
    """The part of ``widget`` its parents leave on screen, in its window's coordinates."""
    top = widget.window()
    visible = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    for parent in _ancestors(widget):
        visible &= QRect(parent.mapTo(top, QPoint(0, 0)), parent.size())
    return visible & top.rect()


def _in_scroll_area(widget: QWidget, root: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and grand.viewport() is parent:
            return True
        parent = grand
    return False


def _cut_by_parents(
    widget: QWidget,
    root: QWidget,
    where: str,
    text: str,
    needed: int,
    alignment: Qt.AlignmentFlag,
) -> list[Clipped]:
    """The part of ``widget`` its parents show; its text must lie inside it.

    Item views' own children (editors, index widgets) are left to the view's scrolling.
    """
    top = widget.window()
    origin = widget.mapTo(top, QPoint(0, 0))
    if any(isinstance(p, QAbstractItemView) for p in _ancestors(widget)):
        return []
    visible = _shown_rect(widget)
    scrolls = _in_scroll_area(widget, root)
    rect = widget.contentsRect().translated(origin)
    if alignment & Qt.AlignmentFlag.AlignRight:
        start = rect.right() + 1 - needed
    elif alignment & Qt.AlignmentFlag.AlignHCenter:
        start = rect.left() + (rect.width() - needed) // 2
    else:
        start = rect.left()
    end = start + needed
    if start < visible.left() - SLACK or end > visible.right() + 1 + SLACK:
        shown = max(0, min(end, visible.right() + 1) - max(start, visible.left()))
        return [Clipped(where, text, needed, shown, "cut off by the edge of a parent")]
    if not scrolls and visible.height() < min(widget.height(), rect.height()) - SLACK:
        return [Clipped(where, text, widget.height(), visible.height(), "cut off at the bottom")]
    return []
