"""What goes into the bundle: shared by ``caliber.spec`` and the test that checks the spec.

Standard library only at import time (``data_files`` imports PyInstaller when called), so the
tests can check the lists without PyInstaller doing any work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGE = "caliber_desktop"

#: Qt modules Caliber never imports. PySide6's hooks collect the libraries and plugins of every
#: Qt module that is imported, so naming them here keeps their libraries out of the bundle.
#: The app uses QtCore, QtGui, QtWidgets and QtSvg (the SVG icon); pyqtgraph also imports QtOpenGL
#: and QtOpenGLWidgets unconditionally, so those stay.
QT_MODULES_UNUSED = [
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtBluetooth",
    "QtCanvasPainter",
    "QtCharts",
    "QtConcurrent",
    "QtDataVisualization",
    "QtDBus",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtPrintSupport",
    "QtQml",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtSvgWidgets",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
]
QT_EXCLUDES = [f"PySide6.{name}" for name in QT_MODULES_UNUSED]

#: Python packages that are installed for development or pulled in optionally by a dependency,
#: but never used by the app.
PY_EXCLUDES = [
    "tkinter",
    "_tkinter",
    "turtle",
    "matplotlib",
    "IPython",
    "ipykernel",
    "jedi",
    "notebook",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "ruff",
    "importlinter",
    "grimp",
    "pypdf",
    # Bench-only peers (the dev extra); fastexcel names polars in a lazy import the app never runs.
    "polars",
    "duckdb",
    "PyInstaller",
    "pip",
    "docutils",
    "sphinx",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "pyqtgraph.opengl",
    "pyqtgraph.examples",
    "OpenGL",
    "pandas.tests",
    # SciPy: the scoring uses scipy.special (betaincinv) only.
    "scipy.cluster",
    "scipy.constants",
    "scipy.datasets",
    "scipy.differentiate",
    "scipy.fft",
    "scipy.fftpack",
    "scipy.integrate",
    "scipy.interpolate",
    "scipy.io",
    "scipy.linalg",
    "scipy.misc",
    "scipy.ndimage",
    "scipy.odr",
    "scipy.optimize",
    "scipy.signal",
    "scipy.sparse",
    "scipy.spatial",
    "scipy.stats",
    "pyarrow.tests",
    # Arrow Flight (RPC), cloud and Hadoop file systems, ORC and CUDA: the app reads local files
    # and keeps run frames as Parquet, nothing else. Their libraries go too (PRUNED_BINARIES).
    "pyarrow.flight",
    "pyarrow._flight",
    "pyarrow._s3fs",
    "pyarrow._gcsfs",
    "pyarrow._azurefs",
    "pyarrow._hdfs",
    "pyarrow.orc",
    "pyarrow._orc",
    "pyarrow._dataset_orc",
    "pyarrow.cuda",
    "pyarrow._cuda",
    "lib2to3",
    "pydoc_data",
    # Arrow's Substrait bridge, Parquet encryption, the JSON/Feather readers, its C++ test
    # module, the JVM/CFFI bridges: the app reads CSV and writes/reads plain Parquet. (Their C++
    # libraries stay: pyarrow's lib.so links every one of them.)
    "pyarrow.substrait",
    "pyarrow._substrait",
    "pyarrow.parquet.encryption",
    "pyarrow._parquet_encryption",
    "pyarrow._dataset_parquet_encryption",
    "pyarrow.json",
    "pyarrow._json",
    "pyarrow.feather",
    "pyarrow._feather",
    "pyarrow._pyarrow_cpp_tests",
    "pyarrow.jvm",
    "pyarrow.cffi",
    "pyarrow.benchmark",
    # firebase-admin: the app imports firebase_admin.auth (with .credentials and .exceptions)
    # only. Its other services and the Google Cloud client stack they pull in (gRPC, protobuf,
    # Firestore, Storage, OpenTelemetry) stay out.
    "firebase_admin.firestore",
    "firebase_admin.firestore_async",
    "firebase_admin.storage",
    "firebase_admin.db",
    "firebase_admin.messaging",
    "firebase_admin.ml",
    "firebase_admin.functions",
    "firebase_admin.remote_config",
    "firebase_admin.project_management",
    "firebase_admin.instance_id",
    "grpc",
    "grpc_status",
    "google.cloud",
    "google.api_core",
    "google.protobuf",
    "google.rpc",
    "google.type",
    "google.longrunning",
    "google.resumable_media",
    "google_crc32c",
    "proto",
    "opentelemetry",
    # httpx's own command line (httpx._main, imported in try/except ImportError) is all that
    # loads click, rich and pygments; Mako's syntax highlighting tries pygments the same way.
    "httpx._main",
    "click",
    "rich",
    "pygments",
    # Pillow's AVIF codec (its libavif is 5 MB); Pillow tries it in try/except ImportError.
    "PIL._avif",
    "PIL.AvifImagePlugin",
    # Build tooling some packages name in optional imports.
    "setuptools",
    "pkg_resources",
    "_distutils_hack",
    "distutils",
    # Test inputs and a bench baseline only (the dev extra); pandas names it as an Excel engine.
    "xlsxwriter",
    # The dev extra's OOXML validator parses with lxml; openpyxl would pick it up when present
    # (it tries it in try/except ImportError) and uses its own parser without it, as the app has.
    "lxml",
]

EXCLUDES = QT_EXCLUDES + PY_EXCLUDES

#: Excluded modules that are nevertheless imported, always inside ``try/except ImportError``:
#: pyarrow.fs tries the cloud file systems and goes on without them.
#: pyqtgraph tries QtTest the same way, pyarrow.dataset its optional formats, httpx its command
#: line (which loads click, rich and pygments), Mako pygments, Pillow its AVIF codec, openpyxl
#: lxml. In a development venv setuptools' ``_distutils_hack`` is loaded by a ``.pth`` file at
#: start-up, which the frozen app has not.
#: ``tests/unit/packaging/test_bundle_excludes.py`` imports the app with all of EXCLUDES blocked
#: (as in the bundle), so an import that is not guarded fails there.
GUARDED_IMPORTS = [
    "pyarrow._s3fs",
    "pyarrow._gcsfs",
    "pyarrow._azurefs",
    "pyarrow._hdfs",
    "PySide6.QtTest",
    # pyarrow.dataset (pq.read_table's reader) tries ORC, Parquet encryption, JSON, Substrait
    "pyarrow._dataset_orc",
    "pyarrow._dataset_parquet_encryption",
    "pyarrow._parquet_encryption",
    "pyarrow._json",
    "pyarrow._substrait",
    "pyarrow.substrait",
    "httpx._main",
    "click",
    "rich",
    "pygments",
    "PIL._avif",
    "PIL.AvifImagePlugin",
    "lxml",
    "_distutils_hack",
]

#: Libraries a hook collects wholesale (pyarrow's collects every .so in its folder) that only the
#: excluded modules above load; matched against the file name.
PRUNED_BINARIES = (
    "libarrow_flight",
    "libarrow_python_flight",
    "libarrow_s3",
    "libarrow_python_parquet_encryption",
    "libavif",  # Pillow's AVIF codec (pillow.libs/libavif-<hash>.so), loaded by PIL._avif only
    "libQt6EglFSDeviceIntegration",  # the EGLFS platform's (pruned below)
    "libQt6EglFsKmsSupport",
)

#: Qt plugins a desktop session does not load (folder under ``plugins/``, file name without a
#: ``lib`` prefix or suffix): the embedded-device platforms (EGLFS, LinuxFB, VNC, the minimal
#: ones, the Vulkan display) with their device integrations and evdev input, image formats the
#: app never reads (its images are SVG and PNG), and the GTK 3 platform theme, which alone brought
#: GTK, GDK, Cairo, Pango and ATK from the build machine (19 MB, LINUX_GTK_THEME_LIBRARIES).
#: Without it Qt on Linux uses the XDG desktop portal's theme (native file dialogs through the
#: portal) or its own. xcb, wayland, offscreen (the smoke test), windows, cocoa, the input
#: contexts and xdgdesktopportal stay.
PRUNED_QT_PLUGINS = (
    ("platforms", "qeglfs"),
    ("platforms", "qlinuxfb"),
    ("platforms", "qminimal"),  # and qminimalegl
    ("platforms", "qvkkhrdisplay"),
    ("platforms", "qvnc"),
    ("platforms", "qdirect2d"),
    ("egldeviceintegrations", ""),
    ("generic", ""),
    ("platformthemes", "qgtk3"),
    ("imageformats", "qgif"),
    ("imageformats", "qicns"),
    ("imageformats", "qtga"),
    ("imageformats", "qtiff"),
    ("imageformats", "qwbmp"),
    ("imageformats", "qwebp"),
)
#: System libraries (top level of the bundle, Linux) that only the GTK 3 theme plugin needs: found
#: with the DT_NEEDED closure of every extension module and kept plugin of the bundle.
LINUX_GTK_THEME_LIBRARIES = (
    "libgtk-3.",
    "libgdk-3.",
    "libgdk_pixbuf-2.0.",
    "libatk-1.0.",
    "libatk-bridge-2.0.",
    "libatspi.",
    "libcairo.",
    "libcairo-gobject.",
    "libpango-1.0.",
    "libpangocairo-1.0.",
    "libpangoft2-1.0.",
    "libepoxy.",
    "libpixman-1.",
    "libfribidi.",
    "libthai.",
    "libdatrie.",
    "libgraphite2.",
    "libharfbuzz.",
    "libgio-2.0.",
    "libgobject-2.0.",
    "libgmodule-2.0.",
    "libmount.",
    "libblkid.",
    "libselinux.",
    "libjpeg.",
    "libXext.",
    "libXi.",
    "libXcursor.",
    "libXrender.",
    "libXrandr.",
    "libXfixes.",
    "libXinerama.",
    "libXdamage.",
    "libXcomposite.",
)
#: Build-time files of dependencies (C headers, Cython sources, their test data).
PRUNED_DATA_DIRS = (
    "pyarrow/include",
    "pyarrow/includes",
    "pyarrow/src",
    "pyarrow/tests",
    "numpy/_core/include",
    "numpy/_core/lib",
)
PRUNED_DATA_SUFFIXES = (".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp", ".c")


def _pruned_qt_plugin(dest: str) -> bool:
    parts = dest.split("/")
    if not parts[0].startswith("PySide6") or "plugins" not in parts[:-2]:
        return False
    folder = parts[parts.index("plugins") + 1]
    stem = parts[-1].removeprefix("lib")
    return any(folder == f and stem.startswith(name) for f, name in PRUNED_QT_PLUGINS)


def _duplicate_arrow_python(dest: str) -> bool:
    """pyarrow's wheel ships ``libarrow_python.so`` three times (the link name, the SONAME
    ``.so.NNNN`` and the full version); the extensions load the SONAME only."""
    folder, _, name = dest.rpartition("/")
    return (
        folder == "pyarrow"
        and re.fullmatch(r"libarrow_python\.so(\.\d+\.\d+\.\d+)?", name) is not None
    )


def keep(entry: tuple[str, ...]) -> bool:
    """Whether a TOC entry ``(dest, source, kind)`` of the analysis stays in the bundle."""
    dest = entry[0].replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    if name.startswith(PRUNED_BINARIES) or _pruned_qt_plugin(dest) or _duplicate_arrow_python(dest):
        return False
    if "/" not in dest and name.startswith(LINUX_GTK_THEME_LIBRARIES) and ".so" in name:
        return False
    if dest.startswith(("pyarrow/", "numpy/", "pandas/")) and dest.endswith(PRUNED_DATA_SUFFIXES):
        return False
    return not any(dest == d or dest.startswith(d + "/") for d in PRUNED_DATA_DIRS)


#: The app's data files (icons, the sample report, the report fonts) are in this top-level folder
#: of the repository; the wheel and the bundle both hold it as the package
#: ``caliber_desktop.resources`` (pyproject.toml's ``[tool.setuptools.package-dir]`` maps it for
#: setuptools), which the code reads with importlib.resources.
RESOURCES_DIR = "resources"
RESOURCES_DEST = f"{PACKAGE}/resources"

#: Data folders inside the package whose Python files are read as files at run time (Alembic
#: loads ``env.py`` and the revisions from the migrations folder), so they go in as source too.
SOURCE_DATA_PACKAGES = [f"{PACKAGE}.models.migrations"]


#: Packages that read their own ``*.dist-info`` when imported (rustpy-xlsxwriter asks
#: importlib.metadata for its version): without it the frozen app's XLSX export failed with
#: PackageNotFoundError.
METADATA_AT_IMPORT = ("rustpy-xlsxwriter",)


def metadata() -> list[tuple[str, str]]:
    """The ``*.dist-info`` of the app, of what ``caliber doctor`` reports (for its versions) and
    of the packages that read theirs at import (``METADATA_AT_IMPORT``)."""
    from PyInstaller.utils.hooks import copy_metadata

    from caliber_desktop.services.maintenance.doctor import PACKAGES

    found: list[tuple[str, str]] = []
    for name in ("caliber-desktop", *PACKAGES, *METADATA_AT_IMPORT):
        try:
            found += copy_metadata(name)
        except Exception:  # not installed here: doctor says "not installed", which is true
            continue
    return found


def data_files(root: Path) -> list[tuple[str, str]]:
    """Every data file of the package (not .py/.pyc), plus the migration scripts as source."""
    from PyInstaller.utils.hooks import collect_data_files

    found: list[tuple[str, str]] = list(collect_data_files(PACKAGE, excludes=["**/__pycache__"]))
    for package in SOURCE_DATA_PACKAGES:
        found += collect_data_files(package, include_py_files=True, excludes=["**/__pycache__"])
    found += [(str(source), dest.rsplit("/", 1)[0]) for source, dest in resource_files(root)]
    return found


def resource_files(root: Path) -> list[tuple[Path, str]]:
    """Every file of ``resources/`` and its path in the bundle, ``caliber_desktop/resources/…``.

    They are listed here because ``collect_data_files`` only sees what is inside the package's
    folder. ``__init__.py`` goes in as a file too, as the migration scripts do: PyInstaller's
    module graph looks for ``caliber_desktop.resources`` in ``caliber_desktop/`` only (it does not
    ask the editable install's import hook), and the frozen app imports it from the file (its
    importer falls back to Python's file finder; the bootloader writes no bytecode beside it).
    """
    folder = root / RESOURCES_DIR
    return sorted(
        (path, f"{RESOURCES_DEST}/{path.relative_to(folder).as_posix()}")
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix != ".pyc"
        and not path.name.startswith(".")
    )


def package_data_files(root: Path) -> list[Path]:
    """The package's data files as they are on disk (what ``data_files`` must cover)."""
    package = root / PACKAGE
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".py", ".pyc", ".pyi"}
        and not path.name.startswith(".")
    )


def strip_binaries(platform: str) -> bool:
    """Whether the collected binaries are stripped of their symbol tables: on Linux only.

    The wheels' libraries there keep their symbol tables (pyarrow's, fastexcel's,
    cryptography's, SQLAlchemy's Cython modules) and a pyenv-built ``libpython`` its debug
    information: stripping takes about 69 MiB off the folder (of 531) and changes no code. Not on
    macOS, where stripping would break the signatures of the wheels' binaries that
    ``codesign_options`` re-signs, nor on Windows, where there is no ``strip``.
    """
    return platform.startswith("linux")


def stripped(binaries: list[tuple[str, str, str]], folder: Path) -> list[tuple[str, str, str]]:
    """``binaries`` with each ELF file replaced by a stripped copy in ``folder`` where that is safe.

    Not PyInstaller's ``strip=True``: GNU strip rewrites the layout of libraries that auditwheel
    patched (numpy's and SciPy's OpenBLAS and gfortran), and the loader then refuses them ("ELF
    load command address/offset not page-aligned": the frozen app could not import numpy). Each
    copy is checked the way the loader checks it (``load_segments_aligned``); a copy that fails,
    or is not smaller, is dropped and the original goes in. ``--strip-unneeded`` keeps every
    symbol the dynamic linker needs.
    """
    import shutil
    import subprocess

    strip = shutil.which("strip")
    if strip is None:
        return binaries
    out: list[tuple[str, str, str]] = []
    for dest, source, kind in binaries:
        copy = folder / dest
        if kind in {"BINARY", "EXTENSION"} and load_segments_aligned(Path(source)):
            copy.parent.mkdir(parents=True, exist_ok=True)
            command = [strip, "--strip-unneeded", "-o", str(copy), source]
            done = subprocess.run(command, capture_output=True, check=False)
            if (
                done.returncode == 0
                and load_segments_aligned(copy)
                and copy.stat().st_size < Path(source).stat().st_size
            ):
                out.append((dest, str(copy), kind))
                continue
        out.append((dest, source, kind))
    return out


def load_segments_aligned(path: Path) -> bool | None:
    """Whether every loadable segment of a 64-bit little-endian ELF file is laid out as the
    dynamic loader requires (its address and file offset equal modulo its alignment); None
    for any other file."""
    import struct

    with path.open("rb") as handle:
        head = handle.read(64)
        if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return None
        (table_offset,) = struct.unpack_from("<Q", head, 32)
        entry_size, entries = struct.unpack_from("<HH", head, 54)
        handle.seek(table_offset)
        table = handle.read(entry_size * entries)
    for index in range(entries):
        kind, _flags, offset, address = struct.unpack_from("<IIQQ", table, index * entry_size)
        (align,) = struct.unpack_from("<Q", table, index * entry_size + 48)
        if kind == 1 and align > 1 and (address - offset) % align:  # PT_LOAD
            return False
    return True


def icon_for(platform: str, icons: Path) -> str | None:
    """The executable's icon: ``.ico`` on Windows, ``.icns`` on macOS, when build.py made one."""
    suffix = {"win32": ".ico", "darwin": ".icns"}.get(platform)
    if suffix is None:
        return None
    icon = icons / f"caliber{suffix}"
    return str(icon) if icon.exists() else None


#: The Developer ID identity to sign the macOS build with (build/macos/make_dmg.sh sets it from
#: ``SIGN_ID``). Unset, PyInstaller signs ad hoc, which is enough to run on the build machine.
CODESIGN_IDENTITY_ENV = "CALIBER_CODESIGN_IDENTITY"


def codesign_options(platform: str, environ: Mapping[str, str], here: Path) -> dict[str, Any]:
    """``codesign_identity``/``entitlements_file`` for the spec's ``EXE`` calls.

    With an identity, PyInstaller signs every collected binary and each executable with it, with
    the hardened runtime (``--options=runtime``) and a secure timestamp, then signs the ``.app``
    with ``--deep`` (PyInstaller ``building/osx.py``, ``utils/osx.py:sign_binary``): inside-out,
    and the Qt ``.framework`` bundles keep the layout PyInstaller repairs for codesign. Only on
    macOS; elsewhere PyInstaller ignores both.
    """
    identity = environ.get(CODESIGN_IDENTITY_ENV, "").strip()
    if platform != "darwin" or not identity:
        return {"codesign_identity": None, "entitlements_file": None}
    return {
        "codesign_identity": identity,
        "entitlements_file": str(here / "macos" / "entitlements.plist"),
    }
