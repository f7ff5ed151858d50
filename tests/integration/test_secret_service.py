"""SecretStore against a real Secret Service: GNOME Keyring on a private D-Bus session.

Why a subprocess: the Secret Service lives on a D-Bus session bus, and the test must neither use
the developer's own keyring nor leave a daemon behind. ``dbus-run-session`` starts a private bus,
``gnome-keyring-daemon`` starts on it with its keyrings in a temporary data dir, and this file is
run again as a script inside that session (``python test_secret_service.py MODE``); the daemons
end with the session. ``PYTHON_KEYRING_BACKEND`` forces the Secret Service backend, so the run
cannot silently pass on some other backend.

Locally the test skips when ``dbus-run-session`` or ``gnome-keyring-daemon`` is missing; in CI
(``CI`` set) it fails instead, because ``dev.py`` installs both (Debian ``dbus gnome-keyring``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SERVICE = "Caliber Desktop (integration test)"
UID = "firebase-uid-42"
TOKEN = "AMf-vBx-integration-refresh-token-7c1e"
API_KEY = "sk-integration-0d9c8b7a6f5e"
#: Unlocks (and on first use creates) the temporary login keyring; never a real one.
KEYRING_PASSWORD = "caliber-test-keyring"
BACKEND = "keyring.backends.SecretService.Keyring"
TOOLS = ("dbus-run-session", "gnome-keyring-daemon")

pytestmark = [
    pytest.mark.secret_service,
    # Declared, so the skip shows in every report of a macOS or Windows run (and CI there does
    # not fail for want of dbus/gnome-keyring): their keyrings are the macOS Keychain and the
    # Windows Credential Manager, which the suite never touches (tests/conftest.py).
    pytest.mark.skipif(
        not sys.platform.startswith("linux"),
        reason="the Secret Service (GNOME Keyring on D-Bus) is the Linux desktop keyring",
    ),
]


def _requirements() -> None:
    """Skip locally, fail in CI, when the real Secret Service cannot be started here."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    try:
        import secretstorage  # noqa: F401 - keyring's Secret Service backend needs it
    except ImportError:
        missing.append("the secretstorage Python package")
    if missing:
        reason = (
            f"a real Secret Service needs {', '.join(missing)} "
            "(Debian: apt-get install dbus gnome-keyring; dev.py does this when run as root)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Secret Service test: {reason}")
        pytest.skip(reason)


def _session(tmp_path: Path, mode: str, *, unlock: bool = True) -> dict[str, Any]:
    """Run ``mode`` of this file on a private bus with GNOME Keyring; its JSON report."""
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        # No display: GNOME Keyring must not pop a prompt on a developer's desktop.
        if key not in {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"}
        and not key.startswith(("GNOME_KEYRING", "XDG_"))
    }
    env |= {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),  # the keyring files
        "XDG_CONFIG_HOME": str(home / ".config"),  # no keyringrc.cfg of the developer's
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHON_KEYRING_BACKEND": BACKEND,
        "KEYRING_PASSWORD": KEYRING_PASSWORD,
    }
    start = (
        'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets'
        if unlock
        else "gnome-keyring-daemon --start --components=secrets"
    )
    script = f'{start} >/dev/null && exec "$0" "$@"'
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script, sys.executable, __file__, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    for secret in (TOKEN, API_KEY, KEYRING_PASSWORD):
        assert secret not in done.stderr, "a secret reached the log"
    assert done.returncode == 0, f"the {mode} session failed:\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["log"] = done.stderr
    return report


def test_secrets_survive_a_restart_in_gnome_keyring(tmp_path: Path) -> None:
    _requirements()
    first = _session(tmp_path, "write")
    assert first["available"] is True, first["problem"]
    assert first["backend"] == "SecretService Keyring"
    assert first["problem"] is None
    assert first["stored"] == [True, True, True]
    assert first["read_back"] == [UID, TOKEN, API_KEY]
    assert first["new_store_reads"] == [UID, TOKEN, API_KEY]
    assert first["after_delete"] is None

    second = _session(tmp_path, "read")  # a new bus and daemon over the same keyring files
    assert second["available"] is True, second["problem"]
    assert second["values"] == [UID, TOKEN, None]

    # On disk the keyring is encrypted: neither secret appears in any file in clear.
    files = [path for path in (tmp_path / "home").rglob("*") if path.is_file()]
    assert any(path.name.endswith(".keyring") for path in files)
    for path in files:
        data = path.read_bytes()
        assert TOKEN.encode() not in data
        assert API_KEY.encode() not in data

    gone = _session(tmp_path, "sign-out")
    assert gone["values"] == [None, None, None]


def test_a_locked_gnome_keyring_keeps_secrets_for_this_run_only(tmp_path: Path) -> None:
    _requirements()
    assert _session(tmp_path, "write")["available"] is True
    locked = _session(tmp_path, "locked", unlock=False)  # nobody types the password
    assert locked["available"] is False
    assert locked["backend"] == "SecretService Keyring"
    assert "is locked" in locked["problem"]
    assert "this run only" in locked["problem"]
    assert locked["stored"] is False
    assert locked["read_back"] == API_KEY  # from memory, for this run
    assert "KeyringLocked" in locked["log"]


# ----------------------------------------------------------------------------- inside the session


def _inside(mode: str) -> dict[str, Any]:
    import keyring

    from caliber_desktop.services.auth.secrets import (
        LAST_USER,
        OPENAI_API_KEY,
        SecretStore,
        refresh_token_name,
    )

    assert f"{type(keyring.get_keyring()).__module__}.Keyring" == BACKEND
    names = [LAST_USER, refresh_token_name(UID), OPENAI_API_KEY]
    store = SecretStore(SERVICE)
    report: dict[str, Any] = {
        "available": store.available,
        "backend": store.backend_name,
        "problem": store.problem,
    }
    if mode == "write":
        values = (UID, TOKEN, API_KEY)
        report["stored"] = [store.set(n, v) for n, v in zip(names, values, strict=True)]
        report["read_back"] = [store.get(name) for name in names]
        report["new_store_reads"] = [SecretStore(SERVICE).get(name) for name in names]
        store.delete(OPENAI_API_KEY)
        store.delete(OPENAI_API_KEY)  # idempotent against the real service too
        report["after_delete"] = SecretStore(SERVICE).get(OPENAI_API_KEY)
    elif mode == "read":
        report["values"] = [store.get(name) for name in names]
    elif mode == "sign-out":
        for name in names:
            store.delete(name)
        report["values"] = [SecretStore(SERVICE).get(name) for name in names]
    elif mode == "locked":
        report["stored"] = store.set(OPENAI_API_KEY, API_KEY)
        report["read_back"] = store.get(OPENAI_API_KEY)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return report


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    print(json.dumps(_inside(sys.argv[1])))
