"""Exports pasted together: the header repeated inside the file, rows copied across it, and a
second export whose columns are in another order (issue: trust in files from outside our
generator; see ``services/scoring/pasted.py``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xlsxwriter
from support.site_tables import coded, streamed, whole

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.scoring import read_text
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.model import Issue, SiteTable
from caliber_desktop.services.scoring.read import read_report

Rows = list[list[str]]


def sample(shared_data: Path, name: str = "ttd_display_awareness_sample.csv") -> Rows:
    with (shared_data / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write(path: Path, rows: Rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def pasted(table: SiteTable) -> Issue:
    (issue,) = coded(table, "pasted_exports")
    return issue


def test_an_overlapping_second_export_is_said_with_the_rows_it_repeats(
    tmp_path: Path, shared_data: Path
) -> None:
    rows = sample(shared_data)
    header, data = rows[0], rows[1:]
    # September's 20,000 rows, then a re-download whose first 3,000 rows September already had
    path = write(tmp_path / "sep_oct.csv", [header, *data, header, *data[:3000]])
    table = whole(path)
    issue = pasted(table)
    assert (issue.severity, issue.row) == ("warning", 20_002)
    assert "sep_oct.csv: row 20002 repeats the header" in issue.message
    assert "3,000 rows under a repeated header are exact copies" in issue.message
    assert "(first: row 20003, a copy of row 2)" in issue.message
    # the header row is counted, under its own reason, and nothing else is lost
    quality = table.quality
    assert quality.rows_read == 23_001
    assert quality.rows_read == quality.rows_scored + quality.rows_dropped
    (header_rows,) = [d for d in quality.dropped if d.reason == "header_row"]
    assert (header_rows.rows, header_rows.examples) == (1, ("row 20002",))
    assert not [i for i in quality.issues if i.code == "text_in_number_column"]
    # the copies are counted as read (twice), as the warning says
    imps = sum(float(r[header.index("Impressions")]) for r in [*data, *data[:3000]])
    assert table.frame["impressions"].sum() == pytest.approx(imps)


def test_exports_of_different_days_pasted_together_are_a_note(
    tmp_path: Path, shared_data: Path
) -> None:
    rows = sample(shared_data)
    header, data = rows[0], rows[1:]
    later = [[f"2025-{r[0][5:]}", *r[1:]] for r in data[:500]]  # a year on: no row repeats
    table = whole(write(tmp_path / "two.csv", [header, *data[:800], header, *later, header]))
    issue = pasted(table)
    assert issue.severity == "info"
    assert "2 rows repeat the header (first: row 802)" in issue.message
    assert "No row under a repeated header copies a row above it" in issue.message
    (header_rows,) = [d for d in table.quality.dropped if d.reason == "header_row"]
    assert header_rows.examples == ("row 802", "row 1303")
    assert table.quality.rows_read == 1_302


def test_a_second_export_with_its_columns_moved_is_refused(
    tmp_path: Path, shared_data: Path
) -> None:
    """Read on, every row under it would count clicks as impressions, with nothing to show."""
    rows = sample(shared_data)
    header = rows[0]
    i, c = header.index("Impressions"), header.index("Clicks")

    def swapped(row: list[str]) -> list[str]:
        row = list(row)
        row[i], row[c] = row[c], row[i]
        return row

    path = write(tmp_path / "moved.csv", [*rows[:1001], swapped(header), *map(swapped, rows[1:9])])
    with pytest.raises(FileRejectedError) as caught:
        read_report(path)
    assert "row 1002 is a header with its columns in another order than the header in row 1" in (
        caught.value.reason
    )
    assert "('Clicks' stands under 'Impressions')" in caught.value.reason
    assert caught.value.hint is not None
    with pytest.raises(FileRejectedError):
        score_file(path, ScoreRequest(goal=Goal.AWARENESS, platform=Platform.TRADE_DESK))


def test_a_header_word_in_a_count_cell_is_text_not_a_header(tmp_path: Path) -> None:
    rows = [
        ["Date", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)"],
        *[["2024-11-01", f"s{k}.com", "1000", "3", "2.5"] for k in range(20)],
        ["2024-11-01", "odd.com", "Clicks", "3", "2.5"],
    ]
    table = whole(write(tmp_path / "odd.csv", rows))
    assert not [i for i in table.quality.issues if i.code == "pasted_exports"]
    (text,) = [i for i in table.quality.issues if i.code == "text_in_number_column"]
    assert "'Clicks'" in text.message
    assert [d.reason for d in table.quality.dropped] == ["unreadable_number"]


def test_a_streamed_export_with_text_numbers_says_the_same_as_the_whole_read(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PulsePoint writes ``$3.77``: its number columns stream as text, where a header row
    is found batch by batch; the file is then read whole, for the copies across it."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 64 << 10)
    rows = sample(shared_data, "pulsepoint_display_sample.csv")
    path = write(tmp_path / "pp.csv", [*rows, rows[0], *rows[1:500]])
    a, b = whole(path), streamed(path)
    assert "499 rows under a repeated header" in pasted(b).message
    assert [(i.code, i.message) for i in a.quality.issues] == [
        (i.code, i.message) for i in b.quality.issues if i.code != "read_whole"
    ]
    assert (a.quality.rows_read, a.quality.rows_scored) == (
        b.quality.rows_read,
        b.quality.rows_scored,
    )
    assert a.frame.equals(b.frame)


def test_a_workbook_with_a_repeated_header_is_read_the_same_way(tmp_path: Path) -> None:
    header = ["Date", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)"]
    data = [[f"2024-11-0{1 + k % 3}", f"s{k % 7}.com", 1000 + k, k % 4, 2.5] for k in range(30)]
    path = tmp_path / "pasted.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Report")
    for r, row in enumerate([header, *data, header, *data[:4]]):
        sheet.write_row(r, 0, row)
    book.close()
    for table in (whole(path), streamed(path)):
        issue = pasted(table)
        assert "row 32 repeats the header" in issue.message
        assert "4 rows under a repeated header are exact copies" in issue.message
        assert table.quality.rows_read == 35


def test_score_file_counts_the_header_row_in_the_accounting(
    tmp_path: Path, shared_data: Path
) -> None:
    rows = sample(shared_data)
    path = write(tmp_path / "two.csv", [*rows[:2001], rows[0], *rows[2001:4001]])
    quality = score_file(
        path,
        ScoreRequest(goal=Goal.AWARENESS, platform=Platform.TRADE_DESK, channel=Channel.DISPLAY),
    ).result.quality
    assert quality.rows_read == 4_001
    assert quality.rows_read == quality.rows_scored + quality.rows_dropped
    assert "1 repeating the header" in quality.accounting()


def test_a_lone_header_word_in_an_empty_row_refuses_nothing(tmp_path: Path) -> None:
    """One cell naming another column, the rest of the row empty, is no header in another
    order: the file is read, the cell said as text in a number column."""
    header = ["Date", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)"]
    rows = [header, *[["2024-11-01", f"s{k}.com", "1000", "3", "2.5"] for k in range(20)]]
    rows.append(["", "", "Clicks", "", ""])
    table = whole(write(tmp_path / "lone.csv", rows))
    assert not coded(table, "pasted_exports")
    assert coded(table, "text_in_number_column")
    assert table.quality.rows_read == table.quality.rows_scored + table.quality.rows_dropped == 21


def test_a_header_written_twice_repeats_in_either_of_its_columns(tmp_path: Path) -> None:
    """Exports can name two columns alike (two Impressions): a repeated header is still one
    in its own order, not columns moved."""
    header = [
        "Date",
        "Site",
        "Impressions",
        "Clicks",
        "Impressions",
        "Advertiser Cost (Adv Currency)",
    ]
    data = [["2024-11-02", f"s{k}.com", "1000", "3", "1000", "2.5"] for k in range(20)]
    table = whole(write(tmp_path / "twice.csv", [header, *data, header, *data[:5]]))
    assert "row 22 repeats the header" in pasted(table).message
    assert "5 rows under a repeated header are exact copies" in pasted(table).message
