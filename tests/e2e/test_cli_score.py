"""`caliber score` end to end on real report files: the output folder, detection, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from caliber_desktop import cli

OUTPUTS = {
    "scores.csv",
    "allowlist_domains.txt",
    "allowlist_apps.txt",
    "blocklist_domains.txt",
    "blocklist_apps.txt",
    "summary.json",
    "data_quality.json",
}


def caliber(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = cli.main([*args, "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out.strip() else None
    return code, data, captured.err


@pytest.mark.parametrize(
    ("sample", "goal", "platform", "channel"),
    [
        ("ttd_display_awareness_sample.csv", "awareness", "trade_desk", "display"),
        ("ttd_video_sample.xlsx", "awareness", "trade_desk", "video"),
        ("ttd_ctv_sample.csv", "action", "trade_desk", "ctv"),
        ("pulsepoint_display_sample.csv", "awareness", "pulsepoint", "display"),
    ],
)
def test_score_a_sample_with_detected_platform_and_channel(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    sample: str,
    goal: str,
    platform: str,
    channel: str,
) -> None:
    out = tmp_path / "out"
    code, data, err = caliber(
        capsys, "score", str(shared_data / sample), "--goal", goal, "--out", str(out)
    )
    assert code == 0, err
    assert {p.name for p in out.iterdir()} >= OUTPUTS
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["platform"] == platform
    assert summary["config"]["channel"] == channel
    scores = pd.read_csv(out / "scores.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(scores) == data["sites"] > 1_500
    for column in (
        "site_id",
        "kind",
        "impressions",
        "spend",
        "clicks",
        "conversions",
        "score",
        "percentile",
        "quality_status",
        "recommendation",
        "confidence",
        "flags",
        "top_drivers",
    ):
        assert column in scores.columns, column
    assert any(c.endswith("_shrunk") for c in scores.columns)
    blocked = scores.loc[scores["recommendation"] == "block"]
    listed = set((out / "blocklist_domains.txt").read_text().split()) | set(
        (out / "blocklist_apps.txt").read_text().splitlines()
    )
    assert {str(s).lower() for s in blocked["site_id"]} == listed
    quality = json.loads((out / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["rows_read"] >= len(scores)


def test_pulsepoint_messy_rows_are_dropped_and_counted(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    report = shared_data / "pulsepoint_display_sample.csv"
    code, _, err = caliber(
        capsys, "score", str(report), "--goal", "awareness", "--out", str(tmp_path)
    )
    assert code == 0, err
    quality = json.loads((tmp_path / "data_quality.json").read_text(encoding="utf-8"))
    reasons = {d["reason"]: d for d in quality["dropped"]}
    assert sum(d["rows"] for d in quality["dropped"]) == quality["rows_dropped"] >= 2
    truth = pd.read_csv(shared_data / "pulsepoint_display_sample_truth.csv")
    with report.open(encoding="utf-8-sig", newline="") as handle:
        last = list(csv.reader(handle))[-1]
    assert "Grand Total" in last
    assert any(d["impressions"] > truth["total_impressions"].sum() * 0.9 for d in reasons.values())


def test_settings_may_be_given_instead_of_detected(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    code, data, err = caliber(
        capsys,
        "score",
        str(shared_data / "ttd_display_awareness_sample.csv"),
        "--platform",
        "trade_desk",
        "--channel",
        "display",
        "--goal",
        "action",
        "--ctr-sensitivity",
        "--min-impressions",
        "1000",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["config"]["goal"] == "action"
    assert summary["config"]["ctr_sensitivity"] is True
    assert summary["config"]["min_impressions"] == 1000
    assert data["profile"] == summary["config"]["profile"]


@pytest.mark.parametrize(
    ("make", "args", "expected"),
    [
        (lambda p: p.write_bytes(b""), ["--goal", "awareness"], "is empty"),
        (lambda p: p.write_bytes(b"\x00\x01\x02" * 200), ["--goal", "awareness"], "binary"),
        (
            lambda p: p.write_text("Site,Impressions,Clicks,Advertiser Cost (USD)\n"),
            ["--goal", "awareness"],
            "no data rows",
        ),
        (
            lambda p: p.write_text("Site,Impressions,Clicks\na.com,10,1\nb.com,20,2\n"),
            [],
            "--goal",
        ),
    ],
    ids=["empty", "binary", "header-only", "no-goal"],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Any,
    args: list[str],
    expected: str,
) -> None:
    report = tmp_path / "report.csv"
    make(report)
    code = cli.main(["score", str(report), *args, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err


def test_a_mapping_naming_a_missing_header_is_refused(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"spend": "Advertiser Cost (EUR)"}), encoding="utf-8")
    code = cli.main(
        [
            "score",
            str(shared_data / "ttd_display_awareness_sample.csv"),
            "--goal",
            "awareness",
            "--mapping",
            str(mapping),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Advertiser Cost (EUR)" in err
    assert not (tmp_path / "out").exists()


def test_score_a_campaign_into_the_store(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    code, campaign, _ = caliber(
        capsys,
        "campaigns",
        "create",
        "CTV",
        "--platform",
        "trade_desk",
        "--goal",
        "action",
        "--channel",
        "ctv",
        "--no-ctr-sensitivity",
        "--level",
        "domain",
    )
    assert code == 0
    cid = str(campaign["id"])
    assert (
        caliber(capsys, "import", str(shared_data / "ttd_ctv_sample.csv"), "--campaign", cid)[0]
        == 0
    )
    code, scored, err = caliber(capsys, "score", "--campaign", cid, "--out", str(tmp_path))
    assert code == 0, err
    assert scored["run"]["site_count"] > 1_500
    assert (tmp_path / "blocklist_apps.txt").exists()
    code, shown, _ = caliber(capsys, "campaigns", "show", cid)
    assert shown["status"] == "completed"
    assert shown["current_run_id"] == scored["run"]["id"]


def test_console_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    report = tmp_path / "photo.csv"
    report.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "caliber_desktop", "score", str(report), "--goal", "awareness",
         "--out", str(tmp_path / "out"), "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "photo.csv" in done.stderr
    assert "PNG" in done.stderr
    assert "Traceback" not in done.stderr
