#!/usr/bin/env python3
"""One entry point for developers, the same on Windows, macOS and Linux.

    python3 dev.py app     set up (first time) and launch Caliber Desktop
    python3 dev.py test    set up (first time) and run every check: ruff, mypy, layers, pytest
    python3 dev.py lock    re-pin requirements/constraints.txt from the current environment
    python3 dev.py bundle  set up, then build the one-folder app with PyInstaller (build/dist/);
                           --smoke also runs the frozen app's smoke test and a frozen CLI score

Set-up creates ``.venv`` beside this file and installs the project with the pinned versions in
``requirements/constraints.txt``; it is redone only when ``pyproject.toml`` or the pins change.
Only the standard library is used here, so a bare Python 3.11+ can run it.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
STAMP = VENV / ".caliber-setup"
NODE_MODULES = ROOT / "node_modules"
WINDOWS = platform.system() == "Windows"


def venv_bin(name: str) -> Path:
    folder = VENV / ("Scripts" if WINDOWS else "bin")
    return folder / (f"{name}.exe" if WINDOWS else name)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(sys.version.encode())
    return digest.hexdigest()


def run(*command: object, env: dict[str, str] | None = None) -> int:
    printable = " ".join(str(part) for part in command)
    print(f"$ {printable}", flush=True)
    return subprocess.call([str(part) for part in command], cwd=ROOT, env=env)


#: Shared libraries the Qt wheels load on Linux (offscreen and xcb platforms) and one font family,
#: so Qt has something to render text with. Debian/Ubuntu package names.
LINUX_QT_PACKAGES = [
    "libegl1",
    "libgl1",
    "libglib2.0-0",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libx11-xcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "fonts-dejavu-core",
]
#: What the tests need beyond the app: a real Secret Service (GNOME Keyring on a private
#: `dbus-run-session` bus) for tests/integration/test_secret_service.py, which fails under CI
#: without them rather than skipping.
LINUX_TEST_PACKAGES = ["dbus", "gnome-keyring"]


def system_packages(extra: list[str] | None = None) -> None:
    """On Debian-like Linux, install the missing Qt runtime libraries and ``extra`` (root only)."""
    if platform.system() != "Linux" or not shutil.which("dpkg-query"):
        return
    missing = [
        pkg
        for pkg in [*LINUX_QT_PACKAGES, *(extra or [])]
        if "install ok installed"
        not in subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        ).stdout
    ]
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        print(f"Caliber needs these system packages: sudo {' '.join(command)}", file=sys.stderr)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if run("apt-get", "update", "-qq", env=env) or run(*command, env=env):
        sys.exit("Installing the system packages failed: see the apt output above.")


def node_tools() -> None:
    """``npm ci`` the pinned test tools of package.json (the Firebase Auth Emulator).

    Redone when ``package-lock.json`` changed since the last install. Without Node.js the
    emulator tests skip and say why; CI has Node.js.
    """
    lock = ROOT / "package-lock.json"
    if not (ROOT / "package.json").exists() or not lock.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        print("Node.js/npm not found: the Firebase Auth Emulator tests will be skipped.")
        return
    stamp = NODE_MODULES / ".caliber-npm-ci"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    quiet = ["--silent"] if os.environ.get("CI") else []
    if run(npm, "ci", "--no-audit", "--no-fund", *quiet) != 0:
        sys.exit("npm ci failed: see the npm output above.")
    stamp.write_text(wanted)


def setup(system_extra: list[str] | None = None) -> None:
    """Create the virtual environment and install the pinned packages, if not done already."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is first
        sys.exit(f"Caliber needs Python 3.11 or newer; this is {platform.python_version()}.")
    system_packages(system_extra)
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and venv_bin("python").exists():
        return
    if not venv_bin("python").exists():
        print(f"Creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    python = venv_bin("python")
    quiet = ["--quiet"] if os.environ.get("CI") else []
    pins = ["-c", CONSTRAINTS] if CONSTRAINTS.exists() else []
    steps = [
        [python, "-m", "pip", "install", *quiet, "--upgrade", "pip"],
        [python, "-m", "pip", "install", *quiet, *pins, "-e", ".[dev]"],
    ]
    for step in steps:
        if run(*step) != 0:
            sys.exit("Set-up failed: see the pip output above.")
    STAMP.write_text(_fingerprint())


def cmd_app(args: list[str]) -> int:
    setup()
    if (
        platform.system() == "Linux"
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    ):
        print(
            "No display found. Run this from a desktop session, under `xvfb-run -a python3 dev.py "
            "app`, or with QT_QPA_PLATFORM=offscreen.",
            file=sys.stderr,
        )
        return 2
    return run(venv_bin("python"), "-m", "caliber_desktop", *args)


def cmd_test(args: list[str]) -> int:
    """Every check CI runs; pytest last so its summary is the closing line."""
    setup(LINUX_TEST_PACKAGES)
    node_tools()  # the app never needs Node.js; the emulator tests do
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    python = venv_bin("python")
    checks = [
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [python, "-m", "mypy"],
        [venv_bin("lint-imports")],
    ]
    failed = [" ".join(str(p) for p in check[1:4]) for check in checks if run(*check, env=env)]
    status = run(python, "-m", "pytest", *args, env=env)
    if failed:
        print(f"\nFailed checks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return status


def cmd_lock(_args: list[str]) -> int:
    setup()
    frozen = subprocess.run(
        [str(venv_bin("python")), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = sorted(
        (line for line in frozen.splitlines() if "==" in line and not line.startswith("-e")),
        key=str.lower,
    )
    header = "# Exact versions for CI and the quick start. Regenerate with: python3 dev.py lock\n"
    CONSTRAINTS.write_text(header + "\n".join(pins) + "\n")
    print(f"Wrote {len(pins)} pins to {CONSTRAINTS.relative_to(ROOT)}")
    return 0


def cmd_bundle(args: list[str]) -> int:
    """Build the one-folder bundle (build/build.py); ``--smoke`` runs the frozen app after."""
    setup()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return run(venv_bin("python"), ROOT / "build" / "build.py", *args, env=env)


COMMANDS = {"app": cmd_app, "test": cmd_test, "lock": cmd_lock, "bundle": cmd_bundle}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
