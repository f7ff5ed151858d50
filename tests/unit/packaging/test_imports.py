"""Start-up cost: what a light entry point must not drag in (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import caliber_desktop.models.enums", {"sqlalchemy"}),
        ("import caliber_desktop.cli.main", {"pandas", "sqlalchemy", "scipy.stats"}),
        ("import caliber_desktop.services.scoring.pipeline", {"sqlalchemy", "scipy.stats"}),
    ],
)
def test_light_imports_stay_light(statement: str, absent: set[str]) -> None:
    assert not absent & loaded_after(statement)


def test_any_table_loads_them_all() -> None:
    code = "from caliber_desktop.models import Base; print(sorted(Base.metadata.tables))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for table in ("users", "campaigns", "score_runs", "site_scores", "chat_messages"):
        assert table in done.stdout
