"""Decide what a report file really is from its bytes, and read its first rows.

The extension is never trusted: a ZIP with a workbook inside is XLSX, an OLE2 compound file is XLS
(or a password-protected XLSX, which Excel also stores as OLE2), and anything else must decode as
text with a consistent delimiter. Every refusal names the file and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.models.enums import FileFormat

SAMPLE_BYTES = 256 * 1024
#: File names a report may have, for drop targets and file pickers (the content decides later).
REPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls")
#: Lines of the sample that decide the delimiter (the header is within the first 20 rows).
SNIFF_LINES = 200
DELIMITERS = (",", "\t", ";", "|")
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Magic numbers of files people drop by mistake, with a name for the message.
OTHER_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"SQLite format 3": "an SQLite database",
}
EXPORT_AGAIN = (
    "Export the performance report again from the DSP as CSV or XLSX and import that file."
)


@dataclass(frozen=True)
class Preview:
    """The first rows of a report exactly as written, before any mapping."""

    rows: list[list[str]]
    format: FileFormat
    encoding: str | None = None
    delimiter: str | None = None
    sheet_name: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    truncated: bool = False

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "format": self.format.value}


@dataclass(frozen=True)
class Sniffed:
    format: FileFormat
    encoding: str | None = None
    delimiter: str | None = None
    sheet_name: str | None = None


def reject(path: Path, reason: str, hint: str = EXPORT_AGAIN) -> FileRejectedError:
    return FileRejectedError(path.name, reason, hint=hint)


def require_file(path: Path, shown: str | None = None) -> None:
    """Refuse a path that is no file, saying which it is: missing, or a folder."""
    if path.is_file():
        return
    if path.is_dir():
        raise FileRejectedError(
            shown or str(path),
            "is a folder, not a file.",
            hint="Give the exported report file itself (CSV, TSV, XLSX or XLS).",
        )
    raise FileRejectedError(
        shown or str(path),
        "does not exist or is not a file.",
        hint="Check the path and try again.",
    )


# ----------------------------------------------------------------------------- detection


def sniff(path: Path, *, display_name: str | None = None) -> Sniffed:
    """Identify ``path`` by content; raise :class:`FileRejectedError` if it is not a report."""
    shown = Path(display_name) if display_name else path
    require_file(path, shown.name)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        raise reject(
            shown,
            f"cannot be read ({exc.strerror or exc}).",
            "Check the file exists and you can open it.",
        ) from None
    if size == 0:
        raise reject(shown, "is empty (0 bytes).")
    if head.startswith((ZIP_MAGIC, b"PK\x05\x06")):
        return _sniff_xlsx(path, shown)
    if head.startswith(OLE2_MAGIC):
        return _sniff_ole2(path, shown)
    for magic, what in OTHER_MAGIC.items():
        if head.startswith(magic):
            raise reject(shown, f"is {what}, not a performance report.")
    return _sniff_text(head, shown, complete=size <= SAMPLE_BYTES)


def _sniff_xlsx(path: Path, shown: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise reject(
                    shown,
                    "is a ZIP archive but not an Excel workbook.",
                    "If the report is inside, unzip it and import the CSV or XLSX file.",
                )
            damaged = archive.testzip()
    except zipfile.BadZipFile:
        raise reject(
            shown,
            "looks like an Excel workbook but is damaged or truncated "
            "(its ZIP structure is incomplete).",
            "Download or export it again; if it opens in Excel, save a fresh copy.",
        ) from None
    except zlib.error:
        # testzip() reports a bad checksum, but a damaged deflate stream raises from zlib.
        raise reject(
            shown,
            "is a damaged Excel workbook (its compressed contents are corrupt).",
            "Download or export it again.",
        ) from None
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise reject(shown, f"is an unreadable workbook ({exc}).") from None
    if damaged is not None:
        raise reject(
            shown,
            f"is a damaged Excel workbook (part {damaged} fails its checksum).",
            "Download or export it again.",
        )
    sheet = _first_sheet_xlsx(path, shown)
    return Sniffed(FileFormat.XLSX, sheet_name=sheet)


def _first_sheet_xlsx(path: Path, shown: Path) -> str:
    try:
        with _open_xlsx(path) as book:
            names = [str(name) for name in book.sheetnames]
    except Exception as exc:  # openpyxl raises many types for bad XML
        raise reject(
            shown, f"is an Excel workbook Caliber cannot read ({type(exc).__name__}: {exc})."
        ) from None
    if not names:
        raise reject(shown, "is a workbook with no sheets.")
    return names[0]


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Any]:
    """A workbook opened read-only from its bytes; the file is closed on exit.

    A file object, not the path: openpyxl judges a path by its extension, and an upload being
    checked is a temp file without one (or a workbook renamed ``.csv``).
    """
    import openpyxl  # heavy: imported only when a workbook arrives

    with path.open("rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            yield book
        finally:
            book.close()


def _sniff_ole2(path: Path, shown: Path) -> Sniffed:
    with path.open("rb") as handle:
        directory = handle.read(1024 * 1024)
    if "EncryptedPackage".encode("utf-16-le") in directory:
        raise reject(
            shown,
            "is a password-protected Excel workbook.",
            "Open it in Excel, remove the password (File › Info › Protect Workbook), save, "
            "and import it again.",
        )
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, AssertionError…
        raise reject(shown, f"is an old-style (.xls) file Caliber cannot read ({exc}).") from None
    try:
        names = book.sheet_names()
        if not names:
            raise reject(shown, "is a workbook with no sheets.")
        return Sniffed(FileFormat.XLS, sheet_name=str(names[0]))
    finally:
        book.release_resources()


def _decode_sample(head: bytes, shown: Path, complete: bool) -> tuple[str, str]:
    """Return (encoding, text) for the sample; UTF-8/16 by BOM, UTF-8, then cp1252."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        if b"\x00" in head:
            raise reject(shown, "contains binary data (NUL bytes), so it is not a text report.")
        candidates = ["utf-8", "cp1252", "latin-1"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return ("utf-8" if encoding == "utf-8-sig" else encoding, text.lstrip("\ufeff"))
    raise reject(shown, "is not valid text in UTF-8, UTF-16 or Windows-1252.")


def _sniff_text(head: bytes, shown: Path, *, complete: bool) -> Sniffed:
    encoding, text = _decode_sample(head, shown, complete)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if text and controls / len(text) > 0.01:
        raise reject(shown, "contains binary data, so it is not a text report.")
    lines = io.StringIO(text, newline="").readlines()
    cut = not complete or len(lines) > SNIFF_LINES
    if not complete and lines:
        lines = lines[:-1]  # the sample may end mid-line
    lines = lines[:SNIFF_LINES]
    if not any(line.strip() for line in lines):
        raise reject(shown, "has no text in it (only blank lines).")
    region = "".join(lines)
    tables = [(_best_table(_records(region, d, cut=cut)), d) for d in DELIMITERS]
    # On a tie max() keeps the first, so DELIMITERS is in order of how common each one is.
    (_score, rows, width), delimiter = max(tables, key=lambda table: table[0])
    if width < 2:
        raise reject(
            shown,
            "has only one column: no comma, tab or semicolon separates its values.",
            "A performance report has site, impressions, spend… columns. " + EXPORT_AGAIN,
        )
    if rows < 2:
        raise reject(
            shown,
            "has a header but no data rows.",
            "Export a report with a date range that has delivery.",
        )
    fmt = FileFormat.TSV if delimiter == "\t" else FileFormat.CSV
    return Sniffed(fmt, encoding=encoding, delimiter=delimiter)


def _records(region: str, delimiter: str, *, cut: bool) -> list[tuple[int, int]]:
    """(fields, physical lines) of each non-blank record of ``region`` read with ``delimiter``.

    Records, not lines: a quoted cell may hold delimiters and line breaks. A wholly blank record
    (``,,,``) is skipped, as the preview skips it.
    """
    reader = csv.reader(io.StringIO(region, newline=""), delimiter=delimiter)
    records: list[tuple[int, int]] = []
    consumed = 0
    try:
        for row in reader:
            span, consumed = reader.line_num - consumed, reader.line_num
            if any(cell.strip() for cell in row):
                records.append((len(row), span))
    except csv.Error:  # e.g. a stray quote swallowing the rest past the field size limit
        cut = True
    if cut and records:
        records.pop()  # the sample ends inside it: its width means nothing
    return records


def _best_table(records: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(score, rows, width) of the best table these records form; width 1 when there is none.

    A table is a header and the records after it with the header's width (≥ 2); what comes before
    is preamble (report name, date range). Its score is the lines of records with that width minus
    the lines of the others after the header. Lines rather than records are counted because under a
    wrong delimiter a quoted multi-line cell falls apart into several short, same-width records.
    """
    best = (0, 0, 1)
    for width in {fields for fields, _ in records if fields >= 2}:
        score = rows = 0
        for fields, span in reversed(records):
            if fields == width:
                score, rows = score + span, rows + 1
                best = max(best, (score, rows, width))
            else:
                score -= span
    return best


# ----------------------------------------------------------------------------- preview


def preview(path: Path, sniffed: Sniffed, rows: int = 20) -> Preview:
    """The first ``rows`` rows as text, exactly as written (header and preamble included)."""
    if sniffed.format is FileFormat.XLSX:
        return _preview_xlsx(path, sniffed, rows)
    if sniffed.format is FileFormat.XLS:
        return _preview_xls(path, sniffed, rows)
    out: list[list[str]] = []
    truncated = False
    with path.open(
        "r", encoding=sniffed.encoding or "utf-8", errors="replace", newline=""
    ) as handle:
        for row in csv.reader(handle, delimiter=sniffed.delimiter or ","):
            if not any(cell.strip() for cell in row):
                continue
            if len(out) == rows:
                truncated = True
                break
            out.append(row)
    return Preview(out, sniffed.format, sniffed.encoding, sniffed.delimiter, truncated=truncated)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _preview_xlsx(path: Path, sniffed: Sniffed, rows: int) -> Preview:
    out: list[list[str]] = []
    truncated = False
    with _open_xlsx(path) as book:
        names = [str(n) for n in book.sheetnames]
        sheet = book[sniffed.sheet_name or names[0]]
        title = str(sheet.title)
        for values in sheet.iter_rows(values_only=True):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(out) == rows:
                truncated = True
                break
            out.append([_cell(v) for v in values])
    return Preview(out, sniffed.format, sheet_name=title, sheet_names=names, truncated=truncated)


def _preview_xls(path: Path, sniffed: Sniffed, rows: int) -> Preview:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        names = [str(n) for n in book.sheet_names()]
        sheet = book.sheet_by_name(sniffed.sheet_name or names[0])
        out: list[list[str]] = []
        truncated = False
        for index in range(sheet.nrows):
            values = [_cell(v) for v in sheet.row_values(index)]
            if not any(v.strip() for v in values):
                continue  # blank rows are skipped, as in CSV and XLSX
            if len(out) == rows:
                truncated = True
                break
            out.append(values)
        title = str(sheet.name)
    finally:
        book.release_resources()
    return Preview(out, sniffed.format, sheet_name=title, sheet_names=names, truncated=truncated)
