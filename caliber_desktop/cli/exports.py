"""``caliber export``, ``caliber compare`` and ``caliber runs``: a run's data out, two runs side by
side, and the runs a campaign has (the ids the other two take)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliber_desktop.models import labels

if TYPE_CHECKING:
    from caliber_desktop.cli.output import Output
    from caliber_desktop.services.workspace import Workspace

WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", "Output"], int]

WHATS = ("results", "lists", "summary", "campaign")
FORMATS = ("csv", "xlsx", "json")


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the sub-commands of this module on ``caliber``'s parser."""
    export = commands.add_parser(
        "export",
        parents=[common],
        help="export a run's results, lists, summary or the whole campaign",
        description=(
            "Write a campaign's run (default: the current one) as CSV, XLSX or JSON. "
            "lists and campaign as CSV are several files: a folder, or a .zip when PATH ends "
            "in .zip. PATH may be an existing folder; the file then gets a default name."
        ),
    )
    export.add_argument("--campaign", type=int, required=True)
    export.add_argument("--what", choices=WHATS, default="results")
    export.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
    export.add_argument("--out", type=Path, required=True, metavar="PATH")
    export.add_argument("--run", type=int, help="a run id (caliber runs --campaign ID)")

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="compare two runs of a campaign: changed settings and weights, score changes per "
        "metric, new sites, list moves",
    )
    compare.add_argument("--campaign", type=int, required=True)
    compare.add_argument(
        "--old", type=int, metavar="RUN", help="default: the older of the two latest"
    )
    compare.add_argument("--new", type=int, metavar="RUN", help="default: the latest run")
    compare.add_argument("--limit", type=int, default=15, metavar="N", help="biggest movers shown")

    runs = commands.add_parser("runs", parents=[common], help="the scored runs of a campaign")
    runs.add_argument("--campaign", type=int, required=True)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


def _score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "—"


def cmd_export(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.cli.output import cancel_on_interrupt, progress_printer
    from caliber_desktop.services.exports.outputs import export

    with cancel_on_interrupt() as token:
        info = export(
            ws,
            args.campaign,
            args.what,
            args.fmt,
            args.out,
            run_id=args.run,
            progress=progress_printer(args.json),
            cancel=token,
        )
    files = "\n".join(f"  {p}" for p in info.files)
    out.emit(
        info.as_json(),
        f"Exported the {info.what} of run {info.run_id} ({info.rows:,} sites) as "
        f"{info.fmt.upper()} in {info.seconds:.1f} s:\n{files}",
    )
    return 0


def cmd_runs(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.cli.output import table

    campaign = ws.campaigns.get(args.campaign)
    runs = ws.runs.runs(args.campaign)
    rows = [
        (
            r.id,
            "*" if r.id == campaign.current_run_id else "",
            labels.label("status", r.status),
            _when(r.started_at),
            f"{r.site_count:,}",
            f"{r.rows_read:,}",
            _score(r.campaign_score),
            labels.profile(str(r.config.get("profile", ""))) if r.config.get("profile") else "",
        )
        for r in runs
    ]
    text = (
        table(["run", "current", "status", "started", "sites", "rows", "score", "profile"], rows)
        if rows
        else f"Campaign {campaign.id} has no runs yet (caliber score --campaign {campaign.id})."
    )
    data = [
        {
            "id": r.id,
            "current": r.id == campaign.current_run_id,
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "campaign_score": r.campaign_score,
            "site_count": r.site_count,
            "rows_read": r.rows_read,
            "profile": r.config.get("profile"),
        }
        for r in runs
    ]
    out.emit(data, text)
    return 0


def cmd_compare(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.cli.output import table
    from caliber_desktop.errors import ValidationError
    from caliber_desktop.services.exports.compare import compare, latest_two

    if args.limit < 0:
        raise ValidationError("--limit must be 0 or more.", field="limit")
    old, new = args.old, args.new
    if old is None and new is None:
        old, new = latest_two(ws, args.campaign)
    elif new is None or old is None:
        done = [r.id for r in ws.runs.runs(args.campaign) if r.status.value == "completed"]
        if new is None:
            new = done[0] if done else old
        else:  # the completed run before --new
            earlier = [r for r in done if r < new]
            old = earlier[0] if earlier else new
    result = compare(ws, args.campaign, old, new)
    out.emit(result.as_json(limit=args.limit), _compare_text(result, args.limit, table))
    return 0


def _compare_text(result: Any, limit: int, table: Any) -> str:
    from caliber_desktop.models import labels

    lines = [result.summary, ""]
    changes = result.change_lines()
    if changes:
        lines += ["Changed between the runs:", *(f"  {line}" for line in changes), ""]
    else:
        lines += ["Both runs were scored with the same settings and weights.", ""]
    # A change below what a printed score shows (0.05) is not a move for a reader.
    moving = result.sites[result.sites["score_delta"].abs() >= 0.05]
    top = moving.head(limit)
    if len(result.sites) and not len(top):
        lines += ["No site's score changed.", ""]
    if len(top):
        metrics = list(result.metrics)
        headers = ["site", "old", "new", "Δ", "list", *[f"Δ {labels.metric(m)}" for m in metrics]]
        rows = []
        for site, row in top.iterrows():
            moved = (
                row["list_new"]
                if row["list_old"] == row["list_new"]
                else f"{row['list_old']}→{row['list_new']}"
            )
            rows.append(
                [
                    str(site)[:40],
                    f"{row['score_old']:.1f}",
                    f"{row['score_new']:.1f}",
                    f"{row['score_delta']:+.1f}",
                    moved,
                    *[f"{row[f'{m}_delta']:+.1f}" for m in metrics],
                ]
            )
        lines += [f"Biggest movers (top {len(top)} by |Δ score|):", table(headers, rows), ""]
    lines.append(f"Recommendations: {result.recommendation_line()}")
    lines.append(f"Lists: {result.list_line()}")
    moves = result.list_changes.head(limit)
    if len(moves):
        lines.append(f"List moves (first {len(moves)} of {len(result.list_changes):,}):")
        lines += [f"  {str(site)[:40]}: {row['move']}" for site, row in moves.iterrows()]
    lines.append(
        f"New sites: {len(result.new_sites):,}; removed sites: {len(result.removed_sites):,}"
    )
    return "\n".join(lines)


#: Commands (export, compare, runs) run against the store as the signed-in user.
COMMANDS: dict[str, WorkspaceCommand] = {
    "export": cmd_export,
    "compare": cmd_compare,
    "runs": cmd_runs,
}
