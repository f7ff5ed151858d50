"""What a test may assume of the OS it runs on (CI runs Linux, macOS and Windows).

Each helper answers by trying, not by the platform's name, so a Windows machine where symlinks
work (Developer Mode, an administrator, GitHub's runners) still runs the symlink tests.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest


@functools.cache
def symlinks_work() -> bool:
    """Whether this process may create a symbolic link.

    On Windows ``os.symlink`` needs SeCreateSymbolicLinkPrivilege (an elevated process) or
    Developer Mode, else it raises OSError (WinError 1314); see the ``os.symlink`` docs.
    """
    with tempfile.TemporaryDirectory() as folder:
        target, link = Path(folder) / "target", Path(folder) / "link"
        target.mkdir()
        try:
            link.symlink_to(target, target_is_directory=True)
        except (OSError, NotImplementedError):
            return False
        return link.is_symlink()


needs_symlinks = pytest.mark.skipif(
    not symlinks_work(),
    reason="creating symlinks needs privileges here (Windows: an elevated process or Developer "
    "Mode, else WinError 1314)",
)

#: ``os.utime(..., follow_symlinks=False)`` raises NotImplementedError where the OS has no
#: lutimes (Windows); see ``os.supports_follow_symlinks``.
UTIME_OF_A_LINK = os.utime in os.supports_follow_symlinks


def console_script(name: str) -> str | None:
    """The installed console script ``name`` (``caliber``; ``caliber.exe`` on Windows).

    pip puts scripts in the install scheme's scripts folder: beside ``sys.executable`` in a venv,
    but ``...\\Python311\\Scripts`` next to ``...\\Python311\\python.exe`` in a Windows install
    without one (as on CI runners), and elsewhere again in a macOS framework build.
    """
    folders = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    return shutil.which(name, path=os.pathsep.join(folders))
