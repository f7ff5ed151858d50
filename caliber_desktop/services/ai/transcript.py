"""An insight or a conversation as one Markdown document, and saving such a text to a file.

Why here and not in the window: Copy and Export… give the analyst the same document, and anything
else that wants it later (a CLI command) too. It is built from plain values, so it needs no Qt
and is tested as a unit. The model's words are kept as written (Markdown) under a heading and a
line saying when and by what they were written; only their own headings move one level down, so
they sit under the document's headings instead of beside them. How the text is *displayed* is
the reader's business: the window never renders raw HTML from it (``ui/assistant/reader.py``).

Saving is atomic (:func:`caliber_desktop.config.write_atomic`: a temporary file in the same
folder, fsync, rename): a failed write leaves the previous file, or no file, never half of one.
A failure is an expected error naming the file and saying what to do — a folder the analyst may
not write to is common (a shared drive, a synced folder), a file open in another app on Windows
too.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from caliber_desktop.config import write_atomic
from caliber_desktop.errors import ValidationError

#: What a turn's status adds to its heading (an "ok" turn adds nothing).
STATUS_WORDS = {"stopped": "Stopped", "failed": "Failed"}
#: How a save error message ends.
RETRY = "export again"
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


@dataclass(frozen=True)
class TranscriptTurn:
    """One message of a conversation, as plain values (the window's turns or stored records)."""

    role: str  # "user" | "assistant"
    content: str
    status: str = "ok"
    model: str = ""
    #: when it was written, already formatted by the caller (the window follows the OS locale)
    when: str = ""
    #: why a failed turn failed, when the turn's own text does not say it
    error: str = ""


def demote_headings(markdown: str, levels: int = 1) -> str:
    """``markdown`` with every ATX heading ``levels`` deeper (at most ``######``).

    Lines inside fenced code blocks are left alone: a ``#`` there is code (a comment), not a
    heading.
    """
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if opened is not None:
            marker = opened.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            out.append(line)
            continue
        if fence is None:
            line = _HEADING.sub(
                lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + levels), line, count=1
            )
        out.append(line)
    return "\n".join(out)


def _meta(*parts: str) -> str:
    """An italic line of the non-empty ``parts`` joined by " · " (empty when there are none)."""
    shown = [p.strip() for p in parts if p and p.strip()]
    return f"*{' · '.join(shown)}*" if shown else ""


def _join(blocks: Sequence[str]) -> str:
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()) + "\n"


def insight_markdown(
    title: str,
    content: str,
    *,
    campaign: str = "",
    when: str = "",
    source: str = "",
    note: str = "",
) -> str:
    """One insight as a document: its title, campaign, when and by what it was written, the text.

    ``note`` (the offline caveat, say) is quoted under the line, so a reader of the file knows
    what the text is as well as a reader of the window does.
    """
    heading = f"# {title} — {campaign}" if campaign else f"# {title}"
    quote = "\n".join(f"> {line}" if line else ">" for line in note.splitlines())
    return _join([heading, _meta(when, source), quote, demote_headings(content, 1)])


def conversation_markdown(turns: Sequence[TranscriptTurn], *, title: str, when: str = "") -> str:
    """A conversation as a document: a heading, then each message under "You" or "Assistant".

    A stopped or failed reply says so in its heading; a failure's reason follows the words that
    arrived, quoted, so the file shows what the window showed.
    """
    blocks = [f"# {title}", _meta(f"Exported {when}" if when else "")]
    for turn in turns:
        who = "You" if turn.role == "user" else "Assistant"
        mark = STATUS_WORDS.get(turn.status, "")
        model = turn.model if turn.role != "user" else ""
        heading = " · ".join(p for p in (who, turn.when, model, mark) if p)
        blocks.append(f"## {heading}")
        blocks.append(demote_headings(turn.content, 2))
        if turn.error:
            blocks.append("\n".join(f"> {line}" for line in turn.error.splitlines()))
    return _join(blocks)


# ----------------------------------------------------------------------------- saving


def save_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; an expected error naming the file if not.

    An existing file is opened for writing first (and closed unchanged): Windows refuses that
    for a file another app holds open or a read-only file, and the message can then say so,
    instead of blaming the folder.
    """
    if path.is_dir():
        raise ValidationError(
            f"{path} is a folder, so the file cannot be saved under that name.",
            field="path",
            hint=f"Choose a file name, then {RETRY}.",
        )
    if path.exists():
        try:
            with open(path, "r+b"):
                pass
        except OSError as exc:
            raise ValidationError(
                f"Could not save {path.name}: the file is open in another app or read-only "
                f"({exc.strerror or exc}).",
                field="path",
                hint=f"Close it in that app, or choose another name, then {RETRY}.",
            ) from None
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise save_error(path, exc) from None
    return path


def save_error(path: Path, exc: OSError) -> ValidationError:
    """Why ``path`` could not be written, naming the file and its folder, and what to do."""
    reason = exc.strerror or str(exc)
    folder = path.parent
    if exc.errno in _DISK_FULL:
        return ValidationError(
            f"Could not save {path.name}: the disk holding {folder} is full ({reason}).",
            field="path",
            hint=f"Free some space or choose another folder, then {RETRY}.",
        )
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return ValidationError(
            f"Could not save {path.name}: the folder {folder} cannot be written to ({reason}).",
            field="path",
            hint=f"Choose a folder you can write to (your Documents folder, say), then {RETRY}.",
        )
    return ValidationError(
        f"Could not save {path.name} in {folder} ({reason}).",
        field="path",
        hint=f"Check that the drive is still there, or choose another folder, then {RETRY}.",
    )
