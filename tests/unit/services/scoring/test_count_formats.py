"""Counts written for people: ``82.644`` impressions in a German export are 82,644, and a count
that still reads as a fraction is said, never summed in silence.

A German Excel re-save of a report writes ``;`` between cells and ``.`` between thousands. When
its costs are whole euros nothing in the file shows a decimal comma, and every impression count
of 1,000 or more looked like a fraction: 82.644 impressions, 1,000 times too few, a CPM 1,000
times too high, and only "clicks > impressions" for a hint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.site_tables import coded, streamed, whole

from caliber_desktop.services.scoring import read_text
from caliber_desktop.services.scoring.numbers import Votes, column_locale, parse_numbers

HEADER = "Date;Site;Impressions;Clicks;Advertiser Cost (Adv Currency)\n"


def de(n: int) -> str:
    """``n`` as German Excel writes a whole number with thousands: 82.644."""
    return f"{n:,}".replace(",", ".")


def rows(sites: int = 40, days: int = 4) -> list[tuple[str, str, int, int, float]]:
    rng = np.random.default_rng(5)
    return [
        (f"2024-11-{d + 1:02d}", f"site{s}.com", int(rng.integers(1_000, 90_000)),
         int(rng.integers(0, 80)), float(rng.uniform(20.0, 200.0)))
        for s in range(sites) for d in range(days)
    ]  # fmt: skip


def write(path: Path, lines: list[str]) -> Path:
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- one column


def test_a_count_of_dotted_thousands_reads_whole_when_nothing_else_tells() -> None:
    parsed = parse_numbers(
        ["82.644", "946", "1.204", None], header="Impressions", source="r.csv", whole=True
    )
    assert parsed.values[:3].tolist() == [82_644.0, 946.0, 1_204.0]
    assert np.isnan(parsed.values[3])
    (note,) = parsed.issues
    assert (note.code, note.column, note.severity) == (
        "thousands_from_counts",
        "Impressions",
        "info",
    )
    assert "r.csv" in note.message
    assert "2 cells like 1.234" in note.message


@pytest.mark.parametrize(
    ("cells", "whole", "hint", "want"),
    [
        (["82.644", "1.204"], False, None, [82.644, 1.204]),  # a cost: "1.204" stays 1.204
        (["82.644", "1.204"], True, "us", [82.644, 1.204]),  # the file shows "." is decimal
        (["82.644", "0.5"], True, None, [82.644, 0.5]),  # the column itself does
        (["82,644", "1,204"], True, None, [82_644.0, 1_204.0]),  # "," separated thousands anyway
        (["82.644", "1,204"], True, None, [82.644, 1_204.0]),  # both ambiguous: as before
    ],
)
def test_the_count_rule_needs_a_count_with_nothing_but_dotted_thousands(
    cells: list[str], whole: bool, hint: str | None, want: list[float]
) -> None:
    parsed = parse_numbers(cells, locale_hint=hint, whole=whole)  # type: ignore[arg-type]
    assert parsed.values.tolist() == pytest.approx(want, rel=1e-12)
    assert not [i for i in parsed.issues if i.code == "thousands_from_counts"]


def test_column_locale_of_counts() -> None:
    dotted = Votes(0, 0, 3, 3)
    assert column_locale(dotted, None, whole=True) == "eu"
    assert column_locale(dotted, None) is None
    assert column_locale(dotted, "us", whole=True) == "us"
    assert column_locale(Votes(0, 0, 3, 1), None, whole=True) is None
    assert Votes(1, 2, 3, 1) + Votes(1, 0, 2, 2) == Votes(2, 2, 5, 3)


# ----------------------------------------------------------------------------- whole files


@pytest.mark.parametrize("empty_costs", [False, True])
def test_a_german_export_with_whole_euro_costs_counts_every_impression(
    tmp_path: Path, empty_costs: bool
) -> None:
    """Empty cost cells (missing, not a decimal) prove nothing about the format either."""
    data = rows()
    costs = ["" if empty_costs and k % 7 == 0 else de(round(r[4])) for k, r in enumerate(data)]
    path = write(
        tmp_path / "bericht.csv",
        [f"{d};{s};{de(i)};{c};{cost}" for (d, s, i, c, _), cost in zip(data, costs, strict=True)],
    )
    table = whole(path)
    assert table.frame["impressions"].sum() == sum(r[2] for r in data)
    assert table.frame["spend"].sum() == sum(float(c.replace(".", "")) for c in costs if c)
    (note,) = coded(table, "thousands_from_counts")
    assert note.column == "Impressions"
    assert "bericht.csv" in note.message
    assert not coded(table, "fraction_in_count")
    assert not [i for i in table.quality.issues if "impossible" in i.message]


def test_a_count_read_as_fractions_is_a_warning_naming_the_cell(tmp_path: Path) -> None:
    """The costs show "." is the decimal point, so "82.644" impressions stay as written — and
    the analyst is told, with the first such cell, instead of seeing only odd CPMs."""
    data = rows()
    lines = [f"{d};{s};{de(i)};{c};{e:.2f}" for d, s, i, c, e in data]
    lines[:2] = ["2024-11-01;first.com;946;3;2.50", "2024-11-01;second.com;946;3;2.50"]
    path = write(tmp_path / "mixed.csv", lines)
    table = whole(path)
    (warning,) = coded(table, "fraction_in_count")
    assert (warning.column, warning.row, warning.severity) == ("Impressions", 4, "warning")
    dotted = sum(1 for r in data[2:] if r[2] >= 1_000)
    assert f"{dotted:,} count(s) with a fraction" in warning.message
    assert f"'{de(data[2][2])}'" in warning.message
    assert "mixed.csv" in warning.message
    assert not coded(table, "thousands_from_counts")
    # summed as read, and said: nothing rebuilt behind the analyst's back
    want = 946 * 2 + sum(r[2] / 1000 if r[2] >= 1_000 else r[2] for r in data[2:])
    assert table.frame["impressions"].sum() == pytest.approx(want)


def test_averages_in_a_count_column_are_said(tmp_path: Path) -> None:
    lines = [f"2024-11-0{1 + k % 4};site{k % 9}.com;{1000 + k}.5;{k % 5};{k * 0.37:.2f}"
             for k in range(60)]  # fmt: skip
    table = whole(write(tmp_path / "pivot.csv", lines))
    (warning,) = coded(table, "fraction_in_count")
    assert "60 count(s)" in warning.message
    assert "'1000.5'" in warning.message


@pytest.mark.parametrize("fraction_at", [None, 150])
def test_streamed_and_whole_reads_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fraction_at: int | None
) -> None:
    """A European export streams its number columns as text: the counts' decisions and notes
    are the whole read's, however the file is batched."""
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 512)
    monkeypatch.setattr(read_text, "SAMPLE_CHARS", 2_000)
    data = rows()
    lines = [f"{d};{s};{de(i)};{c};" + f"{e:.2f}".replace(".", ",") for d, s, i, c, e in data]
    if fraction_at is not None:
        d, s, _, c, e = data[fraction_at]
        lines[fraction_at] = f"{d};{s};82,5;{c};" + f"{e:.2f}".replace(".", ",")
    path = write(tmp_path / "eu.csv", lines)
    a, b = whole(path), streamed(path)
    assert not coded(b, "read_whole")
    assert a.frame["impressions"].sum() == b.frame["impressions"].sum()
    assert [(i.code, i.message) for i in a.quality.issues if i.code != "read_whole"] == [
        (i.code, i.message) for i in b.quality.issues if i.code != "read_whole"
    ]
    assert len(coded(b, "fraction_in_count")) == (fraction_at is not None)
    if fraction_at is not None:
        assert coded(b, "fraction_in_count")[0].row == fraction_at + 2


def test_averages_in_a_workbook_are_said_however_it_is_read(tmp_path: Path) -> None:
    """Excel's numeric cells are no text to vote on: a count of 1000.5 is said all the same,
    from the streamed sheet and from the whole read."""
    import xlsxwriter

    path = tmp_path / "pivot.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Report")
    sheet.write_row(0, 0, HEADER.strip().split(";"))
    for k in range(60):
        imps = 1000 + k + (0.5 if k >= 7 else 0)
        sheet.write_row(k + 1, 0, [f"2024-11-0{1 + k % 4}", f"site{k % 9}.com", imps, k % 5, 2.5])
    book.close()
    for table in (whole(path), streamed(path)):
        (warning,) = coded(table, "fraction_in_count")
        assert (warning.column, warning.row) == ("Impressions", 9)
        assert "53 count(s)" in warning.message
        assert "'1007.5'" in warning.message


def test_weighted_conversions_may_be_fractions(tmp_path: Path) -> None:
    """TTD's custom CPA weighs conversions (a lead 0.5, a sale 1): fractions there are no sign of
    a misread number format, so they are not warned about."""
    path = tmp_path / "custom_cpa.csv"
    lines = [
        f"2024-11-0{1 + k % 4},site{k % 9}.com,{1000 + k},{k % 5},{k * 0.37:.2f},{k % 3 * 0.5}"
        for k in range(60)
    ]
    header = (
        "Date,Site,Impressions,Clicks,Advertiser Cost (Adv Currency),Total Custom CPA Conversions"
    )
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    table = whole(path)
    assert table.frame["conversions"].sum() == pytest.approx(sum(k % 3 * 0.5 for k in range(60)))
    assert not coded(table, "fraction_in_count")
