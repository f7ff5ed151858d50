"""The Account menu shows the verified role, and offers Team… only to an online administrator.

The Team dialog itself runs against the Firebase Auth Emulator with the real firebase-admin SDK:
tests/integration/test_gui_team.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from caliber_desktop.services.auth.service import Identity, Session
from caliber_desktop.ui.account.menu import AccountMenu, role_text


def identity(role: str) -> Identity:
    now = datetime.now(UTC)
    return Identity("uid-ann", "ann@example.com", "Ann", now, now, role=role)


@pytest.fixture
def menu(qtbot: QtBot) -> Iterator[AccountMenu]:
    window = QWidget()
    qtbot.addWidget(window)
    yield AccountMenu(window)  # the window (the menu's parent) lives until the test is over
    window.close()


def test_an_analyst_sees_the_role_and_no_team(menu: AccountMenu) -> None:
    menu.set_identity(identity("analyst"))
    assert menu.role_action.text() == "Role: Analyst"
    assert menu.role_action.isVisible()
    assert not menu.role_action.isEnabled()  # a line to read, not a command
    assert not menu.team_action.isVisible()


def test_an_administrator_gets_the_team_dialog_only_online(menu: AccountMenu) -> None:
    menu.set_identity(identity("admin"))
    assert menu.role_action.text() == "Role: Administrator"
    assert menu.team_action.isVisible()
    assert menu.team_action.isEnabled()
    menu.set_identity(identity("admin"), offline=True)
    assert menu.role_action.text() == "Role: not checked while offline"
    assert not menu.team_action.isVisible()


def test_the_local_profile_has_no_role_line(menu: AccountMenu) -> None:
    menu.set_identity(None)
    assert not menu.role_action.isVisible()
    assert not menu.team_action.isVisible()
    assert role_text(None) == ""


def test_an_unverified_role_is_not_claimed() -> None:
    session = Session(identity(""), "", datetime.now(UTC) + timedelta(days=3), offline=True)
    assert not session.identity.is_admin
    assert role_text(session.identity, offline=True) == "Role: not checked while offline"
