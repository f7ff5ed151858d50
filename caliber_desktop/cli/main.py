"""``caliber``: the headless commands, over the same services as the window.

This module only builds the parser and dispatches: each command group is a module beside it
(``campaigns``, ``score``, ``exports``, ``report``, ``ai``, ``auth``, ``maintenance``,
``admin``), and they share ``output`` and ``options`` below them; none imports this one.

Every command prints a readable table or, with ``--json``, one JSON document on stdout. Expected
failures print one actionable sentence on stderr (JSON with ``--json``) and exit non-zero; bugs are
logged with their traceback in the data dir and reported in one line.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from caliber_desktop import __version__, console
from caliber_desktop.cli import admin as cli_admin
from caliber_desktop.cli import ai as cli_ai
from caliber_desktop.cli import auth as cli_auth
from caliber_desktop.cli import campaigns as cli_campaigns
from caliber_desktop.cli import exports as cli_exports
from caliber_desktop.cli import maintenance as cli_maintenance
from caliber_desktop.cli import report as cli_report
from caliber_desktop.cli import score as cli_score
from caliber_desktop.cli.output import Output, report_error
from caliber_desktop.config import Paths, default_paths, setup_logging
from caliber_desktop.errors import CaliberError, ValidationError

if TYPE_CHECKING:  # imported when a command needs them: `caliber score FILE` needs no database
    from caliber_desktop.services.workspace import Workspace

log = logging.getLogger(__name__)
EXIT_USAGE = 2
EXIT_BUG = 70


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

    cli_maintenance.add_parsers(commands, common)
    cli_campaigns.add_parsers(commands, common)
    cli_score.add_parser(commands, common)
    cli_auth.add_parsers(commands, common)
    cli_ai.add_parsers(commands, common)
    cli_exports.add_parsers(commands, common)
    cli_report.add_parsers(commands, common)
    cli_admin.add_parsers(commands, common)
    return parser


WorkspaceCommand = Callable[[argparse.Namespace, "Workspace", Output], int]
COMMANDS: dict[str, WorkspaceCommand] = {
    **cli_campaigns.COMMANDS,
    **cli_ai.COMMANDS,
    **cli_exports.COMMANDS,
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


def main(argv: Sequence[str] | None = None, *, one_shot: bool = False) -> int:
    """Run one command; its exit code. ``one_shot``: the process ends when this returns (the
    console entry points), so a long command may tune the process for one job
    (:func:`caliber_desktop.services.progress.one_shot`); tests call it in their own process."""
    # First: argparse's --help and usage errors print too. Pipes, consoles, PYTHONIOENCODING and
    # PYTHONUTF8 are handled as caliber_desktop.console's docstring says.
    console.make_streams_safe()
    try:
        return _run(argv, one_shot)
    finally:
        console.note_lost_characters("caliber")


def console_main() -> int:
    """The ``caliber`` console script: :func:`main` in a process of its own."""
    return main(one_shot=True)


def _run(argv: Sequence[str] | None, one_shot: bool) -> int:
    args = parse_args(argv)
    args.one_shot = one_shot
    out = Output(args.json)
    paths = Paths(args.home.expanduser().resolve()) if args.home else default_paths()
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        setup_logging(paths)
    except OSError:
        pass  # doctor reports an unwritable data dir; the other commands fail on it clearly
    try:
        if args.command == "doctor":
            return cli_maintenance.cmd_doctor(args, paths, out)
        if args.command == "clean":
            if args.days is not None and args.days < 1:
                raise ValidationError("--days must be 1 or more.", field="days")
            return cli_maintenance.cmd_clean(args, paths, out)
        if args.command == "score":
            return cli_score.cmd_score(args, paths, out)
        if getattr(args, "preview", 0) and args.preview < 0:
            raise ValidationError("--preview must be 0 or more.", field="preview")
        from caliber_desktop.services.workspace import open_workspace

        with open_workspace(paths.root) as ws:
            if args.command in cli_auth.COMMANDS:
                return cli_auth.COMMANDS[args.command](args, ws, out)
            if args.command in cli_admin.COMMANDS:  # checks who may act itself (an admin or none)
                return cli_admin.COMMANDS[args.command](args, ws, out)
            cli_auth.bind_signed_in(ws)  # every command runs as the signed-in user
            ws.runs.recover_interrupted()  # a crashed run must not lock its campaign forever
            return COMMANDS[args.command](args, ws, out)
    except CaliberError as exc:
        report_error(exc, out, type(exc).__name__, getattr(exc, "field", None))
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
        report_error(
            CaliberError(f"Unexpected error: {exc}.", hint=f"Details are in {paths.log_file}."),
            out,
            "InternalError",
            None,
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console_main())
