"""Health checks behind ``caliber doctor``: each says what it found and what to do about it."""

from __future__ import annotations

import platform
import shutil
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version

from caliber_desktop import __version__
from caliber_desktop.config import Paths, load_settings
from caliber_desktop.errors import CaliberError
from caliber_desktop.models.store import Store, head_revision
from caliber_desktop.services.secrets import NO_BACKEND, SecretStore

PACKAGES = (
    "PySide6-Essentials",
    "SQLAlchemy",
    "alembic",
    "pydantic",
    "platformdirs",
    "keyring",
    "numpy",
    "pandas",
    "pyarrow",
    "openpyxl",
    "xlrd",
    "google-auth",
    "requests",
)
LOW_DISK_BYTES = 500 * 1024 * 1024


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class Report:
    checks: list[Check]
    versions: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(check.status is not Status.FAIL for check in self.checks)


def package_versions() -> dict[str, str]:
    found = {"caliber-desktop": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def check_data_dir(paths: Paths) -> list[Check]:
    try:
        paths.ensure()
        probe = paths.root / f".write-probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return [
            Check(
                "data dir",
                Status.FAIL,
                f"{paths.root} is not writable ({exc.strerror or exc})",
                "Fix the folder's permissions or set CALIBER_HOME to a writable folder.",
            )
        ]
    checks = [Check("data dir", Status.OK, str(paths.root))]
    free = shutil.disk_usage(paths.root).free
    if free < LOW_DISK_BYTES:
        checks.append(
            Check(
                "disk space",
                Status.WARN,
                f"{free / 2**20:,.0f} MB free",
                "Imports copy reports into the data dir; free some space.",
            )
        )
    else:
        checks.append(Check("disk space", Status.OK, f"{free / 2**30:,.1f} GB free"))
    return checks


def check_settings(paths: Paths) -> Check:
    existed = paths.settings.exists()
    settings = load_settings(paths.settings)
    if existed and not paths.settings.exists():
        return Check(
            "settings",
            Status.WARN,
            "settings.json was unreadable and was set aside; defaults are in use",
            f"See {paths.logs} for the reason.",
        )
    return Check("settings", Status.OK, f"schema {settings.schema_version}")


def check_store(paths: Paths) -> list[Check]:
    try:
        store = Store.open(paths.database)
    except CaliberError as exc:
        return [Check("database", Status.FAIL, exc.message, exc.hint or "")]
    try:
        revision = store.current_revision()
        problems = store.integrity_check()
        mode = store.pragma("journal_mode")
    finally:
        store.close()
    checks = [
        Check("database", Status.OK, f"{paths.database} ({mode})"),
        Check("schema version", Status.OK, f"{revision} (this app: {head_revision()})"),
    ]
    if problems:
        checks.append(
            Check(
                "integrity",
                Status.FAIL,
                "; ".join(problems[:3]),
                "Restore caliber.db from a backup or move it away to start afresh.",
            )
        )
    else:
        checks.append(Check("integrity", Status.OK, "PRAGMA integrity_check: ok"))
    return checks


def check_keyring(store: SecretStore | None = None) -> Check:
    """The backend the app's own :class:`SecretStore` would use, probed the same way.

    Doctor and the app must agree: a backend doctor calls fine but the store refuses (plain
    text, the null backend, a locked keyring) is reported as the store sees it.
    """
    store = store or SecretStore()
    if store.available:
        return Check("keyring", Status.OK, store.backend_name)
    if store.plaintext:
        return Check(
            "keyring",
            Status.FAIL,
            f"{store.backend_name} stores secrets in plain text",
            "Uninstall keyrings.alt; Caliber keeps secrets only in the OS keyring.",
        )
    # The problem says what happens (this run only) and what to do; it is the whole message.
    problem = store.problem or "the keyring is unavailable"
    if store.backend_name != NO_BACKEND:
        problem = f"{store.backend_name}: {problem}"
    return Check("keyring", Status.WARN, problem)


def check_auth(paths: Paths) -> Check:
    """Which sign-in applies: the local profile, a Firebase project, or the emulator (probed)."""
    import requests

    from caliber_desktop.services.auth_api import AuthConfig

    config = AuthConfig.from_settings(load_settings(paths.settings))
    if config.emulator_host and config.configured:
        try:
            requests.get(f"http://{config.emulator_host}/", timeout=2)
        except requests.RequestException:
            return Check(
                "sign-in",
                Status.WARN,
                f"{config.mode}: not reachable",
                "Start it (npx firebase emulators:start --only auth) or unset "
                "FIREBASE_AUTH_EMULATOR_HOST.",
            )
    if config.emulator_host and not config.project_id:
        return Check(
            "sign-in",
            Status.WARN,
            f"FIREBASE_AUTH_EMULATOR_HOST={config.emulator_host} but no project id",
            "Set CALIBER_FIREBASE_PROJECT_ID (e.g. demo-caliber) or auth.project_id.",
        )
    return Check("sign-in", Status.OK, config.mode)


def check_qt(probe: Callable[[], str]) -> Check:
    """``probe`` starts Qt in a separate process (a missing display aborts the process)."""
    try:
        name = probe()
    except Exception as exc:
        return Check(
            "Qt platform",
            Status.WARN,
            f"the window cannot open here ({exc})",
            "The CLI works; for the window run in a desktop session "
            "(or set QT_QPA_PLATFORM=offscreen for tests).",
        )
    return Check("Qt platform", Status.OK, name)


def run(paths: Paths, qt_probe: Callable[[], str] | None = None) -> Report:
    checks = [Check("python", Status.OK, f"{sys.version.split()[0]} on {platform.platform()}")]
    data_dir = check_data_dir(paths)
    checks += data_dir
    if data_dir[0].status is not Status.FAIL:
        checks.append(check_settings(paths))
        checks += check_store(paths)
    checks.append(check_auth(paths))
    checks.append(check_keyring())
    if qt_probe is not None:
        checks.append(check_qt(qt_probe))
    return Report(checks=checks, versions=package_versions())
