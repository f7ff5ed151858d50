"""Item delegates: how a cell is painted when plain text is not enough."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.ui.shared.locale_format import format_percent
from caliber_desktop.ui.shared.roles import CAMPAIGN_ROLE, Index


class StatusDelegate(QStyledItemDelegate):
    """Paints a processing campaign's status cell as a progress bar from ``record.progress``.

    In a column too narrow for "Processing 40%" the bar says "40%".

    A delegate rather than an index widget: one painter for any number of rows, and it follows
    the style (and its dark palette) like every other cell.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        record = index.data(CAMPAIGN_ROLE)
        if (
            not isinstance(record, CampaignRecord)
            or record.status is not CampaignStatus.PROCESSING
            or record.progress is None
        ):
            super().paint(painter, option, index)
            return
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        widget = item.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, item, painter, widget)
        margin = max(1, item.fontMetrics.height() // 6)
        bar = QStyleOptionProgressBar()
        if widget is not None:
            bar.initFrom(widget)
        bar.rect = item.rect.adjusted(margin, margin, -margin, -margin)
        bar.palette = item.palette
        bar.fontMetrics = item.fontMetrics
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(record.progress * 1000)
        bar.text = f"Processing {format_percent(record.progress)}"
        if item.fontMetrics.horizontalAdvance(bar.text) > bar.rect.width() - 2 * margin:
            bar.text = format_percent(record.progress)  # a narrow dot column: the number alone
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = item.state | QStyle.StateFlag.State_Horizontal
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)
