"""``python -m caliber_desktop``: the smoke run, the Qt probe, and who gets which arguments."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import types
from pathlib import Path

import pytest
from support.paths import REPO

from caliber_desktop import __main__ as entry
from caliber_desktop.config import HOME_ENV

SUBPROCESS_TIMEOUT_S = 120


def run_module(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        HOME_ENV: str(home),
        "QT_QPA_PLATFORM": "offscreen",
        # Whatever Qt or Python caches under the home folder, it is not the real one. On Windows
        # Path.home() reads USERPROFILE, not HOME (Qt asks the shell's known-folder API there,
        # which neither variable moves; the data dir is CALIBER_HOME on every OS).
        "HOME": str(home.parent / "user-home"),
        "USERPROFILE": str(home.parent / "user-home"),
    }
    return subprocess.run(
        [sys.executable, "-m", "caliber_desktop", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,  # the GUI writes in the locale's code page, as text=True reads
        errors="replace",
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )


@pytest.mark.e2e
def test_smoke_run_comes_up_and_says_ok(home: Path) -> None:
    first = run_module(home, "--smoke")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "SMOKE OK\n"
    settings = json.loads((home / "settings.json").read_text(encoding="utf-8"))
    assert settings["sample_seeded"] is True
    assert (home / "window-state.ini").is_file()
    # A second start reuses the data dir: no second sample, layout restored, still OK.
    second = run_module(home, "--smoke")
    assert second.returncode == 0, second.stderr
    assert second.stdout == "SMOKE OK\n"


@pytest.mark.e2e
def test_smoke_run_refuses_a_database_from_a_newer_caliber(home: Path) -> None:
    assert run_module(home, "--smoke").returncode == 0
    with sqlite3.connect(home / "caliber.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    refused = run_module(home, "--smoke")
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith("SMOKE FAILED: ")
    assert "newer version of Caliber" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.e2e
def test_qt_probe_prints_the_platform(home: Path) -> None:
    probe = run_module(home, "--qt-probe")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == "offscreen\n"


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        ([], "app"),
        (["--smoke"], "app"),
        (["--qt-probe"], "app"),
        (["doctor"], "cli"),
        (["--smoke", "score"], "cli"),
        (["--help"], "cli"),
    ],
)
def test_arguments_choose_gui_or_cli(
    argv: list[str], target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, list[str], dict[str, object]]] = []

    def fake(name: str) -> types.ModuleType:
        module = types.ModuleType(f"caliber_desktop.{name}")
        module.main = lambda args, **options: calls.append((name, list(args), options)) or 0  # type: ignore[attr-defined]
        return module

    monkeypatch.setitem(sys.modules, "caliber_desktop.app", fake("app"))
    monkeypatch.setitem(sys.modules, "caliber_desktop.cli.main", fake("cli"))
    assert entry.run(argv) == 0
    # a command runs in this process of its own, which ends with it (progress.one_shot)
    assert calls == [(target, argv, {"one_shot": True} if target == "cli" else {})]
