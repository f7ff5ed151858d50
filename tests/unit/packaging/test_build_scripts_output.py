"""build/build.py and dev.py print on any console: a Windows pipe is cp1252 with errors="strict".

Both run on a bare Python without the app (dev.py before the virtual environment exists), so they
do not use caliber_desktop.console: their own text is ASCII, and anything else they print (paths,
the frozen app's echoed output) gets backslash escapes instead of raising UnicodeEncodeError.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from support.paths import REPO

SCRIPTS = ["build/build.py", "dev.py"]
CP1252 = {"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_scripts_own_text_is_ascii(script: str) -> None:
    """Docstrings included: dev.py prints its own, build.py's first line is its --help."""
    tree = ast.parse((REPO / script).read_text(encoding="utf-8"))
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if not node.value.isascii()
    ]
    assert not found, f"{script} must print ASCII only ('->' for an arrow, '...' for '…')"


@pytest.mark.parametrize(
    ("script", "args", "code"), [("dev.py", [], 2), ("build/build.py", ["--help"], 0)]
)
def test_the_scripts_run_on_a_cp1252_pipe(script: str, args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / script), *args],
        capture_output=True,
        env={**os.environ, **CP1252},
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr.decode("cp1252", "replace")
    assert b"Traceback" not in done.stderr
    done.stdout.decode("ascii")  # nothing of its own needed more


@pytest.mark.parametrize("script", SCRIPTS)
def test_other_text_gets_escapes_instead_of_failing(script: str) -> None:
    """A path or the frozen app's output in Cyrillic, printed by the script on a cp1252 pipe."""
    program = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('script', {str(REPO / script)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.never_fail_on_a_character()\n"
        "print('C:/Users/Иван → done')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        env={**os.environ, **CP1252},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert (
        done.stdout == b"C:/Users/\\u0418\\u0432\\u0430\\u043d \\u2192 done" + os.linesep.encode()
    )
