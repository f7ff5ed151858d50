"""The app's hand-written XLSX writer before issue 18, kept as the baseline of
``bench_xlsx_writers.py`` (the app now writes XLSX with rustpy-xlsxwriter).

A copy of ``services/exports/sheets.py``'s XLSX part at commit 69df23f: each chunk of rows built
as whole string columns with Arrow compute kernels and streamed into a zip member as inline
strings. Not used by the app.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from caliber_desktop.services.exports.sheets import (
    CELL_TEXT_MAX,
    CHUNK,
    Tick,
    _no_tick,
    neutralise,
    neutralise_frame,
    sheet_names,
    text_of,
)

#: Characters XML 1.0 cannot carry at all (the tab, LF and CR are allowed).
_XML_INVALID = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"  # RE2 syntax
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    _XML + f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_xlsx(
    sheets: Sequence[tuple[str, pd.DataFrame]], path: Path, *, tick: Tick = _no_tick
) -> Path:
    """One sheet per frame: a bold, frozen header row, numbers as numbers, text as inline text."""
    names = sheet_names(name for name, _ in sheets)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _content_types(len(sheets)))
        book.writestr(
            "_rels/.rels",
            _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr("xl/workbook.xml", _workbook(names))
        book.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        book.writestr("xl/styles.xml", _STYLES)
        for number, (_, frame) in enumerate(sheets, start=1):
            member = f"xl/worksheets/sheet{number}.xml"
            with book.open(member, "w", force_zip64=True) as raw:
                _write_sheet(frame, raw, tick)
    return path


def _content_types(count: int) -> str:
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{sheet_type}"/>'
        for n in range(1, count + 1)
    )
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return (
        _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f"{overrides}</Types>"
    )


def _workbook(names: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    return (
        _XML + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(count: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return _XML + f'<Relationships xmlns="{_PKG_REL}">{rels}{styles}</Relationships>'


def _write_sheet(frame: pd.DataFrame, raw: IO[bytes], tick: Tick) -> None:
    import pyarrow as pa

    safe = neutralise_frame(frame.reset_index(drop=True))
    letters = [column_letter(i) for i in range(len(safe.columns))]
    pane = (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    header = "".join(
        f'<c r="{letter}1" t="inlineStr" s="1"><is><t xml:space="preserve">'
        f"{_escape_one(neutralise(str(name)))}</t></is></c>"
        for letter, name in zip(letters, safe.columns, strict=True)
    )
    raw.write((_XML + f'<worksheet xmlns="{_NS}">{pane}<sheetData>').encode())
    raw.write(f'<row r="1">{header}</row>\n'.encode())
    for start in range(0, len(safe), CHUNK):
        chunk = safe.iloc[start : start + CHUNK]
        rows = pa.array(np.arange(start + 2, start + 2 + len(chunk)).astype(str), pa.string())
        cells = [
            _cells(chunk[column], letter, rows)
            for letter, column in zip(letters, chunk.columns, strict=True)
        ]
        xml = _join('<row r="', rows, '">', *cells, "</row>\n")
        raw.write("".join(xml.to_pylist()).encode("utf-8"))
        tick(len(chunk))
    raw.write(b"</sheetData></worksheet>")


def _join(*parts: Any) -> Any:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


def _cells(values: pd.Series, letter: str, rows: Any) -> Any:
    """The XML of one column's cells for a chunk of rows ('' where the value is missing).

    Arrow compute kernels (C++) build the strings; float → text is Arrow's shortest round-trip
    form, so numbers read back exactly.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ref = '<c r="' + letter
    if pd.api.types.is_bool_dtype(values):
        flags = pc.if_else(pa.array(values.to_numpy(bool)), "1", "0")
        return _join(ref, rows, '" t="b"><v>', flags, "</v></c>")
    if pd.api.types.is_numeric_dtype(values):
        numbers = pa.array(values.to_numpy(float, na_value=np.nan))
        cell = _join(ref, rows, '"><v>', pc.cast(numbers, pa.string()), "</v></c>")
        return pc.if_else(pc.is_finite(numbers), cell, "")
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "string":
        return pa.array(
            [
                _mixed_cell(letter, r, v)
                for r, v in zip(rows.to_pylist(), values.tolist(), strict=True)
            ],
            pa.string(),
        )
    text = pa.array(values.astype("str"), from_pandas=True).cast(pa.string())
    escaped = _escape_arrow(pc.utf8_slice_codeunits(text, 0, CELL_TEXT_MAX))
    cell = _join(
        ref, rows, '" t="inlineStr"><is><t xml:space="preserve">', escaped, "</t></is></c>"
    )
    return pc.if_else(pc.is_valid(text), cell, "")


def _mixed_cell(letter: str, row: str, value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    ref = f'<c r="{letter}{row}"'
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        number = float(value)
        return f"{ref}><v>{number!r}</v></c>" if math.isfinite(number) else ""
    text = text_of(value) or ""
    return (
        f'{ref} t="inlineStr"><is><t xml:space="preserve">'
        f"{_escape_one(neutralise(text)[:CELL_TEXT_MAX])}</t></is></c>"
    )


def _escape_arrow(text: Any) -> Any:
    import pyarrow.compute as pc

    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        text = pc.replace_substring(text, old, new)
    return pc.replace_substring_regex(text, _XML_INVALID, "")


def _escape_one(text: str) -> str:
    import pyarrow as pa

    return str(_escape_arrow(pa.array([text], pa.string()))[0].as_py())
