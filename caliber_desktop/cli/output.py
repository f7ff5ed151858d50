"""What every ``caliber`` command prints: a readable table, or with ``--json`` one JSON document.

Below the commands: each command module imports this, never ``main``.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from caliber_desktop import console
from caliber_desktop.errors import CaliberError
from caliber_desktop.services.progress import CancelToken
from caliber_desktop.services.records import jsonable


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


def when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


def size(n: int) -> str:
    if n < 1024:
        return f"{n:,} B"
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


def report_error(exc: CaliberError, out: Output, kind: str, field: str | None) -> None:
    if out.as_json:
        payload = {"error": {"type": kind, "message": str(exc), "field": field}}
        console.write_utf8(json.dumps(payload, ensure_ascii=False), sys.stderr)
    else:
        print(f"caliber: {exc}", file=sys.stderr)


# ----------------------------------------------------------------------------- long commands


@contextmanager
def cancel_on_interrupt() -> Iterator[CancelToken]:
    """Ctrl+C cancels the token (checked between stages) instead of killing mid-write."""
    token = CancelToken()
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, lambda *_: token.cancel())
    except ValueError:  # not the main thread (in-process tests): no handler, no harm
        yield token
        return
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)


def progress_printer(quiet: bool) -> Any:
    last = [-1]

    def show(done: int, total: int, message: str) -> None:
        if quiet or not sys.stderr.isatty():
            return
        percent = round(100 * done / total) if total else 0
        if percent != last[0]:
            last[0] = percent
            print(f"\r{percent:3d}%  {message:<60}", end="", file=sys.stderr, flush=True)

    return show
