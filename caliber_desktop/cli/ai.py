"""``caliber insight`` and ``caliber chat``: the AI assistant from the command line.

The key comes from the OS keyring (Settings › OpenAI API key) or ``OPENAI_API_KEY``; the endpoint
from ``ai.base_url`` in settings.json or ``CALIBER_OPENAI_BASE_URL``. Without a key (or network)
``insight`` prints an offline insight built from the run's statistics. ``chat`` streams the reply
to stdout as it arrives; Ctrl+C stops it and keeps what arrived.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from caliber_desktop.errors import ValidationError
from caliber_desktop.services.ai.kinds import INSIGHT_TYPES

if TYPE_CHECKING:
    from caliber_desktop.cli.output import Output
    from caliber_desktop.services.ai.records import InsightRecord
    from caliber_desktop.services.workspace import Workspace

WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", "Output"], int]


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register the sub-commands of this module on ``caliber``'s parser."""
    insight = commands.add_parser(
        "insight",
        parents=[common],
        help="an AI insight about a scored campaign (offline without a key)",
        description=(
            "Generate an insight grounded in the campaign's current run, or list, delete and "
            "clear its stored insights."
        ),
    )
    insight.add_argument("--campaign", type=int, required=True, metavar="ID")
    insight.add_argument("--type", dest="insight_type", choices=INSIGHT_TYPES)
    insight.add_argument("--subject", metavar="SITE", help="the site of a domain insight")
    insight.add_argument("--no-cache", action="store_true", help="ask the model again")
    insight.add_argument(
        "--offline", action="store_true", help="build it from the run's statistics, no model"
    )
    insight.add_argument("--list", action="store_true", help="list the stored insights")
    insight.add_argument("--show", type=int, metavar="N", help="print stored insight N")
    insight.add_argument("--delete", type=int, metavar="N", help="delete stored insight N")
    insight.add_argument("--clear", action="store_true", help="delete every stored insight")

    chat = commands.add_parser(
        "chat",
        parents=[common],
        help="ask the AI assistant about a campaign (or in general)",
        description="Send a message; the reply streams to stdout. The last 10 messages and the "
        "campaign's figures go with it.",
    )
    chat.add_argument("message", nargs="?", help="what to ask (1–4000 characters)")
    chat.add_argument("--campaign", type=int, metavar="ID", help="default: the general chat")
    chat.add_argument("--history", action="store_true", help="print the conversation")
    chat.add_argument("--clear", action="store_true", help="delete the conversation")


def _insight_text(record: InsightRecord) -> str:
    flags = [f for f, on in (("cached", record.cached), ("offline", record.is_offline)) if on]
    extra = f" ({', '.join(flags)})" if flags else ""
    head = f"#{record.id} {record.title} · {record.model} · {record.created_at:%Y-%m-%d %H:%M}"
    return f"{head}{extra}\n\n{record.content}"


def cmd_insight(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.cli.output import table

    ai = ws.ai
    if args.list:
        found = ai.insights(args.campaign)
        rows = [
            (
                r.id,
                r.title,
                "offline" if r.is_offline else r.model,
                f"{r.created_at:%Y-%m-%d %H:%M}",
            )
            for r in found
        ]
        out.emit(
            [r.as_json() for r in found],
            table(("ID", "INSIGHT", "MODEL", "CREATED"), rows) if rows else "No insights yet.",
        )
        return 0
    if args.show is not None:
        record = ai.insight(args.show)
        out.emit(record.as_json(), _insight_text(record))
        return 0
    if args.delete is not None:
        ai.delete_insight(args.delete)
        out.emit({"deleted": args.delete}, f"Deleted insight {args.delete}.")
        return 0
    if args.clear:
        count = ai.clear_insights(args.campaign)
        out.emit({"deleted": count}, f"Deleted {count} insight(s).")
        return 0
    if not args.insight_type:
        raise ValidationError(
            "Say which insight to generate.",
            field="type",
            hint=f"Use --type with one of {', '.join(INSIGHT_TYPES)} (or --list).",
        )
    if args.offline:
        record = ai.offline_insight(args.campaign, args.insight_type, subject=args.subject)
    else:
        record = ai.generate(
            args.campaign, args.insight_type, subject=args.subject, use_cache=not args.no_cache
        )
    out.emit(record.as_json(), _insight_text(record))
    return 0


def cmd_chat(args: argparse.Namespace, ws: Workspace, out: Output) -> int:
    from caliber_desktop.services.progress import CancelToken

    ai = ws.ai
    if args.history:
        found = ai.chat_history(args.campaign)
        text = "\n\n".join(
            f"[{m.created_at:%Y-%m-%d %H:%M}] {m.role}"
            + ("" if m.status == "ok" else f" ({m.status})")
            + f":\n{m.content}"
            for m in found
        )
        out.emit([m.as_json() for m in found], text or "No messages yet.")
        return 0
    if args.clear:
        count = ai.clear_chat(args.campaign)
        out.emit({"deleted": count}, f"Deleted {count} message(s).")
        return 0
    if args.message is None:
        raise ValidationError("Type a message first.", field="message")

    def write(delta: str) -> None:
        if not out.as_json:
            sys.stdout.write(delta)
            sys.stdout.flush()

    cancel = CancelToken()
    previous = signal.getsignal(signal.SIGINT)

    def stop(_signum: int, _frame: Any) -> None:
        cancel.cancel()  # Ctrl+C: end the stream, keep what arrived

    signal.signal(signal.SIGINT, stop)
    try:
        record = ai.chat(args.campaign, args.message, on_delta=write, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
    if out.as_json:
        out.emit(record.as_json(), record.content)
    else:
        note = " [stopped]" if record.status == "stopped" else ""
        sys.stdout.write(f"{note}\n")
        sys.stdout.flush()
    return 0


#: Commands (insight, chat) run against the store as the signed-in user.
COMMANDS: dict[str, WorkspaceCommand] = {"insight": cmd_insight, "chat": cmd_chat}
