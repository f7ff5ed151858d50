"""Results and summaries written for people and spreadsheets: CSV, XLSX and JSON.

Site names come from third parties. A spreadsheet treats a cell starting with ``= + - @`` (or a
tab or carriage return, which some parsers strip first) as a formula, so a site called
``=HYPERLINK("http://evil","click")`` would run in the analyst's Excel. Every text cell of every
export goes through :func:`neutralise`, which prefixes such a value with an apostrophe — the OWASP
recommendation, and what Excel itself shows for a literal. Numbers are written as numbers.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.lists import SiteLists
from caliber_desktop.services.scoring.model import ScoreResult

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Identity and volume columns first, then each metric raw and shrunk, then the verdict.
LEAD_COLUMNS = ("site_id", "kind", "display_name", "impressions", "spend", "clicks", "conversions")
TAIL_COLUMNS = (
    "score",
    "percentile",
    "quality_status",
    "recommendation",
    "confidence",
    "flags",
    "top_drivers",
)


def neutralise(value: str) -> str:
    """``value`` made inert for spreadsheets (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def results_table(result: ScoreResult, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flat results table of ``scores.csv``: one row per site, in score order.

    ``extra`` (indexed by site id) adds columns such as the final list and the override reason.
    """
    sites = result.sites
    out = pd.DataFrame({"site_id": sites.index.astype(str)}, index=sites.index)
    for column in LEAD_COLUMNS[1:]:
        out[column] = sites.get(column, np.nan)
    for metric in result.metric_names():
        out[metric] = sites[metric]
        out[f"{metric}_shrunk"] = sites[f"{metric}_shrunk"]
    for column in TAIL_COLUMNS:
        out[column] = sites[column]
    out["flags"] = [";".join(map(str, flags)) for flags in sites["flags"]]
    floats = out.select_dtypes("float").columns
    out[floats] = out[floats].round(6)  # summing cents leaves 6.800000000000001
    if extra is not None:
        out = out.join(extra, how="left")
    return out.reset_index(drop=True)


def _text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns are plain strings with risky cells neutralised (vectorised)."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        text = values.astype("str")
        risky = text.str.startswith(FORMULA_PREFIXES, na=False)
        safe[column] = text.where(~risky, "'" + text) if risky.any() else text
    return safe


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with a BOM so Excel opens non-ASCII site names correctly; numbers unquoted.

    Written by Arrow's CSV writer: pandas' ``to_csv`` formats 100k × 30 cells in Python
    (≈ 4 s); Arrow does it in C++ in a tenth of that.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(_text_cells(frame), preserve_index=False)
    with path.open("wb") as handle:
        handle.write(codecs.BOM_UTF8)
        pacsv.write_csv(table, handle, pacsv.WriteOptions(quoting_style="needed"))
    return path


def write_xlsx(sheets: Sequence[tuple[str, pd.DataFrame]], path: Path) -> Path:
    """One sheet per frame; strings are never turned into formulas or links by the writer."""
    import xlsxwriter  # imported when used: the GUI starts faster without it

    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False}
    with xlsxwriter.Workbook(str(path), {"constant_memory": True, **options}) as book:
        bold = book.add_format({"bold": True})
        for name, frame in sheets:
            sheet = book.add_worksheet(name[:31])
            safe = _text_cells(frame)
            for col, header in enumerate(safe.columns):
                sheet.write_string(0, col, neutralise(str(header)), bold)
            for row_index, row in enumerate(safe.itertuples(index=False), start=1):
                for col, value in enumerate(row):
                    _write_cell(sheet, row_index, col, value)
            sheet.freeze_panes(1, 0)
    return path


def _write_cell(sheet: Any, row: int, col: int, value: object) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value))
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number)
    else:
        sheet.write_string(row, col, str(value))


def write_json(data: Any, path: Path) -> Path:
    """Indented, key order kept, NaN/∞ as null (JSON has neither), strings neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return path


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


def write_run_outputs(
    result: ScoreResult,
    lists: SiteLists,
    directory: Path,
    *,
    about: dict[str, Any] | None = None,
    xlsx: bool = False,
) -> list[Path]:
    """Everything one run hands over: results, DSP list files, summary and data quality.

    ``about`` (config, mapping, source file…) is added to ``summary.json``. The list files follow
    the analysis level: web-domain and app files, or supply-vendor files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    final = lists.sites[["list_action", "overridden", "override_reason"]]
    table = results_table(result, extra=final)
    written = [write_csv(table, directory / "scores.csv")]
    if xlsx:
        written.append(write_xlsx([("Scores", table)], directory / "scores.xlsx"))
    vendor_level = result.config.level is AnalysisLevel.SUPPLY_VENDOR
    written += lists.write(directory, level_vendor=vendor_level)
    summary = {
        **result.summary,
        "lists": {name: impact.to_json() for name, impact in lists.impact.items()},
        **(about or {}),
    }
    written.append(write_json(summary, directory / "summary.json"))
    written.append(write_json(result.quality.to_json(), directory / "data_quality.json"))
    return written
