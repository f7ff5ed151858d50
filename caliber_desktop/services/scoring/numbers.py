"""Parse the numbers of report columns written as text, one whole column at a time.

Exports write numbers for people: thousands separators, decimal commas (TTD's "International"
format), currency signs, percent signs and dashes for "nothing". A cell alone is often ambiguous
(``1,234`` is 1234 or 1.234), so the format is decided from the whole column — and from the rest
of the file when the column itself gives no evidence — and then applied to every cell. Missing is
NaN, never 0: a site without a value must not look like a site with a bad one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from caliber_desktop.services.scoring.model import Issue

if TYPE_CHECKING:
    import pandas as pd

Locale = Literal["us", "eu"]
FloatArray = npt.NDArray[np.float64]

#: Cell texts that mean "no value" (compared after trimming and lowercasing).
NULL_TOKENS: tuple[str, ...] = (
    "", "-", "—", "–", "--", "n/a", "na", "#n/a", "null", "none", "nan", "#div/0!", "n.a.",
)  # fmt: skip
_CURRENCY = r"(?i)(usd|eur|gbp|cad|aud|chf|jpy)|[$€£¥]"
_VALID = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
#: Evidence for the separator convention, each tested on the cleaned text of a cell.
_US_ONLY_COMMA = r"^[+-]?\d{1,3}(,\d{3}){2,}$"  # 1,234,567
_EU_ONLY_DOT = r"^[+-]?\d{1,3}(\.\d{3}){2,}$"  # 1.234.567
_AMBIGUOUS_COMMA = r"^[+-]?[1-9]\d{0,2},\d{3}$"  # 1,234
_AMBIGUOUS_DOT = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"  # 1.234


@dataclass(frozen=True)
class Votes:
    """How many cells of a column prove each convention; ``ambiguous`` prove neither."""

    us: int
    eu: int
    ambiguous: int
    #: Of ``ambiguous``, the cells like ``1.234`` (the others are like ``1,234``).
    ambiguous_dot: int = 0

    def __add__(self, other: Votes) -> Votes:
        return Votes(
            self.us + other.us,
            self.eu + other.eu,
            self.ambiguous + other.ambiguous,
            self.ambiguous_dot + other.ambiguous_dot,
        )


@dataclass(frozen=True)
class ParsedColumn:
    values: FloatArray
    locale: Locale | None
    #: Cells that carried a ``%`` sign (already divided by 100).
    percent: npt.NDArray[np.bool_]
    issues: tuple[Issue, ...] = ()
    #: Cells that hold text but no number (``two thousand``): NaN in ``values``.
    bad: npt.NDArray[np.bool_] | None = None

    def bad_examples(
        self, cells: pa.Array, rows: npt.NDArray[np.int64], limit: int = 5
    ) -> list[tuple[int, str]]:
        """``(row, text)`` of the first ``limit`` unreadable cells of ``cells``."""
        if self.bad is None:
            return []
        return [
            (int(rows[i]), str(cells[int(i)].as_py())) for i in np.flatnonzero(self.bad)[:limit]
        ]


#: What happens to unreadable cells, as :func:`parse_numbers` words it by default.
READ_AS_MISSING = (
    "they are read as missing, not 0. Fix them in the file, or map another column, if they "
    "should count."
)


def _as_array(values: pd.Series | pa.Array | pa.ChunkedArray | Sequence[object]) -> pa.Array:
    import pandas as pd

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pd.Series):
        values = pa.array(values.astype("str"))
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        values = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def _clean(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(text with only sign, digits, separators and exponent left; percent mask)."""
    text = pc.utf8_trim_whitespace(values)
    lowered = pc.utf8_lower(text)
    text = pc.if_else(pc.is_in(lowered, pa.array(NULL_TOKENS)), pa.scalar(None, pa.string()), text)
    percent = pc.fill_null(pc.ends_with(text, "%"), False)
    text = pc.replace_substring(text, "%", "")
    text = pc.replace_substring_regex(text, _CURRENCY, "")
    text = pc.replace_substring_regex(text, "[\\s\u00a0\u202f']+", "")
    text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"-\1")  # (1,234) is negative
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return text, percent


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.fill_null(mask, False).cast(pa.int64())).as_py() or 0)


def _votes(text: pa.Array) -> Votes:
    comma = pc.match_substring(text, ",")
    dot = pc.match_substring(text, ".")
    both = pc.and_(comma, dot)
    last_comma = pc.match_substring_regex(text, r",\d*$")
    eu = _count(pc.and_(both, last_comma))
    us = _count(pc.and_(both, pc.invert(last_comma)))
    only_comma = pc.and_(comma, pc.invert(dot))
    only_dot = pc.and_(dot, pc.invert(comma))
    amb_comma = pc.match_substring_regex(text, _AMBIGUOUS_COMMA)
    amb_dot = pc.match_substring_regex(text, _AMBIGUOUS_DOT)
    us += _count(pc.match_substring_regex(text, _US_ONLY_COMMA))
    eu += _count(pc.match_substring_regex(text, _EU_ONLY_DOT))
    multi_comma = pc.match_substring_regex(text, _US_ONLY_COMMA)
    multi_dot = pc.match_substring_regex(text, _EU_ONLY_DOT)
    eu += _count(pc.and_(only_comma, pc.invert(pc.or_(amb_comma, multi_comma))))
    us += _count(pc.and_(only_dot, pc.invert(pc.or_(amb_dot, multi_dot))))
    dots = _count(amb_dot)
    return Votes(us, eu, _count(amb_comma) + dots, dots)


def locale_votes(values: pd.Series | pa.Array | pa.ChunkedArray | Sequence[object]) -> Votes:
    """The evidence a column gives about its separators (for a file-wide hint)."""
    return _votes(_clean(_as_array(values))[0])


def file_locale(votes: Sequence[Votes]) -> Locale | None:
    """The convention of the file, from every column's evidence; None when nothing proves one."""
    us, eu = sum(v.us for v in votes), sum(v.eu for v in votes)
    if us == eu:
        return None
    return "eu" if eu > us else "us"


def parse_numbers(
    values: pd.Series | pa.Array | pa.ChunkedArray | Sequence[object],
    *,
    header: str = "",
    source: str = "",
    rows: npt.NDArray[np.int64] | None = None,
    locale_hint: Locale | None = None,
    consequence: str = READ_AS_MISSING,
    decided: Locale | Literal[False] | None = False,
    whole: bool = False,
) -> ParsedColumn:
    """float64 values of a text column; cells that are not numbers become NaN with one Issue.

    A column read in batches passes the convention it ``decided`` on all batches so far (None:
    no separator proves one); then no Issue is returned, the caller says it once for the file.

    ``rows`` are the 1-based file rows of the cells (for the message); ``locale_hint`` decides a
    column whose every separator is ambiguous (``1,234`` / ``1.234``), else US is assumed;
    ``consequence`` ends the Issue's sentence: what becomes of the unreadable cells; ``whole``:
    the column holds counts (see :func:`column_locale`).
    """
    text, percent = _clean(_as_array(values))
    votes = _votes(text)
    locale = column_locale(votes, locale_hint, whole=whole) if decided is False else decided
    issues: list[Issue] = []
    if decided is False and (mixed := mixed_format_issue(source, header, votes, locale)):
        issues.append(mixed)
    if decided is False and (told := thousands_issue(source, header, votes, locale_hint, whole)):
        issues.append(told)
    if locale == "eu":
        text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
    else:
        text = pc.replace_substring(text, ",", "")
    valid = pc.match_substring_regex(text, _VALID)
    bad = pc.fill_null(pc.invert(valid), False)
    numbers = pc.cast(pc.if_else(valid, text, pa.scalar(None, pa.string())), pa.float64())
    out = numbers.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    pct = np.asarray(percent.to_numpy(zero_copy_only=False), dtype=bool)
    out[pct] /= 100.0
    n_bad = _count(bad)
    bad_mask = np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)
    if n_bad and decided is False:
        first = int(np.flatnonzero(bad_mask)[0])
        row = int(rows[first]) if rows is not None else first + 1
        example = _as_array(values)[first].as_py()
        issues.append(unreadable_issue(source, header, n_bad, row, example, consequence))
    return ParsedColumn(out, locale, pct, tuple(issues), bad_mask if n_bad else None)


def column_locale(votes: Votes, hint: Locale | None, *, whole: bool = False) -> Locale | None:
    """A column's convention: its own majority, else the file's ``hint`` when it is ambiguous.

    A ``whole`` column (a count) whose cells are all like ``82.644`` in a file that proves no
    convention reads ``.`` as the thousands separator: 82,644 impressions, not 82.644 (a German
    export of whole numbers and whole-euro costs has no decimal to tell). Said by
    :func:`thousands_issue`.
    """
    if votes.eu > votes.us:
        return "eu"
    if votes.us > votes.eu:
        return "us"
    if _counts_say_thousands(votes, hint, whole):
        return "eu"
    return hint if votes.ambiguous else None


def _counts_say_thousands(votes: Votes, hint: Locale | None, whole: bool) -> bool:
    return (
        whole
        and hint is None
        and votes.us == votes.eu == 0
        and votes.ambiguous_dot == votes.ambiguous > 0
    )


def thousands_issue(
    source: str, header: str, votes: Votes, hint: Locale | None, whole: bool
) -> Issue | None:
    """Said when :func:`column_locale` read a count's ``.`` as thousands on the count alone."""
    if not _counts_say_thousands(votes, hint, whole):
        return None
    return Issue(
        "thousands_from_counts",
        f"{source}: nothing in the file shows its number format, so the counts in column "
        f"'{header}' ({votes.ambiguous:,} cells like 1.234) were read with '.' separating "
        "thousands (1.234 as 1,234), since counts are whole numbers. If they are fractions, "
        "export the report again with the decimals written out.",
        column=header,
        severity="info",
    )


def fraction_issue(source: str, header: str, cells: int, row: int, example: object) -> Issue:
    """Said when a count column (impressions, clicks…) holds fractions after reading."""
    return Issue(
        "fraction_in_count",
        f"{source}: column '{header}' has {cells:,} count(s) with a fraction (first at row "
        f"{row}: '{example}'), summed as read. Counts are whole numbers: check that the column "
        "holds counts (not averages) and that its number format was read right ('.' or ',' "
        "separating thousands).",
        column=header,
        row=row,
    )


def mixed_format_issue(
    source: str, header: str, votes: Votes, locale: Locale | None
) -> Issue | None:
    """Said when a column holds both conventions (``1,234.5`` and ``1.234,5``)."""
    if not (votes.us and votes.eu):
        return None
    shown = "1.234,5" if locale == "eu" else "1,234.5"
    return Issue(
        "mixed_number_format",
        f"{source}: column '{header}' mixes number formats ({votes.us} cells like "
        f"1,234.5 and {votes.eu} like 1.234,5); read as {shown}. Export the report again "
        "with one number format.",
        column=header,
    )


def unreadable_issue(
    source: str, header: str, cells: int, row: int, example: object, consequence: str
) -> Issue:
    """One sentence for a number column's cells that hold text but no number."""
    return Issue(
        "text_in_number_column",
        f"{source}: column '{header}' has {cells:,} cell(s) that are not numbers (first "
        f"at row {row}: '{example}'); {consequence}",
        column=header,
        row=row,
    )


# ----------------------------------------------------------------------------- percent scale


def rate_scale(
    values: FloatArray,
    *,
    header: str,
    expected: FloatArray | None = None,
) -> tuple[float, str]:
    """(factor, why) that turns a rate column's un-signed cells into fractions.

    Decided from recomputation first (the file's rate against numerator/denominator of the same
    rows: a median ratio near 100 means percent points), then from a ``%`` in the header; only
    when neither exists from the typical value, and that guess is said to be a guess.
    """
    if expected is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = values / expected
        usable = ratio[np.isfinite(ratio) & (values > 0) & (expected > 0)]
        if usable.size:
            median = float(np.median(usable))
            if 30.0 <= median <= 300.0:
                return 0.01, f"it is about 100 × the rate recomputed from counts ({median:.3g}×)"
            if 0.3 <= median <= 3.0:
                return 1.0, f"it matches the rate recomputed from counts ({median:.3g}×)"
    if "%" in header:
        return 0.01, "its header has a % sign"
    finite = values[np.isfinite(values)]
    if finite.size and float(np.median(finite)) > 1.0:
        return 0.01, "its typical value is above 1 (a guess: no counts to check it against)"
    return 1.0, "its typical value is at most 1 (a guess: no counts to check it against)"


# ----------------------------------------------------------------------------- dates

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})([ T].*)?$")
_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})( .*)?$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


@dataclass
class DateOrder:
    """What the slashed dates of a column say about their order, added up over batches."""

    slashes: bool = False
    day_first: bool = False  # a first part above 12
    month_first: bool = False  # a second part above 12

    def note(self) -> str | None:
        """Said when the order was a guess: no part above 12 anywhere in the column."""
        if self.slashes and not self.day_first and not self.month_first:
            return "month/day/year (ambiguous: no day above 12)"
        return None


def parse_dates(values: pd.Series, seen: DateOrder | None = None) -> tuple[pd.Series, str | None]:
    """ISO date strings for a date column; text that is not a date (``Grand Total``) is kept.

    ``MM/DD`` or ``DD/MM`` is decided for the whole column (a first part above 12 means
    day-first); the second value says which when it was ambiguous. Works on the distinct values,
    so a million rows of a few hundred days costs a few hundred conversions. A column read in
    batches passes ``seen``, which adds up the evidence for one note at the end.
    """
    import pandas as pd

    array = pc.fill_null(_as_array(values), "")
    encoded = pc.dictionary_encode(array)
    texts = [str(t).strip() for t in encoded.dictionary.to_pylist()]
    slashes = [m for m in (_SLASH.match(t) for t in texts) if m]
    order = DateOrder(
        bool(slashes),
        any(int(m.group(1)) > 12 for m in slashes),
        any(int(m.group(2)) > 12 for m in slashes),
    )
    day_first, month_first, note = order.day_first, order.month_first, order.note()
    if seen is not None:
        seen.slashes |= order.slashes
        seen.day_first |= order.day_first
        seen.month_first |= order.month_first
    converted = pa.array([_one_date(t, day_first and not month_first) for t in texts], pa.string())
    out = pc.take(converted, encoded.indices)
    return pd.Series(out.to_pandas(), index=values.index, dtype="str"), note


def _one_date(text: str, day_first: bool) -> str:
    try:
        iso = _ISO.match(text)
        if iso:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))).isoformat()
        slash = _SLASH.match(text)
        if slash:
            a, b, year = int(slash.group(1)), int(slash.group(2)), int(slash.group(3))
            day, month = (a, b) if day_first else (b, a)
            return dt.date(year, month, day).isoformat()
        if _SERIAL.match(text):
            days = float(text)
            if 20000 <= days <= 80000:  # 1954..2119: anything else is not a report date
                return (_EXCEL_EPOCH + dt.timedelta(days=int(days))).isoformat()
    except ValueError:
        return text
    return text
