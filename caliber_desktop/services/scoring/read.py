"""Read a report file into canonical columns: the first stage of scoring.

The file is identified by content (``sniff``), its header row found among the first rows, the
headers mapped (``headers``), and then only the mapped columns are read (``read_text``,
``read_excel``) — a 1M-row CSV is normal, and parsing plus memory dominate the whole scoring run.
Columns whose sample holds plain numbers are parsed by Arrow directly; the rest are read as text
and parsed here a column at a time (``numbers``). Nothing is dropped here except wholly blank rows:
totals and tail rows are the preprocess stage's business, and every row keeps its row number in the
file for messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from caliber_desktop.errors import FileRejectedError
from caliber_desktop.models.enums import FileFormat, Platform
from caliber_desktop.services.scoring.detect import detect
from caliber_desktop.services.scoring.headers import HeaderMap, map_headers
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    RATE_COUNTS,
    ColumnMapping,
    Detection,
    Issue,
    RawReport,
    UnreadableCells,
)
from caliber_desktop.services.scoring.numbers import (
    READ_AS_MISSING,
    DateOrder,
    Locale,
    ParsedColumn,
    Votes,
    column_locale,
    file_locale,
    fraction_issue,
    locale_votes,
    mixed_format_issue,
    parse_dates,
    parse_numbers,
    rate_scale,
    thousands_issue,
    unreadable_issue,
)
from caliber_desktop.services.scoring.pasted import pasted_issue, repeated_headers, without
from caliber_desktop.services.scoring.read_excel import (
    _load_xlsx,
    _scan_excel,
    _stream_excel,
    hidden_issue,
)
from caliber_desktop.services.scoring.read_grid import FloatArray, _Columns, _Grid
from caliber_desktop.services.scoring.read_text import (
    _load_text,
    _NotStreamable,
    _scan_text,
    _stream_text,
)
from caliber_desktop.services.scoring.sniff import Sniffed, sniff
from caliber_desktop.services.scoring.unused_columns import unused_column_warnings

if TYPE_CHECKING:
    import pandas as pd

NUMERIC: frozenset[str] = frozenset(COUNT_COLUMNS + RATE_COLUMNS)
#: Counts that are whole numbers: a fraction in one betrays ``48.421`` meaning 48,421.
WHOLE_COUNTS: frozenset[str] = frozenset(COUNT_COLUMNS) - {"spend", "revenue"}
#: Counts that may be fractions all the same: weighted conversions (TTD's custom CPA).
WEIGHTED_COUNTS: frozenset[str] = frozenset({"conversions"})
#: Rates given as percentages in some exports, with what recomputes them.
#: What becomes of a count's unreadable cells (the end of the reader's sentence about them).
ROWS_LEFT_OUT = (
    "those rows are left out of scoring and counted under 'with a count that is not a number'. "
    "Fix the cells in the file to score them."
)
PERCENT_RATES: dict[str, tuple[tuple[str, str], ...]] = {
    "ctr": (("clicks", "impressions"),),
    "vcr": (("completes", "starts"), ("completes", "impressions")),
    "viewability": (("viewed_imps", "tracked_imps"),),
}


def read_report(
    path: Path,
    *,
    display_name: str | None = None,
    platform: Platform | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
) -> RawReport:
    """Read ``path`` whole into a :class:`RawReport`; refuse what cannot be read clearly.

    For previews and tests: scoring reads through :func:`open_report`, whose batches never hold
    the whole file.
    """
    stream = open_report(
        path,
        display_name=display_name,
        platform=platform,
        mapping_override=mapping_override,
        kpi_pixels=kpi_pixels,
        default_kpi_pixel=default_kpi_pixel,
    )
    batch = next(iter(stream.batches(whole=True)))
    return RawReport(
        source=stream.source,
        frame=batch.frame,
        mapping=stream.mapping,
        detection=stream.detection,
        format=stream.format,
        header_row=stream.header_row,
        encoding=stream.encoding,
        delimiter=stream.delimiter,
        sheet_name=stream.sheet_name,
        issues=stream.issues,
        headers=stream.headers,
        unreadable=batch.unreadable,
        empty_rows=batch.empty_rows,
        empty_examples=batch.empty_examples,
        header_rows=batch.header_rows,
    )


@dataclass
class RowBatch:
    """Rows of a report as :class:`RawReport` holds them, for some rows of the file."""

    frame: pd.DataFrame
    unreadable: list[UnreadableCells]
    empty_rows: int = 0
    empty_examples: tuple[int, ...] = ()
    #: Share of the file read so far (0–1), for progress.
    done: float = 1.0
    #: Rows that repeat the header (see :mod:`.pasted`): not in ``frame``, counted.
    header_rows: tuple[int, ...] = ()


class ReadAgain(Exception):  # noqa: N818 (a request to the caller, not a failure)
    """A later batch showed the file cannot be read in batches (e.g. text in a number column).

    The caller starts over with ``batches(whole=True)``: the answer must not depend on where
    the batches fell. The reason is kept in :attr:`ReportStream.issues` for the analyst.
    """


@dataclass
class ReportStream:
    """A report whose header is read and mapped, ready to hand over its rows in batches.

    CSV/TSV files stream in blocks of :data:`~.read_text.BLOCK_BYTES`, XLSX sheets in batches of
    :data:`~.read_xlsx.BATCH_ROWS` rows; XLS files (and XLSX the streaming reader cannot read)
    are read whole (one batch) by fastexcel, which parses a whole sheet whatever is asked of it.
    """

    path: Path
    source: str
    mapping: ColumnMapping
    detection: Detection
    format: FileFormat
    header_row: int
    encoding: str | None
    delimiter: str | None
    sheet_name: str | None
    issues: list[Issue]
    headers: list[str]
    #: The canonical columns each batch's frame has (besides ``_row``).
    columns: list[str]
    streams: bool
    _sniffed: Sniffed
    _grid: _Grid
    _hmap: HeaderMap
    _position: dict[str, int]
    _kinds: dict[int, str]

    def batches(self, *, whole: bool = False) -> Iterator[RowBatch]:
        """The rows, in file order; ``whole`` reads the file as one batch.

        Raises :class:`ReadAgain` mid-way when a batch shows the file must be read whole.
        Notes found on the rows (number formats, text in number columns, percent scales, date
        order) are added to :attr:`issues` once, when the last batch is in.
        """
        if whole or not self.streams:
            yield self._whole()
            return
        decided = _Decisions()
        rows = 0
        hidden = [0, 0]  # rows Excel hides, the first of them
        try:
            for columns, done in (
                _stream_excel(self.path, self._grid, self._kinds, self.source)
                if self.format is FileFormat.XLSX
                else _stream_text(self.path, self._sniffed, self.source, self._grid, self._kinds)
            ):
                hidden = [hidden[0] + columns.hidden, hidden[1] or columns.first_hidden]
                if len(found := repeated_headers(columns, self._grid, self._kinds, self.source)):
                    # rows under it may copy rows above it: only the whole file can tell
                    raise _NotStreamable(f"row {columns.rows[found[0]]} repeats the header")
                frame, unreadable = _frame(
                    columns, self._hmap, self._position, self._grid, self.source, [], decided
                )
                frame, unreadable, empty = _drop_blank(frame, unreadable)
                rows += len(frame)
                yield RowBatch(
                    frame, unreadable, len(empty), tuple(int(r) for r in empty[:5]), done
                )
        except _NotStreamable as why:
            self.issues.append(
                Issue(
                    "read_whole",
                    f"{self.source}: read whole rather than in batches because {why}. Reading "
                    "takes memory in proportion to the file's size.",
                    severity="info",
                )
            )
            raise ReadAgain(str(why)) from None
        if not rows:
            raise self._no_rows()
        self.issues.extend(decided.issues(self.source, self._hmap, self._position))
        self._say_hidden(*hidden)

    def _say_hidden(self, rows: int, first: int) -> None:
        if rows:
            self.issues.append(hidden_issue(self.source, self.sheet_name, rows, first))

    def _whole(self) -> RowBatch:
        excel = self.format in (FileFormat.XLSX, FileFormat.XLS)
        if excel:
            columns = _load_xlsx(self.path, self._grid, self._kinds, self.source, self.issues)
        else:
            columns = _load_text(self.path, self._sniffed, self.source, self._grid, self._kinds)
        found = repeated_headers(columns, self._grid, self._kinds, self.source)
        headers = tuple(int(r) for r in columns.rows[found])
        if headers:
            columns = without(columns, found)
        frame, unreadable = _frame(
            columns, self._hmap, self._position, self._grid, self.source, self.issues
        )
        frame, unreadable, empty = _drop_blank(frame, unreadable)
        if frame.empty:
            raise self._no_rows()
        if headers:
            self.issues.append(pasted_issue(self.source, frame, headers))
        self._say_hidden(columns.hidden, columns.first_hidden)
        empties = tuple(int(r) for r in empty[:5])
        return RowBatch(frame, unreadable, len(empty), empties, header_rows=headers)

    def _no_rows(self) -> FileRejectedError:
        return FileRejectedError(
            self.source,
            f"has a header (row {self.header_row}) but no data rows.",
            hint="Export a report with a date range that has delivery.",
        )


def open_report(
    path: Path,
    *,
    display_name: str | None = None,
    platform: Platform | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
) -> ReportStream:
    """Identify ``path``, find and map its header; the rows come later from the stream."""
    shown = display_name or path.name
    sniffed = sniff(path, display_name=display_name)
    override = dict(mapping_override or {})
    excel = sniffed.format in (FileFormat.XLSX, FileFormat.XLS)
    grid = (
        _scan_excel(path, shown, override) if excel else _scan_text(path, sniffed, shown, override)
    )
    detection = detect(grid.headers, platform)
    chosen = platform or detection.platform or Platform.TRADE_DESK
    hmap = map_headers(
        grid.headers,
        source=shown,
        platform=chosen,
        channel=detection.channel,
        mapping_override=override,
        kpi_pixels=kpi_pixels,
        default_kpi_pixel=default_kpi_pixel,
    )
    issues = [*grid.issues, *hmap.issues]
    issues += unused_column_warnings(hmap.mapping, grid.headers, grid.sample, shown)
    if detection.platform is None:
        issues.append(
            Issue(
                "platform_unknown",
                f"{shown}: the columns do not say which platform exported the report; read as "
                f"{chosen.value}. Choose the platform if that is wrong.",
            )
        )
    position = {h: i for i, h in reversed(list(enumerate(grid.headers)))}
    kinds = _kinds(hmap, position)
    return ReportStream(
        path=path,
        source=shown,
        mapping=hmap.mapping,
        detection=detection,
        format=sniffed.format,
        header_row=grid.header_row,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        sheet_name=grid.sheet,
        issues=issues,
        headers=list(grid.headers),
        columns=list(hmap.sources),
        streams=not excel or grid.origin is not None,
        _sniffed=sniffed,
        _grid=grid,
        _hmap=hmap,
        _position=position,
        _kinds=kinds,
    )


def _kinds(hmap: HeaderMap, position: Mapping[str, int]) -> dict[int, str]:
    """position → "dim", "whole" (a count) or "number"."""
    kinds: dict[int, str] = {}
    for canonical, headers in hmap.sources.items():
        for header in headers:
            if canonical not in NUMERIC:
                kinds.setdefault(position[header], "dim")
            else:
                kinds[position[header]] = "whole" if canonical in WHOLE_COUNTS else "number"
    return kinds


# ----------------------------------------------------------------------------- the frame


def _drops_rows(canonical: str, hmap: HeaderMap) -> bool:
    """Whether an unreadable cell of ``canonical`` leaves its row out: counts always, a rate
    only where it stands in for a count the file lacks."""
    if canonical in COUNT_COLUMNS:
        return True
    count = RATE_COUNTS.get(canonical)
    return count is not None and count not in hmap.sources


@dataclass
class _Decisions:
    """What a streamed file's batches decided for the whole file, and what to say about it.

    A decision taken on the first batches must be the one the whole file gives: the number
    convention of each text number column (and the file's) is decided on the votes of all
    batches so far, and a batch that would change it stops the stream (the file is read whole).
    The notes are written once at the end, in the order a whole read writes them.
    """

    votes: dict[int, Votes] = field(default_factory=dict)
    hint: Locale | None = None
    locales: dict[int, Locale | None] | None = None
    whole: frozenset[int] = frozenset()  # positions of the count columns
    #: position → [unreadable cells, first row, its text, header, consequence]
    bad: dict[int, list[Any]] = field(default_factory=dict)
    #: position → [counts with a fraction, first row, its text, header]
    fractions: dict[int, list[Any]] = field(default_factory=dict)
    quoted: dict[int, int] = field(default_factory=dict)  # position → cells quoted so far
    #: rate → factor of its un-signed cells; rates whose cells so far all carried a % sign
    scales: dict[str, float] = field(default_factory=dict)
    signed_only: set[str] = field(default_factory=set)
    scale_notes: dict[str, tuple[Issue, int]] = field(default_factory=dict)
    dates: DateOrder = field(default_factory=DateOrder)
    rows: int = 0

    def locale_for(self, batch: Mapping[int, Votes], whole: frozenset[int]) -> Locale | None:
        """The file's hint with this batch's votes added; raises if a column's reading changed.

        Only European or not matters: a column with no separator at all (None) reads as US.
        ``whole``: the positions of count columns (see :func:`column_locale`).
        """
        self.whole = whole
        for i, v in batch.items():
            self.votes[i] = self.votes.get(i, Votes(0, 0, 0)) + v
        hint = file_locale(list(self.votes.values()))
        locales = {i: column_locale(v, hint, whole=i in whole) for i, v in self.votes.items()}
        european = {i for i, locale in locales.items() if locale == "eu"}
        if self.locales is not None and european != {
            i for i, locale in self.locales.items() if locale == "eu"
        }:
            raise _NotStreamable(
                "the number format of a column (1,234.5 or 1.234,5) only becomes clear further "
                "down the file"
            )
        self.hint, self.locales = hint, locales
        return hint

    def note_bad(
        self, i: int, found: ParsedColumn, cells: pa.Array, rows: npt.NDArray[np.int64],
        header: str, consequence: str,
    ) -> None:  # fmt: skip
        if found.bad is None:
            return
        if i not in self.bad:
            first = int(np.flatnonzero(found.bad)[0])
            self.bad[i] = [0, int(rows[first]), cells[first].as_py(), header, consequence]
        self.bad[i][0] += int(found.bad.sum())

    def note_fractions(
        self, i: int, fractions: npt.NDArray[np.bool_], cells: pa.Array | None,
        values: FloatArray, rows: npt.NDArray[np.int64], header: str,
    ) -> None:  # fmt: skip
        if i not in self.fractions:
            first = int(np.flatnonzero(fractions)[0])
            self.fractions[i] = [0, int(rows[first]), _cell(cells, values, first), header]
        self.fractions[i][0] += int(fractions.sum())

    def issues(self, shown: str, hmap: HeaderMap, position: Mapping[str, int]) -> list[Issue]:
        """The notes of the whole file, in the order :func:`_frame` writes them for one read."""
        out: list[Issue] = []
        seen: set[int] = set()
        for headers in hmap.sources.values():
            for header in headers:
                i = position[header]
                if i in seen or (i not in self.votes and i not in self.fractions):
                    continue  # a column of numbers only (Arrow's, Excel's): nothing to say
                seen.add(i)
                locale = (self.locales or {}).get(i)
                votes = self.votes.get(i, Votes(0, 0, 0))
                if mixed := mixed_format_issue(shown, header, votes, locale):
                    out.append(mixed)
                if told := thousands_issue(shown, header, votes, self.hint, i in self.whole):
                    out.append(told)
                if i in self.bad:
                    cells, row, text, name, consequence = self.bad[i]
                    out.append(unreadable_issue(shown, name, cells, row, text, consequence))
                if i in self.fractions:
                    cells, row, text, name = self.fractions[i]
                    out.append(fraction_issue(shown, name, cells, row, text))
        for issue, rows in self.scale_notes.values():
            if 0 <= rows < self.rows:  # a scale decided before the last batch: say on what
                issue = dataclasses.replace(
                    issue, message=f"{issue.message[:-1]}, judged on its first {rows:,} rows."
                )
            out.append(issue)
        if note := self.dates.note():
            out.append(_date_issue(shown, hmap, note))
        return out


def _date_issue(shown: str, hmap: HeaderMap, note: str) -> Issue:
    return Issue(
        "date_order",
        f"{shown}: dates were read as {note}. Check the dates if the export used day/month/year.",
        column=hmap.sources["date"][0],
        severity="info",
    )


def _frame(
    columns: _Columns,
    hmap: HeaderMap,
    position: Mapping[str, int],
    grid: _Grid,
    shown: str,
    issues: list[Issue],
    decided: _Decisions | None = None,
) -> tuple[pd.DataFrame, list[UnreadableCells]]:
    """The canonical columns of ``columns`` (one batch, or the whole file when ``decided`` is
    None); notes go to ``issues`` for a whole read, to ``decided`` for a streamed one."""
    import pandas as pd

    rows = columns.rows
    numeric = {position[h] for c, hs in hmap.sources.items() if c in NUMERIC for h in hs}
    whole = frozenset(
        position[h] for c, hs in hmap.sources.items() if c in WHOLE_COUNTS for h in hs
    )
    votes = {i: locale_votes(a) for i, a in columns.text.items() if i in numeric}
    if any(v.ambiguous_dot for i, v in votes.items() if i in whole):
        # "82.644" in a count: Arrow's fractions (194.58) prove '.' a decimal point
        for i, values in columns.numbers.items():
            if i in numeric and i not in votes:
                votes[i] = Votes(int(np.count_nonzero(_fractional(values))), 0, 0)
    if decided is None:
        hint: Locale | None = file_locale(list(votes.values()))
    else:
        hint = decided.locale_for(votes, whole)
        decided.rows += len(rows)
    parsed: dict[int, ParsedColumn] = {}
    data: dict[str, object] = {}
    unreadable: list[UnreadableCells] = []
    for canonical, headers in hmap.sources.items():
        if canonical not in NUMERIC:
            values = columns.text[position[headers[0]]]
            data[canonical] = pd.Series(values.to_pandas(), dtype="str").fillna("")
            continue
        drops = _drops_rows(canonical, hmap)
        parts: list[FloatArray] = []
        for header in headers:
            i = position[header]
            if i not in parsed:
                chosen = False if decided is None else (decided.locales or {}).get(i)
                parsed[i] = _number_column(
                    columns, i, header, shown, rows, hint, issues, drops, chosen, i in whole
                )
                found = parsed[i]
                if decided is not None:
                    consequence = ROWS_LEFT_OUT if drops else READ_AS_MISSING
                    decided.note_bad(i, found, columns.text.get(i), rows, header, consequence)
                checked = i in columns.text or not columns.counts_checked
                if i in whole and checked and canonical not in WEIGHTED_COUNTS:
                    cells = columns.text.get(i)
                    _fractions(found.values, cells, rows, header, shown, issues, decided, i)
                if drops and found.bad is not None:
                    # the file's first five unreadable cells of the column, however batched
                    limit = 5 if decided is None else 5 - decided.quoted.get(i, 0)
                    examples = found.bad_examples(columns.text[i], rows, max(limit, 0))
                    if decided is not None:
                        decided.quoted[i] = decided.quoted.get(i, 0) + len(examples)
                    unreadable.append(
                        UnreadableCells(canonical, header, found.bad, tuple(examples))
                    )
            parts.append(parsed[i].values)
        data[canonical] = parts[0] if len(parts) == 1 else _sum_present(parts)
    for canonical, ratios in PERCENT_RATES.items():
        if canonical in data:
            header = hmap.sources[canonical][0]
            mask = parsed[position[header]].percent
            if decided is None:
                data[canonical], _ = _scale_rate(
                    canonical, header, data, mask, ratios, shown, issues
                )
            else:
                data[canonical] = _scale_streamed(
                    canonical, header, data, mask, ratios, shown, decided
                )
    frame = pd.DataFrame(data, copy=False)
    if "date" in frame:
        frame["date"], note = parse_dates(frame["date"], None if decided is None else decided.dates)
        if note and decided is None:
            issues.append(_date_issue(shown, hmap, note))
    frame["_row"] = rows
    return frame, unreadable


def _fractions(
    values: FloatArray,
    cells: pa.Array | None,
    rows: npt.NDArray[np.int64],
    header: str,
    shown: str,
    issues: list[Issue],
    decided: _Decisions | None,
    i: int,
) -> None:
    """Say a count column's cells that read as fractions (``fraction_in_count``)."""
    fractions = _fractional(values)
    if not fractions.any():
        return
    if decided is not None:
        decided.note_fractions(i, fractions, cells, values, rows, header)
        return
    first = int(np.flatnonzero(fractions)[0])
    count, row, text = int(fractions.sum()), int(rows[first]), _cell(cells, values, first)
    issues.append(fraction_issue(shown, header, count, row, text))


def _fractional(values: FloatArray) -> npt.NDArray[np.bool_]:
    """The values that are numbers with a fractional part (not NaN, not whole)."""
    with np.errstate(invalid="ignore"):
        out: npt.NDArray[np.bool_] = np.isfinite(values) & (values != np.floor(values))
    return out


def _cell(cells: pa.Array | None, values: FloatArray, i: int) -> object:
    """Cell ``i`` as the file wrote it: its text, or an Excel number as a number."""
    text = None if cells is None else cells[i].as_py()
    return values[i].item() if text is None else text


def _scale_streamed(
    canonical: str,
    header: str,
    data: Mapping[str, object],
    signed: npt.NDArray[np.bool_],
    ratios: Sequence[tuple[str, str]],
    shown: str,
    decided: _Decisions,
) -> FloatArray:
    """:func:`_scale_rate` for one batch of a streamed file: the first batch with un-signed
    cells decides the factor for all; cells with a % sign are fractions already."""
    values = np.asarray(data[canonical], dtype=np.float64)
    unsigned = ~signed & np.isfinite(values)
    if canonical in decided.scales:
        out: FloatArray = np.where(unsigned, values * decided.scales[canonical], values)
        return out
    if canonical in decided.signed_only and unsigned.any():
        raise _NotStreamable(f"column '{header}' has rates without a % sign further down")
    notes: list[Issue] = []
    scaled, factor = _scale_rate(canonical, header, data, signed, ratios, shown, notes)
    if factor is not None:
        decided.scales[canonical] = factor
        decided.scale_notes[canonical] = (notes[0], decided.rows)
    elif notes:
        decided.signed_only.add(canonical)
        decided.scale_notes.setdefault(canonical, (notes[0], -1))
    return scaled


def _sum_present(parts: Sequence[FloatArray]) -> FloatArray:
    """Cell-wise sum where missing counts as 0 unless every part is missing."""
    stacked = np.vstack(parts)
    total: FloatArray = np.nansum(stacked, axis=0)
    total[np.all(np.isnan(stacked), axis=0)] = np.nan
    return total


def _number_column(
    columns: _Columns,
    i: int,
    header: str,
    shown: str,
    rows: npt.NDArray[np.int64],
    hint: Locale | None,
    issues: list[Issue],
    drops: bool,
    decided: Locale | Literal[False] | None = False,
    whole: bool = False,
) -> ParsedColumn:
    numbers = columns.numbers.get(i)
    text = columns.text.get(i)
    if text is None:
        assert numbers is not None
        return ParsedColumn(numbers, None, np.zeros(len(numbers), dtype=bool))
    result = parse_numbers(
        text,
        header=header,
        source=shown,
        rows=rows,
        locale_hint=hint,
        decided=decided,
        whole=whole,
        **({"consequence": ROWS_LEFT_OUT} if drops else {}),
    )
    issues.extend(result.issues)
    if numbers is None:
        return result
    merged = np.where(np.isfinite(numbers), numbers, result.values)
    bad = None if result.bad is None else result.bad & ~np.isfinite(numbers)
    return ParsedColumn(merged, result.locale, result.percent, result.issues, bad)


def _scale_rate(
    canonical: str,
    header: str,
    data: Mapping[str, object],
    signed: npt.NDArray[np.bool_],
    ratios: Sequence[tuple[str, str]],
    shown: str,
    issues: list[Issue],
) -> tuple[FloatArray, float | None]:
    """The rate as fractions, and the factor its un-signed cells took (None: no such cell)."""
    values = np.asarray(data[canonical], dtype=np.float64).copy()
    unsigned = ~signed & np.isfinite(values)
    if not unsigned.any():
        if signed.any():
            issues.append(_scale_issue(shown, header, "its values carry a % sign"))
        return values, None
    expected = None
    for numerator, denominator in ratios:
        if numerator in data and denominator in data:
            with np.errstate(divide="ignore", invalid="ignore"):
                num = np.asarray(data[numerator], dtype=np.float64)
                expected = num / np.asarray(data[denominator], dtype=np.float64)
            break
    factor, why = rate_scale(
        values[unsigned], header=header, expected=None if expected is None else expected[unsigned]
    )
    values[unsigned] *= factor
    issues.append(_scale_issue(shown, header, why, factor == 1.0))
    return values, factor


def _scale_issue(shown: str, header: str, why: str, fraction: bool = False) -> Issue:
    scale = "fractions (0.0123 = 1.23 %)" if fraction else "percentages (1.23 = 1.23 %)"
    return Issue(
        "percent_scale",
        f"{shown}: column '{header}' was read as {scale} because {why}.",
        column=header,
        severity="info",
    )


def _drop_blank(
    frame: pd.DataFrame, unreadable: list[UnreadableCells]
) -> tuple[pd.DataFrame, list[UnreadableCells], npt.NDArray[np.int64]]:
    """Wholly blank rows (``,,,`` or an empty line) leave the frame; their row numbers are
    returned so they are counted. A cell with unreadable text is not blank."""
    blank = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        if name == "_row":
            continue
        column = frame[name]
        blank &= (column == "").to_numpy() if column.dtype == "str" else column.isna().to_numpy()
    for cells in unreadable:
        blank &= ~cells.mask
    if not blank.any():
        return frame, unreadable, np.zeros(0, dtype=np.int64)
    empty = frame["_row"].to_numpy(dtype=np.int64)[blank]
    frame = frame.loc[~blank].reset_index(drop=True)
    kept = [UnreadableCells(c.canonical, c.header, c.mask[~blank], c.examples) for c in unreadable]
    return frame, kept, empty
