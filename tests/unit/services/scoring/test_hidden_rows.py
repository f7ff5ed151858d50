"""Rows Excel hides (an autofilter, or rows hidden by hand) are scored like the others — and said.

An analyst filters a TTD export to one supply vendor in Excel, saves it and drops it in: the rows
the filter hides are still in the file, and were scored with no word about them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from support.site_tables import coded, streamed, whole

from caliber_desktop.services.scoring import read_xlsx
from caliber_desktop.services.scoring.model import Issue, SiteTable


def sample_rows(shared_data: Path, n: int) -> list[list[object]]:
    with (shared_data / "ttd_display_awareness_sample.csv").open(encoding="utf-8") as fh:
        rows: list[list[object]] = list(csv.reader(fh))[: n + 1]
    for row in rows[1:]:
        row[6:] = [float(str(c)) for c in row[6:]]  # counts as Excel numbers
    return rows


def hidden(table: SiteTable) -> list[Issue]:
    return coded(table, "hidden_rows")


def test_rows_an_autofilter_hides_are_scored_and_said(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """openpyxl writes ``<row r="3" hidden="1">``; batches of 500 rows split the hidden rows
    over several, which add up to one sentence."""
    monkeypatch.setattr(read_xlsx, "BATCH_ROWS", 500)
    rows = sample_rows(shared_data, 3000)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Report"
    for row in rows:
        sheet.append(row)
    sheet.auto_filter.ref = "A1:N3001"
    shown = [r for r in range(2, 3002) if rows[r - 1][5] == "Xandr"]
    for r in range(2, 3002):
        sheet.row_dimensions[r].hidden = r not in shown
    path = tmp_path / "xandr only.xlsx"
    book.save(path)
    for table in (whole(path), streamed(path)):
        (issue,) = hidden(table)
        assert issue.severity == "warning"
        first = min(set(range(2, 3002)) - set(shown))
        assert issue.row == first
        assert f"{3000 - len(shown):,} row(s) of sheet 'Report' are hidden" in issue.message
        assert f"(first: row {first})" in issue.message
        assert issue.message.startswith("xandr only.xlsx: ")
        # every row is still read and scored: the note says so, nothing is dropped silently
        assert table.quality.rows_read == table.quality.rows_scored == 3000


def test_excel_row_tags_and_rows_that_do_not_count(tmp_path: Path, shared_data: Path) -> None:
    """xlsxwriter writes Excel's ``<row r=".." spans=".." hidden="1">``. A hidden preamble row
    above the header, and hidden empty rows below the data, hide no data: not counted."""
    rows = sample_rows(shared_data, 40)
    path = tmp_path / "report.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["Report: VAG Q4"])
    sheet.set_row(0, None, None, {"hidden": True})
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, row)
    for r in (5, 6, 7):  # 0-based: Excel rows 6, 7, 8
        sheet.set_row(r, None, None, {"hidden": True})
    for r in (60, 61):  # empty
        sheet.set_row(r, None, None, {"hidden": True})
    book.close()
    with read_xlsx.zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert 'spans="1:14" hidden="1"' in xml
    assert '<row r="61" hidden="1"/>' in xml
    for table in (whole(path), streamed(path)):
        (issue,) = hidden(table)
        assert "3 row(s) of sheet 'Data' are hidden in Excel (first: row 6)" in issue.message


def test_a_workbook_without_hidden_rows_says_nothing(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "plain.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    for r, row in enumerate(sample_rows(shared_data, 30)):
        sheet.write_row(r, 0, row)
    sheet.set_row(40, None, None, {"hidden": True})  # an empty hidden row below the data
    book.close()
    assert not hidden(whole(path))
    assert not hidden(streamed(path))
