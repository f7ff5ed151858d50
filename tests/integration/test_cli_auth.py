"""``caliber login / whoami / logout`` and signed-in commands against the Firebase Auth Emulator."""

from __future__ import annotations

import json

import pytest
from support.cli_json import caliber

pytestmark = pytest.mark.emulator

PASSWORD = "correct horse battery"


def test_login_whoami_and_logout(emulator: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = caliber(capsys, "campaigns", "list")
    assert code == 5
    assert "not signed in" in err

    code, who, _ = caliber(capsys, "whoami")
    assert code == 1
    assert who["signed_in"] is False

    code, login, err = caliber(
        capsys,
        "login", "ann@example.com", "--create", "--name", "Ann", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, err
    assert login["email"] == "ann@example.com"
    assert login["remembered"] is True
    assert "Emulator" in login["mode"]
    assert PASSWORD not in json.dumps(login)
    assert "token" not in json.dumps(login).lower()

    code, who, _ = caliber(capsys, "whoami")
    assert (code, who["uid"], who["offline"]) == (0, login["uid"], False)

    code, page, _ = caliber(capsys, "campaigns", "list")
    assert code == 0
    assert page["items"] == []

    code, out, _ = caliber(capsys, "logout")
    assert (code, out["signed_out"]) == (0, True)
    code, _, _ = caliber(capsys, "whoami")
    assert code == 1


def test_login_with_a_wrong_password_fails_cleanly(
    emulator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    caliber(capsys, "login", "ann@example.com", "--create", "--password-stdin",
            stdin=PASSWORD)  # fmt: skip
    code, _, err = caliber(
        capsys, "login", "ann@example.com", "--password-stdin", stdin="wrong-one\n"
    )
    assert code == 5
    error = json.loads(err)["error"]
    assert error["type"] == "AuthError"
    assert "password" in error["message"].lower()
    assert "wrong-one" not in err


def test_login_without_a_terminal_asks_for_password_stdin(
    emulator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = caliber(capsys, "login", "ann@example.com")
    assert code == 2
    assert "--password-stdin" in err
