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
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from caliber_desktop.errors import StoreError
from caliber_desktop.models.scoring import RunFrame

_HOT_TEXT = ("kind", "display_name", "quality_status", "recommendation", "confidence")
_HOT_NUMBERS = ("impressions", "spend", "clicks", "conversions", "score", "percentile")
_COLUMNS = ("site_id", *_HOT_TEXT, *_HOT_NUMBERS, "flags", "explanation")
#: Columns holding tuples of strings (Parquet lists; tuples again when read back).
_TUPLE_COLUMNS = ("flags", "flag_evidence")


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
    """A run's sites as the engine produced them (index ``site_id``, score order)."""
    row = conn.execute(
        select(RunFrame.format, RunFrame.data).where(RunFrame.run_id == run_id)
    ).first()
    if row is None:
        return pd.DataFrame()
    fmt, data = row
    if fmt != "parquet":
        raise StoreError(
            f"Run {run_id} is stored as {fmt!r}, which this version of Caliber cannot read.",
            hint="Update Caliber, or score the campaign again.",
        )
    frame: pd.DataFrame = pq.read_table(io.BytesIO(data)).to_pandas()
    for column in _TUPLE_COLUMNS:
        if column in frame:
            frame[column] = pd.Series(
                [tuple(v) if v is not None else () for v in frame[column]],
                dtype=object,
                index=frame.index,
            )
    return frame.set_index("site_id")
