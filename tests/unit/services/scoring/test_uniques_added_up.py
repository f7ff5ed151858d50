"""Unique IDs cannot be added up over a site's rows without counting a viewer twice: said.

A site's unique IDs per impression (and the CTV few-unique-IDs red flag) read the sum of its
rows' uniques; over daily rows a few devices behind many impressions look like many.
"""

from __future__ import annotations

from pathlib import Path

from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file

HEADER = "Site,Impressions,Clicks,Advertiser Cost (USD),Unique IDs"


def notes(path: Path, channel: Channel | None = None) -> list[str]:
    request = ScoreRequest(goal=Goal.AWARENESS, platform=Platform.TRADE_DESK, channel=channel)
    quality = score_file(path, request).result.quality
    return [i.message for i in quality.issues if i.code == "uniques_added_up"]


def test_uniques_summed_over_daily_rows_are_said(shared_data: Path) -> None:
    found = notes(shared_data / "ttd_ctv_sample.csv")
    assert found == [
        "ttd_ctv_sample.csv: 'Unique IDs' is added up over the rows of 906 of 2,000 sites (up to "
        "112 rows each, e.g. one a day), but a viewer on two rows counts twice: their unique IDs "
        "per impression read high, and a few devices behind many impressions can look like "
        "many. For true uniques, export the report with one row per site (no Date or other "
        "split) and score that."
    ]


def test_one_row_per_site_has_true_uniques_and_no_note(tmp_path: Path) -> None:
    lines = [f"app{i}.tv,{5000 + i},{i % 4},{10 + i}.00,{900 + i}" for i in range(40)]
    lines.append("app3.tv,100,0,1.00,")  # a second row without uniques adds none
    path = tmp_path / "per_site.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    assert notes(path, Channel.CTV) == []
    path.write_text("\n".join([HEADER, *lines, "app5.tv,100,0,1.00,40"]) + "\n", encoding="utf-8")
    assert len(notes(path, Channel.CTV)) == 1
