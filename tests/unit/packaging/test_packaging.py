"""Packaging decisions that only show on another OS, checked here where they can be.

The macOS signing options the spec passes to PyInstaller, the version Inno Setup's version
resource accepts, the installer's upgrade and uninstall rules, and the per-platform markers of
``dev.py lock``. Building and running on Windows and macOS is CI's (.github/workflows/ci.yml).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.paths import REPO as ROOT


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_macos_signing_uses_the_identity_and_entitlements_only_on_macos() -> None:
    config = load(ROOT / "build" / "bundle_config.py", "bundle_config")
    here = ROOT / "build"
    identity = {config.CODESIGN_IDENTITY_ENV: "Developer ID Application: Example Ltd (TEAM123)"}
    signed = config.codesign_options("darwin", identity, here)
    assert signed["codesign_identity"] == identity[config.CODESIGN_IDENTITY_ENV]
    assert Path(signed["entitlements_file"]).is_file()
    unsigned = {"codesign_identity": None, "entitlements_file": None}
    assert config.codesign_options("darwin", {}, here) == unsigned  # ad hoc
    assert config.codesign_options("win32", identity, here) == unsigned


@pytest.mark.parametrize(
    ("version", "numeric"),
    [("0.1.0", "0.1.0"), ("1.2.0rc1", "1.2.0"), ("1.2.0.dev3", "1.2.0"), ("2.0", "2.0")],
)
def test_the_installer_version_resource_gets_numbers_only(version: str, numeric: str) -> None:
    sys.path.insert(0, str(ROOT / "build"))
    try:
        build = load(ROOT / "build" / "build.py", "caliber_build_script")
    finally:
        sys.path.remove(str(ROOT / "build"))
    defines = build.inno_version_defines(version)
    assert f'#define AppVersion "{version}"' in defines
    assert f'#define AppVersionNumeric "{numeric}"' in defines


def iss_section(name: str) -> list[str]:
    text = (ROOT / "build" / "installer.iss").read_text(encoding="utf-8")
    body = re.split(rf"^\[{name}\]$", text, maxsplit=1, flags=re.M)[1].split("\n[", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip() and line[0] not in ";#"]


def test_the_installer_replaces_internal_on_upgrade_and_keeps_user_data() -> None:
    internal = 'Type: filesandordirs; Name: "{app}\\_internal"'
    assert iss_section("InstallDelete") == [internal]
    assert iss_section("UninstallDelete") == [internal]  # our folder only, never the data dir
    setup = iss_section("Setup")
    # The AppId is how an upgrade finds the installed version: it must never change.
    assert "AppId={{6A0E5C2B-8E7F-4C1D-9B53-CA11BE5DE5C7}" in setup
    assert "PrivilegesRequired=lowest" in setup
    assert "ArchitecturesInstallIn64BitMode=x64compatible" in setup
    assert "CloseApplications=yes" in setup
    assert not any(re.search(r"localappdata|Caliber\\Caliber", line) for line in setup)


def test_lock_markers_select_each_platform() -> None:
    dev = load(ROOT / "dev.py", "caliber_dev_script")
    every = list(dev.PLATFORM_MARKERS)
    assert dev._marker_for(every) == ""
    assert dev._marker_for(["linux"]) == 'sys_platform == "linux"'
    assert dev._marker_for(["macos-arm64", "macos-x86_64"]) == 'sys_platform == "darwin"'
    assert dev._marker_for(["linux", "windows", "macos-arm64"]) == (
        'sys_platform == "linux" or sys_platform == "win32" or '
        '(sys_platform == "darwin" and platform_machine == "arm64")'
    )


def test_constraints_pin_each_platform_only_where_it_belongs() -> None:
    lines = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = {line.split("==")[0].lower(): line for line in lines if "==" in line}
    assert pins["secretstorage"].endswith('; sys_platform == "linux"')
    assert pins["pywin32-ctypes"].endswith('; sys_platform == "win32"')
    assert pins["pefile"].endswith('; sys_platform == "win32"')
    assert pins["macholib"].endswith('; sys_platform == "darwin"')
    assert ";" not in pins["pyside6_essentials"]  # the same Qt everywhere
