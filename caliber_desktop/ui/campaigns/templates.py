"""Template manager: create, edit and delete the reusable settings campaigns start from.

Every read and write runs as a job from :mod:`caliber_desktop.workers.templates` (writes on the
DB lane); the dialog only shows what comes back, and reloads its list whenever the registry says
templates or campaigns changed (a campaign made from a template changes its "used by" count),
whoever changed them. Rules live in the services: the form validates with the same Qt-free
functions the service uses (``clean_name``, ``CampaignSettings``) so the analyst sees the
service's own sentence before saving, and a refusal the form cannot predict (a name taken, a
template in use) is shown inline.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.campaigns.templates import clean_name
from caliber_desktop.services.records import SETTING_FIELDS, TemplateRecord
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.shared.forms import (
    CONFIDENCE_DEFAULT,
    FieldError,
    SettingsEditor,
    alive,
    confidence_box,
    confidence_value,
)
from caliber_desktop.workers import templates as jobs
from caliber_desktop.workers.base import ErrorInfo, Rejected
from caliber_desktop.workers.registry import Change, WorkerRegistry

#: What the list shows depends on: the templates, and the campaigns using each.
SHOWS = frozenset({Change.TEMPLATES, Change.CAMPAIGNS})


class TemplateManagerDialog(QDialog):
    """Lists the analyst's templates and edits one at a time (create when none is selected)."""

    templates_changed = Signal()

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.registry = registry
        self.setObjectName("templateManagerDialog")
        self.setWindowTitle("Campaign templates")
        self._records: dict[int, TemplateRecord] = {}
        self._select_after: int | None = None
        self._busy = False
        self._valid = False

        self.list = QListWidget(self)
        self.list.setObjectName("templateList")
        self.new_button = QPushButton("New template", self)
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("deleteTemplateButton")

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("templateName")
        self.name_error = FieldError(self)
        self.description_edit = QLineEdit(self)
        self.description_edit.setObjectName("templateDescription")
        self.save_button = QPushButton("Create template", self)
        self.save_button.setObjectName("saveTemplateButton")
        self.save_button.setDefault(True)
        self.status = QLabel(self)
        self.status.setObjectName("templateStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = FieldError(self)
        self.error.setObjectName("templateError")

        self.form_box = QGroupBox("New template", self)
        form = QFormLayout(self.form_box)
        form.addRow("Name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("Description:", self.description_edit)
        self.settings_editor = SettingsEditor(form, self.form_box)
        self.confidence_box = confidence_box(self.form_box, None, default_text="Settings default")
        form.addRow(f"{labels.setting('decision_confidence')}:", self.confidence_box)
        form.addRow(self.save_button)
        self.save_reason = QLabel(self.form_box)
        self.save_reason.setObjectName("saveReason")
        self.save_reason.setWordWrap(True)
        self.save_reason.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form.addRow(self.save_reason)

        left = QVBoxLayout()
        left.addWidget(self.list, stretch=1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.delete_button)
        left.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left, stretch=2)
        body.addWidget(self.form_box, stretch=3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, stretch=1)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addWidget(close)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(52 * em, 26 * self.fontMetrics().height())

        self.list.currentItemChanged.connect(self._on_current_changed)
        self.new_button.clicked.connect(self.start_new)
        self.delete_button.clicked.connect(self.delete_current)
        self.save_button.clicked.connect(self.save)
        self.name_edit.textChanged.connect(self._validate)
        self.settings_editor.changed.connect(self._validate)
        self.start_new()
        registry.changed.connect(self._on_changed)
        self.reload()

    # ------------------------------------------------------------------ state
    def current_template(self) -> TemplateRecord | None:
        item = self.list.currentItem()
        return self._records.get(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def reload(self) -> None:
        """List templates on the read pool; a newer reload supersedes an older one."""
        self.status.setText("Loading templates…")
        self.registry.start(
            jobs.list_templates(self.workspace),
            key=f"template-dialog-{id(self)}",
            on_result=self._on_loaded,
            on_error=self._on_failed,
        )

    @Slot(object)
    def _on_changed(self, changes: object) -> None:
        """A job (this dialog's or anyone's) changed what the list shows: list again."""
        if alive(self) and isinstance(changes, frozenset) and changes & SHOWS:
            self.reload()

    @Slot(object)
    def _on_loaded(self, records: object) -> None:
        if not alive(self) or not isinstance(records, list):
            return
        keep = self._select_after
        if keep is None and (current := self.current_template()) is not None:
            keep = current.id
        self._select_after = None
        self._records = {record.id: record for record in records}
        self.list.blockSignals(True)
        self.list.clear()
        for record in records:
            item = QListWidgetItem(record.name, self.list)
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            used = record.campaigns_using
            item.setToolTip(
                f"{record.settings.label()}\nUsed by {used} campaign{'' if used == 1 else 's'}"
                + (f"\n{record.description}" if record.description else "")
            )
        self.list.blockSignals(False)
        count = len(records)
        self.status.setText(
            f"{count} template{'' if count == 1 else 's'}"
            if count
            else "No templates yet: fill in the form to create the first one."
        )
        if keep is not None and keep in self._records:
            self.list.setCurrentRow(list(self._records).index(keep))
        elif self.form_box.title() != "New template":
            self.start_new()
        self._update_buttons()

    @Slot()
    def start_new(self) -> None:
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self._fill(None)

    @Slot()
    def _on_current_changed(self) -> None:
        self._fill(self.current_template())

    def _fill(self, record: TemplateRecord | None) -> None:
        self.form_box.setTitle(f"Edit “{record.name}”" if record else "New template")
        self.save_button.setText("Save changes" if record else "Create template")
        self.name_edit.setText(record.name if record else "")
        self.description_edit.setText(record.description if record else "")
        self.settings_editor.set_settings(record.settings if record else None)
        self.confidence_box.setValue(
            CONFIDENCE_DEFAULT
            if record is None or record.decision_confidence is None
            else round(record.decision_confidence * 100.0)
        )
        self.error.show_message(None)
        self.name_error.show_message(None)
        self._validate()

    @Slot()
    def _validate(self) -> bool:
        reason = None
        try:
            clean_name(self.name_edit.text(), "template")
            self.name_error.show_message(None)
        except ValidationError as exc:
            reason = str(exc)
            self.name_error.show_message(reason if self.name_edit.isModified() else None)
        _settings, settings_reason = self.settings_editor.check()
        reason = reason or settings_reason
        self.save_button.setToolTip(reason or "")
        inline = (self.name_error, self.settings_editor.error)
        shown = any(e.isVisibleTo(self) and e.text() == reason for e in inline)
        self.save_reason.setText("" if shown else reason or "")
        self._valid = reason is None
        self._update_buttons()
        return self._valid

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self._valid and not self._busy)
        self.delete_button.setEnabled(self.current_template() is not None and not self._busy)
        self.new_button.setEnabled(not self._busy)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        if message:
            self.status.setText(message)
        self._update_buttons()

    # ------------------------------------------------------------------ writes (DB lane)
    @Slot()
    def save(self) -> None:
        if self._busy or not self._validate():
            return
        settings, _ = self.settings_editor.check()
        if settings is None:  # _validate() passed, so the editor holds settings
            return
        name, description = self.name_edit.text(), self.description_edit.text()
        record = self.current_template()
        confidence = confidence_value(self.confidence_box)
        if record is None:
            worker = jobs.create_template(
                self.workspace,
                name,
                settings,
                description=description,
                decision_confidence=confidence,
            )
        else:
            worker = jobs.update_template(
                self.workspace,
                record.id,
                name=name,
                description=description,
                settings=settings.as_dict(),
                decision_confidence=confidence,
            )
        self.error.show_message(None)
        self._set_busy(True, "Saving…")
        self.registry.start(worker, on_result=self._on_saved, on_error=self._on_failed)

    @Slot(object)
    def _on_saved(self, value: object) -> None:
        if not alive(self):
            return
        self._set_busy(False)
        if isinstance(value, Rejected):
            if value.field == "name":
                self.name_error.show_message(value.message)
            elif value.field in SETTING_FIELDS:
                self.settings_editor.error.show_message(value.message)
            else:
                self.error.show_message(value.message)
            self.status.clear()
            return
        if isinstance(value, TemplateRecord):
            self._select_after = value.id
            self.status.setText(f"Saved “{value.name}”.")
        self.templates_changed.emit()  # the list reloads on the registry's ``changed``

    @Slot()
    def delete_current(self) -> None:
        record = self.current_template()
        if record is None or self._busy:
            return
        answer = QMessageBox.question(
            self,
            "Delete template",
            f"Delete template “{record.name}”? Campaigns keep their own copy of its settings.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.error.show_message(None)
        self._set_busy(True, f"Deleting “{record.name}”…")
        self.registry.start(
            jobs.delete_template(self.workspace, record.id),
            on_result=self._on_deleted,
            on_error=self._on_failed,
        )

    @Slot(object)
    def _on_deleted(self, _value: object) -> None:
        if not alive(self):
            return
        self._set_busy(False)
        self.start_new()
        self.templates_changed.emit()  # the list reloads on the registry's ``changed``

    @Slot(object)
    def _on_failed(self, info: object) -> None:
        """Refusals (in use, name taken) are the service's sentence, shown here, not in a box."""
        if not alive(self) or not isinstance(info, ErrorInfo):
            return
        self._set_busy(False)
        self.status.clear()
        self.error.show_message(info.message)
