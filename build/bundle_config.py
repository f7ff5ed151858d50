"""What goes into the bundle: shared by ``caliber.spec`` and the test that checks the spec.

Standard library only at import time (``data_files`` imports PyInstaller when called), so the
tests can check the lists without PyInstaller doing any work.
"""

from __future__ import annotations

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
]

EXCLUDES = QT_EXCLUDES + PY_EXCLUDES

#: Excluded modules that are nevertheless imported, always inside ``try/except ImportError``:
#: pyarrow.fs tries the cloud file systems and goes on without them.
#: pyqtgraph tries QtTest the same way.
GUARDED_IMPORTS = [
    "pyarrow._s3fs",
    "pyarrow._gcsfs",
    "pyarrow._azurefs",
    "pyarrow._hdfs",
    "PySide6.QtTest",
]

#: Libraries a hook collects wholesale (pyarrow's collects every .so in its folder) that only the
#: excluded modules above load; matched against the file name.
PRUNED_BINARIES = ("libarrow_flight", "libarrow_python_flight", "libarrow_s3")
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


def keep(entry: tuple[str, ...]) -> bool:
    """Whether a TOC entry ``(dest, source, kind)`` of the analysis stays in the bundle."""
    dest = entry[0].replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    if name.startswith(PRUNED_BINARIES):
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


def metadata() -> list[tuple[str, str]]:
    """The ``*.dist-info`` of the app and of what ``caliber doctor`` reports, for its versions."""
    from PyInstaller.utils.hooks import copy_metadata

    from caliber_desktop.services.maintenance.doctor import PACKAGES

    found: list[tuple[str, str]] = []
    for name in ("caliber-desktop", *PACKAGES):
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
