"""Sign-in against the real Firebase Auth Emulator: real HTTP, real (unsigned) emulator tokens,
the real store and SecretStore over the in-memory keyring backend."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from secrets import token_hex as secrets_token
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from caliber_desktop.errors import AuthError, NotFoundError
from caliber_desktop.models import User
from caliber_desktop.models.base import utcnow as utc_now
from caliber_desktop.services.auth.secrets import (
    LAST_USER,
    OPENAI_API_KEY,
    SecretStore,
    refresh_token_name,
)
from caliber_desktop.services.auth.service import AuthConfig, AuthService, Session
from caliber_desktop.services.startup import sample_report
from caliber_desktop.services.workspace import Workspace

pytestmark = pytest.mark.emulator

PROJECT = "demo-caliber"
SERVICE = "Caliber Desktop"
PASSWORD = "correct horse battery"
SETTINGS: dict[str, Any] = {
    "platform": "trade_desk",
    "goal": "action",
    "channel": "video",
    "ctr_sensitivity": True,
    "analysis_level": "supply_vendor",
}

SETTINGS_DISPLAY: dict[str, Any] = {
    **SETTINGS,
    "goal": "awareness",
    "channel": "display",
    "analysis_level": "domain",
}

MakeAuth = Callable[..., AuthService]


@pytest.fixture
def make_auth(emulator: str, workspace: Workspace) -> MakeAuth:
    """A fresh AuthService (as a new process would build it) over the workspace's store."""

    def make(
        *, clock: Callable[[], datetime] = utc_now, emulator_host: str | None = None
    ) -> AuthService:
        config = AuthConfig.from_settings(workspace.settings)
        if emulator_host is not None:
            config = replace(config, emulator_host=emulator_host)
        return AuthService(config, SecretStore(), workspace.store, clock=clock, timeout=5)

    return make


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthService:
    return make_auth()


def stored(memory_keyring: Any, name: str) -> str | None:
    value: str | None = memory_keyring.secrets.get((SERVICE, name))
    return value


def offline_host() -> str:
    """A loopback address nothing listens on: to the app, the network is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def later(days: float) -> Callable[[], datetime]:
    return lambda: utc_now() + timedelta(days=days)


def test_the_emulator_configures_sign_in(emulator: str, workspace: Workspace) -> None:
    config = AuthConfig.from_settings(workspace.settings)
    assert config.configured
    assert config.emulator_host == emulator
    assert config.project_id == PROJECT
    assert "Emulator" in config.mode


def test_sign_up_verifies_remembers_and_creates_the_user(
    auth: AuthService, workspace: Workspace, memory_keyring: Any
) -> None:
    session = auth.sign_up("ann@example.com", PASSWORD, "Ann Analyst")
    identity = session.identity
    assert (identity.email, identity.display_name) == ("ann@example.com", "Ann Analyst")
    assert identity.uid
    assert not session.offline
    assert session.remembered
    assert session.expires_at > utc_now() + timedelta(minutes=50)
    assert session.id_token
    assert session.id_token not in repr(session)

    refresh_token = stored(memory_keyring, refresh_token_name(identity.uid))
    assert refresh_token
    assert stored(memory_keyring, LAST_USER) == identity.uid

    user = auth.user_for(session)
    assert (user.email, user.display_name, user.is_local) == (
        "ann@example.com",
        "Ann Analyst",
        False,
    )
    assert user.id != workspace.user.id  # not the local profile


def test_sign_in_finds_the_same_user_row(make_auth: MakeAuth, workspace: Workspace) -> None:
    created = make_auth().sign_up("ann@example.com", PASSWORD)
    auth = make_auth()
    session = auth.sign_in("  ann@example.com ", PASSWORD)
    assert session.identity.uid == created.identity.uid
    assert session.identity.display_name == "ann"  # no name given: the email's local part
    first, again = auth.user_for(session), auth.user_for(session)
    assert first.id == again.id
    with workspace.store.read() as db:
        count = db.scalar(select(func.count()).select_from(User).where(User.is_local.is_(False)))
    assert count == 1


def test_a_wrong_password_is_refused_without_echoing_it(auth: AuthService) -> None:
    auth.sign_up("ann@example.com", PASSWORD)
    with pytest.raises(AuthError) as caught:
        auth.sign_in("ann@example.com", "not-the-password")
    # Firebase says INVALID_PASSWORD, or INVALID_LOGIN_CREDENTIALS with enumeration protection.
    assert caught.value.reason == "wrong_password"
    assert "password" in str(caught.value).lower()
    assert "not-the-password" not in str(caught.value)


def test_an_unknown_email_is_refused(auth: AuthService) -> None:
    with pytest.raises(AuthError) as caught:
        auth.sign_in("nobody@example.com", PASSWORD)
    assert caught.value.reason in ("unknown_email", "wrong_password")
    assert not caught.value.unreachable


def test_sign_up_errors_name_the_problem(auth: AuthService) -> None:
    auth.sign_up("ann@example.com", PASSWORD)
    with pytest.raises(AuthError) as exists:
        auth.sign_up("ann@example.com", PASSWORD)
    assert exists.value.reason == "email_exists"
    with pytest.raises(AuthError) as weak:
        auth.sign_up("bob@example.com", "123")
    assert weak.value.reason == "weak_password"
    assert "6 characters" in str(weak.value)
    with pytest.raises(AuthError) as empty:
        auth.sign_in("bob@example.com", "")
    assert empty.value.reason == "missing_password"


def test_password_reset_sends_a_code_and_does_not_reveal_accounts(
    auth: AuthService, emulator: str
) -> None:
    url = f"http://{emulator}/emulator/v1/projects/{PROJECT}/oobCodes"
    # The emulator keeps the codes of earlier tests (clearing accounts does not clear them;
    # caliber admin users add makes one per account): only this test's codes count.
    earlier = {c["oobCode"] for c in requests.get(url, timeout=10).json()["oobCodes"]}
    auth.sign_up("ann@example.com", PASSWORD)
    auth.send_password_reset("ann@example.com")
    auth.send_password_reset("nobody@example.com")  # no error: emails cannot be probed
    codes = [
        c for c in requests.get(url, timeout=10).json()["oobCodes"] if c["oobCode"] not in earlier
    ]
    assert [(c["email"], c["requestType"]) for c in codes] == [
        ("ann@example.com", "PASSWORD_RESET")
    ]


def test_refresh_gives_a_new_verified_token(auth: AuthService) -> None:
    session = auth.sign_up("ann@example.com", PASSWORD)
    refreshed = auth.refresh(session)
    assert refreshed.identity.uid == session.identity.uid
    assert refreshed.id_token
    assert not refreshed.offline
    assert refreshed.identity.verified_at >= session.identity.verified_at


def test_ensure_fresh_refreshes_only_near_expiry(make_auth: MakeAuth) -> None:
    session = make_auth().sign_up("ann@example.com", PASSWORD)
    assert make_auth().ensure_fresh(session) is session
    near_expiry = make_auth(clock=lambda: session.expires_at - timedelta(seconds=60))
    fresh = near_expiry.ensure_fresh(session)
    assert fresh is not session
    assert fresh.identity.uid == session.identity.uid


def test_sign_out_deletes_the_stored_refresh_token(
    auth: AuthService, make_auth: MakeAuth, memory_keyring: Any
) -> None:
    session = auth.sign_up("ann@example.com", PASSWORD)
    uid = session.identity.uid
    auth.sign_out(session)
    assert stored(memory_keyring, refresh_token_name(uid)) is None
    assert stored(memory_keyring, LAST_USER) is None
    assert session.id_token == ""
    with pytest.raises(AuthError) as caught:
        auth.refresh(session)
    assert caught.value.reason == "session_expired"
    assert make_auth().restore() is None


def test_two_users_never_see_each_other_s_campaigns(
    make_auth: MakeAuth, workspace: Workspace
) -> None:
    ann = make_auth().sign_up("ann@example.com", PASSWORD)
    bob = make_auth().sign_up("bob@example.com", PASSWORD)
    auth = make_auth()

    workspace.bind(auth.user_for(ann))
    secret_campaign = workspace.campaigns.create("Ann's Q4", settings=SETTINGS)

    workspace.bind(auth.user_for(bob))
    assert workspace.campaigns.list().items == []
    with pytest.raises(NotFoundError):
        workspace.campaigns.get(secret_campaign.id)
    workspace.campaigns.create("Bob's Q4", settings=SETTINGS)

    workspace.bind(auth.user_for(ann))
    assert [c.name for c in workspace.campaigns.list().items] == ["Ann's Q4"]


def test_restore_at_start_up_refreshes_the_remembered_user(make_auth: MakeAuth) -> None:
    session = make_auth().sign_up("ann@example.com", PASSWORD)
    restored = make_auth().restore()
    assert restored is not None
    assert restored.identity.uid == session.identity.uid
    assert not restored.offline
    assert restored.id_token


def test_without_remember_me_nothing_survives_the_run(
    make_auth: MakeAuth, memory_keyring: Any
) -> None:
    auth = make_auth()
    session = auth.sign_up("ann@example.com", PASSWORD, remember=False)
    assert not session.remembered
    assert memory_keyring.secrets == {}
    assert auth.refresh(session).identity.uid == session.identity.uid  # this run: in memory
    assert make_auth().restore() is None


def test_offline_restart_within_the_grace_uses_the_last_verified_identity(
    make_auth: MakeAuth, workspace: Workspace
) -> None:
    session = make_auth().sign_up("ann@example.com", PASSWORD, "Ann Analyst")
    down = offline_host()
    auth = make_auth(clock=later(3), emulator_host=down)

    restored = auth.restore()
    assert restored is not None
    assert restored.offline
    assert restored.identity.uid == session.identity.uid
    assert restored.identity.display_name == "Ann Analyst"
    assert abs(restored.identity.verified_at - session.identity.verified_at) < timedelta(seconds=1)
    assert restored.id_token == ""

    # Working offline never extends the grace: last_login_at stays at the online verification.
    user = auth.user_for(restored)
    workspace.bind(user)
    workspace.campaigns.create("Offline work", settings=SETTINGS)
    assert make_auth(clock=later(8), emulator_host=down).restore() is None
    # Back online, the same stored refresh token signs the analyst in again.
    assert make_auth().restore() is not None


def test_offline_restart_after_the_grace_requires_sign_in(
    make_auth: MakeAuth, memory_keyring: Any
) -> None:
    session = make_auth().sign_up("ann@example.com", PASSWORD)
    offline = make_auth(clock=later(7.5), emulator_host=offline_host())
    assert offline.restore() is None
    # The refresh token is kept: connecting again is enough, no password needed.
    assert stored(memory_keyring, refresh_token_name(session.identity.uid))


def test_an_unreachable_emulator_is_reported_as_such(make_auth: MakeAuth) -> None:
    auth = make_auth(emulator_host=offline_host())
    with pytest.raises(AuthError) as caught:
        auth.sign_in("ann@example.com", PASSWORD)
    assert caught.value.reason == "emulator_unreachable"
    assert caught.value.unreachable
    assert PASSWORD not in str(caught.value)


def test_ensure_fresh_goes_offline_when_the_network_drops(make_auth: MakeAuth) -> None:
    session = make_auth().sign_up("ann@example.com", PASSWORD)
    expired = Session(session.identity, session.id_token, utc_now() - timedelta(minutes=1))
    offline = make_auth(emulator_host=offline_host()).ensure_fresh(expired)
    assert offline.offline
    assert offline.identity.uid == session.identity.uid


def test_a_full_session_leaves_no_secret_in_the_data_dir_or_the_log(
    make_auth: MakeAuth, workspace: Workspace, memory_keyring: Any
) -> None:
    logging.getLogger().setLevel(logging.DEBUG)  # the most a user can turn on
    auth = make_auth()
    session = auth.sign_up("ann@example.com", PASSWORD, "Ann")
    secrets = [PASSWORD, session.id_token]
    secrets.append(stored(memory_keyring, refresh_token_name(session.identity.uid)) or "missing")
    refreshed = auth.refresh(session)
    secrets.append(refreshed.id_token)
    with pytest.raises(AuthError):
        auth.sign_in("ann@example.com", "a-wrong-password")
    secrets.append("a-wrong-password")
    workspace.bind(auth.user_for(refreshed))
    # The rest of a working session: the OpenAI key entered, a report imported and scored.
    api_key = "sk-test-" + secrets_token(24)
    assert SecretStore().set(OPENAI_API_KEY, api_key)
    secrets.append(api_key)
    campaign = workspace.campaigns.create("Ann's campaign", settings=SETTINGS_DISPLAY)
    workspace.uploads.attach(campaign.id, sample_report())
    run = workspace.runs.score_campaign(campaign.id)
    assert run.site_count > 1_000
    workspace.save_settings()
    auth.sign_out(refreshed)
    workspace.store.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    files = [path for path in workspace.paths.root.rglob("*") if path.is_file()]
    assert any(path.suffix == ".log" for path in files)
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a secret leaked into {path.name}"
