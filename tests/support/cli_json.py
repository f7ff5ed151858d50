"""Run the ``caliber`` CLI in this process with ``--json`` and read back what it said."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from caliber_desktop.cli import main as cli


def caliber(
    capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
) -> tuple[int, Any, str]:
    """(exit code, parsed stdout or None, stderr); ``stdin`` is what the command reads."""
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = cli.main([*args, "--json"])
    finally:
        sys.stdin = saved
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out.strip() else None
    return code, data, captured.err
