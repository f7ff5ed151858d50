"""Stream an XLSX sheet in bounded memory, with the values fastexcel (calamine) gives.

fastexcel parses a whole sheet on every ``load_sheet`` whatever ``n_rows`` says: a 1M-row
workbook held ~1.35 GiB. This reader walks the sheet's XML as the zip member decompresses, a few
MiB at a time cut at ``</row>``, and hands on the needed columns in batches of rows.

Each cell's value follows calamine 0.36 (what fastexcel 0.21 reads with), then fastexcel's
conversion to a "string" or a "float" column, so a streamed read equals the whole read cell for
cell: shared strings (rich text runs joined, phonetic runs left out, text trimmed of ASCII
whitespace unless ``xml:space="preserve"``, ``_xHHHH_`` escapes decoded), inline strings,
``t="str"`` formula results, booleans (``true``/``false``, 1.0/0.0), error cells (no value, and
an error for the column), numbers (``{x:.9}`` trimmed as text), dates (number formats that are
dates, 1900 and 1904 systems, as ``YYYY-MM-DD HH:MM:SS[.mmm]`` text and an error in a float
column), text in a float column parsed with fast-float's grammar, cells without ``r=`` placed by
position, gaps and empty rows kept as empty rows, the sheet's range starting at its first
non-empty row and column and ending at its last non-empty row.

Two ways to read a piece of the sheet, chosen per piece: a compiled regex for the cell shapes
every common writer produces (Excel, xlsxwriter, rust_xlsxwriter, openpyxl, LibreOffice), taken
only when every ``<c`` of the piece matched it, and otherwise expat on the piece (prefixed tags,
formulas, rich inline text, entities, comments). Where neither can read a part (another encoding,
rows out of order, XML expat rejects) :class:`Unsupported` says why and the caller reads the
sheet with fastexcel, saying so. Known differences from calamine, in cells no writer produces: a
number cell whose ``<v>`` holds an entity or a carriage return, and the column origin, taken from
the rows scanned for the header rather than from the whole sheet.
"""

from __future__ import annotations

import gc
import itertools
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: Decompressed bytes of the sheet parsed at a time (~400 rows of a TTD export): the regex's
#: matches of a piece are the reader's largest transient (4 MiB pieces peaked ~90 MiB higher at
#: 1M rows, 256 KiB ones no slower).
PIECE_BYTES = 256 << 10
#: Rows handed on per batch.
BATCH_ROWS = 65_536

_MAIN = "officeDocument"
_EMPTY, _NUM, _SHARED, _BOOL, _ERROR, _STR, _ISO, _RAW_INLINE, _TEXT = range(9)
_TYPES = {"": _NUM, "n": _NUM, "s": _SHARED, "b": _BOOL, "e": _ERROR, "str": _STR, "d": _ISO}
_DATE, _DELTA = 1, 2
_FLOAT = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan))", re.ASCII
)
_X00 = re.compile(r"_x00([0-9A-Fa-f]{2}|\+[0-9A-Fa-f])_")
#: The cell shapes of every common writer: number, shared string, boolean... with an optional
#: style, a self-closing empty cell, and an inline string (its text captured after a ">", so an
#: empty one is told from no text at all).
#: Quantifiers are possessive (what follows each never fits its class): a quarter faster.
_CELL = re.compile(
    r'<c r="([A-Z]{1,3}+)([0-9]++)"(?: s="([0-9]++)")?(?:'
    r'(?: t="([a-z]{1,3}+)")?(?:/>|></c>|><v>([^<&\r\n]++)</v></c>)'
    r'| t="inlineStr"><is><t( xml:space="preserve")?(>[^<&\r\n]*+)</t></is></c>)'
)
#: Numbers Arrow's cast reads exactly as fast-float does (anything else goes cell by cell).
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_WS = " \t\r\n"
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\b")
_EPOCH_DAYS = -25569  # 1899-12-30 in days from 1970-01-01


class Unsupported(Exception):  # noqa: N818 (a reason, read by the caller)
    """This reader cannot read the sheet the way fastexcel does: read it with fastexcel."""


# ----------------------------------------------------------------------------- values


def float_text(x: float) -> str:
    """fastexcel's text of a float: Rust's ``{x:.9}`` without trailing zeros or point."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.9f}".rstrip("0").rstrip(".")


def parse_float(text: str) -> float | None:
    """fast-float's reading of ``text`` (what calamine uses), or None."""
    return float(text) if _FLOAT.fullmatch(text) else None


def _unescape(text: str) -> str:
    """Excel's ``_x000D_`` escapes, decoded as calamine does (two hex digits, one code unit)."""
    if "_x00" not in text:
        return text
    return _X00.sub(lambda m: chr(int(m.group(1), 16)), text)


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of ``days`` from 1970-01-01, proleptic Gregorian, any year."""
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def date_text(serial: float, is_1904: bool) -> str | None:
    """calamine's ``as_datetime`` of an Excel serial, as chrono prints it; None out of range."""
    f = serial + 1462.0 if is_1904 else serial
    f = f if f >= 60.0 else f + 1.0
    ms = f * 86_400_000.0
    if math.isnan(ms):
        whole = 0
    elif math.isinf(ms) or abs(ms) >= 9.2e18:
        return None
    else:
        whole = math.trunc(ms)
        if abs(ms - whole) >= 0.5:
            whole += 1 if ms > 0 else -1
    days, rest = divmod(whole, 86_400_000)
    year, month, day = _civil(days + _EPOCH_DAYS)
    if not -262_144 <= year <= 262_143:
        return None
    seconds, milli = divmod(rest, 1000)
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if milli:
        clock += f".{milli:03d}"
    shown = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    return f"{shown}-{month:02d}-{day:02d} {clock}"


def date_kind(code: str) -> int:
    """calamine's ``detect_custom_number_format``: 0, :data:`_DATE` or :data:`_DELTA`."""
    escaped = quote = ap = hms = False
    brackets = 0
    prev = " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif quote:
            quote = s != '"'
        elif s == '"':
            quote = True
        elif s == ";":
            return 0
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return _DELTA
        elif s == "]":
            brackets = max(brackets - 1, 0)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif brackets == 0 and (s in "pm/PM" if ap else s in "dmhysDMHYS"):
            return _DATE
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return 0


_BUILTIN_DATES = {str(i): _DATE for i in (14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47)} | {
    "46": _DELTA
}


# ----------------------------------------------------------------------------- the workbook


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse_small(
    data: bytes,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    chars: Callable[[str], None] | None = None,
    what: str = "XML",
) -> None:
    """Parse a small part with expat; the handlers see tag names without their prefix."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = lambda n, a: start(_local(n), a)
    if end is not None:
        parser.EndElementHandler = lambda n: end(_local(n))
    if chars is not None:
        parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Unsupported(f"its {what} could not be read ({exc})") from None


def _string_start(state: dict[str, Any], tag: str, attrs: dict[str, str]) -> None:
    """An element opening inside a string (a shared ``<si>`` or an inline ``<is>``): its runs,
    phonetic hints (skipped) and text, as calamine's ``read_string`` reads them."""
    if tag == "r" and state["rich"] is None:
        state["rich"] = ""
    elif tag == "rPh":
        state["phonetic"] = True
    elif tag == "t" and not state["phonetic"]:
        state["text"] = []
        state["keep"] = attrs.get("xml:space") == "preserve"


def _string_end(state: dict[str, Any], tag: str) -> None:
    """An element closing inside a string: a ``<t>``'s text joins the string's."""
    if tag == "t" and state["text"] is not None:
        value = "".join(state["text"])
        state["text"] = None
        value = _unescape(value if state["keep"] else value.strip(_WS))
        state["rich"] = value if state["rich"] is None else state["rich"] + value
    elif tag == "rPh":
        state["phonetic"] = False


def _strings(data: bytes) -> list[str]:
    """The shared strings, as calamine's ``read_string`` reads each ``<si>``."""
    out: list[str] = []
    state: dict[str, Any] = {"rich": None, "phonetic": False, "text": None, "keep": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "si":
            state["rich"] = None
        else:
            _string_start(state, tag, attrs)

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "si":
            out.append(state["rich"] if state["rich"] is not None else "")
        else:
            _string_end(state, tag)

    def chars(text: str) -> None:
        if state["text"] is not None:
            state["text"].append(text)

    _parse_small(data, start, end, chars, what="shared strings")
    return out


@dataclass
class Book:
    """A workbook's sheets (name → part), shared strings, date styles and date system."""

    path: Path
    sheets: dict[str, str]
    strings: list[str]
    styles: list[int]
    is_1904: bool
    _shared: pa.Array | None = None

    def shared(self) -> pa.Array:
        """The shared strings as an Arrow array (made once), for lookups by Arrow's take."""
        if self._shared is None:
            self._shared = pa.array(self.strings, pa.string())
        return self._shared

    @classmethod
    def open(cls, path: Path) -> Book:
        try:
            with zipfile.ZipFile(path) as book:
                names = {n.replace("\\", "/").lower(): n for n in book.namelist()}

                def read(part: str) -> bytes | None:
                    name = names.get(part.lower())
                    return None if name is None else book.read(name)

                root = "xl/workbook.xml"
                rels: dict[str, str] = {}
                top = read("_rels/.rels")
                if top is not None:
                    _parse_small(top, lambda n, a: _relation(n, a, rels, ""))
                    root = next((t for i, t in rels.items() if i.startswith(_MAIN)), root).lstrip(
                        "/"
                    )
                base = root.rpartition("/")[0] + "/" if "/" in root else ""
                workbook = read(root)
                if workbook is None:
                    raise Unsupported("it has no workbook part")
                sheets: dict[str, str] = {}
                ids: list[tuple[str, str]] = []
                flags = {"1904": False}

                def on_book(name: str, attrs: dict[str, str]) -> None:
                    if name == "sheet":
                        rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                        ids.append((attrs.get("name", ""), rid))
                    elif name == "workbookPr":
                        flags["1904"] = attrs.get("date1904") in ("1", "true")

                _parse_small(workbook, on_book)
                links: dict[str, str] = {}
                rels_data = read(f"{base}_rels/{root.rpartition('/')[2]}.rels")
                if rels_data is None:
                    raise Unsupported("it has no workbook relationships")
                _parse_small(rels_data, lambda n, a: _relation(n, a, links, base))
                for name, rid in ids:
                    if rid in links:
                        sheets[name] = names.get(links[rid].lower(), links[rid])
                shared = read(f"{base}sharedStrings.xml")
                strings = _strings(shared) if shared is not None else []
                styles_data = read(f"{base}styles.xml")
                styles = _styles(styles_data) if styles_data is not None else []
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise Unsupported(f"its parts could not be read ({exc})") from None
        return cls(path, sheets, strings, styles, flags["1904"])


def _relation(name: str, attrs: dict[str, str], out: dict[str, str], base: str) -> None:
    if name != "Relationship" or "Id" not in attrs:
        return
    target = attrs.get("Target", "")
    kind = attrs.get("Type", "").rpartition("/")[2]
    if not base and kind == _MAIN:  # the package's own relations: find the workbook
        out[f"{_MAIN}:{attrs['Id']}"] = target
        return
    path = target[1:] if target.startswith("/") else posixpath.normpath(base + target)
    out[attrs["Id"]] = path


def _styles(data: bytes) -> list[int]:
    """Per cell format (``cellXfs`` position): 0, :data:`_DATE` or :data:`_DELTA`."""
    formats: dict[str, str] = {}
    xfs: list[int] = []
    where = {"in": ""}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name in ("numFmts", "cellXfs"):
            where["in"] = name
        elif name == "numFmt" and where["in"] == "numFmts":
            if "numFmtId" in attrs and "formatCode" in attrs:
                formats[attrs["numFmtId"]] = attrs["formatCode"]
        elif name == "xf" and where["in"] == "cellXfs":
            fid = attrs.get("numFmtId")
            if fid is None:
                xfs.append(0)
            elif fid in formats:
                xfs.append(date_kind(formats[fid]))
            else:
                xfs.append(_BUILTIN_DATES.get(fid, 0))

    def end(name: str) -> None:
        if name in ("numFmts", "cellXfs"):
            where["in"] = ""

    _parse_small(data, start, end, what="styles")
    return xfs


# ----------------------------------------------------------------------------- the cells


@dataclass
class _Cells:
    """One piece of the sheet: every cell with a value, as parallel columns."""

    rows: npt.NDArray[np.int64]  # 0-based
    cols: npt.NDArray[np.int64]  # 0-based
    kinds: npt.NDArray[np.int8]
    #: raw ``<v>`` text; ">" and the raw text of an inline string (regex); the string (expat)
    values: pa.Array
    #: raw ``s`` ("" when absent), kept only for a workbook with date formats
    styles: Sequence[str] | None = None
    #: per cell, whether an inline string keeps its spaces (``xml:space="preserve"``)
    keep: npt.NDArray[np.bool_] | None = None

    @classmethod
    def empty(cls) -> _Cells:
        none = np.zeros(0, np.int64)
        return cls(none, none, np.zeros(0, np.int8), pa.array([], pa.string()))


class _Pieces:
    """The sheet part's text in pieces cut after ``</row>``, and the share of it read."""

    def __init__(self, path: Path, part: str) -> None:
        self.raw: IO[bytes] = path.open("rb")
        try:
            self.zip = zipfile.ZipFile(self.raw)
            info = self.zip.getinfo(part)
        except (zipfile.BadZipFile, KeyError) as exc:
            self.raw.close()
            raise Unsupported(f"its sheet part {part} could not be opened ({exc})") from None
        self.start = info.header_offset
        self.size = max(info.compress_size, 1)
        self.member = self.zip.open(info)
        self.prefixed = False

    def done(self) -> float:
        return min(max(self.raw.tell() - self.start, 0) / self.size, 1.0)

    def close(self) -> None:
        self.member.close()
        self.zip.close()
        self.raw.close()

    def __iter__(self) -> Iterator[str]:
        rest = b""
        closing = end_tag = b""
        data = self.member.read(PIECE_BYTES)
        declared = re.match(rb"<\?xml[^>]*encoding=[\"']([^\"']*)", data.lstrip(b"\xef\xbb\xbf"))
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (
            declared and declared.group(1).lower().replace(b"-", b"") != b"utf8"
        ):
            raise Unsupported("its sheet is not written in UTF-8")
        first = True
        while True:
            if not first:
                data = self.member.read(PIECE_BYTES)
            first = False
            text = rest + data
            if not closing:
                found = _SHEET_DATA.search(text)
                if found is None:
                    if not data:
                        return
                    rest = text[-64:]
                    continue
                close = text.find(b">", found.end())
                if close < 0:
                    rest = text
                    continue
                if text[close - 1 : close] == b"/":
                    return
                prefix = found.group(1) or b""
                self.prefixed = bool(prefix)
                closing, end_tag = b"</" + prefix + b"row>", b"</" + prefix + b"sheetData"
                text = text[close + 1 :]
            end = text.find(end_tag)
            if end >= 0:
                if text[:end]:
                    yield _decode(text[:end])
                return
            if not data:
                raise Unsupported("its sheet ends before its last row")
            cut = text.rfind(closing)
            cut = cut + len(closing) if cut >= 0 else 0
            rest = text[cut:]
            if cut:
                yield _decode(text[:cut])


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unsupported(f"its sheet is not valid UTF-8 ({exc})") from None


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


class _ColumnCache(dict[str, int]):
    """Column letters → 0-based position, worked out once per spelling."""

    def __missing__(self, key: str) -> int:
        self[key] = value = _column(key)
        return value


_LETTERS = _ColumnCache()


def _fast(text: str, dated: bool) -> _Cells | None:
    """The piece's cells by the regex, or None when some ``<c`` is of another shape.

    The cyclic garbage collector is paused while the matches are made and unzipped: ~100,000
    tuples of strings, none in a cycle, would otherwise set it walking them again and again
    (a third of the time).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        found = _CELL.findall(text)
        if len(found) != text.count("<c") or "<!" in text or "<?" in text:
            return None
        if not found:
            return _Cells.empty()
        letters, digits, styles, types, values, preserve, inline = zip(*found, strict=True)
        del found
    finally:
        if collecting:
            gc.enable()
    n = len(digits)
    rows = pa.array(digits, pa.string()).cast(pa.int64()).to_numpy() - 1
    cols = np.fromiter(map(_LETTERS.__getitem__, letters), np.int64, n)
    kinds = np.fromiter(map(_TYPES.get, types, itertools.repeat(-1)), np.int8, n)
    if (kinds < 0).any():
        raise Unsupported(f"a cell has the type '{types[int(np.flatnonzero(kinds < 0)[0])]}'")
    raw = pa.array(values, pa.string())
    kinds[pc.binary_length(raw).to_numpy() == 0] = _EMPTY
    texts = pa.array(inline, pa.string())
    is_inline = pc.binary_length(texts).to_numpy() > 0
    keep = None
    if is_inline.any():
        kinds[is_inline] = _RAW_INLINE
        raw = pc.if_else(pa.array(is_inline), texts, raw)
        keep = np.fromiter(map(bool, preserve), bool, n)
    cells = _Cells(rows, cols, kinds, raw, styles if dated else None, keep)
    full = kinds != _EMPTY
    return cells if full.all() else _select(cells, np.flatnonzero(full))


def _select(cells: _Cells, sel: npt.NDArray[np.int64]) -> _Cells:
    styles = cells.styles
    return _Cells(
        cells.rows[sel], cells.cols[sel], cells.kinds[sel], cells.values.take(sel),
        None if styles is None else [styles[k] for k in sel.tolist()],
        None if cells.keep is None else cells.keep[sel],
    )  # fmt: skip


class _General:
    """calamine's walk of ``sheetData`` with expat: cells without ``r=`` are placed by the row
    and column counters it keeps (carried from piece to piece)."""

    def __init__(self) -> None:
        self.row = 0
        self.col = 0

    def cells(self, text: str) -> _Cells:
        rows: list[int] = []
        cols: list[int] = []
        kinds: list[int] = []
        styles: list[str] = []
        values: list[str] = []
        cell: dict[str, Any] = {}  # the open <c>
        child: dict[str, Any] = {}  # its open child (<v>, <f>, <is>) and what it collects
        depth = [0]

        def start(name: str, attrs: dict[str, str]) -> None:
            tag = _local(name)
            depth[0] += 1
            if child:
                if child["tag"] == "is":
                    _string_start(child, tag, attrs)
                return
            if cell:
                if tag not in ("v", "f", "is"):
                    raise Unsupported(f"a cell holds an element '{tag}'")
                child.update(tag=tag, depth=depth[0], text=[] if tag == "v" else None,
                             rich=None, phonetic=False, keep=False)  # fmt: skip
                return
            if tag == "row" and "r" in attrs:
                self.row = _row_number(attrs["r"])
            elif tag == "c":
                ref = attrs.get("r")
                if ref is None:
                    pos = (self.row, self.col)
                else:
                    pos = _ref(ref)
                    self.col = pos[1]
                cell.update(pos=pos, t=attrs.get("t"), s=attrs.get("s", ""), kind=_EMPTY,
                            value="", depth=depth[0])  # fmt: skip

        def end(name: str) -> None:
            tag = _local(name)
            level = depth[0]
            depth[0] -= 1
            if child:
                if level == child["depth"]:
                    _child_value(cell, child)
                    child.clear()
                elif child["tag"] == "is":
                    _string_end(child, tag)
                return
            if cell:
                if level == cell["depth"]:
                    if cell["kind"] != _EMPTY:
                        rows.append(cell["pos"][0])
                        cols.append(cell["pos"][1])
                        kinds.append(cell["kind"])
                        styles.append(cell["s"])
                        values.append(cell["value"])
                    self.col += 1
                    cell.clear()
                return
            if tag == "row":
                self.row += 1
                self.col = 0

        def chars(data: str) -> None:
            if child and child["text"] is not None:
                child["text"].append(data)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        try:
            parser.Parse(f"<sheetData>{text}</sheetData>", True)
        except expat.ExpatError as exc:
            raise Unsupported(f"its sheet's XML could not be read ({exc})") from None
        return _Cells(
            np.asarray(rows, np.int64), np.asarray(cols, np.int64),
            np.asarray(kinds, np.int8), pa.array(values, pa.string()), styles,
        )  # fmt: skip


def _child_value(cell: dict[str, Any], child: dict[str, Any]) -> None:
    """calamine's ``read_value``: the last child of a cell gives its value."""
    tag, t = child["tag"], cell["t"]
    if tag == "is":
        cell["kind"], cell["value"] = _TEXT, child["rich"] if child["rich"] is not None else ""
    elif tag == "f" or t in ("inlineStr", "is"):
        cell["kind"] = _EMPTY
    elif t in (None, "n", "s", "b", "e"):
        text = "".join(child["text"])
        cell["kind"], cell["value"] = (_TYPES[t or ""] if text else _EMPTY), text
    elif t in ("str", "d"):
        cell["kind"], cell["value"] = _TYPES[t], "".join(child["text"])
    else:
        raise Unsupported(f"a cell has the type '{t}'")


def _row_number(text: str) -> int:
    digits = text.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    if not digits.isdigit() or int(digits) < 1:
        raise Unsupported(f"a row has the reference '{text}'")
    return int(digits) - 1


def _ref(text: str) -> tuple[int, int]:
    letters = text.rstrip("0123456789")
    if not letters.isalpha() or not letters.isascii() or len(letters) == len(text):
        raise Unsupported(f"a cell has the reference '{text}'")
    return _row_number(text), _column(letters)


def _cells(
    book: Book, part: str, hidden: list[int] | None = None
) -> Iterator[tuple[_Cells, float]]:
    """The cells of the sheet part, a piece at a time; the rows Excel hides (a filter, or
    hidden by hand) are added to ``hidden`` (0-based, in sheet order)."""
    pieces = _Pieces(book.path, part)
    general = _General()
    dated = any(book.styles)
    try:
        for text in pieces:
            if hidden is not None and 'hidden="' in text:
                hidden.extend(_hidden_rows(text))
            found = None if pieces.prefixed else _fast(text, dated)
            if found is None:
                found = general.cells(text)
            else:
                _advance(general, text)
            yield found, pieces.done()
    finally:
        pieces.close()


#: A ``<row>`` start tag Excel marks hidden: how an autofilter hides the rows it filters out.
_HIDDEN_ROW = re.compile(r'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*\bhidden="(?:1|true)"[^>]*>')


def _hidden_rows(text: str) -> list[int]:
    """0-based rows of the hidden ``<row>`` tags of a piece that hold cells (not ``<row/>``)."""
    out = []
    for tag in _HIDDEN_ROW.finditer(text):
        number = re.search(r'\sr="([0-9]+)"', tag.group(0))
        if number and not tag.group(0).endswith("/>"):
            out.append(int(number.group(1)) - 1)
    return out


def _advance(general: _General, text: str) -> None:
    """Carry calamine's row counter over a piece read by the regex (for later cells without
    ``r=``): the last ``<row r=…>`` of the piece, plus one for its end."""
    general.col = 0
    at = text.rfind("<row")
    if at < 0:
        return
    found = re.match(r'<row\b[^>]*?\sr="([^"]*)"', text[at:])
    if found:
        general.row = _row_number(found.group(1)) + 1
    else:
        general.row += text.count("</row>") + len(re.findall(r"<row\b[^>]*/>", text))


# ----------------------------------------------------------------------------- conversion


def _inline(value: str, keep: bool) -> str:
    """An inline string read by the regex (">" and its raw text), as calamine reads it."""
    return _unescape(value[1:] if keep else value[1:].strip(_WS))


def _strings_of(book: Book, cells: _Cells, idx: npt.NDArray[np.int64]) -> list[str | None]:
    """fastexcel's "string" reading of the cells ``idx``, cell by cell (None: an error)."""
    out: list[str | None] = []
    values = cells.values.take(idx).to_pylist()
    kinds = cells.kinds[idx].tolist()
    keep = cells.keep[idx].tolist() if cells.keep is not None else [False] * len(idx)
    styles = cells.styles
    strings, formats, is_1904 = book.strings, book.styles, book.is_1904
    for j, k in enumerate(idx.tolist()):
        kind, value = kinds[j], values[j]
        if kind == _RAW_INLINE:
            out.append(_inline(value, keep[j]))
        elif kind == _NUM:
            number = parse_float(value)
            if number is None:
                out.append(value)
            elif styles is not None and _is_date(styles[k], formats):
                out.append(date_text(number, is_1904))
            else:
                out.append(float_text(number))
        elif kind == _SHARED:
            out.append(_shared(strings, value))
        elif kind in (_STR, _TEXT, _ISO):
            out.append(value)
        elif kind == _BOOL:
            out.append("false" if value == "0" else "true")
        else:
            out.append(None)
    return out


def _texts(book: Book, cells: _Cells, idx: npt.NDArray[np.int64]) -> pa.Array:
    """:func:`_strings_of` as an Arrow array, by Arrow's kernels where the cells allow."""
    kinds = cells.kinds[idx]
    if len(idx) and cells.keep is not None and (kinds == _RAW_INLINE).all():
        raw = pc.utf8_slice_codeunits(cells.values.take(idx), 1)
        keep = cells.keep[idx]
        trimmed = pc.utf8_trim(raw, _WS)
        out = raw if keep.all() else trimmed if not keep.any() else pc.if_else(keep, raw, trimmed)
        if pc.any(pc.match_substring(out, "_x00")).as_py():
            out = pa.array([_unescape(v) for v in out.to_pylist()], pa.string())
        return out
    if len(idx) and (kinds == _SHARED).all():
        numbers = cells.values.take(idx)
        if pc.all(pc.match_substring_regex(numbers, r"^[0-9]{1,18}$")).as_py():
            index = numbers.cast(pa.int64())
            if pc.max(index).as_py() < len(book.strings):
                return book.shared().take(index)
    if len(idx) and np.isin(kinds, (_STR, _TEXT)).all():
        return cells.values.take(idx)
    return pa.array(_strings_of(book, cells, idx), pa.string())


def _is_date(style: str, formats: Sequence[int]) -> bool:
    if not style or not formats:
        return False
    index = int(style) if style.isdigit() else 0
    return index < len(formats) and formats[index] != 0


def _shared(strings: Sequence[str], value: str) -> str:
    index = int(value) if value.isdigit() else 0
    if index >= len(strings):
        raise Unsupported(f"a cell names shared string {index}, which the workbook lacks")
    return strings[index]


def _floats_of(
    book: Book, cells: _Cells, idx: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """fastexcel's "float" reading of the cells ``idx``, and which of them are errors."""
    kinds = cells.kinds[idx]
    errors = np.zeros(len(idx), dtype=bool)
    styles = cells.styles
    if styles is not None:  # numbers in a date format are dates: errors in a float column
        errors = np.fromiter(
            (_is_date(styles[k], book.styles) for k in idx.tolist()), bool, len(idx)
        ) & (kinds == _NUM)
    if len(idx) and (kinds == _NUM).all() and not errors.any():
        raw = cells.values.take(idx)
        if pc.all(pc.match_substring_regex(raw, _PLAIN_NUMBER)).as_py():
            return raw.cast(pa.float64()).to_numpy(zero_copy_only=False), errors
    out = np.full(len(idx), np.nan)
    values = cells.values.take(idx).to_pylist()
    keep = cells.keep[idx].tolist() if cells.keep is not None else [False] * len(idx)
    strings = book.strings
    for j, kind in enumerate(kinds.tolist()):
        if errors[j]:
            continue
        value = values[j]
        if kind in (_NUM, _STR, _TEXT):
            number = parse_float(value)
        elif kind == _BOOL:
            number = 0.0 if value == "0" else 1.0
        elif kind == _SHARED:
            number = parse_float(_shared(strings, value))
        elif kind == _RAW_INLINE:
            number = parse_float(_inline(value, keep[j]))
        else:
            number = None
        if number is None:
            errors[j] = True
        else:
            out[j] = number
    return out, errors


@dataclass
class Origin:
    """Where fastexcel's rows and columns of the sheet start (0-based): with ``skip_rows`` given
    its rows count from the sheet's first, its columns from the leftmost with a value."""

    row: int
    col: int


@dataclass
class _Batch:
    """Rows from ``first`` on, converted piece by piece: position → [(rows, values, text)]."""

    first: int
    parts: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)


def first_rows(book: Book, sheet: str, count: int) -> tuple[list[list[str]], Origin]:
    """The first ``count`` rows of the sheet as text ("" for empty), as fastexcel's
    ``load_sheet(header_row=None, skip_rows=0, n_rows=count, dtypes="string")`` gives them:
    rows from the sheet's first, columns from the leftmost with a value (in these rows)."""
    part = book.sheets.get(sheet)
    if part is None:
        raise Unsupported(f"sheet '{sheet}' has no part in the workbook")
    grid: dict[int, dict[int, str]] = {}
    for cells, _ in _cells(book, part):
        if not len(cells.rows):
            continue
        keep = np.flatnonzero(cells.rows < count)
        texts = _strings_of(book, cells, keep)
        for k, text in zip(keep.tolist(), texts, strict=True):
            grid.setdefault(int(cells.rows[k]), {})[int(cells.cols[k])] = (
                "" if text is None else text
            )
        if int(cells.rows.max()) >= count:
            break
    if not grid:
        return [], Origin(0, 0)
    left = min(min(r) for r in grid.values())
    right = max(max(r) for r in grid.values())
    rows = [
        [grid.get(r, {}).get(c, "") for c in range(left, right + 1)]
        for r in range(min(max(grid) + 1, count))
    ]
    return rows, Origin(0, left)


def stream_columns(
    book: Book,
    sheet: str,
    origin: Origin,
    skip: int,
    kinds: Mapping[int, str],
    batch_rows: int | None = None,
    hidden: list[int] | None = None,
) -> Iterator[tuple[dict[int, pa.Array], dict[int, npt.NDArray[np.float64]], int, float]]:
    """The needed columns of the rows after the first ``skip`` of the sheet, in batches of
    ``batch_rows`` (None: one batch): (text columns, float columns, rows, share read).
    Hidden rows are added to ``hidden`` as the sheet is read (see :func:`_cells`).

    Columns follow ``_load_excel``: a "dim" is text; a number column is floats, with the text
    of its cells that are not numbers where a cell of the batch is an error. Each piece of the
    sheet is converted as it is read, so a batch holds its columns, not the sheet's XML.
    """
    part = book.sheets[sheet]
    wanted = {origin.col + i: i for i in kinds}
    first = origin.row + skip
    batch = _Batch(first)
    last = first - 1  # the last non-empty row seen
    done = 0.0
    size = BATCH_ROWS if batch_rows is None else batch_rows
    for cells, done in _cells(book, part, hidden):
        if not len(cells.rows):
            continue
        late = (cells.rows >= first) & (cells.rows < batch.first)
        if late.any():
            row = int(cells.rows[late].min()) + 1
            raise Unsupported(f"row {row} of the sheet comes after rows below it")
        last = max(last, int(cells.rows.max()))
        here = cells.rows >= batch.first
        for col, i in wanted.items():
            idx = np.flatnonzero(here & (cells.cols == col))
            if len(idx):
                batch.parts.setdefault(i, []).append(_convert(book, cells, idx, kinds[i] == "dim"))
        if batch_rows is not None and last + 1 - batch.first >= size:
            yield (*_emit(batch, last + 1, kinds), done)
            batch = _Batch(last + 1)
    if last + 1 > batch.first or batch_rows is None:
        yield (*_emit(batch, max(last + 1, batch.first), kinds), done)


def _convert(book: Book, cells: _Cells, idx: npt.NDArray[np.int64], dim: bool) -> tuple[Any, ...]:
    rows = cells.rows[idx]
    if dim:
        return rows, _texts(book, cells, idx), None
    values, errors = _floats_of(book, cells, idx)
    text = _texts(book, cells, idx) if errors.any() or np.isnan(values).any() else None
    return rows, values, errors.any(), text


def _emit(
    batch: _Batch, stop: int, kinds: Mapping[int, str]
) -> tuple[dict[int, pa.Array], dict[int, npt.NDArray[np.float64]], int]:
    n = stop - batch.first
    text: dict[int, pa.Array] = {}
    numbers: dict[int, npt.NDArray[np.float64]] = {}
    for i in kinds:
        parts = batch.parts.get(i, [])
        if kinds[i] == "dim":
            text[i] = _place([(p[0], p[1]) for p in parts], batch.first, n)
            continue
        floats = np.full(n, np.nan)
        for rows, values, *_ in parts:
            floats[rows - batch.first] = values
        numbers[i] = floats
        if any(p[2] for p in parts):  # the text of the cells that are not numbers
            texts = _place([(p[0], p[3]) for p in parts if p[3] is not None], batch.first, n)
            text[i] = pc.if_else(pa.array(np.isfinite(floats)), pa.scalar(None, pa.string()), texts)
    return text, numbers, n


def _place(parts: list[tuple[npt.NDArray[np.int64], pa.Array]], first: int, n: int) -> pa.Array:
    """Values at their rows (the last one where a row has two), None elsewhere."""
    if not parts:
        return pa.nulls(n, pa.string())
    rows = np.concatenate([p[0] for p in parts]) - first
    values = pa.concat_arrays([p[1] for p in parts])
    if len(rows) == n and (rows == np.arange(n)).all():
        return values
    at = np.full(n, -1, dtype=np.int64)
    at[rows] = np.arange(len(rows))
    return values.take(pa.array(at, mask=at < 0))
