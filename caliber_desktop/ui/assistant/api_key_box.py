"""Settings › OpenAI API key: saved in the OS keyring at once, shown only masked, removable.

The key is the analyst's own credential, so it goes through :class:`SecretStore` and nowhere else
(never the settings file, a log, a tooltip or a repr). Keyring calls can block — a locked Secret
Service asks to be unlocked, D-Bus can time out — so every one runs as a job
(:mod:`caliber_desktop.workers.api_key`), which hands back a :class:`KeyState` holding the masked
form only: the full key never travels back to the GUI thread. Save and Remove act immediately,
independently of the dialog's OK and Cancel, because a keyring entry is not part of the settings
file the dialog edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from caliber_desktop.ui.shared.forms import FieldError, alive, fit_height
from caliber_desktop.ui.shared.tones import chip_style
from caliber_desktop.workers import api_key
from caliber_desktop.workers.api_key import KeyState
from caliber_desktop.workers.base import ErrorInfo, Worker

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.workers.registry import WorkerRegistry

PLACEHOLDER = "Paste your OpenAI API key (sk-…)"


class ApiKeyBox(QGroupBox):
    """The "OpenAI API key" group of the settings dialog."""

    def __init__(
        self, secrets: SecretStore, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__("OpenAI API key", parent)
        self.setObjectName("apiKeyBox")
        self.secrets = secrets
        self.registry = registry
        self.state: KeyState | None = None
        self._job: str | None = None

        intro = QLabel(
            "Used for AI explanations. Saved in your system keyring as soon as you press Save; "
            "OK and Cancel do not change it.",
            self,
        )
        intro.setWordWrap(True)
        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("openaiApiKey")
        self.key_edit.setAccessibleName("OpenAI API key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(PLACEHOLDER)
        self.key_edit.installEventFilter(self)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveApiKey")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("removeApiKey")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove)
        self.status = QLabel("Checking the keyring…", self)
        self.status.setObjectName("apiKeyStatus")
        self.status.setWordWrap(True)
        self.note = QLabel(self)
        self.note.setObjectName("keyringProblem")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        self.retry_button = QPushButton("Try the Keyring Again", self)
        self.retry_button.setObjectName("retryKeyring")
        self.retry_button.setAutoDefault(False)
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        self.error = FieldError(self)
        self.error.setObjectName("apiKeyError")

        row = QHBoxLayout()
        row.addWidget(self.key_edit, stretch=1)
        row.addWidget(self.save_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addWidget(self.retry_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        self._restyle()

        self.key_edit.textChanged.connect(self._update_buttons)
        self._start(api_key.read_api_key(secrets), busy="Checking the keyring…")

    # ------------------------------------------------------------------ commands
    @property
    def busy(self) -> bool:
        return self._job is not None

    def has_pending_key(self) -> bool:
        return bool(self.key_edit.text().strip())

    @Slot()
    def save(self) -> None:
        value = self.key_edit.text().strip()
        if not value or self.busy:
            return
        if any(ch.isspace() for ch in value):
            self.error.show_message("An API key has no spaces; paste it again.")
            return
        # The edit is cleared at once so the key lingers in no widget; only the worker has it.
        self.key_edit.clear()
        self._start(api_key.save_api_key(self.secrets, value), busy="Saving…")

    def save_pending(self) -> None:
        """OK with a key typed but not saved: save it rather than silently dropping it."""
        if self.has_pending_key():
            self.save()

    @Slot()
    def remove(self) -> None:
        if not self.busy:
            self._start(api_key.remove_api_key(self.secrets), busy="Removing…")

    @Slot()
    def retry(self) -> None:
        if not self.busy:
            self._start(api_key.retry_api_keyring(self.secrets), busy="Opening the keyring…")

    def _start(self, worker: Worker, *, busy: str) -> None:
        self._job = worker.job_id
        self.status.setText(busy)
        self.error.show_message(None)
        self._update_buttons()
        self.registry.start(worker, on_result=self._on_state, on_error=self._on_failed)

    # ------------------------------------------------------------------ results
    def _on_state(self, state: object) -> None:
        if not alive(self) or not isinstance(state, KeyState):
            return
        self._job = None
        self.show_state(state)

    def _on_failed(self, info: ErrorInfo) -> None:
        if not alive(self):
            return
        self._job = None
        self.status.setText("The keyring could not be reached.")
        self.error.show_message(info.message)
        self._update_buttons()

    def show_state(self, state: KeyState) -> None:
        self.state = state
        if state.mask is None:
            self.status.setText("No key stored.")
        elif state.persisted:
            self.status.setText(f"A key is stored in {state.backend}: {state.mask}")
        else:
            self.status.setText(f"A key is kept for this run only: {state.mask}")
        self.key_edit.setPlaceholderText(state.mask or PLACEHOLDER)
        problem = None if state.available else (state.problem or "The keyring is not available.")
        self.note.setText(
            f"{problem} A key you save is kept until Caliber quits." if problem else ""
        )
        self.note.setVisible(problem is not None)
        self.retry_button.setVisible(problem is not None)
        self._update_buttons()
        fit_height(self.window())

    @Slot()
    def _update_buttons(self) -> None:
        idle = not self.busy
        self.save_button.setEnabled(idle and self.has_pending_key())
        self.remove_button.setEnabled(
            idle and self.state is not None and self.state.mask is not None
        )
        self.retry_button.setEnabled(idle)

    # ------------------------------------------------------------------ Qt
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Enter in the key field saves the key instead of pressing the dialog's OK."""
        if (
            watched is self.key_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        self.note.setStyleSheet(chip_style(self.palette(), "warn"))
