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

from sqlalchemy.exc import DBAPIError

from caliber_desktop import __version__
from caliber_desktop.config import Paths, load_settings
from caliber_desktop.errors import CaliberError
from caliber_desktop.models.store import Store, head_revision, translate_db_error
from caliber_desktop.services.auth.secrets import NO_BACKEND, SecretStore

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
    "openai",
    "reportlab",
    "uharfbuzz",
)
#: Below this the data dir's disk gets a warning (imports copy reports in); below the second a
#: failure (SQLite cannot commit on a full disk).
LOW_DISK_BYTES = 500 * 1024 * 1024
FULL_DISK_BYTES = 50 * 1024 * 1024


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
    if free < FULL_DISK_BYTES:
        checks.append(
            Check(
                "disk space",
                Status.FAIL,
                f"{free / 2**20:,.0f} MB free on the data dir's disk",
                "Free some space: the database cannot save changes on a full disk.",
            )
        )
    elif free < LOW_DISK_BYTES:
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
    """Open (and migrate) the store, then ``PRAGMA integrity_check`` and ``foreign_key_check``."""
    try:
        store = Store.open(paths.database)
    except CaliberError as exc:
        return [Check("database", Status.FAIL, exc.message, exc.hint or _RESTORE)]
    try:
        try:
            revision = store.current_revision()
            mode = store.pragma("journal_mode")
        except DBAPIError as exc:
            failed = translate_db_error(exc, paths.database)
            return [Check("database", Status.FAIL, failed.message, failed.hint or _RESTORE)]
        checks = [
            Check("database", Status.OK, f"{paths.database} ({mode})"),
            Check("schema version", Status.OK, f"{revision} (this app: {head_revision()})"),
            check_integrity(store),
            check_foreign_keys(store),
        ]
        checks.append(check_housekeeping(paths, store))
    finally:
        store.close()
    return checks


#: What to do about a damaged database.
_RESTORE = (
    "Quit Caliber, then restore caliber.db from a backup or move it (with any caliber.db-wal "
    "beside it) out of the data dir to start with an empty store."
)


def check_integrity(store: Store) -> Check:
    """``PRAGMA integrity_check``: a damaged page fails here even when the file still opens."""
    try:
        problems = store.integrity_check()
    except DBAPIError as exc:  # "database disk image is malformed" raised rather than listed
        return Check(
            "integrity",
            Status.FAIL,
            f"{store.path} is damaged: {exc.orig}",
            _RESTORE,
        )
    if problems:
        shown = "; ".join(problems[:3]) + (
            f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        return Check("integrity", Status.FAIL, f"{store.path} is damaged: {shown}", _RESTORE)
    return Check("integrity", Status.OK, "PRAGMA integrity_check: ok")


def check_foreign_keys(store: Store) -> Check:
    """``PRAGMA foreign_key_check``: rows pointing at rows that no longer exist."""
    try:
        with store.engine.connect() as conn:
            rows = list(conn.exec_driver_sql("PRAGMA foreign_key_check"))
    except DBAPIError as exc:
        return Check("foreign keys", Status.FAIL, f"could not be checked: {exc.orig}", _RESTORE)
    if not rows:
        return Check("foreign keys", Status.OK, "PRAGMA foreign_key_check: ok")
    tables = sorted({str(row[0]) for row in rows})
    return Check(
        "foreign keys",
        Status.FAIL,
        f"{len(rows):,} rows refer to missing rows (in {', '.join(tables)})",
        _RESTORE,
    )


def check_housekeeping(paths: Paths, store: Store) -> Check:
    """What ``caliber clean`` would remove now (a dry run): old exports, orphans, temp files."""
    from caliber_desktop.services.maintenance import housekeeping

    settings = load_settings(paths.settings).housekeeping
    try:
        report = housekeeping.clean(paths, store, settings, dry_run=True)
    except (OSError, DBAPIError) as exc:
        return Check("clean-up", Status.WARN, f"could not look: {exc}")
    if not report.count:
        return Check("clean-up", Status.OK, "nothing to clean up")
    return Check(
        "clean-up",
        Status.OK,
        f"{report.summary().replace('Would remove', 'caliber clean would remove')}",
    )


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


def check_ai(paths: Paths, store: SecretStore) -> Check:
    """Whether the AI assistant has a key, and which endpoint and model it would use."""
    from caliber_desktop.services.ai.client import endpoint_host, find_key

    settings = load_settings(paths.settings).ai
    target = f"{settings.model} at {endpoint_host(settings)}"
    key, source = find_key(store)
    if key is None:
        return Check(
            "AI assistant",
            Status.WARN,
            f"no OpenAI key: offline insights only ({target} once a key is set)",
            "Enter the key in Settings › OpenAI API key, or set OPENAI_API_KEY.",
        )
    return Check("AI assistant", Status.OK, f"{target} (key from the {source})")


def check_auth(paths: Paths) -> Check:
    """Which sign-in applies: the local profile, a Firebase project, or the emulator (probed)."""
    import requests

    from caliber_desktop.services.auth.api import AuthConfig

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
    secrets = SecretStore()
    checks.append(check_keyring(secrets))
    checks.append(check_ai(paths, secrets))
    if qt_probe is not None:
        checks.append(check_qt(qt_probe))
    return Report(checks=checks, versions=package_versions())
