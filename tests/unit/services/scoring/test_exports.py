"""Exports read back equal to the results, and no text cell can become a spreadsheet formula."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from support.windows_locks import WindowsLocks

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.exports import sheets
from caliber_desktop.services.exports.run_outputs import (
    json_safe,
    neutralise,
    results_table,
    run_output_names,
    write_csv,
    write_json,
    write_run_outputs,
    write_xlsx,
)
from caliber_desktop.services.scoring.lists import build_lists, list_file_names
from caliber_desktop.services.scoring.model import (
    DataQuality,
    MetricUse,
    ScoreResult,
    ScoringConfig,
)

EVIL = '=HYPERLINK("http://evil.example","click me")'


def result() -> ScoreResult:
    ids = ["good.example", EVIL, "+44 calc", "@SUM(A1)", "-2+3", "\tTAB", "münchen.de"]
    n = len(ids)
    sites = pd.DataFrame(
        {
            "kind": ["domain"] * n,
            "display_name": ids,
            "n_rows": [3] * n,
            "impressions": np.linspace(10_000, 1_000, n),
            "spend": np.linspace(50, 5, n),
            "clicks": [10.0] * n,
            "conversions": [1.0] * n,
            "ctr": np.linspace(0.002, 0.001, n),
            "ctr_shrunk": np.linspace(0.0019, 0.0011, n),
            "ctr_lo": [np.nan] * n,
            "ctr_hi": [np.nan] * n,
            "ctr_norm": np.linspace(100, 0, n),
            "ctr_contrib": np.linspace(100, 0, n),
            "score": np.linspace(100, 0, n),
            "percentile": np.linspace(100, 0, n),
            "quality_status": ["good"] + ["moderate"] * (n - 2) + ["poor"],
            "confidence": ["high"] * n,
            "recommendation": ["allow"] + ["monitor"] * (n - 2) + ["block"],
            "flags": [()] * (n - 1) + [("ctr_anomaly", "integrity")],
            "flag_evidence": [()] * (n - 1) + [("CTR 5x", "clicks > impressions")],
            "top_drivers": ["-CTR 0.20 % vs median 0.15 % (+10 pts)"] * n,
        },
        index=pd.Index(ids, name="site_id"),
    )
    config = ScoringConfig(Platform.TRADE_DESK, Channel.DISPLAY, Goal.AWARENESS)
    metric = MetricUse("ctr", "CTR", 1.0, "higher", 0.0015)
    return ScoreResult(
        config=config,
        profile="trade_desk.display.awareness",
        sites=sites,
        metrics=(metric,),
        dropped_metrics={},
        summary={"campaign_score": 61.5, "note": EVIL, "nan": float("nan")},
        quality=DataQuality(source="report.csv", rows_read=21),
    )


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_every_dangerous_prefix(prefix: str) -> None:
    assert neutralise(f"{prefix}1+1") == f"'{prefix}1+1"
    assert neutralise(f"a{prefix}") == f"a{prefix}"


def test_csv_reads_back_equal_with_text_neutralised(tmp_path: Path) -> None:
    table = results_table(result())
    path = write_csv(table, tmp_path / "scores.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == list(table.columns)
    assert back["site_id"].tolist() == [neutralise(s) for s in table["site_id"]]
    assert back.loc[1, "site_id"] == "'" + EVIL
    assert back.loc[6, "site_id"] == "münchen.de"
    np.testing.assert_allclose(back["score"], table["score"])
    np.testing.assert_allclose(back["ctr_shrunk"], table["ctr_shrunk"])
    assert back.loc[6, "flags"] == "ctr_anomaly;integrity"
    assert all(not str(v).startswith(("=", "+", "-", "@", "\t")) for v in back["top_drivers"])


def test_csv_written_in_chunks_is_the_bytes_of_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text columns empty in the first chunk, text only in the first, mixed cells, a formula
    further down: the chunks join into the file one whole write gives, header once."""
    n = 25
    frame = pd.DataFrame(
        {
            "site_id": [f"site{i}.com" for i in range(n)],
            "later": pd.Series([None] * 10 + [f"note {i}" for i in range(10, n)], dtype=object),
            "early": pd.Series([f"x{i}" for i in range(5)] + [None] * (n - 5), dtype=object),
            "mixed": [1, "two", None, 2.5, ("a", "b")] * 5,
            "score": np.linspace(0.0, 99.5, n),
            "evil": ["ok"] * 20 + [EVIL] * 5,
            "flag": [True, False] * 12 + [True],
        }
    )
    frame.loc[3, "score"] = np.nan
    monkeypatch.setattr(sheets, "CHUNK", 10_000)
    whole = write_csv(frame, tmp_path / "whole.csv").read_bytes()
    monkeypatch.setattr(sheets, "CHUNK", 7)
    chunked = write_csv(frame, tmp_path / "chunked.csv").read_bytes()
    assert chunked == whole
    assert chunked.count(b"site_id") == 1
    back = pd.read_csv(tmp_path / "chunked.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["later"].tolist()[9:11] == ["", "note 10"]
    assert back["mixed"].tolist()[:5] == ["1", "two", "", "2.5", "a; b"]
    assert back["evil"].tolist()[-1] == "'" + EVIL
    empty = write_csv(frame.iloc[:0], tmp_path / "empty.csv").read_bytes()
    assert empty.decode("utf-8-sig").strip() == ",".join(f'"{c}"' for c in frame.columns)


def test_xlsx_reads_back_equal_and_holds_no_formula(tmp_path: Path) -> None:
    table = results_table(result())
    path = write_xlsx([("Scores", table)], tmp_path / "scores.xlsx")
    book = openpyxl.load_workbook(path)  # not read-only: formulas would show as data_type "f"
    sheet = book["Scores"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = list(sheet.values)
    header = list(values[0])
    assert header == list(table.columns)
    ids = [row[header.index("site_id")] for row in values[1:]]
    assert ids == [neutralise(s) for s in table["site_id"]]
    scores = [row[header.index("score")] for row in values[1:]]
    np.testing.assert_allclose(scores, table["score"])
    assert all(isinstance(v, int | float) for v in scores)  # numbers stay numbers
    lo = [row[header.index("impressions")] for row in values[1:]]
    np.testing.assert_allclose(lo, table["impressions"])


def test_json_is_strict_and_neutralised(tmp_path: Path) -> None:
    path = write_json(result().summary, tmp_path / "summary.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"campaign_score": 61.5, "note": "'" + EVIL, "nan": None}
    assert json_safe({"a": np.int64(3), "b": (np.float32(1.5),)}) == {"a": 3, "b": [1.5]}


def test_run_outputs_write_every_file(tmp_path: Path) -> None:
    res = result()
    lists = build_lists(res.sites)
    written = write_run_outputs(res, lists, tmp_path, about={"config": {"x": 1}}, xlsx=True)
    names = {p.name for p in written}
    assert names >= {
        "scores.csv",
        "scores.xlsx",
        "allowlist_domains.txt",
        "allowlist_apps.txt",
        "blocklist_domains.txt",
        "blocklist_apps.txt",
        "summary.json",
        "data_quality.json",
    }
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["lists"]["block"]["sites"] == 1
    assert summary["config"] == {"x": 1}
    scores = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig")
    assert scores.loc[0, "list_action"] == "allow"
    quality = json.loads((tmp_path / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["rows_read"] == 21
    # The same bytes on every OS: text mode would have written CRLF on Windows.
    for name in ("summary.json", "data_quality.json", "scores.csv", "blocklist_domains.txt"):
        assert b"\r" not in (tmp_path / name).read_bytes(), name


def test_run_outputs_over_a_file_open_in_excel_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = result()
    lists = build_lists(res.sites)
    folder = tmp_path / "out"
    write_run_outputs(res, lists, folder, xlsx=True)
    for path in folder.iterdir():
        path.write_bytes(b"previous " + path.name.encode())
    before = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    WindowsLocks(monkeypatch).lock(folder / "scores.xlsx")
    with pytest.raises(ValidationError) as failed:
        write_run_outputs(res, lists, folder, xlsx=True)
    assert "Close scores.xlsx in Excel (or any app that has it open)" in str(failed.value)
    assert str(folder / "scores.xlsx") in str(failed.value)
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("xlsx", [False, True])
def test_the_names_checked_before_writing_are_the_names_written(tmp_path: Path, xlsx: bool) -> None:
    """A file open in Excel is looked for under these names before scoring (caliber score)."""
    res = result()
    lists = build_lists(res.sites)
    written = write_run_outputs(res, lists, tmp_path / "out", xlsx=xlsx)
    assert [p.name for p in written] == run_output_names(level_vendor=False, xlsx=xlsx)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)
    for vendor in (False, True):
        assert list(lists.files(level_vendor=vendor)) == list_file_names(level_vendor=vendor)


def test_results_table_text_is_string_columns_with_the_same_text() -> None:
    """Names and sentences leave results_table as string columns (the writers then neutralise
    and write them in one step, not one Python call per cell), holding the very same text."""
    from scoring_helpers import DISPLAY, make_frame, table

    from caliber_desktop.services.scoring.pipeline import score_sites

    result = score_sites(table(make_frame(80)), DISPLAY)
    out = results_table(result)
    for column in ("site_id", "kind", "display_name", "decision_reason", "top_drivers"):
        assert out[column].dtype != object, column
    assert out["display_name"].tolist() == result.sites["display_name"].tolist()
    assert out["top_drivers"].tolist() == result.sites["top_drivers"].tolist()
