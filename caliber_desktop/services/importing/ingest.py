"""Look at a report before scoring it: the mapping, the detection, a preview and the losses.

The import dialog shows the analyst what the engine *will* do with a file — which header feeds
each canonical column, which rows preprocessing will drop and why — so a wrong guess is corrected
before it reaches the scores (``docs/inputs.md``: never fuzzy-match silently). The inspection
therefore runs the engine's own reader and preprocess stage, with the same platform the scoring
run will use, rather than a look-alike that could disagree with it.

Corrections are remembered per platform in the typed settings; only those whose header exists
in the next file are applied, so a remembered mapping can never make a file unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from caliber_desktop.config import Settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, Channel, FileFormat, Platform
from caliber_desktop.services.scoring.detect import detect
from caliber_desktop.services.scoring.engine import sum_sites
from caliber_desktop.services.scoring.headers import CANONICAL, map_headers
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    ColumnMapping,
    DataQuality,
    Detection,
    RawReport,
)
from caliber_desktop.services.scoring.read import ReadAgain, ReportStream, RowBatch, open_report

#: The canonical fields whose source matters for scoring, in the order the dialog lists them:
#: the ids (and the app-name clue), the counts, then the rates a file may give instead of a
#: count (used only where the count is missing, but shown so no used column is hidden).
SCORING_FIELDS: tuple[str, ...] = (
    "site",
    "app_name",
    "supply_vendor",
    *(c for c in COUNT_COLUMNS if c not in ("q25", "q50", "q75")),  # quartiles: not scored
    *RATE_COLUMNS,
)
#: Label of the preview column that holds the row number in the file.
ROW_COLUMN = "row"


@dataclass(frozen=True)
class Inspection:
    """What the import dialog shows for one file; plain data, safe to hand across threads."""

    source: str
    #: The platform the mapping was made for (the campaign's, as scoring will use it).
    platform: Platform
    #: The mapping the scoring run would use, corrections included.
    mapping: ColumnMapping
    #: The mapping the reader chose on its own (same platform and KPI pixels, no corrections):
    #: what a correction is measured against.
    detected_mapping: ColumnMapping
    #: Platform and channel as the headers alone suggest them (never forced by the campaign),
    #: so a disagreement with the campaign's settings can be shown.
    detection: Detection
    #: Every non-blank header of the file, in file order.
    headers: list[str]
    quality: DataQuality
    sites: int
    #: Column names of :attr:`preview`: ``"row"`` then the canonical columns read.
    preview_columns: list[str]
    #: The first rows, formatted for display ("" for missing).
    preview: list[list[str]]
    format: FileFormat
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int
    #: The corrections this inspection applied (canonical → header).
    mapping_override: dict[str, str] = field(default_factory=dict)
    #: Why the file cannot be scored with this mapping (e.g. no site column), or None. The
    #: analyst can usually fix it in the mapping, so it is reported, not raised.
    problem: str | None = None

    @property
    def conversion_pixels(self) -> dict[str, str]:
        """Every conversion pixel the file offers (pixel → header), before any correction."""
        return dict(self.detected_mapping.conversion_pixels)


def inspect_report(
    path: Path,
    *,
    display_name: str | None = None,
    platform: Platform | None = None,
    level: AnalysisLevel = AnalysisLevel.DOMAIN,
    channel: Channel | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
    preview_rows: int = 20,
) -> Inspection:
    """Read and preprocess ``path`` as scoring would; raise only what no mapping can fix.

    A file that cannot be read (not a report, no header) and a correction naming a header the
    file lacks raise :class:`~caliber_desktop.errors.CaliberError`; a preprocess refusal (no
    site column at this level) becomes :attr:`Inspection.problem`.
    """
    override = dict(mapping_override or {})
    report = open_report(
        path,
        display_name=display_name,
        platform=platform,
        mapping_override=override or None,
        kpi_pixels=kpi_pixels,
        default_kpi_pixel=default_kpi_pixel,
    )
    headers = _headers(report)
    chosen = platform or report.detection.platform or Platform.TRADE_DESK
    detected = map_headers(
        headers,
        source=report.source,
        platform=chosen,
        channel=report.detection.channel,
        kpi_pixels=kpi_pixels,
        default_kpi_pixel=default_kpi_pixel,
    ).mapping
    problem: str | None = None
    first: list[pd.DataFrame] = []

    def keep_preview(batch: RowBatch) -> None:
        if not first:
            first.append(batch.frame.head(max(preview_rows, 0)).copy())

    try:  # the rows are summed as scoring sums them, a batch at a time: a big file fits
        table = sum_sites(report, level, channel, on_batch=keep_preview)
        quality, sites = table.quality, table.quality.sites
    except ValidationError as exc:
        problem = str(exc)
        quality, sites = DataQuality(source=report.source, rows_read=_rows(report, keep_preview)), 0
    known = {(issue.code, issue.message) for issue in quality.issues}
    quality.issues[:0] = [i for i in report.issues if (i.code, i.message) not in known]
    columns, rows = _preview(first[0] if first else pd.DataFrame(), preview_rows)
    return Inspection(
        source=report.source,
        platform=chosen,
        mapping=report.mapping,
        detected_mapping=detected,
        detection=report.detection if platform is None else detect(headers),
        headers=headers,
        quality=quality,
        sites=sites,
        preview_columns=columns,
        preview=rows,
        format=report.format,
        encoding=report.encoding,
        delimiter=report.delimiter,
        sheet=report.sheet_name,
        header_row=report.header_row,
        mapping_override=override,
        problem=problem,
    )


def inspect_with_memory(
    path: Path,
    *,
    remembered: Mapping[str, Mapping[str, str]],
    display_name: str | None = None,
    platform: Platform | None = None,
    level: AnalysisLevel = AnalysisLevel.DOMAIN,
    channel: Channel | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
    preview_rows: int = 20,
) -> Inspection:
    """Inspect ``path`` with the corrections remembered for its platform applied.

    Which corrections apply depends on the file's headers, known only after a first read; the
    file is read a second time only when some remembered correction applies.
    """

    def run(override: Mapping[str, str] | None) -> Inspection:
        return inspect_report(
            path,
            display_name=display_name,
            platform=platform,
            level=level,
            channel=channel,
            mapping_override=override,
            kpi_pixels=kpi_pixels,
            default_kpi_pixel=default_kpi_pixel,
            preview_rows=preview_rows,
        )

    first = run(None)
    found = applicable_corrections(remembered, first.platform, first.headers)
    override = corrections(first.detected_mapping, found)
    # A remembered correction whose column this file uses for another field would map one
    # column twice: this file's own reading wins, and the correction waits for another file.
    taken = {h: c for c, h in first.detected_mapping.columns.items()}
    override = {c: h for c, h in override.items() if taken.get(h, c) == c or taken[h] in override}
    return run(override) if override else first


# ----------------------------------------------------------------------------- corrections


def corrections(detected: ColumnMapping, chosen: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``chosen`` (canonical → header) that differ from what the reader chose."""
    return {c: h for c, h in chosen.items() if h and detected.columns.get(c) != h}


def applicable_corrections(
    remembered: Mapping[str, Mapping[str, str]], platform: Platform, headers: Sequence[str]
) -> dict[str, str]:
    """The corrections remembered for ``platform`` whose header this file has."""
    present = set(headers)
    saved = remembered.get(platform.value, {})
    return {c: h for c, h in saved.items() if c in CANONICAL and h in present}


def remember_mapping(
    settings: Settings, platform: Platform, chosen: Mapping[str, str], headers: Sequence[str]
) -> None:
    """Store ``chosen`` (the corrections for a file with ``headers``) for ``platform``.

    Corrections for headers this file does not have are kept: they were made for another
    template of the same platform's export. One whose header is here but which is no longer
    chosen is forgotten — the analyst took it back. Assigns a new dict so the settings model
    validates it.
    """
    present = set(headers)
    kept = {
        c: h
        for c, h in settings.mappings.get(platform.value, {}).items()
        if h not in present and c not in chosen
    }
    merged = {**kept, **{c: h for c, h in chosen.items() if h}}
    mappings = {k: dict(v) for k, v in settings.mappings.items() if k != platform.value}
    if merged:
        mappings[platform.value] = merged
    settings.mappings = mappings


# ----------------------------------------------------------------------------- helpers


def _rows(report: ReportStream, see: Callable[[RowBatch], None]) -> int:
    """The data rows of a file that cannot be scored as mapped (each batch seen by ``see``)."""

    def count(whole: bool) -> int:
        read = 0
        for batch in report.batches(whole=whole):
            see(batch)
            read += len(batch.frame) + batch.empty_rows + len(batch.header_rows)
        return read

    try:
        return count(False)
    except ReadAgain:
        return count(True)


def _headers(report: RawReport | ReportStream) -> list[str]:
    """The file's headers in order; without the reader's list, the mapped ones then the rest."""
    if report.headers:
        return [h for h in report.headers if h and h.strip()]
    mapping = report.mapping
    seen: dict[str, None] = {}
    for header in (
        *mapping.columns.values(),
        *mapping.conversion_pixels.values(),
        *(h for alt in mapping.alternatives.values() for h in alt),
        *mapping.unmapped,
    ):
        seen.setdefault(header, None)
    return list(seen)


def _preview(frame: pd.DataFrame, rows: int) -> tuple[list[str], list[list[str]]]:
    frame = frame.head(max(rows, 0))
    names = [c for c in frame.columns if c != "_row"]
    columns = [ROW_COLUMN, *names]
    out: list[list[str]] = []
    row_numbers = frame["_row"].tolist() if "_row" in frame.columns else range(len(frame))
    values = {name: frame[name].tolist() for name in names}
    for i, number in enumerate(row_numbers):
        out.append([str(number), *(_cell(values[name][i]) for name in names)])
    return columns, out


def _cell(value: object) -> str:
    """A value as the preview shows it: missing is blank (never 0), whole numbers without .0."""
    if value is None or (isinstance(value, float | pd.Timestamp) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)
