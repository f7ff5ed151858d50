"""Reading whole report files: formats, encodings, mess, and the shared samples."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from caliber_desktop.errors import FileRejectedError, ValidationError
from caliber_desktop.models.enums import Channel, FileFormat, Platform
from caliber_desktop.services.scoring.read import read_report

HEADER = "Date,Site,Supply Vendor,Impressions,Clicks,Advertiser Cost (Adv Currency)"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def col(report: object, name: str) -> list[float]:
    return report.frame[name].tolist()  # type: ignore[attr-defined]


def test_bom_and_empty_trailing_column(tmp_path: Path) -> None:
    text = (
        "\ufeff"
        + HEADER
        + ",\n2024-11-01,a.com,Xandr,1000,3,1.25,\n2024-11-02,b.com,Kargo,50,0,0.10,\n"
    )
    report = read_report(write(tmp_path, "bom.csv", text))
    assert col(report, "impressions") == [1000.0, 50.0]
    assert col(report, "spend") == [1.25, 0.10]
    assert col(report, "site") == ["a.com", "b.com"]
    assert col(report, "_row") == [2, 3]
    assert report.header_row == 1


def test_international_decimals_with_a_quoted_comma_in_a_dimension(tmp_path: Path) -> None:
    text = (
        "Date;Site;Ad Group;Impressions;Clicks;Advertiser Cost (Adv Currency)\n"
        '2024-11-01;a.com;"AG, One";"1.234";3;"1.234,56"\n'
        "2024-11-01;b.com;AG two;12;0;12,34\n"
    )
    report = read_report(write(tmp_path, "intl.csv", text))
    assert report.delimiter == ";"
    assert col(report, "ad_group") == ["AG, One", "AG two"]
    assert col(report, "impressions") == [1234.0, 12.0]
    assert col(report, "spend") == [1234.56, 12.34]


def test_quoted_thousands_and_comma_inside_dimension(tmp_path: Path) -> None:
    text = HEADER.replace("Supply Vendor", "Ad Group") + (
        '\n2024-11-01,a.com,"AG, One","48,421",3,"1,234.56"\n2024-11-01,b.com,x,12,0,0.5\n'
    )
    report = read_report(write(tmp_path, "q.csv", text))
    assert col(report, "ad_group") == ["AG, One", "x"]
    assert col(report, "impressions") == [48421.0, 12.0]
    assert col(report, "spend") == [1234.56, 0.5]


def test_legacy_tsv_utf16(tmp_path: Path) -> None:
    text = "Day\tSite\tImps\tClicks\tAdvertiser Total Cost\n2024-11-01\ta.com\t100\t1\t0.25\n"
    report = read_report(write(tmp_path, "legacy.csv", text, encoding="utf-16"))
    assert report.format is FileFormat.TSV
    assert col(report, "impressions") == [100.0]
    assert col(report, "spend") == [0.25]
    assert report.mapping.columns["spend"] == "Advertiser Total Cost"


def test_adv_and_usd_cost_columns_are_never_summed(tmp_path: Path) -> None:
    text = (
        "Date,Site,Impressions,Advertiser Cost (USD),Advertiser Cost (Adv Currency)\n"
        "2024-11-01,a.com,100,2.00,1.80\n"
    )
    report = read_report(write(tmp_path, "cur.csv", text))
    assert col(report, "spend") == [1.80]
    assert report.mapping.alternatives["spend"] == ("Advertiser Cost (USD)",)


def _pixel_csv() -> str:
    headers = ["Date", "Site", "Impressions"]
    values = ["2024-11-01", "a.com", "1000"]
    for i in range(1, 21):
        headers += [
            f"{i:02d} - Total Click + View Conversions",
            f"{i:02d} - Click Conversion",
            f"{i:02d} - View Through Conversion",
        ]
        values += [str(i * 10), str(i * 4), str(i * 6)]
    return ",".join(headers) + "\n" + ",".join(values) + "\n"


def test_twenty_pixels_with_parts(tmp_path: Path) -> None:
    path = write(tmp_path, "px.csv", _pixel_csv())
    assert col(read_report(path), "conversions") == [10.0]
    assert col(read_report(path, kpi_pixels=["03"]), "conversions") == [30.0]
    assert col(read_report(path, kpi_pixels=["01", "03"]), "conversions") == [40.0]


def test_percent_columns_in_three_scales(tmp_path: Path) -> None:
    counts = "Date,Site,Impressions,Clicks,CTR\n"
    for ctr in ("1.23%", "1.23", "0.0123"):
        text = counts + f"2024-11-01,a.com,10000,123,{ctr}\n2024-11-01,b.com,1000,12.3,{ctr}\n"
        report = read_report(write(tmp_path, f"p{len(ctr)}.csv", text))
        assert np.allclose(col(report, "ctr"), [0.0123, 0.0123]), ctr
        assert any(i.code == "percent_scale" for i in report.issues)


def test_text_in_a_count_column(tmp_path: Path) -> None:
    text = (
        "Date,Site,Impressions,Player Starts,Player Mute\n"
        "2024-11-01,a.com,100,90,5\n2024-11-01,b.com,100,90,12 mutes\n2024-11-01,c.com,1,1,abc\n"
    )
    report = read_report(write(tmp_path, "mute.csv", text))
    mute = col(report, "mute")
    assert mute[0] == 5.0
    assert math.isnan(mute[1])
    assert math.isnan(mute[2])
    issues = [i for i in report.issues if i.code == "text_in_number_column"]
    assert len(issues) == 1
    assert issues[0].row == 3
    assert "Player Mute" in issues[0].message
    assert "2 cell" in issues[0].message


def test_odd_casing_and_ttd_prefix(tmp_path: Path) -> None:
    text = "ttd_date,SITE,TTD_Impressions,clicks\n2024-11-01,a.com,7,1\n"
    report = read_report(write(tmp_path, "odd.csv", text))
    assert col(report, "impressions") == [7.0]
    assert report.detection.platform is Platform.TRADE_DESK


def test_preamble_is_skipped_and_rows_numbered(tmp_path: Path) -> None:
    text = (
        "Performance report\nDate range: 2024-11-01 - 2024-11-30\n\n"
        + HEADER
        + ("\n2024-11-01,a.com,X,10,1,0.5\n")
    )
    report = read_report(write(tmp_path, "pre.csv", text))
    assert report.header_row == 4
    assert col(report, "_row") == [5]
    assert col(report, "impressions") == [10.0]
    assert any(i.code == "preamble_skipped" and i.severity == "info" for i in report.issues)


def test_ragged_rows_keep_their_row_numbers(tmp_path: Path) -> None:
    text = HEADER + "\n2024-11-01,a.com,X,10,1,0.5\n2024-11-01,b.com\n2024-11-02,c.com,Y,3,0,0.1\n"
    report = read_report(write(tmp_path, "ragged.csv", text))
    assert col(report, "_row") == [2, 3, 4]
    assert col(report, "impressions")[2] == 3.0


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        ((HEADER + "\n").encode(), "no data rows"),
        (b"\x00\x01\x02binary\x00" * 100, "binary"),
    ],
)
def test_unreadable_text_files_name_the_file(tmp_path: Path, content: bytes, says: str) -> None:
    with pytest.raises(FileRejectedError) as caught:
        read_report(write(tmp_path, "bad.csv", content), display_name="My Report.csv")
    assert "My Report.csv" in str(caught.value)
    assert says in str(caught.value)


def test_no_header_row_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"odd\.csv.*no header row"):
        read_report(write(tmp_path, "odd.csv", "a,b,c\n1,2,3\n4,5,6\n"))


def test_corrupt_and_protected_workbooks(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>" * 100)
    truncated = buffer.getvalue()[:-30]
    with pytest.raises(FileRejectedError, match=r"broken\.xlsx"):
        read_report(write(tmp_path, "broken.xlsx", truncated))
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1000
    with pytest.raises(FileRejectedError, match=r"locked\.xlsx.*password-protected"):
        read_report(write(tmp_path, "locked.xlsx", body))


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


def test_xlsx_summary_first_serial_dates_and_totals_sheet(tmp_path: Path) -> None:
    report_rows: list[list[object]] = [
        ["Date", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)"],
        [45597, "a.com", 1000, 3, 1.25],
        [45598, "b.com", "2,500", 7, 1 / 3],
    ]
    path = _xlsx(
        tmp_path / "book.xlsx",
        {
            "Summary": [["Campaign summary"], ["Impressions", "Clicks"], [3500, 10]],
            "Report": report_rows,
            "Totals": [["Impressions", "Clicks", "Advertiser Cost"], [3500, 10, 1.58]],
        },
    )
    report = read_report(path)
    assert report.sheet_name == "Report"
    assert any(i.code == "sheet_chosen" for i in report.issues)
    assert col(report, "date") == ["2024-11-01", "2024-11-02"]
    assert col(report, "impressions") == [1000.0, 2500.0]
    assert col(report, "spend") == [1.25, 1 / 3]
    assert col(report, "_row") == [2, 3]


def test_pulsepoint_mixed_spend_formats(tmp_path: Path) -> None:
    text = (
        "Date,Domain,Publisher,Impressions,Clicks,CTR,Total Spend,eCPM,Conversions\n"
        '09/27/2024,a.com,X,"1,000",1,0.10%,"$1,234.00",4.18,0\n'
        "09/28/2024,b.com,Y,500,0,0.00%,1234,3.00,1\n"
    )
    report = read_report(write(tmp_path, "pp.csv", text))
    assert report.detection.platform is Platform.PULSEPOINT
    assert col(report, "spend") == [1234.0, 1234.0]
    assert col(report, "impressions") == [1000.0, 500.0]
    assert np.allclose(col(report, "ctr"), [0.001, 0.0])
    assert col(report, "date") == ["2024-09-27", "2024-09-28"]


@pytest.mark.parametrize(
    ("name", "platform", "channel", "rows"),
    [
        ("ttd_display_awareness_sample.csv", Platform.TRADE_DESK, Channel.DISPLAY, 20000),
        ("ttd_video_sample.xlsx", Platform.TRADE_DESK, Channel.VIDEO, 5000),
        ("ttd_ctv_sample.csv", Platform.TRADE_DESK, Channel.CTV, 5000),
        ("pulsepoint_display_sample.csv", Platform.PULSEPOINT, Channel.DISPLAY, 10000),
    ],
)
def test_shared_samples(
    shared_data: Path, name: str, platform: Platform, channel: Channel, rows: int
) -> None:
    report = read_report(shared_data / name)
    assert report.detection.platform is platform
    assert report.detection.channel is channel
    assert report.detection.confident
    assert len(report.frame) == rows
    frame = report.frame
    assert frame["impressions"].dtype == np.float64
    assert frame["impressions"].notna().all()
    assert (frame["_row"] == np.arange(2, rows + 2)).all()
    if name.startswith("pulsepoint"):
        last = frame.iloc[-1]
        assert last["date"] == "Grand Total"
        assert last["impressions"] == frame["impressions"].iloc[:-1].sum()
        assert "[tail aggregate]" in set(frame["site"])
        assert math.isclose(last["spend"], 16350.69)


# ----------------------------------------------------------------------------- same data, new dress

ROWS = [
    ("2024-11-01", "a.com", 1000, 3, 1234.5, 0.003),
    ("2024-11-02", "b.com", 48421, 97, 12.25, 0.002),
    ("2024-11-03", "c.com", 7, 0, 0.5, 0.0),
]
COLUMNS = ["Date", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)", "CTR"]


def _csv(sep: str = ",", eu: bool = False, casing: bool = False) -> str:
    header = [c.upper() if casing else c for c in COLUMNS]
    lines = [sep.join(header)]
    for d, s, imps, clicks, cost, ctr in ROWS:
        cost_text = (
            f'"{cost:,.2f}"' if not eu else f"{cost:,.2f}".replace(",", " ").replace(".", ",")
        )
        ctr_text = f"{ctr * 100:.2f}%" if not eu else f"{ctr * 100:.2f}%".replace(".", ",")
        lines.append(sep.join([d, s, str(imps), str(clicks), cost_text, ctr_text]))
    return "\n".join(lines) + "\n"


def test_same_data_in_different_dress_gives_identical_numbers(tmp_path: Path) -> None:
    plain = read_report(write(tmp_path, "plain.csv", _csv()))
    dressed = [
        write(tmp_path, "eu.csv", _csv(sep=";", eu=True)),
        write(tmp_path, "pre.csv", "My report\n\n" + _csv() + "Total,,48428,100,1247.25,0.2%\n"),
        write(tmp_path, "utf16.tsv", _csv(sep="\t").replace('"', ""), encoding="utf-16"),
        write(tmp_path, "casing.csv", _csv(casing=True)),
    ]
    rows = [list(r) for r in ROWS]
    book = _xlsx(
        tmp_path / "book.xlsx",
        {
            "Summary": [["Totals"], ["Impressions", 49428]],
            "Report": [COLUMNS, *[[*r[:5], f"{r[5] * 100:.2f}%"] for r in rows]],
        },
    )
    numeric = ["impressions", "clicks", "spend", "ctr"]
    want = plain.frame[numeric]
    assert want["spend"].tolist() == [1234.5, 12.25, 0.5]
    assert np.allclose(want["ctr"], [0.003, 0.002, 0.0])
    for path in [*dressed, book]:
        got = read_report(path).frame[numeric].iloc[:3].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, obj=path.name)


# ----------------------------------------------------------------------------- line endings


@pytest.mark.parametrize(("ending", "ragged"), [("\r", False), ("\r\n", False), ("\r", True)])
def test_line_endings_of_every_excel_save_give_identical_numbers(
    shared_data: Path, tmp_path: Path, ending: str, ragged: bool
) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with CR only, Windows ones with CRLF.

    The sample is 2.8 M characters, so the header is found in a sample that ends mid-file: it
    must end at a line break of either kind (it used to look for LF only, and a CR-only file had
    "no header row" after the import dialog accepted it).
    """
    source = shared_data / "ttd_display_awareness_sample.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    if ragged:  # a short row sends the reader down its csv-module path
        lines.insert(5, lines[5].split(",")[0])
    plain = read_report(write(tmp_path, "lf.csv", "\n".join(lines) + "\n"))
    other = read_report(write(tmp_path, "other.csv", ending.join(lines) + ending))
    assert len(lines[0]) < 1000 < len(ending.join(lines))  # the sample ends mid-file
    assert other.header_row == plain.header_row == 1
    assert len(other.frame) == len(plain.frame) == len(lines) - 1
    pd.testing.assert_frame_equal(other.frame, plain.frame)
