"""``caliber``: the headless commands, over the same services as the window.

Every command prints a readable table or, with ``--json``, one JSON document on stdout. Expected
failures print one actionable sentence on stderr (JSON with ``--json``) and exit non-zero; bugs are
logged with their traceback in the data dir and reported in one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliber_desktop import (
    __version__,
    cli_ai,
    cli_auth,
    cli_outputs,
    cli_report,
    cli_score,
    console,
)
from caliber_desktop.config import Paths, default_paths, setup_logging
from caliber_desktop.errors import CaliberError, ValidationError
from caliber_desktop.models.enums import AnalysisLevel, CampaignStatus, Channel, Goal, Platform
from caliber_desktop.services.records import CampaignRecord, TemplateRecord, UploadRecord, jsonable

if TYPE_CHECKING:  # imported when a command needs them: `caliber score FILE` needs no database
    from caliber_desktop.services.workspace import Workspace

log = logging.getLogger(__name__)
EXIT_USAGE = 2
EXIT_BUG = 70


# ----------------------------------------------------------------------------- output


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def emit(self, data: Any, text: str) -> None:
        if self.as_json:  # UTF-8 bytes whatever the console's code page (caliber_desktop.console)
            console.write_utf8(json.dumps(jsonable(data), indent=2, ensure_ascii=False))
        else:
            print(text)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} B"
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


# ----------------------------------------------------------------------------- settings args


def _add_settings_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", choices=[p.value for p in Platform])
    parser.add_argument("--goal", choices=[g.value for g in Goal])
    parser.add_argument("--channel", choices=[c.value for c in Channel])
    parser.add_argument(
        "--ctr-sensitivity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the client judges the campaign on CTR (--no-ctr-sensitivity when not)",
    )
    parser.add_argument(
        "--level",
        dest="analysis_level",
        choices=[a.value for a in AnalysisLevel],
        help="score sites (domain) or supply vendors",
    )
    parser.add_argument(
        "--decision-confidence",
        type=float,
        metavar="P",
        help="how sure a site must be to go on a list: 0.5–0.99 or 50–99 (default: Settings)",
    )


def _settings_from(args: argparse.Namespace) -> dict[str, Any]:
    names = ("platform", "goal", "channel", "ctr_sensitivity", "analysis_level")
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


# ----------------------------------------------------------------------------- commands


def cmd_doctor(args: argparse.Namespace, paths: Paths, out: Output) -> int:
    from caliber_desktop.services import doctor

    report = doctor.run(paths, qt_probe=_qt_probe)
    lines = []
    for check in report.checks:
        lines.append(f"  {check.status.value.upper():<4}  {check.name:<15} {check.detail}")
        if check.hint and check.status is not doctor.Status.OK:
            lines.append(f"{'':24}→ {check.hint}")
    text = "\n".join(lines)
    versions = "\n".join(f"  {name:<20} {ver}" for name, ver in report.versions.items())
    verdict = "healthy" if report.healthy else "NOT healthy"
    out.emit(
        {"healthy": report.healthy, "checks": report.checks, "versions": report.versions},
        f"Caliber {__version__}: {verdict}\n\n{text}\n\nVersions:\n{versions}",
    )
    return 0 if report.healthy else 1


def cmd_clean(args: argparse.Namespace, paths: Paths, out: Output) -> int:
    """Remove old exports, orphaned upload blobs and stale temp files from the data dir."""
    from caliber_desktop.config import load_settings
    from caliber_desktop.models.store import Store
    from caliber_desktop.services import housekeeping

    settings = load_settings(paths.settings).housekeeping
    if args.days is not None:
        settings = settings.model_copy(update={"export_max_age_days": args.days})
    with Store.open(paths.database) as store:
        report = housekeeping.clean(paths, store, settings, dry_run=args.dry_run)
    rows = [
        (item.kind.value, _size(item.size_bytes), _when(item.modified), item.path)
        for item in report.removals
    ]
    text = report.summary()
    if rows:
        text = table(["kind", "size", "modified", "path"], rows) + "\n\n" + text
    if args.dry_run and rows:
        text += " Run without --dry-run to remove them."
    out.emit(
        {
            "dry_run": report.dry_run,
            "removed": report.removals,
            "counts": report.counts(),
            "bytes_freed": report.bytes_freed,
            "errors": report.errors,
        },
        text,
    )
    return 1 if report.errors else 0


def _qt_probe() -> str:
    """Ask a child process which Qt platform plugin starts (no display aborts a Qt process)."""
    if getattr(sys, "frozen", False):
        # The bundle's console GUI executable (the windowed one has no stdout on Windows).
        suffix = ".exe" if sys.platform == "win32" else ""
        debug = Path(sys.executable).with_name(f"caliber-desktop-debug{suffix}")
        command = [str(debug if debug.exists() else sys.executable), "--qt-probe"]
    else:
        command = [sys.executable, "-m", "caliber_desktop", "--qt-probe"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    name = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != 0 or not name:
        reason = (done.stderr.strip().splitlines() or ["Qt could not start"])[-1]
        raise RuntimeError(reason)
    forced = os.environ.get("QT_QPA_PLATFORM")
    return f"{name} (QT_QPA_PLATFORM={forced})" if forced else name


def _template_rows(items: Sequence[TemplateRecord]) -> str:
    rows = [
        (t.id, t.name, t.settings.label(), t.campaigns_using, _when(t.created_at)) for t in items
    ]
    return table(["id", "name", "settings", "campaigns", "created"], rows)


def cmd_templates(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    if args.action == "list":
        items = ws.templates.list()
        out.emit(items, _template_rows(items) if items else "No templates yet.")
    elif args.action == "create":
        record = ws.templates.create(
            args.name,
            _settings_from(args),
            description=args.description or "",
            decision_confidence=args.decision_confidence,
        )
        out.emit(record, f"Created template {record.id}: {record.name} ({record.settings.label()})")
    elif args.action == "delete":
        ws.templates.delete(args.id)
        out.emit({"deleted": args.id}, f"Deleted template {args.id}.")
    return 0


def _campaign_text(c: CampaignRecord, uploads: Sequence[UploadRecord]) -> str:
    progress = (
        f"{c.processed_records:,} / {c.total_records:,} rows"
        if c.total_records is not None and c.processed_records is not None
        else "—"
    )
    lines = [
        f"Campaign {c.id}: {c.name}",
        f"  status      {c.status.value}" + (f" — {c.error_message}" if c.error_message else ""),
        f"  settings    {c.settings.label()}",
        f"  template    {c.template_id if c.template_id is not None else '— (explicit settings)'}",
        f"  KPI pixel   {c.kpi_pixel or 'default'}",
        "  confidence  "
        + (
            f"{c.decision_confidence:.0%} to go on a list"
            if c.decision_confidence
            else "the Settings default"
        ),
        f"  progress    {progress}",
        f"  created     {_when(c.created_at)}",
    ]
    if c.completed_at:
        lines.append(f"  completed   {_when(c.completed_at)}")
    if c.description:
        lines.append(f"  description {c.description}")
    if uploads:
        lines.append("  files:")
        lines += [
            f"    [{u.id}] {u.original_name} — {u.detected_format.value}, {_size(u.size_bytes)}, "
            f"sha256 {u.sha256[:12]}…, {_when(u.uploaded_at)}"
            for u in uploads
        ]
    else:
        lines.append(f"  files       none (caliber import FILE --campaign {c.id})")
    return "\n".join(lines)


def cmd_campaigns(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    if args.action == "list":
        page = ws.campaigns.list(
            offset=args.offset, limit=args.limit, search=args.search, status=args.status
        )
        rows = [
            (c.id, c.name, c.status.value, c.settings.label(), c.upload_count, _when(c.created_at))
            for c in page.items
        ]
        if page.items:
            end = page.offset + len(page.items)
            text = table(["id", "name", "status", "settings", "files", "created"], rows)
            text += f"\n\n{page.offset + 1}–{end} of {page.total}"
            if page.has_more:
                text += f" (next page: --offset {end})"
        elif args.search or args.status or page.offset:
            text = "No campaigns match."
        else:
            text = "No campaigns yet. Create one with: caliber campaigns create NAME --template ID"
        out.emit(page, text)
    elif args.action == "create":
        record = ws.campaigns.create(
            args.name,
            template_id=args.template,
            settings=_settings_from(args),
            description=args.description or "",
            kpi_pixel=args.kpi_pixel,
            decision_confidence=args.decision_confidence,
        )
        out.emit(record, _campaign_text(record, []))
    elif args.action == "show":
        record = ws.campaigns.get(args.id)
        uploads = ws.uploads.list(record.id)
        out.emit({**record.as_json(), "uploads": uploads}, _campaign_text(record, uploads))
    elif args.action == "delete":
        ws.delete_campaign(args.id, force=args.force)
        out.emit({"deleted": args.id}, f"Deleted campaign {args.id}.")
    return 0


def cmd_import(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    record = ws.uploads.attach(args.campaign, Path(args.file))
    preview = ws.uploads.preview(record.id, args.preview) if args.preview else None
    if record.already_attached:
        verdict = "This exact file is already attached to the campaign; nothing new was stored."
    elif record.reused_blob:
        verdict = "Attached (the same bytes were already in the data dir; stored once)."
    else:
        verdict = "Attached."
    detail = record.detected_format.value.upper()
    if record.delimiter:
        shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[record.delimiter]
        detail += f", {record.encoding}, {shown}-separated"
    if record.sheet_name:
        detail += f", sheet {record.sheet_name!r}"
    text = (
        f"{verdict}\n  upload   {record.id}\n  file     {record.original_name} "
        f"({_size(record.size_bytes)})\n  format   {detail}\n  sha256   {record.sha256}"
    )
    if preview is not None and preview.rows:
        width = max(len(row) for row in preview.rows)
        rows = [row + [""] * (width - len(row)) for row in preview.rows]
        body = table([str(i + 1) for i in range(width)], rows)
        text += f"\n\nFirst {len(preview.rows)} rows as written:\n{body}"
    out.emit({"upload": record, "preview": preview}, text)
    return 0


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    # Accepted before and after the command: SUPPRESS keeps a command's parser from resetting a
    # value given before the command (``caliber --home X doctor`` used to ignore X).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON document"
    )
    common.add_argument(
        "--home",
        type=Path,
        default=argparse.SUPPRESS,
        help="data dir (default: $CALIBER_HOME or the platform's data dir)",
    )

    parser = argparse.ArgumentParser(
        prog="caliber",
        description="Caliber Desktop from the command line: scoring, campaigns, imports, sign-in, "
        "checks.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"caliber {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "doctor", parents=[common], help="check the installation, data dir, store and keyring"
    )
    clean = commands.add_parser(
        "clean",
        parents=[common],
        help="remove old exports, orphaned uploads and stale temp files from the data dir",
    )
    clean.add_argument("--dry-run", action="store_true", help="list what would go; remove nothing")
    clean.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="exports older than N days go (default: the housekeeping setting, 30)",
    )

    templates = commands.add_parser("templates", parents=[common], help="campaign templates")
    t_actions = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    t_actions.add_parser("list", parents=[common], help="list your templates")
    t_create = t_actions.add_parser("create", parents=[common], help="create a template")
    t_create.add_argument("name")
    _add_settings_args(t_create)
    t_create.add_argument("--description")
    t_delete = t_actions.add_parser("delete", parents=[common], help="delete an unused template")
    t_delete.add_argument("id", type=int)

    campaigns = commands.add_parser("campaigns", parents=[common], help="campaigns")
    c_actions = campaigns.add_subparsers(dest="action", required=True, metavar="ACTION")
    c_list = c_actions.add_parser("list", parents=[common], help="list your campaigns")
    c_list.add_argument("--search", help="text in the name or description")
    c_list.add_argument("--status", choices=[s.value for s in CampaignStatus])
    c_list.add_argument("--offset", type=int, default=0)
    c_list.add_argument("--limit", type=int, default=50)
    c_create = c_actions.add_parser(
        "create",
        parents=[common],
        help="create a campaign from a template or from all five settings",
    )
    c_create.add_argument("name")
    c_create.add_argument("--template", type=int, help="copy the settings of this template")
    _add_settings_args(c_create)
    c_create.add_argument("--kpi-pixel", help="conversion pixel that is the KPI (e.g. 01)")
    c_create.add_argument("--description")
    c_show = c_actions.add_parser("show", parents=[common], help="one campaign and its files")
    c_show.add_argument("id", type=int)
    c_delete = c_actions.add_parser("delete", parents=[common], help="delete a campaign")
    c_delete.add_argument("id", type=int)
    c_delete.add_argument("--force", action="store_true", help="also when it has scored results")

    imp = commands.add_parser(
        "import", parents=[common], help="attach a report file (CSV, TSV, XLSX, XLS) to a campaign"
    )
    imp.add_argument("file")
    imp.add_argument("--campaign", type=int, required=True)
    imp.add_argument(
        "--preview", type=int, default=5, metavar="N", help="show the first N rows (0: none)"
    )
    cli_score.add_parser(commands, common)
    cli_auth.add_parsers(commands, common)
    cli_ai.add_parsers(commands, common)
    cli_outputs.add_parsers(commands, common)
    cli_report.add_parsers(commands, common)
    return parser


WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", Output], int]
COMMANDS: dict[str, WorkspaceCommand] = {
    "templates": cmd_templates,
    "campaigns": cmd_campaigns,
    "import": cmd_import,
    **cli_ai.COMMANDS,
    **cli_outputs.COMMANDS,
    **cli_report.COMMANDS,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with ``--json`` and ``--home`` wherever they were given (or not)."""
    args = build_parser().parse_args(argv)
    # Not parser.set_defaults: it would write the default into the option shared with every
    # command's parser, which then resets a value given before the command.
    for name, default in (("json", False), ("home", None)):
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    # First: argparse's --help and usage errors print too. Pipes, consoles, PYTHONIOENCODING and
    # PYTHONUTF8 are handled as caliber_desktop.console's docstring says.
    console.make_streams_safe()
    try:
        return _run(argv)
    finally:
        console.note_lost_characters("caliber")


def _run(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    out = Output(args.json)
    paths = Paths(args.home.expanduser().resolve()) if args.home else default_paths()
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        setup_logging(paths)
    except OSError:
        pass  # doctor reports an unwritable data dir; the other commands fail on it clearly
    try:
        if args.command == "doctor":
            return cmd_doctor(args, paths, out)
        if args.command == "clean":
            if args.days is not None and args.days < 1:
                raise ValidationError("--days must be 1 or more.", field="days")
            return cmd_clean(args, paths, out)
        if args.command == "score":
            return cli_score.cmd_score(args, paths, out)
        if getattr(args, "preview", 0) and args.preview < 0:
            raise ValidationError("--preview must be 0 or more.", field="preview")
        from caliber_desktop.services.workspace import open_workspace

        with open_workspace(paths.root) as ws:
            if args.command in cli_auth.COMMANDS:
                return cli_auth.COMMANDS[args.command](args, ws, out)
            cli_auth.bind_signed_in(ws)  # every command runs as the signed-in user
            ws.runs.recover_interrupted()  # a crashed run must not lock its campaign forever
            return COMMANDS[args.command](args, ws, out)
    except CaliberError as exc:
        _report_error(exc, out, type(exc).__name__, getattr(exc, "field", None))
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error. Silence the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: log it whole, say one line
        log.exception("caliber %s failed", args.command)
        _report_error(
            CaliberError(f"Unexpected error: {exc}.", hint=f"Details are in {paths.log_file}."),
            out,
            "InternalError",
            None,
        )
        return EXIT_BUG


def _report_error(exc: CaliberError, out: Output, kind: str, field: str | None) -> None:
    if out.as_json:
        payload = {"error": {"type": kind, "message": str(exc), "field": field}}
        console.write_utf8(json.dumps(payload, ensure_ascii=False), sys.stderr)
    else:
        print(f"caliber: {exc}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
