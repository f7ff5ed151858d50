"""Read the needed columns of an XLSX/XLS report: choose the sheet, keep Excel's own numbers.

Workbooks go through fastexcel (imported only when a workbook is read); every sheet is scanned for
the header and the best match is read. Numeric cells keep the exact floats Excel stored and only
text cells in numeric columns are handed on as text, which is why this reader is separate from the
CSV one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.services.scoring.model import Issue
from caliber_desktop.services.scoring.read_grid import (
    HEADER_SCAN_ROWS,
    _Columns,
    _find_header,
    _Grid,
    _grid,
    _no_header,
)


def _scan_excel(path: Path, shown: str, override: Mapping[str, str]) -> _Grid:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path.read_bytes())
        best: tuple[int, str, list[list[str]], tuple[int, int]] | None = None
        for sheet in reader.sheet_names:
            batch = reader.load_sheet(
                sheet, header_row=None, skip_rows=0, n_rows=HEADER_SCAN_ROWS + 200, dtypes="string"
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
    if len(reader.sheet_names) > 1:
        others = ", ".join(f"'{s}'" for s in reader.sheet_names if s != sheet)
        grid.issues.insert(
            0,
            Issue(
                "sheet_chosen",
                f"{shown}: read sheet '{sheet}', whose header matches best (also in the file: "
                f"{others}).",
                severity="info",
            ),
        )
    return grid


def _load_excel(path: Path, grid: _Grid, kinds: Mapping[int, str]) -> _Columns:
    import fastexcel

    reader = fastexcel.read_excel(path.read_bytes())
    wanted = sorted(kinds)
    dtypes: dict[str | int, fastexcel.DType] = {
        i: "string" if kinds[i] == "dim" else "float" for i in wanted
    }
    sheet = reader.load_sheet(
        grid.sheet or 0, header_row=None, skip_rows=grid.header_row, use_columns=wanted,
        dtypes=dtypes,
    )  # fmt: skip
    batch, errors = sheet.to_arrow_with_errors()
    out = _Columns(rows=np.arange(batch.num_rows, dtype=np.int64) + grid.header_row + 1)
    texty = {pos[1] for pos in (e.position for e in errors.errors)} if errors else set()
    text_batch = None
    if texty:  # numeric columns with text cells: read those as text too, parse the text cells
        text_batch = reader.load_sheet(
            grid.sheet or 0, header_row=None, skip_rows=grid.header_row,
            use_columns=sorted(texty), dtypes="string",
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
