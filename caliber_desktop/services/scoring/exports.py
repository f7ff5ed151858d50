"""Results and summaries written for people and spreadsheets: CSV, XLSX and JSON.

Site names come from third parties. A spreadsheet treats a cell starting with ``= + - @`` (or a
tab or carriage return, which some parsers strip first) as a formula, so a site called
``=HYPERLINK("http://evil","click")`` would run in the analyst's Excel. Every text cell of every
export goes through :func:`neutralise`, which prefixes such a value with an apostrophe — the OWASP
recommendation, and what Excel itself shows for a literal. Numbers are written as numbers.
The writers and that rule live in :mod:`caliber_desktop.services.sheets` (one implementation for
``caliber score``, the window's export and ``caliber export``); this module decides what a run's
hand-over contains.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from caliber_desktop.models.enums import AnalysisLevel
from caliber_desktop.services.scoring.explain import decision_reasons
from caliber_desktop.services.scoring.lists import SiteLists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.services.sheets import (
    FORMULA_PREFIXES,
    json_safe,
    neutralise,
    write_csv,
    write_xlsx,
)

__all__ = [
    "FORMULA_PREFIXES",
    "json_safe",
    "neutralise",
    "results_table",
    "write_csv",
    "write_json",
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
    out["flags"] = [";".join(map(str, flags)) for flags in sites["flags"]]
    floats = out.select_dtypes("float").columns
    out[floats] = out[floats].round(6)  # summing cents leaves 6.800000000000001
    if extra is not None:
        out = out.join(extra, how="left")
    return out.reset_index(drop=True)


def write_json(data: Any, path: Path) -> Path:
    """Indented, key order kept, NaN/∞ as null (JSON has neither), strings neutralised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    return path


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
