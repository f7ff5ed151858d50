"""The parts an export is made of, as frames (CSV/XLSX) and documents (JSON).

:mod:`caliber_desktop.services.exports.outputs` documents the shapes and does the writing; this
module only decides what each part contains, so the three formats always carry the same facts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from caliber_desktop.models import labels
from caliber_desktop.services.ai.records import list_insights
from caliber_desktop.services.exports.run_data import (
    LIST_COLUMNS,
    LIST_NAMES,
    OutputSources,
    RunData,
    export_header,
    flat_frame,
    flatten,
)
from caliber_desktop.services.exports.run_outputs import results_table
from caliber_desktop.services.exports.sheets import write_csv
from caliber_desktop.services.records import jsonable
from caliber_desktop.services.runs.facts import list_cell, run_counts
from caliber_desktop.services.scoring.lists import list_file_names

Tick = Callable[[int], None]
OVERRIDE_COLUMNS = ("site_id", "action", "reason", "in_run")
INSIGHT_COLUMNS = (
    "id",
    "run_id",
    "insight_type",
    "title",
    "subject",
    "model",
    "is_offline",
    "created_at",
    "content",
)
RUN_COLUMNS = (
    "id",
    "current",
    "status",
    "started_at",
    "finished_at",
    "campaign_score",
    "site_count",
    "rows_read",
    "rows_dropped",
    "profile",
)


# ----------------------------------------------------------------------------- parts


def results_frame(data: RunData) -> pd.DataFrame:
    final = data.lists.sites[["list_action", "overridden", "override_reason"]]
    return results_table(data.result, extra=final)


def list_frame(data: RunData, name: str) -> pd.DataFrame:
    members = data.lists.sites[data.lists.sites["list_action"] == name]
    frame = members.rename_axis("site_id").reset_index()
    return frame[list(LIST_COLUMNS)].reset_index(drop=True)


def impact_frame(data: RunData) -> pd.DataFrame:
    rows = []
    for name in LIST_NAMES:
        impact = data.lists.impact[name]  # type: ignore[index]
        row: dict[str, Any] = {"list": name, "sites": impact.sites}
        row.update({f"share_{c}": v for c, v in impact.shares.items()})
        row["warning"] = impact.warning or ""
        rows.append(row)
    return pd.DataFrame(rows)


def summary_document(data: RunData) -> dict[str, Any]:
    """Campaign facts, the run, the campaign score, recommendation counts, weights and impact."""
    campaign, run, summary = data.campaign, data.run, data.run.summary
    counts = run_counts(data.lists.sites, rows_read=run.rows_read)
    return {
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "description": campaign.description,
            "settings": campaign.settings.label(),
            "kpi_pixel": campaign.kpi_pixel,
        },
        "run": {
            "id": run.id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "profile": run.config.get("profile"),
            "sites": counts.sites,
            "rows_read": run.rows_read,
            "rows_dropped": run.rows_dropped,
            "source": run.data_quality.get("source"),
        },
        "campaign_score": run.campaign_score,
        "recommendations": dict(counts.recommendations),  # as every other surface counts
        "weights": dict(summary.get("weights", {})),
        "dropped_metrics": dict(summary.get("dropped_metrics", {})),
        "thresholds": summary.get("thresholds", {}),
        "lists": {name: data.lists.impact[name].to_json() for name in LIST_NAMES},  # type: ignore[index]
        "pinned_sites": counts.pinned,  # pins on this run's sites (a pin may outlive its site)
    }


def settings_document(data: RunData) -> dict[str, Any]:
    campaign = data.campaign
    return {
        "campaign": {
            **campaign.settings.as_dict(),
            "name": campaign.name,
            "kpi_pixel": campaign.kpi_pixel,
            "template_id": campaign.template_id,
            "custom_weights": campaign.custom_weights,
        },
        "scoring": dict(data.run.config),
    }


def overrides_frame(data: RunData) -> pd.DataFrame:
    rows = [
        (site, o.action, o.reason, site in data.result.sites.index)
        for site, o in sorted(data.overrides.items())
    ]
    return pd.DataFrame(rows, columns=list(OVERRIDE_COLUMNS)).astype({"in_run": bool})


def insights_frame(src: OutputSources, data: RunData) -> pd.DataFrame:
    rows = [
        (i.id, i.run_id, i.insight_type, i.title, i.subject, i.model, i.is_offline,
         i.created_at.isoformat(), i.content)
        for i in list_insights(src.store, src.user, data.campaign.id)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(INSIGHT_COLUMNS)).astype(object)


def runs_frame(src: OutputSources, data: RunData) -> pd.DataFrame:
    rows = [
        (r.id, r.id == data.campaign.current_run_id, r.status.value, _iso(r.started_at),
         _iso(r.finished_at), r.campaign_score, r.site_count, r.rows_read, r.rows_dropped,
         r.config.get("profile"))
        for r in src.runs.runs(data.campaign.id)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS)).astype(object)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# ----------------------------------------------------------------------------- per format


def table(src: OutputSources, data: RunData, what: str) -> pd.DataFrame:
    """The single table of a one-file CSV (results or summary)."""
    if what == "results":
        return results_frame(data)
    return flat_frame(flatten(summary_document(data)))


def campaign_tables(src: OutputSources, data: RunData) -> list[tuple[str, pd.DataFrame]]:
    """Every part of the full campaign export, as (name, table)."""
    return [
        ("summary", flat_frame(flatten(summary_document(data)))),
        ("settings", flat_frame(flatten(settings_document(data)))),
        ("column_mapping", flat_frame(flatten(data.run.column_mapping, "column_mapping"))),
        ("data_quality", flat_frame(flatten(data.run.data_quality, "data_quality"))),
        ("results", results_frame(data)),
        ("overrides", overrides_frame(data)),
        ("insights", insights_frame(src, data)),
        ("runs", runs_frame(src, data)),
    ]


SHEET_TITLES = {
    "summary": "Summary",
    "settings": "Settings",
    "column_mapping": "Column mapping",
    "data_quality": "Data quality",
    "results": "Results",
    "overrides": "Overrides",
    "insights": "Insights",
    "runs": "Runs",
}


def column_guide(*frames: pd.DataFrame) -> pd.DataFrame:
    """The workbook's "Columns" sheet: each data column's header as the app words it.

    The data sheets keep the stable machine names (the CSV and JSON exports have the same shape,
    and scripts read them); this sheet tells a person what each one is, from the one labels table.
    """
    seen: dict[str, None] = {}
    for frame in frames:
        seen.update(dict.fromkeys(map(str, frame.columns)))
    return pd.DataFrame(
        {
            "column": list(seen),
            "label": [labels.column(name) for name in seen],
            "meaning": [labels.column_meaning(name) for name in seen],
        }
    )


def sheets(src: OutputSources, data: RunData, what: str) -> list[tuple[str, pd.DataFrame]]:
    if what == "results":
        results = results_frame(data)
        return [("Results", results), ("Columns", column_guide(results))]
    if what == "summary":
        return [("Summary", table(src, data, what))]
    if what == "lists":
        # "Allow", "Block", "Neither": the third holds every site on neither list, not the
        # monitor recommendation's count (the Lists dock's tabs say the same)
        out = [(list_cell(name), list_frame(data, name)) for name in LIST_NAMES]
        return [*out, ("Impact", impact_frame(data)), ("Columns", column_guide(out[0][1]))]
    tables = campaign_tables(src, data)
    guide = column_guide(*(frame for name, frame in tables if name == "results"))
    return [*((SHEET_TITLES[name], frame) for name, frame in tables), ("Columns", guide)]


def document(src: OutputSources, data: RunData, what: str) -> dict[str, Any]:
    head = {"export": export_header(data, what, "json")}
    if what == "summary":
        return {**head, **summary_document(data)}
    summary = summary_document(data)
    base = {**head, "campaign": summary["campaign"], "run": summary["run"]}
    if what == "results":
        return {**base, "results": results_frame(data)}
    if what == "lists":
        return {
            **base,
            "impact": summary["lists"],
            "lists": {name: _records(list_frame(data, name)) for name in LIST_NAMES},
        }
    return {
        **head,
        "summary": summary,
        "settings": settings_document(data),
        "column_mapping": data.run.column_mapping,
        "data_quality": data.run.data_quality,
        "overrides": _records(overrides_frame(data)),
        "insights": [
            {**i.as_json(), "title": i.title}
            for i in list_insights(src.store, src.user, data.campaign.id)
        ],
        "runs": _records(runs_frame(src, data)),
        "results": results_frame(data),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [jsonable(row) for row in frame.astype(object).to_dict(orient="records")]


# ----------------------------------------------------------------------------- folders


def write_lists_folder(data: RunData, folder: Path, tick: Tick) -> None:
    """allow/block/monitor.csv (every column), impact.csv, and the DSP-ready list files."""
    for name in LIST_NAMES:
        write_csv(list_frame(data, name), folder / f"{name}.csv")
    write_csv(impact_frame(data), folder / "impact.csv")
    vendor = data.result.config.level.value == "supply_vendor"
    data.lists.write(folder, level_vendor=vendor)
    tick(len(data.result.sites))


def folder_names(data: RunData, what: str) -> list[str]:
    """The files a folder export writes, known before writing them (to check for locks first)."""
    if what == "lists":
        vendor = data.result.config.level.value == "supply_vendor"
        return [f"{n}.csv" for n in (*LIST_NAMES, "impact")] + list_file_names(level_vendor=vendor)
    return [f"{name}.csv" for name in SHEET_TITLES]


def write_campaign_folder(src: OutputSources, data: RunData, folder: Path, tick: Tick) -> None:
    for name, frame in campaign_tables(src, data):
        write_csv(frame, folder / f"{name}.csv")
        tick(len(frame) if name == "results" else 0)
    tick(len(data.result.sites))
