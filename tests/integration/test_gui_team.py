"""The window honours the administrator, and an administrator's Team dialog works (pytest-qt, the
real Firebase Auth Emulator, the real firebase-admin SDK, real workers and registry).

Revocation is by whole seconds (see test_admin_emulator.py); the tests wait for the clock to pass
the sign-in's second with ``qtbot.waitUntil``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from caliber_desktop.services.auth.admin import TeamAdmin
from caliber_desktop.services.auth.api import AuthConfig
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import AuthService, Session
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.account.menu import AccountMenu, OfflineBanner
from caliber_desktop.ui.account.session import SessionKeeper, sign_in_at_start
from caliber_desktop.ui.account.signin import SignInDialog
from caliber_desktop.ui.account.team import TeamDialog, TeamModel
from caliber_desktop.workers.registry import WorkerRegistry

pytestmark = [pytest.mark.emulator, pytest.mark.qt_log_ignore("propagateSizeHints")]

PROJECT = "demo-caliber"
PASSWORD = "correct horse battery"
ANN, LEAD, BEN = "ann@example.com", "lead@example.com", "ben@example.com"
TIMEOUT_MS = 15_000


@pytest.fixture
def registry(qapp: Any) -> Iterator[WorkerRegistry]:
    registry = WorkerRegistry()
    yield registry
    registry.shutdown(10_000)


@pytest.fixture
def config(emulator: str) -> AuthConfig:
    return AuthConfig(api_key="", project_id=PROJECT, emulator_host=emulator)


@pytest.fixture
def service_account(config: AuthConfig) -> Iterator[TeamAdmin]:
    team = TeamAdmin(config, SecretStore(), caller=None)
    yield team
    team.close()


def idle(registry: WorkerRegistry, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: registry.running_count() == 0, timeout=TIMEOUT_MS)


def past_second_of(session: Session, qtbot: QtBot) -> None:
    signed_in = session.identity.auth_time.timestamp()
    qtbot.waitUntil(lambda: time.time() >= signed_in + 1, timeout=3_000)


def keeper_for(
    auth: AuthService, registry: WorkerRegistry, session: Session, qtbot: QtBot
) -> tuple[SessionKeeper, AccountMenu]:
    window = QWidget()
    qtbot.addWidget(window)
    menu = AccountMenu(window)
    keeper = SessionKeeper(auth, registry, session, window, menu=menu, banner=OfflineBanner(window))
    return keeper, menu


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("revoke", "Your administrator ended this session."),
        ("disable", "Your administrator disabled this account."),
    ],
)
def test_the_window_signs_out_an_analyst_the_admin_cut_off(
    config: AuthConfig,
    workspace: Workspace,
    service_account: TeamAdmin,
    registry: WorkerRegistry,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    sentence: str,
) -> None:
    auth = AuthService(config, SecretStore(), workspace.store)
    session = auth.sign_up(ANN, PASSWORD, "Ann")
    keeper, menu = keeper_for(auth, registry, session, qtbot)
    assert menu.who_action.text() == f"Signed in as {ANN}"
    assert menu.role_action.text() == "Role: Analyst"
    assert not menu.team_action.isVisible()
    assert keeper.open_team() is None  # an analyst gets no Team dialog

    past_second_of(session, qtbot)
    if action == "revoke":
        service_account.revoke(ANN)
    else:
        service_account.set_disabled(ANN, True)
    keeper.refresh()  # within the hour the token still has: nothing to renew yet
    idle(registry, qtbot)
    assert keeper.session is not None
    session.expires_at = datetime.now(UTC)  # the hour is up: the next tick renews the token
    keeper.refresh()
    qtbot.waitUntil(lambda: keeper.dialog is not None, timeout=TIMEOUT_MS)
    assert keeper.session is None
    assert keeper.dialog is not None
    assert keeper.dialog.banner.text().startswith(sentence)
    assert menu.who_action.text() == "Local profile"
    with qtbot.waitSignal(keeper.signed_out, timeout=TIMEOUT_MS):
        keeper.dialog.reject()


def test_a_restart_online_tells_a_disabled_analyst_why(
    config: AuthConfig,
    workspace: Workspace,
    service_account: TeamAdmin,
    registry: WorkerRegistry,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    AuthService(config, SecretStore(), workspace.store).sign_up(ANN, PASSWORD)
    service_account.set_disabled(ANN, True)
    banners: list[str] = []

    def fake_exec(dialog: SignInDialog) -> int:
        banners.append(dialog.banner.text())
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(SignInDialog, "exec", fake_exec)
    restart = AuthService(config, SecretStore(), workspace.store)
    assert sign_in_at_start(restart, registry, secrets=restart.secrets) is None
    idle(registry, qtbot)
    assert banners == [
        "Your administrator disabled this account. Ask them to enable it again if you still "
        "need Caliber."
    ]


def admin_session(
    config: AuthConfig, workspace: Workspace, service_account: TeamAdmin, emulator: str
) -> tuple[AuthService, Session]:
    link = service_account.add(LEAD, "Lead", "admin").password_link
    code = parse_qs(urlsplit(link).query)["oobCode"][0]
    requests.post(
        f"http://{emulator}/identitytoolkit.googleapis.com/v1/accounts:resetPassword",
        params={"key": "fake-api-key"},
        json={"oobCode": code, "newPassword": PASSWORD},
        timeout=10,
    ).raise_for_status()
    auth = AuthService(config, SecretStore(), workspace.store)
    return auth, auth.sign_in(LEAD, PASSWORD)


def rows(dialog: TeamDialog) -> list[tuple[str, str, str]]:
    model = dialog.model
    return [
        (
            model.index(r, TeamModel.EMAIL).data(),
            model.index(r, TeamModel.ROLE).data(),
            model.index(r, TeamModel.STATE).data(),
        )
        for r in range(model.rowCount())
    ]


def test_the_team_dialog_lists_adds_disables_revokes_changes_roles_and_removes(
    config: AuthConfig,
    emulator: str,
    workspace: Workspace,
    service_account: TeamAdmin,
    registry: WorkerRegistry,
    qtbot: QtBot,
) -> None:
    service_account.add(ANN, "Ann", "analyst")
    auth, session = admin_session(config, workspace, service_account, emulator)
    keeper, menu = keeper_for(auth, registry, session, qtbot)
    assert menu.role_action.text() == "Role: Administrator"
    assert menu.team_action.isVisible()

    menu.team_action.trigger()
    dialog = keeper.team_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=TIMEOUT_MS)
    idle(registry, qtbot)
    assert rows(dialog) == [(ANN, "Analyst", "Active"), (LEAD, "Administrator", "Active")]
    assert dialog.status.text() == "2 accounts."
    assert not dialog.disable_button.isEnabled()  # nothing selected yet

    # Add: bad input inline, then a real account with its password link to send.
    qtbot.keyClicks(dialog.email_edit, "ben-at-example.com")
    qtbot.mouseClick(dialog.add_button, _left())
    idle(registry, qtbot)
    assert "is not an email address" in dialog.email_error.text()
    dialog.email_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "Ben")
    qtbot.keyClicks(dialog.email_edit, BEN)
    qtbot.keyClick(dialog.email_edit, Qt.Key.Key_Return)  # Enter adds; it does not close
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=TIMEOUT_MS)
    assert dialog.isVisible()
    idle(registry, qtbot)
    assert dialog.link_edit.isVisibleTo(dialog)
    assert "mode=resetPassword" in dialog.link_edit.text()
    assert "Caliber does not email it" in dialog.link_note.text()
    selected = dialog.selected()
    assert selected is not None
    assert selected.email == BEN

    # Role, disable, revoke on Ann.
    dialog.select(ANN)
    assert dialog.role_button.text() == "Make Administrator"
    qtbot.mouseClick(dialog.role_button, _left())
    qtbot.waitUntil(lambda: (ANN, "Administrator", "Active") in rows(dialog), timeout=TIMEOUT_MS)
    idle(registry, qtbot)
    assert dialog.role_button.text() == "Make Analyst"
    qtbot.mouseClick(dialog.disable_button, _left())
    qtbot.waitUntil(lambda: (ANN, "Administrator", "Disabled") in rows(dialog), timeout=TIMEOUT_MS)
    idle(registry, qtbot)
    assert dialog.disable_button.text() == "Enable"
    qtbot.mouseClick(dialog.revoke_button, _left())
    qtbot.waitUntil(lambda: "signed out everywhere" in dialog.status.text(), timeout=TIMEOUT_MS)
    idle(registry, qtbot)

    # A failure goes through the shared error dialog: adding an existing account.
    qtbot.keyClicks(dialog.email_edit, ANN)
    qtbot.mouseClick(dialog.add_button, _left())
    qtbot.waitUntil(lambda: dialog.error_dialog is not None, timeout=TIMEOUT_MS)
    idle(registry, qtbot)
    assert dialog.error_dialog is not None
    assert "An account with ann@example.com already exists." in dialog.error_dialog.text()
    dialog.error_dialog.close()

    # Remove, after the confirmation.
    dialog.select(BEN)
    qtbot.mouseClick(dialog.remove_button, _left())
    box = dialog.confirm_box
    assert box is not None
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    assert box.buttonRole(remove) == QMessageBox.ButtonRole.DestructiveRole
    remove.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=TIMEOUT_MS)
    idle(registry, qtbot)

    # What the dialog did is what Firebase now holds.
    members = {m.email: m for m in service_account.list_members()}
    assert set(members) == {ANN, LEAD}
    assert members[ANN].role == "admin"
    assert members[ANN].disabled
    assert members[ANN].sessions_valid_since is not None
    dialog.close()
    idle(registry, qtbot)


def _left() -> Any:
    return Qt.MouseButton.LeftButton
