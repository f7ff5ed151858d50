"""The PDF's charts, read from their reportlab drawings: which colours mean what, the legends and
the spend ticks. (The whole report's text is checked in test_report.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors

from caliber_desktop.models.chart_style import (
    CHART_COLOUR_MEANING,
    RECOMMENDATION_COLOURS,
    RECOMMENDATION_ORDER,
)
from caliber_desktop.services.report import charts
from caliber_desktop.services.report.fonts import register_fonts

LEGEND = ["Allow", "Monitor", "Block", "Insufficient data"]


@pytest.fixture(autouse=True)
def fonts() -> None:
    register_fonts()  # the charts measure their legends in the report's embedded font


def strings(d: Drawing) -> list[String]:
    return [s for s in d.contents if isinstance(s, String)]


def texts(d: Drawing) -> list[str]:
    """The drawing's words, left to right then top to bottom."""
    return [s.text for s in sorted(strings(d), key=lambda s: (-s.y, s.x))]


def fill(name: str) -> str:
    return str(colors.HexColor(RECOMMENDATION_COLOURS[name].light).hexval())


def test_histogram_is_coloured_by_recommendation_with_quality_cuts_as_lines() -> None:
    scores = np.array([10.0, 12.0, 52.0, 53.0, 54.0, 91.0, 92.0, np.nan])
    recs = ["block", "block", "monitor", "monitor", "block", "allow", "allow", "allow"]
    chart = charts.score_histogram(scores, recs, poor_cut=33.0, good_cut=67.0, width=400)
    d = chart.drawing
    bars = [r for r in d.contents if isinstance(r, Rect) and 10 < r.width < 30]  # not swatches
    by_colour: dict[str, float] = {}
    for bar in bars:
        key = str(bar.fillColor.hexval())
        by_colour[key] = by_colour.get(key, 0.0) + bar.height
    # bars only in recommendation colours, none in the old quality-band tones
    assert set(by_colour) == {fill("block"), fill("monitor"), fill("allow")}
    # the 50–55 bin stacks monitor (2) under block (1): block's part is half monitor's height
    stacked = sorted((b for b in bars if 150 < b.x < 260), key=lambda b: b.y)
    assert [str(b.fillColor.hexval()) for b in stacked] == [fill("monitor"), fill("block")]
    assert stacked[1].height == stacked[0].height / 2
    assert stacked[1].y == stacked[0].y + stacked[0].height
    words = texts(d)
    for label in [*LEGEND, "Quality cut", "poor below 33", "good from 67"]:
        assert label in words
    assert not any("P25" in w or w.startswith("Poor") or w == "Moderate" for w in words)
    dashed = [ln for ln in d.contents if isinstance(ln, Line) and ln.strokeDashArray]
    assert len(dashed) == 3  # the two cuts and the legend's sample
    assert "coloured by recommendation" in chart.caption


def test_scatter_puts_spend_across_in_readable_decades_and_colours_by_recommendation() -> None:
    sites = pd.DataFrame(
        {
            "score": [20.0, 50.0, 90.0, 60.0],
            "spend": [0.3, 12.0, 450.0, 2900.0],
            "recommendation": ["block", "monitor", "allow", "insufficient_data"],
        }
    )
    d = charts.spend_vs_score(sites, width=400).drawing
    words = texts(d)
    assert [w for w in words if w[:1] == "$"] == ["$0.1", "$1", "$10", "$100", "$1k", "$10k"]
    assert "Spend (log scale)" in words
    assert "Score" in words
    for label in LEGEND:
        assert label in words
    dots = [c for c in d.contents if isinstance(c, Circle)]
    assert {str(c.fillColor.hexval()) for c in dots} == {fill(r) for r in RECOMMENDATION_ORDER}
    # spend grows to the right, score upwards
    allow = next(c for c in dots if str(c.fillColor.hexval()) == fill("allow"))
    block = next(c for c in dots if str(c.fillColor.hexval()) == fill("block"))
    assert allow.cx > block.cx
    assert allow.cy > block.cy


def test_every_pdf_chart_legend_is_the_shared_table() -> None:
    legend = [(label, str(c.hexval())) for label, c in charts.recommendation_legend()]
    assert legend == [
        (label, fill(r)) for label, r in zip(LEGEND, RECOMMENDATION_ORDER, strict=True)
    ]
    shares = charts.recommendation_shares([("Sites", {"allow": 2.0, "block": 1.0})], width=400)
    assert [w for w in texts(shares.drawing) if w in LEGEND] == LEGEND
    assert {CHART_COLOUR_MEANING[k] for k in ("score histogram", "spend vs score")} == {
        "recommendation"
    }
