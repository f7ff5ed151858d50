"""``caliber doctor`` and ``caliber clean``: the installation, the data dir and its leftovers."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from caliber_desktop import __version__
from caliber_desktop.cli.output import Output, size, table, when
from caliber_desktop.config import Paths


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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


def cmd_doctor(args: argparse.Namespace, paths: Paths, out: Output) -> int:
    from caliber_desktop.services.maintenance import doctor

    report = doctor.run(paths, qt_probe=qt_probe)
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
    from caliber_desktop.services.maintenance import housekeeping

    settings = load_settings(paths.settings).housekeeping
    if args.days is not None:
        settings = settings.model_copy(update={"export_max_age_days": args.days})
    with Store.open(paths.database) as store:
        report = housekeeping.clean(paths, store, settings, dry_run=args.dry_run)
    rows = [
        (item.kind.value, size(item.size_bytes), when(item.modified), item.path)
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


def qt_probe() -> str:
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
