"""The data dir, the typed settings file (atomic, self-healing) and the log file."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from caliber_desktop import config
from caliber_desktop.config import (
    HOME_ENV,
    SETTINGS_SCHEMA_VERSION,
    Paths,
    Settings,
    data_dir,
    default_paths,
    load_settings,
    save_settings,
    setup_logging,
)
from caliber_desktop.services.workspace import open_workspace


def broken_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("settings.json.broken-*"))


# ----------------------------------------------------------------------------- data dir


def test_caliber_home_moves_the_data_dir(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert data_dir() == home.resolve()
    assert default_paths().database == home.resolve() / "caliber.db"
    monkeypatch.setenv(HOME_ENV, "~/portable-caliber")
    assert data_dir() == (Path.home() / "portable-caliber").resolve()


def test_without_caliber_home_the_platform_dir_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOME_ENV)
    assert data_dir().name.lower() == "caliber"
    monkeypatch.setenv(HOME_ENV, "   ")
    assert data_dir().name.lower() == "caliber"


def test_opening_a_workspace_uses_caliber_home(home: Path) -> None:
    with open_workspace() as ws:
        assert ws.paths.root == home.resolve()
        for folder in (ws.paths.logs, ws.paths.uploads, ws.paths.exports):
            assert folder.is_dir()
        assert ws.paths.database.is_file()


# ----------------------------------------------------------------------------- settings


def test_a_missing_settings_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "settings.json") == Settings()
    assert not (tmp_path / "settings.json").exists()


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(log_level="DEBUG", sample_seeded=True)
    settings.uploads.max_size_mb = 5
    settings.uploads.preview_rows = 50
    settings.scoring.normalization = "minmax"
    settings.scoring.allow_percentile = 80.5
    settings.scoring.default_kpi_pixel = "03"

    save_settings(settings, path)
    loaded = load_settings(path)

    assert loaded == settings
    assert loaded.schema_version == SETTINGS_SCHEMA_VERSION
    assert broken_copies(tmp_path) == []


def test_save_is_atomic_and_leaves_only_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for max_size in (10, 20, 30):
        save_settings(Settings(uploads={"max_size_mb": max_size}), path)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["uploads"]["max_size_mb"] == max_size
        assert document["schema_version"] == SETTINGS_SCHEMA_VERSION


def test_a_crash_while_saving_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(log_level="WARNING"), path)
    before = path.read_bytes()

    def power_cut(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.os, "replace", power_cut)
    with pytest.raises(OSError, match="No space left"):
        save_settings(Settings(log_level="DEBUG"), path)

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]  # temp file removed


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{ not json", id="not-json"),
        pytest.param("[1, 2, 3]", id="not-an-object"),
        pytest.param('{"uploads": {"max_size_mb": -1}}', id="size-below-range"),
        pytest.param('{"uploads": {"max_size_mb": 99999999}}', id="size-above-range"),
        pytest.param('{"scoring": {"allow_percentile": 150}}', id="percentile-out-of-range"),
        pytest.param('{"log_level": "CHATTY"}', id="unknown-log-level"),
        pytest.param('{"schema_version": 0}', id="bad-schema-version"),
        pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    ],
)
def test_a_bad_settings_file_is_set_aside_and_defaults_are_used(
    tmp_path: Path, content: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    original = path.read_bytes()

    with caplog.at_level(logging.WARNING, logger="caliber_desktop.config"):
        loaded = load_settings(path)

    assert loaded == Settings()
    assert not path.exists()
    [aside] = broken_copies(tmp_path)
    assert aside.read_bytes() == original  # nothing the user typed is lost
    assert "using defaults" in caplog.text
    assert aside.name in caplog.text


def test_a_bad_settings_file_does_not_stop_the_workspace(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "settings.json").write_text('{"uploads": {"max_size_mb": -1}}', encoding="utf-8")
    with open_workspace(home) as ws:
        assert ws.settings == Settings()
        assert ws.uploads.max_bytes == Settings().uploads.max_size_mb * 2**20
        assert len(broken_copies(home)) == 1
        ws.settings.log_level = "DEBUG"
        ws.save_settings()
    assert load_settings(home / "settings.json").log_level == "DEBUG"


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"log_level": "ERROR", "future_option": true}', encoding="utf-8")
    assert load_settings(path).log_level == "ERROR"
    assert broken_copies(tmp_path) == []


def test_invalid_assignment_is_refused(tmp_path: Path) -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="max_size_mb"):
        settings.uploads.max_size_mb = 0


# ----------------------------------------------------------------------------- logging


def test_logging_writes_to_the_log_file(home: Path) -> None:
    paths = Paths(home)
    handler = setup_logging(paths, "INFO")
    assert setup_logging(paths, "INFO") is handler  # idempotent: one handler per file
    logging.getLogger("caliber_desktop.tests").warning("disk is %s", "fine")
    logging.getLogger("caliber_desktop.tests").debug("too chatty to keep")
    handler.flush()

    text = paths.log_file.read_text(encoding="utf-8")
    assert paths.log_file.parent == home / "logs"
    assert paths.log_file.name == config.PROCESS_LOG_NAME
    assert "WARNING" in text
    assert "caliber_desktop.tests: disk is fine" in text
    assert "too chatty" not in text


# A second Caliber on the same data dir that logs past the size limit. Its ``os.rename`` follows
# Windows: a file another process has open cannot be renamed (ERROR_SHARING_VIOLATION).
SECOND_PROCESS = """
import logging, os, sys
from pathlib import Path
from caliber_desktop.config import Paths, setup_logging

held_elsewhere = {os.path.normcase(p) for p in sys.argv[2:]}
real_rename = os.rename

def windows_rename(src, dst):
    if os.path.normcase(os.fspath(src)) in held_elsewhere:
        raise PermissionError(13, "The process cannot access the file because it is being used "
                              "by another process", os.fspath(src))
    real_rename(src, dst)

os.rename = windows_rename
paths = Paths(Path(sys.argv[1]))
setup_logging(paths, max_bytes=4000)
for n in range(200):
    logging.getLogger("caliber_desktop.second").warning("record %03d %s", n, "x" * 60)
print(paths.log_file)
"""


def test_two_processes_log_to_their_own_files_and_rotate_only_their_own(home: Path) -> None:
    paths = Paths(home)
    handler = setup_logging(paths, "INFO")
    logging.getLogger("caliber_desktop.first").warning("the window is open")
    handler.flush()  # this process now holds its log file open
    done = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(home), str(paths.log_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Logging error" not in done.stderr, done.stderr
    second = Path(done.stdout.strip())
    assert second.parent == paths.logs
    assert second != paths.log_file
    assert "record 199" in second.read_text(encoding="utf-8")
    assert second.with_name(second.name + ".1").exists()  # it rotated, its own file only
    assert "the window is open" in paths.log_file.read_text(encoding="utf-8")
    assert not paths.log_file.with_name(paths.log_file.name + ".1").exists()


def test_old_log_files_are_pruned_except_those_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    names = [f"caliber-202612{day:02d}-0900-{day}.log" for day in range(1, 36)]
    names += ["caliber.log", "caliber.log.3"]  # an older Caliber's shared file
    for age, name in enumerate(reversed(names)):
        path = folder / name
        path.write_text("x", encoding="utf-8")
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    in_use = folder / names[0]  # the oldest, held open by another process on Windows
    real_unlink = Path.unlink

    def windows_unlink(self: Path, missing_ok: bool = False) -> None:
        if self == in_use:
            raise PermissionError(13, "being used by another process", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", windows_unlink)
    removed = config.prune_logs(folder, keep=30)
    left = {p.name for p in folder.iterdir()}
    assert {p.name for p in removed} == set(names[:7]) - {in_use.name}
    assert left == set(names[7:]) | {in_use.name, "notes.txt"}


def test_the_workspace_logs_where_it_opened(home: Path) -> None:
    with open_workspace(home) as ws:
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert f"workspace {ws.paths.root} opened as user {ws.user.id}" in (
            ws.paths.log_file.read_text(encoding="utf-8")
        )


def test_auth_settings_default_to_the_local_profile_and_round_trip(home: Path) -> None:
    settings = Settings()
    assert (settings.auth.api_key, settings.auth.project_id) == ("", "")
    assert settings.auth.offline_grace_days == 7
    path = home / "settings.json"
    settings.auth.project_id = "caliber-prod"
    settings.auth.offline_grace_days = 3
    save_settings(settings, path)
    assert load_settings(path).auth.project_id == "caliber-prod"
    assert load_settings(path).auth.offline_grace_days == 3
    with pytest.raises(ValueError, match="offline_grace_days"):
        settings.auth.offline_grace_days = -1


def test_settings_written_before_the_auth_section_load_unchanged(home: Path) -> None:
    path = home / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 1, "log_level": "DEBUG"}), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.log_level == "DEBUG"
    assert loaded.auth.offline_grace_days == 7
    assert not broken_copies(home)
