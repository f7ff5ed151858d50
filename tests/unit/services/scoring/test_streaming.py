"""Scoring reads a report in batches and keeps only per-site sums — with the whole-file answer.

The streaming path (``open_report`` → ``sum_sites``) must give, bit for bit, the site table
the whole-file path (``read_report`` → ``preprocess``) gives, wherever the batches fall: blocks
of a few hundred bytes put every few rows in a batch of their own. What only a later row can
reveal (text in a number column, a ragged row, a fraction in a count, an id that turns out to
be an app) makes it read again rather than guess, and says so.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.real_exports import TTD_INAPP_HEADER, ttd_inapp_video

from caliber_desktop.models.enums import AnalysisLevel, Channel
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.scoring import arrow_exit, read_text, read_xlsx
from caliber_desktop.services.scoring.engine import sum_sites
from caliber_desktop.services.scoring.model import SiteTable
from caliber_desktop.services.scoring.preprocess import preprocess
from caliber_desktop.services.scoring.read import open_report, read_report

HEADER = [
    "Date",
    "Site",
    "Supply Vendor",
    "Impressions",
    "Clicks",
    "Advertiser Cost (Adv Currency)",
]


@pytest.fixture(autouse=True)
def paced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[read_text._Paced]]:
    """Every streamed read here is paced: Arrow never reads more than ``READ_AHEAD`` blocks
    beyond the batches taken, and no read ever waits out its turn (which would mean a batch
    needed more blocks than the pacing allows: a stall, not a bound). When the stream is over,
    Arrow lets go of every block it read (one held at exit aborted the process)."""
    made: list[read_text._Paced] = []

    class Recorded(read_text._Paced):
        def __init__(self, raw: pa.NativeFile, ahead: int) -> None:
            super().__init__(raw, ahead)
            made.append(self)

    monkeypatch.setattr(read_text, "_Paced", Recorded)
    monkeypatch.setattr(read_text, "_PACE_TIMEOUT", 30.0)
    yield made
    for file in made:
        assert file.closed
        assert file.waited_out == 0
        assert file.most_ahead <= read_text.READ_AHEAD
    assert arrow_exit.settle(timeout=10.0), f"{arrow_exit.outstanding()} blocks still in Arrow"


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of a few rows each (Arrow's block size), and a sample of a few rows."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 512)
    monkeypatch.setattr(read_text, "SAMPLE_CHARS", 2_000)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of ~500 rows: a 20,000-row sample is read in about forty."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 64 << 10)


def whole(path: Path, level: AnalysisLevel = AnalysisLevel.DOMAIN, **kw: object) -> SiteTable:
    report = read_report(path)
    table = preprocess(report, level, **kw)  # type: ignore[arg-type]
    table.quality.issues[:0] = report.issues
    return table


def streamed(
    path: Path, level: AnalysisLevel = AnalysisLevel.DOMAIN, channel: Channel | None = None
) -> tuple[SiteTable, list[str]]:
    report = open_report(path)
    messages: list[str] = []
    table = sum_sites(report, level, channel, progress=lambda d, t, m: messages.append(m))
    table.quality.issues[:0] = report.issues
    return table, messages


def assert_same(a: SiteTable, b: SiteTable, *, extra_codes: frozenset[str] = frozenset()) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert a.children == b.children
    qa, qb = a.quality, b.quality
    issues_a = [i for i in qa.issues if i.code not in extra_codes]
    issues_b = [i for i in qb.issues if i.code not in extra_codes]
    assert (qa.rows_read, qa.rows_scored, qa.sites) == (qb.rows_read, qb.rows_scored, qb.sites)
    # Rows left out add up per batch: their spend may differ in the last bits (as documented).
    assert [replace(d, spend=0.0) for d in qa.dropped] == [
        replace(d, spend=0.0) for d in qb.dropped
    ]
    assert [d.spend for d in qa.dropped] == pytest.approx([d.spend for d in qb.dropped], rel=1e-12)
    assert qa.ids == qb.ids
    assert [(i.code, i.message) for i in issues_a] == [(i.code, i.message) for i in issues_b]


def batches(path: Path) -> int:
    return sum(1 for _ in open_report(path).batches())


def assert_streams_as_read_whole(path: Path) -> SiteTable:
    """``path`` streams in several batches, never read again whole, and gives the whole
    read's table and accounting; the streamed table."""
    assert batches(path) > 5
    table, messages = streamed(path)
    assert "Reading the report again, whole" not in messages
    assert [i.code for i in table.quality.issues if i.code == "read_whole"] == []
    assert_same(whole(path), table)
    return table


def write_rows(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def clean_rows(n: int, sites: int = 40) -> list[list[object]]:
    return [
        [f"2026-11-{1 + i % 28:02d}", f"site{i % sites}.com", "Magnite", 1000 + i, i % 7,
         f"{(1000 + i) * 0.0023:.4f}"]
        for i in range(n)
    ]  # fmt: skip


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("name", "level", "channel"),
    [
        ("ttd_display_awareness_sample.csv", AnalysisLevel.DOMAIN, None),
        ("ttd_display_awareness_sample.csv", AnalysisLevel.SUPPLY_VENDOR, None),
        ("ttd_ctv_sample.csv", AnalysisLevel.DOMAIN, Channel.CTV),
        # PulsePoint writes $3.77 and 0.11%: text number columns, parsed batch by batch
        ("pulsepoint_display_sample.csv", AnalysisLevel.DOMAIN, None),
    ],
)
def test_the_samples_give_the_same_sites_in_batches_bit_for_bit(
    shared_data: Path, name: str, level: AnalysisLevel, channel: Channel | None
) -> None:
    path = shared_data / name
    assert open_report(path).streams
    assert batches(path) > 5
    table, _ = streamed(path, level, channel)
    assert_same(whole(path, level, channel=channel), table)


@pytest.mark.usefixtures("tiny_blocks")
def test_an_in_app_export_gives_the_same_sites_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "inapp.csv"
    ttd_inapp_video(path)
    assert batches(path) > 5
    table, _ = streamed(path, channel=Channel.VIDEO)
    assert_same(whole(path, channel=Channel.VIDEO), table)


@pytest.mark.usefixtures("tiny_blocks")
def test_text_in_number_columns_is_said_once_for_the_whole_file(tmp_path: Path) -> None:
    """Dollar amounts, thousands separators and unreadable cells in several batches: one note
    per column with the file's count and its first cell, as a whole read gives."""
    rows = clean_rows(300)
    for i, row in enumerate(rows):
        row[3] = f"{1000 + i:,}" if i % 2 else str(1000 + i)
        row[5] = f"${float(str(row[5])):,.2f}"
        if i in (40, 170, 260):
            row[3] = "n.a. (paused)"
    path = write_rows(tmp_path / "money.csv", rows)
    table, messages = streamed(path)
    assert "Reading the report again, whole" not in messages
    notes = [i for i in table.quality.issues if i.code == "text_in_number_column"]
    assert len(notes) == 1
    assert "3 cell(s)" in notes[0].message
    assert "row 42: 'n.a. (paused)'" in notes[0].message
    assert_same(whole(path), table)


@pytest.mark.usefixtures("tiny_blocks")
def test_short_rows_that_end_the_file_come_as_its_last_batch(tmp_path: Path) -> None:
    """A footer ("Report generated …" in one cell, after an empty line) is no reason to read a
    1M-row export whole (19.6 s and 1.3 GB instead of 3.7 s): the stream goes on, and the
    footer's rows are read and counted as the whole read reads and counts them."""
    rows = clean_rows(400)
    rows += [[], ["Report generated 2026-11-08 10:00 UTC"], ["Data may be delayed", "", ""]]
    table = assert_streams_as_read_whole(write_rows(tmp_path / "footer.csv", rows))
    blank = [d for d in table.quality.dropped if d.reason == "blank_id"]
    assert blank[0].examples == ("row 403", "row 404")


def read_by_csv_module(path: Path, monkeypatch: pytest.MonkeyPatch) -> SiteTable:
    """``path`` read whole the way it was before short rows were spliced: every row through
    the csv module."""
    with monkeypatch.context() as m:
        m.setattr(read_text, "_short_rows", lambda *_: None)
        return whole(path)


def csv_module_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the csv module is asked to read from now on."""
    calls: list[Path] = []
    slowly = read_text._load_text_slowly

    def counted(path: Path, *args: object) -> read_text._Columns:
        calls.append(path)
        return slowly(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(read_text, "_load_text_slowly", counted)
    return calls


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_line_cut_short_mid_file_is_spliced_into_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str
) -> None:
    """A cut-off line in the middle of a 1M-row export made the whole file go through the csv
    module (18.8 s, 1.36 GB instead of 5.5 s, 680 MB): the short rows alone are read so, and
    put back by their row number — the same table, row numbers and accounting."""
    rows: list[list[object]] = clean_rows(300)
    rows[40] = ["2026-11-03", "cut.example.com"]  # truncated
    rows[41] = []  # an empty line
    rows[120] = ["2026-11-03", "Other", "Magnite", "900"]  # the cost column missing
    rows += [[], ["Report generated 2026-11-08"]]
    path = tmp_path / "cut.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator=newline).writerows([["Title: Q4"], HEADER, *rows])
    expected = read_by_csv_module(path, monkeypatch)
    slow = csv_module_reads(monkeypatch)
    table = whole(path)
    assert slow == []
    assert_same(expected, table)
    (empty,) = [d for d in table.quality.dropped if d.reason == "empty_row"]
    (blank,) = [d for d in table.quality.dropped if d.reason == "blank_id"]
    assert (empty.examples, blank.examples) == (("row 44", "row 303"), ("row 304",))


@pytest.mark.parametrize(
    "odd",
    [
        ["2026-11-03", "a\nb.com", "Magnite", "100", "1", "0.2"],  # a line break in a quoted cell
        ["2026-11-03", "short.com", "Magnite", "two hundred"],  # text in a plain number column
    ],
)
def test_short_rows_that_cannot_be_placed_alone_go_through_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: list[object]
) -> None:
    monkeypatch.setattr(read_text, "SAMPLE_CHARS", 2_000)  # the odd row is past the sample
    rows: list[list[object]] = clean_rows(200)
    rows[130] = odd
    rows[90] = ["2026-11-03", "cut.example.com"]
    path = write_rows(tmp_path / "odd.csv", rows)
    expected = read_by_csv_module(path, monkeypatch)
    slow = csv_module_reads(monkeypatch)
    assert_same(expected, whole(path))
    assert slow == [path]


@pytest.mark.usefixtures("tiny_blocks")
def test_a_header_wider_than_every_row_is_read_whole_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row short (an export whose rows lack the header's last column) is no footer: past
    a footer's few rows Arrow stops, even before its first batch (all its rows skipped, it kept
    reading blocks past the pacing), and the file is read whole. Blocks of ~10 rows here."""
    monkeypatch.setattr(read_text, "FOOTER_ROWS", 3)
    path = write_rows(tmp_path / "wide.csv", [r[:5] for r in clean_rows(400)])
    table, messages = streamed(path)
    again = messages.index("Reading the report again, whole")
    assert sum(m.startswith("Read ") for m in messages[:again]) <= 3
    assert table.quality.rows_scored == 400
    assert_same(whole(path), table, extra_codes=frozenset({"read_whole"}))


@pytest.mark.usefixtures("tiny_blocks")
def test_empty_cells_as_exports_spell_them_keep_the_file_streaming(tmp_path: Path) -> None:
    """``N/A``, ``#N/A``, ``NULL``, ``NaN``, ``-``… in plain number columns, past the sample:
    Arrow reads them as missing (it matches them exactly), so the file is not read whole."""
    rows = clean_rows(300)
    spellings = ("N/A", "#N/A", "n/a", "NULL", "NaN", "-", "—", "#DIV/0!", "None", "NA")
    for i, row in enumerate(rows[100:], start=100):
        if i % 9 == 0:
            row[4 + i % 2] = spellings[i % len(spellings)]
    table = assert_streams_as_read_whole(write_rows(tmp_path / "nulls.csv", rows))
    assert table.frame["clicks"].notna().all()  # every site has clicks on other rows


@pytest.mark.usefixtures("tiny_blocks")
def test_a_number_format_that_only_later_rows_settle_reads_the_file_whole(tmp_path: Path) -> None:
    """``1,234`` alone could be 1234 or 1.234; a later ``2.500,75`` settles it as European,
    which changes how the first rows read: the stream must not keep its first guess."""
    rows = clean_rows(300)
    for i, row in enumerate(rows):
        row[5] = "1,234" if i < 250 else "2.500,75"
    path = write_rows(tmp_path / "eu.csv", rows)
    table, messages = streamed(path)
    assert "Reading the report again, whole" in messages
    said = [i for i in table.quality.issues if i.code == "read_whole"]
    assert "number format of a column" in said[0].message
    assert_same(whole(path), table, extra_codes=frozenset({"read_whole"}))


@pytest.mark.usefixtures("tiny_blocks")
@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ({"Impressions": "two thousand"}, "a number column (#4) holds text further down"),
        ({"Impressions": "48.421"}, "column 'Impressions' has counts with a decimal point (1.234)"),
        ("ragged", "has fewer cells than the header"),
        ("footer text in a count", "the row 'Total,,,lots' has fewer cells than the header"),
    ],
)
def test_what_only_a_later_row_shows_reads_the_file_again_whole(
    tmp_path: Path, cell: object, why: str
) -> None:
    rows = clean_rows(400)
    if cell == "ragged":
        rows[300] = rows[300][:3]
    elif cell == "footer text in a count":  # short rows at the end, but not as Arrow reads
        rows += [["Total", "", "", "lots"]]
    else:
        assert isinstance(cell, dict)
        for header, text in cell.items():
            rows[300][HEADER.index(header)] = text
    path = write_rows(tmp_path / "late.csv", rows)
    table, messages = streamed(path)
    assert "Reading the report again, whole" in messages
    said = [i for i in table.quality.issues if i.code == "read_whole"]
    assert len(said) == 1
    assert why in said[0].message
    assert "None" not in said[0].message
    assert "late.csv" in said[0].message
    assert_same(whole(path), table, extra_codes=frozenset({"read_whole"}))


def test_text_in_the_first_block_past_the_sample_reads_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow refuses the very first block (text in a count the sample did not reach): no reader
    exists to take to its end, and its reads are still closed and waited for (the autouse
    fixture checks)."""
    monkeypatch.setattr(read_text, "SAMPLE_CHARS", 300)
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 4096)
    rows = clean_rows(400)
    rows[20][HEADER.index("Impressions")] = "two thousand"
    path = write_rows(tmp_path / "early.csv", rows)
    table, messages = streamed(path)
    assert "Reading the report again, whole" in messages
    said = [i for i in table.quality.issues if i.code == "read_whole"]
    assert len(said) == 1
    assert "holds text further down" in said[0].message
    assert_same(whole(path), table, extra_codes=frozenset({"read_whole"}))


@pytest.mark.usefixtures("tiny_blocks")
def test_an_id_that_later_rows_show_is_an_app_is_read_again_as_an_app(tmp_path: Path) -> None:
    """``player.example.com`` is a web host until a row names its app: then it is an app id,
    kept whole — for all its rows, also those summed before the app name appeared."""
    rows = []
    for i in range(300):
        site = "player.example.com" if i % 3 == 0 else f"site{i % 20}.com"
        app = "Example Player" if site == "player.example.com" and i > 200 else ""
        rows.append(["2026-11-01", "Acme", "Q4", "In-app", site, app, "Magnite", 900 + i, 3,
                     "2.50", 850, 600, 1])  # fmt: skip
    path = write_rows(tmp_path / "apps.csv", rows, TTD_INAPP_HEADER)
    table, messages = streamed(path, channel=Channel.VIDEO)
    assert "Reading again: ids further down turned out to be apps" in messages
    assert "player.example.com" in table.frame.index  # kept whole, not rolled up to example.com
    assert table.frame.loc["player.example.com", "n_rows"] == 100
    assert_same(whole(path, channel=Channel.VIDEO), table)


@pytest.mark.usefixtures("tiny_blocks")
@pytest.mark.parametrize(("late_day", "noted"), [("25/11/2026", False), ("11/09/2026", True)])
def test_the_date_order_is_judged_on_every_batch_and_said_once(
    tmp_path: Path, late_day: str, noted: bool
) -> None:
    rows = clean_rows(300)
    for i, row in enumerate(rows):
        row[0] = late_day if i == 290 else f"{1 + i % 12:02d}/{1 + i % 12:02d}/2026"
    path = write_rows(tmp_path / "dates.csv", rows)
    table, _ = streamed(path)
    notes = [i for i in table.quality.issues if i.code == "date_order"]
    assert len(notes) == (1 if noted else 0)
    assert_same(whole(path), table)


@pytest.mark.usefixtures("tiny_blocks")
def test_a_rate_column_is_scaled_once_for_the_whole_file(tmp_path: Path) -> None:
    rows = [[*r[:5], r[5], f"{100 * r[4] / r[3]:.4f}"] for r in clean_rows(300)]
    path = write_rows(tmp_path / "ctr.csv", rows, [*HEADER, "CTR"])
    table, _ = streamed(path)
    scales = [i for i in table.quality.issues if i.code == "percent_scale"]
    assert len(scales) == 1
    # The scale is judged on the first batch with rates (a median): the note says on how much.
    expected = whole(path)
    said = next(i.message for i in expected.quality.issues if i.code == "percent_scale")
    assert "percentages" in said
    assert scales[0].message == said[:-1] + ", judged on its first 8 rows."
    assert_same(expected, table, extra_codes=frozenset({"percent_scale"}))


def _messages_until_cancelled(path: Path, channel: Channel | None) -> list[str]:
    """Progress messages of a read that the third of them cancels (it must stop there)."""
    report = open_report(path)
    token, seen = CancelToken(), []

    def progress(done: int, total: int, message: str) -> None:
        seen.append(message)
        if len(seen) == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        sum_sites(report, AnalysisLevel.DOMAIN, channel, progress=progress, cancel=token)
    return seen


def test_arrow_reads_at_most_two_blocks_ahead_of_the_rows_summed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paced: list[read_text._Paced]
) -> None:
    """Unpaced, Arrow's reader reads up to 32 blocks ahead (a 5M-row report: ~650 MB held)."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 4096)
    path = write_rows(tmp_path / "report.csv", clean_rows(6000))
    report = open_report(path)
    reads_at: list[int] = []
    for _ in report.batches():
        time.sleep(0.002)  # summing takes a while: Arrow's thread would run on meanwhile
        reads_at.append(paced[-1]._reads - paced[-1]._taken)
    assert len(reads_at) > 40
    assert max(reads_at) <= read_text.READ_AHEAD
    table, _ = streamed(path)
    assert_same(whole(path), table)


def test_a_read_stopped_early_lets_arrow_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paced: list[read_text._Paced]
) -> None:
    """A caller that stops after one batch (cancel, an error) must not leave Arrow's reading
    thread waiting for a turn that never comes: closing wakes it."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 4096)
    path = write_rows(tmp_path / "report.csv", clean_rows(6000))
    stream = open_report(path).batches()
    next(stream)
    stream.close()
    assert paced[-1].closed
    assert paced[-1]._active == 0  # Arrow was taken to its end: none of its reads under way
    started = time.monotonic()
    assert len(paced[-1].read(4096)) == 0  # a late read from Arrow's thread: no wait, no data
    assert time.monotonic() - started < 1.0


def test_cancel_stops_the_read_between_batches(tiny_blocks: None, shared_data: Path) -> None:
    seen = _messages_until_cancelled(shared_data / "ttd_display_awareness_sample.csv", None)
    assert len(seen) == 3  # no batch was read after the cancel


def test_progress_counts_rows_and_the_share_of_the_file(
    small_blocks: None, shared_data: Path
) -> None:
    path = shared_data / "ttd_display_awareness_sample.csv"
    report = open_report(path)
    seen: list[tuple[int, str]] = []
    sum_sites(report, AnalysisLevel.DOMAIN, None, progress=lambda d, t, m: seen.append((d, m)))
    reads = [(d, m) for d, m in seen if m.startswith("Read ")]
    assert len(reads) > 10
    assert [d for d, _ in reads] == sorted(d for d, _ in reads)  # never goes back
    assert reads[0][1].startswith("Read ")
    assert "% of the file)" in reads[0][1]
    assert reads[-1][1] == "Read 20,000 rows"
    for _, message in reads[:-1]:  # the share of the file follows the rows handed on
        found = re.fullmatch(r"Read ([\d,]+) rows \((\d+)% of the file\)", message)
        assert found, message
        rows, share = int(found[1].replace(",", "")), int(found[2]) / 100
        assert abs(share - rows / 20_000) < 0.05, message
    assert reads[-1][0] == 60  # reading is the first 60 % of a scoring run


SPELLINGS = ("a.com", "WWW.A.com", "m.b.co.uk", "com.example.game", "553834731", "Other",
             "Grand Total", "", "c.com")  # fmt: skip


@st.composite
def messy_rows(draw: st.DrawFn) -> list[list[object]]:
    n = draw(st.integers(1, 120))
    rows: list[list[object]] = []
    for _ in range(n):
        site = draw(st.sampled_from(SPELLINGS))
        imps = draw(st.sampled_from(["", "0", "1200", "35", "-4", "90000", "1,200", "two"]))
        clicks = draw(st.sampled_from(["", "0", "3", "-1", "17"]))
        spend = draw(st.sampled_from(["", "0", "1.25", "0.333", "12.5", "$1,250.50"]))
        rows.append(["2026-11-02", site, "Magnite", imps, clicks, spend])
        if draw(st.booleans()) and draw(st.booleans()):
            rows.append(["", "", "", "", "", ""])
    return rows


def assert_same_however_read(path: Path) -> None:
    """Read in batches, ``path`` gives the whole read's table and accounting, or fails the same
    way (the same error, the same first words)."""
    try:
        expected = whole(path)
    except Exception as exc:
        with pytest.raises(type(exc), match=re.escape(str(exc)[:40])):
            streamed(path)
        return
    table, _ = streamed(path)
    assert_same(expected, table)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=messy_rows(), block=st.sampled_from([256, 700, 5000]))
def test_messy_files_give_the_same_sites_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[object]], block: int
) -> None:
    """Totals, blanks, placeholders, negative and missing numbers, empty rows, several
    spellings of a site: each batch split gives the whole file's table and accounting."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", block)
    path = write_rows(tmp_path / "messy.csv", rows)
    assert_same_however_read(path)


# ----------------------------------------------------------------------------- workbooks


@pytest.fixture
def tiny_sheets(monkeypatch: pytest.MonkeyPatch) -> None:
    """XLSX batches of 37 rows, sheet pieces of 2 KiB (a few rows each)."""
    monkeypatch.setattr(read_xlsx, "BATCH_ROWS", 37)
    monkeypatch.setattr(read_xlsx, "PIECE_BYTES", 2048)


def write_book(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Report")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value == "":
                continue
            number = value if isinstance(value, int | float) else None
            if number is None and isinstance(value, str) and c >= 3:
                try:
                    number = float(value)
                except ValueError:
                    number = None
            sheet.write(r, c, value if number is None else number)
    book.close()
    return path


@pytest.mark.usefixtures("tiny_sheets")
@pytest.mark.parametrize("level", [AnalysisLevel.DOMAIN, AnalysisLevel.SUPPLY_VENDOR])
def test_the_xlsx_sample_gives_the_same_sites_in_batches_bit_for_bit(
    shared_data: Path, level: AnalysisLevel
) -> None:
    path = shared_data / "ttd_video_sample.xlsx"
    assert open_report(path).streams
    assert batches(path) > 100
    table, messages = streamed(path, level, Channel.VIDEO)
    assert "Reading the report again, whole" not in messages
    assert_same(whole(path, level, channel=Channel.VIDEO), table)


@pytest.mark.usefixtures("tiny_sheets")
def test_an_xlsx_with_text_in_number_columns_gives_the_same_sites_in_batches(
    tmp_path: Path,
) -> None:
    rows = clean_rows(300)
    for i, row in enumerate(rows):
        if i in (40, 170, 260):
            row[3] = "n.a. (paused)"
        if i % 50 == 7:
            row[5] = f"${float(str(row[5])):,.2f}"
    path = write_book(tmp_path / "money.xlsx", rows)
    table, messages = streamed(path)
    assert "Reading the report again, whole" not in messages
    notes = [i for i in table.quality.issues if i.code == "text_in_number_column"]
    assert "3 cell(s)" in notes[0].message
    assert_same(whole(path), table)


def test_cancel_stops_an_xlsx_read_between_batches(tiny_sheets: None, shared_data: Path) -> None:
    seen = _messages_until_cancelled(shared_data / "ttd_video_sample.xlsx", Channel.VIDEO)
    assert len(seen) == 3
    assert re.fullmatch(r"Read [\d,]+ rows \(\d+% of the file\)", seen[1])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=messy_rows(), batch=st.sampled_from([1, 7, 50]))
def test_messy_workbooks_give_the_same_sites_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[object]], batch: int
) -> None:
    monkeypatch.setattr(read_xlsx, "BATCH_ROWS", batch)
    monkeypatch.setattr(read_xlsx, "PIECE_BYTES", 512)
    path = write_book(tmp_path / "messy.xlsx", rows)
    assert_same_however_read(path)
