"""Exports pasted together: the header repeated inside the file, and rows copied across it.

Analysts join exports by hand (October under September, or two downloads of overlapping dates)
and the second export's header comes along. Read as data, that row was text in every count, and
the run said so eight times, once per column, without saying what the file was. Worse, if the
second export had its columns in another order, every row under it would be read under the wrong
column — clicks as impressions — with nothing to show for it.

So the reader looks for rows whose cells are the file's header names:

- in the same columns as the header: the row is left out, counted as a repeated header row,
  and one note says the file looks pasted together — a warning when rows below a repeated
  header are exact copies of rows above it (overlapping exports count those rows twice);
- in other columns: the file is refused, naming the row and a column that moved.

Only cells of number columns that hold text are looked at first (a header row has text in every
count): a clean export, whose counts Arrow parses as numbers, pays nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.services.scoring.model import Issue
from caliber_desktop.services.scoring.read_grid import _Columns, _Grid

if TYPE_CHECKING:
    import pandas as pd

#: Header names a row needs (at least, or all its cells) to be a header rather than a stray word.
HEADER_CELLS = 3


def _norm(text: object) -> str:
    return str(text).strip().casefold()


def repeated_headers(
    columns: _Columns, grid: _Grid, kinds: Mapping[int, str], shown: str
) -> npt.NDArray[np.intp]:
    """Positions (in ``columns``) of the rows that repeat the header in its own columns.

    Raises :class:`FileRejectedError` for a header row whose names sit in other columns.
    """
    names: dict[str, set[int]] = {}
    for i, h in enumerate(grid.headers):
        if _norm(h):
            names.setdefault(_norm(h), set()).add(i)  # a header may be written twice
    texts = pa.array(sorted({h for h in grid.headers if h}), type=pa.string())
    candidates: npt.NDArray[np.bool_] | None = None
    for i, kind in kinds.items():
        cells = columns.text.get(i)
        if kind == "dim" or cells is None:
            continue
        hit = pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(cells), value_set=texts), False)
        found = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        candidates = found if candidates is None else candidates | found
    if candidates is None or not candidates.any():
        return np.zeros(0, dtype=np.intp)
    out: list[int] = []
    for r in np.flatnonzero(candidates):
        cells = {i: columns.text[i][int(r)].as_py() for i in kinds if i in columns.text}
        named = {i: names[_norm(c)] for i, c in cells.items() if c and _norm(c) in names}
        if len(named) < min(HEADER_CELLS, len(kinds)):
            continue  # a header's word in a cell or two: text in a number, said as such
        moved = [(i, min(k)) for i, k in named.items() if i not in k]
        if moved:
            raise _moved(shown, grid, int(columns.rows[r]), *moved[0])
        out.append(int(r))
    return np.asarray(out, dtype=np.intp)


def _moved(shown: str, grid: _Grid, row: int, i: int, k: int) -> FileRejectedError:
    return FileRejectedError(
        shown,
        f"row {row} is a header with its columns in another order than the header in row "
        f"{grid.header_row} ('{grid.headers[k]}' stands under '{grid.headers[i]}'): the file "
        "joins exports with different columns, and the rows under it would be read under the "
        "wrong ones.",
        hint="Export the report once for the whole date range, or import each export as a "
        "file of its own.",
    )


def without(columns: _Columns, drop: npt.NDArray[np.intp]) -> _Columns:
    """``columns`` without the rows at ``drop``."""
    keep = np.ones(len(columns.rows), dtype=bool)
    keep[drop] = False
    mask = pa.array(keep)
    return dataclasses.replace(
        columns,
        rows=columns.rows[keep],
        text={i: cells.filter(mask) for i, cells in columns.text.items()},
        numbers={i: values[keep] for i, values in columns.numbers.items()},
        percent={i: values[keep] for i, values in columns.percent.items()},
    )


def pasted_issue(shown: str, frame: pd.DataFrame, header_rows: Sequence[int]) -> Issue:
    """What a file with repeated header rows is told: where, and the rows it may count twice.

    A row under a repeated header that is an exact copy (every column read) of a row above it
    is what two exports of overlapping dates give; such rows are counted as read, and said.
    """
    import pandas as pd

    first, n = header_rows[0], len(header_rows)
    where = (
        f"row {first} repeats the header: the file looks like exports pasted together. The row is"
        if n == 1
        else f"{n:,} rows repeat the header (first: row {first}): the file looks like exports "
        "pasted together. They are"
    )
    told = f"{shown}: {where} left out of scoring (counted as rows repeating the header)."
    rows = frame["_row"].to_numpy(dtype=np.int64)
    keys = pd.util.hash_pandas_object(frame.drop(columns="_row"), index=False).to_numpy()
    part = np.searchsorted(np.asarray(header_rows, dtype=np.int64), rows)  # 0: above them all
    order = np.lexsort((rows, keys))
    keys, part, rows = keys[order], part[order], rows[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(keys)]))
    copies = part > part[starts][group]  # below a header that the row's first copy is above
    if not copies.any():
        return Issue("pasted_exports", told + " No row under a repeated header copies a row "
                     "above it.", row=first, severity="info")  # fmt: skip
    at = int(np.argmin(np.where(copies, rows, np.iinfo(np.int64).max)))
    original = int(rows[starts[group[at]]])
    return Issue(
        "pasted_exports",
        f"{told} {int(copies.sum()):,} rows under a repeated header are exact copies of rows "
        f"above it (first: row {int(rows[at])}, a copy of row {original}): the exports "
        "overlap, and those rows are counted twice. Remove the overlap from the file and "
        "import it again.",
        row=first,
    )
