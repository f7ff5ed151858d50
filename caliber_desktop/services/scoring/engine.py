"""One call from a report file to scored sites: read → preprocess → score.

The CLI, the store integration and (later) the GUI's worker all score through
:func:`score_file`, so they can never disagree about a file. Platform and channel may be left to
detection, but only when it is confident; otherwise the analyst is asked to say which.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.scoring.aggregate import SiteAccumulator
from caliber_desktop.services.scoring.heap import trim_heap
from caliber_desktop.services.scoring.model import (
    ColumnMapping,
    Detection,
    Normalization,
    ScoreResult,
    ScoringConfig,
    SiteTable,
    counted,
)
from caliber_desktop.services.scoring.preprocess import require_id_column
from caliber_desktop.services.scoring.read import ReadAgain, ReportStream, RowBatch, open_report

E = TypeVar("E", Platform, Channel)
#: Share of the progress bar each stage takes (reading dominates on big files).
_STAGES = (("read", 0, 60), ("preprocess", 60, 65), ("score", 65, 100))


@dataclass(frozen=True)
class ScoreRequest:
    """What the analyst asked for; ``None`` platform/channel means "use the detected one"."""

    goal: Goal
    platform: Platform | None = None
    channel: Channel | None = None
    ctr_sensitivity: bool = False
    level: AnalysisLevel = AnalysisLevel.DOMAIN
    min_impressions: int = 250
    allow_percentile: float = 75.0
    block_percentile: float = 25.0
    normalization: Normalization = "percentile"
    custom_weights: Mapping[str, float] | None = None
    decision_confidence: float = 0.90
    kpi_pixels: tuple[str, ...] | None = None
    default_kpi_pixel: str = "01"
    mapping_override: Mapping[str, str] | None = None


@dataclass
class ScoredReport:
    """The scores and how the file was understood (stored with the run as its snapshots)."""

    result: ScoreResult
    mapping: ColumnMapping
    detection: Detection
    source: dict[str, Any] = field(default_factory=dict)

    def mapping_snapshot(self) -> dict[str, Any]:
        detection = self.detection
        return {
            **self.mapping.to_json(),
            "detection": {
                "platform": detection.platform.value if detection.platform else None,
                "platform_confidence": detection.platform_confidence,
                "channel": detection.channel.value if detection.channel else None,
                "channel_confidence": detection.channel_confidence,
                "reasons": list(detection.reasons),
            },
            "source": dict(self.source),
        }


def _stage(progress: ProgressCallback, name: str) -> ProgressCallback:
    """A callback that maps a stage's own done/total onto its slice of 0–100."""
    _, low, high = next(stage for stage in _STAGES if stage[0] == name)

    def report(done: int, total: int, message: str) -> None:
        fraction = done / total if total > 0 else 0.0
        progress(low + round((high - low) * min(max(fraction, 0.0), 1.0)), 100, message)

    return report


def resolve_config(request: ScoreRequest, detection: Detection, source: str) -> ScoringConfig:
    """The full config: explicit settings win; detection fills the gaps only when confident."""
    platform = request.platform or _detected(
        detection.platform,
        detection.platform_confidence,
        f"{source}: cannot tell which DSP exported this report",
        "platform",
        "Say which with --platform trade_desk or --platform pulsepoint.",
    )
    channel = request.channel or _detected(
        detection.channel,
        detection.channel_confidence,
        f"{source}: cannot tell the channel from the columns",
        "channel",
        "Say which with --channel display, video, ctv or audio.",
    )
    return ScoringConfig(
        platform=platform,
        channel=channel,
        goal=request.goal,
        ctr_sensitivity=request.ctr_sensitivity,
        level=request.level,
        min_impressions=request.min_impressions,
        allow_percentile=request.allow_percentile,
        block_percentile=request.block_percentile,
        normalization=request.normalization,
        custom_weights=request.custom_weights,
        decision_confidence=request.decision_confidence,
    )


def _detected(value: E | None, confidence: float, problem: str, name: str, hint: str) -> E:
    """The detected ``value`` when detection is sure enough; otherwise ask for it by name."""
    if value is None or confidence < Detection.CONFIDENT:
        guess = "no guess" if value is None else f"best guess {value.value}, {confidence:.0%} sure"
        raise ValidationError(f"{problem} ({guess}).", field=name, hint=hint)
    return value


def sum_sites(
    report: ReportStream,
    level: AnalysisLevel,
    channel: Channel | None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    on_batch: Callable[[RowBatch], None] | None = None,
) -> SiteTable:
    """Stage 1 while reading: each batch of rows is summed per site and let go.

    ``on_batch`` sees every batch first (the import preview keeps the first rows).

    Reads again from the start, rather than guess, when a later batch shows the file must be
    read whole (:class:`ReadAgain`) or that an id summed as a web domain is an app (its app
    name only appears further down): the second pass knows those ids from their first row.
    """
    cancel = cancel or CancelToken()
    lean_arrow_pool()
    require_id_column(report.columns, level, report.source)
    reading = _stage(progress, "read")
    whole, known_apps = False, frozenset[str]()
    while True:
        sums = SiteAccumulator.for_report(
            level,
            source=report.source,
            mapping=report.mapping,
            channel=channel,
            known_apps=known_apps,
        )
        try:
            for batch in report.batches(whole=whole):
                cancel.raise_if_cancelled()
                if on_batch is not None:
                    on_batch(batch)
                sums.add_skipped(batch.empty_rows, batch.empty_examples, batch.header_rows)
                sums.add(batch.frame, batch.unreadable)
                share = f" ({batch.done:.0%} of the file)" if batch.done < 1 else ""
                reading(round(batch.done * 1000), 1000, f"Read {sums.rows_read:,} rows{share}")
        except ReadAgain:
            whole = True
            reading(0, 1, "Reading the report again, whole")
            continue
        if sums.late_apps and not known_apps:
            known_apps = frozenset(sums.late_apps)
            reading(0, 1, "Reading again: ids further down turned out to be apps")
            continue
        cancel.raise_if_cancelled()
        return sums.finish(_stage(progress, "preprocess"))


def release_memory() -> None:
    """Hand memory freed by reading back to the OS before scoring begins.

    Arrow keeps its freed buffers in its own pool and glibc keeps freed heap, so without this
    the scoring stage's peak sits on top of what reading once held (measured at 1M rows: 450 MB
    held after reading, 180 MB once released; the peak of the run falls by about a quarter).

    Cycles are collected only on the main thread (the command line, the scoring child): in the
    window a worker scores small reports in-process, and a collection there destroys Qt objects
    off the GUI thread, which deadlocked the window (``ui/shared/collector.py``).
    """
    if threading.current_thread() is threading.main_thread():
        gc.collect()
    pa.default_memory_pool().release_unused()
    trim_heap()


def lean_arrow_pool() -> None:
    """Have Arrow hand freed memory back to the OS at once, where its build allows.

    pyarrow's default pool (mimalloc) keeps what a streamed read frees for reuse, so a 1M-row
    read held ~250 MB of parsed blocks long after each was summed. On Linux the wheels also carry
    jemalloc, which can purge freed pages immediately: the read's peak fell by ~100 MB at the
    same speed (bench/bench_score.py). Elsewhere (Windows wheels lack jemalloc; on macOS Arrow
    chose mimalloc for good reasons) and when ``ARROW_DEFAULT_MEMORY_POOL`` names a pool, nothing
    changes.
    """
    global _POOL_SET
    if _POOL_SET or not sys.platform.startswith("linux"):
        return
    _POOL_SET = True
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowException):  # a build without jemalloc
        return


_POOL_SET = False


def score_file(
    path: Path,
    request: ScoreRequest,
    *,
    display_name: str | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> ScoredReport:
    """Read, preprocess and score ``path``; raises a typed error naming the file on bad input."""
    cancel = cancel or CancelToken()
    _stage(progress, "read")(0, 1, "Reading the report")
    kpi: Sequence[str] | None = request.kpi_pixels
    report = open_report(
        path,
        display_name=display_name,
        platform=request.platform,
        mapping_override=request.mapping_override,
        kpi_pixels=kpi,
        default_kpi_pixel=request.default_kpi_pixel,
    )
    cancel.raise_if_cancelled()
    config = resolve_config(request, report.detection, report.source)
    table = sum_sites(report, config.level, config.channel, progress=progress, cancel=cancel)
    release_memory()
    known = {(issue.code, issue.message) for issue in table.quality.issues}
    table.quality.issues[:0] = [i for i in report.issues if (i.code, i.message) not in known]
    source = {
        "file": report.source,
        "format": report.format.value,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "sheet": report.sheet_name,
        "header_row": report.header_row,
    }
    mapping, detection = report.mapping, report.detection
    del report  # its header sample and reader (~6 MB at 1M rows): not needed to score
    cancel.raise_if_cancelled()
    from caliber_desktop.services.scoring.pipeline import score_sites  # after reading (pandas)

    result = score_sites(table, config, progress=_stage(progress, "score"), cancel=cancel)
    del table
    release_memory()  # scoring's working arrays, before the caller writes or stores the result
    progress(100, 100, f"Scored {counted(len(result.sites), config.level)}")
    return ScoredReport(result=result, mapping=mapping, detection=detection, source=source)
