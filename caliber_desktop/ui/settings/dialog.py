"""Settings: scoring thresholds, the upload size limit, where the data lives, the AI assistant.

The dialog edits a copy and never saves: :meth:`SettingsDialog.result_settings` returns a validated
``Settings`` and the main window writes it on the GUI thread (an atomic file write, no store) and
rebinds the services, so there is exactly one place that persists settings. The OpenAI API key is
the exception by design: it is a secret, so it lives in the OS keyring and its group
(:class:`~caliber_desktop.ui.assistant.api_key_box.ApiKeyBox`) saves it there itself, on a worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError as PydanticValidationError
from PySide6.QtCore import QRegularExpression, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.config import Settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.ui.assistant.api_key_box import ApiKeyBox
from caliber_desktop.ui.assistant.settings_box import AISettingsBox
from caliber_desktop.ui.settings.housekeeping import HousekeepingBox
from caliber_desktop.ui.shared.forms import FieldError, confidence_box

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.workers.registry import WorkerRegistry

NORMALIZATIONS = tuple((label, value) for value, label in labels.NORMALIZATIONS.items())
#: ``ScoringSettings`` wants 0 < percentile < 100; the spin boxes stay inside that.
PERCENTILE_MIN, PERCENTILE_MAX = 0.5, 99.5


def _caption(setting: str) -> str:
    """A form row's caption: the setting's label from the one labels table."""
    return f"{labels.setting(setting)}:"


class SettingsDialog(QDialog):
    """Edits a copy of ``settings``; OK is enabled only while the copy would validate.

    With ``secrets`` (and the ``registry`` its keyring calls run on) it also shows the OpenAI API
    key group; without, the dialog is as before.
    """

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        parent: QWidget | None = None,
        *,
        secrets: SecretStore | None = None,
        registry: WorkerRegistry | None = None,
    ) -> None:
        super().__init__(parent)
        if secrets is not None and registry is None:
            raise TypeError("SettingsDialog(secrets=...) needs the registry its keyring jobs use")
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._settings = settings
        self._data_dir = Path(data_dir)
        scoring, uploads = settings.scoring, settings.uploads

        self.min_impressions = QSpinBox(self)
        self.min_impressions.setObjectName("minImpressions")
        self.min_impressions.setRange(0, 1_000_000_000)
        self.min_impressions.setGroupSeparatorShown(True)
        self.min_impressions.setValue(scoring.min_impressions)
        self.min_impressions.setToolTip(
            "Sites with fewer impressions get 'insufficient data' instead of a recommendation."
        )
        self.allow_percentile = self._percentile_box("allowPercentile", scoring.allow_percentile)
        self.block_percentile = self._percentile_box("blockPercentile", scoring.block_percentile)
        self.decision_confidence = confidence_box(self, scoring.decision_confidence)
        self.percentile_error = FieldError(self)
        self.percentile_error.setObjectName("percentileError")
        self.normalization = QComboBox(self)
        self.normalization.setObjectName("normalization")
        for label, value in NORMALIZATIONS:
            self.normalization.addItem(label, value)
        self.normalization.setCurrentIndex(self.normalization.findData(scoring.normalization))
        self.kpi_pixel = QLineEdit(scoring.default_kpi_pixel, self)
        self.kpi_pixel.setObjectName("defaultKpiPixel")
        self.kpi_pixel.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"\d{0,2}"), self.kpi_pixel)
        )
        self.kpi_pixel.setMaxLength(2)
        self.kpi_pixel.setToolTip("Two digits: the DSP pixel slot used when a campaign sets none.")
        self.kpi_error = FieldError(self)
        self.max_upload = QSpinBox(self)
        self.max_upload.setObjectName("maxUploadMb")
        self.max_upload.setRange(1, 10_240)
        self.max_upload.setSuffix(" MB")
        self.max_upload.setValue(uploads.max_size_mb)

        scoring_box = QGroupBox("Scoring", self)
        form = QFormLayout(scoring_box)
        form.addRow(_caption("min_impressions"), self.min_impressions)
        form.addRow(_caption("allow_percentile"), self.allow_percentile)
        form.addRow(_caption("block_percentile"), self.block_percentile)
        form.addRow("", self.percentile_error)
        form.addRow(_caption("decision_confidence"), self.decision_confidence)
        form.addRow(_caption("normalization"), self.normalization)
        form.addRow(_caption("default_kpi_pixel"), self.kpi_pixel)
        form.addRow("", self.kpi_error)
        uploads_box = QGroupBox("Report files", self)
        QFormLayout(uploads_box).addRow("Largest file accepted:", self.max_upload)

        self.data_dir_edit = QLineEdit(str(self._data_dir), self)
        self.data_dir_edit.setObjectName("dataDir")
        self.data_dir_edit.setAccessibleName("Data folder")
        self.data_dir_edit.setReadOnly(True)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("openDataDir")
        self.open_button.setToolTip("Show the data folder in the file manager.")
        self.open_button.clicked.connect(self.open_data_dir)
        data_box = QGroupBox("Data folder", self)
        data_row = QHBoxLayout(data_box)
        data_row.addWidget(self.data_dir_edit, stretch=1)
        data_row.addWidget(self.open_button)
        self.housekeeping_box = HousekeepingBox(settings.housekeeping, self)

        self.api_key_box: ApiKeyBox | None = None
        if secrets is not None and registry is not None:
            self.api_key_box = ApiKeyBox(secrets, registry, self)

        self.ai_box = AISettingsBox(settings.ai, self)
        # Made after both columns, so Tab reaches OK and Cancel last, as they read.
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        # Two columns (scoring and files | the AI assistant) so the dialog fits a laptop screen.
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(scoring_box)
        left.addWidget(uploads_box)
        left.addWidget(data_box)
        left.addWidget(self.housekeeping_box)
        left.addStretch(1)
        if self.api_key_box is not None:
            right.addWidget(self.api_key_box)
        right.addWidget(self.ai_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, stretch=1)
        columns.addLayout(right, stretch=1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, stretch=1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(34 * self.fontMetrics().horizontalAdvance("M"))

        for box in (self.allow_percentile, self.block_percentile):
            box.valueChanged.connect(self.validate)
        self.kpi_pixel.textChanged.connect(self.validate)
        self.ai_box.changed.connect(self.validate)
        self.validate()

    def _percentile_box(self, name: str, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setObjectName(name)
        box.setRange(PERCENTILE_MIN, PERCENTILE_MAX)
        box.setDecimals(1)
        box.setSingleStep(5.0)
        box.setSuffix(" th")
        box.setValue(value)
        return box

    # ------------------------------------------------------------------ validation
    def problem(self) -> tuple[str, str] | None:
        """(field, reason) for the first thing that would make the settings invalid."""
        allow, block = self.allow_percentile.value(), self.block_percentile.value()
        if allow <= block:
            return (
                "allow_percentile",
                f"The allow cut-off ({allow:g}) must be above the block cut-off ({block:g}), "
                "or a site could be both allowed and blocked.",
            )
        if len(self.kpi_pixel.text()) != 2:
            return "default_kpi_pixel", "The default KPI pixel is two digits, like 01."
        return self.ai_box.problem()

    @Slot()
    def validate(self) -> bool:
        found = self.problem()
        field, reason = found if found else ("", "")
        self.percentile_error.show_message(reason if field == "allow_percentile" else None)
        self.kpi_error.show_message(reason if field == "default_kpi_pixel" else None)
        self.ai_box.show_problem(found)
        self.ok_button.setEnabled(found is None)
        return found is None

    def result_settings(self) -> Settings:
        """A validated copy of the settings with the dialog's values; the original is untouched.

        ``model_copy(update=...)`` does not validate, so the copy is validated explicitly and
        a bad value raises :class:`~caliber_desktop.errors.ValidationError` naming the field.
        """
        found = self.problem()
        if found is not None:
            raise ValidationError(found[1], field=found[0])
        base = self._settings
        scoring = base.scoring.model_copy(
            update={
                "min_impressions": self.min_impressions.value(),
                "allow_percentile": round(self.allow_percentile.value(), 1),
                "block_percentile": round(self.block_percentile.value(), 1),
                "decision_confidence": round(self.decision_confidence.value() / 100.0, 4),
                "normalization": self.normalization.currentData(),
                "default_kpi_pixel": self.kpi_pixel.text(),
            }
        )
        uploads = base.uploads.model_copy(update={"max_size_mb": self.max_upload.value()})
        housekeeping = self.housekeeping_box.result(base.housekeeping)
        update = {"scoring": scoring, "uploads": uploads, "housekeeping": housekeeping}
        update["ai"] = self.ai_box.result()
        copy = base.model_copy(update=update, deep=True)
        try:
            return Settings.model_validate(copy.model_dump())
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise ValidationError(f"{field}: {first['msg']}", field=field) from None

    @Slot()
    def accept(self) -> None:
        if self.validate():
            if self.api_key_box is not None:
                self.api_key_box.save_pending()  # a key typed but not saved is not dropped
            super().accept()

    @Slot()
    def open_data_dir(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._data_dir)))
