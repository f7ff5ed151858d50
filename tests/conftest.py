"""Fixtures shared by every test: a temporary data dir, an in-memory keyring, a second user.

No test touches the real home directory, the real keyring or the network beyond loopback.

Linux, macOS and Windows (CI runs all three). Tests are written once for all of them; where a
test cannot run on one, the skip is declared with its reason:

* ``tests/integration/test_secret_service.py``: Linux only (the Secret Service is the Linux
  desktop keyring; the macOS Keychain and Windows Credential Manager are never touched).
* ``@needs_symlinks`` (``tests/support/portability.py``), two housekeeping tests: skipped where
  creating a symlink needs privileges (Windows without elevation or Developer Mode).
* ``tests/unit/models/test_store.py``, the ``what?x=1`` data dir: ``?`` is illegal in Windows names.
* ``tests/unit/services/auth/test_tls_inspecting_proxy.py``, the company-CA case: Linux only
  (``SSL_CERT_FILE`` is OpenSSL's trust store, not the macOS or Windows one).
* The Firebase Auth Emulator (``tests/integration``) skips without Node.js/npm, on every OS.

What keeps the rest portable: text files are opened with ``encoding="utf-8"`` (cp1252 is the
default on Windows; ``tests/unit/packaging/test_portable_source.py`` and ruff PLW1514 check),
CSVs with ``newline=""``; a child process gets ``{**os.environ, ...}``, never an environment
built from scratch (Windows needs SYSTEMROOT), and the CLI's output is decoded as UTF-8 (a pipe
gets UTF-8 on every OS unless PYTHONIOENCODING says otherwise: caliber_desktop/console.py);
expected paths are built with ``Path``, never ``"a/b"`` literals; and a file lock left by a
killed process is polled for, since Windows frees it "eventually".
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Before anything asks keyring for its backend. In this process every test gets the in-memory
# keyring below; child processes (the e2e tests run `caliber` and `python -m caliber_desktop`)
# cannot share it, so they find no keyring, as on a CI machine without one, never the macOS
# Keychain or Windows Credential Manager of the machine running the tests. Forced, not
# setdefault: a developer's own PYTHON_KEYRING_BACKEND must not reach a test either.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import hypothesis
import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy.dialects.sqlite import insert

# The scripted local OpenAI-compatible server (tests/support/openai_server.py) as a fixture.
from support.openai_server import openai_server  # noqa: F401

from caliber_desktop.config import HOME_ENV
from caliber_desktop.models import User
from caliber_desktop.models.base import utcnow
from caliber_desktop.services.auth.profiles import to_ref
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.workspace import Workspace, open_workspace

# CI replays the same examples every run (a red CI is then reproducible, never luck); locally
# every run explores new ones, and a failure is saved in .hypothesis/ and replayed first.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in a dict for the test's lifetime."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process-wide backend ``keyring.get_keyring()`` (so ``SecretStore``) answers with.

    Replaced, not chained: the OS keyring is never called, even where one exists.
    """
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir through CALIBER_HOME."""
    root = tmp_path / "caliber-home"
    monkeypatch.setenv(HOME_ENV, str(root))
    return root


@pytest.fixture(autouse=True)
def _no_firebase_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's Firebase settings or running emulator never leak into a test.

    Tests that want the emulator get it from tests/integration's ``emulator`` fixture.
    """
    for name in (
        "FIREBASE_AUTH_EMULATOR_HOST",
        "CALIBER_FIREBASE_API_KEY",
        "CALIBER_FIREBASE_PROJECT_ID",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workspace(home: Path) -> Iterator[Workspace]:
    ws = open_workspace(home)
    yield ws
    ws.close()


def _add_user(ws: Workspace, uid: str, email: str) -> UserRef:
    """A signed-in (non-local) user row, as the sign-in service will create them."""
    now = utcnow()
    with ws.store.write() as session:
        session.execute(
            insert(User)
            .values(
                firebase_uid=uid,
                email=email,
                display_name=email.split("@")[0],
                is_local=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
        session.flush()
        row = session.query(User).filter_by(firebase_uid=uid).one()
        return to_ref(row)


@pytest.fixture
def add_user() -> Callable[[Workspace, str, str], UserRef]:
    """``add_user(workspace, firebase_uid, email)`` → a second, signed-in user."""
    return _add_user


@pytest.fixture(autouse=True)
def gui_thread_collector(request: pytest.FixtureRequest) -> Iterator[Any]:
    """In a test with a QApplication, cycles are collected on the GUI thread only, as in the app
    (``ui/shared/collector.py``: a collection on a worker deadlocked the window); what is left is
    collected here, on this thread, once the test is done. None in a test without Qt."""
    if "qapp" not in request.fixturenames:
        yield None
        return
    from caliber_desktop.ui.shared.collector import GuiThreadCollector

    collector = GuiThreadCollector(request.getfixturevalue("qapp"))
    yield collector
    collector.stop()
    collector.setParent(None)


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """Each workspace logs into its own temp data dir; close those files after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


#: The commands of ../shared/data/README.md that made the samples (same seed → same bytes).
SAMPLES = {
    "ttd_display_awareness_sample": "--platform trade_desk --channel display --rows 20000 "
    "--entities 2000 --seed 11 --goal awareness",
    "ttd_video_sample": "--platform trade_desk --channel video --rows 5000 --seed 12",
    "ttd_ctv_sample": "--platform trade_desk --channel ctv --rows 5000 --seed 13",
    "pulsepoint_display_sample": "--platform pulsepoint --channel display --rows 10000 "
    "--seed 14 --messy",
}
GENERATOR = REPO / "tests" / "support" / "make_reports.py"


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four sample reports with their truth files.

    ``../shared/data`` when this checkout sits beside it; otherwise the same files regenerated
    with the vendored generator (byte-identical CSVs, per the data README), so a clone anywhere
    runs the ground-truth tests instead of skipping them.
    """
    if SHARED_DATA.exists():
        return SHARED_DATA
    folder = tmp_path_factory.mktemp("shared-data")
    for name, options in SAMPLES.items():
        suffix = ".xlsx" if "video" in name else ".csv"
        subprocess.run(
            [sys.executable, str(GENERATOR), *options.split(),
             "--out", str(folder / f"{name}{suffix}"),
             "--truth", str(folder / f"{name}_truth.csv")],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return folder
