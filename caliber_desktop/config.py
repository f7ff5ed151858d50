"""Where Caliber keeps its data, the typed settings object, and logging.

The data dir comes from platformdirs (``%LOCALAPPDATA%\\Caliber\\Caliber`` on Windows,
``~/Library/Application Support/Caliber`` on macOS, ``~/.local/share/caliber`` on Linux) and can be
moved with ``CALIBER_HOME`` for tests and portable installs. Settings are one pydantic model with a
schema version, saved atomically (temp file + fsync + rename) so a crash never leaves half a file.
Secrets never go here: they live in the OS keyring.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caliber_desktop.errors import ConfigError

APP_NAME = "Caliber"
APP_AUTHOR = "Caliber"
HOME_ENV = "CALIBER_HOME"
SETTINGS_SCHEMA_VERSION = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Paths:
    """Every location under the data dir, derived in one place."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "caliber.db"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        """This process's log: each window and each ``caliber`` command writes its own file."""
        return self.logs / PROCESS_LOG_NAME

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def qt_state(self) -> Path:
        """Window geometry and dock layout only (QSettings in INI format)."""
        return self.root / "window-state.ini"

    def ensure(self) -> Paths:
        for folder in (self.root, self.logs, self.uploads, self.exports):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def data_dir() -> Path:
    """The data dir: ``$CALIBER_HOME`` when set, else the platform's user data dir."""
    override = os.environ.get(HOME_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def default_paths() -> Paths:
    return Paths(data_dir())


# --------------------------------------------------------------------------- settings


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class UploadSettings(_Section):
    max_size_mb: int = Field(default=1024, ge=1, le=10_240)
    preview_rows: int = Field(default=20, ge=1, le=1000)


class ScoringSettings(_Section):
    min_impressions: int = Field(default=250, ge=0)
    allow_percentile: float = Field(default=75.0, gt=0, lt=100)
    block_percentile: float = Field(default=25.0, gt=0, lt=100)
    normalization: Literal["percentile", "minmax"] = "percentile"
    default_kpi_pixel: str = Field(default="01", pattern=r"^\d{2}$")
    #: A site goes on a list when the probability it belongs there reaches this (a template
    #: or campaign may set its own). Added in schema 1 with a default: older files load.
    decision_confidence: float = Field(default=0.90, ge=0.5, le=0.99)


class AuthSettings(_Section):
    """Firebase sign-in. Empty ``api_key``/``project_id`` means the local profile (no sign-in).

    The Firebase Web API key only names the project to Google's sign-in endpoints; it grants no
    access by itself, so it may live here. ``CALIBER_FIREBASE_API_KEY``,
    ``CALIBER_FIREBASE_PROJECT_ID`` and ``FIREBASE_AUTH_EMULATOR_HOST`` override it (see
    ``services.auth.AuthConfig``). Refresh tokens never come here: they live in the OS keyring.
    """

    api_key: str = ""
    project_id: str = ""
    #: Days a restart without network may reuse the last verified identity (0: never).
    offline_grace_days: int = Field(default=7, ge=0, le=90)


class AISettings(_Section):
    """The AI assistant. The API key is not here: it is in the OS keyring (or ``OPENAI_API_KEY``).

    ``base_url`` empty means OpenAI itself; any OpenAI-compatible endpoint (Azure OpenAI, a local
    server) works by setting it. Added in schema 1 with defaults, so older files load unchanged.
    """

    base_url: str = ""
    model: str = "gpt-4o-mini"
    max_tokens: int = Field(default=1200, ge=16, le=32_000)
    temperature: float = Field(default=0.3, ge=0.0, le=2.0)
    #: Seconds one request may take before it is abandoned (the SDK's default is 10 minutes).
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    #: Retries the SDK makes itself on 408/409/429/5xx and connection errors, with backoff.
    max_retries: int = Field(default=2, ge=0, le=10)
    cache_enabled: bool = True
    #: How long a generated insight is reused for the same campaign, type and context.
    cache_ttl_s: int = Field(default=3600, ge=0, le=30 * 24 * 3600)
    requests_per_minute: int = Field(default=60, ge=1, le=10_000)
    requests_per_hour: int = Field(default=1000, ge=1, le=100_000)


class HousekeepingSettings(_Section):
    """Cleaning the data dir. Added in schema 1 with defaults, so older files load unchanged."""

    #: Clean old exports and orphaned uploads when the window starts.
    clean_on_startup: bool = True
    #: Files in the data dir's exports folder older than this are removed by a clean-up.
    export_max_age_days: int = Field(default=30, ge=1, le=3650)


class Settings(_Section):
    """Everything a user can set, except secrets and window geometry."""

    schema_version: int = SETTINGS_SCHEMA_VERSION
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Set once the bundled sample campaign was offered, so deleting it does not bring it back.
    sample_seeded: bool = False
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    #: Added in schema 1 with a default, so files written before it load unchanged.
    auth: AuthSettings = Field(default_factory=AuthSettings)
    #: Column-mapping corrections the analyst chose to remember, per platform value:
    #: ``{"trade_desk": {"spend": "Advertiser Cost (USD)"}}``. Added in schema 1 with a default,
    #: so files written before it load unchanged.
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    ai: AISettings = Field(default_factory=AISettings)
    housekeeping: HousekeepingSettings = Field(default_factory=HousekeepingSettings)


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings document up to the current schema (none yet: version 1)."""
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ConfigError(f"Settings schema_version {version!r} is not a positive integer.")
    if version > SETTINGS_SCHEMA_VERSION:
        log.warning(
            "settings were written by a newer Caliber (schema %s > %s); unknown keys are ignored",
            version,
            SETTINGS_SCHEMA_VERSION,
        )
    raw["schema_version"] = SETTINGS_SCHEMA_VERSION
    return raw


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file gives defaults, a broken one is set aside, never fatal.

    A broken file is renamed ``settings.json.broken-<time>`` (so nothing the user typed is lost) and
    defaults are used; the reason is logged.
    """
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ConfigError("the settings file does not hold a JSON object")
        return Settings.model_validate(_migrate(raw))
    except (OSError, ValueError, ValidationError, ConfigError) as exc:
        aside = _unused(path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}"))
        try:
            path.replace(aside)
        except OSError:
            aside = path
        log.warning(
            "settings file %s is unusable (%s); using defaults, kept it as %s", path, exc, aside
        )
        return Settings()


def _unused(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``… if taken: a set-aside file never overwrites another."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def save_settings(settings: Settings, path: Path) -> None:
    """Write settings atomically: a crash leaves either the old or the new file, never half."""
    write_atomic(path, settings.model_dump_json(indent=2) + "\n")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- logging

_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

#: One log file per process. The window and ``caliber`` commands run at the same time on one data
#: dir; rotating a shared file renames it under the other process, which Windows refuses while
#: the file is open (the records are lost and logging prints tracebacks on the console). A
#: process only ever renames its own file. The name sorts by start time.
PROCESS_LOG_NAME = f"caliber-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
#: Log files kept in ``logs/`` (newest first, by modification time); older ones are removed when a
#: process starts logging. Files in use elsewhere (Windows refuses to delete them) are skipped.
KEEP_LOG_FILES = 30
LOG_MAX_BYTES = 2 * 1024 * 1024
LOG_BACKUPS = 2


class _DataDirLog(logging.handlers.RotatingFileHandler):
    """The data dir's log file; a marker type so a second data dir replaces, not adds, it."""


def prune_logs(folder: Path, keep: int = KEEP_LOG_FILES) -> list[Path]:
    """Delete all but the ``keep`` newest log files (rotated parts included); return those gone."""
    own = folder / PROCESS_LOG_NAME
    found = []
    for path in folder.glob("caliber*.log*"):
        if path.name.startswith(own.name):
            continue
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    found.sort(reverse=True)
    removed = []
    for _mtime, path in found[keep:]:
        try:
            path.unlink()
        except OSError:  # open in another process on Windows, or already gone
            continue
        removed.append(path)
    return removed


def setup_logging(
    paths: Paths, level: str = "INFO", *, max_bytes: int = LOG_MAX_BYTES
) -> logging.Handler:
    """Log to this process's own file in the data dir (rotated at 2 MB, two parts kept).

    Idempotent for one data dir; opening another (``--home``, tests) moves logging there. The
    file is created at the first record, so a command that logs nothing leaves no file.
    """
    paths.logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    target = str(paths.log_file)
    for handler in list(root.handlers):
        if isinstance(handler, _DataDirLog):
            if handler.baseFilename == target:
                return handler
            root.removeHandler(handler)
            handler.close()
    prune_logs(paths.logs)
    handler = _DataDirLog(
        target, maxBytes=max_bytes, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    root.addHandler(handler)
    return handler
