"""The import dialog: attach a report, show what scoring will make of it, let the analyst fix it.

``docs/inputs.md`` forbids silent guesses: the mapping is shown and editable, the detected platform
and channel are shown beside the campaign's, and the rows preprocessing will drop are counted
before anything is scored. All file and store work runs as jobs from
:mod:`caliber_desktop.workers.importing` (attach on the DB lane, the inspection on the CPU lane);
only the settings file is written here, on accept, because the settings object lives on the GUI
thread.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
    Slot,
)
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
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.services.importing.ingest import (
    Inspection,
    corrections,
    remember_mapping,
)
from caliber_desktop.services.records import CampaignRecord, UploadRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.importing.quality import DataQualityView
from caliber_desktop.ui.importing.view import NOT_IN_FILE, InspectionView
from caliber_desktop.ui.shared.errors import ErrorView, error_box, screen_area
from caliber_desktop.ui.shared.text_table import TextTableModel
from caliber_desktop.workers import importing
from caliber_desktop.workers.base import ErrorInfo, Worker
from caliber_desktop.workers.registry import WorkerRegistry

KEEP_NOTE = "Cancel keeps the file in the campaign's files, so it can be scored later."


class ImportDialog(InspectionView, QDialog):
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
            importing.attach_report(workspace, campaign.id, path), self._attached, self._failed
        )

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        metrics = self.fontMetrics()
        width, height = metrics.horizontalAdvance("M") * 100, metrics.height() * 54
        screen = screen_area()  # room for the mapping and the data quality side by side
        width = min(width, round(screen.width() * 0.92))
        height = min(height, round(screen.height() * 0.92))
        #: the size once there is a mapping to show; until then the dialog fits its page
        self.full_size = QSize(width, height)
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
        #: the failure, once there is one: it takes the pages' place
        self.error_view: ErrorView | None = None
        self.error_label = QLabel()  # replaced by the ErrorView's message on failure
        self.pages.addWidget(busy)
        self.pages.addWidget(self._content())

        self.buttons = QDialogButtonBox(self)
        self.score_button: QPushButton | None = self.buttons.addButton(
            "Score", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.score_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.main_layout = layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)
        self._fit_page(0)

    def _fit_page(self, index: int) -> None:
        """Show page ``index`` in a dialog sized to it: no big empty box around a busy line;
        the mapping page gets :attr:`full_size`.

        A stacked widget is as big as its biggest page; the pages not shown are told to ignore
        their size so the dialog can shrink to the one shown.
        """
        self.pages.setCurrentIndex(index)
        ignored, preferred = QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        for i in range(self.pages.count()):
            policy = preferred if i == index else ignored
            page = self.pages.widget(i)
            if page is not None:
                page.setSizePolicy(policy, policy)
        self._fit(self.full_size if index == 1 else None)

    def _fit(self, size: QSize | None) -> None:
        """Resize to ``size`` (or to what the content needs), centred where a dialog opens."""
        self.main_layout.activate()
        size = size or self.sizeHint().boundedTo(self.full_size)
        if not self.isVisible():
            self.resize(size)  # Qt centres it on the window when it is shown
            return
        parent = self.parentWidget()
        if parent is not None:
            centre = parent.window().frameGeometry().center()
        else:
            centre = screen_area().center()
        area = QRect(QPoint(0, 0), size)
        area.moveCenter(centre)
        self.setGeometry(area)

    def _content(self) -> QWidget:
        page = QWidget()
        self.detection_label = QLabel()
        self.facts_label = QLabel(wordWrap=True)
        self.note_label = QLabel(wordWrap=True)
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(["Field", "Column in the file", "Found by"])
        self.mapping_table.verticalHeader().hide()
        self.mapping_table.setTabKeyNavigation(False)  # Tab reaches the column choices instead
        self.mapping_table.setAccessibleName("Column mapping")
        mapping_header = self.mapping_table.horizontalHeader()
        mapping_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        mapping_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        mapping_header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.combos: dict[str, QComboBox] = {}
        self.pixel_list = QListWidget()
        self.pixel_list.itemChanged.connect(self._pixels_changed)
        self.pixel_list.setAccessibleName("KPI conversion pixels")
        self.pixel_list.setMaximumHeight(self.fontMetrics().height() * 5)
        self.pixel_box = _group("KPI conversion pixel(s)", self.pixel_list)
        self.quality_view = DataQualityView()
        self.summary_label = self.quality_view.summary_label
        self.dropped_model = self.quality_view.dropped_model
        self.issue_list = self.quality_view.issue_list
        quality = self.quality_view
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
        self.preview_view.setAccessibleName("First rows, as they will be scored")
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
    def _start(self, worker: Worker, on_result: Any, on_error: Any, key: str | None = None) -> None:
        self._jobs.append(
            self.registry.start(worker, key=key, on_result=on_result, on_error=on_error)
        )

    def _inspect(self) -> None:
        """(Re-)inspect the stored copy with the current choices; a newer request supersedes."""
        assert self.upload is not None
        settings, campaign = self.workspace.settings, self.campaign.settings
        options: dict[str, Any] = {
            "display_name": self.upload.original_name,
            "platform": campaign.platform,
            "level": campaign.analysis_level,
            "channel": campaign.channel,
            "default_kpi_pixel": self.campaign.kpi_pixel or settings.scoring.default_kpi_pixel,
            "preview_rows": settings.uploads.preview_rows,
        }
        if self.inspection is None:
            remembered = {k: dict(v) for k, v in settings.mappings.items()}
            worker = importing.read_report(self.upload.path, remembered=remembered, **options)
        else:
            worker = importing.reread_report(
                self.upload.path,
                mapping_override=self.override() or None,
                kpi_pixels=self.kpi_pixels(),
                **options,
            )
            self.status_label.setText("Updating the preview…")
        if self.score_button is not None:
            self.score_button.setEnabled(False)
        self._start(worker, self._inspected, self._inspect_failed, self._key)

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
        """Attaching or the first read failed: say why (the file, what to do), offer only Close.

        The dialog shrinks to the message; a bug also gets its "Show details".
        """
        if self._closed:
            return
        title = f"Importing {self.path.name} failed"
        self.setWindowTitle(title)
        log_file = self.workspace.paths.log_file if info.is_bug else None
        self.error_view = ErrorView(replace(info, title=title), log_file, self)
        self.error_label = self.error_view.message_label
        self.pages.hide()  # its pages would keep the dialog as big as the mapping page
        self.main_layout.insertWidget(0, self.error_view, 1)
        self.error_view.show()  # now, not queued by the layout: the size below needs it
        self.buttons.clear()
        self.score_button = None
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self._fit(None)
        close.setFocus()

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
            self._fit_page(1)
        self._update_remember()

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
    view.setTabKeyNavigation(False)  # Tab moves on; the arrow keys move in the table
    view.verticalHeader().hide()
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view
