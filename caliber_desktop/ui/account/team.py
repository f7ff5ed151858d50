"""The Team dialog: an administrator's view of the team's accounts (Account › Team…).

It shows what ``caliber admin users`` does: the accounts with their role, state and last
sign-in; add an analyst (the dialog shows the password link to send them, since Firebase's Admin
API makes the link but does not send it); disable or enable, sign out everywhere (revoke: the
lost-laptop case), make administrator or analyst, remove. Every call runs as a job on the network
lane (:mod:`caliber_desktop.workers.admin`); a failure is shown by ``ui/shared/errors.py``, bad
input beside its field. The menu offers the dialog only to a session whose verified token says
``role: admin``, and the service checks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.errors import ErrorDialog, error_box
from caliber_desktop.ui.shared.forms import FieldError, alive
from caliber_desktop.ui.shared.locale_format import format_datetime
from caliber_desktop.ui.shared.roles import Index
from caliber_desktop.ui.shared.table_base import FlatTableModel
from caliber_desktop.workers import admin as jobs
from caliber_desktop.workers.base import ErrorInfo, Rejected, Worker
from caliber_desktop.workers.registry import WorkerRegistry

if TYPE_CHECKING:
    from caliber_desktop.services.auth.admin import Invitation, TeamAdmin, TeamMember

LINK_NOTE = (
    "Send this link to {email} so they can choose a password (Caliber does not email it). "
    "They then sign in to Caliber with that email."
)
REVOKED = (
    "{email} is signed out everywhere: each Caliber window signed in as them ends at its next "
    "refresh (within the hour). Their password still works; disable the account too if they "
    "should not sign in again."
)


class TeamModel(FlatTableModel):
    """One row per account, in the order the service returned them (by email)."""

    COLUMNS = ("Email", "Name", "Role", "State", "Last sign-in")
    EMAIL, NAME, ROLE, STATE, LAST = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TeamMember] = []

    def set_members(self, members: Sequence[TeamMember]) -> None:
        self.beginResetModel()
        self._rows = list(members)
        self.endResetModel()

    def member(self, row: int) -> TeamMember:
        return self._rows[row]

    def row_of(self, email: str) -> int | None:
        return next((i for i, m in enumerate(self._rows) if m.email == email), None)

    def row_total(self) -> int:
        return len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        member = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.EMAIL:
                return member.email
            if column == self.NAME:
                return member.display_name
            if column == self.ROLE:
                return labels.role(member.role)
            if column == self.STATE:
                return "Disabled" if member.disabled else "Active"
            if column == self.LAST:
                return (
                    format_datetime(member.last_sign_in_at) if member.last_sign_in_at else "Never"
                )
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STATE:
            since = member.sessions_valid_since
            if since is not None:
                return f"Sessions signed in before {format_datetime(since)} were ended."
        return None


class TeamDialog(QDialog):
    """List, add, disable or enable, sign out everywhere, change the role, remove."""

    def __init__(
        self, team: TeamAdmin, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("teamDialog")
        self.setWindowTitle("Team")
        self.team = team
        self.registry = registry
        self._running = 0
        self.error_dialog: ErrorDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._select_after: str | None = None

        intro = QLabel(
            "The accounts that may sign in to Caliber. Changes reach an analyst's Caliber at its "
            "next sign-in refresh, within the hour.",
            self,
        )
        intro.setWordWrap(True)
        self.model = TeamModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("teamTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TeamModel.EMAIL, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)

        self.disable_button = self._button("Disable", "teamDisable", self._toggle_disabled)
        self.revoke_button = self._button("Sign Out Everywhere", "teamRevoke", self._revoke)
        self.revoke_button.setToolTip(
            "Ends every session of this account at its next refresh, e.g. after a lost laptop."
        )
        self.role_button = self._button("Make Administrator", "teamRole", self._toggle_role)
        self.remove_button = self._button("Remove…", "teamRemove", self._ask_remove)
        self.reload_button = self._button("Reload", "teamReload", self.reload)
        actions = QHBoxLayout()
        for button in (self.disable_button, self.revoke_button, self.role_button):
            actions.addWidget(button)
        actions.addWidget(self.remove_button)
        actions.addStretch(1)
        actions.addWidget(self.reload_button)

        self.email_edit = QLineEdit(self)
        self.email_edit.setObjectName("teamEmail")
        self.email_edit.setPlaceholderText("name@example.com")
        self.email_error = FieldError(self)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("teamName")
        self.name_edit.setPlaceholderText("Optional")
        self.role_combo = QComboBox(self)
        self.role_combo.setObjectName("teamNewRole")
        for name in ("analyst", "admin"):
            self.role_combo.addItem(labels.role(name), name)
        self.add_button = self._button("Add", "teamAdd", self._add)
        self.add_button.setAutoDefault(False)
        self.email_edit.returnPressed.connect(self._add)
        form = QFormLayout()
        email_box = QVBoxLayout()
        email_box.setSpacing(2)
        email_box.addWidget(self.email_edit)
        email_box.addWidget(self.email_error)
        form.addRow(self._label("&Email:", self.email_edit), email_box)
        form.addRow("&Name:", self.name_edit)
        role_row = QHBoxLayout()
        role_row.addWidget(self.role_combo)
        role_row.addStretch(1)
        role_row.addWidget(self.add_button)
        form.addRow(self._label("&Role:", self.role_combo), role_row)
        self.link_note = QLabel(self)
        self.link_note.setObjectName("teamLinkNote")
        self.link_note.setWordWrap(True)
        self.link_edit = QLineEdit(self)
        self.link_edit.setObjectName("teamLink")
        self.link_edit.setReadOnly(True)
        self.copy_link_button = self._button("Copy Link", "teamCopyLink", self._copy_link)
        link_row = QHBoxLayout()
        link_row.addWidget(self.link_edit, 1)
        link_row.addWidget(self.copy_link_button)
        add_group = QGroupBox("Add an account", self)
        add_layout = QVBoxLayout(add_group)
        add_layout.addLayout(form)
        add_layout.addWidget(self.link_note)
        add_layout.addLayout(link_row)
        self._show_link(None)

        self.status = QLabel(self)
        self.status.setObjectName("teamStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)  # Enter in the email field adds; it must not also close
        close.setDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(add_group)
        layout.addWidget(buttons)
        self.resize(760, 560)
        self._update_buttons()

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        """A row label whose mnemonic focuses ``buddy`` (a row holding a layout has none)."""
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ state

    @property
    def busy(self) -> bool:
        return self._running > 0

    def selected(self) -> TeamMember | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.member(rows[0].row()) if rows else None

    def select(self, email: str) -> None:
        row = self.model.row_of(email)
        if row is not None:
            self.view.selectRow(row)

    @Slot()
    def _update_buttons(self) -> None:
        member = self.selected()
        idle = not self.busy
        for button in (self.disable_button, self.revoke_button, self.role_button):
            button.setEnabled(idle and member is not None)
        self.remove_button.setEnabled(idle and member is not None)
        self.add_button.setEnabled(idle)
        self.reload_button.setEnabled(idle)
        if member is not None:
            self.disable_button.setText("Enable" if member.disabled else "Disable")
            self.role_button.setText(
                "Make Analyst" if member.role == "admin" else "Make Administrator"
            )

    def _show_link(self, invitation: Invitation | None) -> None:
        shown = invitation is not None
        self.link_note.setVisible(shown)
        self.link_edit.setVisible(shown)
        self.copy_link_button.setVisible(shown)
        if invitation is None:
            self.link_edit.clear()
            return
        self.link_note.setText(LINK_NOTE.format(email=invitation.member.email))
        self.link_edit.setText(invitation.password_link)
        self.link_edit.setCursorPosition(0)

    # ------------------------------------------------------------------ jobs

    def _start(
        self, worker: Worker, on_result: Any, *, key: str | None = None, quiet: bool = False
    ) -> None:
        """Run ``worker``; ``quiet`` keeps the status line (a reload after an action keeps
        saying what the action did)."""
        self._running += 1
        if not quiet:
            self.status.setText(f"{worker.title}…")
        self._update_buttons()

        def done(value: object) -> None:
            self._finish()
            if alive(self):
                on_result(value)

        def failed(info: ErrorInfo) -> None:
            self._finish()
            if alive(self):
                self._failed(info)

        self.registry.start(worker, key=key, on_result=done, on_error=failed)

    def _finish(self) -> None:
        self._running = max(0, self._running - 1)
        if alive(self):
            self._update_buttons()

    def _failed(self, info: ErrorInfo) -> None:
        self.status.setText("")
        box = error_box(self, info)  # titled by the job: "Adding ann@example.com failed"
        self.error_dialog = box
        box.open()

    @Slot()
    def reload(self, quiet: bool = False) -> None:
        self._start(jobs.list_team(self.team), self._on_listed, key="team-list", quiet=quiet)

    def _on_listed(self, members: object) -> None:
        keep = self._select_after or (m.email if (m := self.selected()) else None)
        self._select_after = None
        self.model.set_members(members)  # type: ignore[arg-type]
        count = self.model.row_total()
        if not self.status.text() or self.status.text().endswith("…"):
            self.status.setText(f"{count} account{'s' if count != 1 else ''}.")
        if keep:
            self.select(keep)
        self._update_buttons()

    def _then_reload(self, message: str, email: str | None) -> None:
        self.status.setText(message)
        self._select_after = email
        self.reload(quiet=True)

    @Slot()
    def _add(self) -> None:
        if self.busy:
            return
        email = self.email_edit.text().strip()
        if not email:
            self.email_error.show_message("Enter the email address of the new account.")
            return
        self.email_error.show_message(None)
        self._show_link(None)
        role = str(self.role_combo.currentData())
        worker = jobs.add_member(self.team, email, self.name_edit.text(), role)
        self._start(worker, self._on_added)

    def _on_added(self, value: object) -> None:
        if isinstance(value, Rejected):
            self.status.setText("")
            self.email_error.show_message(value.message)
            return
        invitation: Invitation = value  # type: ignore[assignment]
        self.email_edit.clear()
        self.name_edit.clear()
        self._show_link(invitation)
        member = invitation.member
        self._then_reload(
            f"Added {member.email} ({labels.role(member.role).lower()}).", member.email
        )

    @Slot()
    def _copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self.link_edit.text())
        self.status.setText("The link is on the clipboard.")

    @Slot()
    def _toggle_disabled(self) -> None:
        member = self.selected()
        if member is None or self.busy:
            return
        disable = not member.disabled
        worker = jobs.set_disabled(self.team, member.email, disable)
        self._start(worker, self._on_disabled)

    def _on_disabled(self, value: object) -> None:
        member: TeamMember = value  # type: ignore[assignment]
        text = (
            f"{member.email} is disabled: their Caliber signs out at its next refresh, within "
            "the hour."
            if member.disabled
            else f"{member.email} may sign in again."
        )
        self._then_reload(text, member.email)

    @Slot()
    def _revoke(self) -> None:
        member = self.selected()
        if member is None or self.busy:
            return
        self._start(jobs.revoke(self.team, member.email), self._on_revoked)

    def _on_revoked(self, value: object) -> None:
        member: TeamMember = value  # type: ignore[assignment]
        self._then_reload(REVOKED.format(email=member.email), member.email)

    @Slot()
    def _toggle_role(self) -> None:
        member = self.selected()
        if member is None or self.busy:
            return
        role = "analyst" if member.role == "admin" else "admin"
        self._start(jobs.set_role(self.team, member.email, role), self._on_role)

    def _on_role(self, value: object) -> None:
        if isinstance(value, Rejected):
            self.status.setText(value.message)
            return
        member: TeamMember = value  # type: ignore[assignment]
        role = labels.in_sentence(labels.role(member.role))
        self._then_reload(
            f"{member.email} is now an {role}; it applies from their next refresh.", member.email
        )

    @Slot()
    def _ask_remove(self) -> None:
        member = self.selected()
        if member is None or self.busy:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Remove the account?",
            f"Remove {member.email}? They can no longer sign in, and this cannot be undone. "
            "Their campaigns stay on the computers they used.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        email = member.email

        def answered() -> None:
            if box.clickedButton() is remove and alive(self):
                self._start(jobs.remove(self.team, email), lambda _v: self._on_removed(email))

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()

    def _on_removed(self, email: str) -> None:
        self._then_reload(f"Removed {email}.", None)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.model.row_total() == 0 and not self.busy:
            self.reload()
