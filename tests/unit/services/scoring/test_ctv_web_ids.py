"""A display report scored as CTV puts its web domains on the app lists: the run says so.

On the CTV channel every id is an app (CTV inventory is apps), so a web domain keeps its whole
id and goes to the app lists. That is right for a CTV report and wrong for a display report
attached to a CTV campaign, which nothing else in the run would show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file


def warnings(path: Path, channel: Channel | None) -> list[str]:
    request = ScoreRequest(goal=Goal.AWARENESS, platform=Platform.TRADE_DESK, channel=channel)
    quality = score_file(path, request).result.quality
    return [i.message for i in quality.issues if i.code == "ctv_web_ids"]


def test_a_display_report_scored_as_ctv_is_said(shared_data: Path) -> None:
    found = warnings(shared_data / "ttd_display_awareness_sample.csv", Channel.CTV)
    assert len(found) == 1
    assert found[0].startswith(
        "ttd_display_awareness_sample.csv: 1,540 of 2,000 sites look like web domains but are "
        "scored as CTV apps, because the run's channel is CTV (e.g. amp."
    )
    assert "as CTV, its web domains go on the app lists" in found[0]


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("ttd_ctv_sample.csv", None),  # a CTV report: its ids are apps
        ("ttd_ctv_sample.csv", Channel.CTV),
        ("ttd_display_awareness_sample.csv", Channel.DISPLAY),
        ("ttd_display_awareness_sample.csv", Channel.VIDEO),
    ],
)
def test_reports_scored_on_their_own_channel_are_not_warned(
    shared_data: Path, name: str, channel: Channel | None
) -> None:
    assert warnings(shared_data / name, channel) == []
