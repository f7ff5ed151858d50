"""Console text that cannot crash on a console, pipe or file whose encoding lacks a character.

Why: on Windows, when ``caliber``'s output goes to a pipe or a file, Python encodes it in the ANSI
code page (cp1252 in Western Europe and the Americas, cp1251, cp932 ... elsewhere) with
``errors="strict"``, so an arrow, a delta or a campaign named in Cyrillic raised
``UnicodeEncodeError`` half-way through a command's output. ``make_streams_safe()`` runs first in
every console entry point (``caliber_desktop.cli.main.main``, which ``python -m caliber_desktop``
and the frozen ``caliber`` executable call too) and settles each of stdout and stderr (``settle``):

* **A terminal** keeps its encoding: it decodes what it gets in that encoding. The Windows
  console is UTF-8 to Python already (PEP 528), so every character shows; a legacy Windows console
  (``PYTHONLEGACYWINDOWSSTDIO``) or a Latin-1 xterm gets the readable fallbacks below.
* **A pipe or a file in the locale's code page** (``caliber doctor > report.txt``, ``| findstr``)
  becomes UTF-8. Every name stays exact (a Cyrillic campaign, a Japanese site), which is what a
  user who saves output wants; Notepad (Windows 10 1903 and later), VS Code, PowerShell 7, git and
  Python 3.15 (PEP 686: UTF-8 mode by default) read UTF-8 by default, and other programs should
  read ``--json``, which is UTF-8 anyway (RFC 8259). A reader that insists on the ANSI code page
  (Excel opening a ``.txt``, ``type`` in cmd.exe) shows ``é`` as ``Ã©``; its user asks for that
  code page explicitly, as below.
* **Explicit settings win**. ``PYTHONIOENCODING=enc`` keeps ``enc``; ``PYTHONUTF8=0`` (or ``-X
  utf8=0``), opting out of UTF-8 mode, keeps the locale's code page. A stream left in an encoding
  that cannot show every character gets the error handler ``caliber-readable`` instead of
  ``strict`` (stdout's crash) or ``backslashreplace`` (stderr's ``\u2192``): known symbols become
  ASCII look-alikes (``→`` ``->``, ``Δ`` ``d``, ``−`` ``-``, ``…`` ``...``, ``≤`` ``<=``, ``×``
  ``x``, ``·`` ``-``, curly quotes straight; ``STAND_INS``), letters lose accents the encoding
  lacks (``ł`` ``l``, ``ő`` ``o``, full-width ``Ａ`` ``A``), and anything else (Cyrillic, Greek,
  CJK, emoji) becomes one ``?`` per character, which keeps table columns aligned and is what
  Windows itself prints for a character a code page lacks (``\u041a`` escapes would be longer
  and no more readable). When a ``?`` was printed, ``note_lost_characters()`` says on stderr how to
  get the exact text. ``PYTHONIOENCODING=enc:handler`` names the error handler too; it is then
  left alone (``:strict`` fails as asked), as is any handler other than those two defaults.
  ``PYTHONUTF8=1`` (or ``-X utf8``) is UTF-8 already: nothing to do.
* **``--json``** never depends on any of this: ``write_utf8()`` writes the document as UTF-8
  bytes to the stream's binary buffer (non-ASCII characters kept, newline ``\n``), so programs
  read valid UTF-8 JSON whatever the console, pipe or setting.

Standard library only: the CLI starts without Qt.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import unicodedata
from collections.abc import Mapping
from typing import IO, Any

#: The name ``make_streams_safe`` registers with :func:`codecs.register_error`.
READABLE = "caliber-readable"

#: ASCII stand-ins for the symbols the app prints and for common typography. Anything not here is
#: tried as its compatibility decomposition without accents (NFKD), else printed as ``?``.
STAND_INS: dict[str, str] = {
    # arrows
    "→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "⇐": "<=", "⇔": "<=>", "↑": "^", "↓": "v",
    # maths
    "Δ": "d", "−": "-", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "±": "+/-", "×": "x",
    "÷": "/", "⁄": "/", "∞": "inf", "√": "sqrt", "µ": "u", "°": " deg",
    # dashes, dots, bullets
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "…": "...", "·": "-",
    "•": "*", "‣": "*", "◦": "*", "§": "S", "¶": "P", "⚠": "!",
    # quotes
    "‘": "'", "’": "'", "‚": ",", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
    "′": "'", "″": '"', "‹": "<", "›": ">", "«": "<<", "»": ">>",
    # spaces and invisible marks
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u200c": "",
    "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    # letters without a decomposition
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ø": "o", "Ø": "O", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
    # currency
    "€": "EUR", "£": "GBP", "¥": "JPY", "¢": "c",
}  # fmt: skip

#: Printed for a character with no stand-in.
UNKNOWN = "?"


class _Lost:
    """How many characters came out as ``?`` since the last note (one process, one count)."""

    count = 0


def stand_in(char: str) -> str | None:
    """The ASCII text that shows ``char`` on a stream that cannot, or None when there is none."""
    if char.isascii():
        return char
    if char in STAND_INS:
        return STAND_INS[char]
    if unicodedata.combining(char):
        return ""  # an accent the stream lacks, on a letter already written
    parts = []
    for piece in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(piece):
            continue
        if piece.isascii():
            parts.append(piece)
        elif piece in STAND_INS:
            parts.append(STAND_INS[piece])
        else:
            return None
    return "".join(parts) or None


def _replace(error: UnicodeError) -> tuple[str, int]:
    """The ``caliber-readable`` codec error handler: stand-ins, else ``?``."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        found = stand_in(char)
        if found is None:
            _Lost.count += 1
            found = UNKNOWN
        out.append(found)
    return "".join(out), error.end


codecs.register_error(READABLE, _replace)


def _is_unicode(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def settle(
    encoding: str,
    errors: str,
    *,
    terminal: bool,
    environ: Mapping[str, str],
    xoptions: Mapping[str, object],
) -> tuple[str, str]:
    """The (encoding, errors) a standard stream should have (rules in the module docstring).

    ``environ`` and ``xoptions`` are what the interpreter honoured (``os.environ`` unless
    ``-E``/``-I``; ``sys._xoptions``).
    """
    chosen_encoding, _, chosen_errors = environ.get("PYTHONIOENCODING", "").partition(":")
    opted_out = environ.get("PYTHONUTF8", "").strip() == "0" or xoptions.get("utf8") == "0"
    if not (_is_unicode(encoding) or terminal or chosen_encoding.strip() or opted_out):
        encoding = "utf-8"
    if chosen_errors.strip():
        return encoding, errors
    if errors == "strict" or (errors == "backslashreplace" and not _is_unicode(encoding)):
        errors = READABLE  # on UTF-8 only a lone surrogate (an undecodable file name) needs it
    return encoding, errors


def _settle_stream(stream: Any, environ: Mapping[str, str], xoptions: Mapping[str, object]) -> None:
    reconfigure = getattr(stream, "reconfigure", None)
    encoding = getattr(stream, "encoding", None)
    errors = getattr(stream, "errors", None)
    if reconfigure is None or not isinstance(encoding, str) or not isinstance(errors, str):
        return  # None (pythonw), a StringIO, a wrapper: nothing of ours to encode
    try:
        terminal = bool(stream.isatty())
        wanted = settle(encoding, errors, terminal=terminal, environ=environ, xoptions=xoptions)
        if wanted[0] != encoding:
            reconfigure(encoding=wanted[0], errors=wanted[1])
        elif wanted[1] != errors:
            reconfigure(errors=wanted[1])
    except (OSError, ValueError):  # closed or detached: nothing will be written through it
        return


def make_streams_safe() -> None:
    """Settle ``sys.stdout`` and ``sys.stderr`` so no character can fail them (``settle``).

    Call it first, before anything prints (argparse's ``--help`` and usage errors too). Calling
    it again changes nothing.
    """
    environ: Mapping[str, str] = {} if sys.flags.ignore_environment else os.environ
    xoptions: Mapping[str, object] = getattr(sys, "_xoptions", {})
    for stream in (sys.stdout, sys.stderr):
        _settle_stream(stream, environ, xoptions)


def write_utf8(text: str, stream: IO[str] | None = None) -> None:
    """Write ``text`` and ``\\n`` to ``stream`` (default stdout) as UTF-8, whatever its encoding.

    For ``--json``: programs read it as UTF-8 on every platform and console code page. Text already
    written is flushed first so the order holds. A lone surrogate (an undecodable file name) is
    written as its JSON escape, ``\\udcxx``. A stream without a byte buffer (``io.StringIO``) gets
    the text as text.
    """
    stream = sys.stdout if stream is None else stream
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text + "\n")
        return
    stream.flush()
    buffer.write((text + "\n").encode("utf-8", "backslashreplace"))
    buffer.flush()


def note_lost_characters(program: str) -> None:
    """If a character came out as ``?``, say once on stderr how to get the exact text."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()  # whatever is still buffered is encoded (and counted) now
    lost, _Lost.count = _Lost.count, 0
    if not lost:
        return
    encoding = getattr(sys.stdout, "encoding", None) or "this encoding"
    note = (
        f"{program}: {lost} character(s) cannot be shown in {encoding} and were printed as "
        f"'{UNKNOWN}'; --json output keeps them, and so does PYTHONIOENCODING=utf-8."
    )
    with contextlib.suppress(OSError, ValueError, AttributeError):  # nobody left to tell
        print(note, file=sys.stderr, flush=True)
