"""Settings › OpenAI API key (pytest-qt): saved in the keyring, shown masked, removable.

The real ``SecretStore`` runs over the autouse in-memory keyring, or over one that refuses
everything as a locked Secret Service does; every keyring call runs on a worker, so each test
waits for the registry to drain.
"""

from __future__ import annotations

from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from caliber_desktop.config import Settings
from caliber_desktop.services.auth.secrets import OPENAI_API_KEY, SecretStore
from caliber_desktop.ui.settings.dialog import SettingsDialog
from caliber_desktop.workers.api_key import mask_key
from caliber_desktop.workers.registry import WorkerRegistry

TIMEOUT_MS = 10_000
API_KEY = "sk-proj-TESTKEY0123456789abcd"


class LockedKeyring(KeyringBackend):
    """A keyring that refuses everything, as a locked Secret Service does."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


def idle(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


def settings_dialog(
    qtbot: QtBot, registry: WorkerRegistry, tmp_path: Path, store: SecretStore
) -> SettingsDialog:
    dialog = SettingsDialog(Settings(), tmp_path, secrets=store, registry=registry)
    qtbot.addWidget(dialog)
    dialog.show()
    idle(registry, qtbot)
    return dialog


def test_mask_key_shows_little() -> None:
    assert mask_key(API_KEY) == "sk-…abcd"
    assert mask_key("sk-short") == "sk-…"
    assert mask_key("other-key-0123456789wxyz") == "…wxyz"


def test_api_key_saved_in_the_keyring_shown_masked_and_removed(
    qtbot: QtBot, registry: WorkerRegistry, tmp_path: Path, memory_keyring: KeyringBackend
) -> None:
    store = SecretStore()
    dialog = settings_dialog(qtbot, registry, tmp_path, store)
    box = dialog.api_key_box
    assert box is not None
    assert box.status.text() == "No key stored."
    assert not box.note.isVisible()
    assert not box.save_button.isEnabled()
    assert not box.remove_button.isEnabled()
    assert box.key_edit.echoMode() == box.key_edit.EchoMode.Password

    box.key_edit.setText(API_KEY)
    box.save_button.click()
    assert box.key_edit.text() == ""  # gone from the widget at once
    idle(registry, qtbot)
    assert memory_keyring.get_password("Caliber Desktop", OPENAI_API_KEY) == API_KEY
    assert box.key_edit.placeholderText() == "sk-…abcd"
    assert box.status.text().endswith("sk-…abcd")
    assert box.remove_button.isEnabled()
    for widget in dialog.findChildren(QWidget):
        assert API_KEY not in widget.toolTip()
        assert API_KEY not in (getattr(widget, "text", lambda: "")() or "")
    assert API_KEY not in repr(box.state)
    assert API_KEY not in repr(store)

    box.remove_button.click()
    idle(registry, qtbot)
    assert memory_keyring.get_password("Caliber Desktop", OPENAI_API_KEY) is None
    assert box.status.text() == "No key stored."
    assert not box.remove_button.isEnabled()


def test_enter_in_the_key_field_saves_instead_of_closing(
    qtbot: QtBot, registry: WorkerRegistry, tmp_path: Path, memory_keyring: KeyringBackend
) -> None:
    dialog = settings_dialog(qtbot, registry, tmp_path, SecretStore())
    box = dialog.api_key_box
    assert box is not None
    qtbot.keyClicks(box.key_edit, API_KEY)
    qtbot.keyClick(box.key_edit, Qt.Key.Key_Return)
    idle(registry, qtbot)
    assert dialog.isVisible()
    assert memory_keyring.get_password("Caliber Desktop", OPENAI_API_KEY) == API_KEY


def test_ok_saves_a_key_typed_but_not_saved(
    qtbot: QtBot, registry: WorkerRegistry, tmp_path: Path, memory_keyring: KeyringBackend
) -> None:
    dialog = settings_dialog(qtbot, registry, tmp_path, SecretStore())
    assert dialog.api_key_box is not None
    dialog.api_key_box.key_edit.setText(API_KEY)
    dialog.ok_button.click()
    idle(registry, qtbot)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert memory_keyring.get_password("Caliber Desktop", OPENAI_API_KEY) == API_KEY


def test_locked_keyring_shows_the_note_and_keeps_the_key_for_this_run(
    qtbot: QtBot, registry: WorkerRegistry, tmp_path: Path
) -> None:
    keyring.set_keyring(LockedKeyring())  # the autouse fixture restores the previous one
    store = SecretStore()
    dialog = settings_dialog(qtbot, registry, tmp_path, store)
    box = dialog.api_key_box
    assert box is not None
    assert box.note.isVisible()
    assert "locked" in box.note.text()
    assert "kept until Caliber quits" in box.note.text()
    assert box.retry_button.isVisible()

    box.key_edit.setText(API_KEY)
    box.save_button.click()
    idle(registry, qtbot)
    assert box.status.text() == "A key is kept for this run only: sk-…abcd"
    assert box.note.isVisible()
    assert API_KEY not in box.note.text()
    assert store.get(OPENAI_API_KEY) == API_KEY  # in memory for this run

    box.retry_button.click()
    idle(registry, qtbot)
    assert box.note.isVisible()  # still locked


def test_settings_dialog_without_secrets_has_no_key_group(tmp_path: Path, qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.api_key_box is None
    assert dialog.findChild(QWidget, "apiKeyBox") is None
