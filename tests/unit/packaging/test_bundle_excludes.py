"""What the bundle leaves out (build/bundle_config.py) against what the app imports.

The frozen app has no module that ``EXCLUDES`` names: an import of one fails there with
ModuleNotFoundError, which only a frozen run would show. These tests import every module of the
app, and the modules it loads lazily at run time (the AI client, the Firebase Admin SDK, Parquet,
Pillow's plugins), in a fresh interpreter where the excluded modules cannot be found, as in the
bundle; and, in a normal interpreter, check that the only excluded modules the app loads are the
ones it imports inside ``try/except ImportError`` (``GUARDED_IMPORTS``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.paths import REPO as ROOT

#: Variables a Windows process cannot do without (see test_bundle_spec.WINDOWS_ESSENTIALS).
WINDOWS_ESSENTIALS = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "PATHEXT", "COMSPEC")

#: Imports every module of the package, then does what the app does lazily at run time, and
#: prints the modules it loaded (not those the interpreter's start-up loaded, such as a venv's
#: ``.pth`` hooks). With BLOCKED set, a finder first refuses those modules (and their submodules)
#: the way the frozen app's importer does.
_IMPORT_ALL = r"""
import importlib, io, json, os, pkgutil, sys

AT_START = set(sys.modules)
BLOCKED = tuple(json.loads(os.environ.get("CALIBER_TEST_BLOCKED", "[]")))


class NotInTheBundle:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if any(name == gone or name.startswith(gone + ".") for gone in BLOCKED):
            raise ModuleNotFoundError(f"No module named {name!r} (excluded from the bundle)")
        return None


sys.meta_path.insert(0, NotInTheBundle)
import caliber_desktop

for info in pkgutil.walk_packages(caliber_desktop.__path__, "caliber_desktop."):
    if ".migrations." not in info.name + ".":
        importlib.import_module(info.name)

# What the app imports inside functions: the Firebase Admin SDK (services/auth/admin.py), the AI
# client (services/ai/client.py), a run frame's Parquet round trip (services/runs/site_rows.py),
# Pillow's image plugins (reportlab's images), the XLSX reader and writer, SciPy's special
# functions (which clone numpy's namespace, numpy.f2py included).
import firebase_admin, firebase_admin.auth, firebase_admin.credentials, firebase_admin.exceptions
import openai
import fastexcel, rustpy_xlsxwriter
import pyarrow as pa, pyarrow.parquet as pq
from PIL import Image
from scipy import special  # scoring's Beta quantiles (services/scoring/metrics.py)

buffer = io.BytesIO()
pq.write_table(pa.table({"site": ["a", "b"], "score": [1.0, 2.0]}), buffer, compression="zstd")
assert pq.read_table(io.BytesIO(buffer.getvalue())).num_rows == 2
assert 0 < special.betaincinv(2.0, 3.0, 0.5) < 1
Image.init()
print(json.dumps(sorted(set(sys.modules) - AT_START)))
"""


def bundle_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_config", ROOT / "build" / "bundle_config.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_everything(blocked: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "",
            "CALIBER_TEST_BLOCKED": json.dumps(blocked),
            **{name: os.environ[name] for name in WINDOWS_ESSENTIALS if name in os.environ},
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def excluded_among(loaded: set[str], excluded: set[str]) -> set[str]:
    return {
        gone
        for gone in excluded
        if any(name == gone or name.startswith(gone + ".") for name in loaded)
    }


def test_the_app_runs_without_any_excluded_module() -> None:
    """As in the bundle: every excluded module refused, the whole app still imports and works."""
    config = bundle_config()
    loaded = import_everything(list(config.EXCLUDES))
    assert "caliber_desktop.services.auth.admin" in loaded
    assert {"firebase_admin.auth", "openai", "pyarrow.parquet", "scipy.special"} <= loaded
    assert not excluded_among(loaded, set(config.EXCLUDES))


def test_only_guarded_imports_reach_an_excluded_module() -> None:
    """Unblocked, the app may load an excluded module only where it tries it and goes on."""
    config = bundle_config()
    loaded = import_everything([])
    unguarded = excluded_among(loaded, set(config.EXCLUDES) - set(config.GUARDED_IMPORTS))
    assert not unguarded, f"excluded from the bundle but imported by the app: {sorted(unguarded)}"
    # firebase_admin.auth alone: none of the Google Cloud stack its other services need.
    for heavy in ("grpc", "google.cloud", "google.protobuf", "opentelemetry", "google.api_core"):
        assert heavy in config.EXCLUDES
        assert not excluded_among(loaded, {heavy}), heavy


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        # Linux (PySide6/Qt/plugins), Windows and macOS (PySide6/Qt/plugins or PySide6/plugins)
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/plugins/platforms/qwindows.dll", True),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", True),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/plugins/imageformats/qico.dll", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqminimalegl.so", False),
        ("PySide6/plugins/platforms/qminimal.dll", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", False),
        ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-x11-integration.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/plugins/imageformats/qwebp.dll", False),
        # GTK's libraries go only from the top level (the build machine's system copies)
        ("libgtk-3.so.0", False),
        ("libcairo.so.2", False),
        ("libharfbuzz.so.0", False),
        ("pillow.libs/libharfbuzz-fb49c9fc.so.0.61450.0", True),
        ("libglib-2.0.so.0", True),
        ("libxkbcommon.so.0", True),
        # pyarrow: the SONAME stays, its two copies go
        ("pyarrow/libarrow_python.so.2600", True),
        ("pyarrow/libarrow_python.so", False),
        ("pyarrow/libarrow_python.so.2600.1.0", False),
        ("pyarrow/libarrow.so.2600", True),
        ("pyarrow/arrow_python.dll", True),
        ("pillow.libs/libavif-c6062d5f.so.16.4.2", False),
        ("PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", False),
        ("PySide6/Qt/lib/libQt6Gui.so.6", True),
    ],
)
def test_keep_prunes_plugins_and_libraries_by_layout(dest: str, kept: bool) -> None:
    assert bundle_config().keep((dest, "source", "BINARY")) is kept


def test_binaries_are_stripped_on_linux_only() -> None:
    config = bundle_config()
    assert config.strip_binaries("linux")
    assert not config.strip_binaries("darwin")
    assert not config.strip_binaries("win32")


def test_packages_that_read_their_own_metadata_get_it_in_the_bundle() -> None:
    """rustpy-xlsxwriter asks importlib.metadata for its version when imported: without its
    dist-info the frozen app's XLSX export failed (PackageNotFoundError)."""
    pytest.importorskip("PyInstaller")
    config = bundle_config()
    assert "rustpy-xlsxwriter" in config.METADATA_AT_IMPORT
    folders = {Path(dest).name for _source, dest in config.metadata()}
    assert any(f.startswith("rustpy_xlsxwriter-") and f.endswith(".dist-info") for f in folders)
