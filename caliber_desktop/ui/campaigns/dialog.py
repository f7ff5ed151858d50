"""New campaign: a name, then settings either copied from a template or chosen explicitly.

The OK button stays disabled, with the reason beside it, until the form is valid by the same
Qt-free rules the service applies; the service still has the last word, and a ``ValidationError``
it raises is shown next to the field its ``.field`` names instead of in a separate box.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.campaigns.templates import clean_name
from caliber_desktop.services.records import SETTING_FIELDS, CampaignRecord, TemplateRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.shared.forms import (
    FieldError,
    SettingsEditor,
    alive,
    fit_height,
)
from caliber_desktop.workers.base import ErrorInfo, Rejected
from caliber_desktop.workers.campaigns import create_campaign
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.templates import list_templates

#: A pixel is a two-digit DSP slot ("01") or a pixel's name ("Purchase", "lead-form 2").
KPI_SLOT = re.compile(r"^\d{2}$")
KPI_NAME = re.compile(r"^(?=.*[^\d\s])[\w][\w .\-]{0,63}$")


def kpi_pixel_problem(text: str) -> str | None:
    """Why ``text`` is not a usable KPI pixel, or None (empty means the settings' default)."""
    text = text.strip()
    if not text or KPI_SLOT.match(text) or KPI_NAME.match(text):
        return None
    if text.isdigit():
        return f"A pixel number has two digits, like 01 or 12 (got {text!r})."
    return (
        "A pixel name uses letters, digits, spaces, dots, dashes or underscores "
        "(at most 64 characters)."
    )


class NewCampaignDialog(QDialog):
    """Creates one campaign on the DB lane and hands the record to whoever opened it."""

    #: the new :class:`CampaignRecord`
    campaign_created = Signal(object)

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.registry = registry
        self.setObjectName("newCampaignDialog")
        self.setWindowTitle("New campaign")
        self._templates: dict[int, TemplateRecord] = {}
        self._busy = False
        self._loading = True

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("campaignName")
        self.name_edit.setPlaceholderText("e.g. Spring awareness — display")
        self.name_error = FieldError(self)
        self.description_edit = QLineEdit(self)
        self.description_edit.setObjectName("campaignDescription")
        self.description_error = FieldError(self)

        self.from_template = QRadioButton("From template", self)
        self.from_template.setObjectName("fromTemplate")
        self.explicit = QRadioButton("Explicit settings", self)
        self.explicit.setObjectName("explicitSettings")
        group = QButtonGroup(self)
        group.addButton(self.from_template)
        group.addButton(self.explicit)
        self.template_combo = QComboBox(self)
        self.template_combo.setObjectName("templateCombo")
        self.template_combo.setPlaceholderText("Loading templates…")
        self.template_summary = QLabel(self)
        self.template_summary.setWordWrap(True)
        self.template_error = FieldError(self)

        self.kpi_edit = QLineEdit(self)
        self.kpi_edit.setObjectName("kpiPixel")
        default_pixel = workspace.settings.scoring.default_kpi_pixel
        self.kpi_edit.setPlaceholderText(f"Optional — default pixel {default_pixel}")
        self.kpi_error = FieldError(self)

        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("Description:", self.description_edit)
        form.addRow("", self.description_error)
        form.addRow(self.from_template)
        form.addRow(f"{labels.setting('template')}:", self.template_combo)
        form.addRow("", self.template_summary)
        form.addRow("", self.template_error)
        form.addRow(self.explicit)
        self.settings_editor = SettingsEditor(form, self)
        form.addRow(f"{labels.setting('kpi_pixel')}:", self.kpi_edit)
        form.addRow("", self.kpi_error)

        self.reason = QLabel(self)
        self.reason.setObjectName("okReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create campaign")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(36 * self.fontMetrics().horizontalAdvance("M"))

        self.explicit.setChecked(True)
        self.from_template.setEnabled(False)
        self.name_edit.textChanged.connect(self.validate)
        self.kpi_edit.textChanged.connect(self.validate)
        self.template_combo.currentIndexChanged.connect(self.validate)
        self.settings_editor.changed.connect(self.validate)
        group.buttonToggled.connect(self.validate)
        self.validate()
        self._load_templates()

    # ------------------------------------------------------------------ templates
    def _load_templates(self) -> None:
        self.registry.start(
            list_templates(self.workspace),
            key=f"campaign-dialog-templates-{id(self)}",
            on_result=self._on_templates,
            on_error=self._on_templates_failed,
        )

    @Slot(object)
    def _on_templates(self, records: object) -> None:
        if not alive(self) or not isinstance(records, list):
            return
        self._loading = False
        self._templates = {record.id: record for record in records}
        for record in records:
            self.template_combo.addItem(record.name, record.id)
        if records:
            self.template_combo.setPlaceholderText("Choose a template…")
            self.from_template.setEnabled(True)
            self.template_combo.setCurrentIndex(0)
            self.from_template.setChecked(True)
        else:
            self.template_combo.setPlaceholderText("No templates yet")
        self.validate()

    @Slot(object)
    def _on_templates_failed(self, info: object) -> None:
        if not alive(self) or not isinstance(info, ErrorInfo):
            return
        self._loading = False
        self.template_combo.setPlaceholderText("Templates could not be loaded")
        self.template_error.show_message(info.message)
        self.validate()

    def selected_template(self) -> TemplateRecord | None:
        template_id = self.template_combo.currentData()
        return self._templates.get(template_id) if isinstance(template_id, int) else None

    # ------------------------------------------------------------------ validation
    @Slot()
    def validate(self) -> bool:
        """Enable OK only when valid; the first problem is the visible reason it is disabled."""
        reasons: list[str] = []
        try:
            clean_name(self.name_edit.text(), "campaign")
            self.name_error.show_message(None)
        except ValidationError as exc:
            reasons.append(str(exc))
            self.name_error.show_message(str(exc) if self.name_edit.isModified() else None)
        use_template = self.from_template.isChecked()
        self.template_combo.setEnabled(use_template and bool(self._templates))
        self.settings_editor.set_enabled(not use_template)
        template = self.selected_template()
        summary = template.settings.label() if template and use_template else ""
        if summary != self.template_summary.text():
            self.template_summary.setText(summary)
            fit_height(self)
        if use_template:
            self.settings_editor.error.show_message(None)  # not in use: no stale complaint
            if template is None:
                reasons.append("Choose a template, or pick explicit settings.")
        else:
            _settings, problem = self.settings_editor.check()
            if problem:
                reasons.append(problem)
        kpi_problem = kpi_pixel_problem(self.kpi_edit.text())
        self.kpi_error.show_message(kpi_problem)
        if kpi_problem:
            reasons.append(kpi_problem)
        if self._busy:
            reasons.insert(0, "Creating the campaign…")
        self.ok_button.setEnabled(not reasons)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not self._busy)
        self.reason.setText(self._unshown(reasons[0]) if reasons else "")
        return not reasons

    def _unshown(self, reason: str) -> str:
        """The reason OK waits, unless a field already shows that very sentence."""
        inline = (self.name_error, self.kpi_error, self.settings_editor.error)
        if any(label.isVisibleTo(self) and label.text() == reason for label in inline):
            return "Fix the marked field to create the campaign."
        return reason

    # ------------------------------------------------------------------ create
    @Slot()
    def accept(self) -> None:
        """Create on the DB lane; the dialog closes only once the record is back."""
        if self._busy or not self.validate():
            return
        kwargs: dict[str, Any] = {
            "description": self.description_edit.text(),
            "kpi_pixel": self.kpi_edit.text().strip() or None,
        }
        template = self.selected_template()
        if self.from_template.isChecked() and template is not None:
            kwargs["template_id"] = template.id
        else:
            kwargs["settings"] = self.settings_editor.values()
        for label in (self.name_error, self.description_error, self.template_error):
            label.show_message(None)
        self._busy = True
        self.validate()
        self.registry.start(
            create_campaign(self.workspace, self.name_edit.text(), **kwargs),
            on_result=self._on_created,
            on_error=self._on_failed,
        )

    @Slot()
    def reject(self) -> None:
        """Not while the write runs: the campaign would be made with nobody told about it."""
        if not self._busy:
            super().reject()

    @Slot(object)
    def _on_created(self, value: object) -> None:
        if not alive(self):
            return
        self._busy = False
        if isinstance(value, Rejected):
            self._show_rejection(value)
            self.validate()
            self.reason.setText(value.message)
            return
        if isinstance(value, CampaignRecord):
            self.campaign_created.emit(value)
            super().accept()

    @Slot(object)
    def _on_failed(self, info: object) -> None:
        if not alive(self) or not isinstance(info, ErrorInfo):
            return
        self._busy = False
        self.validate()
        self.reason.setText(info.message)

    def _show_rejection(self, rejected: Rejected) -> None:
        labels = {
            "name": self.name_error,
            "description": self.description_error,
            "kpi_pixel": self.kpi_error,
            "template_id": self.template_error,
        }
        if rejected.field in SETTING_FIELDS:
            self.settings_editor.error.show_message(rejected.message)
        elif rejected.field in labels:
            labels[rejected.field].show_message(rejected.message)
