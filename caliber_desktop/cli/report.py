"""``caliber report``: the PDF report of a campaign's run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caliber_desktop.cli.output import Output
    from caliber_desktop.services.workspace import Workspace

WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", "Output"], int]


def cmd_report(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.cli.output import cancel_on_interrupt, progress_printer
    from caliber_desktop.services.report import write_report

    with cancel_on_interrupt() as token:
        info = write_report(
            ws,
            args.campaign,
            Path(args.out),
            run_id=args.run,
            progress=progress_printer(args.json),
            cancel=token,
        )
    if not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    note = (
        " (per-site tables truncated; the results export has every site)" if info.truncated else ""
    )
    out.emit(
        info.as_json(),
        f"Wrote {info.path}: {info.pages} pages, {info.sites_listed:,} sites named{note}.",
    )
    return 0


#: Commands (report) run against the store as the signed-in user.
COMMANDS: dict[str, WorkspaceCommand] = {"report": cmd_report}


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the sub-commands of this module on ``caliber``'s parser."""
    report = commands.add_parser(
        "report",
        parents=[common],
        help="write the PDF report of a campaign's run",
        description=(
            "Write the client-ready PDF report of a scored campaign: summary, charts, top and "
            "bottom sites, lists and their impact, AI insights, methodology and data quality."
        ),
    )
    report.add_argument("--campaign", type=int, required=True, metavar="ID")
    report.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    report.add_argument(
        "--run", type=int, metavar="RUN_ID", help="report on this run (default: the current one)"
    )
