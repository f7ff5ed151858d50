"""`caliber runs`, `caliber export` and `caliber compare` end to end, as a subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest


def caliber(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALIBER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "caliber_desktop", *args],
        capture_output=True,
        encoding="utf-8",  # a pipe gets UTF-8 on every OS (caliber_desktop.console);
        errors="replace",  # text=True would decode it as cp1252 on Windows
        env=env,
        timeout=300,
        check=False,
    )


def ok(home: Path, *args: str) -> Any:
    done = caliber(home, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def campaign(home: Path, shared_data: Path, tmp_path: Path) -> int:
    source = shared_data / "ttd_display_awareness_sample.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[:8001]
    rows[1][rows[0].index("Site")] = '=HYPERLINK("http://x","y")'
    part = tmp_path / "part.csv"
    with part.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    settings = ["--platform", "trade_desk", "--goal", "awareness", "--channel", "display"]
    settings += ["--no-ctr-sensitivity", "--level", "domain"]
    created = ok(home, "campaigns", "create", "CLI", *settings)
    cid = int(created["id"])
    ok(home, "import", str(part), "--campaign", str(cid))
    ok(home, "score", "--campaign", str(cid))
    ok(home, "import", str(source), "--campaign", str(cid))
    ok(home, "score", "--campaign", str(cid))
    return cid


def test_runs_export_and_compare(home: Path, campaign: int, tmp_path: Path) -> None:
    runs = ok(home, "runs", "--campaign", str(campaign))
    assert [r["current"] for r in runs] == [True, False]
    text = caliber(home, "runs", "--campaign", str(campaign))
    assert "run" in text.stdout.splitlines()[0]

    out = tmp_path / "results.xlsx"
    info = ok(home, "export", "--campaign", str(campaign), "--what", "results", "--format",
              "xlsx", "--out", str(out), "--run", str(runs[1]["id"]))  # fmt: skip
    assert info["files"] == [str(out)]
    assert info["run_id"] == runs[1]["id"]
    back = pd.read_excel(out, sheet_name="Results")
    assert '\'=HYPERLINK("http://x","y")' in back["site_id"].tolist()

    folder = tmp_path / "campaign"
    info = ok(home, "export", "--campaign", str(campaign), "--what", "campaign", "--format",
              "csv", "--out", str(folder))  # fmt: skip
    assert {Path(p).name for p in info["files"]} >= {"results.csv", "settings.csv", "runs.csv"}

    compared = ok(home, "compare", "--campaign", str(campaign), "--limit", "3")
    assert (compared["old_run"]["id"], compared["new_run"]["id"]) == (runs[1]["id"], runs[0]["id"])
    assert len(compared["sites"]) == 3
    assert compared["new_sites"]
    text = caliber(home, "compare", "--campaign", str(campaign), "--limit", "5")
    assert text.returncode == 0, text.stderr
    assert "Biggest movers" in text.stdout
    assert "Lists:" in text.stdout

    # Scored again on the same report: nothing moved, and the text says so instead of listing
    # sites with a change of +0.0.
    ok(home, "score", "--campaign", str(campaign))
    text = caliber(home, "compare", "--campaign", str(campaign))
    assert text.returncode == 0, text.stderr
    assert "No site's score changed." in text.stdout
    assert "Biggest movers" not in text.stdout


def test_bad_input_is_one_clear_line(home: Path, campaign: int, tmp_path: Path) -> None:
    done = caliber(home, "export", "--campaign", str(campaign), "--what", "results",
                   "--format", "csv", "--out", str(tmp_path / "x.csv"), "--run", "999")  # fmt: skip
    assert done.returncode == 3
    assert "Run 999 was not found" in done.stderr
    done = caliber(
        home, "compare", "--campaign", str(campaign), "--old", "1", "--new", "1", "--json"
    )
    assert done.returncode == 2
    assert json.loads(done.stderr)["error"]["field"] == "new_run"
