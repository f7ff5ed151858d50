"""The real Firebase Auth Emulator, from the pinned firebase-tools in package.json.

One emulator per test session: started by :func:`firebase_emulator` (``npm ci`` first when
``node_modules`` is missing), reached only on loopback, stopped with all its child processes at
the end (its process group on POSIX, ``taskkill /T`` on Windows, which has no groups to signal).
npm's launchers are found with ``shutil.which``, so Windows gets ``firebase.cmd``/``npm.cmd``.
Each test gets it with no accounts (:func:`emulator`). The CLI's update check and MOTD are off
(``CI=true``) and its config and debug log go to a temporary folder (``XDG_CONFIG_HOME`` is
honoured on every OS by firebase-tools' configstore), so nothing is written to the home
directory or the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from caliber_desktop.services.auth.api import API_KEY_ENV, EMULATOR_ENV, PROJECT_ENV

REPO = Path(__file__).resolve().parents[2]
#: Where npm puts package launchers: ``firebase`` (a script) on POSIX, ``firebase.cmd`` on Windows.
NPM_BIN = REPO / "node_modules" / ".bin"
WINDOWS = os.name == "nt"
PROJECT = "demo-caliber"  # demo-* projects need no credentials and never reach Google
DEFAULT_PORT = 9099
START_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _config(folder: Path, port: int) -> Path:
    """The repo's firebase.json with ports that are free on this machine (9099 when it is)."""
    config = json.loads((REPO / "firebase.json").read_text(encoding="utf-8"))
    emulators = config.setdefault("emulators", {})
    emulators["auth"] = {**emulators.get("auth", {}), "host": "127.0.0.1", "port": port}
    emulators["hub"] = {"host": "127.0.0.1", "port": _free_port()}
    emulators["logging"] = {"host": "127.0.0.1", "port": _free_port()}
    path = folder / "firebase.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def _firebase() -> str | None:
    """The firebase-tools launcher in node_modules/.bin (PATHEXT finds ``firebase.cmd``)."""
    return shutil.which("firebase", path=str(NPM_BIN))


def _own_process_group() -> dict[str, Any]:
    """Popen arguments that make the emulator the root of something :func:`_stop` can end."""
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the emulator with its children (the launcher's node process included)."""
    if process.poll() is not None:
        return
    if WINDOWS:  # no killpg: taskkill /T ends the process and every process it started
        subprocess.run(
            ["taskkill", "/PID", str(process.pid), "/T", "/F"], capture_output=True, check=False
        )
        process.wait(timeout=30)
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def firebase_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a running Firebase Auth Emulator for project ``demo-caliber``."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the Firebase Auth Emulator needs Node.js 20+")
    if _firebase() is None:
        npm = shutil.which("npm")  # npm.cmd on Windows
        if npm is None:
            pytest.skip("npm is not installed: cannot install firebase-tools (npm ci)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=REPO,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci failed:\n{done.stderr[-2000:]}")
    firebase = _firebase()
    if firebase is None:
        pytest.fail(f"npm ci did not install the firebase launcher into {NPM_BIN}")
    folder = tmp_path_factory.mktemp("firebase-emulator")
    port = DEFAULT_PORT if _port_free(DEFAULT_PORT) else _free_port()
    config = _config(folder, port)
    log_path = folder / "emulator.log"
    env = {
        **os.environ,
        "CI": "true",  # no MOTD fetch, no update notifier
        "XDG_CONFIG_HOME": str(folder / "config"),
        "NO_UPDATE_NOTIFIER": "1",
    }
    for name in (EMULATOR_ENV, API_KEY_ENV, PROJECT_ENV, "GOOGLE_APPLICATION_CREDENTIALS"):
        env.pop(name, None)
    command = [
        firebase, "emulators:start", "--only", "auth",
        "--project", PROJECT, "--config", str(config),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, **_own_process_group(),
        )  # fmt: skip
    host = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(f"http://{host}/"):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
                pytest.fail(f"the Firebase Auth Emulator did not start:\n{output}")
            time.sleep(0.25)
        yield host
    finally:
        _stop(process)


@pytest.fixture
def emulator(firebase_emulator: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The emulator with no accounts, and the environment pointing Caliber at it."""
    url = f"http://{firebase_emulator}/emulator/v1/projects/{PROJECT}/accounts"
    requests.delete(url, timeout=10).raise_for_status()
    monkeypatch.setenv(EMULATOR_ENV, firebase_emulator)
    monkeypatch.setenv(PROJECT_ENV, PROJECT)
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    return firebase_emulator
