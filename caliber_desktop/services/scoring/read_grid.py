"""What the two format readers share: finding the header row, and the shapes they hand back.

A text file and a workbook are scanned the same way — the first rows as strings, the header the
first of them with enough known column names — and each reader returns only the needed columns
keyed by position, so ``read`` can build the frame without knowing which format it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from caliber_desktop.errors import ValidationError
from caliber_desktop.services.scoring.headers import MIN_KNOWN_HEADERS, known_header_count
from caliber_desktop.services.scoring.model import Issue
from caliber_desktop.services.scoring.sniff import EXPORT_AGAIN

#: The header is the first row, within these, with enough known column names.
HEADER_SCAN_ROWS = 20
FloatArray = npt.NDArray[np.float64]


@dataclass
class _Columns:
    """What a format reader hands back: the needed columns, keyed by position in the header."""

    rows: npt.NDArray[np.int64]
    text: dict[int, pa.Array] = field(default_factory=dict)
    numbers: dict[int, FloatArray] = field(default_factory=dict)
    #: Positions of cells already parsed (Excel numeric cells) inside a text column.
    percent: dict[int, npt.NDArray[np.bool_]] = field(default_factory=dict)
    #: The reader found no fraction in ``numbers`` of count columns (Arrow's CSV reads check
    #: every batch and read such a column as text); Excel's numeric cells are checked later.
    counts_checked: bool = False
    #: Rows of the batch Excel hides (a filter), and the first of them (a row number).
    hidden: int = 0
    first_hidden: int = 0


@dataclass
class _Grid:
    headers: list[str]
    header_row: int  # 1-based
    sample: list[list[str]]  # data rows after the header, for format decisions
    sheet: str | None = None
    issues: list[Issue] = field(default_factory=list)
    #: A workbook sheet that streams: its range's first row and column (0-based); None when
    #: it is read whole (CSV files have their own streaming, XLS and odd XLSX are read whole).
    origin: tuple[int, int] | None = None


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
        hint="Check it is a performance report from The Trade Desk or PulsePoint. If it is a "
        "report with other column names, name them for Caliber with `caliber score FILE "
        "--mapping mapping.json`. " + EXPORT_AGAIN,
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
