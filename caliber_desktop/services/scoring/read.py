"""Read a report file into canonical columns: the first stage of scoring.

The file is identified by content (``sniff``), its header row found among the first rows, the
headers mapped (``headers``), and then only the mapped columns are read — a 1M-row CSV is normal,
and parsing plus memory dominate the whole scoring run. Columns whose sample holds plain numbers
are parsed by Arrow directly; the rest are read as text and parsed a column at a time
(``numbers``). Nothing is dropped here except wholly blank rows: totals and tail rows are the
preprocess stage's business, and every row keeps its row number in the file for messages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from caliber_desktop.errors import FileRejectedError, ValidationError
from caliber_desktop.models.enums import FileFormat, Platform
from caliber_desktop.services.scoring.headers import (
    MIN_KNOWN_HEADERS,
    HeaderMap,
    detect,
    known_header_count,
    map_headers,
)
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    RATE_COLUMNS,
    Issue,
    RawReport,
)
from caliber_desktop.services.scoring.numbers import (
    NULL_TOKENS,
    Locale,
    Votes,
    file_locale,
    locale_votes,
    parse_dates,
    parse_numbers,
    rate_scale,
)
from caliber_desktop.services.sniff import EXPORT_AGAIN, Sniffed, sniff

#: The header is the first row, within these, with enough known column names.
HEADER_SCAN_ROWS = 20
#: Text read ahead to find the header and judge which columns hold plain numbers.
SAMPLE_CHARS = 1_000_000
NUMERIC: frozenset[str] = frozenset(COUNT_COLUMNS + RATE_COLUMNS)
#: Counts that are whole numbers: a fraction in one betrays ``48.421`` meaning 48,421.
WHOLE_COUNTS: frozenset[str] = frozenset(COUNT_COLUMNS) - {"spend", "revenue"}
#: Rates given as percentages in some exports, with what recomputes them.
PERCENT_RATES: dict[str, tuple[tuple[str, str], ...]] = {
    "ctr": (("clicks", "impressions"),),
    "vcr": (("completes", "starts"), ("completes", "impressions")),
    "viewability": (("viewed_imps", "tracked_imps"),),
}
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NULLS = frozenset(NULL_TOKENS)
FloatArray = npt.NDArray[np.float64]


@dataclass
class _Columns:
    """What a format reader hands back: the needed columns, keyed by position in the header."""

    rows: npt.NDArray[np.int64]
    text: dict[int, pa.Array] = field(default_factory=dict)
    numbers: dict[int, FloatArray] = field(default_factory=dict)
    #: Positions of cells already parsed (Excel numeric cells) inside a text column.
    percent: dict[int, npt.NDArray[np.bool_]] = field(default_factory=dict)


@dataclass
class _Grid:
    headers: list[str]
    header_row: int  # 1-based
    sample: list[list[str]]  # data rows after the header, for format decisions
    sheet: str | None = None
    issues: list[Issue] = field(default_factory=list)


def read_report(
    path: Path,
    *,
    display_name: str | None = None,
    platform: Platform | None = None,
    mapping_override: Mapping[str, str] | None = None,
    kpi_pixels: Sequence[str] | None = None,
    default_kpi_pixel: str = "01",
) -> RawReport:
    """Read ``path`` into a :class:`RawReport`; refuse what cannot be read with a clear error."""
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
    if excel:
        columns = _load_excel(path, grid, kinds)
    else:
        columns = _load_text(path, sniffed, shown, grid, kinds)
    frame = _frame(columns, hmap, position, grid, shown, issues)
    if frame.empty:
        raise FileRejectedError(
            shown,
            f"has a header (row {grid.header_row}) but no data rows.",
            hint="Export a report with a date range that has delivery.",
        )
    return RawReport(
        source=shown,
        frame=frame,
        mapping=hmap.mapping,
        detection=detection,
        format=sniffed.format,
        header_row=grid.header_row,
        encoding=sniffed.encoding,
        delimiter=sniffed.delimiter,
        sheet_name=grid.sheet,
        issues=issues,
        headers=list(grid.headers),
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


# ----------------------------------------------------------------------------- header row


def _find_header(
    rows: Sequence[Sequence[str]], shown: str, override: Mapping[str, str], where: str = ""
) -> tuple[int, int] | None:
    """(index, known cells) of the header among ``rows``, or None."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        known = known_header_count(row, tuple(override.values()))
        if known >= MIN_KNOWN_HEADERS or (override and known >= len(set(override.values()))):
            return index, known
    return None


def _no_header(shown: str) -> ValidationError:
    return ValidationError(
        f"{shown}: no header row found in the first {HEADER_SCAN_ROWS} rows (a header has at "
        "least 3 known column names such as Site, Impressions and Advertiser Cost).",
        hint="Check it is a performance report from The Trade Desk or PulsePoint, or map its "
        "columns by hand. " + EXPORT_AGAIN,
    )


def _grid(rows: list[list[str]], found: tuple[int, int], sheet: str | None, shown: str) -> _Grid:
    index = found[0]
    headers = [str(h).strip() for h in rows[index]]
    while headers and not headers[-1]:
        headers.pop()  # empty trailing columns
    issues: list[Issue] = []
    if index:
        issues.append(
            Issue(
                "preamble_skipped",
                f"{shown}: the header is row {index + 1}"
                + (f" of sheet '{sheet}'" if sheet else "")
                + f"; the {index} row(s) above it (report title, dates) were skipped.",
                row=index + 1,
                severity="info",
            )
        )
    return _Grid(headers, index + 1, rows[index + 1 :], sheet, issues)


def _scan_text(path: Path, sniffed: Sniffed, shown: str, override: Mapping[str, str]) -> _Grid:
    with path.open("r", encoding=sniffed.encoding or "utf-8", errors="replace", newline="") as fh:
        text = fh.read(SAMPLE_CHARS)
        complete = not fh.read(1)
    text = text.lstrip("\ufeff")
    if not complete:
        text = text[: max(text.rfind("\n"), 0)]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniffed.delimiter or ","))
    found = _find_header(rows, shown, override)
    if found is None:
        raise _no_header(shown)
    return _grid(rows, found, None, shown)


# ----------------------------------------------------------------------------- text files


def _plain(sample: Sequence[Sequence[str]], index: int) -> bool:
    """True when every sampled cell of a column is a plain number or empty (Arrow parses it)."""
    for row in sample:
        cell = row[index].strip() if index < len(row) else ""
        if cell.lower() not in _NULLS and not _PLAIN.match(cell):
            return False
    return True


def _load_text(
    path: Path, sniffed: Sniffed, shown: str, grid: _Grid, kinds: Mapping[int, str]
) -> _Columns:
    width = max([len(grid.headers), *(len(r) for r in grid.sample[:2000])])
    names = [f"c{i}" for i in range(width)]
    sample_votes = [
        locale_votes([r[i] for r in grid.sample if i < len(r)])
        for i, k in kinds.items()
        if k != "dim"
    ]
    eu_file = file_locale(sample_votes) == "eu"
    as_text = {i for i, k in kinds.items() if k == "dim" or eu_file or not _plain(grid.sample, i)}
    encoding = sniffed.encoding or "utf-8"
    encoding = "utf8" if encoding.replace("-", "").lower() in {"utf8", "utf8sig"} else encoding
    while True:
        ragged: list[int] = []

        def on_invalid(row: pacsv.InvalidRow, ragged: list[int] = ragged) -> str:
            ragged.append(row.number)
            return "skip"

        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(
                    skip_rows=grid.header_row,
                    column_names=names,
                    encoding=encoding,
                    use_threads=False,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=sniffed.delimiter or ",",
                    ignore_empty_lines=False,
                    newlines_in_values=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=[names[i] for i in sorted(kinds)],
                    column_types={
                        names[i]: pa.string() if i in as_text else pa.float64() for i in kinds
                    },
                    null_values=list(NULL_TOKENS),
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            failed = re.search(r"CSV column #(\d+)", str(exc))
            if failed and int(failed.group(1)) in kinds and int(failed.group(1)) not in as_text:
                as_text.add(int(failed.group(1)))
                continue
            raise FileRejectedError(shown, f"cannot be read as a table ({exc}).") from None
        if ragged:
            return _load_text_slowly(path, sniffed, grid, kinds)
        out = _Columns(rows=np.arange(table.num_rows, dtype=np.int64) + grid.header_row + 1)
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
            if kinds[i] == "whole" and _has_fractions(values):
                as_text.add(i)  # "48.421" in an International export: read it as text
                fractional = True
            out.numbers[i] = values
        if not fractional:
            return out


def _float_view(column: pa.ChunkedArray) -> FloatArray:
    """A read-only float64 view of an Arrow column, copied at most once inside Arrow's pool.

    Converting chunk by chunk with numpy would allocate outside the pool that just freed the
    chunks, and a 1M-row read would peak at the table plus all its numbers again.
    """
    array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    if array.null_count:
        array = pc.fill_null(array, np.nan)
    return np.asarray(array.to_numpy(zero_copy_only=True), dtype=np.float64)


def _has_fractions(values: FloatArray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.any(np.abs(values - np.rint(values)) > 0))


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


# ----------------------------------------------------------------------------- workbooks


def _scan_excel(path: Path, shown: str, override: Mapping[str, str]) -> _Grid:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path.read_bytes())
        best: tuple[int, str, list[list[str]], tuple[int, int]] | None = None
        for sheet in reader.sheet_names:
            batch = reader.load_sheet(
                sheet, header_row=None, skip_rows=0, n_rows=HEADER_SCAN_ROWS + 200, dtypes="string"
            ).to_arrow()
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            rows = [
                ["" if c[r] is None else str(c[r]) for c in columns] for r in range(batch.num_rows)
            ]
            found = _find_header(rows, shown, override)
            if found is not None and (best is None or found[1] > best[0]):
                best = (found[1], sheet, rows, found)
    except (fastexcel.FastExcelError, OSError) as exc:
        raise FileRejectedError(shown, f"is a workbook Caliber cannot read ({exc}).") from None
    if best is None:
        raise _no_header(shown)
    _, sheet, rows, found = best
    grid = _grid(rows, found, sheet, shown)
    if len(reader.sheet_names) > 1:
        others = ", ".join(f"'{s}'" for s in reader.sheet_names if s != sheet)
        grid.issues.insert(
            0,
            Issue(
                "sheet_chosen",
                f"{shown}: read sheet '{sheet}', whose header matches best (also in the file: "
                f"{others}).",
                severity="info",
            ),
        )
    return grid


def _load_excel(path: Path, grid: _Grid, kinds: Mapping[int, str]) -> _Columns:
    import fastexcel

    reader = fastexcel.read_excel(path.read_bytes())
    wanted = sorted(kinds)
    dtypes: dict[str | int, fastexcel.DType] = {
        i: "string" if kinds[i] == "dim" else "float" for i in wanted
    }
    sheet = reader.load_sheet(
        grid.sheet or 0, header_row=None, skip_rows=grid.header_row, use_columns=wanted,
        dtypes=dtypes,
    )  # fmt: skip
    batch, errors = sheet.to_arrow_with_errors()
    out = _Columns(rows=np.arange(batch.num_rows, dtype=np.int64) + grid.header_row + 1)
    texty = {pos[1] for pos in (e.position for e in errors.errors)} if errors else set()
    text_batch = None
    if texty:  # numeric columns with text cells: read those as text too, parse the text cells
        text_batch = reader.load_sheet(
            grid.sheet or 0, header_row=None, skip_rows=grid.header_row,
            use_columns=sorted(texty), dtypes="string",
        ).to_arrow()  # fmt: skip
    for k, i in enumerate(wanted):
        column = batch.column(k)
        if kinds[i] == "dim":
            out.text[i] = column
            continue
        values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
        out.numbers[i] = values
        if text_batch is not None and i in texty:
            text = text_batch.column(sorted(texty).index(i))
            # Numeric cells were parsed exactly as floats; only the others go through text.
            keep = np.isfinite(values)
            text_values = np.asarray(text.to_pylist(), dtype=object)
            text_values[keep] = None
            out.text[i] = pa.array(text_values.tolist(), type=pa.string())
    return out


# ----------------------------------------------------------------------------- the frame


def _frame(
    columns: _Columns,
    hmap: HeaderMap,
    position: Mapping[str, int],
    grid: _Grid,
    shown: str,
    issues: list[Issue],
) -> pd.DataFrame:
    rows = columns.rows
    numeric = {position[h] for c, hs in hmap.sources.items() if c in NUMERIC for h in hs}
    votes: list[Votes] = [locale_votes(a) for i, a in columns.text.items() if i in numeric]
    hint: Locale | None = file_locale(votes)
    parsed: dict[int, FloatArray] = {}
    percent: dict[int, npt.NDArray[np.bool_]] = {}
    data: dict[str, object] = {}
    for canonical, headers in hmap.sources.items():
        if canonical not in NUMERIC:
            values = columns.text[position[headers[0]]]
            data[canonical] = pd.Series(values.to_pandas(), dtype="str").fillna("")
            continue
        parts: list[FloatArray] = []
        for header in headers:
            i = position[header]
            if i not in parsed:
                parsed[i], percent[i] = _number_column(
                    columns, i, header, shown, rows, hint, issues
                )
            parts.append(parsed[i])
        data[canonical] = parts[0] if len(parts) == 1 else _sum_present(parts)
    for canonical, ratios in PERCENT_RATES.items():
        if canonical in data:
            header = hmap.sources[canonical][0]
            mask = percent[position[header]]
            data[canonical] = _scale_rate(canonical, header, data, mask, ratios, shown, issues)
    frame = pd.DataFrame(data, copy=False)
    if "date" in frame:
        frame["date"], note = parse_dates(frame["date"])
        if note:
            issues.append(
                Issue(
                    "date_order",
                    f"{shown}: dates were read as {note}. Check the dates if the export used "
                    "day/month/year.",
                    column=hmap.sources["date"][0],
                    severity="info",
                )
            )
    frame["_row"] = rows
    return _drop_blank(frame)


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
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    numbers = columns.numbers.get(i)
    text = columns.text.get(i)
    if text is None:
        assert numbers is not None
        return numbers, np.zeros(len(numbers), dtype=bool)
    result = parse_numbers(text, header=header, source=shown, rows=rows, locale_hint=hint)
    issues.extend(result.issues)
    if numbers is None:
        return result.values, result.percent
    merged = np.where(np.isfinite(numbers), numbers, result.values)
    return merged, result.percent


def _scale_rate(
    canonical: str,
    header: str,
    data: Mapping[str, object],
    signed: npt.NDArray[np.bool_],
    ratios: Sequence[tuple[str, str]],
    shown: str,
    issues: list[Issue],
) -> FloatArray:
    values = np.asarray(data[canonical], dtype=np.float64).copy()
    unsigned = ~signed & np.isfinite(values)
    if not unsigned.any():
        if signed.any():
            issues.append(_scale_issue(shown, header, "its values carry a % sign"))
        return values
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
    return values


def _scale_issue(shown: str, header: str, why: str, fraction: bool = False) -> Issue:
    scale = "fractions (0.0123 = 1.23 %)" if fraction else "percentages (1.23 = 1.23 %)"
    return Issue(
        "percent_scale",
        f"{shown}: column '{header}' was read as {scale} because {why}.",
        column=header,
        severity="info",
    )


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Wholly blank rows (``,,,`` or an empty line) are not data rows."""
    blank = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        if name == "_row":
            continue
        column = frame[name]
        blank &= (column == "").to_numpy() if column.dtype == "str" else column.isna().to_numpy()
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
    return frame
