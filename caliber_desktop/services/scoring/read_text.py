"""Read the needed columns of a CSV/TSV report, fast: a 1M-row file is normal.

Columns whose sample holds plain numbers are parsed by Arrow straight into floats, the rest are
read as text for ``numbers`` to parse a column at a time; ragged files fall back to the csv module
so row numbers stay true. Kept apart from ``read`` because this is where the time and memory of a
scoring run go, and it is tuned on its own.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.services.scoring import arrow_exit
from caliber_desktop.services.scoring.numbers import NULL_TOKENS, file_locale, locale_votes
from caliber_desktop.services.scoring.read_grid import (
    FloatArray,
    _Columns,
    _find_header,
    _Grid,
    _grid,
    _no_header,
)
from caliber_desktop.services.scoring.read_short import (
    ARROW_NULLS,
    PLAIN,
    has_fractions,
    last_lines,
    lines_are_rows,
    merged,
    short_columns,
)
from caliber_desktop.services.scoring.sniff import Sniffed

log = logging.getLogger(__name__)

#: Text read ahead to find the header and judge which columns hold plain numbers.
SAMPLE_CHARS = 1_000_000
#: Bytes of the file parsed per batch when it streams (~120k rows of a TTD export): big enough
#: that per-batch work is noise, small enough that a batch is a few tens of MB in memory.
BLOCK_BYTES = 16 << 20
#: Blocks Arrow may read beyond the batches handed on (see :class:`_Paced`).
READ_AHEAD = 2
_NULLS = frozenset(NULL_TOKENS)


def _scan_text(path: Path, sniffed: Sniffed, shown: str, override: Mapping[str, str]) -> _Grid:
    with path.open("r", encoding=sniffed.encoding or "utf-8", errors="replace", newline="") as fh:
        text = fh.read(SAMPLE_CHARS)
        complete = not fh.read(1)
    text = text.lstrip("\ufeff")
    if not complete:  # end the sample at a line break: LF, CRLF or a Mac CR-only file's CR
        text = text[: max(text.rfind("\n"), text.rfind("\r"), 0)]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniffed.delimiter or ","))
    found = _find_header(rows, shown, override)
    if found is None:
        raise _no_header(shown)
    return _grid(rows, found, None, shown)


def _plain(sample: Sequence[Sequence[str]], index: int) -> bool:
    """True when every sampled cell of a column is a plain number or empty (Arrow parses it)."""
    for row in sample:
        cell = row[index].strip() if index < len(row) else ""
        if cell.lower() not in _NULLS and not PLAIN.match(cell):
            return False
    return True


def _text_columns(grid: _Grid, kinds: Mapping[int, str]) -> set[int]:
    """Positions read as text: dimensions, and number columns whose sample is not plain
    numbers (or every number column of a file written with decimal commas)."""
    sample_votes = [
        locale_votes([r[i] for r in grid.sample if i < len(r)])
        for i, k in kinds.items()
        if k != "dim"
    ]
    eu_file = file_locale(sample_votes) == "eu"
    return {i for i, k in kinds.items() if k == "dim" or eu_file or not _plain(grid.sample, i)}


def _arrow_encoding(sniffed: Sniffed) -> str:
    encoding = sniffed.encoding or "utf-8"
    return "utf8" if encoding.replace("-", "").lower() in {"utf8", "utf8sig"} else encoding


def _options(
    sniffed: Sniffed,
    grid: _Grid,
    kinds: Mapping[int, str],
    as_text: set[int],
    on_invalid: Callable[[pacsv.InvalidRow], str],
    block_size: int | None = None,
) -> dict[str, Any]:
    """Arrow's read, parse and convert options for the needed columns of a text report."""
    width = max([len(grid.headers), *(len(r) for r in grid.sample[:2000])])
    names = [f"c{i}" for i in range(width)]
    return {
        "read_options": pacsv.ReadOptions(
            skip_rows=grid.header_row,
            column_names=names,
            encoding=_arrow_encoding(sniffed),
            use_threads=block_size is not None,
            **({"block_size": block_size} if block_size else {}),
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=sniffed.delimiter or ",",
            ignore_empty_lines=False,
            newlines_in_values=False,
            invalid_row_handler=on_invalid,
        ),
        "convert_options": pacsv.ConvertOptions(
            include_columns=[names[i] for i in sorted(kinds)],
            column_types={names[i]: pa.string() if i in as_text else pa.float64() for i in kinds},
            null_values=ARROW_NULLS,
            strings_can_be_null=False,
        ),
    }


class _Paced:
    """The report's file as Arrow's streaming reader sees it: never far ahead of the rows summed.

    Arrow's reader reads blocks on its I/O thread up to 32 ahead of the batches taken (pyarrow
    has no option for it, ARROW-12090), so a 5M-row report held ~650 MB of raw text before its
    first rows were summed, and a 1M-row one all of it. Here each read waits until fewer than
    ``ahead`` blocks are read beyond the batches the caller has :meth:`took`. A batch needs its
    own block and the next (to complete its last line), so ``ahead`` = 2 lets Arrow parse the
    next batch while this one is summed. Reads go straight to Arrow's own file (the GIL is
    released while it reads); only the wait is Python's, once a block. Arrow's threads calling
    in here, and the blocks they hold, are settled before the interpreter exits
    (:mod:`.arrow_exit`).
    """

    def __init__(self, raw: pa.NativeFile, ahead: int) -> None:
        self._raw, self._ahead = raw, max(ahead, 2)
        self._reads = self._taken = 0
        self._active = 0  # reads between their call and their return
        self._turn = threading.Condition()
        self.closed = False
        #: Waits that ran out (a reader needing more blocks per batch than thought): 0 in tests.
        self.waited_out = 0
        #: The most blocks read beyond the batches taken, for tests.
        self.most_ahead = 0
        arrow_exit.closing(self)

    def read(self, size: int = -1) -> npt.NDArray[np.uint8]:
        with self._turn:
            self._active += 1
        try:
            with self._turn:
                if not self._turn.wait_for(self._may_read, timeout=_PACE_TIMEOUT):
                    self.waited_out += 1  # read anyway: slower to free memory, never stuck
                if self.closed:  # the end of the file, as far as Arrow is concerned
                    return arrow_exit.lent(pa.py_buffer(b""))
                self._reads += 1
                self.most_ahead = max(self.most_ahead, self._reads - self._taken)
            # Arrow's own buffer, viewed: a 16 MB ``bytes`` would go through the C heap and
            # leave glibc mapping every later array up to that size from its heap
            return arrow_exit.lent(self._raw.read_buffer(size))
        finally:
            with self._turn:
                self._active -= 1
                self._turn.notify_all()

    def _may_read(self) -> bool:
        return self.closed or self._reads - self._taken < self._ahead

    def took(self) -> None:
        """One more batch is in the caller's hands: the reader may read one block further."""
        with self._turn:
            self._taken += 1
            self._turn.notify_all()

    def close(self) -> None:
        """The caller stopped (done, failed or cancelled): a waiting read returns at once, and
        every later one reads the end of the file."""
        with self._turn:
            self.closed = True
            self._turn.notify_all()

    def settle(self) -> bool:
        """Wait until no read is under way (after :meth:`close`); False if one outlived
        :data:`_PACE_TIMEOUT`."""
        with self._turn:
            return self._turn.wait_for(lambda: self._active == 0, timeout=_PACE_TIMEOUT)

    def readable(self) -> bool:
        return True


#: Seconds a read waits for the caller before it goes ahead anyway (see :class:`_Paced`).
_PACE_TIMEOUT = 5.0


class _NotStreamable(Exception):  # noqa: N818 (a reason, read by the caller)
    """A batch showed what the sample did not: the file must be read whole."""


def _stream_text(
    path: Path, sniffed: Sniffed, shown: str, grid: _Grid, kinds: Mapping[int, str]
) -> Iterator[tuple[_Columns, float]]:
    """The needed columns in blocks of :data:`BLOCK_BYTES`, with the share of the file read.

    Columns read as text are those :func:`_text_columns` chooses on the sample, as for a whole
    read. Arrow parses the next block on its own thread while this one's rows are summed. A row
    with fewer cells than the header, a plain number column with text further down, or a
    fraction in a count (``48.421`` meaning 48,421) stops the stream with
    :class:`_NotStreamable`: those need the whole column, as :func:`_load_text` reads it —
    except short rows that end the file (a footer such as "Report generated …"), which come as
    one more batch, read as the whole read reads them (:func:`_footer`).
    """
    ragged: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append(row)  # more than a footer's rows: Arrow stops (even before a first
        return "skip" if len(ragged) <= FOOTER_ROWS else "error"  # batch: all rows short)

    def failed(exc: pa.ArrowInvalid) -> _NotStreamable:
        if len(ragged) > FOOTER_ROWS:
            return _NotStreamable(f"{_row_named(ragged[0])} has fewer cells than the header")
        return _NotStreamable(_why(exc, kinds))

    size = max(path.stat().st_size, 1)
    as_text = _text_columns(grid, kinds)
    first, delivered = grid.header_row + 1, 0
    # Arrow's own file underneath, not a Python one: its read-ahead thread then reads without
    # waiting for the interpreter lock, which the summing of the previous block holds
    with pa.OSFile(str(path)) as raw:
        paced = _Paced(raw, READ_AHEAD)
        try:
            reader = pacsv.open_csv(
                paced, **_options(sniffed, grid, kinds, as_text, on_invalid, BLOCK_BYTES)
            )
        except pa.ArrowInvalid as exc:
            paced.close()  # no reader to take to its end: only reads under way to wait for
            paced.settle()
            raise failed(exc) from None
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    if ragged:  # Arrow skipped them: the file's last lines, or read it whole
                        yield _footer(path, sniffed, kinds, as_text, ragged, first), 1.0
                    return
                except pa.ArrowInvalid as exc:
                    raise failed(exc) from None
                paced.took()
                out = _Columns(
                    rows=np.arange(batch.num_rows, dtype=np.int64) + first, counts_checked=True
                )
                first += batch.num_rows
                for i in sorted(kinds):
                    column = batch.column(f"c{i}")
                    if i in as_text:
                        out.text[i] = column
                        continue
                    values = _float_view(column)
                    if kinds[i] == "whole" and has_fractions(values):
                        why = f"column {grid.headers[i]!r} has counts with a decimal point (1.234)"
                        raise _NotStreamable(why)
                    out.numbers[i] = values
                # Arrow parses one block per batch (and reads ahead on its own thread, so the
                # file's position runs ahead of the rows handed on): count the blocks delivered.
                delivered += BLOCK_BYTES
                yield out, min(delivered / size, 1.0)
        finally:
            paced.close()  # a read waiting for a batch nobody will take returns at once
            _wind_down(reader, paced)
            del reader


#: Short rows that may end a file and still let it stream (a footer is a few lines).
FOOTER_ROWS = 10


def _footer(
    path: Path,
    sniffed: Sniffed,
    kinds: Mapping[int, str],
    as_text: set[int],
    ragged: Sequence[pacsv.InvalidRow],
    first: int,
) -> _Columns:
    """The short rows Arrow skipped, as one last batch numbered from ``first``, when they are
    the file's last lines; otherwise :class:`_NotStreamable` (the whole read sorts them out).

    A one-cell "Report generated …" line under a 1M-row export used to make the whole file be
    read again as text: 19.6 s and 1.3 GB instead of 3.7 s and 369 MB. Its cells are read as the
    whole read reads a short row (:func:`~.read_short.short_columns`).
    """
    why = f"{_row_named(ragged[0])} has fewer cells than the header"
    texts = [row.text for row in ragged]
    if not last_lines(path, sniffed, texts):
        raise _NotStreamable(why)
    rows = range(first, first + len(texts))
    out = short_columns(texts, rows, sniffed.delimiter or ",", kinds, as_text)
    if out is None:
        raise _NotStreamable(why)
    return out


def _row_named(row: pacsv.InvalidRow) -> str:
    """A short row by its number, or by its text where Arrow, parsing blocks on several
    threads, does not know the number (``None``): a footer line says what it is."""
    if row.number is not None:
        return f"row {row.number}"
    text = row.text.strip()
    return f"the row {text[:60] + '…' if len(text) > 60 else text!r}"


def _wind_down(reader: pacsv.CSVStreamingReader, paced: _Paced) -> None:
    """Let Arrow's reader finish before the caller goes on, however it stopped.

    Arrow's threads call into Python to read (``paced``). One still reading, or about to, when
    the interpreter exits — a cancelled ``caliber score``, a closed window — is stopped there
    mid-call: the process aborted ("PyGILState_Release … finalizing") or hung in Arrow's thread
    pool shutdown. So the reader is taken to its end — ``paced`` is closed, every read returns
    the end of the file, and at most the blocks already read are parsed — and the last read
    is waited for.
    """
    for _ in range(READ_AHEAD + 2):  # the blocks already read, and the end
        try:
            reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowException:  # a block cut short: its rows are not wanted anyway
            break
    if not paced.settle():
        log.warning("Arrow's reader still reading %s s after it was stopped", _PACE_TIMEOUT)


def _why(exc: pa.ArrowInvalid, kinds: Mapping[int, str]) -> str:
    failed = re.search(r"CSV column #(\d+)", str(exc))
    if failed and int(failed.group(1)) in kinds:
        return f"a number column (#{int(failed.group(1)) + 1}) holds text further down the file"
    return f"Arrow could not read a block ({exc})"


def _load_text(
    path: Path, sniffed: Sniffed, shown: str, grid: _Grid, kinds: Mapping[int, str]
) -> _Columns:
    width = max([len(grid.headers), *(len(r) for r in grid.sample[:2000])])
    names = [f"c{i}" for i in range(width)]
    as_text = _text_columns(grid, kinds)
    while True:
        ragged: list[pacsv.InvalidRow] = []

        def on_invalid(row: pacsv.InvalidRow, ragged: list[pacsv.InvalidRow] = ragged) -> str:
            ragged.append(row)
            return "skip"

        try:
            table = pacsv.read_csv(path, **_options(sniffed, grid, kinds, as_text, on_invalid))
        except pa.ArrowInvalid as exc:
            failed = re.search(r"CSV column #(\d+)", str(exc))
            if failed and int(failed.group(1)) in kinds and int(failed.group(1)) not in as_text:
                as_text.add(int(failed.group(1)))
                continue
            raise FileRejectedError(shown, f"cannot be read as a table ({exc}).") from None
        short = None
        if ragged:
            short = _short_rows(path, sniffed, grid, kinds, as_text, ragged, table.num_rows)
            if short is None:
                return _load_text_slowly(path, sniffed, grid, kinds)
        rows = np.arange(table.num_rows + len(ragged), dtype=np.int64) + grid.header_row + 1
        if short is not None:
            rows = rows[~np.isin(rows, short.rows)]
        out = _Columns(rows=rows, counts_checked=True)
        columns = {i: table.column(names[i]) for i in kinds}
        del table  # each column's buffers are freed as soon as it is converted
        fractional = False
        for i in sorted(kinds):
            column = columns.pop(i)
            if i in as_text:
                out.text[i] = column
                continue
            values = _float_view(column)
            del column
            if kinds[i] == "whole" and has_fractions(values):
                as_text.add(i)  # "48.421" in an International export: read it as text
                fractional = True
            out.numbers[i] = values
        if not fractional:
            return out if short is None else merged(out, short)


def _short_rows(
    path: Path,
    sniffed: Sniffed,
    grid: _Grid,
    kinds: Mapping[int, str],
    as_text: set[int],
    ragged: Sequence[pacsv.InvalidRow],
    rows: int,
) -> _Columns | None:
    """The rows Arrow skipped (short ones, a cut-off line), read alone and numbered as Arrow
    numbers them, when those numbers are the file's rows (no quoted line breaks: one line per
    row); None otherwise (the csv module reads the file). See :mod:`.read_short`."""
    numbers = [row.number for row in ragged]
    if None in numbers or any("\n" in r.text or "\r" in r.text for r in ragged):
        return None
    if not lines_are_rows(path, sniffed, grid.header_row + rows + len(ragged)):
        return None
    texts = [row.text for row in ragged]
    found = [int(n) for n in numbers if n is not None]
    return short_columns(texts, found, sniffed.delimiter or ",", kinds, as_text)


def _float_view(column: pa.ChunkedArray | pa.Array) -> FloatArray:
    """A read-only float64 view of an Arrow column, copied at most once inside Arrow's pool.

    Converting chunk by chunk with numpy would allocate outside the pool that just freed the
    chunks, and a 1M-row read would peak at the table plus all its numbers again.
    """
    if isinstance(column, pa.ChunkedArray):
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    else:
        array = column
    if array.null_count:
        array = pc.fill_null(array, np.nan)
    return np.asarray(array.to_numpy(zero_copy_only=True), dtype=np.float64)


def _load_text_slowly(
    path: Path, sniffed: Sniffed, grid: _Grid, kinds: Mapping[int, str]
) -> _Columns:
    """Ragged rows (fewer cells than the header): the csv module, so row numbers stay true."""
    cells: dict[int, list[str]] = {i: [] for i in kinds}
    rows: list[int] = []
    with path.open("r", encoding=sniffed.encoding or "utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=sniffed.delimiter or ",")
        for number, record in enumerate(reader, start=1):
            if number <= grid.header_row:
                continue
            rows.append(number)
            for i, values in cells.items():
                values.append(record[i] if i < len(record) else "")
    return _Columns(
        rows=np.asarray(rows, dtype=np.int64),
        text={i: pa.array(v, type=pa.string()) for i, v in cells.items()},
    )
