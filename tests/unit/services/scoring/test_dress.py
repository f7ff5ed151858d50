"""The same report in different dress scores identically (issue: decimal comma + ``;``, a preamble
and totals rows, UTF-16 TSV, XLSX with a summary sheet first, odd header casing and a ``TTD_``
prefix, both Adv Currency and USD cost columns)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.model import ScoreResult

REQUEST = ScoreRequest(goal=Goal.AWARENESS, platform=Platform.TRADE_DESK, channel=Channel.DISPLAY)
ADV = "Advertiser Cost (Adv Currency)"


@pytest.fixture(scope="module")
def report(shared_data: Path) -> pd.DataFrame:
    """6,000 rows of the display sample, as pandas reads them."""
    return pd.read_csv(shared_data / "ttd_display_awareness_sample.csv", nrows=6_000)


def plain(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def decimal_comma(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, sep=";", decimal=",")
    return path


def preamble_and_totals(frame: pd.DataFrame, path: Path) -> Path:
    totals = frame.select_dtypes("number").sum().to_frame().T
    totals.insert(0, "Date", "Grand Total")
    body = pd.concat([frame, totals], ignore_index=True).to_csv(index=False)
    path.write_text(
        "Performance report\nDate range: 2024-11-01 – 2024-11-30\n\n" + body, encoding="utf-8"
    )
    return path


def utf16_tsv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, sep="\t", encoding="utf-16")
    return path


def xlsx_summary_first(frame: pd.DataFrame, path: Path) -> Path:
    with pd.ExcelWriter(path, engine="xlsxwriter") as book:
        pd.DataFrame({"Metric": ["Impressions"], "Total": [frame["Impressions"].sum()]}).to_excel(
            book, sheet_name="Summary", index=False
        )
        frame.to_excel(book, sheet_name="Report", index=False)
    return path


def odd_headers(frame: pd.DataFrame, path: Path) -> Path:
    renamed = {
        c: (f"TTD_{c}" if i % 2 else c.upper().replace(" ", "  "))
        for i, c in enumerate(frame.columns)
    }
    frame.rename(columns=renamed).to_csv(path, index=False)
    return path


def two_cost_columns(frame: pd.DataFrame, path: Path) -> Path:
    both = frame.copy()
    both.insert(both.columns.get_loc(ADV), "Advertiser Cost (USD)", (both[ADV] * 1.09).round(4))
    both.to_csv(path, index=False)
    return path


DRESSES: list[Callable[[pd.DataFrame, Path], Path]] = [
    decimal_comma,
    preamble_and_totals,
    utf16_tsv,
    xlsx_summary_first,
    odd_headers,
    two_cost_columns,
]


def scored(path: Path) -> ScoreResult:
    return score_file(path, REQUEST).result


@pytest.mark.parametrize("dress", DRESSES, ids=lambda d: d.__name__)
def test_same_report_in_another_dress_scores_identically(
    report: pd.DataFrame, tmp_path: Path, dress: Callable[[pd.DataFrame, Path], Path]
) -> None:
    suffix = ".xlsx" if dress is xlsx_summary_first else ".csv"
    want = scored(plain(report, tmp_path / "plain.csv")).sites
    got = scored(dress(report, tmp_path / f"{dress.__name__}{suffix}")).sites
    assert list(got.index) == list(want.index)
    for column in ("impressions", "spend", "clicks", "score", "percentile"):
        pd.testing.assert_series_equal(got[column], want[column], rtol=1e-9, obj=column)
    for column in ("recommendation", "quality_status", "confidence", "flags", "top_drivers"):
        assert got[column].tolist() == want[column].tolist(), column
