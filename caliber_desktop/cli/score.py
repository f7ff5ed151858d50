"""``caliber score``: score a report file into a folder, or a campaign into the store.

Headless and offline. ``caliber score FILE --goal … --out DIR`` never touches the store: it is the
batch tool (and the benchmark). ``caliber score --campaign ID`` scores the campaign's latest report
into a new run, exactly as the window does. Ctrl+C cancels at the next safe point and leaves the
campaign as it was.

Files in ``--out`` replace the previous ones all together or not at all, and a file open in Excel
is named. That is checked *before* scoring, so a locked file costs no run. With ``--campaign`` the
run is saved first and the list files written after: a database commit and a file swap cannot be
one transaction, and list files on disk for a run the store does not have would be the worse
half. If a file gets locked in between (opened while scoring), the command fails with exit code 2
and says the run is saved and which ``caliber export`` writes its files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliber_desktop.cli.output import cancel_on_interrupt, progress_printer
from caliber_desktop.config import Paths, ScoringSettings, load_settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.progress import ProgressCallback, one_shot
from caliber_desktop.services.scoring.vocabulary import counted

if TYPE_CHECKING:  # the engine (pandas, Arrow) loads when a score command runs, not for --help
    from caliber_desktop.services.runs.records import RunRecord
    from caliber_desktop.services.scoring.engine import ScoredReport
    from caliber_desktop.services.scoring.lists import ListName, SiteLists

#: How a "close the file" message ends when scoring a file.
RETRY = "run `caliber score` again"


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    score = commands.add_parser(
        "score",
        parents=[common],
        help="score a report file into a folder, or a campaign into the store",
        description=(
            "Score every site of a report. With FILE and --out, write scores.csv, the DSP list "
            "files, summary.json and data_quality.json to DIR. With --campaign, score the "
            "campaign's latest report into the store."
        ),
    )
    score.add_argument("file", nargs="?", help="the report (CSV, TSV, XLSX, XLS)")
    score.add_argument("--campaign", type=int, help="score this campaign's report into the store")
    score.add_argument("--platform", choices=[p.value for p in Platform], help="default: detected")
    score.add_argument("--goal", choices=[g.value for g in Goal])
    score.add_argument("--channel", choices=[c.value for c in Channel], help="default: detected")
    score.add_argument(
        "--ctr-sensitivity", action="store_true", help="the client judges the campaign on CTR"
    )
    score.add_argument(
        "--level", choices=[a.value for a in AnalysisLevel], default=AnalysisLevel.DOMAIN.value
    )
    score.add_argument("--min-impressions", type=int, metavar="N")
    score.add_argument(
        "--decision-confidence",
        type=float,
        metavar="P",
        help="how sure a site must be to go on a list: 0.5–0.99 or 50–99 (default: Settings, 0.90)",
    )
    score.add_argument("--kpi-pixel", action="append", metavar="NN", help="repeat for several")
    score.add_argument("--mapping", type=Path, metavar="FILE.json", help="canonical → header")
    score.add_argument("--out", type=Path, metavar="DIR", help="folder for the output files")
    score.add_argument("--xlsx", action="store_true", help="also write scores.xlsx")


def _mapping(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(
            f"Cannot read the mapping file {path} ({exc.strerror or exc}).", field="mapping"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The mapping file {path} is not valid JSON (line {exc.lineno}: {exc.msg}).",
            field="mapping",
            hint='It should look like {"site": "Site", "spend": "Advertiser Cost (USD)"}.',
        ) from None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ValidationError(
            f"The mapping file {path} must be one JSON object of canonical name → header.",
            field="mapping",
            hint='For example {"site": "Site", "spend": "Advertiser Cost (USD)"}.',
        )
    return {str(k): str(v) for k, v in raw.items()}


def _progress(args: argparse.Namespace) -> ProgressCallback:
    """Progress on stderr; in a ``caliber`` process of its own, tuned for one job."""
    printer = progress_printer(args.json)
    return one_shot(printer) if args.one_shot else printer


def cmd_score(args: argparse.Namespace, paths: Paths, out: Any) -> int:
    # what reading needs, and no more: scoring, the lists and the writers (pandas among them)
    # load once the report's first rows are read
    from caliber_desktop.services.exports.file_swap import check_targets
    from caliber_desktop.services.exports.output_names import run_output_names
    from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
    from caliber_desktop.services.scoring.sniff import require_file

    if (args.file is None) == (args.campaign is None):
        raise ValidationError(
            "Give either a report FILE (with --out DIR) or --campaign ID.", field="file"
        )
    settings = load_settings(paths.settings).scoring if paths.settings.exists() else None
    settings = settings or ScoringSettings()
    if args.min_impressions is not None and args.min_impressions < 0:
        raise ValidationError("--min-impressions must be 0 or more.", field="min_impressions")
    from caliber_desktop.services.campaigns.confidence import clean_confidence  # no store

    confidence = clean_confidence(args.decision_confidence)
    if args.campaign is not None:
        return _score_campaign(args, paths, out, settings, confidence)
    if args.out is None:
        raise ValidationError("Say where to write the results with --out DIR.", field="out")
    if args.goal is None:
        raise ValidationError(
            "Say what the campaign is for with --goal awareness or --goal action.", field="goal"
        )
    request = ScoreRequest(
        goal=Goal(args.goal),
        platform=Platform(args.platform) if args.platform else None,
        channel=Channel(args.channel) if args.channel else None,
        ctr_sensitivity=args.ctr_sensitivity,
        level=AnalysisLevel(args.level),
        min_impressions=(
            args.min_impressions if args.min_impressions is not None else settings.min_impressions
        ),
        allow_percentile=settings.allow_percentile,
        block_percentile=settings.block_percentile,
        normalization=settings.normalization,
        decision_confidence=(
            confidence if confidence is not None else settings.decision_confidence
        ),
        kpi_pixels=tuple(args.kpi_pixel) if args.kpi_pixel else None,
        default_kpi_pixel=settings.default_kpi_pixel,
        mapping_override=_mapping(args.mapping),
    )
    source = Path(args.file)
    require_file(source)
    vendor_level = request.level is AnalysisLevel.SUPPLY_VENDOR
    names = run_output_names(level_vendor=vendor_level, xlsx=args.xlsx)
    check_targets(args.out, names, retry=RETRY)  # a file open in Excel, before minutes of scoring
    with cancel_on_interrupt() as token:
        scored = score_file(source, request, progress=_progress(args), cancel=token)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    from caliber_desktop.services.exports.run_outputs import write_run_outputs
    from caliber_desktop.services.scoring.lists import build_lists

    lists = build_lists(
        scored.result.sites, warning_share=scored.result.config.impact_warning_share
    )
    about = {
        "config": {**scored.result.config.to_json(), "profile": scored.result.profile},
        "mapping": scored.mapping_snapshot(),
    }
    written = write_run_outputs(
        scored.result, lists, args.out, about=about, xlsx=args.xlsx, retry=RETRY
    )
    quality = scored.result.quality
    out.emit(
        {**_summary_json(scored, lists), "files": [str(p) for p in written]},
        _summary_text(scored, lists)
        + "\n\nWrote:\n"
        + "\n".join(f"  {p}" for p in written)
        + _issue_lines(quality.to_json()),
    )
    return 0


def _score_campaign(
    args: argparse.Namespace,
    paths: Paths,
    out: Any,
    settings: ScoringSettings,
    confidence: float | None,
) -> int:
    from caliber_desktop.services.exports.file_swap import check_targets
    from caliber_desktop.services.runs.facts import run_counts
    from caliber_desktop.services.runs.service import RunService
    from caliber_desktop.services.scoring.list_names import list_file_names
    from caliber_desktop.services.workspace import open_workspace

    if args.min_impressions is not None:
        settings = settings.model_copy(update={"min_impressions": args.min_impressions})
    with open_workspace(paths.root) as ws, cancel_on_interrupt() as token:
        if args.out is not None:  # before the run is saved: a locked file costs no run
            level = ws.campaigns.get(args.campaign).settings.analysis_level
            names = list_file_names(level_vendor=level is AnalysisLevel.SUPPLY_VENDOR)
            check_targets(args.out, names, retry=RETRY)
        runs = RunService(ws.store, ws.user, ws.paths.root, settings)
        record = runs.score_campaign(
            args.campaign,
            mapping_override=_mapping(args.mapping),
            kpi_pixels=tuple(args.kpi_pixel) if args.kpi_pixel else None,
            progress=_progress(args),
            cancel=token,
            decision_confidence=confidence,  # for this run only, over the campaign's own
        )
        lists = runs.lists(args.campaign, record.id)
        if args.out is not None:
            _write_lists(args, record, lists)
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    out.emit(
        {
            "run": record,
            "counts": run_counts(lists.sites, rows_read=record.rows_read).to_json(),
            "lists": {k: v.to_json() for k, v in lists.impact.items()},
        },
        _run_text(record, lists) + _issue_lines(record.data_quality),
    )
    return 0


def _write_lists(args: argparse.Namespace, record: RunRecord, lists: SiteLists) -> None:
    """The saved run's list files into ``--out``; if that fails, say the run is saved."""
    from caliber_desktop.errors import CaliberError
    from caliber_desktop.services.exports.run_outputs import write_list_files

    out = f'"{args.out}"' if " " in str(args.out) else str(args.out)
    export = (
        f"run `caliber export --campaign {record.campaign_id} --run {record.id} --what lists "
        f"--out {out}`"
    )
    vendor_level = record.config.get("level") == AnalysisLevel.SUPPLY_VENDOR.value
    try:
        write_list_files(lists, args.out, level_vendor=vendor_level, retry=export)
    except CaliberError as exc:
        raise ValidationError(
            f"Run {record.id} is saved; the list files were not written. {exc.message}",
            field="out",
            hint=exc.hint,
        ) from None


def _counts(lists: SiteLists) -> str:
    """The recommendation counts, as the window, compare, the PDF and the insight count them."""
    from caliber_desktop.services.runs.facts import run_counts

    return run_counts(lists.sites).recommendations_text()


def _impact_lines(lists: SiteLists, level: str | None) -> list[str]:
    lines = []
    shown: tuple[tuple[ListName, str], ...] = (("block", "removes"), ("allow", "keeps"))
    for name, verb in shown:
        impact = lists.impact[name]
        lines.append(f"  {name} list      {counted(impact.sites, level)}; {impact.describe(verb)}")
        if impact.warning:
            lines.append(f"  warning         {impact.warning}")
    return lines


def _rows_line(quality: dict[str, Any], read: int, dropped: int) -> str:
    accounting = quality.get("accounting") or f"{read:,} read, {dropped:,} not scored"
    return f"  rows            {accounting}"


def _issue_lines(quality: dict[str, Any]) -> str:
    """Every warning, then every note, one line each, after the summary: never only in a file."""
    issues = quality.get("issues", [])
    warnings = [i for i in issues if i.get("severity") == "warning"]
    notes = [i for i in issues if i.get("severity") != "warning"]
    text = ""
    for title, found, mark in (("Warnings", warnings, "!"), ("Notes", notes, "-")):
        if found:
            text += f"\n\n{title} ({len(found)}):\n" + "\n".join(
                f"  {mark} {i['message']}" for i in found
            )
    return text


def _summary_text(scored: ScoredReport, lists: SiteLists) -> str:
    result = scored.result
    quality = result.quality
    level = result.config.level
    score = result.summary.get("campaign_score")
    lines = [
        f"Scored {counted(len(result.sites), level)} of {quality.source} with the scoring "
        f"profile {labels.profile(result.profile)}",
        f"  campaign score  {score:.1f} (impression-weighted)"
        if isinstance(score, int | float)
        else "  campaign score  —",
        f"  recommendations {_counts(lists)}",
        _rows_line(quality.to_json(), quality.rows_read, quality.rows_dropped),
        *_impact_lines(lists, level),
    ]
    if result.dropped_metrics:
        dropped = "; ".join(f"{labels.metric(k)}: {v}" for k, v in result.dropped_metrics.items())
        lines.append(f"  metrics dropped {dropped}")
    warnings = len(quality.warnings)
    if warnings:
        lines.append(f"  warnings        {warnings} (listed below; also in data_quality.json)")
    return "\n".join(lines)


def _summary_json(scored: ScoredReport, lists: SiteLists) -> dict[str, Any]:
    from caliber_desktop.services.runs.facts import run_counts

    result = scored.result
    quality = result.quality.to_json()
    issues = quality["issues"]
    counts = run_counts(lists.sites, rows_read=result.quality.rows_read)
    return {
        "sites": len(result.sites),
        "level": result.config.level.value,
        "profile": result.profile,
        "campaign_score": result.summary.get("campaign_score"),
        "recommendations": counts.recommendations,
        "counts": counts.to_json(),
        "rows_read": result.quality.rows_read,
        "rows_scored": result.quality.rows_scored,
        "rows_dropped": result.quality.rows_dropped,
        "accounting": quality["accounting"],
        "dropped": quality["dropped"],
        "warnings": [i for i in issues if i["severity"] == "warning"],
        "notes": [i for i in issues if i["severity"] != "warning"],
        "ids": quality["ids"],
        "mapping": {
            "columns": dict(scored.mapping.columns),
            "origins": dict(scored.mapping.origins),
        },
        "lists": {name: impact.to_json() for name, impact in lists.impact.items()},
    }


def _run_text(record: RunRecord, lists: SiteLists) -> str:
    score = record.campaign_score
    level = record.config.get("level")
    return "\n".join(
        [
            f"Run {record.id} of campaign {record.campaign_id}: "
            f"{counted(record.site_count, level)} scored",
            f"  campaign score  {score:.1f}" if score is not None else "  campaign score  —",
            f"  recommendations {_counts(lists)}",
            _rows_line(record.data_quality, record.rows_read, record.rows_dropped),
            *_impact_lines(lists, level),
        ]
    )
