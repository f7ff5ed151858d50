"""Sign-in at start: sign in, create an account, or ask for a password-reset link.

Every call to the sign-in service goes over the network, so each runs as a job (the network
lane, :mod:`caliber_desktop.workers.account`) while the dialog shows what it is doing; a failure
is shown inline in the service's own words (an ``AuthError`` is a ``CaliberError``, so the worker
hands over its message, never a traceback).
The dialog never stores anything itself: "remember me" is passed to the service, which keeps the
refresh token in the OS keyring; when the keyring is unusable the dialog says so up front, since
the analyst would otherwise be surprised to be asked again at the next start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from caliber_desktop.ui.shared.common import scaled_font
from caliber_desktop.ui.shared.forms import FieldError, alive, fit_height
from caliber_desktop.ui.shared.tones import chip_style
from caliber_desktop.workers import account
from caliber_desktop.workers.base import ErrorInfo, Worker
from caliber_desktop.workers.registry import WorkerRegistry

if TYPE_CHECKING:
    from caliber_desktop.services.auth.service import AuthService, Session

#: Deliberately loose: the service has the last word; this only catches typos such as a
#: missing "@" before a round trip to the server.
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Firebase refuses shorter passwords (WEAK_PASSWORD); saying so before the call saves one.
MIN_PASSWORD = 6
RESET_SENT = "If an account exists for {email}, a reset link is on its way. Check your inbox."
THIS_RUN_ONLY = "Your sign-in will last for this run only: {problem}"

SIGN_IN, CREATE, FORGOT = 0, 1, 2


def email_problem(text: str) -> str | None:
    """Why ``text`` is not an email address, or None; empty is "not yet", not a mistake."""
    text = text.strip()
    if not text or EMAIL_SHAPE.match(text):
        return None
    return "Enter an email address like name@example.com."


def password_problem(password: str, again: str | None = None) -> str | None:
    """Why a new password would be refused, or None; empty is "not yet", not a mistake."""
    if password and len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if again is not None and again and password != again:
        return "The two passwords do not match."
    return None


def _password_edit(parent: QWidget, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _email_edit(parent: QWidget, name: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setPlaceholderText("name@example.com")
    return edit


class SignInDialog(QDialog):
    """Three tabs (sign in, create account, forgot password) over one :class:`AuthService`.

    On success it emits :attr:`signed_in` with the ``Session`` and accepts; :attr:`session` keeps
    it for callers that use ``exec()``. Cancel rejects (at start-up: the app quits).
    """

    #: the ``Session`` of the analyst who just signed in or created an account
    signed_in = Signal(object)

    def __init__(
        self,
        auth: AuthService,
        registry: WorkerRegistry,
        parent: QWidget | None = None,
        *,
        offline_banner: str | None = None,
        keyring_problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.auth = auth
        self.registry = registry
        self.session: Session | None = None
        self._job: str | None = None
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to Caliber")

        heading = QLabel("Sign in to Caliber", self)
        heading.setFont(scaled_font(self.font(), 1.4, bold=True))
        self.banner = QLabel(offline_banner or "", self)
        self.banner.setObjectName("signInBanner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(bool(offline_banner))
        self.keyring_note = QLabel(self)
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setText(THIS_RUN_ONLY.format(problem=keyring_problem or ""))
        self.keyring_note.setVisible(bool(keyring_problem))
        for note in (self.banner, self.keyring_note):
            note.setStyleSheet(chip_style(self.palette(), "warn"))
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("signInTabs")
        self.tabs.addTab(self._sign_in_page(), "Sign in")
        self.tabs.addTab(self._create_page(), "Create account")
        self.tabs.addTab(self._forgot_page(), "Forgot password")

        self.remember_check = QCheckBox("Remember me on this computer", self)
        self.remember_check.setObjectName("rememberMe")
        # Without a keyring nothing can be remembered; a ticked box would promise otherwise.
        self._can_remember = keyring_problem is None
        self.remember_check.setChecked(self._can_remember)
        self.remember_check.setEnabled(self._can_remember)
        self.status = QLabel(self)
        self.status.setObjectName("signInStatus")
        self.status.setWordWrap(True)
        self.status.hide()
        self.error = FieldError(self)
        self.error.setObjectName("signInError")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.tabs)
        layout.addWidget(self.remember_check)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(32 * self.fontMetrics().horizontalAdvance("M"))

        self.tabs.currentChanged.connect(self._on_tab_changed)
        for edit in (
            self.email_edit,
            self.password_edit,
            self.new_name_edit,
            self.new_email_edit,
            self.new_password_edit,
            self.new_password_again,
            self.reset_email_edit,
        ):
            edit.textChanged.connect(self.validate)
        self._on_tab_changed(SIGN_IN)

    # ------------------------------------------------------------------ pages
    def _sign_in_page(self) -> QWidget:
        page = QWidget(self)
        self.email_edit = _email_edit(page, "signInEmail")
        self.email_error = FieldError(page)
        self.password_edit = _password_edit(page, "signInPassword")
        self.sign_in_button = QPushButton("Sign in", page)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.clicked.connect(self.sign_in)
        forgot = QPushButton("Forgot your password?", page)
        forgot.setObjectName("forgotLink")
        # Not flat: a flat button shows no keyboard focus in Fusion.
        forgot.setAutoDefault(False)
        forgot.clicked.connect(self._go_to_forgot)
        form = QFormLayout(page)
        form.addRow("Email:", self.email_edit)
        form.addRow("", self.email_error)
        form.addRow("Password:", self.password_edit)
        form.addRow(forgot, self.sign_in_button)
        return page

    def _create_page(self) -> QWidget:
        page = QWidget(self)
        self.new_name_edit = QLineEdit(page)
        self.new_name_edit.setObjectName("newName")
        self.new_name_edit.setPlaceholderText("Optional — shown in the Account menu")
        self.new_email_edit = _email_edit(page, "newEmail")
        self.new_email_error = FieldError(page)
        self.new_password_edit = _password_edit(page, "newPassword")
        self.new_password_again = _password_edit(page, "newPasswordAgain")
        self.new_password_error = FieldError(page)
        self.new_password_error.setObjectName("newPasswordError")
        self.create_button = QPushButton("Create account", page)
        self.create_button.setObjectName("createAccountButton")
        self.create_button.clicked.connect(self.create_account)
        form = QFormLayout(page)
        form.addRow("Name:", self.new_name_edit)
        form.addRow("Email:", self.new_email_edit)
        form.addRow("", self.new_email_error)
        form.addRow("Password:", self.new_password_edit)
        form.addRow("Password again:", self.new_password_again)
        form.addRow("", self.new_password_error)
        form.addRow("", self.create_button)
        return page

    def _forgot_page(self) -> QWidget:
        page = QWidget(self)
        intro = QLabel("We will email you a link to choose a new password.", page)
        intro.setWordWrap(True)
        self.reset_email_edit = _email_edit(page, "resetEmail")
        self.reset_email_error = FieldError(page)
        self.reset_button = QPushButton("Send reset link", page)
        self.reset_button.setObjectName("sendResetButton")
        self.reset_button.clicked.connect(self.send_reset)
        form = QFormLayout(page)
        form.addRow(intro)
        form.addRow("Email:", self.reset_email_edit)
        form.addRow("", self.reset_email_error)
        form.addRow("", self.reset_button)
        return page

    def _submit_buttons(self) -> tuple[QPushButton, QPushButton, QPushButton]:
        return self.sign_in_button, self.create_button, self.reset_button

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self._job is not None

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        """Enter submits the page on show: its button becomes the dialog's default."""
        for page_index, button in enumerate(self._submit_buttons()):
            button.setDefault(page_index == index)
        self.remember_check.setVisible(index != FORGOT)
        self.error.show_message(None)
        self.status.hide()
        self.validate()

    @Slot()
    def _go_to_forgot(self) -> None:
        if not self.reset_email_edit.text():
            self.reset_email_edit.setText(self.email_edit.text())
        self.tabs.setCurrentIndex(FORGOT)
        self.reset_email_edit.setFocus()

    @Slot()
    def validate(self) -> bool:
        """Inline problems under the fields; each page's button only when its form can be sent."""
        email_bad = email_problem(self.email_edit.text())
        self.email_error.show_message(email_bad)
        new_email_bad = email_problem(self.new_email_edit.text())
        self.new_email_error.show_message(new_email_bad)
        new_password_bad = password_problem(
            self.new_password_edit.text(), self.new_password_again.text()
        )
        self.new_password_error.show_message(new_password_bad)
        reset_bad = email_problem(self.reset_email_edit.text())
        self.reset_email_error.show_message(reset_bad)
        ready = (
            bool(self.email_edit.text().strip() and self.password_edit.text()) and not email_bad,
            bool(self.new_email_edit.text().strip() and self.new_password_edit.text())
            and self.new_password_edit.text() == self.new_password_again.text()
            and not (new_email_bad or new_password_bad),
            bool(self.reset_email_edit.text().strip()) and not reset_bad,
        )
        for button, ok in zip(self._submit_buttons(), ready, strict=True):
            button.setEnabled(ok and not self.busy)
        return ready[self.tabs.currentIndex()]

    def _set_busy(self, job_id: str | None, message: str = "") -> None:
        self._job = job_id
        self.tabs.setEnabled(job_id is None)
        self.remember_check.setEnabled(job_id is None and self._can_remember)
        self.status.setText(message)
        self.status.setVisible(bool(message))
        if message:
            self.error.show_message(None)
        fit_height(self)
        self.validate()

    def _run(self, worker: Worker, *, busy: str, done: Callable[[object], object]) -> None:
        if self.busy:
            return
        self._set_busy(worker.job_id, busy)
        self.registry.start(worker, on_result=done, on_error=self._on_failed)

    # ------------------------------------------------------------------ commands
    @Slot()
    def sign_in(self) -> None:
        if not self.validate() or self.tabs.currentIndex() != SIGN_IN:
            return
        self._run(
            account.sign_in(
                self.auth,
                self.email_edit.text().strip(),
                self.password_edit.text(),
                remember=self.remember_check.isChecked(),
            ),
            busy="Signing in…",
            done=self._on_session,
        )

    @Slot()
    def create_account(self) -> None:
        if not self.validate() or self.tabs.currentIndex() != CREATE:
            return
        self._run(
            account.sign_up(
                self.auth,
                self.new_email_edit.text().strip(),
                self.new_password_edit.text(),
                self.new_name_edit.text().strip(),
                remember=self.remember_check.isChecked(),
            ),
            busy="Creating your account…",
            done=self._on_session,
        )

    @Slot()
    def send_reset(self) -> None:
        if not self.validate() or self.tabs.currentIndex() != FORGOT:
            return
        email = self.reset_email_edit.text().strip()
        self._run(
            account.send_password_reset(self.auth, email),
            busy="Sending the reset link…",
            done=lambda _none: self._on_reset_sent(email),
        )

    # ------------------------------------------------------------------ results
    def _on_session(self, session: object) -> None:
        if not alive(self) or not self.busy:
            return
        self._set_busy(None)
        self.password_edit.clear()
        self.new_password_edit.clear()
        self.new_password_again.clear()
        self.session = cast("Session", session)
        self.signed_in.emit(session)
        super().accept()

    def _on_reset_sent(self, email: str) -> None:
        if not alive(self) or not self.busy:
            return
        self._set_busy(None, RESET_SENT.format(email=email))

    def _on_failed(self, info: ErrorInfo) -> None:
        if not alive(self) or not self.busy:
            return
        self._set_busy(None)
        # An AuthError's message is written for the analyst; a bug's says "this is a bug" and
        # where the log is. The traceback (info.details) stays in the log.
        self.error.show_message(info.message)
        if self.tabs.currentIndex() == SIGN_IN:
            self.password_edit.selectAll()
            self.password_edit.setFocus()

    # ------------------------------------------------------------------ closing
    @Slot()
    def accept(self) -> None:
        """Enter with no default button enabled lands here: submit the page, never just close."""
        (self.sign_in, self.create_account, self.send_reset)[self.tabs.currentIndex()]()

    @Slot()
    def reject(self) -> None:
        """Cancel drops a running call's result: nobody asked for that session any more."""
        if self._job is not None:
            self.registry.cancel(self._job)
            self._job = None
        super().reject()
