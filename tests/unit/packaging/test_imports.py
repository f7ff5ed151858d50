"""Start-up cost: what a light entry point must not drag in (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
        # scipy.special (≈ 0.1 s) loads when scoring starts, not with the modules
        ("import caliber_desktop.services.scoring.pipeline", {"sqlalchemy", "scipy"}),
        # the reading side of scoring: pandas (≈ 0.2 s) loads with the first rows
        ("import caliber_desktop.services.scoring.engine", {"pandas", "sqlalchemy", "scipy"}),
        ("import caliber_desktop.services.exports.output_names", {"pandas"}),
        ("import caliber_desktop.services.exports.run_outputs", {"sqlalchemy", "scipy"}),
        ("import caliber_desktop.services.campaigns.confidence", {"sqlalchemy", "pandas"}),
    ],
)
def test_light_imports_stay_light(statement: str, absent: set[str]) -> None:
    assert not absent & loaded_after(statement)


#: Runs ``caliber score`` and, at its first progress report (reading begins), prints what is
#: imported and stops.
_BEFORE_READING = """
import os, sys
import caliber_desktop.cli.output as output

def printer(quiet):
    def show(done, total, message):
        print("\\n".join(sys.modules), flush=True)
        os._exit(0)
    return show

output.progress_printer = printer
from caliber_desktop.cli.main import main
main(sys.argv[1:])
"""


def test_score_reads_before_loading_the_store_scipy_or_pandas(tmp_path: Path) -> None:
    """``caliber score FILE`` starts reading with only what reading needs: not the store
    (SQLAlchemy and Alembic, ≈ 0.35 s, which checking --decision-confidence used to load), not
    ``scipy`` (≈ 0.1 s, loaded when scoring starts) and not pandas (≈ 0.2 s: Arrow loads it at
    its first conversion of the sampled rows, and scoring, the lists and the writers after)."""
    report = tmp_path / "report.csv"
    report.write_text("Site,Impressions,Clicks\na.com,1000,3\nb.com,2000,5\n", encoding="utf-8")
    args = ["score", str(report), "--goal", "awareness", "--decision-confidence", "95"]
    args += ["--out", str(tmp_path / "out"), "--home", str(tmp_path / "home")]
    done = subprocess.run(
        [sys.executable, "-c", _BEFORE_READING, *args], capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    assert "caliber_desktop.cli.score" in loaded  # it did get as far as reading
    assert not {"sqlalchemy", "scipy", "scipy.special", "pandas"} & loaded


def test_any_table_loads_them_all() -> None:
    code = "from caliber_desktop.models import Base; print(sorted(Base.metadata.tables))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for table in ("users", "campaigns", "score_runs", "site_scores", "chat_messages"):
        assert table in done.stdout
