"""``caliber admin`` against the real Firebase Auth Emulator with the real firebase-admin SDK, and
what an analyst's Caliber does with it: a disabled or revoked account is refused at the next
refresh, the offline grace does not bring it back, a non-admin is refused, and no token, password
or link is left in the data dir or the log.

Firebase revokes by whole seconds (a token is revoked when its ``auth_time`` is before the
account's ``validSince``), so a test that revokes a session it just signed in waits for the
clock to pass that second (:func:`past_this_second`): a condition on the clock, not a delay.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select
from support.cli_json import caliber

from caliber_desktop.cli import main as cli
from caliber_desktop.models import User
from caliber_desktop.services.auth.admin import TeamAdmin
from caliber_desktop.services.auth.api import AuthConfig
from caliber_desktop.services.auth.secrets import LAST_USER, SecretStore, refresh_token_name
from caliber_desktop.services.auth.service import AuthService
from caliber_desktop.services.workspace import Workspace

pytestmark = pytest.mark.emulator

PROJECT = "demo-caliber"
PASSWORD = "correct horse battery"
ANN, LEAD = "ann@example.com", "lead@example.com"


def error_of(err: str) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(err)["error"]
    return error


def past_this_second() -> None:
    """Wait until the wall clock is in a later whole second than now (at most one second)."""
    start = int(time.time())
    tick = threading.Event()
    while int(time.time()) == start:
        tick.wait(0.02)


def set_password(emulator: str, link: str, password: str) -> None:
    """What the analyst's browser does with the link: choose a password for the account."""
    code = parse_qs(urlsplit(link).query)["oobCode"][0]
    answer = requests.post(
        f"http://{emulator}/identitytoolkit.googleapis.com/v1/accounts:resetPassword",
        params={"key": "fake-api-key"},
        json={"oobCode": code, "newPassword": password},
        timeout=10,
    )
    answer.raise_for_status()


def service_account_team(emulator: str) -> TeamAdmin:
    """The team as the service account sees it (nobody signed in): what the admin's CLI does."""
    config = AuthConfig(api_key="", project_id=PROJECT, emulator_host=emulator)
    return TeamAdmin(config, SecretStore(), caller=None)


def offline_host() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_every_users_command_as_the_service_account(
    emulator: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, listed, err = caliber(capsys, "admin", "users", "list")
    assert code == 0, err
    assert listed["items"] == []
    assert "Emulator" in listed["credentials"]

    code, added, err = caliber(capsys, "admin", "users", "add", ANN, "--name", "Ann Analyst")
    assert code == 0, err
    assert added["member"]["email"] == ANN
    assert added["member"]["role"] == "analyst"
    assert added["member"]["display_name"] == "Ann Analyst"
    assert "mode=resetPassword" in added["password_link"]
    code, lead, _ = caliber(capsys, "admin", "users", "add", LEAD, "--role", "admin")
    assert (code, lead["member"]["role"]) == (0, "admin")

    code, listed, _ = caliber(capsys, "admin", "users", "list")
    assert [(m["email"], m["role"], m["disabled"]) for m in listed["items"]] == [
        (ANN, "analyst", False),
        (LEAD, "admin", False),
    ]

    code, out, _ = caliber(capsys, "admin", "users", "role", ANN, "admin")
    assert (code, out["member"]["role"]) == (0, "admin")
    code, out, _ = caliber(capsys, "admin", "users", "disable", ANN)
    assert (code, out["member"]["disabled"]) == (0, True)
    code, out, _ = caliber(capsys, "admin", "users", "enable", ANN)
    assert (code, out["member"]["disabled"]) == (0, False)
    code, out, _ = caliber(capsys, "admin", "users", "revoke", ANN)
    assert code == 0
    assert out["member"]["sessions_valid_since"] is not None
    code, out, _ = caliber(capsys, "admin", "users", "remove", ANN)
    assert (code, out) == (0, {"removed": ANN})

    code, listed, _ = caliber(capsys, "admin", "users", "list")
    assert [m["email"] for m in listed["items"]] == [LEAD]
    code, _, err = caliber(capsys, "admin", "users", "remove", ANN)
    assert code == 3
    assert "was not found" in error_of(err)["message"]
    code, _, err = caliber(capsys, "admin", "users", "add", LEAD)
    assert (code, error_of(err)["type"]) == (4, "ConflictError")
    code, _, err = caliber(capsys, "admin", "users", "add", "lead-at-example.com")
    assert code == 2

    # The readable form: a table, and the link said to be sent by the administrator.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["admin", "users", "add", ANN]) == 0
    text = capsys.readouterr().out
    assert f"Send this link to {ANN} to choose a password (Caliber does not email it)" in text
    assert cli.main(["admin", "users", "list"]) == 0
    table = capsys.readouterr().out
    assert "administrator" in table
    assert "analyst" in table


def test_a_signed_in_analyst_is_refused_and_an_admin_is_not(
    emulator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, added, _ = caliber(capsys, "admin", "users", "add", LEAD, "--role", "admin")
    assert code == 0
    set_password(emulator, added["password_link"], PASSWORD)
    code, _, err = caliber(capsys, "login", LEAD, "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    code, listed, err = caliber(capsys, "admin", "users", "list")
    assert code == 0, err
    assert [m["email"] for m in listed["items"]] == [LEAD]
    code, _, err = caliber(capsys, "admin", "users", "disable", LEAD)
    assert code == 4
    assert "You cannot disable your own account" in error_of(err)["message"]

    code, _, err = caliber(capsys, "login", ANN, "--create", "--password-stdin", stdin=PASSWORD)
    assert code == 0, err
    for command in (["users", "list"], ["users", "revoke", LEAD], ["users", "add", "x@y.com"]):
        code, _, err = caliber(capsys, "admin", *command)
        assert code == 5
        error = error_of(err)
        assert error["type"] == "AdminRequiredError"
        assert error["message"] == (
            f"Only a Caliber administrator can manage the team; {ANN} is an analyst. "
            "Ask your team's administrator."
        )
    listed_by_sdk = service_account_team(emulator)
    try:
        assert [m.email for m in listed_by_sdk.list_members()] == [ANN, LEAD]  # nothing changed
        assert not any(m.disabled for m in listed_by_sdk.list_members())
    finally:
        listed_by_sdk.close()


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("revoke", "Your administrator ended this session."),
        ("disable", "Your administrator disabled this account."),
    ],
)
def test_the_cli_refuses_a_session_the_admin_ended_and_never_resumes_it_offline(
    emulator: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: Any,
    workspace: Workspace,
    home: Path,
    action: str,
    sentence: str,
) -> None:
    code, login, err = caliber(capsys, "login", ANN, "--create", "--password-stdin", stdin=PASSWORD)
    assert code == 0, err
    uid = login["uid"]
    assert caliber(capsys, "campaigns", "list")[0] == 0
    past_this_second()
    team = service_account_team(emulator)
    try:
        if action == "revoke":
            team.revoke(ANN)
        else:
            team.set_disabled(ANN, True)
    finally:
        team.close()

    code, _, err = caliber(capsys, "campaigns", "list")
    assert code == 5
    assert error_of(err)["message"].startswith(sentence)
    # Seen once, kept: the refresh token is gone and the offline grace with it.
    assert (("Caliber Desktop", refresh_token_name(uid))) not in memory_keyring.secrets
    assert ("Caliber Desktop", LAST_USER) not in memory_keyring.secrets
    with workspace.store.read() as db:
        row = db.scalars(select(User).where(User.firebase_uid == uid)).one()
        assert row.last_login_at is None
    down = offline_host()
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", down)
    code, _, err = caliber(capsys, "campaigns", "list")
    assert code == 5
    assert "not signed in" in error_of(err)["message"]
    config = AuthConfig(api_key="", project_id=PROJECT, emulator_host=down)
    assert AuthService(config, SecretStore(), workspace.store).restore() is None


def test_a_revocation_seen_by_a_refresh_ends_the_offline_grace_too(
    emulator: str, workspace: Workspace, memory_keyring: Any
) -> None:
    """The window's path: ``ensure_fresh`` refused, then a restart without network."""
    config = AuthConfig(api_key="", project_id=PROJECT, emulator_host=emulator)
    auth = AuthService(config, SecretStore(), workspace.store)
    session = auth.sign_up(ANN, PASSWORD, "Ann")
    past_this_second()
    team = service_account_team(emulator)
    try:
        team.revoke(ANN)
    finally:
        team.close()
    session.expires_at = session.identity.verified_at  # an hour later: the token needs renewing
    with pytest.raises(Exception, match="Your administrator ended this session"):
        auth.ensure_fresh(session)
    offline = AuthService(
        AuthConfig(api_key="", project_id=PROJECT, emulator_host=offline_host()),
        SecretStore(),
        workspace.store,
    )
    assert offline.restore() is None
    # The analyst signs in again (a new sign-in is after the revocation): work goes on.
    again = AuthService(config, SecretStore(), workspace.store).sign_in(ANN, PASSWORD)
    assert again.identity.uid == session.identity.uid
    assert AuthService(config, SecretStore(), workspace.store).restore() is not None


def test_the_role_claim_reaches_the_session(emulator: str, workspace: Workspace) -> None:
    config = AuthConfig(api_key="", project_id=PROJECT, emulator_host=emulator)
    auth = AuthService(config, SecretStore(), workspace.store)
    session = auth.sign_up(ANN, PASSWORD)
    assert session.identity.role == "analyst"
    assert not session.identity.is_admin
    team = service_account_team(emulator)
    try:
        team.set_role(ANN, "admin")
    finally:
        team.close()
    refreshed = auth.refresh(session)
    assert refreshed.identity.role == "admin"
    assert refreshed.identity.is_admin


def test_no_token_password_key_or_link_is_left_on_disk_or_in_the_log(
    emulator: str,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: Any,
    home: Path,
) -> None:
    code, added, _ = caliber(capsys, "admin", "users", "add", LEAD, "--role", "admin")
    assert code == 0
    link = added["password_link"]
    set_password(emulator, link, PASSWORD)
    assert caliber(capsys, "login", LEAD, "--password-stdin", stdin=PASSWORD)[0] == 0
    code, added, _ = caliber(capsys, "admin", "users", "add", ANN)
    assert code == 0
    second_link = added["password_link"]
    for command in (["list"], ["role", ANN, "admin"], ["disable", ANN], ["revoke", ANN]):
        assert caliber(capsys, "admin", "users", *command)[0] == 0
    assert caliber(capsys, "whoami")[0] == 0
    refresh_tokens = [
        value for (_s, name), value in memory_keyring.secrets.items() if name.startswith("refresh")
    ]
    assert refresh_tokens
    written = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in written)
    text = "\n".join(p.read_bytes().decode("latin-1") for p in written)
    for secret in [*refresh_tokens, PASSWORD, link, second_link]:
        assert secret not in text
    for code_ in (parse_qs(urlsplit(x).query)["oobCode"][0] for x in (link, second_link)):
        assert code_ not in text
    assert "eyJ" not in text  # no JWT (ID token) nor emulator refresh token, whole or in part
