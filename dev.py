#!/usr/bin/env python3
"""One entry point for developers, the same on Windows, macOS and Linux.

    python3 dev.py app     set up (first time) and launch Caliber Desktop
    python3 dev.py cli ... set up (first time) and run the `caliber` command line with the rest,
                           e.g. `python3 dev.py cli score report.csv --out lists/`
    python3 dev.py test    set up (first time) and run every check: ruff, mypy, layers, pytest
    python3 dev.py lock    re-pin requirements/constraints.txt: this venv's versions for Linux,
                           plus Windows and macOS resolved from PyPI (run it on Linux)
    python3 dev.py bundle  set up, then build the one-folder app with PyInstaller (build/dist/);
                           --smoke also runs the frozen app's smoke test and a frozen CLI score

Set-up creates ``.venv`` beside this file and installs the project with the pinned versions in
``requirements/constraints.txt``; it is redone only when ``pyproject.toml`` or the pins change.
``app`` and ``cli`` install what the app needs; ``test``, ``bundle`` and ``lock`` add the ``dev``
extra (pytest, mypy, ruff, PyInstaller, ...) on top, and the Firebase emulator for the tests.
Only the standard library is used here, so a bare Python 3.11+ can run it. On Windows the
command is ``python dev.py ...`` or ``py -3 dev.py ...`` (there is no ``python3`` there); the venv's
programs are then in ``.venv\\Scripts`` (``venv_bin``), and nothing here touches apt.
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


def run(*command: object, env: dict[str, str] | None = None, echo: bool = True) -> int:
    if echo:
        printable = " ".join(str(part) for part in command)
        print(f"$ {printable}", flush=True)
    # Children write where this script's stdout points now (cmd_cli points it at stderr).
    redirected = sys.stdout if sys.stdout is not sys.__stdout__ else None
    return subprocess.call([str(part) for part in command], cwd=ROOT, env=env, stdout=redirected)


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
    # Root installs directly. In CI (hosted runners are not root, but sudo needs no password
    # there) through `sudo -n`; a developer is told the command instead of being asked for one.
    sudo: list[str] = []
    if os.geteuid() != 0:
        can_sudo = (
            bool(os.environ.get("CI"))
            and shutil.which("sudo") is not None
            and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        )
        if not can_sudo:
            print(f"Caliber needs these system packages: sudo {' '.join(command)}", file=sys.stderr)
            return
        sudo = ["sudo", "-n", "DEBIAN_FRONTEND=noninteractive"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if run(*sudo, "apt-get", "update", "-qq", env=env) or run(*sudo, *command, env=env):
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
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    quiet = ["--silent"] if os.environ.get("CI") else []
    if run(npm, "ci", "--no-audit", "--no-fund", *quiet) != 0:
        sys.exit("npm ci failed: see the npm output above.")
    stamp.write_text(wanted, encoding="utf-8")


def _stamped() -> tuple[str, str]:
    """``(fingerprint, what)`` of the last finished set-up; ``what`` is "app" or "dev"."""
    text = STAMP.read_text(encoding="utf-8") if STAMP.exists() else ""
    fingerprint, _, what = text.partition("\n")
    return fingerprint, what.strip() or "dev"  # a stamp from before "app" existed was a dev one


def setup(system_extra: list[str] | None = None, *, dev: bool = True) -> None:
    """Create the virtual environment and install the pinned packages, if not done already.

    ``dev=False`` (``app``, ``cli``) installs only what the app needs: on a fresh machine that is
    PySide6, pandas, pyarrow, scipy and friends, a couple of minutes of downloads; the ``dev``
    extra (the tools the tests and the bundle need) comes with the first ``test`` or ``bundle``.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is first
        sys.exit(f"Caliber needs Python 3.11 or newer; this is {platform.python_version()}.")
    system_packages(system_extra)
    fingerprint, what = _stamped()
    if fingerprint == _fingerprint() and (what == "dev" or not dev) and venv_bin("python").exists():
        return
    if not venv_bin("python").exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    python = venv_bin("python")
    quiet = ["--quiet"] if os.environ.get("CI") else []
    pins = ["-c", CONSTRAINTS] if CONSTRAINTS.exists() else []
    steps = [
        [python, "-m", "pip", "install", *quiet, "--upgrade", "pip"],
        [python, "-m", "pip", "install", *quiet, *pins, "-e", ".[dev]" if dev else "."],
    ]
    for step in steps:
        if run(*step) != 0:
            sys.exit("Set-up failed: see the pip output above.")
    STAMP.write_text(f"{_fingerprint()}\n{'dev' if dev else 'app'}", encoding="utf-8")


def cmd_app(args: list[str]) -> int:
    setup(dev=False)
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


def cmd_cli(args: list[str]) -> int:
    """``caliber ARGS`` from the venv, without activating it (``.venv/bin/caliber`` is the same).

    Set-up messages go to stderr, so ``python3 dev.py cli score f.csv --json`` pipes clean JSON.
    """
    stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        setup(dev=False)
    finally:
        sys.stdout = stdout
    return run(venv_bin("caliber"), *args, echo=False)


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


#: The platforms besides Linux that CI and the releases install on, for ``dev.py lock``: pip's
#: wheel platform tags and the PEP 508 environment its markers are evaluated in. PySide6 6.11's
#: macOS wheels are ``macosx_13_0``, so macOS 13 is the oldest the app runs on (the spec's
#: LSMinimumSystemVersion says the same).
LOCK_TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "windows": (
        "win_amd64",
        {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
         "platform_machine": "AMD64", "platform_release": "10", "platform_version": "10.0.19045"},
    ),
    "macos-arm64": (
        "macosx_13_0_arm64",
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin",
         "platform_machine": "arm64", "platform_release": "22.1.0", "platform_version": ""},
    ),
    "macos-x86_64": (
        "macosx_13_0_x86_64",
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin",
         "platform_machine": "x86_64", "platform_release": "22.1.0", "platform_version": ""},
    ),
}  # fmt: skip
#: PEP 508 markers that select each platform the lock pins for (Linux is where it runs).
PLATFORM_MARKERS = {
    "linux": 'sys_platform == "linux"',
    "windows": 'sys_platform == "win32"',
    "macos-arm64": 'sys_platform == "darwin" and platform_machine == "arm64"',
    "macos-x86_64": 'sys_platform == "darwin" and platform_machine == "x86_64"',
}
#: pip freeze leaves these out (they come with the venv); the other platforms' pins do the same.
UNPINNED = {"pip", "setuptools", "wheel", "distribute"}
#: Runs pip with its marker environment replaced by the target platform's: pip evaluates markers
#: against the running interpreter even with --platform (pypa/pip#10050, #6117), which would pin
#: Linux's SecretStorage for Windows and miss Windows' pywin32-ctypes. pip's internal API: if a
#: pip upgrade breaks this, `dev.py lock` fails loudly, never silently.
PIP_FOR_PLATFORM = """
import json, sys
import pip._vendor.packaging.markers as markers
target = {**markers.default_environment(), **json.loads(sys.argv[1])}
markers.default_environment = lambda: target
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _project_requirements() -> list[str]:
    """The project's dependencies and its ``dev`` extra, as pyproject.toml states them."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def _resolve_for(
    target: str, pins: dict[str, tuple[str, str]], unpinned: set[str]
) -> dict[str, tuple[str, str]]:
    """``{name: (display name, version)}`` pip would install on ``target`` (wheels only).

    The Linux pins constrain the resolution, so a package gets the same version everywhere it
    has a wheel for; packages in ``unpinned`` get the newest version with one.
    """
    import json
    import tempfile

    tag, environment = LOCK_TARGETS[target]
    environment = {**environment, "python_version": "3.11", "python_full_version": "3.11.9",
                   "implementation_name": "cpython", "implementation_version": "3.11.9",
                   "platform_python_implementation": "CPython"}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="caliber-lock-") as tmp:
        constraints, report = Path(tmp) / "pins.txt", Path(tmp) / "report.json"
        constraints.write_text(
            "".join(f"{n}=={v}\n" for key, (n, v) in pins.items() if key not in unpinned),
            encoding="utf-8",
        )
        done = subprocess.run(
            [str(venv_bin("python")), "-c", PIP_FOR_PLATFORM, json.dumps(environment),
             "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
             "--only-binary=:all:", "--platform", tag, "--python-version", "3.11",
             "--implementation", "cp", "--abi", "cp311", "-c", str(constraints),
             *_project_requirements()],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise LookupError(done.stderr.strip().splitlines()[-3:])
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    found: dict[str, tuple[str, str]] = {}
    for item in installs:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if _canonical(name) not in UNPINNED:
            found[_canonical(name)] = (name, version)
    return found


def _has_wheel(target: str, name: str, version: str) -> bool:
    tag = LOCK_TARGETS[target][0]
    return (
        subprocess.run(
            [str(venv_bin("python")), "-m", "pip", "install", "--dry-run", "--ignore-installed",
             "--no-deps", "--quiet", "--only-binary=:all:", "--platform", tag,
             "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
             f"{name}=={version}"],
            capture_output=True, check=False,
        ).returncode
        == 0
    )  # fmt: skip


def _marker_for(targets: list[str]) -> str:
    """The PEP 508 marker selecting ``targets`` ('' for every platform the lock covers)."""
    if set(targets) == set(PLATFORM_MARKERS):
        return ""
    chosen = list(targets)
    if {"macos-arm64", "macos-x86_64"} <= set(chosen):  # both Macs: one darwin term
        chosen = [t for t in chosen if not t.startswith("macos-")] + ["macos"]
    terms = ['sys_platform == "darwin"' if t == "macos" else PLATFORM_MARKERS[t] for t in chosen]
    if len(terms) == 1:
        return terms[0]
    return " or ".join(f"({term})" if " and " in term else term for term in terms)


def cmd_lock(_args: list[str]) -> int:
    """Pin every package for Linux, Windows and macOS (arm64, x86_64) in one constraints file.

    Linux's pins are what this venv has (pip freeze), exactly as before, so ``dev.py test`` on
    Linux installs the same set. The other platforms are resolved from PyPI for Python 3.11 with
    wheels only, under the Linux pins; a pin with no wheel for a platform is resolved afresh
    there. Packages that differ get environment markers (pip skips constraint lines whose markers
    do not match). Run it on Linux x86_64 with PyPI reachable.
    """
    if platform.system() != "Linux":
        print("Run `python3 dev.py lock` on Linux: the Linux pins are the frozen venv's.")
        return 2
    setup()
    frozen = subprocess.run(
        [str(venv_bin("python")), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    linux = {
        _canonical(name): (name, version)
        for name, _, version in (
            line.partition("==") for line in frozen.splitlines() if "==" in line
        )
        if not name.startswith("-e")
    }
    resolved = {"linux": linux}
    for target in LOCK_TARGETS:
        print(f"Resolving the pins for {target} ...", flush=True)
        try:
            resolved[target] = _resolve_for(target, linux, set())
        except LookupError:
            missing = {key for key, (n, v) in linux.items() if not _has_wheel(target, n, v)}
            print(f"  no {target} wheel at the Linux pin: {', '.join(sorted(missing))}")
            try:
                resolved[target] = _resolve_for(target, linux, missing)
            except LookupError as exc:
                print("\n".join(exc.args[0]), file=sys.stderr)
                return 1
    lines = []
    for key in sorted({key for pins in resolved.values() for key in pins}):
        by_version: dict[tuple[str, str], list[str]] = {}
        for target, pins in resolved.items():
            if key in pins:
                by_version.setdefault(pins[key], []).append(target)
        for (name, version), targets in by_version.items():
            marker = _marker_for(targets)
            lines.append(f"{name}=={version}" + (f"; {marker}" if marker else ""))
    header = (
        "# Exact versions for CI and the quick start. Regenerate with: python3 dev.py lock (on\n"
        "# Linux). Linux's pins are the frozen venv's; Windows (win_amd64) and macOS 13+ (arm64,\n"
        "# x86_64) are resolved for Python 3.11 from wheels. A line with a marker applies only\n"
        "# there; pip skips constraint lines whose markers do not match.\n"
    )
    CONSTRAINTS.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {len(lines)} pins to {CONSTRAINTS.relative_to(ROOT)}")
    return 0


def cmd_bundle(args: list[str]) -> int:
    """Build the one-folder bundle (build/build.py); ``--smoke`` runs the frozen app after."""
    setup()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return run(venv_bin("python"), ROOT / "build" / "build.py", *args, env=env)


COMMANDS = {
    "app": cmd_app,
    "cli": cmd_cli,
    "test": cmd_test,
    "lock": cmd_lock,
    "bundle": cmd_bundle,
}


def never_fail_on_a_character() -> None:
    """Print anything on any console: a Windows pipe or file is cp1252, with errors="strict".

    This script's own text is ASCII; a path (a user folder named in Cyrillic) may not be, and is
    then printed with backslash escapes instead of raising UnicodeEncodeError. An error handler
    set with PYTHONIOENCODING is kept.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def main() -> int:
    never_fail_on_a_character()
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
