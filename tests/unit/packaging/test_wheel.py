"""The top-level resources/ folder is the package ``caliber_desktop.resources`` wherever it runs.

The folder is outside ``caliber_desktop/``: pyproject.toml's ``[tool.setuptools.package-dir]``
maps it and setup.py lists the package. A slip there shows only on an installed machine (no icon,
no sample, no PDF fonts), so every file is checked in a wheel built from the sources, in that
wheel installed on its own, and in the environment the tests run in (the editable install).
The bundle's copy is checked by test_bundle_spec.py and ``build/build.py --smoke``.

The wheel is built offline from a copy of the sources: with the environment's setuptools
(``--no-build-isolation``, so no package index is needed; ``.[dev]`` installs it), and not in the
repository, where setuptools would write ``build/lib`` into our own ``build/`` folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest
from support.paths import REPO

RESOURCES = REPO / "resources"
#: What the build reads: the metadata (the readme is part of it), setup.py, the two package roots.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "caliber_desktop", "resources")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def on_disk() -> dict[str, str]:
    """``{path under resources/: sha256}`` of every file of the folder."""
    found = {
        path.relative_to(RESOURCES).as_posix(): digest(path.read_bytes())
        for path in RESOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"__init__.py", "icons/caliber.svg", "fonts/DejaVuSans.ttf"} <= set(found)
    assert any(name.startswith("samples/") and name.endswith(".csv") for name in found)
    return found


def through_importlib(root: Traversable, prefix: str = "") -> dict[str, str]:
    """The same, read through ``importlib.resources`` (what the app does)."""
    found: dict[str, str] = {}
    for item in root.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            found |= through_importlib(item, f"{prefix}{item.name}/")
        else:
            found[prefix + item.name] = digest(item.read_bytes())
    return found


def setuptools_version() -> tuple[int, ...]:
    try:
        text = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return ()
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if setuptools_version() < (77,):
        pytest.skip("needs setuptools>=77 here, the build backend (pip install -e .[dev])")
    tree = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=ignore)
        else:
            shutil.copy2(source, tree / name)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps"]
    command += ["--no-index", "--disable-pip-version-check", "--quiet", "-w", str(out), str(tree)]
    done = subprocess.run(
        command, capture_output=True, encoding="utf-8", errors="replace", timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("caliber_desktop-*.whl")
    return built


def test_the_wheel_holds_every_file_of_resources(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        inside = {
            name.removeprefix("caliber_desktop/resources/"): digest(archive.read(name))
            for name in archive.namelist()
            if name.startswith("caliber_desktop/resources/")
        }
        names = archive.namelist()
    assert inside == on_disk()
    # The package's own data files stay where they were.
    assert "caliber_desktop/services/scoring/data/profiles.toml" in names
    assert any(name.startswith("caliber_desktop/models/migrations/versions/") for name in names)


def test_the_installed_wheel_reads_every_file_through_importlib(
    wheel: Path, tmp_path: Path
) -> None:
    """Installed on its own (no site-packages, so not the editable install of this checkout)."""
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile"]
    install += ["--disable-pip-version-check", "--quiet", "--target", str(target), str(wheel)]
    done = subprocess.run(
        install, capture_output=True, encoding="utf-8", errors="replace", timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    program = (
        "import hashlib, json, sys\n"
        f"sys.path.insert(0, {str(target)!r})\n"
        "from importlib import resources\n"
        "import caliber_desktop.resources as package\n"
        "def walk(root, prefix=''):\n"
        "    for item in root.iterdir():\n"
        "        if item.name == '__pycache__':\n"
        "            continue\n"
        "        if item.is_dir():\n"
        "            yield from walk(item, prefix + item.name + '/')\n"
        "        else:\n"
        "            yield prefix + item.name, hashlib.sha256(item.read_bytes()).hexdigest()\n"
        "files = dict(walk(resources.files('caliber_desktop.resources')))\n"
        "print(json.dumps({'file': package.__file__, 'files': files}))\n"
    )
    # -I: no PYTHONPATH, user site or current folder; -S: no site-packages, so only the install.
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", program],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["file"]).resolve().is_relative_to(target.resolve())
    assert found["files"] == on_disk()


def test_this_environment_reads_every_file_through_importlib() -> None:
    """The editable install (``pip install -e .``) maps the package to the folder itself."""
    assert through_importlib(resources.files("caliber_desktop.resources")) == on_disk()
