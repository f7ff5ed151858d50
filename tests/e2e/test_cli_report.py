"""`caliber report` through the installed console script: a real PDF, JSON output, clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.portability import console_script

from caliber_desktop.services.startup import sample_report

SETTINGS = ["--platform", "trade_desk", "--goal", "awareness", "--channel", "display",
            "--no-ctr-sensitivity", "--level", "domain"]  # fmt: skip


@pytest.mark.e2e
def test_caliber_report_writes_a_pdf(home: Path, tmp_path: Path) -> None:
    exe = console_script("caliber")
    assert exe, "the caliber console script is not installed in this environment"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args],
            capture_output=True,
            encoding="utf-8",  # a pipe gets UTF-8 on every OS (caliber_desktop.console);
            errors="replace",  # text=True would decode it as cp1252 on Windows
            timeout=180,
            check=False,
        )

    created = run("campaigns", "create", "Acme — Q3 display", *SETTINGS, "--json")
    assert created.returncode == 0, created.stderr
    campaign_id = json.loads(created.stdout)["id"]

    # Not scored yet: a clear message, exit 2, no file.
    out = tmp_path / "acme.pdf"
    early = run("report", "--campaign", str(campaign_id), "--out", str(out))
    assert early.returncode == 2
    assert "no completed run" in early.stderr
    assert "Traceback" not in early.stderr
    assert not out.exists()

    assert run("import", str(sample_report()), "--campaign", str(campaign_id)).returncode == 0
    scored = run("score", "--campaign", str(campaign_id), "--json")
    assert scored.returncode == 0, scored.stderr
    score = json.loads(scored.stdout)["run"]["campaign_score"]

    done = run("report", "--campaign", str(campaign_id), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["path"] == str(out.resolve())
    assert info["pages"] == len(PdfReader(out).pages) >= 8
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Acme — Q3 display" in text
    assert f"{score:.1f} / 100" in text

    plain = run("report", "--campaign", str(campaign_id), "--out", str(tmp_path / "b.pdf"))
    assert plain.returncode == 0
    assert plain.stdout.startswith(f"Wrote {(tmp_path / 'b.pdf').resolve()}: ")

    missing = run("report", "--campaign", "999", "--out", str(tmp_path / "c.pdf"))
    assert missing.returncode == 3
    assert "Campaign 999 was not found" in missing.stderr
