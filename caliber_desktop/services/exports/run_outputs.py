"""Results and summaries written for people and spreadsheets: CSV, XLSX and JSON.

Site names come from third parties. A spreadsheet treats a cell starting with ``= + - @`` (or a
tab or carriage return, which some parsers strip first) as a formula, so a site called
``=HYPERLINK("http://evil","click")`` would run in the analyst's Excel. Every text cell of every
export goes through :func:`neutralise`, which prefixes such a value with an apostrophe — the OWASP
recommendation, and what Excel itself shows for a literal. Numbers are written as numbers.
The writers and that rule live in :mod:`caliber_desktop.services.exports.sheets` (one implementation
for ``caliber score``, the window's export and ``caliber export``); this module decides what a run's
hand-over contains.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.exports.file_swap import RETRY, Staging, check_targets
from caliber_desktop.services.exports.output_names import run_output_names
from caliber_desktop.services.exports.sheets import (
    CHUNK,
    FORMULA_PREFIXES,
    json_safe,
    neutralise,
    write_csv,
    write_xlsx,
)
from caliber_desktop.services.scoring.explain import decision_reasons
from caliber_desktop.services.scoring.lists import SiteLists, list_file_names
from caliber_desktop.services.scoring.model import ScoreResult

__all__ = [
    "FORMULA_PREFIXES",
    "json_safe",
    "neutralise",
    "results_table",
    "run_output_names",
    "write_csv",
    "write_json",
    "write_list_files",
    "write_run_outputs",
    "write_xlsx",
]

#: Identity and volume columns first, then each metric raw and shrunk, then the verdict.
LEAD_COLUMNS = ("site_id", "kind", "display_name", "impressions", "spend", "clicks", "conversions")
TAIL_COLUMNS = (
    "score",
    "score_lo",
    "score_hi",
    "percentile",
    "quality_status",
    "p_block",
    "p_allow",
    "recommendation",
    "decision_reason",
    "confidence",
    "flags",
    "top_drivers",
)


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
    reasons = decision_reasons(result)  # words for the stored rule, made for the export
    for column in TAIL_COLUMNS:  # a run stored before certainty has no interval: blank
        out[column] = reasons if column == "decision_reason" else sites.get(column, np.nan)
    # most sites have no flag: "" without a join for them
    out["flags"] = [";".join(map(str, f)) if len(f) else "" for f in sites["flags"].tolist()]
    for column in out.select_dtypes("float").columns:  # one at a time: no copy of them all
        out[column] = out[column].round(6)  # summing cents leaves 6.800000000000001
    _text_columns(out)
    if extra is not None:  # as a left join, without copying the whole table again
        for column in extra.columns:
            out[column] = extra[column].reindex(out.index)
    return out.reset_index(drop=True)


def _text_columns(out: pd.DataFrame) -> None:
    """``object`` columns that hold only text (names, sentences) become string columns.

    The writers neutralise and convert a string column in one vectorised step, but an
    ``object`` column one Python call per cell, twice (≈ 1 s of writing ``scores.csv`` for
    100k sites). The cells are the same strings, so every file is the same bytes.

    Converted :data:`CHUNK` rows at a time: Arrow's builder for a whole column of sentences
    (~20 MB of text at 100k sites) grows by doubling, which briefly held 1.5× more.
    """
    for column in out.columns:
        values = out[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
            parts = [values.iloc[i : i + CHUNK].astype("str") for i in range(0, len(values), CHUNK)]
            out[column] = pd.concat(parts) if len(parts) > 1 else values.astype("str")


def write_json(data: Any, path: Path) -> Path:
    """Indented, key order kept, NaN/∞ as null (JSON has neither), strings neutralised.

    ``newline="\\n"``: the same bytes on every OS (text mode would write CRLF on Windows), as
    ``sheets.write_json_document`` and the CSV/TXT lists do.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
        newline="\n",
    )
    return path


def write_run_outputs(
    result: ScoreResult,
    lists: SiteLists,
    directory: Path,
    *,
    about: dict[str, Any] | None = None,
    xlsx: bool = False,
    retry: str = RETRY,
) -> list[Path]:
    """Everything one run hands over: results, DSP list files, summary and data quality.

    ``about`` (config, mapping, source file…) is added to ``summary.json``. The list files follow
    the analysis level: web-domain and app files, or supply-vendor files. All of them replace
    the previous ones together or not at all (a file open in Excel is named; ``retry`` ends
    that message).
    """
    vendor_level = result.config.level is AnalysisLevel.SUPPLY_VENDOR

    def write(folder: Path) -> list[Path]:
        final = lists.sites[["list_action", "overridden", "override_reason"]]
        table = results_table(result, extra=final)
        written = [write_csv(table, folder / "scores.csv")]
        if xlsx:
            written.append(write_xlsx([("Scores", table)], folder / "scores.xlsx"))
        written += lists.write(folder, level_vendor=vendor_level)
        summary = {
            **result.summary,
            "lists": {name: impact.to_json() for name, impact in lists.impact.items()},
            **(about or {}),
        }
        written.append(write_json(summary, folder / "summary.json"))
        written.append(write_json(result.quality.to_json(), folder / "data_quality.json"))
        return written

    names = run_output_names(level_vendor=vendor_level, xlsx=xlsx)
    return _swap_into(directory, names, write, retry)


def write_list_files(
    lists: SiteLists, directory: Path, *, level_vendor: bool, retry: str = RETRY
) -> list[Path]:
    """Only the DSP-ready list files, all together or not at all (``caliber score --campaign``)."""
    names = list_file_names(level_vendor=level_vendor)
    return _swap_into(
        directory, names, lambda folder: lists.write(folder, level_vendor=level_vendor), retry
    )


def _swap_into(
    directory: Path, names: list[str], write: Callable[[Path], list[Path]], retry: str
) -> list[Path]:
    """Check ``names`` can be replaced, write them into a staging folder, swap them in."""
    check_targets(directory, names, retry=retry)
    with Staging(directory, retry=retry) as staging:
        written = write(staging.folder())
        staging.commit_folder()
    return [directory / path.name for path in written]
