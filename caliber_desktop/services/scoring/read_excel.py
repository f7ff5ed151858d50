"""Read the needed columns of an XLSX/XLS report: choose the sheet, keep Excel's own numbers.

XLSX sheets stream (``read_xlsx``: the sheet's XML walked a piece at a time, the values fastexcel
gives, in batches of rows), so a 1M-row workbook is read in bounded memory. XLS (binary) files,
and the rare XLSX the streaming reader cannot read the way fastexcel does, go through fastexcel
(imported only then) whole, and say so. Every sheet is scanned for the header and the best match
is read. Numeric cells keep the exact floats Excel stored and only text cells in numeric columns
are handed on as text, which is why this reader is separate from the CSV one.
"""

from __future__ import annotations

import bisect
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.services.scoring import read_xlsx
from caliber_desktop.services.scoring.model import Issue
from caliber_desktop.services.scoring.read_grid import (
    HEADER_SCAN_ROWS,
    _Columns,
    _find_header,
    _Grid,
    _grid,
    _no_header,
)
from caliber_desktop.services.scoring.read_text import _NotStreamable

#: Rows of each sheet scanned for the header (and kept as the sample), as fastexcel read them.
SCAN_ROWS = HEADER_SCAN_ROWS + 200


def _scan_excel(path: Path, shown: str, override: Mapping[str, str]) -> _Grid:
    """Find the sheet and its header: by streaming the first rows of each sheet of an XLSX,
    by fastexcel for an XLS or an XLSX the streaming reader cannot read (said in an Issue)."""
    if zipfile.is_zipfile(path):
        try:
            return _scan_xlsx(path, shown, override)
        except read_xlsx.Unsupported as why:
            grid = _scan_whole(path, shown, override)
            grid.issues.append(_read_whole(shown, str(why)))
            return grid
    return _scan_whole(path, shown, override)


def hidden_issue(shown: str, sheet: str | None, rows: int, first: int) -> Issue:
    """Said when rows Excel hides (a filter, most often) are scored with the others."""
    return Issue(
        "hidden_rows",
        f"{shown}: {rows:,} row(s) of sheet '{sheet}' are hidden in Excel (first: row {first}), "
        "by a filter or by hand. They are scored with the rows you see. To score only those, "
        "copy the visible rows to a new workbook (or delete the hidden ones) and import that.",
        row=first,
    )


def _read_whole(shown: str, why: str) -> Issue:
    return Issue(
        "read_whole",
        f"{shown}: read whole rather than in batches because {why}. Reading takes memory in "
        "proportion to the file's size.",
        severity="info",
    )


def _scan_xlsx(path: Path, shown: str, override: Mapping[str, str]) -> _Grid:
    try:
        book = read_xlsx.Book.open(path)
    except read_xlsx.Unsupported as why:
        raise read_xlsx.Unsupported(f"the workbook cannot be streamed ({why})") from None
    best: tuple[int, str, list[list[str]], tuple[int, int], read_xlsx.Origin] | None = None
    for sheet in book.sheets:
        try:
            rows, origin = read_xlsx.first_rows(book, sheet, SCAN_ROWS)
        except read_xlsx.Unsupported as why:
            raise read_xlsx.Unsupported(f"sheet '{sheet}' cannot be streamed ({why})") from None
        found = _find_header(rows, shown, override)
        if found is not None and (best is None or found[1] > best[0]):
            best = (found[1], sheet, rows, found, origin)
    if best is None:
        raise _no_header(shown)
    _, sheet, rows, found, origin = best
    grid = _grid(rows, found, sheet, shown)
    grid.origin = (origin.row, origin.col)
    _say_sheet(grid, list(book.sheets), sheet, shown)
    return grid


def _say_sheet(grid: _Grid, sheets: list[str], sheet: str, shown: str) -> None:
    if len(sheets) > 1:
        others = ", ".join(f"'{s}'" for s in sheets if s != sheet)
        grid.issues.insert(
            0,
            Issue(
                "sheet_chosen",
                f"{shown}: read sheet '{sheet}', whose header matches best (also in the file: "
                f"{others}).",
                severity="info",
            ),
        )


def _stream_excel(
    path: Path, grid: _Grid, kinds: Mapping[int, str], shown: str
) -> Iterator[tuple[_Columns, float]]:
    """The needed columns of a streaming XLSX sheet in batches of rows, with the share read.

    A part the streaming reader cannot read stops the stream (:class:`_NotStreamable`) and
    marks the sheet to be read whole by fastexcel.
    """
    yield from _xlsx_columns(path, grid, kinds, shown, read_xlsx.BATCH_ROWS)


def _load_xlsx(
    path: Path, grid: _Grid, kinds: Mapping[int, str], shown: str, issues: list[Issue]
) -> _Columns:
    """The whole sheet in one pass of the streaming reader; fastexcel if it cannot."""
    if grid.origin is not None:
        try:
            for columns, _ in _xlsx_columns(path, grid, kinds, shown, None):
                return columns
        except _NotStreamable as why:
            issues.append(_read_whole(shown, str(why)))
    return _load_excel(path, grid, kinds)


def _xlsx_columns(
    path: Path, grid: _Grid, kinds: Mapping[int, str], shown: str, batch_rows: int | None
) -> Iterator[tuple[_Columns, float]]:
    assert grid.origin is not None
    assert grid.sheet is not None
    first = grid.header_row + 1
    hidden: list[int] = []  # 0-based sheet rows; the sheet's range starts at its first row
    taken = bisect.bisect_left(hidden, first - 1)
    try:
        book = read_xlsx.Book.open(path)
        origin = read_xlsx.Origin(*grid.origin)
        for text, numbers, n, done in read_xlsx.stream_columns(
            book, grid.sheet, origin, grid.header_row, kinds, batch_rows, hidden
        ):
            out = _Columns(rows=np.arange(n, dtype=np.int64) + first, text=text, numbers=numbers)
            taken = max(taken, bisect.bisect_left(hidden, first - 1))
            ends = bisect.bisect_left(hidden, first + n - 1, lo=taken)
            if ends > taken:
                out.hidden, out.first_hidden = ends - taken, hidden[taken] + 1
            taken = ends
            first += n
            yield out, done
    except read_xlsx.Unsupported as why:
        grid.origin = None  # from now on the sheet is read whole, by fastexcel
        raise _NotStreamable(f"sheet '{grid.sheet}' cannot be streamed ({why})") from None


def _scan_whole(path: Path, shown: str, override: Mapping[str, str]) -> _Grid:
    """fastexcel's scan: it parses each sheet whole to give its first rows."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path.read_bytes())
        best: tuple[int, str, list[list[str]], tuple[int, int]] | None = None
        for sheet in reader.sheet_names:
            batch = reader.load_sheet(
                sheet, header_row=None, skip_rows=0, n_rows=SCAN_ROWS, dtypes="string"
            ).to_arrow()
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            rows = [
                ["" if c[r] is None else str(c[r]) for c in columns] for r in range(batch.num_rows)
            ]
            found = _find_header(rows, shown, override)
            if found is not None and (best is None or found[1] > best[0]):
                best = (found[1], sheet, rows, found)
    except (fastexcel.FastExcelError, OSError) as exc:
        raise FileRejectedError(shown, f"is a workbook Caliber cannot read ({exc}).") from None
    if best is None:
        raise _no_header(shown)
    _, sheet, rows, found = best
    grid = _grid(rows, found, sheet, shown)
    _say_sheet(grid, list(reader.sheet_names), sheet, shown)
    return grid


def _load_excel(path: Path, grid: _Grid, kinds: Mapping[int, str]) -> _Columns:
    """fastexcel's whole-sheet read: XLS files, and the fallback for XLSX."""
    import fastexcel

    reader = fastexcel.read_excel(path.read_bytes())
    wanted = sorted(kinds)
    dtypes: dict[str | int, fastexcel.DType] = {
        _named(i): "string" if kinds[i] == "dim" else "float" for i in wanted
    }
    sheet = reader.load_sheet(
        grid.sheet or 0, header_row=None, skip_rows=grid.header_row,
        use_columns=[_named(i) for i in wanted], dtypes=dtypes,
    )  # fmt: skip
    batch, errors = sheet.to_arrow_with_errors()
    out = _Columns(rows=np.arange(batch.num_rows, dtype=np.int64) + grid.header_row + 1)
    texty = {pos[1] for pos in (e.position for e in errors.errors)} if errors else set()
    text_batch = None
    if texty:  # numeric columns with text cells: read those as text too, parse the text cells
        text_batch = reader.load_sheet(
            grid.sheet or 0, header_row=None, skip_rows=grid.header_row,
            use_columns=[_named(i) for i in sorted(texty)], dtypes="string",
        ).to_arrow()  # fmt: skip
    for k, i in enumerate(wanted):
        column = batch.column(k)
        if kinds[i] == "dim":
            out.text[i] = column
            continue
        values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
        out.numbers[i] = values
        if text_batch is not None and i in texty:
            text = text_batch.column(sorted(texty).index(i))
            # Numeric cells were parsed exactly as floats; only the others go through text.
            keep = np.isfinite(values)
            text_values = np.asarray(text.to_pylist(), dtype=object)
            text_values[keep] = None
            out.text[i] = pa.array(text_values.tolist(), type=pa.string())
    return out


def _named(position: int) -> str:
    """A column by fastexcel's name for it without a header row.

    Positions count from the sheet's first column with a value, as fastexcel's scan and the
    streaming reader count them (and as its error positions do), and so do these names. Its
    integer indexes count from column A instead: on a sheet starting in column C they picked
    the wrong columns, or none.
    """
    return f"__UNNAMED__{position}"
