"""A run's per-site results in and out of SQLite, fast enough for 100k sites.

A run of a 1M-row report has ~100k sites with ~50 numbers each. Per-row JSON for those numbers
took ~15 s to write and ~12 s to read, and its millions of short-lived objects caused long garbage
collection pauses that froze the window (its thread shares the interpreter). So:

- the whole frame goes into ``run_frames`` as one zstd-compressed Parquet file (Arrow writes and
  reads it in C++ in well under a second), and it is what the panels, lists and exports read;
- ``site_scores`` keeps one row per site with the hot columns (score, recommendation, volume),
  flags and the driver sentence, written through the driver's ``executemany``, for SQL questions
  such as "the 20 worst sites of this run" (indexed by run and score).
"""

from __future__ import annotations

import io
import itertools
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, insert, literal_column, select
from sqlalchemy.engine import Connection

from caliber_desktop.errors import StoreError
from caliber_desktop.models.scoring import RunFrame

_HOT_TEXT = ("kind", "display_name", "quality_status", "recommendation", "confidence")
_HOT_NUMBERS = ("impressions", "spend", "clicks", "conversions", "score", "percentile")
_COLUMNS = ("site_id", *_HOT_TEXT, *_HOT_NUMBERS, "flags", "explanation")
#: Columns holding tuples of strings (Parquet lists; tuples again when read back).
_TUPLE_COLUMNS = ("flags", "flag_evidence")
#: A stored run's file is read out of SQLite this many bytes at a time (see ``_frame_bytes``).
_BLOB_PIECE = 2 * 1024 * 1024
#: List columns become tuples this many rows per Arrow call (see ``_tuples``).
_TUPLE_SLICE = 8192


def insert_sites(conn: Connection, run_id: int, sites: pd.DataFrame) -> int:
    """Store every site of ``sites`` (a :class:`ScoreResult` frame) for ``run_id``."""
    _write_frame(conn, run_id, sites)
    n = len(sites)
    if n == 0:
        return 0
    hot: dict[str, list[object]] = {"site_id": list(sites.index.astype(str))}
    for column in _HOT_TEXT:
        hot[column] = list(sites[column].astype(str))
    for column in _HOT_NUMBERS:
        values = pd.to_numeric(sites[column], errors="coerce").astype(np.float64)
        if column not in ("score", "percentile"):
            values = values.fillna(0.0)
        hot[column] = [None if np.isnan(v) else float(v) for v in values.to_numpy()]
    hot["flags"] = [json.dumps(list(f)) for f in sites["flags"]]
    hot["explanation"] = [
        json.dumps({"top_drivers": str(d), "flag_evidence": list(e)}, ensure_ascii=False)
        for d, e in zip(sites["top_drivers"], sites["flag_evidence"], strict=True)
    ]
    placeholders = ", ".join("?" for _ in range(len(_COLUMNS) + 1))
    conn.exec_driver_sql(
        f"INSERT INTO site_scores (run_id, {', '.join(_COLUMNS)}) VALUES ({placeholders})",
        list(zip([run_id] * n, *(hot[c] for c in _COLUMNS), strict=True)),
    )
    return n


def _write_frame(conn: Connection, run_id: int, sites: pd.DataFrame) -> None:
    frame = sites.reset_index()
    for column in _TUPLE_COLUMNS:
        if column in frame:
            frame[column] = [list(v) for v in frame[column]]
    for column in frame.columns:
        if frame[column].dtype == object and column not in _TUPLE_COLUMNS:
            frame[column] = frame[column].astype(str)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, compression="zstd")
    conn.execute(insert(RunFrame).values(run_id=run_id, format="parquet", data=buffer.getvalue()))


def read_sites(conn: Connection, run_id: int) -> pd.DataFrame:
    """A run's sites as the engine produced them (index ``site_id``, score order).

    Read on a worker while the window runs, so no step holds the interpreter lock for long (the
    window stalled 20–35 ms per step otherwise): the Parquet file comes out of SQLite in pieces
    (:func:`_frame_bytes`), Arrow decodes it with the lock released, and the list columns become
    tuples a slice at a time (:func:`_tuples`).
    """
    found = _frame_bytes(conn, run_id)
    if found is None:
        return pd.DataFrame()
    fmt, data = found
    if fmt != "parquet":
        raise StoreError(
            f"Run {run_id} is stored as {fmt!r}, which this version of Caliber cannot read.",
            hint="Update Caliber, or score the campaign again.",
        )
    table = pq.read_table(pa.BufferReader(data))
    names = table.column_names
    tuples = sorted((c for c in _TUPLE_COLUMNS if c in names), key=names.index)
    frame: pd.DataFrame = table.drop_columns(tuples).to_pandas()
    for column in tuples:  # in the file's order, so each goes back where it was
        values = pd.Series(_tuples(table.column(column)), dtype=object, index=frame.index)
        frame.insert(names.index(column), column, values)
    return frame.set_index("site_id")


def _frame_bytes(conn: Connection, run_id: int) -> tuple[str, Any] | None:
    """A run's stored format and file (an Arrow buffer), read through SQLite's blob API.

    Fetching the ~35 MB value of a 100k-site run as one column held the interpreter lock for
    20–35 ms (SQLite walks its overflow pages inside the fetch), and so did a zero-filled
    ``bytearray`` of that size. A blob read of :data:`_BLOB_PIECE` bytes releases the lock while
    SQLite copies, and each piece lands in an Arrow buffer (not zero-filled, and Parquet reads
    it without a copy). The read is inside the caller's transaction: the same snapshot.
    """
    row = conn.execute(
        select(literal_column("rowid"), RunFrame.format, func.length(RunFrame.data)).where(
            RunFrame.run_id == run_id
        )
    ).first()
    if row is None:
        return None
    rowid, fmt, size = row
    raw: Any = conn.connection.dbapi_connection
    if not hasattr(raw, "blobopen"):  # another DB-API driver: one fetch, as before
        data = conn.execute(select(RunFrame.data).where(RunFrame.run_id == run_id)).scalar_one()
        return str(fmt), pa.py_buffer(data)
    buffer = pa.allocate_buffer(int(size))
    view = memoryview(buffer).cast("B")
    with raw.blobopen(RunFrame.__tablename__, "data", rowid, readonly=True) as blob:
        for start in range(0, len(view), _BLOB_PIECE):
            view[start : start + _BLOB_PIECE] = blob.read(_BLOB_PIECE)
    view.release()
    return str(fmt), buffer


def _tuples(column: pa.ChunkedArray) -> list[tuple[Any, ...]]:
    """A list column as tuples (a missing list is ``()``), :data:`_TUPLE_SLICE` rows per C call.

    ``to_pandas`` of the whole column held the interpreter lock ~20–35 ms for 100k sites. Here
    each slice's offsets and flat values become Python lists (one short C call each) and Python
    cuts the tuples between calls, where the lock changes hands. No per-row list is made: most
    sites have no flag (the shared empty tuple), and 100k throw-away lists set off the garbage
    collector's full passes, which hold the lock longest of all.
    """
    rows: list[tuple[Any, ...]] = []
    for chunk in column.chunks:
        if not isinstance(chunk, pa.ListArray | pa.LargeListArray):  # not a list column
            rows.extend(tuple(v) if v is not None else () for v in chunk.to_pylist())
            continue
        for start in range(0, len(chunk), _TUPLE_SLICE):
            piece = chunk.slice(start, _TUPLE_SLICE)
            offsets = piece.offsets.to_pylist()  # a slice's offsets are into the whole values
            values = piece.values.slice(offsets[0], offsets[-1] - offsets[0]).to_pylist()
            base = offsets[0]
            cut = [
                tuple(values[a - base : b - base]) if b > a else ()
                for a, b in itertools.pairwise(offsets)
            ]
            if piece.null_count:  # a missing list reads as none, whatever its offsets say
                cut = [
                    c if ok else () for c, ok in zip(cut, piece.is_valid().to_pylist(), strict=True)
                ]
            rows.extend(cut)
    return rows
