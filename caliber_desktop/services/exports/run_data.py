"""A completed run as an export sees it, and the facts every export format shares.

The shapes, names and flattening rules live here, below both the writer
(:mod:`caliber_desktop.services.exports.outputs`) and the part builder
(:mod:`caliber_desktop.services.exports.parts`), so neither imports the other's caller.
"""

from __future__ import annotations

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
from caliber_desktop.services.records import CampaignRecord, UserRef, jsonable
from caliber_desktop.services.runs.records import RunRecord

if TYPE_CHECKING:
    from caliber_desktop.services.campaigns.service import CampaignService
    from caliber_desktop.services.runs.service import RunService
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
