"""``caliber templates``, ``campaigns`` and ``import``: what is scored, and with which settings."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop.cli.options import add_settings_args, settings_from
from caliber_desktop.cli.output import Output, size, table, when
from caliber_desktop.models import labels
from caliber_desktop.models.enums import CampaignStatus
from caliber_desktop.services.records import CampaignRecord, TemplateRecord, UploadRecord

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    templates = commands.add_parser("templates", parents=[common], help="campaign templates")
    t_actions = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    t_actions.add_parser("list", parents=[common], help="list your templates")
    t_create = t_actions.add_parser("create", parents=[common], help="create a template")
    t_create.add_argument("name")
    add_settings_args(t_create)
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
    add_settings_args(c_create)
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


def _template_rows(items: Sequence[TemplateRecord]) -> str:
    rows = [
        (t.id, t.name, t.settings.label(), t.campaigns_using, when(t.created_at)) for t in items
    ]
    return table(["id", "name", "settings", "campaigns", "created"], rows)


def cmd_templates(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    if args.action == "list":
        items = ws.templates.list()
        out.emit(items, _template_rows(items) if items else "No templates yet.")
    elif args.action == "create":
        record = ws.templates.create(
            args.name,
            settings_from(args),
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
        f"  status      {labels.label('status', c.status)}"
        + (f" — {c.error_message}" if c.error_message else ""),
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
        f"  created     {when(c.created_at)}",
    ]
    if c.completed_at:
        lines.append(f"  completed   {when(c.completed_at)}")
    if c.description:
        lines.append(f"  description {c.description}")
    if uploads:
        lines.append("  files:")
        lines += [
            f"    [{u.id}] {u.original_name} — {u.detected_format.value}, {size(u.size_bytes)}, "
            f"sha256 {u.sha256[:12]}…, {when(u.uploaded_at)}"
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
            (
                c.id,
                c.name,
                labels.label("status", c.status),
                c.settings.label(),
                c.upload_count,
                when(c.created_at),
            )
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
            settings=settings_from(args),
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
        f"({size(record.size_bytes)})\n  format   {detail}\n  sha256   {record.sha256}"
    )
    if preview is not None and preview.rows:
        width = max(len(row) for row in preview.rows)
        rows = [row + [""] * (width - len(row)) for row in preview.rows]
        body = table([str(i + 1) for i in range(width)], rows)
        text += f"\n\nFirst {len(preview.rows)} rows as written:\n{body}"
    out.emit({"upload": record, "preview": preview}, text)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Workspace, Output], int]] = {
    "templates": cmd_templates,
    "campaigns": cmd_campaigns,
    "import": cmd_import,
}
