"""The streaming XLSX reader gives, cell for cell, what fastexcel gives.

Every workbook here is read both ways: the first rows as the header scan reads them, and every
column as text and as numbers, whole and in batches of a few rows, against ``_load_excel``
(fastexcel's whole-sheet read): floats bit for bit, strings equal, None where None. The
workbooks come from the shared samples, the app's own XLSX writer, xlsxwriter, openpyxl (odd cell
types), hand-written XML (shapes writers rarely use) and hypothesis.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caliber_desktop.services.exports.sheets import write_xlsx
from caliber_desktop.services.scoring import read_xlsx
from caliber_desktop.services.scoring.read_excel import SCAN_ROWS, _load_excel
from caliber_desktop.services.scoring.read_grid import _Columns, _Grid


def _fastexcel_rows(path: Path, sheet: str) -> list[list[str]]:
    reader = fastexcel.read_excel(path.read_bytes())
    batch = reader.load_sheet(
        sheet, header_row=None, skip_rows=0, n_rows=SCAN_ROWS, dtypes="string"
    ).to_arrow()
    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    return [["" if c[r] is None else str(c[r]) for c in columns] for r in range(batch.num_rows)]


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    out = []
    for row in rows:
        row = list(row)
        while row and not row[-1]:
            row.pop()
        out.append(row)
    return out


def _streamed(path: Path, sheet: str, kinds: dict[int, str], batch: int | None) -> _Columns:
    book = read_xlsx.Book.open(path)
    _, origin = read_xlsx.first_rows(book, sheet, SCAN_ROWS)
    text: dict[int, list[object]] = {}
    numbers: dict[int, list[np.ndarray]] = {i: [] for i in kinds if kinds[i] != "dim"}
    total = 0
    for t, nums, n, done in read_xlsx.stream_columns(book, sheet, origin, 0, kinds, batch):
        assert 0 <= done <= 1
        for i in kinds:
            if i in t:
                text.setdefault(i, [None] * total).extend(t[i].to_pylist())
            elif i in text:
                text[i].extend([None] * n)
            if i in nums:
                numbers[i].append(nums[i])
        total += n
    import pyarrow as pa

    return _Columns(
        rows=np.arange(total, dtype=np.int64) + 1,
        text={i: pa.array(v, type=pa.string()) for i, v in text.items()},
        numbers={i: np.concatenate(v) if v else np.zeros(0) for i, v in numbers.items()},
    )


def _same_floats(a: np.ndarray, b: np.ndarray, what: str) -> None:
    assert a.shape == b.shape, what
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert (nan_a == nan_b).all(), what
    assert (a[~nan_a].view(np.int64) == b[~nan_b].view(np.int64)).all(), what


def assert_same_as_fastexcel(path: Path) -> int:
    """Compare every sheet of ``path`` both ways; returns the number of cells compared."""
    book = read_xlsx.Book.open(path)
    reader = fastexcel.read_excel(path.read_bytes())
    assert list(book.sheets) == reader.sheet_names
    compared = 0
    for sheet in book.sheets:
        rows, _ = read_xlsx.first_rows(book, sheet, SCAN_ROWS)
        expected_rows = _fastexcel_rows(path, sheet)
        assert _trimmed(rows) == _trimmed(expected_rows), (path.name, sheet)
        width = max((len(r) for r in expected_rows), default=0)
        if not width:
            continue
        grid = _Grid([""] * width, 0, [], sheet)
        for kind in ("dim", "number"):
            kinds = dict.fromkeys(range(width), kind)
            # columns count from the leftmost with a value, on a sheet whose column A is
            # empty too (fastexcel's integer indexes count from A: they used to miss)
            expected = _load_excel(path, grid, kinds)
            for batch in (None, 3):
                got = _streamed(path, sheet, kinds, batch)
                what = f"{path.name} / {sheet} / {kind} / batches of {batch}"
                assert len(got.rows) == len(expected.rows), what
                for i in range(width):
                    if kind == "number":
                        _same_floats(got.numbers[i], expected.numbers[i], f"{what} / col {i}")
                        compared += len(got.rows)
                    want = expected.text.get(i)
                    have = got.text.get(i)
                    if batch is not None and want is not None and have is None:
                        # a batch without an error cell hands on no text, as a whole read of
                        # those rows would not: the text only matters where floats are missing
                        assert np.isfinite(got.numbers[i][~pd.isna(want.to_pandas())]).all()
                        continue
                    if want is None:
                        assert have is None or (kind == "number" and batch is not None), what
                        continue
                    assert have is not None, f"{what} / col {i}"
                    exp, act = want.to_pylist(), have.to_pylist()
                    if kind == "number" and batch is not None:
                        # batches without an error cell carry no text: compare where they do
                        exp = [e if a is not None else None for e, a in zip(exp, act, strict=True)]
                    assert act == exp, f"{what} / col {i}"
    return compared


# ----------------------------------------------------------------------------- the corpus


def test_the_shared_sample_and_repo_workbooks(shared_data: Path) -> None:
    paths = sorted(shared_data.glob("*.xlsx")) + sorted(
        Path(__file__).resolve().parents[3].glob("**/*.xlsx")
    )
    assert paths
    for path in paths:
        assert assert_same_as_fastexcel(path) > 0 or path.stat().st_size < 10_000, path


def test_the_apps_own_xlsx_writer(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Site": ["a.com", "b.com", "", "=cmd|x", "ünï cödé", " padded ", "line\nbreak"],
            "Impressions": [1000, 0, -5, 2**53 + 1, 7, 8, 9],
            "Spend": [1 / 3, 0.1, np.nan, 1e-10, -0.0, 1e300, 2.5],
            "Date": ["2024-11-01", "2024-11-02", None, "x", "", "2024-11-03", "y"],
        }
    )
    path = write_xlsx([("Report", frame), ("Other", frame.head(2))], tmp_path / "app.xlsx")
    assert assert_same_as_fastexcel(path) > 0


def test_xlsxwriter_cells_of_every_kind(tmp_path: Path) -> None:
    path = tmp_path / "kinds.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Data")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    duration = book.add_format({"num_format": "[h]:mm:ss"})
    bold = book.add_format({"bold": True})
    rows = [
        ["Date", "Site", "Impressions", "Spend", "Flag"],
        [dt.datetime(2024, 11, 1), "a.com", 1000, 0.1, True],
        [dt.datetime(2024, 11, 2, 12, 30, 15, 250000), " b.com ", "1,200", "$3.50", False],
        [45600.5, "x_x000D_y", 3, 1e20, None],
        [None, None, None, None, None],
        [1.5, "tab\there", "n/a", -0.0, 0],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, date)
            elif r == 5 and c == 0:
                sheet.write_number(r, c, value, duration)
            elif r == 3 and c == 0:
                sheet.write_number(r, c, value, date)
            else:
                sheet.write(r, c, value)
    sheet.write_blank(6, 1, None, bold)  # a styled empty cell past the last row
    sheet.write_rich_string(7, 1, "rich ", bold, "text", " end")
    sheet.write_formula(7, 2, "=1+1", None, 2)
    sheet.write_formula(7, 3, '="a"&"b"', None, "ab")
    sheet.write_formula(7, 4, "=1/0", None, "#DIV/0!")
    sheet.write_string(9, 0, "after a gap")
    book.close()
    assert assert_same_as_fastexcel(path) > 0


def test_openpyxl_cells_of_every_kind(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    for epoch in ("1900", "1904"):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Report"
        if epoch == "1904":
            book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
        sheet.append(["Date", "Site", "Impressions", "Spend", "Flag"])
        sheet.append([dt.datetime(2024, 11, 1), "a.com", 1000, 0.1, True])
        sheet.append([dt.date(2024, 11, 2), "  spaced  ", "1200", 1 / 3, False])
        sheet.append([dt.datetime(1900, 1, 1, 6), "multi\nline", 12345678901234567890, 1e-7, None])
        sheet.append([None, None, None, None, None])
        sheet.append(["2024-11-03", "#N/A", "=SUM(C2:C3)", float("inf"), "#DIV/0!"])
        sheet["B7"] = CellRichText(["rich ", TextBlock(InlineFont(b=True), "bold"), " tail"])
        sheet["C9"] = 42
        sheet.cell(row=12, column=7, value="far right")
        path = tmp_path / f"openpyxl_{epoch}.xlsx"
        book.save(path)
        assert assert_same_as_fastexcel(path) > 0


# ----------------------------------------------------------------------------- hand-written XML

_TYPES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def raw_book(
    sheet_xml: str,
    *,
    shared: list[str] | None = None,
    styles: str | None = None,
    book_pr: str = "",
    part: str = "xl/worksheets/sheet1.xml",
    name: str = "S",
    root: str = "",
) -> bytes:
    """A minimal workbook around ``sheet_xml`` (the inside of ``<sheetData>``)."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType'
            f'="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{_TYPES_CT}'
            f'.sheet.main+xml"/><Override PartName="/{part}" ContentType="{_TYPES_CT}.worksheet'
            '+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{rel[:-41]}package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}">{book_pr}<sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rels = f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="/{part}"/>'
        if shared is not None:
            z.writestr(
                "xl/sharedStrings.xml",
                f'<?xml version="1.0"?><sst xmlns="{ns}">{"".join(shared)}</sst>',
            )
            rels += (
                f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            )
        if styles is not None:
            z.writestr(
                "xl/styles.xml",
                f'<?xml version="1.0"?><styleSheet xmlns="{ns}">{styles}</styleSheet>',
            )
            rels += f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/>'
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{rel[:-41]}package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        z.writestr(
            part,
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><{root}worksheet '
            f'xmlns{":" + root[:-1] if root else ""}="{ns}"><{root}sheetData>{sheet_xml}'
            f"</{root}sheetData></{root}worksheet>",
        )
    return out.getvalue()


STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/><numFmt numFmtId="166" '
    'formatCode="&quot;Y: &quot;0.00"/></numFmts><cellXfs count="6"><xf numFmtId="0"/>'
    '<xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="22"/>'
    '<xf numFmtId="166"/></cellXfs>'
)
SHARED = [
    '<si><t xml:space="preserve"> a b </t></si>',
    '<si><r><t>rich</t></r><r><rPr><b/><color rgb="FF0000"/></rPr><t xml:space="preserve">'
    " text</t></r><rPh><t>PH</t></rPh></si>",
    "<si><t>x_x000D_y_x000a_z_x005F_x0041_</t></si>",
    "<si><t>l1\r\nl2&#13;end &amp; &lt;tag&gt;</t></si>",
    "<si><t>  1200 </t></si>",
    "<si><t/></si>",
    "<si><t>12.5</t></si>",
]


@pytest.mark.parametrize(
    ("label", "xml", "options"),
    [
        (
            "every type",
            '<row r="1"><c r="A1"><v>1000</v></c><c r="B1"><v>0.1</v></c><c r="C1" t="b"><v>1'
            '</v></c><c r="D1" t="e"><v>#DIV/0!</v></c><c r="E1" t="str"><v>x&amp;y</v></c>'
            '<c r="F1" t="inlineStr"><is><t>in</t></is></c><c r="G1"><v>1e20</v></c><c r="H1">'
            '<v>1.5e-10</v></c><c r="I1"><v>-0</v></c><c r="J1"><v>123456789012345678</v></c>'
            '<c r="K1" t="d"><v>2024-11-01T00:00:00</v></c><c r="L1" t="n"><v>1.0E+3</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s">'
            '<v>2</v></c><c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>4</v></c><c r="F2" '
            't="s"><v>5</v></c><c r="G2" t="s"><v>6</v></c><c r="H2" t="b"><v>0</v></c></row>',
            {"shared": SHARED},
        ),
        (
            "dates",
            '<row r="1"><c r="A1" s="1"><v>45597</v></c><c r="B1" s="2"><v>45597.5</v></c>'
            '<c r="C1" s="3"><v>1.5</v></c><c r="D1" s="4"><v>45597.123456</v></c><c r="E1" '
            's="1"><v>0.5</v></c><c r="F1" s="1"><v>60</v></c><c r="G1" s="9"><v>3</v></c>'
            '<c r="H1" s="5"><v>7</v></c><c r="I1" s="4"><v>-1</v></c><c r="J1" s="4"><v>1e10'
            '</v></c></row><row r="2"><c r="A2" s="1"><v>45598</v></c><c r="B2"><v>2</v></c>'
            "</row>",
            {"styles": STYLES},
        ),
        (
            "1904 dates",
            '<row r="1"><c r="A1" s="1"><v>45597</v></c><c r="B1"><v>45597</v></c></row>',
            {"styles": STYLES, "book_pr": '<workbookPr date1904="1"/>'},
        ),
        (
            "no r attributes, self-closing cells and rows",
            '<row><c><v>1</v></c><c s="0"/><c t="inlineStr"><is><t>a</t></is></c></row><row/>'
            '<row><c t="inlineStr"><is><t xml:space="preserve"> b </t></is></c></row>'
            '<row r="7"><c><v>7</v></c><c r="D7"><v>8</v></c><c><v>9</v></c></row>',
            {},
        ),
        (
            "leading empty rows and columns, gaps, trailing styled cells",
            '<row r="3"><c r="C3"><v>1</v></c><c r="E3" t="inlineStr"><is><t>x</t></is></c></row>'
            '<row r="4"/><row r="6"><c r="D6"><v>2</v></c></row><row r="9"><c r="C9" s="0"/></row>',
            {},
        ),
        (
            "formulas, empty values, comments, rich inline text",
            '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"</f><v>a</v></c>'
            '<c r="C1"><v>1</v><f>x</f></c><c r="D1" t="str"><v></v></c><c r="E1"><v/></c>'
            '<!-- <c r="F1"><v>99</v></c> --><c r="G1" t="inlineStr"><is><r><t>a</t></r><r>'
            '<t xml:space="preserve"> b</t></r></is></c><c r="H1" t="inlineStr"><v>5</v></c>'
            '<c r="I1" t="inlineStr"><is><t>  sp  </t></is></c><c r="J1"><v> 12 </v></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c></row>',
            {},
        ),
        (
            "a prefixed namespace and a part not named sheetN",
            '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1"><x:v>3</x:v></x:c>'
            "</x:row>",
            {"shared": SHARED, "part": "xl/worksheets/data.xml", "root": "x:"},
        ),
        ("an empty sheet", "", {}),
    ],
)
def test_hand_written_sheets(
    tmp_path: Path, label: str, xml: str, options: dict[str, object]
) -> None:
    path = tmp_path / "raw.xlsx"
    path.write_bytes(raw_book(xml, **options))  # type: ignore[arg-type]
    assert_same_as_fastexcel(path)


def test_values_as_calamine_gives_them() -> None:
    assert read_xlsx.float_text(1000.0) == "1000"
    assert read_xlsx.float_text(0.0009765625) == "0.000976562"  # ties to even, as Rust
    assert read_xlsx.float_text(-0.0) == "-0"
    assert read_xlsx.parse_float(" 1") is None
    assert read_xlsx.parse_float("-Infinity") == float("-inf")
    assert read_xlsx.parse_float("1_0") is None
    assert read_xlsx.date_text(45597.123456, False) == "2024-11-01 02:57:46.598"
    assert read_xlsx.date_text(60, False) == "1900-02-28 00:00:00"
    assert read_xlsx.date_text(1e10, False) is None
    assert read_xlsx.date_kind("[h]:mm:ss") == 2
    assert read_xlsx.date_kind('"Y: "0.00') == 0
    assert read_xlsx.date_kind("d/m/yy;@") == 1


# ----------------------------------------------------------------------------- hypothesis

_VALUES = st.one_of(
    st.floats(allow_nan=False, width=64).map(lambda f: ("n", repr(f))),
    st.integers(-(10**20), 10**20).map(lambda i: ("n", str(i))),
    st.sampled_from(
        [
            ("b", "1"),
            ("b", "0"),
            ("e", "#N/A"),
            ("e", "#REF!"),
            ("str", "x"),
            ("s", "0"),
            ("s", "1"),
            ("s", "2"),
            ("s", "3"),
            ("s", "4"),
            ("s", "6"),
            ("empty", ""),
        ]
    ),
    st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from(" \t\n_"),
        max_size=8,
    ).map(lambda t: ("inline", t)),
    st.tuples(st.sampled_from(["0", "1", "2", "3", "4"]), st.floats(-1e5, 1e6)).map(
        lambda p: ("styled", f"{p[0]}:{p[1]!r}")
    ),
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def sheets(draw: st.DrawFn) -> str:
    rows = []
    row = 0
    for _ in range(draw(st.integers(1, 30))):
        row += draw(st.sampled_from([1, 1, 1, 2, 5]))
        cells = []
        col = 0
        for _ in range(draw(st.integers(0, 6))):
            col += draw(st.sampled_from([1, 1, 1, 2]))
            ref = f' r="{chr(64 + col)}{row}"' if draw(st.booleans()) or col == 1 else ""
            kind, value = draw(_VALUES)
            if kind == "inline":
                keep = ' xml:space="preserve"' if draw(st.booleans()) else ""
                cells.append(f'<c{ref} t="inlineStr"><is><t{keep}>{_escape(value)}</t></is></c>')
            elif kind == "styled":
                style, number = value.split(":")
                cells.append(f'<c{ref} s="{style}"><v>{number}</v></c>')
            elif kind == "empty":
                cells.append(f'<c{ref} s="0"/>')
            elif kind == "n":
                cells.append(f"<c{ref}><v>{value}</v></c>")
            else:
                cells.append(f'<c{ref} t="{kind}"><v>{value}</v></c>')
            if not ref:
                col = col  # positional: calamine counts from the previous cell
        rows.append(f'<row r="{row}">{"".join(cells)}</row>')
    return "".join(rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(xml=sheets())
def test_hypothesis_made_workbooks(tmp_path: Path, xml: str) -> None:
    path = tmp_path / "made.xlsx"
    path.write_bytes(raw_book(xml, shared=SHARED, styles=STYLES))
    try:
        fastexcel.read_excel(path.read_bytes()).load_sheet(0, header_row=None, dtypes="string")
    except fastexcel.FastExcelError:
        return  # a sheet fastexcel refuses (e.g. two cells on one position in odd order)
    assert_same_as_fastexcel(path)


def test_rows_out_of_order_across_batches_are_read_again_by_fastexcel_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows out of order after a batch was handed on: the stream cannot mend that, so the
    sheet is read again, whole, by fastexcel (which sorts the cells), and the analyst is told."""
    from caliber_desktop.models.enums import AnalysisLevel
    from caliber_desktop.services.scoring.engine import sum_sites
    from caliber_desktop.services.scoring.read import open_report

    monkeypatch.setattr(read_xlsx, "PIECE_BYTES", 64)
    monkeypatch.setattr(read_xlsx, "BATCH_ROWS", 1)
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>s{r}.com</t></is></c><c r="B{r}"><v>'
        f'{r}</v></c><c r="C{r}"><v>{r / 4}</v></c></row>'
        for r in (2, 3, 5, 4, 6)
    )
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Site</t></is></c><c r="B1" t="inlineStr"><is>'
        '<t>Impressions</t></is></c><c r="C1" t="inlineStr"><is><t>Advertiser Cost (Adv '
        "Currency)</t></is></c></row>"
    )
    path = tmp_path / "odd.xlsx"
    path.write_bytes(raw_book(header + cells))
    report = open_report(path)
    assert report.streams
    messages: list[str] = []
    table = sum_sites(
        report, AnalysisLevel.DOMAIN, None, progress=lambda d, t, m: messages.append(m)
    )
    assert "Reading the report again, whole" in messages
    assert table.quality.rows_read == 5
    said = [i.message for i in report.issues if i.code == "read_whole"]
    assert len(said) == 1
    assert said[0].startswith("odd.xlsx: read whole rather than in batches because sheet 'S'")
    assert "row 4 of the sheet comes after rows below it" in said[0]


def test_a_sheet_read_again_by_fastexcel_takes_its_columns_from_the_leftmost_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet starts in column B with a column nothing maps (Advertiser), and its rows are
    out of order, so fastexcel reads it whole: every count still comes from its own column
    (counted from A, fastexcel's indexes took Advertiser for Site, Site for Impressions…)."""
    from caliber_desktop.models.enums import AnalysisLevel
    from caliber_desktop.services.scoring.engine import sum_sites
    from caliber_desktop.services.scoring.read import open_report

    monkeypatch.setattr(read_xlsx, "PIECE_BYTES", 64)
    monkeypatch.setattr(read_xlsx, "BATCH_ROWS", 1)

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    names = ("Advertiser", "Site", "Impressions", "Clicks", "Advertiser Cost (Adv Currency)")
    header = "".join(text(f"{c}2", n) for c, n in zip("BCDEF", names, strict=True))
    header = f'<row r="2">{header}</row>'
    cells = "".join(
        f'<row r="{r}">{text(f"B{r}", "Acme")}{text(f"C{r}", f"s{r % 2}.com")}'
        f'<c r="D{r}"><v>{1000 * r}</v></c><c r="E{r}"><v>{r}</v></c>'
        f'<c r="F{r}"><v>{r / 4}</v></c></row>'
        for r in (3, 4, 6, 5, 7)
    )
    path = tmp_path / "offset.xlsx"
    path.write_bytes(raw_book(header + cells))
    report = open_report(path)
    messages: list[str] = []
    table = sum_sites(
        report, AnalysisLevel.DOMAIN, None, progress=lambda d, t, m: messages.append(m)
    )
    assert "Reading the report again, whole" in messages
    sums = table.frame[["impressions", "clicks", "spend", "n_rows"]]
    assert sums.to_dict("index") == {
        "s0.com": {"impressions": 10_000.0, "clicks": 10.0, "spend": 2.5, "n_rows": 2},
        "s1.com": {"impressions": 15_000.0, "clicks": 15.0, "spend": 3.75, "n_rows": 3},
    }
