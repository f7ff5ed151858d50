"""Empty count cells: a cell that moves a rate is counted as 0 and said so; none is made up.

Real exports leave cells empty (``""``, ``-``, ``N/A``, an Excel ``#N/A``). Summed as 0 beside
9,000 impressions, an empty spend cell makes a site look cheap; an empty impressions cell
beside clicks makes its CTR look high. Either is a guess, so the run names the column, the
rows, the sites and the first row to look at; a site with no value at all in a column reads
missing, never 0.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.scoring import read_text
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.model import Issue, ScoreResult
from caliber_desktop.services.scoring.read import open_report

HEADER = "Date,Site,Impressions,Clicks,Advertiser Cost (USD),01 - Total Click + View Conversions"
FILLER = [
    f"2026-11-02,filler{i}.com,{5000 + 37 * i},{3 + i % 5},{9 + i % 7}.50,{i % 3}"
    for i in range(40)
]


def score(path: Path, goal: Goal = Goal.ACTION) -> ScoreResult:
    request = ScoreRequest(goal=goal, platform=Platform.TRADE_DESK, channel=Channel.DISPLAY)
    return score_file(path, request).result


def write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8", newline="")
    return path


def notes(result: ScoreResult) -> dict[str | None, Issue]:
    return {i.column: i for i in result.quality.issues if i.code == "empty_counts"}


GAPPY = [
    "2026-11-01,a.com,1000,2,1.00,1",
    "2026-11-01,a.com,9000,,,",  # row 3: 9,000 impressions, no clicks, spend or conversions
    "2026-11-01,b.com,,3,2.00,0",  # row 4: clicks and spend, no impressions
    "2026-11-01,b.com,5000,5,10.00,-",
    "2026-11-01,c.com,4000,4,8.00,N/A",  # c.com has no conversions value at all
    *FILLER,
]


def test_an_empty_cell_beside_a_value_is_counted_as_zero_and_said_where_it_is(
    tmp_path: Path,
) -> None:
    result = score(write(tmp_path / "gaps.csv", GAPPY))
    sites = result.sites
    # the sums are what the note says: the empty cells count as 0
    assert (sites.loc["a.com", "impressions"], sites.loc["a.com", "spend"]) == (10_000, 1.0)
    assert sites.loc["a.com", "cpm"] == pytest.approx(0.1)
    assert (sites.loc["b.com", "impressions"], sites.loc["b.com", "clicks"]) == (5000, 8)
    found = notes(result)
    assert set(found) == {
        "Impressions", "Clicks", "Advertiser Cost (USD)", "01 - Total Click + View Conversions"
    }  # fmt: skip
    spend = found["Advertiser Cost (USD)"]
    assert spend.row == 3
    assert spend.severity == "warning"
    assert spend.message == (
        "gaps.csv: 1 empty 'Advertiser Cost (USD)' cell in 1 site that has the column on other "
        "rows (first: row 3, a.com) is counted as 0 beside the row's impressions, so that "
        "site's CPM may read low. If it is not 0, fill it in or re-export the report, and score "
        "it again."
    )
    imps = found["Impressions"]
    assert imps.row == 4
    assert "(first: row 4, b.com)" in imps.message
    assert "beside the row's clicks, conversions or spend" in imps.message
    assert "that site's CTR, CVR or CPM may read high" in imps.message
    # a.com's row 3 and b.com's "-" (b.com has 0 conversions on its other row); not c.com's
    # N/A, its only conversions cell: c.com has no CVR to bend
    conversions = found["01 - Total Click + View Conversions"]
    assert conversions.message.startswith(
        "gaps.csv: 2 empty '01 - Total Click + View Conversions' cells in 2 sites that have"
    )
    assert "(first: row 3, a.com) are counted as 0" in conversions.message
    assert "those sites' CVR may read low. If they are not 0, fill them in" in conversions.message
    assert math.isnan(sites.loc["c.com", "conversions"])  # missing, not a made-up 0
    assert sites.loc["b.com", "conversions"] == 0


def test_a_report_without_empty_cells_has_no_such_note(tmp_path: Path) -> None:
    assert notes(score(write(tmp_path / "full.csv", FILLER))) == {}


def test_cells_empty_on_both_sides_of_a_rate_move_nothing_and_are_not_noted(
    tmp_path: Path,
) -> None:
    """Viewability measured on some rows only: tracked and viewed are empty together (as video
    columns are on display rows), which leaves the site's viewability as measured."""
    header = (
        "Date,Site,Impressions,Clicks,Advertiser Cost (USD),"
        "Sampled Tracked Impressions,Sampled Viewed Impressions"
    )
    lines = [f"{line.rsplit(',', 1)[0]},{4000 + i},{2000 + i}" for i, line in enumerate(FILLER)]
    lines += ["2026-11-03,filler1.com,3000,2,6.00,,", "2026-11-03,filler2.com,3000,2,6.00,,"]
    result = score(write(tmp_path / "measured.csv", lines, header), Goal.AWARENESS)
    assert notes(result) == {}
    # one side empty beside the other's value is noted, on the column that is empty
    lines.append("2026-11-04,filler3.com,3000,2,6.00,2500,")
    found = notes(score(write(tmp_path / "viewed.csv", lines, header), Goal.AWARENESS))
    assert list(found) == ["Sampled Viewed Impressions"]
    assert "(first: row 44, filler3.com)" in found["Sampled Viewed Impressions"].message
    assert "that site's Viewability may read low" in found["Sampled Viewed Impressions"].message


def test_the_note_is_the_same_however_the_file_is_batched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first row named is the file's first, whichever batch a site's empty cells fall in."""
    lines = [*FILLER, "2026-11-05,filler7.com,4000,,8.00,1"]
    lines += [*FILLER, "2026-11-05,filler3.com,4000,,8.00,1"]
    path = write(tmp_path / "late.csv", lines)
    whole = notes(score(path))
    monkeypatch.setattr(read_text, "BLOCK_BYTES", 512)
    assert sum(1 for _ in open_report(path).batches()) > 5
    batched = notes(score(path))
    assert whole == batched
    assert list(whole) == ["Clicks"]
    assert "2 empty 'Clicks' cells in 2 sites" in whole["Clicks"].message
    assert "(first: row 42, filler7.com)" in whole["Clicks"].message


def test_a_count_computed_from_a_rate_is_named_by_the_rate_column(tmp_path: Path) -> None:
    """No Clicks column: clicks are CTR × impressions, so an empty CTR cell is the empty one."""
    lines = [f"s{i % 8}.com,{1000 + 10 * i},${i % 5 + 1}.00,0.{i % 4 + 1}0%" for i in range(40)]
    lines.append("s1.com,5000,$3.00,")
    path = write(tmp_path / "pp.csv", lines, "Domain,Impressions,Total Spend,CTR")
    request = ScoreRequest(
        goal=Goal.AWARENESS, platform=Platform.PULSEPOINT, channel=Channel.DISPLAY
    )
    found = notes(score_file(path, request).result)
    assert list(found) == ["CTR"]
    assert found["CTR"].message.startswith("pp.csv: 1 empty 'CTR' cell in 1 site")
    assert "(first: row 42, s1.com)" in found["CTR"].message
