"""The campaign tables' model and the status dots beside a campaign's status.

:class:`CampaignListModel` lists campaigns in the order the service returned them (the start
page and the campaigns dock); :class:`CampaignTableModel` adds a status dot drawn for the
palette of the moment. Both hold immutable records and format a cell only when a view asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette

from caliber_desktop.models import labels
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.ui.shared.locale_format import format_percent
from caliber_desktop.ui.shared.roles import CAMPAIGN_ID_ROLE, CAMPAIGN_ROLE, Index
from caliber_desktop.ui.shared.table_base import FlatTableModel


class CampaignListModel(FlatTableModel):
    """One row per campaign, in the order the service returned them (newest first)."""

    COLUMNS = ("Name", "Status", "Settings", "Files")
    NAME, STATUS, SETTINGS, FILES = range(4)
    ROLE_NAMES = ((CAMPAIGN_ROLE, b"campaign"), (CAMPAIGN_ID_ROLE, b"campaignId"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CampaignRecord] = []

    def set_campaigns(self, campaigns: Sequence[CampaignRecord]) -> None:
        """Replace every row; a reload is a reset because ids and order may all change."""
        self.beginResetModel()
        self._rows = list(campaigns)
        self.endResetModel()

    def campaign(self, row: int) -> CampaignRecord:
        return self._rows[row]

    def row_total(self) -> int:
        return len(self._rows)

    # ------------------------------------------------------------------ Qt API
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.FILES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == CAMPAIGN_ROLE:
            return record
        if role == CAMPAIGN_ID_ROLE:
            return record.id
        return None

    # ------------------------------------------------------------------ formatting
    def _display(self, record: CampaignRecord, column: int) -> str | None:
        if column == self.NAME:
            return record.name
        if column == self.STATUS:
            return _status_text(record)
        if column == self.SETTINGS:
            return record.settings.label()
        if column == self.FILES:
            return str(record.upload_count)
        return None

    def _tooltip(self, record: CampaignRecord, column: int) -> str | None:
        if column == self.NAME:
            return record.description or None
        if column == self.STATUS and record.error_message:
            return record.error_message
        if column == self.FILES:
            count = record.upload_count
            return f"{count} report file{'' if count == 1 else 's'} attached"
        return None


def _status_text(record: CampaignRecord) -> str:
    text = labels.label("status", record.status)
    progress = record.progress
    if progress is not None and record.status is CampaignStatus.PROCESSING:
        return f"{text} ({format_percent(progress)})"
    return text


# --------------------------------------------------------------------------- status icons


def status_color(status: CampaignStatus, palette: QPalette) -> QColor:
    """A dot colour that reads on the current palette: lighter tints on dark themes."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    if status is CampaignStatus.COMPLETED:
        return QColor("#81c784" if dark else "#2e7d32")
    if status is CampaignStatus.FAILED:
        return QColor("#ef9a9a" if dark else "#c62828")
    if status is CampaignStatus.PROCESSING:
        return palette.color(QPalette.ColorRole.Highlight)
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    return QColor(
        (text.red() + base.red()) // 2,
        (text.green() + base.green()) // 2,
        (text.blue() + base.blue()) // 2,
    )


class _StatusDot(QIconEngine):
    """A vector dot painted at whatever size and scale is asked for, in the palette of the moment.

    Painting instead of shipping image files keeps it sharp on high-DPI screens and lets the
    colour follow a light/dark switch without rebuilding the model.
    """

    def __init__(self, status: CampaignStatus) -> None:
        super().__init__()
        self._status = status

    def paint(self, painter: QPainter, rect: Any, mode: QIcon.Mode, state: QIcon.State) -> None:
        color = status_color(self._status, QGuiApplication.palette())
        if mode is QIcon.Mode.Disabled:
            color.setAlphaF(0.4)
        side = min(rect.width(), rect.height()) * 0.6
        dot = QRectF(0, 0, side, side)
        dot.moveCenter(QRectF(rect).center())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(dot)
        painter.restore()

    def clone(self) -> QIconEngine:
        return _StatusDot(self._status)


_ICONS: dict[CampaignStatus, QIcon] = {}


def status_icon(status: CampaignStatus) -> QIcon:
    """One icon per status for the whole process (the engine reads the palette when painting)."""
    icon = _ICONS.get(status)
    if icon is None:
        icon = _ICONS[status] = QIcon(_StatusDot(status))
    return icon


# --------------------------------------------------------------------------- with status dots


class CampaignTableModel(CampaignListModel):
    """The campaigns dock's model: the status is a coloured dot, its word the tooltip.

    The dock is narrow on a laptop, so the status column holds only the dot (a processing
    campaign's progress is drawn by ``StatusDelegate``) instead of a word cut to "Co"; the
    status, description, settings and file count are in the tooltips. The start page keeps the
    plain model with words.
    """

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and 0 <= index.row() < self.rowCount():
            record = self.campaign(index.row())
            column = index.column()
            if column == self.STATUS:
                if role == Qt.ItemDataRole.DecorationRole:
                    return status_icon(record.status)
                if role == Qt.ItemDataRole.DisplayRole:
                    return None
                if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
                    text = _status_text(record)
                    return f"{text}: {record.error_message}" if record.error_message else text
            if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
                return _campaign_tip(record)
            if role == Qt.ItemDataRole.ToolTipRole and column == self.SETTINGS:
                return record.settings.label()
        return super().data(index, role)

    def headerData(  # noqa: N802 (Qt override)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """The dot column has no title (it would not fit); its tooltip names it."""
        if orientation is Qt.Orientation.Horizontal and section == self.STATUS:
            if role == Qt.ItemDataRole.DisplayRole:
                return ""
            if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
                return "Status"
        return super().headerData(section, orientation, role)

    def row_of(self, campaign_id: int) -> int | None:
        for row in range(self.rowCount()):
            if self.campaign(row).id == campaign_id:
                return row
        return None


def _campaign_tip(record: CampaignRecord) -> str:
    """The whole name (the cell may be elided) and what the hidden columns would say."""
    count = record.upload_count
    lines = [record.name]
    if record.description:
        lines.append(record.description)
    lines.append(f"{record.settings.label()} · {count} report file{'' if count == 1 else 's'}")
    lines.append(_status_text(record))
    return "\n".join(lines)
