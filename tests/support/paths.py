"""Where things are, for tests in any folder depth: the repository and the tests folder."""

from __future__ import annotations

from pathlib import Path

#: tests/
TESTS = Path(__file__).resolve().parents[1]
#: the repository's root (pyproject.toml, build/, caliber_desktop/)
REPO = TESTS.parent
