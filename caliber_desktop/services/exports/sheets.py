"""Tables out to CSV, XLSX and JSON fast, with every text cell neutralised, written atomically.

XLSX is written by rustpy-xlsxwriter, a binding of the Rust ``rust_xlsxwriter`` (by the author of
XlsxWriter), in constant-memory mode. It replaced a hand-written SpreadsheetML writer: on the
100k-site results table it is as fast (``bench/bench_xlsx_writers.py``: 0.9× its time, where
XlsxWriter in Python takes 5×), its files are a quarter smaller (shared formats, no empty text
cells), and it writes the parts Excel expects (theme, document properties, dimensions) that the
hand-written one left out. Text is always a string cell: the library makes no formula or link of
text. Text is still neutralised (a leading ``= + - @`` tab or CR gets an apostrophe), because the
same value may be copied on into another sheet or re-saved as CSV.

Every writer takes a path inside a staging area
(:class:`~caliber_desktop.services.exports.file_swap.Staging`): the files appear under their final
names only once all of them are complete, and all together.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from caliber_desktop.services.records import jsonable

#: Rows per chunk: the unit of progress and cancellation in the XLSX and JSON writers.
CHUNK = 20_000
#: Workbooks of at least this many rows are written in a child process (:func:`_write_in_child`).
CHILD_ROWS = 20_000
#: Excel's limit on the text of one cell; longer text is cut (Excel would refuse the file).
CELL_TEXT_MAX = 32_767
#: Sheet names: at most 31 characters, none of these.
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))

Tick = Callable[[int], None]

#: What a spreadsheet may read as the start of a formula (tab and CR: some parsers strip them).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _no_tick(_rows: int) -> None:
    """No progress wanted."""


# ----------------------------------------------------------------------------- neutralising


def neutralise(value: str) -> str:
    """``value`` made inert for spreadsheets (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def json_safe(data: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN/∞ → None, text neutralised."""
    if isinstance(data, dict):
        return {str(k): json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple | set | frozenset):
        items: Iterable[Any] = sorted(data) if isinstance(data, set | frozenset) else data
        return [json_safe(v) for v in items]
    if isinstance(data, np.generic):
        data = data.item()
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, str):
        return neutralise(data)
    return data


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells are neutralised; numbers, booleans and missing values untouched.

    String columns go through vectorised string operations; mixed ``object`` columns (the
    name/value tables) cell by cell, which is fine because those are small.
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)  # its labels neutralised one by one, below
        if pd.api.types.is_string_dtype(values) and values.dtype != object:
            risky = values.str.startswith(FORMULA_PREFIXES, na=False)
            if risky.any():
                safe[column] = values.where(~risky, "'" + values)
        elif values.dtype == object:
            safe[column] = pd.Series(
                [neutralise(v) if isinstance(v, str) else v for v in values.tolist()],
                index=values.index,
                dtype=object,
            )
    return safe


def text_of(value: Any) -> str | None:
    """A scalar as CSV text: None when missing, true/false, numbers in their shortest form."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (text_of(v) for v in value) if t is not None)
    if isinstance(value, dict):
        return json.dumps(json_safe(value), ensure_ascii=False)
    return str(value)


# ----------------------------------------------------------------------------- CSV


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with a BOM (Excel then reads non-ASCII names right), numbers unquoted, via Arrow.

    Mixed ``object`` columns become text (Arrow needs one type per column). The rows are
    neutralised, converted and written :data:`CHUNK` at a time, so a large table (100k sites'
    ``scores.csv``) is never copied whole twice more; the bytes are those of one write.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    # by position (names may repeat); a ``str`` column is Arrow's already
    text = [i for i, dtype in enumerate(frame.dtypes) if pd.api.types.is_object_dtype(dtype)]
    with path.open("wb") as handle:
        handle.write(codecs.BOM_UTF8)
        writer: pacsv.CSVWriter | None = None
        for start in range(0, max(len(frame), 1), CHUNK):
            safe = neutralise_frame(frame.iloc[start : start + CHUNK])
            for i in text:
                cells = [text_of(v) for v in safe.iloc[:, i].tolist()]
                safe.isetitem(i, np.array(cells, dtype=object))
            if writer is None:  # text columns are text even where a chunk has none
                schema = pa.Schema.from_pandas(safe, preserve_index=False)
                for i in text:
                    schema = schema.set(i, pa.field(schema.field(i).name, pa.string()))
                options = pacsv.WriteOptions(quoting_style="needed")
                writer = pacsv.CSVWriter(handle, schema, write_options=options)
            writer.write_table(pa.Table.from_pandas(safe, schema=schema, preserve_index=False))
        if writer is not None:
            writer.close()
    return path


# ----------------------------------------------------------------------------- JSON


def write_json_document(document: dict[str, Any], path: Path, *, tick: Tick = _no_tick) -> Path:
    """One JSON object; a value that is a DataFrame becomes an array of row objects.

    Tables are serialised by pandas (C code, NaN → null) one chunk at a time, one row per line;
    everything else goes through :func:`json_safe` (NaN → null, text neutralised, like the
    spreadsheets: one rule for every format).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("{")
        for position, (key, value) in enumerate(document.items()):
            handle.write(",\n  " if position else "\n  ")
            handle.write(json.dumps(str(key), ensure_ascii=False) + ": ")
            if isinstance(value, pd.DataFrame):
                _json_rows(value, handle, tick)
            else:
                text = json.dumps(
                    json_safe(jsonable(value)), indent=2, ensure_ascii=False, allow_nan=False
                )
                handle.write(text.replace("\n", "\n  "))
        handle.write("\n}\n")
    return path


def _json_rows(frame: pd.DataFrame, handle: IO[str], tick: Tick) -> None:
    safe = neutralise_frame(frame.reset_index(drop=True))
    numeric = safe.select_dtypes("number").columns
    if len(numeric):
        safe[numeric] = safe[numeric].replace([np.inf, -np.inf], np.nan)
    if safe.empty:
        handle.write("[]")
        return
    handle.write("[")
    for start in range(0, len(safe), CHUNK):
        chunk = safe.iloc[start : start + CHUNK]
        text = chunk.to_json(
            orient="records", lines=True, force_ascii=False, double_precision=15
        ).rstrip("\n")
        handle.write(("," if start else "") + "\n    " + text.replace("\n", ",\n    "))
        tick(len(chunk))
    handle.write("\n  ]")


# ----------------------------------------------------------------------------- XLSX


def sheet_names(names: Iterable[str]) -> list[str]:
    """Valid, unique sheet names (31 characters, no ``[]:*?/\\``)."""
    out: list[str] = []
    for name in names:
        base = (name.translate(_SHEET_FORBIDDEN).strip("' ") or "Sheet")[:31]
        candidate, n = base, 2
        while candidate.lower() in {o.lower() for o in out}:
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        out.append(candidate)
    return out


def write_xlsx(
    sheets: Sequence[tuple[str, pd.DataFrame]], path: Path, *, tick: Tick = _no_tick
) -> Path:
    """One sheet per frame: a bold, frozen header row, numbers as numbers, text as text.

    Written by rustpy-xlsxwriter (the Rust ``rust_xlsxwriter``, from the author of XlsxWriter) in
    its constant-memory mode: each row goes to the sheet's XML as it is written. Text is always a
    string cell (the library turns no text into a formula or a link) and is neutralised first.
    The workbook is written whole in one call, so ``tick`` reports the sheets' rows once it is
    written (and a cancel takes effect then, as after the other formats' last chunk).
    """
    names = sheet_names(name for name, _ in sheets)
    frames = [_sheet_frame(frame) for _, frame in sheets]
    path.parent.mkdir(parents=True, exist_ok=True)
    if sum(len(frame) for frame in frames) >= CHILD_ROWS:
        _write_in_child(names, frames, path)
    else:
        _write_workbook(names, frames, str(path))
    for frame in frames:
        tick(len(frame))
    return path


def _write_workbook(names: Sequence[str], frames: Sequence[pd.DataFrame], path: str) -> int:
    """The one rustpy-xlsxwriter call; the id of the process that made it."""
    import os

    import rustpy_xlsxwriter

    rustpy_xlsxwriter.write_worksheets(
        list(zip(names, frames, strict=True)),
        path,
        freeze_panes={"general": {"row": 1, "col": 0}},
        bold_headers=True,
    )
    return os.getpid()


def _write_in_child(names: Sequence[str], frames: Sequence[pd.DataFrame], path: Path) -> int:
    """:func:`_write_workbook` in a spawned child process (never fork; the frozen app's entry
    points call ``multiprocessing.freeze_support()``), so the caller's process keeps its
    interpreter lock: writing 100k rows × 32 columns in one call held it ~1 s, which froze the
    window whose worker asked for the export. Costs ~0.5–1 s of start-up; an error in the child
    is raised here, a child that dies is an ``OSError`` naming the file."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(_write_workbook, list(names), list(frames), str(path)).result()
        except BrokenProcessPool:
            raise OSError(
                f"The process writing {path.name} ended before it finished (out of memory?)."
            ) from None


def _sheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the writer gets it: every cell a number, a boolean, text or missing.

    Text is neutralised and cut to Excel's limit (a longer cell makes Excel refuse the file);
    numbers are floats with ∞ as missing; a column of other values (dates, categories) is
    text; a mixed ``object`` column (the name/value tables) is converted cell by cell; headers
    are neutralised text. Missing values and ∞ become empty cells.
    """
    safe = neutralise_frame(frame.reset_index(drop=True))
    safe.columns = pd.Index([neutralise(str(name)) for name in safe.columns], dtype=object)
    for position in range(safe.shape[1]):
        values = safe.iloc[:, position]
        if pd.api.types.is_bool_dtype(values) and not values.isna().any():
            column: pd.Series = pd.Series(values.to_numpy(bool), index=safe.index)
        elif pd.api.types.is_bool_dtype(values) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) != "string"
        ):
            column = pd.Series([_cell(v) for v in values.tolist()], index=safe.index, dtype=object)
        elif pd.api.types.is_numeric_dtype(values):
            numbers = values.to_numpy(float, na_value=np.nan)
            column = pd.Series(np.where(np.isfinite(numbers), numbers, np.nan), index=safe.index)
        else:
            column = _text_column(values)
        safe.isetitem(position, column.array)
    return safe


def _text_column(values: pd.Series) -> pd.Series:
    """A column written as text, cut to Excel's limit. Text columns were neutralised by
    ``neutralise_frame``; other values (dates, intervals…) become text and are neutralised here."""
    text = values
    if not pd.api.types.is_string_dtype(values):
        text = values.astype("str").where(values.notna())
        risky = text.str.startswith(FORMULA_PREFIXES, na=False)
        text = text.where(~risky, "'" + text) if risky.any() else text
    long = text.str.len() > CELL_TEXT_MAX
    return text.where(~long, text.str.slice(0, CELL_TEXT_MAX)) if long.any() else text


def _cell(value: Any) -> Any:
    """One cell of a mixed column: None, a bool, a finite float or neutralised text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    return neutralise(text_of(value) or "")[:CELL_TEXT_MAX]
