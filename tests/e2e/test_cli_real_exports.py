"""`caliber score` on files shaped like real exports: what it read is said where the analyst looks.

The terminal summary carries every row (read = scored + left out, per reason) and every warning;
``--json`` carries the same; bad input exits 2 with one line naming the file, column or row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from support.real_exports import PLAIN_PULSEPOINT_NAMES, ttd_inapp_video, write

from caliber_desktop.cli import main as cli
from caliber_desktop.services.scoring.model import APP_KINDS

TTD_DISPLAY = ["--platform", "trade_desk", "--channel", "display"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return code, json.loads(out)


def test_other_platforms_columns_are_used_and_the_warning_is_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "plain.csv", PLAIN_PULSEPOINT_NAMES)
    out_dir = tmp_path / "out"
    args = ["score", str(path), *TTD_DISPLAY, "--goal", "action", "--out", str(out_dir)]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "rows            3 rows read = 3 scored, none left out" in out
    warnings = out.split("Warnings (3):")[1]
    assert "! plain.csv: the report has no The Trade Desk column for conversions, spend" in warnings
    assert "used PulsePoint names instead (conversions from 'Conversions', spend from" in warnings
    assert "The file's CPM disagrees with 1000 × Spend ÷ Impressions" in out
    with (out_dir / "scores.csv").open(encoding="utf-8-sig") as handle:
        rows = {r["site_id"]: r for r in csv.DictReader(handle)}
    assert float(rows["demo.com"]["spend"]) == 300.0
    assert float(rows["demo.com"]["conversions"]) == 15.0
    quality = json.loads((out_dir / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["warnings"] == 3  # the columns, the CPM, and 3 sites too few to rank
    _, data = as_json(capsys, *args[:-2], "--out", str(tmp_path / "again"))
    assert {w["code"] for w in data["warnings"]} == {
        "other_platform_columns",
        "rate_mismatch",
        "small_campaign",
    }
    assert data["mapping"]["origins"]["spend"] == "other_platform:pulsepoint"


def test_a_row_with_text_in_a_count_is_counted_and_the_warning_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "text.csv",
        "Site,Impressions,Clicks,Advertiser Cost (Adv Currency)\n"
        "a.com,1000,5,2.00\nb.com,two thousand,5,2.00\nc.com,3000,9,6.00\n",
    )
    args = ["score", str(path), *TTD_DISPLAY, "--goal", "awareness", "--out", str(tmp_path / "o")]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert out.startswith("Scored 2 sites of text.csv")
    assert "3 rows read = 2 scored + 1 left out (1 with a count that is not a number)" in out
    assert "! text.csv: column 'Impressions' has 1 cell(s) that are not numbers" in out
    assert "(first at row 3: 'two thousand')" in out
    quality = json.loads((tmp_path / "o" / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["dropped"][0]["examples"] == ["row 3: Impressions 'two thousand'"]
    assert quality["rows_read"] == quality["rows_scored"] + quality["rows_dropped"]


@pytest.mark.parametrize(
    ("make", "extra", "expected"),
    [
        (lambda p: p.mkdir(), [], "is a folder, not a file"),
        (
            lambda p: p.write_text(
                "Site,Impressions,Clicks\na.com,two,1\nb.com,six,2\n", encoding="utf-8"
            ),
            [],
            "row 2: Impressions 'two'",
        ),
        (
            lambda p: p.write_text("Site,Impressions,Clicks\na.com,100,1\n", encoding="utf-8"),
            ["--mapping", "twice"],
            "uses 'Impressions' for both impressions and clicks",
        ),
        (
            lambda p: p.write_text("Site,Impressions,Clicks\na.com,100,1\n", encoding="utf-8"),
            ["--mapping", "missing"],
            "'Cost (EUR)' for spend, but the file has no such column",
        ),
    ],
    ids=["folder", "all-text-counts", "mapped-twice", "missing-header"],
)
def test_bad_input_exits_2_naming_what_is_wrong(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make: Any,
    extra: list[str],
    expected: str,
) -> None:
    report = tmp_path / "report.csv"
    make(report)
    mappings = {"twice": {"clicks": "Impressions"}, "missing": {"spend": "Cost (EUR)"}}
    if extra:
        mapping = tmp_path / "mapping.json"
        mapping.write_text(json.dumps(mappings[extra[1]]), encoding="utf-8")
        extra = ["--mapping", str(mapping)]
    out_dir = tmp_path / "out"
    code, out, err = run(
        capsys,
        "score",
        str(report),
        *TTD_DISPLAY,
        "--goal",
        "action",
        *extra,
        "--out",
        str(out_dir),
    )
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "report.csv" in err
    assert expected in err
    assert not out_dir.exists()


def test_an_inapp_export_lists_apps_whole_and_apart_from_web_domains(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    truth = ttd_inapp_video(tmp_path / "inapp.csv", days=8)
    out_dir = tmp_path / "out"
    _code, data = as_json(
        capsys, "score", str(tmp_path / "inapp.csv"), "--goal", "awareness", "--out", str(out_dir)
    )
    assert data["ids"]["in_app"] == 11
    with (out_dir / "scores.csv").open(encoding="utf-8-sig") as handle:
        kinds = {r["site_id"]: r["kind"] for r in csv.DictReader(handle)}
    assert kinds == {e.site_id: e.kind for e in truth.values()}
    apps = {e.site_id for e in truth.values() if e.kind in APP_KINDS}
    web_lists = set()
    for name in ("allowlist_domains.txt", "blocklist_domains.txt"):
        web_lists |= set((out_dir / name).read_text(encoding="utf-8").split())
    app_lists = set()
    for name in ("allowlist_apps.txt", "blocklist_apps.txt"):
        app_lists |= set((out_dir / name).read_text(encoding="utf-8").split())
    assert not web_lists & apps  # no app reaches a web list
    assert app_lists <= apps
    assert "zen.games" not in web_lists | app_lists


def test_a_supply_vendor_run_says_vendors_and_names_missing_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = "".join(
        f"2026-11-0{1 + i % 7},Vendor {i % 9},s{i}.com,{1000 + 53 * i},{(1 + i % 4) * 1.5:.2f}\n"
        for i in range(120)
    )
    path = write(tmp_path / "v.csv", "Date,Supply Vendor,Site,Impressions,Spend\n" + rows)
    code, out, err = run(
        capsys, "score", str(path), "--platform", "pulsepoint", "--channel", "display",
        "--goal", "awareness", "--level", "supply_vendor", "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("Scored 9 vendors of v.csv")
    assert " sites" not in out.split("Wrote:")[0]
    assert "clicks and conversions are not in the report" in out
    assert (tmp_path / "o" / "blocklist_vendors.txt").exists()


def test_a_failed_campaign_scoring_leaves_its_runs_as_they_were(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    _, campaign = as_json(
        capsys, "campaigns", "create", "CTV", "--platform", "trade_desk", "--goal", "action",
        "--channel", "ctv", "--no-ctr-sensitivity", "--level", "domain",
    )  # fmt: skip
    cid = str(campaign["id"])
    as_json(capsys, "import", str(shared_data / "ttd_ctv_sample.csv"), "--campaign", cid)
    _, first = as_json(capsys, "score", "--campaign", cid)
    mapping = tmp_path / "twice.json"
    mapping.write_text(json.dumps({"clicks": "Impressions"}), encoding="utf-8")
    code, _out, err = run(capsys, "score", "--campaign", cid, "--mapping", str(mapping))
    assert code == 2
    assert "'Impressions' for both impressions and clicks" in err
    _, runs = as_json(capsys, "runs", "--campaign", cid)
    assert [r["id"] for r in runs] == [first["run"]["id"]]
    _, shown = as_json(capsys, "campaigns", "show", cid)
    assert shown["current_run_id"] == first["run"]["id"]


def test_decision_confidence_from_the_command_line(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    sample = str(shared_data / "ttd_display_awareness_sample.csv")
    lists: dict[float, dict[str, set[str]]] = {}
    for confidence in (0.8, 0.95):
        out_dir = tmp_path / str(confidence)
        _, _data = as_json(
            capsys, "score", sample, "--goal", "awareness", "--out", str(out_dir),
            "--decision-confidence", str(confidence * 100),
        )  # fmt: skip
        summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
        assert summary["decision"]["confidence"] == confidence
        with (out_dir / "scores.csv").open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        assert {"score_lo", "score_hi", "p_block", "p_allow", "decision_reason"} <= set(rows[0])
        lists[confidence] = {
            name: {r["site_id"] for r in rows if r["recommendation"] == name}
            for name in ("allow", "block")
        }
        blocked = [r for r in rows if r["decision_reason"].startswith("Blocked: ")]
        assert all(float(r["p_block"]) >= confidence for r in blocked)
    for name in ("allow", "block"):  # a higher bar never adds a site
        assert lists[0.95][name] < lists[0.8][name]
    code, _out, err = run(
        capsys, "score", sample, "--goal", "awareness", "--out", str(tmp_path / "x"),
        "--decision-confidence", "1.5",
    )  # fmt: skip
    assert code == 2
    assert "between 50% and 99%" in err


def test_a_templates_decision_confidence_reaches_its_campaigns_runs(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    _, template = as_json(
        capsys, "templates", "create", "Careful", "--platform", "trade_desk", "--goal",
        "awareness", "--channel", "display", "--no-ctr-sensitivity", "--level", "domain",
        "--decision-confidence", "97",
    )  # fmt: skip
    assert template["decision_confidence"] == 0.97
    _, campaign = as_json(
        capsys, "campaigns", "create", "Careful Q1", "--template", str(template["id"])
    )
    cid = str(campaign["id"])
    _code, text, _ = run(capsys, "campaigns", "show", cid)
    assert "confidence  97% to go on a list" in text
    as_json(
        capsys, "import", str(shared_data / "ttd_display_awareness_sample.csv"), "--campaign", cid
    )
    _, scored = as_json(capsys, "score", "--campaign", cid)
    assert scored["run"]["summary"]["decision"]["confidence"] == 0.97
