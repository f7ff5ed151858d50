"""Exports of a campaign's run: results, lists, summary or the whole campaign, as CSV/XLSX/JSON.

Shapes (``what`` × ``fmt``):

============  ===========================  ========================  ===========================
what          csv                          xlsx                      json
============  ===========================  ========================  ===========================
results       one file, one row per site   sheet "Results"           {export, campaign, run,
              (``results_table`` columns                             results: [row objects]}
              + list_action, overridden,
              override_reason)
lists         a folder (or ``.zip``):      sheets Allow, Block,      {export, campaign, run,
              allow.csv, block.csv,        Monitor, Impact           impact, lists: {allow: [...],
              monitor.csv, impact.csv +                              block: [...], monitor: [...]}}
              the DSP-ready files
summary       one file: section,name,value sheet "Summary" (same)    the nested summary document
campaign      a folder (or ``.zip``): one  one sheet per part        one document with every part
              CSV per part
============  ===========================  ========================  ===========================

The campaign parts are: summary, settings, column_mapping, data_quality, results, overrides
(every pinned site, also ones the run does not have), insights, runs. A ``lists`` row marks a
pinned site with ``overridden`` true and its ``override_reason``.

Formula injection: every text cell of CSV and XLSX goes through
:func:`~caliber_desktop.services.scoring.exports.neutralise`. JSON carries the **same neutralised
text** — one rule for every format, so a site reads identically in all three, and JSON that is
later flattened into a spreadsheet (Power Query, converters) is safe too. The raw value is the
text with the one leading apostrophe removed when a formula character follows it.

Writes are all-or-nothing (:class:`~caliber_desktop.services.file_swap.Staging`): a failure or
cancel leaves ``out_path`` as it was, every previous file of a folder export included, and a file
open in Excel is named ("Close allow.csv in Excel … and export again.") before anything changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from caliber_desktop import __version__
from caliber_desktop.errors import NotFoundError, ValidationError
from caliber_desktop.models.enums import RunStatus
from caliber_desktop.models.store import Store
from caliber_desktop.services.file_swap import Staging, check_targets
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.records import CampaignRecord, UserRef, jsonable
from caliber_desktop.services.run_records import RunRecord
from caliber_desktop.services.sheets import write_csv, write_json_document, write_xlsx

if TYPE_CHECKING:
    from caliber_desktop.services.campaigns import CampaignService
    from caliber_desktop.services.runs import RunService
    from caliber_desktop.services.scoring.lists import SiteLists
    from caliber_desktop.services.scoring.model import ScoreResult

WHATS = ("results", "lists", "summary", "campaign")
FORMATS = ("csv", "xlsx", "json")
#: Exports that are several files: a folder, or a ``.zip`` when ``out_path`` ends so.
FOLDER_EXPORTS = {("lists", "csv"), ("campaign", "csv")}
LIST_NAMES = ("allow", "block", "monitor")
LIST_COLUMNS = (
    "site_id",
    "display_name",
    "kind",
    "list_action",
    "overridden",
    "override_reason",
    "recommendation",
    "score",
    "score_lo",
    "score_hi",
    "p_block",
    "p_allow",
    "impressions",
    "spend",
    "clicks",
    "conversions",
)


class OutputSources(Protocol):
    """What an export reads: the store as one user, through the campaign and run services."""

    store: Store
    user: UserRef
    campaigns: CampaignService
    runs: RunService


@dataclass(frozen=True)
class ExportInfo:
    """What was written: the path the analyst chose (file, folder or zip) and every file."""

    campaign_id: int
    run_id: int
    what: str
    fmt: str
    path: Path
    files: tuple[Path, ...]
    rows: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


@dataclass
class RunData:
    """One completed run with everything an export may show, read once."""

    campaign: CampaignRecord
    run: RunRecord
    result: ScoreResult
    lists: SiteLists
    overrides: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- checks


def check_choice(what: str, fmt: str) -> tuple[str, str]:
    what_ = str(what).strip().lower()
    fmt_ = str(fmt).strip().lower().lstrip(".")
    if what_ not in WHATS:
        raise ValidationError(
            f"Export what must be one of {', '.join(WHATS)} (got {what!r}).", field="what"
        )
    if fmt_ not in FORMATS:
        raise ValidationError(
            f"Export format must be one of {', '.join(FORMATS)} (got {fmt!r}).", field="format"
        )
    return what_, fmt_


def completed_run(src: OutputSources, campaign_id: int, run_id: int | None) -> RunRecord:
    """``run_id`` of this campaign (default: its current run), completed; else a clear error."""
    if run_id is None:
        current = src.runs.current_run(campaign_id)
        if current is None:
            raise ValidationError(
                "This campaign has no completed run to export.",
                field="run",
                hint="Score it first.",
            )
        return current
    record = src.runs.run(run_id)
    if record.campaign_id != campaign_id:
        raise NotFoundError("Run", run_id)
    if record.status is not RunStatus.COMPLETED:
        raise ValidationError(f"Run {run_id} did not complete.", field="run")
    return record


def default_name(campaign_id: int, run_id: int, what: str, fmt: str) -> str:
    stem = f"caliber_campaign{campaign_id}_run{run_id}_{what}"
    return stem if (what, fmt) in FOLDER_EXPORTS else f"{stem}.{fmt}"


def read_run(src: OutputSources, campaign_id: int, run_id: int | None) -> RunData:
    from caliber_desktop.services.scoring.lists import build_lists

    campaign = src.campaigns.get(campaign_id)
    record = completed_run(src, campaign_id, run_id)
    result = src.runs.load_result(record.id)
    overrides = src.runs.overrides(campaign_id)
    lists = build_lists(result.sites, overrides, warning_share=result.config.impact_warning_share)
    return RunData(campaign, record, result, lists, dict(overrides))


# ----------------------------------------------------------------------------- export


def export(
    src: OutputSources,
    campaign_id: int,
    what: str,
    fmt: str,
    out_path: Path | str,
    *,
    run_id: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ExportInfo:
    """Write ``what`` of the campaign's run (default: current) as ``fmt`` to ``out_path``.

    ``out_path`` an existing folder: the export gets a default name inside it.
    """
    started = time.perf_counter()
    what, fmt = check_choice(what, fmt)
    report = progress or no_progress
    token = cancel or CancelToken()
    report(0, 0, "Reading the run")
    data = read_run(src, campaign_id, run_id)
    token.raise_if_cancelled()
    target = Path(out_path).expanduser()
    if target.is_dir() and (what, fmt) not in FOLDER_EXPORTS:
        target = target / default_name(campaign_id, data.run.id, what, fmt)
    total = max(1, len(data.result.sites)) * (2 if what == "campaign" else 1)
    done = [0]

    def tick(rows: int) -> None:
        done[0] += rows
        token.raise_if_cancelled()
        report(min(done[0], total), total, f"Writing {fmt.upper()}")

    from caliber_desktop.services import output_parts as parts

    folder_export = (what, fmt) in FOLDER_EXPORTS
    if folder_export and target.suffix.lower() != ".zip":
        check_targets(target, parts.folder_names(data, what))  # before the slow part
    else:
        check_targets(target.parent, [target.name])
    with Staging(target) as staging:
        if folder_export:
            folder = staging.folder()
            if what == "lists":
                parts.write_lists_folder(data, folder, tick)
            else:
                parts.write_campaign_folder(src, data, folder, tick)
            token.raise_if_cancelled()
            if target.suffix.lower() == ".zip":
                files: tuple[Path, ...] = (staging.commit_zip(),)
            else:
                files = tuple(staging.commit_folder())
        else:
            staged = staging.file()
            if fmt == "csv":
                write_csv(parts.table(src, data, what), staged)
                tick(len(data.result.sites))
            elif fmt == "xlsx":
                write_xlsx(parts.sheets(src, data, what), staged, tick=tick)
            else:
                write_json_document(parts.document(src, data, what), staged, tick=tick)
            token.raise_if_cancelled()
            files = (staging.commit_file(),)
    report(total, total, "Exported")
    return ExportInfo(
        campaign_id=campaign_id,
        run_id=data.run.id,
        what=what,
        fmt=fmt,
        path=target,
        files=files,
        rows=len(data.result.sites),
        seconds=time.perf_counter() - started,
    )


def export_header(data: RunData, what: str, fmt: str) -> dict[str, Any]:
    return {
        "what": what,
        "format": fmt,
        "app": f"Caliber Desktop {__version__}",
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "campaign_id": data.campaign.id,
        "run_id": data.run.id,
    }


def flatten(
    data: Mapping[str, Any], section: str = "", out: list[tuple[str, str, Any]] | None = None
) -> list[tuple[str, str, Any]]:
    """Nested JSON as ``(section, name, value)`` rows: the top key is the section, deeper keys
    join with dots, lists of plain values become one "a; b" value, lists of objects get indices."""
    rows = [] if out is None else out
    for key, value in data.items():
        sec = section or str(key)
        name = str(key) if section else ""
        _flatten_value(sec, name, value, rows)
    return rows


def _flatten_value(section: str, name: str, value: Any, rows: list[tuple[str, str, Any]]) -> None:
    if isinstance(value, Mapping):
        if not value:
            rows.append((section, name, None))
        for key, item in value.items():
            _flatten_value(section, f"{name}.{key}" if name else str(key), item, rows)
    elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
        for index, item in enumerate(value):
            _flatten_value(section, f"{name}.{index}" if name else str(index), item, rows)
    else:
        rows.append((section, name, jsonable(value)))


def flat_frame(rows: Iterable[tuple[str, str, Any]]) -> pd.DataFrame:
    items = list(rows)
    return pd.DataFrame(
        {
            "section": pd.Series([r[0] for r in items], dtype="str"),
            "name": pd.Series([r[1] for r in items], dtype="str"),
            "value": pd.Series([r[2] for r in items], dtype=object),
        }
    )
