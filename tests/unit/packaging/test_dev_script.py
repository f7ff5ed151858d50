"""``dev.py``'s set-up decisions: what the first ``app``, ``cli`` and ``test`` install.

The pip runs themselves are what CI's fresh clone exercises (``.ci/run``); here each decision is
checked on a scratch venv folder with pip's command recorded instead of run, so the test needs
no network and takes no minute.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.paths import REPO as ROOT

from tests.unit.packaging.test_packaging import load


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    module = load(ROOT / "dev.py", "caliber_dev_script_setup")
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "STAMP", venv / ".caliber-setup")
    monkeypatch.setattr(module, "WINDOWS", False)
    monkeypatch.setattr(module, "system_packages", lambda extra=None: None)
    commands: list[list[str]] = []
    monkeypatch.setattr(module, "run", lambda *c, **_: commands.append([str(p) for p in c]) or 0)
    return module, commands


def installs(commands: list[list[str]]) -> list[str]:
    return [c[-1] for c in commands if "install" in c and "-e" in c]


def test_app_installs_the_app_only_and_test_adds_the_dev_tools_once(
    dev: tuple[ModuleType, list[list[str]]],
) -> None:
    module, commands = dev
    module.setup(dev=False)
    assert installs(commands) == ["."]
    module.setup(dev=False)  # stamped: nothing to do
    assert installs(commands) == ["."]
    module.setup()  # `test` wants the dev extra on top
    assert installs(commands) == [".", ".[dev]"]
    module.setup(dev=False)  # a dev venv serves the app too
    module.setup()
    assert installs(commands) == [".", ".[dev]"]


def test_a_stamp_from_before_the_app_only_set_up_counts_as_a_dev_one(
    dev: tuple[ModuleType, list[list[str]]],
) -> None:
    module, commands = dev
    module.STAMP.write_text(module._fingerprint(), encoding="utf-8")  # the old one-line stamp
    module.setup()
    module.setup(dev=False)
    assert installs(commands) == []


def test_a_changed_pin_redoes_the_set_up(dev: tuple[ModuleType, list[list[str]]]) -> None:
    module, commands = dev
    module.STAMP.write_text("another fingerprint\ndev", encoding="utf-8")
    module.setup(dev=False)
    assert installs(commands) == ["."]


def test_cli_sends_the_set_up_output_to_stderr_and_the_command_output_to_stdout(
    tmp_path: Path,
) -> None:
    """``python3 dev.py cli ... --json | jq`` must see only the command's output."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import runpy, sys\n"
        f"dev = runpy.run_path({str(ROOT / 'dev.py')!r})\n"
        "setup_globals = dev['setup'].__globals__\n"
        "def fake_setup(system_extra=None, *, dev=True):\n"
        "    print('setting up')\n"
        "    setup_globals['run'](sys.executable, '-c', 'print(\"pip output\")')\n"
        "setup_globals['setup'] = fake_setup\n"
        "setup_globals['venv_bin'] = lambda name: sys.executable\n"
        "sys.exit(dev['cmd_cli'](['-c', 'print(\"command output\")']))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, encoding="utf-8", check=True
    )
    assert done.stdout.split() == ["command", "output"]
    assert "setting up" in done.stderr
    assert "pip output" in done.stderr
