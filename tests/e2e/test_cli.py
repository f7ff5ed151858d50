"""The `caliber` command end to end: real data dir, real SQLite file, real files on disk.

Most tests call ``cli.main`` in-process (fast, same code path as the console script); a few run the
installed console script in a subprocess to prove the entry point and exit codes.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from support.cli_json import caliber
from support.portability import console_script

from caliber_desktop.cli import main as cli
from caliber_desktop.models import labels
from caliber_desktop.services.startup import sample_report

SETTINGS = [
    "--platform",
    "trade_desk",
    "--goal",
    "awareness",
    "--channel",
    "display",
    "--no-ctr-sensitivity",
    "--level",
    "domain",
]


def test_template_campaign_import_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    code, template, _ = caliber(capsys, "templates", "create", "Display awareness", *SETTINGS)
    assert code == 0
    assert template["settings"]["channel"] == "display"

    code, campaign, _ = caliber(
        capsys, "campaigns", "create", "Q4 display", "--template", str(template["id"])
    )
    assert code == 0
    assert campaign["template_id"] == template["id"]
    assert campaign["settings"] == template["settings"]
    assert campaign["status"] == "pending"

    code, imported, _ = caliber(
        capsys, "import", str(sample_report()), "--campaign", str(campaign["id"])
    )
    assert code == 0
    upload = imported["upload"]
    assert upload["detected_format"] == "csv"
    assert upload["delimiter"] == ","
    header = imported["preview"]["rows"][0]
    assert header[:5] == ["Date", "Advertiser", "Campaign", "Ad Group", "Site"]
    assert Path(upload["path"]).is_file()

    # The same file again is recognised, not stored twice.
    code, again, _ = caliber(
        capsys, "import", str(sample_report()), "--campaign", str(campaign["id"])
    )
    assert code == 0
    assert again["upload"]["already_attached"] is True
    assert again["upload"]["id"] == upload["id"]

    code, shown, _ = caliber(capsys, "campaigns", "show", str(campaign["id"]))
    assert code == 0
    assert [u["sha256"] for u in shown["uploads"]] == [upload["sha256"]]

    code, listed, _ = caliber(capsys, "templates", "list")
    assert listed[0]["campaigns_using"] == 1

    # A template in use cannot be deleted; the message names the campaign.
    code, _, err = caliber(capsys, "templates", "delete", str(template["id"]))
    assert code == 4
    assert "Q4 display" in json.loads(err)["error"]["message"]

    code, deleted, _ = caliber(capsys, "campaigns", "delete", str(campaign["id"]))
    assert code == 0
    assert deleted == {"deleted": campaign["id"]}
    code, _, _ = caliber(capsys, "templates", "delete", str(template["id"]))
    assert code == 0


@pytest.mark.parametrize(
    "missing", ["--platform", "--goal", "--channel", "--no-ctr-sensitivity", "--level"]
)
def test_explicit_campaign_names_the_missing_setting(
    capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    args = list(SETTINGS)
    index = args.index(missing)
    del args[index : index + (1 if missing.startswith("--no-") else 2)]
    code, data, err = caliber(capsys, "campaigns", "create", "Explicit", *args)
    assert code == 2
    assert data is None
    error = json.loads(err)["error"]
    expected = missing.removeprefix("--no-").removeprefix("--").replace("-", "_")
    expected = "analysis_level" if expected == "level" else expected
    assert error["type"] == "ValidationError"
    assert error["field"] == expected  # the machine name for scripts, the label for people
    assert labels.in_sentence(labels.setting(expected)) in error["message"]


def test_campaign_list_search_status_and_paging(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("Alpha display", "Beta video", "Gamma display"):
        assert caliber(capsys, "campaigns", "create", name, *SETTINGS)[0] == 0
    code, page, _ = caliber(capsys, "campaigns", "list", "--search", "display")
    assert code == 0
    assert sorted(c["name"] for c in page["items"]) == ["Alpha display", "Gamma display"]
    code, page, _ = caliber(capsys, "campaigns", "list", "--limit", "2")
    assert (page["total"], len(page["items"])) == (3, 2)
    code, page, _ = caliber(capsys, "campaigns", "list", "--limit", "2", "--offset", "2")
    assert [c["name"] for c in page["items"]] == ["Alpha display"]  # newest first
    code, page, _ = caliber(capsys, "campaigns", "list", "--status", "completed")
    assert page["total"] == 0


def test_rejected_file_is_reported_and_nothing_is_stored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
) -> None:
    _, campaign, _ = caliber(capsys, "campaigns", "create", "C", *SETTINGS)
    fake = tmp_path / "report.csv"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    code, data, err = caliber(capsys, "import", str(fake), "--campaign", str(campaign["id"]))
    assert code == 2
    assert data is None
    message = json.loads(err)["error"]["message"]
    assert "report.csv" in message
    assert "PNG" in message
    assert not [p for p in (home / "uploads").rglob("*") if p.is_file()]
    assert caliber(capsys, "campaigns", "show", str(campaign["id"]))[1]["uploads"] == []


def test_unknown_ids_exit_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = caliber(capsys, "campaigns", "show", "4242")
    assert code == 3
    assert "Campaign 4242 was not found" in json.loads(err)["error"]["message"]


def test_plain_text_output_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["campaigns", "list"]) == 0
    assert "No campaigns yet" in capsys.readouterr().out
    assert cli.main(["campaigns", "create", "Readable", *SETTINGS]) == 0
    out = capsys.readouterr().out
    assert "Campaign 1: Readable" in out
    assert "The Trade Desk · Display · Awareness · by domain" in out


def test_doctor_reports_a_healthy_install(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = caliber(capsys, "doctor")
    assert code == 0
    assert report["healthy"] is True
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["schema version"]["status"] == "ok"
    assert checks["integrity"]["status"] == "ok"
    assert checks["keyring"]["status"] == "ok"  # the tests' in-memory backend
    assert checks["Qt platform"]["detail"].startswith("offscreen")
    assert report["versions"]["SQLAlchemy"]


def test_doctor_fails_on_a_database_from_a_newer_app(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    assert cli.main(["campaigns", "list"]) == 0  # creates and migrates the store
    capsys.readouterr()
    with sqlite3.connect(home / "caliber.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    code, report, _ = caliber(capsys, "doctor")
    assert code == 1
    assert report["healthy"] is False
    database = next(c for c in report["checks"] if c["name"] == "database")
    assert database["status"] == "fail"
    assert "newer version of Caliber" in database["detail"]

    code, _, err = caliber(capsys, "campaigns", "list")
    assert code == 6
    assert "newer version of Caliber" in json.loads(err)["error"]["message"]


@pytest.mark.e2e
def test_installed_console_script(home: Path, tmp_path: Path) -> None:
    """The real `caliber` entry point, as an analyst runs it."""
    exe = console_script("caliber")
    assert exe, "the caliber console script is not installed in this environment"
    report = tmp_path / "Weekly Report.csv"
    shutil.copy(sample_report(), report)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # Output to a pipe is UTF-8 on every OS (caliber_desktop.console); text=True alone would
        # decode it in the ANSI code page (cp1252) on Windows.
        return subprocess.run(
            [exe, *args],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=120,
            check=False,
        )

    created = run("campaigns", "create", "Subprocess", *SETTINGS, "--json")
    assert created.returncode == 0, created.stderr
    campaign_id = json.loads(created.stdout)["id"]
    imported = run("import", str(report), "--campaign", str(campaign_id), "--preview", "2")
    assert imported.returncode == 0, imported.stderr
    assert "Attached." in imported.stdout
    assert "Weekly Report.csv" in imported.stdout
    assert "localenkiix.com" in imported.stdout  # first data row of the sample
    missing = run("campaigns", "show", "999")
    assert missing.returncode == 3
    assert "Campaign 999 was not found" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    ("name", "fmt", "encoding", "first_cell"),
    [
        ("ttd_display_awareness_sample.csv", "csv", "utf-8", "Date"),
        ("ttd_ctv_sample.csv", "csv", "utf-8", "Date"),
        ("ttd_video_sample.xlsx", "xlsx", None, "Date"),
        ("pulsepoint_display_sample.csv", "csv", "utf-8-sig", "Date"),  # BOM, quoted thousands
    ],
)
def test_every_shared_sample_report_imports(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    name: str,
    fmt: str,
    encoding: str | None,
    first_cell: str,
) -> None:
    _, campaign, _ = caliber(capsys, "campaigns", "create", "Samples", *SETTINGS)
    code, imported, err = caliber(
        capsys, "import", str(shared_data / name), "--campaign", str(campaign["id"])
    )
    assert code == 0, err
    upload = imported["upload"]
    assert (upload["detected_format"], upload["encoding"]) == (fmt, encoding)
    assert upload["original_name"] == name
    assert imported["preview"]["rows"][0][0] == first_cell
    assert len(imported["preview"]["rows"]) == 5


@pytest.mark.parametrize("before", [True, False], ids=["before-command", "after-command"])
def test_home_and_json_count_wherever_they_are_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, before: bool
) -> None:
    """`caliber --home X doctor` once ignored X (and --json) and used the default data dir."""
    home = tmp_path / "elsewhere"
    options = ["--home", str(home), "--json"]
    argv = [*options, "doctor"] if before else ["doctor", *options]
    cli.main(argv)
    report = json.loads(capsys.readouterr().out)
    data_dir = next(c for c in report["checks"] if c["name"] == "data dir")
    assert data_dir["detail"] == str(home.resolve())
