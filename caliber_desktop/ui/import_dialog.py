"""The import dialog: attach a report, show what scoring will make of it, let the analyst fix it.

``docs/inputs.md`` forbids silent guesses: the mapping is shown and editable, the detected platform
and channel are shown beside the campaign's, and the rows preprocessing will drop are counted
before anything is scored. All file and store work runs on workers (attach on the DB lane, the
inspection on the global pool); only the settings file is written here, on accept, because the
settings object lives on the GUI thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models.enums import Platform
from caliber_desktop.services.ingest import (
    SCORING_FIELDS,
    Inspection,
    corrections,
    inspect_report,
    inspect_with_memory,
    remember_mapping,
)
from caliber_desktop.services.records import CampaignRecord, UploadRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.common import error_box
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker
from caliber_desktop.workers.registry import WorkerRegistry

Index = QModelIndex | QPersistentModelIndex
NOT_IN_FILE = "— not in file —"
PLATFORM_NAMES = {Platform.TRADE_DESK: "The Trade Desk", Platform.PULSEPOINT: "PulsePoint"}
KEEP_NOTE = "Cancel keeps the file in the campaign's files, so it can be scored later."


class TextTableModel(QAbstractTableModel):
    """Rows of ready-made text (a preview, a loss table): tiny, so no lazy formatting is needed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[str] = []
        self._rows: list[list[str]] = []
        self._tips: list[str] = []

    def set_rows(
        self, columns: Sequence[str], rows: Sequence[Sequence[str]], tips: Sequence[str] = ()
    ) -> None:
        """Replace everything; ``tips`` are per-column header tooltips (e.g. the file header)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._rows = [[*row, *[""] * (len(columns) - len(row))][: len(columns)] for row in rows]
        self._tips = list(tips)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's signature)
        return 0 if parent.isValid() else len(self._columns)

    def headerData(  # noqa: N802 (Qt override)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is not Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self._tips):
            return self._tips[section] or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None


class ImportDialog(QDialog):
    """Attach ``path`` to ``campaign``, inspect the stored copy, and ask to score it."""

    #: campaign_id, upload_id, mapping_override (dict or None), kpi_pixels (tuple or None)
    score_requested = Signal(int, int, object, object)

    def __init__(
        self,
        workspace: Workspace,
        registry: WorkerRegistry,
        campaign: CampaignRecord,
        path: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.registry, self.campaign, self.path = (
            workspace,
            registry,
            campaign,
            path,
        )
        self.upload: UploadRecord | None = None
        self.inspection: Inspection | None = None
        self._key = f"import-inspect-{uuid.uuid4().hex}"
        self._jobs: list[str] = []
        self._closed = False
        self._session_start: dict[str, str] | None = None
        self._remember_touched = False
        self.setWindowTitle(f"Import {path.name}")
        self._build()
        self._start(
            FunctionWorker(workspace.uploads.attach, campaign.id, path, title="Attaching report"),
            self.registry.db_lane(),
            self._attached,
            self._failed,
        )

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        metrics = self.fontMetrics()
        self.resize(metrics.horizontalAdvance("M") * 80, metrics.height() * 54)
        self.pages = QStackedWidget(self)
        busy = QWidget()
        self.busy_label = QLabel(f"Attaching {self.path.name} to “{self.campaign.name}”…")
        bar = QProgressBar()
        bar.setRange(0, 0)
        busy_layout = QVBoxLayout(busy)
        busy_layout.addStretch(1)
        busy_layout.addWidget(self.busy_label, 0, Qt.AlignmentFlag.AlignHCenter)
        busy_layout.addWidget(bar)
        busy_layout.addStretch(1)
        self.error_label = QLabel(wordWrap=True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_page = QWidget()
        error_layout = QHBoxLayout(error_page)
        icon = QLabel()
        size = metrics.height() * 2
        icon.setPixmap(self._icon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        error_layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        error_layout.addWidget(self.error_label, 1, Qt.AlignmentFlag.AlignTop)
        self.pages.addWidget(busy)
        self.pages.addWidget(self._content())
        self.pages.addWidget(error_page)

        self.buttons = QDialogButtonBox(self)
        self.score_button: QPushButton | None = self.buttons.addButton(
            "Score", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.score_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)

    def _content(self) -> QWidget:
        page = QWidget()
        self.detection_label = QLabel()
        self.facts_label = QLabel(wordWrap=True)
        self.note_label = QLabel(wordWrap=True)
        self.mapping_table = QTableWidget(0, 2)
        self.mapping_table.setHorizontalHeaderLabels(["Field", "Column in the file"])
        self.mapping_table.verticalHeader().hide()
        self.mapping_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.mapping_table.horizontalHeader().setStretchLastSection(True)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.combos: dict[str, QComboBox] = {}
        self.pixel_list = QListWidget()
        self.pixel_list.itemChanged.connect(self._pixels_changed)
        self.pixel_list.setMaximumHeight(self.fontMetrics().height() * 5)
        self.pixel_box = _group("KPI conversion pixel(s)", self.pixel_list)
        self.summary_label = QLabel(wordWrap=True)
        self.dropped_model = TextTableModel(self)
        self.dropped_view = _table_view(self.dropped_model)
        self.issue_list = QListWidget()
        self.issue_list.setWordWrap(True)
        quality = QWidget()
        quality_layout = QVBoxLayout(quality)
        quality_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.summary_label, self.dropped_view, self.issue_list):
            quality_layout.addWidget(widget)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.pixel_box)
        side_layout.addWidget(_group("Data quality", quality), 1)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(_group("Column mapping", self.mapping_table))
        top.addWidget(side)
        self.preview_model = TextTableModel(self)
        self.preview_view = _table_view(self.preview_model)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(_group("First rows, as they will be scored", self.preview_view))
        lines = self.fontMetrics().height()
        split.setSizes([lines * 26, lines * 14])
        self.remember_box = QCheckBox()
        self.remember_box.clicked.connect(self._remember_clicked)
        self.status_label = QLabel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.remember_box)
        bottom.addStretch(1)
        bottom.addWidget(self.status_label)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.detection_label, self.facts_label, self.note_label):
            layout.addWidget(widget)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        return page

    def _icon(self, which: QStyle.StandardPixmap) -> Any:
        return self.style().standardIcon(which)

    # ------------------------------------------------------------------ jobs
    def _start(
        self,
        worker: FunctionWorker,
        pool: QThreadPool | None,
        on_result: Any,
        on_error: Any,
        key: str | None = None,
    ) -> None:
        self._jobs.append(
            self.registry.start(worker, pool, key=key, on_result=on_result, on_error=on_error)
        )

    def _inspect(self) -> None:
        """(Re-)inspect the stored copy with the current choices; a newer request supersedes."""
        assert self.upload is not None
        settings, campaign = self.workspace.settings, self.campaign.settings
        options: dict[str, Any] = {
            "display_name": self.upload.original_name,
            "platform": campaign.platform,
            "level": campaign.analysis_level,
            "default_kpi_pixel": self.campaign.kpi_pixel or settings.scoring.default_kpi_pixel,
            "preview_rows": settings.uploads.preview_rows,
        }
        if self.inspection is None:
            remembered = {k: dict(v) for k, v in settings.mappings.items()}
            fn: Any = inspect_with_memory
            options["remembered"] = remembered
        else:
            fn = inspect_report
            options["mapping_override"] = self.override() or None
            options["kpi_pixels"] = self.kpi_pixels()
            self.status_label.setText("Updating the preview…")
        if self.score_button is not None:
            self.score_button.setEnabled(False)
        worker = FunctionWorker(fn, self.upload.path, title="Reading report", **options)
        self._start(worker, None, self._inspected, self._inspect_failed, self._key)

    @Slot(object)
    def _attached(self, record: UploadRecord) -> None:
        if self._closed:
            return
        self.upload = record
        self.busy_label.setText(f"Reading {record.original_name}…")
        already = " (it was already attached)" if record.already_attached else ""
        self.note_label.setText(f"Attached to “{self.campaign.name}”{already}. {KEEP_NOTE}")
        self.cancel_button.setToolTip(KEEP_NOTE)
        self._inspect()

    @Slot(object)
    def _failed(self, info: ErrorInfo) -> None:
        """Attaching or the first read failed: say why and offer only Close."""
        if self._closed:
            return
        self.error_label.setText(info.message)
        self.pages.setCurrentIndex(2)
        self.buttons.clear()
        self.score_button = None
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        if info.is_bug:
            error_box(self, info, self.workspace.paths.log_file).open()

    @Slot(object)
    def _inspect_failed(self, info: ErrorInfo) -> None:
        if self.inspection is None:
            self._failed(info)
        elif not self._closed:
            self.status_label.setText("")
            self._show_issues([("error", info.message)])
            self.summary_label.setText("This mapping cannot be read; fix it to score the file.")

    @Slot(object)
    def _inspected(self, inspection: Inspection) -> None:
        if self._closed:
            return
        first = self.inspection is None
        self.inspection = inspection
        if first:
            self._fill_mapping(inspection)
        self._show(inspection)
        if first:
            self._session_start = self.chosen()
            self.pages.setCurrentIndex(1)
        self._update_remember()

    # ------------------------------------------------------------------ showing
    def _fill_mapping(self, inspection: Inspection) -> None:
        self.mapping_table.setRowCount(len(SCORING_FIELDS))
        for row, name in enumerate(SCORING_FIELDS):
            item = QTableWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.mapping_table.setItem(row, 0, item)
            combo = QComboBox()
            combo.addItems([*inspection.headers, NOT_IN_FILE])
            combo.currentIndexChanged.connect(self._mapping_changed)
            self.combos[name] = combo
            self.mapping_table.setCellWidget(row, 1, combo)
        self.mapping_table.resizeRowsToContents()
        pixels = inspection.conversion_pixels
        self.pixel_box.setVisible(bool(pixels))
        self.pixel_list.blockSignals(True)
        for pixel, header in pixels.items():
            item = QListWidgetItem(pixel if pixel == header else f"{pixel}  ({header})")
            item.setData(Qt.ItemDataRole.UserRole, pixel)
            item.setToolTip(header)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.pixel_list.addItem(item)
        self.pixel_list.blockSignals(False)
        name = PLATFORM_NAMES.get(inspection.platform, inspection.platform.value)
        self.remember_box.setText(f"Remember this mapping for {name}")
        self.remember_box.setToolTip(
            "Next time a report of this platform has these columns, these corrections are "
            "applied before you see it."
        )

    def _show(self, inspection: Inspection) -> None:
        detected, columns = inspection.detected_mapping.columns, inspection.mapping.columns
        changed_brush = _changed_color(self.palette())
        for row, name in enumerate(SCORING_FIELDS):
            combo = self.combos[name]
            combo.blockSignals(True)
            combo.setCurrentText(columns.get(name, NOT_IN_FILE))
            model = combo.model()
            last = model.item(combo.count() - 1)  # type: ignore[attr-defined]
            last.setEnabled(name not in detected)
            last.setToolTip(
                f"The file has a {name} column; map it to another column to change it."
                if name in detected
                else ""
            )
            combo.blockSignals(False)
            item = self.mapping_table.item(row, 0)
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
            item = self.pixel_list.item(i)
            kpi = item.data(Qt.ItemDataRole.UserRole) in inspection.mapping.kpi_pixels
            item.setCheckState(Qt.CheckState.Checked if kpi else Qt.CheckState.Unchecked)
        self.pixel_list.setEnabled(not own_conversions)
        self.pixel_list.setToolTip(
            "Conversions come from the column chosen in the mapping." if own_conversions else ""
        )
        self.pixel_list.blockSignals(False)
        self._show_detection(inspection)
        self._show_quality(inspection)
        tips = [columns.get(c, "") for c in inspection.preview_columns]
        self.preview_model.set_rows(inspection.preview_columns, inspection.preview, tips)
        self.status_label.setText("")
        if self.score_button is not None:
            self.score_button.setEnabled(inspection.problem is None)

    def _show_detection(self, inspection: Inspection) -> None:
        found, wanted = inspection.detection, self.campaign.settings
        platform = (
            PLATFORM_NAMES.get(found.platform, "Unknown platform")
            if found.platform
            else ("Unknown platform")
        )
        channel = found.channel.value if found.channel else "unknown channel"
        text = (
            f"Detected: {platform} ({round(found.platform_confidence * 100)} %) · "
            f"{channel} ({round(found.channel_confidence * 100)} %)"
        )
        differs = found.platform != wanted.platform or found.channel != wanted.channel
        palette = self.palette()
        if differs:
            text += (
                f" — the campaign is set to {PLATFORM_NAMES[wanted.platform]} · "
                f"{wanted.channel.value}; it will be scored as the campaign says."
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

    def _show_quality(self, inspection: Inspection) -> None:
        quality = inspection.quality
        self.summary_label.setText(
            f"{quality.rows_read:,} rows read · {quality.rows_scored:,} scored · "
            f"{quality.rows_dropped:,} left out · {inspection.sites:,} sites"
        )
        rows = [
            [f"{d.rows:,}", f"{d.impressions:,.0f}", f"{d.spend:,.2f}", d.label]
            for d in quality.dropped
        ]
        self.dropped_model.set_rows(["Rows", "Impressions", "Spend", "Left out because"], rows)
        self.dropped_view.setVisible(bool(rows))
        issues = [(i.severity, i.message) for i in quality.issues]
        if inspection.problem:
            issues.insert(0, ("error", inspection.problem))
        self._show_issues(issues)

    def _show_issues(self, issues: Sequence[tuple[str, str]]) -> None:
        icons = {
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
        }
        self.issue_list.clear()
        for severity, message in issues:
            item = QListWidgetItem(self._icon(icons.get(severity, icons["info"])), message)
            item.setToolTip(message)
            self.issue_list.addItem(item)
        if not issues:
            self.issue_list.addItem("No problems found.")

    # ------------------------------------------------------------------ choices
    def chosen(self) -> dict[str, str]:
        """canonical → header as the combos say now."""
        return {
            n: c.currentText() for n, c in self.combos.items() if c.currentText() != NOT_IN_FILE
        }

    def override(self) -> dict[str, str]:
        """The analyst's corrections: the choices that differ from the reader's."""
        if self.inspection is None:
            return {}
        return corrections(self.inspection.detected_mapping, self.chosen())

    def kpi_pixels(self) -> tuple[str, ...] | None:
        """The checked pixels, or None when the file has none (or conversions are mapped)."""
        if not self.pixel_list.count() or not self.pixel_list.isEnabled():
            return None
        checked = [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in (self.pixel_list.item(i) for i in range(self.pixel_list.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]
        return tuple(checked) or None

    @Slot(int)
    def _mapping_changed(self, _index: int) -> None:
        self._update_remember()
        self._inspect()

    @Slot(QListWidgetItem)
    def _pixels_changed(self, _item: QListWidgetItem) -> None:
        self._update_remember()
        self._inspect()

    @Slot(bool)
    def _remember_clicked(self, _checked: bool) -> None:
        self._remember_touched = True

    def _update_remember(self) -> None:
        if not self._remember_touched:
            self.remember_box.setChecked(self.chosen() != self._session_start)

    # ------------------------------------------------------------------ closing
    def accept(self) -> None:
        inspection, upload = self.inspection, self.upload
        if inspection is None or upload is None or self.score_button is None:
            return
        override = self.override()
        if self.remember_box.isChecked():
            remember_mapping(
                self.workspace.settings, inspection.platform, override, inspection.headers
            )
            try:
                self.workspace.save_settings()
            except OSError as exc:  # the mapping still applies to this run
                info = ErrorInfo("Saving settings failed", f"The mapping was not remembered: {exc}")
                error_box(self, info).open()
        pixels = self.kpi_pixels() if "conversions" not in override else None
        self.score_requested.emit(self.campaign.id, upload.id, override or None, pixels)
        super().accept()

    def done(self, result: int) -> None:
        """Closing drops the pending results: a late one would fill a dialog nobody sees."""
        self._closed = True
        for job in self._jobs:
            self.registry.cancel(job)
        super().done(result)


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(widget)
    return box


def _table_view(model: TextTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


def _changed_color(palette: QPalette) -> QColor:
    """The highlight colour, faint, so a changed row stands out in light and dark palettes."""
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    color.setAlpha(70)
    return color


def _warning_color(palette: QPalette) -> QColor:
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor("#ffb74d") if dark else QColor("#a15c00")
