"""Number parsing of text columns: locale per column, currency, percent, missing is NaN."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from caliber_desktop.services.scoring.numbers import (
    locale_votes,
    parse_dates,
    parse_numbers,
    rate_scale,
)


def values(cells: list[str | None], **kwargs: object) -> list[float]:
    return parse_numbers(cells, **kwargs).values.tolist()  # type: ignore[arg-type]


def same(got: list[float], want: list[float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
        for a, b in zip(got, want, strict=True)
    )


def test_us_thousands_and_currency() -> None:
    got = values(["48,421", "$1,234.56", "1234", "USD 2.5", "(1,000.00)"])
    assert same(got, [48421.0, 1234.56, 1234.0, 2.5, -1000.0])


def test_eu_decimal_comma_is_decided_per_column() -> None:
    assert same(values(["12,34", "1.234,56", "1.234,56 €", "7"]), [12.34, 1234.56, 1234.56, 7.0])
    # "1,234" alone is ambiguous; the column's "0,5" proves a decimal comma.
    assert same(values(["1,234", "0,5"]), [1.234, 0.5])


def test_ambiguous_column_follows_the_file_hint() -> None:
    assert same(values(["1,234", "2,000"]), [1234.0, 2000.0])
    assert same(values(["1.234", "2.000"], locale_hint="eu"), [1234.0, 2000.0])
    assert same(values(["1.234", "2.000"]), [1.234, 2.0])


def test_missing_tokens_are_nan_never_zero() -> None:
    got = values(["-", "—", "N/A", "n/a", "", None, "  ", "0"])
    assert all(math.isnan(v) for v in got[:-1])
    assert got[-1] == 0.0


def test_percent_signs_divide_by_100() -> None:
    parsed = parse_numbers(["1.23%", "0,5 %", "2"])
    assert same(parsed.values.tolist()[:1], [0.0123])
    assert parsed.percent.tolist() == [True, True, False]


def test_text_in_a_count_column_is_one_issue() -> None:
    rows = np.array([2, 3, 4, 5], dtype=np.int64)
    parsed = parse_numbers(
        ["12", "12 mutes", "abc", "3"], header="Player Mute", source="r.csv", rows=rows
    )
    assert same(parsed.values.tolist(), [12.0, math.nan, math.nan, 3.0])
    assert len(parsed.issues) == 1
    issue = parsed.issues[0]
    assert issue.code == "text_in_number_column"
    assert issue.row == 3
    assert issue.column == "Player Mute"
    assert "Player Mute" in issue.message
    assert "2 cell" in issue.message
    assert "r.csv" in issue.message


def test_locale_votes() -> None:
    votes = locale_votes(["1,234.5", "1.234,5", "1.234", "1,234,567"])
    assert (votes.us, votes.eu, votes.ambiguous) == (2, 1, 1)


def test_rate_scale_from_recomputation_not_max() -> None:
    expected = np.array([0.01, 0.02, 0.03])
    assert rate_scale(np.array([1.0, 2.0, 3.0]), header="CTR", expected=expected)[0] == 0.01
    assert rate_scale(np.array([0.01, 0.02, 0.03]), header="CTR", expected=expected)[0] == 1.0
    # A fraction column where a few rows exceed 1 (bad rows) is still fractions.
    fractions = np.array([0.01, 0.02, 1.5])
    assert rate_scale(fractions, header="CTR", expected=np.array([0.01, 0.02, 0.03]))[0] == 1.0
    assert rate_scale(np.array([0.5, 0.7]), header="Viewability %")[0] == 0.01


def test_dates_iso_us_eu_and_serials() -> None:
    got, note = parse_dates(pd.Series(["2024-11-02", "45600", "Grand Total", ""]))
    assert got.tolist() == ["2024-11-02", "2024-11-04", "Grand Total", ""]
    assert note is None
    dmy, _ = parse_dates(pd.Series(["25/11/2024", "01/12/2024"]))
    assert dmy.tolist() == ["2024-11-25", "2024-12-01"]
    mdy, note = parse_dates(pd.Series(["11/05/2024", "01/02/2024"]))
    assert mdy.tolist() == ["2024-11-05", "2024-01-02"]
    assert note is not None


def _format(value: float, locale: str) -> str:
    text = f"{value:,.2f}"
    if locale == "eu":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=8),
    st.sampled_from(["us", "eu"]),
)
def test_formatted_numbers_parse_back(cents: list[int], locale: str) -> None:
    numbers = [c / 100 for c in cents]
    # A column with a 1.5-style value decides itself; the hint covers the all-ambiguous case.
    got = values([_format(n, locale) for n in numbers], locale_hint=locale)  # type: ignore[arg-type]
    assert same(got, numbers)
