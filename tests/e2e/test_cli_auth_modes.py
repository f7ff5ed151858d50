"""``caliber doctor`` names the sign-in mode; sign-in commands without Firebase configured."""

from __future__ import annotations

import json
import socket

import pytest

from caliber_desktop.cli import main as cli


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def doctor_check(capsys: pytest.CaptureFixture[str], name: str) -> dict[str, str]:
    _, out, _ = run(capsys, "doctor")
    checks = {check["name"]: check for check in json.loads(out)["checks"]}
    return checks[name]


def test_doctor_reports_the_local_profile_and_the_keyring(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, "doctor")
    checks = {check["name"]: check for check in json.loads(out)["checks"]}
    assert checks["sign-in"]["status"] == "ok"
    assert checks["sign-in"]["detail"].startswith("local profile")
    assert "keyring" in checks


def test_doctor_reports_a_firebase_project(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALIBER_FIREBASE_API_KEY", "AIza-test")
    monkeypatch.setenv("CALIBER_FIREBASE_PROJECT_ID", "caliber-prod")
    check = doctor_check(capsys, "sign-in")
    assert (check["status"], check["detail"]) == ("ok", "Firebase project caliber-prod")
    assert "AIza-test" not in json.dumps(check)


def test_doctor_warns_when_the_emulator_is_not_running(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", f"127.0.0.1:{port}")
    monkeypatch.setenv("CALIBER_FIREBASE_PROJECT_ID", "demo-caliber")
    check = doctor_check(capsys, "sign-in")
    assert check["status"] == "warn"
    assert f"Emulator at 127.0.0.1:{port}" in check["detail"]


def test_without_firebase_the_commands_run_as_the_local_profile(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "whoami")
    assert code == 0
    assert json.loads(out)["local_profile"]["is_local"] is True
    code, _, err = run(capsys, "login", "ann@example.com", "--password-stdin")
    assert code == 5
    assert "not configured" in json.loads(err)["error"]["message"]
    code, out, _ = run(capsys, "logout")
    assert (code, json.loads(out)["signed_out"]) == (0, False)
    assert run(capsys, "campaigns", "list")[0] == 0
