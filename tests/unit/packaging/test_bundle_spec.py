"""The PyInstaller spec's lists (build/bundle_config.py) against the package as it is now.

A new data file in the package must reach the bundle without anyone editing the spec, and an
exclusion must never remove a module the app loads: both would only show in the frozen app.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.paths import REPO as ROOT

#: Variables a Windows process cannot do without, kept in the otherwise empty environment: the
#: subprocess docs ask for a valid SystemRoot in any ``env`` given on Windows (without it
#: Winsock fails to load, WinError 10106), and a temp dir. Mostly absent elsewhere.
WINDOWS_ESSENTIALS = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "PATHEXT", "COMSPEC")


def bundle_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_config", ROOT / "build" / "bundle_config.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_data_file_of_the_package_is_bundled() -> None:
    pytest.importorskip("PyInstaller")
    config = bundle_config()
    on_disk = config.package_data_files(ROOT)
    assert any(path.name == "profiles.toml" for path in on_disk)
    collected = {
        (Path(dest) / Path(source).name).as_posix() for source, dest in config.data_files(ROOT)
    }
    missing = [
        path.relative_to(ROOT).as_posix()
        for path in on_disk
        if path.relative_to(ROOT).as_posix() not in collected
    ]
    assert not missing, f"not in the bundle: {missing}"
    # Alembic reads the migration scripts as files: they go in as source.
    assert "caliber_desktop/models/migrations/env.py" in collected
    assert any(item.startswith("caliber_desktop/models/migrations/versions/") for item in collected)


def test_every_file_of_resources_is_bundled_as_the_package_s_resources() -> None:
    """resources/ (icons, the sample report, fonts) is outside the package folder, so
    collect_data_files does not see it: data_files maps each file to caliber_desktop/resources."""
    pytest.importorskip("PyInstaller")
    config = bundle_config()
    folder = ROOT / "resources"
    on_disk = sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    assert {"__init__.py", "icons/caliber.svg", "fonts/DejaVuSans.ttf"} <= set(on_disk)
    assert any(name.startswith("samples/") and name.endswith(".csv") for name in on_disk)
    collected = {
        (Path(dest) / Path(source).name).as_posix(): Path(source)
        for source, dest in config.data_files(ROOT)
    }
    for name in on_disk:
        bundled = f"caliber_desktop/resources/{name}"
        assert bundled in collected, f"not in the bundle: resources/{name}"
        assert collected[bundled].resolve() == (folder / name).resolve()


def test_the_smoke_test_finds_a_resource_missing_from_the_built_bundle(tmp_path: Path) -> None:
    """build.py --smoke compares resources/ with the built folder's copy, byte for byte."""
    spec = importlib.util.spec_from_file_location("caliber_build", ROOT / "build" / "build.py")
    assert spec is not None
    assert spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    bundled = tmp_path / "_internal" / "caliber_desktop" / "resources"
    shutil.copytree(ROOT / "resources", bundled, ignore=shutil.ignore_patterns("__pycache__"))
    assert build.missing_resources(tmp_path) == []
    (bundled / "icons" / "caliber.svg").unlink()
    (bundled / "fonts" / "DejaVuSans.ttf").write_bytes(b"not a font")
    assert build.missing_resources(tmp_path) == ["fonts/DejaVuSans.ttf", "icons/caliber.svg"]


def test_no_excluded_module_is_loaded_by_the_app() -> None:
    """Import the app's entry points in a clean interpreter; none may need an excluded module."""
    config = bundle_config()
    code = (
        "import json, sys\n"
        "import caliber_desktop.app, caliber_desktop.cli.main\n"
        "import caliber_desktop.services.scoring.pipeline, caliber_desktop.services.runs.service\n"
        "import caliber_desktop.services.runs.site_rows\n"
        "import caliber_desktop.services.maintenance.doctor\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "",
            **{name: os.environ[name] for name in WINDOWS_ESSENTIALS if name in os.environ},
        },
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    excluded = set(config.EXCLUDES) - set(config.GUARDED_IMPORTS)
    clashes = sorted(
        name for name in loaded for gone in excluded if name == gone or name.startswith(gone + ".")
    )
    assert not clashes, f"excluded from the bundle but loaded by the app: {clashes}"


def test_the_entry_scripts_call_freeze_support_first() -> None:
    for name in ("entry_gui.py", "entry_cli.py"):
        text = (ROOT / "build" / name).read_text(encoding="utf-8")
        main = text[text.index('if __name__ == "__main__":') :]
        first = next(line.strip() for line in main.splitlines()[1:] if line.strip())
        assert first == "multiprocessing.freeze_support()", name


def test_truststore_s_platform_modules_reach_the_bundle() -> None:
    """services/tls.py verifies HTTPS through truststore on Windows and macOS, which then imports
    ``_windows`` or ``_macos`` under an ``if platform.system()``. PyInstaller follows every import
    statement (inside an ``if`` or a function too), not names built at run time: while both stay
    plain imports, the spec needs no hidden import for them (checked once with PyInstaller's
    ModuleGraph from caliber_desktop.services.tls; this is the fast guard)."""
    import ast

    import truststore

    def imported_names(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(("." * node.level) + node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        return found

    assert "truststore" in imported_names(ROOT / "caliber_desktop" / "services" / "tls.py")
    api = Path(truststore.__file__).with_name("_api.py")
    assert {"._windows", "._macos", "._openssl"} <= imported_names(api)
