"""Exports of a stored run: every what × format reads back equal to the results, no text cell can
become a spreadsheet formula in any format, and a failed or cancelled export leaves nothing."""

from __future__ import annotations

import csv
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import fastexcel
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape
from openxml_audit import OpenXmlValidator, ValidationSeverity
from support.campaigns import TTD_DISPLAY_AWARENESS
from support.windows_locks import WindowsLocks

from caliber_desktop.errors import NotFoundError, ValidationError
from caliber_desktop.models import labels
from caliber_desktop.models.assistant import AIInsight
from caliber_desktop.services.exports import outputs, parts, run_data, sheets
from caliber_desktop.services.exports.outputs import export
from caliber_desktop.services.exports.run_outputs import neutralise
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.runs.facts import list_cell
from caliber_desktop.services.workspace import Workspace

SETTINGS = TTD_DISPLAY_AWARENESS
EVIL = '=HYPERLINK("http://x","y")'
#: Site names a report may carry that a spreadsheet would run (tab/CR-led ones are stripped by
#: the id normaliser, so they are tested in the insight text below).
EVIL_SITES = (EVIL, "+44 calc", "@SUM(A1)", "-2+3 cmd")
EVIL_TEXT = ("\t=1+1", "\r=2+2")
DANGER = ("=", "+", "-", "@", "\t", "\r")


def report_with_evil_sites(shared_data: Path, folder: Path) -> Path:
    source = shared_data / "ttd_display_awareness_sample.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:4000]
    site = header.index("Site")
    extra = []
    for name in EVIL_SITES:
        for template in body[:6]:
            row = list(template)
            row[site] = name
            row[header.index("Impressions")] = "5000"
            extra.append(row)
    path = folder / "evil_report.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body, *extra])
    return path


@pytest.fixture
def scored(workspace: Workspace, shared_data: Path, tmp_path: Path) -> tuple[Workspace, int]:
    campaign = workspace.campaigns.create("Evil names", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, report_with_evil_sites(shared_data, tmp_path))
    workspace.runs.score_campaign(campaign.id)
    workspace.runs.pin(campaign.id, EVIL, "allow", "=SUM(1) looks fine")
    workspace.runs.pin(campaign.id, "not-in-this-run.example", "block", "old pin")
    with workspace.store.write() as session:
        session.add(
            AIInsight(
                campaign_id=campaign.id,
                user_id=workspace.user.id,
                insight_type="domain",
                subject=EVIL_TEXT[1],
                content=EVIL_TEXT[0] + " is what the model said",
            )
        )
    return workspace, campaign.id


def sites_of(ws: Workspace, campaign_id: int) -> pd.DataFrame:
    run = ws.runs.current_run(campaign_id)
    assert run is not None
    return ws.runs.site_frame(run.id)


def assert_safe_text(values: Any) -> None:
    texts = [v for v in values if isinstance(v, str)]
    assert texts
    risky = [v for v in texts if v.startswith(DANGER)]
    assert not risky, risky[:5]


def assert_results_equal(back: pd.DataFrame, sites: pd.DataFrame) -> None:
    assert back["site_id"].astype(str).tolist() == [neutralise(str(s)) for s in sites.index]
    metrics = [c.removesuffix("_shrunk") for c in back.columns if c.endswith("_shrunk")]
    assert metrics
    for column in ["score", "percentile", "impressions", "spend", *metrics]:
        np.testing.assert_allclose(
            pd.to_numeric(back[column], errors="coerce").to_numpy(float),
            sites[column].to_numpy(float),
            rtol=1e-6,
            atol=1e-6,
            err_msg=column,
        )
    assert back["recommendation"].astype(str).tolist() == sites["recommendation"].tolist()


def xlsx_cells(path: Path) -> list[Any]:
    """Every cell's value, text decoded as Excel reads it: a character XML cannot hold (a CR,
    a control character) is written ``_xHHHH_`` (ECMA-376 ST_Xstring), which openpyxl leaves
    encoded in inline strings (fastexcel and Excel decode it)."""
    book = openpyxl.load_workbook(path)  # not read-only: formulas show as data_type "f"
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [unescape(c.value) if isinstance(c.value, str) else c.value for c in cells]


def xlsx_frames(path: Path) -> dict[str, pd.DataFrame]:
    reader = fastexcel.read_excel(path)
    return {name: reader.load_sheet_by_name(name).to_pandas() for name in reader.sheet_names}


# ----------------------------------------------------------------------------- results


def test_results_csv_reads_back_equal_and_neutralised(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    info = export(ws, cid, "results", "csv", tmp_path / "out" / "results.csv")
    assert info.files == (tmp_path / "out" / "results.csv",)
    back = pd.read_csv(info.path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    sites = sites_of(ws, cid)
    assert_results_equal(back, sites)
    assert "'" + EVIL in back["site_id"].tolist()
    assert_safe_text(back["site_id"])
    assert_safe_text(back["display_name"])
    pinned = back[back["site_id"] == "'" + EVIL].iloc[0]
    assert (pinned["list_action"], bool(pinned["overridden"])) == ("allow", True)
    assert pinned["override_reason"] == "'=SUM(1) looks fine"


def test_results_xlsx_reads_back_equal_and_holds_no_formula(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    info = export(ws, cid, "results", "xlsx", tmp_path / "r.xlsx")
    values = xlsx_cells(info.path)
    assert "'" + EVIL in values
    assert_safe_text(values)
    frames = xlsx_frames(info.path)
    back = frames["Results"]
    assert_results_equal(back, sites_of(ws, cid))
    assert back["score"].dtype.kind == "f"  # numbers stay numbers
    # The data keeps the machine names scripts read; the "Columns" sheet says each in words,
    # every one from the labels table (none humanised as a fallback).
    guide = frames["Columns"]
    assert guide["column"].tolist() == [str(c) for c in back.columns]
    suffixes = tuple(labels.METRIC_COLUMN_SUFFIXES)
    for name in guide["column"]:
        base = name.removesuffix(next((s for s in suffixes if name.endswith(s)), ""))
        known = name in labels.FIELDS or base in labels.METRICS
        assert known, f"no label for result column {name!r}: add it to models/labels.py"
    words = dict(zip(guide["column"], guide["label"], strict=True))
    assert words["p_block"] == "Chance it belongs on the block list"
    assert words["ctr"] == "CTR"
    assert words["ctr_shrunk"] == "CTR (adj.)"


def test_results_json_carries_the_neutralised_text(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    info = export(ws, cid, "results", "json", tmp_path / "r.json")
    doc = json.loads(info.path.read_text(encoding="utf-8"))
    assert doc["export"]["what"] == "results"
    assert doc["run"]["id"] == info.run_id
    back = pd.DataFrame(doc["results"])
    assert_results_equal(back, sites_of(ws, cid))
    assert_safe_text(back["site_id"])
    assert "'" + EVIL in back["site_id"].tolist()


# ----------------------------------------------------------------------------- lists, summary


def test_lists_in_every_format(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    lists = ws.runs.lists(cid)
    sizes = {n: len(lists.members(n)) for n in ("allow", "block", "monitor")}

    folder = export(ws, cid, "lists", "csv", tmp_path / "lists").path
    names = {p.name for p in folder.iterdir()}
    assert names >= {"allow.csv", "block.csv", "monitor.csv", "impact.csv", "bid_adjustments.csv"}
    assert names >= {"allowlist_domains.txt", "blocklist_domains.txt"}
    for name, size in sizes.items():
        frame = pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig", keep_default_na=False)
        assert len(frame) == size
        assert set(frame["list_action"]) <= {name}
    allow = pd.read_csv(folder / "allow.csv", encoding="utf-8-sig", keep_default_na=False)
    assert_safe_text(allow["site_id"])
    assert allow.loc[allow["site_id"] == "'" + EVIL, "overridden"].tolist() == [True]
    dsp = "".join(
        (folder / name).read_text(encoding="utf-8")
        for name in ("allowlist_apps.txt", "bid_adjustments.csv")
    )
    assert not any(line.startswith(DANGER) for line in dsp.splitlines())

    book = tmp_path / "lists.xlsx"
    export(ws, cid, "lists", "xlsx", book)
    frames = xlsx_frames(book)
    assert list(frames) == ["Allow", "Block", "Neither", "Impact", "Columns"]
    assert {n: len(frames[list_cell(n)]) for n in sizes} == sizes
    assert_safe_text(xlsx_cells(book))

    doc = json.loads(
        export(ws, cid, "lists", "json", tmp_path / "l.json").path.read_text(encoding="utf-8")
    )
    assert {n: len(doc["lists"][n]) for n in sizes} == sizes
    assert doc["impact"]["block"]["sites"] == sizes["block"]
    assert_safe_text(r["site_id"] for r in doc["lists"]["allow"])


def test_lists_csv_as_a_zip(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    info = export(ws, cid, "lists", "csv", tmp_path / "lists.zip")
    with zipfile.ZipFile(info.path) as archive:
        assert {"allow.csv", "block.csv", "impact.csv"} <= set(archive.namelist())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".caliber")] == []


def test_summary_in_every_format(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    run = ws.runs.current_run(cid)
    assert run is not None
    doc = json.loads(
        export(ws, cid, "summary", "json", tmp_path / "s.json").path.read_text(encoding="utf-8")
    )
    assert doc["campaign_score"] == pytest.approx(run.campaign_score)
    assert doc["recommendations"] == run.summary["recommendations"]
    assert doc["weights"] == pytest.approx(run.summary["weights"])
    assert set(doc["lists"]) == {"allow", "block", "monitor"}
    assert doc["campaign"]["name"] == "Evil names"

    flat = pd.read_csv(
        export(ws, cid, "summary", "csv", tmp_path / "s.csv").path,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    assert list(flat.columns) == ["section", "name", "value"]
    score = flat[(flat["section"] == "campaign_score")]["value"].astype(float).iloc[0]
    assert score == pytest.approx(run.campaign_score)
    book = tmp_path / "s.xlsx"
    export(ws, cid, "summary", "xlsx", book)
    sheet = xlsx_frames(book)["Summary"]
    weights = sheet[sheet["section"] == "weights"]
    assert dict(zip(weights["name"], weights["value"].astype(float), strict=True)) == (
        pytest.approx(run.summary["weights"])
    )


# ----------------------------------------------------------------------------- campaign

PARTS = ("summary", "settings", "column_mapping", "data_quality", "results", "overrides",
         "insights", "runs")  # fmt: skip


def test_campaign_csv_folder_has_every_part(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    folder = export(ws, cid, "campaign", "csv", tmp_path / "campaign").path
    assert {p.name for p in folder.iterdir()} == {f"{part}.csv" for part in PARTS}

    def read(part: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{part}.csv", encoding="utf-8-sig", keep_default_na=False)

    assert_results_equal(read("results"), sites_of(ws, cid))
    settings = read("settings")
    assert ("campaign", "goal", "awareness") in set(settings.itertuples(index=False, name=None))
    mapping = read("column_mapping")
    assert ("column_mapping", "columns.site", "Site") in set(
        mapping.itertuples(index=False, name=None)
    )
    quality = read("data_quality")
    assert quality[quality["name"] == "rows_read"]["value"].astype(int).iloc[0] > 4000
    overrides = read("overrides")
    assert set(overrides["site_id"]) == {"'" + EVIL, "not-in-this-run.example"}
    insights = read("insights")
    assert len(insights) == 1
    assert insights.loc[0, "content"].startswith("'\t=1+1")
    assert insights.loc[0, "subject"].startswith("'")
    assert len(read("runs")) == 1
    for part in PARTS:
        assert_safe_text(read(part).to_numpy().ravel()) if part != "runs" else None


@pytest.mark.parametrize("what", ["results", "lists", "summary", "campaign"])
def test_xlsx_exports_pass_the_ooxml_validator(
    scored: tuple[Workspace, int], tmp_path: Path, what: str
) -> None:
    """Checked against ECMA-376's schemas and the Open XML SDK's semantic rules (openxml-audit,
    offline), not only read back by a tolerant reader: the hand-written writer the app had before
    failed here (no theme part, which Excel repairs)."""
    ws, cid = scored
    book = export(ws, cid, what, "xlsx", tmp_path / f"{what}.xlsx").path
    result = OpenXmlValidator().validate(str(book))
    errors = [str(e) for e in result.errors if e.severity == ValidationSeverity.ERROR]
    assert result.is_valid, errors
    assert not errors


def test_campaign_xlsx_has_a_sheet_per_part(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    book = export(ws, cid, "campaign", "xlsx", tmp_path / "c.xlsx").path
    values = xlsx_cells(book)
    assert_safe_text(values)
    assert "'\t=1+1 is what the model said" in values
    assert "'\r=2+2" in values  # a CR survives the round trip, neutralised
    frames = xlsx_frames(book)
    assert list(frames) == [
        "Summary", "Settings", "Column mapping", "Data quality", "Results", "Overrides",
        "Insights", "Runs", "Columns",
    ]  # fmt: skip
    assert_results_equal(frames["Results"], sites_of(ws, cid))
    assert len(frames["Overrides"]) == 2


def test_campaign_json_is_one_document(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    doc = json.loads(
        export(ws, cid, "campaign", "json", tmp_path / "c.json").path.read_text(encoding="utf-8")
    )
    assert set(doc) == {"export", *PARTS}
    assert doc["settings"]["campaign"]["platform"] == "trade_desk"
    assert doc["column_mapping"]["columns"]["site"] == "Site"
    assert doc["data_quality"]["rows_read"] > 4000
    assert {o["site_id"] for o in doc["overrides"]} == {"'" + EVIL, "not-in-this-run.example"}
    assert doc["insights"][0]["content"].startswith("'\t=1+1")
    assert doc["runs"][0]["current"] is True
    assert_results_equal(pd.DataFrame(doc["results"]), sites_of(ws, cid))


# ----------------------------------------------------------------------------- failures


def test_unknown_what_or_format_names_the_field(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    with pytest.raises(ValidationError) as what:
        export(ws, cid, "everything", "csv", tmp_path / "out" / "x")
    assert what.value.field == "what"
    with pytest.raises(ValidationError) as fmt:
        export(ws, cid, "results", "pdf", tmp_path / "out" / "x")
    assert fmt.value.field == "format"
    assert not (tmp_path / "out").exists()


def test_no_completed_run_and_foreign_runs(scored: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, cid = scored
    fresh = ws.campaigns.create("Not scored", settings=SETTINGS)
    with pytest.raises(ValidationError) as none:
        export(ws, fresh.id, "results", "csv", tmp_path / "x.csv")
    assert none.value.field == "run"
    run = ws.runs.current_run(cid)
    assert run is not None
    with pytest.raises(NotFoundError):
        export(ws, fresh.id, "results", "csv", tmp_path / "x.csv", run_id=run.id)


@pytest.mark.parametrize(("what", "fmt"), [("results", "xlsx"), ("campaign", "csv")])
def test_a_failure_leaves_nothing(
    scored: tuple[Workspace, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    fmt: str,
) -> None:
    ws, cid = scored
    real = sheets.write_csv if fmt == "csv" else outputs.write_xlsx
    calls = []

    def half_then_fail(*args: Any, **kwargs: Any) -> Path:
        calls.append(1)
        if len(calls) >= 3 or fmt == "xlsx":
            real(*args, **kwargs)
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    import caliber_desktop.services.exports.parts as parts

    monkeypatch.setattr(parts if fmt == "csv" else outputs, f"write_{fmt}", half_then_fail)
    target = tmp_path / "out" / ("c" if fmt == "csv" else "r.xlsx")
    with pytest.raises(ValidationError, match="is full") as failed:
        export(ws, cid, what, fmt, target)
    assert "No space left on device" in str(failed.value)
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_cancel_leaves_nothing_and_keeps_an_older_file(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "r.json"
    target.write_text("previous export", encoding="utf-8")
    token = CancelToken()

    def cancel_when_writing(done: int, total: int, message: str) -> None:
        if message.startswith("Writing"):
            token.cancel()

    with pytest.raises(Cancelled):
        export(ws, cid, "results", "json", target, progress=cancel_when_writing, cancel=token)
    assert target.read_text(encoding="utf-8") == "previous export"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r.json"]


def test_an_existing_folder_gets_a_default_name(
    scored: tuple[Workspace, int], tmp_path: Path
) -> None:
    ws, cid = scored
    info = export(ws, cid, "summary", "xlsx", tmp_path)
    assert info.path.parent == tmp_path
    assert info.path.name == f"caliber_campaign{cid}_run{info.run_id}_summary.xlsx"


def test_xlsx_cells_keep_their_types_and_excel_s_limits(tmp_path: Path) -> None:
    """Bold frozen header; numbers, booleans and text as such; NaN/∞/None empty; a date column
    and a categorical as neutralised text; text past Excel's 32,767 characters cut (Excel
    refuses a longer cell); a control character kept (written _x0001_, as Excel does)."""
    frame = pd.DataFrame(
        {
            "n": [1.5, np.nan, np.inf, 2.0],
            "flag": [True, False, True, False],
            "text": ["x" * 40_000, "a\x01b", None, "=cat"],
            "when": pd.to_datetime(["2024-01-02", None, "2024-03-04", "2024-05-06"]),
            "kind": pd.Categorical(["=bad", "ok", "ok", "-1"]),
            "mixed": pd.Series([1, "=SUM(A1)", None, [1, "b"]], dtype=object),
        }
    )
    book = sheets.write_xlsx([("S", frame)], tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(book).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    rows = [[unescape(v) if isinstance(v, str) else v for v in row] for row in sheet.values]
    assert rows[0] == ["n", "flag", "text", "when", "kind", "mixed"]
    assert [r[0] for r in rows[1:]] == [1.5, None, None, 2.0]
    assert [r[1] for r in rows[1:]] == [True, False, True, False]
    assert rows[1][2] == "x" * sheets.CELL_TEXT_MAX
    assert rows[2][2] == "a\x01b"
    assert rows[3][2] is None
    assert rows[4][2] == "'=cat"
    assert [r[3] for r in rows[1:]] == ["2024-01-02", None, "2024-03-04", "2024-05-06"]
    assert [r[4] for r in rows[1:]] == ["'=bad", "ok", "ok", "'-1"]
    assert [r[5] for r in rows[1:]] == [1, "'=SUM(A1)", None, "1; b"]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "ok", "a=b"])
def test_frame_writers_neutralise_every_prefix(tmp_path: Path, value: str) -> None:
    frame = pd.DataFrame({"text": [value], "mixed": pd.Series([value], dtype=object), "n": [1.5]})
    expected = neutralise(value)
    back = pd.read_csv(sheets.write_csv(frame, tmp_path / "f.csv"), encoding="utf-8-sig")
    assert (
        back.loc[0, "text"].strip("\r") == expected.strip("\r") or back.loc[0, "text"] == expected
    )
    values = xlsx_cells(sheets.write_xlsx([("S", frame)], tmp_path / "f.xlsx"))
    assert values[3:] == [expected, expected, 1.5]
    written = sheets.write_json_document({"rows": frame}, tmp_path / "f.json")
    doc = json.loads(written.read_text(encoding="utf-8"))
    assert doc["rows"] == [{"text": expected, "mixed": expected, "n": 1.5}]


# ----------------------------------------------------------------------------- files in use


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> WindowsLocks:
    return WindowsLocks(monkeypatch)


def stored_state(ws: Workspace, campaign_id: int) -> Any:
    """What an export must never change: the campaign, its runs and its pins."""
    campaign = ws.campaigns.get(campaign_id)
    runs = [(r.id, r.status, r.finished_at) for r in ws.runs.runs(campaign_id)]
    return campaign.current_run_id, campaign.status, runs, dict(ws.runs.overrides(campaign_id))


def mark_as_previous(folder: Path) -> dict[str, bytes]:
    """Give every file of an earlier export recognisable bytes; return the folder's contents."""
    for path in folder.iterdir():
        path.write_bytes(b"previous " + path.name.encode())
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}  # hidden ones too


@pytest.mark.parametrize("what", ["lists", "campaign"])
def test_a_folder_export_over_a_file_open_in_excel_changes_nothing(
    scored: tuple[Workspace, int], tmp_path: Path, windows: WindowsLocks, what: str
) -> None:
    ws, cid = scored
    folder = export(ws, cid, what, "csv", tmp_path / "exports" / what).path
    checked_first = parts.folder_names(run_data.read_run(ws, cid, None), what)
    assert sorted(checked_first) == sorted(p.name for p in folder.iterdir())
    before = mark_as_previous(folder)
    stored = stored_state(ws, cid)
    locked = sorted(folder.iterdir())[2]  # the 3rd: two files would have been replaced before
    windows.lock(locked)
    with pytest.raises(ValidationError) as failed:
        export(ws, cid, what, "csv", folder)
    message = str(failed.value)
    assert (
        f"Close {locked.name} in Excel (or any app that has it open) and export again." in message
    )
    assert str(locked) in message
    assert folder_contents(folder) == before  # old bytes, nothing new, no .caliber-export-*
    assert [p.name for p in folder.parent.iterdir()] == [what]
    assert stored_state(ws, cid) == stored


@pytest.mark.parametrize(("what", "fmt"), [("results", "xlsx"), ("summary", "csv")])
def test_a_single_file_open_in_excel_is_named_and_kept(
    scored: tuple[Workspace, int], tmp_path: Path, windows: WindowsLocks, what: str, fmt: str
) -> None:
    ws, cid = scored
    (tmp_path / "exports").mkdir()
    target = tmp_path / "exports" / f"out.{fmt}"
    target.write_bytes(b"previous export")
    (target.parent / "neighbour.csv").write_bytes(b"someone else's")
    stored = stored_state(ws, cid)
    windows.lock(target)
    with pytest.raises(ValidationError, match=rf"Close out\.{fmt} in Excel"):
        export(ws, cid, what, fmt, target)
    assert folder_contents(target.parent) == {
        "neighbour.csv": b"someone else's",
        f"out.{fmt}": b"previous export",
    }
    assert stored_state(ws, cid) == stored


def test_a_zip_open_in_another_app_is_named_and_kept(
    scored: tuple[Workspace, int], tmp_path: Path, windows: WindowsLocks
) -> None:
    ws, cid = scored
    (tmp_path / "exports").mkdir()
    target = tmp_path / "exports" / "lists.zip"
    target.write_bytes(b"previous zip")
    windows.lock(target)
    with pytest.raises(ValidationError, match=r"Close lists\.zip"):
        export(ws, cid, "lists", "csv", target)
    assert folder_contents(target.parent) == {"lists.zip": b"previous zip"}


def test_a_big_workbook_is_written_in_a_child_process_with_the_same_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Rust writer holds the interpreter lock for the whole workbook (~1 s at 100k rows),
    which froze the window whose worker exported it: big workbooks are written by a child."""
    frame = pd.DataFrame(
        {
            "site": [f"site{i}.com" for i in range(40)],
            "note": ["=1+1", "plain", None, "@SUM(A1)"] * 10,
            "score": [float(i) if i % 7 else np.nan for i in range(40)],
            "pinned": [i % 2 == 0 for i in range(40)],
        }
    )
    prepared = [sheets._sheet_frame(frame)]
    pid = sheets._write_in_child(["Scores"], prepared, tmp_path / "child.xlsx")
    assert pid != os.getpid()
    sheets._write_workbook(["Scores"], prepared, str(tmp_path / "here.xlsx"))
    assert xlsx_cells(tmp_path / "child.xlsx") == xlsx_cells(tmp_path / "here.xlsx")
    assert "'=1+1" in xlsx_cells(tmp_path / "child.xlsx")
    monkeypatch.setattr(sheets, "CHILD_ROWS", 10)  # write_xlsx takes the child at that size
    sheets.write_xlsx([("Scores", frame)], tmp_path / "via.xlsx")
    assert xlsx_cells(tmp_path / "via.xlsx") == xlsx_cells(tmp_path / "here.xlsx")
