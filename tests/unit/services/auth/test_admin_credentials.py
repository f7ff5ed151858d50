"""The administrator's service-account key: validated, kept only in the keyring (in parts that fit
Windows Credential Manager), never in the data dir or the log; who may act; no credentials.

The key is a real RSA key in a real service-account JSON, parsed by the real firebase-admin SDK;
the keyring is the in-memory backend of tests/conftest.py. Commands against the Firebase Auth
Emulator are in tests/integration/test_admin_emulator.py.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.cli_json import caliber

from caliber_desktop.cli import main as cli
from caliber_desktop.errors import AdminRequiredError, AuthError, ConfigError, ValidationError
from caliber_desktop.services.auth.admin import (
    KEY_ENTRY,
    PART_CHARS,
    ServiceAccountKey,
    TeamAdmin,
    check_caller,
)
from caliber_desktop.services.auth.api import AuthConfig
from caliber_desktop.services.auth.secrets import SecretStore
from caliber_desktop.services.auth.service import Identity, Session

SERVICE = "Caliber Desktop"


def service_account(project: str = "demo-caliber") -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": f"firebase-adminsdk-x1@{project}.iam.gserviceaccount.com",
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }


def key_body(fields: dict[str, str]) -> str:
    """The base64 body of the private key: what must never reach a file or the log."""
    lines = fields["private_key"].strip().splitlines()
    return "".join(lines[1:-1])


@pytest.fixture
def key_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    fields = service_account()
    path = tmp_path / "downloads" / "demo-caliber-firebase-adminsdk.json"
    path.parent.mkdir()
    path.write_text(json.dumps(fields, indent=2), encoding="utf-8")
    return path, fields


def every_file_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()
    )


def test_import_keeps_the_key_in_keyring_parts_and_nowhere_else(
    key_file: tuple[Path, dict[str, str]],
    memory_keyring: Any,
    home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, fields = key_file
    code, out, err = caliber(capsys, "admin", "credentials", "import", str(path))
    assert code == 0, err
    assert out == {
        "imported": True,
        "client_email": fields["client_email"],
        "project_id": "demo-caliber",
    }
    entries = {name: value for (service, name), value in memory_keyring.secrets.items()}
    parts = int(entries[KEY_ENTRY])
    assert parts >= 2  # a 2048-bit key does not fit one Windows Credential Manager entry
    assert all(len(entries[f"{KEY_ENTRY}:{i}"]) <= PART_CHARS for i in range(parts))
    joined = json.loads("".join(entries[f"{KEY_ENTRY}:{i}"] for i in range(parts)))
    assert joined["private_key"] == fields["private_key"]
    assert "auth_uri" not in joined  # only the fields the SDK needs are kept

    code, shown, _ = caliber(capsys, "admin", "credentials", "show")
    assert code == 0
    assert shown["service_account"]["client_email"] == fields["client_email"]
    assert shown["emulator"] is None

    body = key_body(fields)
    on_disk = every_file_text(home)
    assert body not in on_disk
    assert body[:64] not in on_disk  # not even a line of it (the log, settings, the store)
    assert "private_key" not in on_disk

    code, out, _ = caliber(capsys, "admin", "credentials", "forget")
    assert (code, out) == (0, {"forgotten": True})
    assert not [n for (_s, n) in memory_keyring.secrets if n.startswith(KEY_ENTRY)]
    code, out, _ = caliber(capsys, "admin", "credentials", "forget")
    assert out == {"forgotten": False}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json at all", "is not a service-account key"),
        (json.dumps({"type": "authorized_user", "client_id": "x"}), "is not a service-account"),
        (json.dumps({"type": "service_account", "project_id": "p"}), "lacks private_key_id"),
    ],
)
def test_import_refuses_what_is_not_a_key_without_quoting_it(
    tmp_path: Path, memory_keyring: Any, content: str, says: str
) -> None:
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        ServiceAccountKey(SecretStore()).import_file(path)
    assert says in str(caught.value)
    assert caught.value.field == "file"
    assert memory_keyring.secrets == {}


def test_a_damaged_private_key_is_refused_without_quoting_it(
    tmp_path: Path, memory_keyring: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = service_account()
    lines = fields["private_key"].splitlines()
    lines[5] = "A" * len(lines[5])
    fields["private_key"] = "\n".join(lines[:12] + lines[-1:])
    path = tmp_path / "key.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    code, _, err = caliber(capsys, "admin", "credentials", "import", str(path))
    assert code == 2
    assert "cannot be read" in json.loads(err)["error"]["message"]
    assert lines[3] not in err
    assert memory_keyring.secrets == {}


def test_a_missing_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = caliber(capsys, "admin", "credentials", "import", str(tmp_path / "nope.json"))
    assert code == 2
    assert "There is no file" in err


def test_import_is_refused_when_no_keyring_can_keep_it(
    key_file: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the memory keyring
    with pytest.raises(ConfigError) as caught:
        ServiceAccountKey(SecretStore()).import_file(key_file[0])
    assert "No working keyring" in str(caught.value)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(caught.value)


def _session(role: str, *, offline: bool = False) -> Session:
    now = datetime.now(UTC)
    identity = Identity("uid-1", "ann@example.com", "Ann", now, now, role=role)
    return Session(identity, "", now + timedelta(hours=1), offline=offline)


def test_only_an_admin_or_nobody_signed_in_may_act() -> None:
    check_caller(None)  # the holder of the credentials
    check_caller(_session("admin"))
    with pytest.raises(AdminRequiredError) as caught:
        check_caller(_session("analyst"))
    assert caught.value.exit_code == 5
    assert caught.value.reason == "not_admin"
    assert str(caught.value).startswith("Only a Caliber administrator can manage the team")
    with pytest.raises(AdminRequiredError) as caught:
        check_caller(_session("admin", offline=True))
    assert caught.value.reason == "offline"


def test_without_credentials_the_commands_say_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no gcloud ADC file
    monkeypatch.setenv("CALIBER_FIREBASE_PROJECT_ID", "demo-caliber")
    code, _, err = caliber(capsys, "admin", "users", "list")
    assert code == 5
    error = json.loads(err)["error"]
    assert error["type"] == "AuthError"
    assert "No administrator credentials on this computer" in error["message"]
    assert "caliber admin credentials import FILE" in error["message"]


def test_the_emulator_without_a_project_says_which_setting_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The emulator needs no credentials; without a project id the command says so (it once
    tried Application Default Credentials and ended with an unexpected error, exit 70)."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CALIBER_FIREBASE_PROJECT_ID", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    code, _, err = caliber(capsys, "admin", "users", "list")
    error = json.loads(err)["error"]
    assert (code, error["type"]) == (ConfigError.exit_code, "ConfigError")
    assert "Which Firebase project to administer is not set" in error["message"]
    assert "CALIBER_FIREBASE_PROJECT_ID" in error["message"]


def test_a_key_of_another_project_is_refused(
    key_file: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = SecretStore()
    ServiceAccountKey(secrets).import_file(key_file[0])
    config = AuthConfig(api_key="k", project_id="another-project")
    team = TeamAdmin(config, secrets, caller=None, environ={})
    with pytest.raises(ConfigError) as caught:
        team.list_members()
    assert "for the Firebase project demo-caliber" in str(caught.value)
    assert "another-project" in str(caught.value)


def test_bad_roles_and_addresses_are_refused_before_any_call(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = caliber(capsys, "admin", "users", "add", "not-an-address")
    assert code == 2  # before any credentials are looked for
    assert "is not an email address" in err
    with pytest.raises(SystemExit) as usage:
        cli.main(["admin", "users", "role", "ann@example.com", "owner"])
    assert usage.value.code == 2
    capsys.readouterr()


def test_refresh_errors_name_the_administrator() -> None:
    from caliber_desktop.services.auth.api import _error_for

    def reason(code: str) -> AuthError:
        return _error_for(400, {"error": {"message": code}})

    assert reason("USER_DISABLED").reason == "user_disabled"
    assert str(reason("USER_DISABLED")).startswith("Your administrator disabled this account.")
    assert reason("TOKEN_EXPIRED").reason == "session_revoked"
    assert str(reason("TOKEN_EXPIRED")).startswith("Your administrator ended this session.")
    assert reason("USER_NOT_FOUND").reason == "user_removed"
