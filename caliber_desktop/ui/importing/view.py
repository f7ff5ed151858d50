"""How the import dialog shows an inspection: the mapping, the detection and the data quality.

:class:`InspectionView` is mixed into :class:`~caliber_desktop.ui.importing.dialog.ImportDialog`. It
only fills the widgets the dialog built from an :class:`Inspection` a worker returned; it starts
no job and keeps no state of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from caliber_desktop.models import labels
from caliber_desktop.services.importing.ingest import SCORING_FIELDS, Inspection
from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.ui.importing.quality import DataQualityView
from caliber_desktop.ui.shared.text_table import TextTableModel

NOT_IN_FILE = "— not in file —"


class _Dialog(Protocol):
    """What :class:`InspectionView` uses of the dialog it is mixed into (checked by mypy)."""

    campaign: CampaignRecord
    combos: dict[str, QComboBox]
    mapping_table: QTableWidget
    pixel_box: QGroupBox
    pixel_list: QListWidget
    remember_box: QCheckBox
    detection_label: QLabel
    facts_label: QLabel
    status_label: QLabel
    score_button: QPushButton | None
    quality_view: DataQualityView
    preview_model: TextTableModel

    def palette(self) -> QPalette: ...
    def _mapping_changed(self, _index: int) -> None: ...
    def _show_detection(self: _Dialog, inspection: Inspection) -> None: ...
    def _show_quality(self: _Dialog, inspection: Inspection) -> None: ...


class InspectionView:
    """The import dialog's "showing" half: everything that puts an inspection on screen."""

    def _fill_mapping(self: _Dialog, inspection: Inspection) -> None:
        self.mapping_table.setRowCount(len(SCORING_FIELDS))
        previous: QWidget = self.mapping_table
        for row, name in enumerate(SCORING_FIELDS):
            item = QTableWidgetItem(labels.field(name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.mapping_table.setItem(row, 0, item)
            combo = QComboBox()
            combo.setAccessibleName(f"Column for {labels.field(name)}")
            combo.addItems([*inspection.headers, NOT_IN_FILE])
            combo.currentIndexChanged.connect(self._mapping_changed)
            # A long header is elided in the narrow column: the tooltip names it whole.
            combo.currentTextChanged.connect(combo.setToolTip)
            self.combos[name] = combo
            self.mapping_table.setCellWidget(row, 1, combo)
            QWidget.setTabOrder(previous, combo)  # Tab goes down the mapping, then on
            previous = combo
        self.mapping_table.resizeRowsToContents()
        pixels = inspection.conversion_pixels
        self.pixel_box.setVisible(bool(pixels))
        self.pixel_list.blockSignals(True)
        for pixel, header in pixels.items():
            entry = QListWidgetItem(pixel if pixel == header else f"{pixel}  ({header})")
            entry.setData(Qt.ItemDataRole.UserRole, pixel)
            entry.setToolTip(header)
            entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.pixel_list.addItem(entry)
        self.pixel_list.blockSignals(False)
        name = labels.platform(inspection.platform)
        self.remember_box.setText(f"Remember this mapping for {name}")
        self.remember_box.setToolTip(
            "Next time a report of this platform has these columns, these corrections are "
            "applied before you see it."
        )

    def _show(self: _Dialog, inspection: Inspection) -> None:
        detected, columns = inspection.detected_mapping.columns, inspection.mapping.columns
        changed_brush = _changed_color(self.palette())
        for row, name in enumerate(SCORING_FIELDS):
            combo = self.combos[name]
            combo.blockSignals(True)
            combo.setCurrentText(columns.get(name, NOT_IN_FILE))
            combo.setToolTip(combo.currentText())  # signals are blocked here
            model = combo.model()
            last = model.item(combo.count() - 1)  # type: ignore[attr-defined]
            last.setEnabled(name not in detected)
            last.setToolTip(
                f"The file has a {labels.field(name).lower()} column; map it to another column "
                "to change it."
                if name in detected
                else ""
            )
            combo.blockSignals(False)
            origin = inspection.mapping.origin_text(name, inspection.platform, short=True)
            found = QTableWidgetItem(origin or ("" if name in columns else "not in the file"))
            found.setFlags(Qt.ItemFlag.ItemIsEnabled)
            found.setToolTip(inspection.mapping.origin_text(name, inspection.platform))
            if inspection.mapping.origins.get(name, "").startswith("other_platform"):
                found.setForeground(_warning_color(self.palette()))
            self.mapping_table.setItem(row, 2, found)
            item = self.mapping_table.item(row, 0)
            assert item is not None  # set by _fill_mapping
            changed = columns.get(name) != detected.get(name)
            item.setBackground(changed_brush if changed else QColor(Qt.GlobalColor.transparent))
            font = item.font()
            font.setBold(changed)
            item.setFont(font)
            item.setToolTip(
                f"Changed: the reader chose “{detected.get(name, NOT_IN_FILE)}”." if changed else ""
            )
        self.pixel_list.blockSignals(True)
        own_conversions = "conversions" in inspection.mapping_override
        for i in range(self.pixel_list.count()):
            pixel = self.pixel_list.item(i)
            kpi = pixel.data(Qt.ItemDataRole.UserRole) in inspection.mapping.kpi_pixels
            pixel.setCheckState(Qt.CheckState.Checked if kpi else Qt.CheckState.Unchecked)
        self.pixel_list.setEnabled(not own_conversions)
        self.pixel_list.setToolTip(
            "Conversions come from the column chosen in the mapping." if own_conversions else ""
        )
        self.pixel_list.blockSignals(False)
        self._show_detection(inspection)
        self._show_quality(inspection)
        tips = [columns.get(c, "") for c in inspection.preview_columns]
        headers = [labels.field(c) for c in inspection.preview_columns]
        self.preview_model.set_rows(headers, inspection.preview, tips)
        self.status_label.setText("")
        if self.score_button is not None:
            self.score_button.setEnabled(inspection.problem is None)

    def _show_detection(self: _Dialog, inspection: Inspection) -> None:
        found, wanted = inspection.detection, self.campaign.settings
        platform = labels.platform(found.platform) if found.platform else "Unknown platform"
        channel = labels.channel(found.channel) if found.channel else "unknown channel"
        text = (
            f"Detected: {platform} ({round(found.platform_confidence * 100)} %) · "
            f"{channel} ({round(found.channel_confidence * 100)} %)"
        )
        differs = found.platform != wanted.platform or found.channel != wanted.channel
        palette = self.palette()
        if differs:
            text += (
                f" — the campaign is set to {labels.platform(wanted.platform)} · "
                f"{labels.channel(wanted.channel)}; it will be scored as the campaign says."
            )
            palette.setColor(QPalette.ColorRole.WindowText, _warning_color(palette))
        self.detection_label.setPalette(palette)
        self.detection_label.setText(text)
        self.detection_label.setToolTip("\n".join(found.reasons))
        facts = [inspection.format.value.upper()]
        if inspection.sheet:
            facts.append(f"sheet “{inspection.sheet}”")
        if inspection.encoding:
            facts.append(inspection.encoding)
        if inspection.delimiter:
            facts.append(f"“{inspection.delimiter}”-separated".replace("“\t”", "tab"))
        facts.append(f"header on row {inspection.header_row}")
        self.facts_label.setText(" · ".join(facts))

    def _show_quality(self: _Dialog, inspection: Inspection) -> None:
        self.quality_view.show_quality(
            inspection.quality, sites=inspection.sites, problem=inspection.problem
        )

    def _show_issues(self: _Dialog, issues: Sequence[tuple[str, str]]) -> None:
        self.quality_view.show_issues(issues)


def _changed_color(palette: QPalette) -> QColor:
    """The highlight colour, faint, so a changed row stands out in light and dark palettes."""
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    color.setAlpha(70)
    return color


def _warning_color(palette: QPalette) -> QColor:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor("#ffb74d") if dark else QColor("#a15c00")
