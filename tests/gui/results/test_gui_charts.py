"""The results charts and the site chart read alone: legends, one colour table, readable log
ticks, the selected site marked in both charts. Real widgets on a real scored sample."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF, QPalette
from pytestqt.qtbot import QtBot

from caliber_desktop.models import chart_style
from caliber_desktop.models.chart_style import (
    RECOMMENDATION_COLOURS,
    RECOMMENDATION_ORDER,
    SELECTED_LABEL,
    TONE_COLOURS,
    ThemedColour,
)
from caliber_desktop.services.report import charts as pdf_charts
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.results.charts import DecadeAxis, ScoreHistogram, SpendScatter
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.ui.shared.recommendations import recommendation_color
from caliber_desktop.ui.shared.theme import dark_palette
from caliber_desktop.ui.site.chart import GAINED, LOST, ContributionChart

LEGEND = ["Allow", "Monitor", "Block", "Insufficient data"]


@pytest.fixture
def panel(qtbot: QtBot, result: ScoreResult) -> ResultsPanel:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    return panel


def legend(chart: ScoreHistogram | SpendScatter | ContributionChart) -> list[tuple[str, str]]:
    return [(label, colour.name()) for label, colour, _symbol in chart.legend_entries()]


# ------------------------------------------------------------------ legends
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_both_charts_have_a_legend_of_recommendations_and_the_selection(
    panel: ResultsPanel, dark: bool
) -> None:
    if dark:
        panel.setPalette(dark_palette())
    for chart in (panel.histogram, panel.scatter):
        palette = chart.palette()
        expected = [
            (label, RECOMMENDATION_COLOURS[name].on(dark))
            for label, name in zip(LEGEND, RECOMMENDATION_ORDER, strict=True)
        ]
        expected.append((SELECTED_LABEL, palette.color(QPalette.ColorRole.Highlight).name()))
        assert legend(chart) == expected
        # drawn in the title row, above the plot, and told to screen readers
        title = chart.getPlotItem().titleLabel
        assert title.isVisible()
        for label in [*LEGEND, SELECTED_LABEL]:
            assert label.replace(" ", "&nbsp;") in title.text
            assert label in chart.accessibleDescription()


def test_the_legend_wraps_inside_a_laptop_chart_column(qtbot: QtBot, panel: ResultsPanel) -> None:
    """A legend wider than the column wraps; the plot never grows past its view."""
    for chart in (panel.histogram, panel.scatter):
        chart.setParent(None)
        qtbot.addWidget(chart)
        chart.resize(260, 220)
        chart.show()
        qtbot.waitExposed(chart)
        plot = chart.getPlotItem()
        assert plot.geometry().width() <= chart.width() + 0.5
        title = plot.titleLabel
        one_line = QFontMetricsF(title.item.font()).lineSpacing()
        assert title.itemRect().height() > 1.5 * one_line  # it wrapped


def test_site_chart_legend_says_what_green_and_red_mean(qtbot: QtBot) -> None:
    chart = ContributionChart()
    qtbot.addWidget(chart)
    assert chart.legend_entries() == []  # no bars, nothing to explain
    chart.set_metrics(["CTR", "Viewability"], [4.0, -2.5])
    assert legend(chart) == [
        (GAINED, TONE_COLOURS["good"].light),
        (LOST, TONE_COLOURS["bad"].light),
    ]
    assert GAINED.replace(" ", "&nbsp;") in chart.getPlotItem().titleLabel.text
    chart.setPalette(dark_palette())
    assert legend(chart) == [
        (GAINED, TONE_COLOURS["good"].dark),
        (LOST, TONE_COLOURS["bad"].dark),
    ]


# ------------------------------------------------------------------ one colour table
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_window_and_pdf_read_one_colour_table(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, dark: bool
) -> None:
    """Change the shared table and both the window's and the PDF's charts follow."""
    monkeypatch.setitem(RECOMMENDATION_COLOURS, "allow", ThemedColour("#123456", "#abcdef"))
    histogram = ScoreHistogram()
    qtbot.addWidget(histogram)
    if dark:
        histogram.setPalette(dark_palette())
    histogram.set_sites(np.array(["a"], dtype=object), np.array([80.0]), np.array(["allow"]))
    want = "#abcdef" if dark else "#123456"
    assert legend(histogram)[0] == ("Allow", want)
    assert recommendation_color("allow", histogram.palette()).name() == want
    # the PDF is paper: always the light variant, from the same table
    assert pdf_charts.recommendation_fill("allow").hexval() == "0x123456"
    assert pdf_charts.recommendation_legend()[0][1].hexval() == "0x123456"
    assert chart_style.CHART_COLOUR_MEANING["score histogram"] == "recommendation"


# ------------------------------------------------------------------ log ticks
def tick_labels(axis: DecadeAxis, lo: float, hi: float, size: float) -> list[tuple[float, str]]:
    """(pixel position, label) of every tick the axis would label, in order."""
    out = []
    for spacing, values in axis.tickValues(math.log10(lo), math.log10(hi), size):
        for value, text in zip(values, axis.tickStrings(values, 1.0, spacing), strict=True):
            pos = (value - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * size
            out.append((pos, text))
    return sorted(out)


@pytest.mark.parametrize(
    ("lo", "hi", "size"),
    [(0.3, 3000, 300), (0.3, 3000, 1200), (0.01, 5e7, 160), (0.5, 0.9, 300)],
)
def test_scatter_spend_ticks_are_short_and_never_touch(
    qtbot: QtBot, lo: float, hi: float, size: float
) -> None:
    scatter = SpendScatter()
    qtbot.addWidget(scatter)
    axis = scatter.spend_axis
    assert scatter.getAxis("bottom") is axis
    ticks = tick_labels(axis, lo, hi, size)
    assert ticks
    metrics = QFontMetricsF(axis.font())
    for (a, left), (b, right) in itertools.pairwise(ticks):
        gap = b - a - (metrics.horizontalAdvance(left) + metrics.horizontalAdvance(right)) / 2
        assert gap > 0, (left, right)
    for _pos, text in ticks:
        assert "·" not in text
        assert "e" not in text
        assert len(text) <= 5


def test_spend_ticks_of_a_laptop_scatter_are_the_decades(qtbot: QtBot) -> None:
    scatter = SpendScatter()
    qtbot.addWidget(scatter)
    labels = [t for _p, t in tick_labels(scatter.spend_axis, 0.3, 3000, 300)]
    assert labels == ["$1", "$10", "$100", "$1k"]
    scatter.set_log_x(False)  # a linear axis is pyqtgraph's own again
    spacing, values = scatter.spend_axis.tickValues(0, 3000, 300)[0]
    assert scatter.spend_axis.tickStrings(values, 1.0, spacing)[1] in ("500", "1000")


# ------------------------------------------------------------------ the selected site
def test_selecting_a_site_marks_it_in_both_charts(
    qtbot: QtBot, panel: ResultsPanel, result: ScoreResult
) -> None:
    site = panel.model.site_id(0)
    with qtbot.waitSignal(panel.selection_changed):
        panel.select_sites([site])
    score = float(result.sites.loc[site, "score"])
    spend = float(result.sites.loc[site, "spend"])
    assert panel.histogram.marked_scores() == [pytest.approx(score)]
    assert panel.histogram._overlay is None  # a line, not a shaded bin that reads as data
    [(x, y)] = panel.scatter.highlighted_points()
    assert (x, y) == (pytest.approx(spend), pytest.approx(score))
    # in the selection colour, the same as the table's selected row
    highlight = panel.palette().color(QPalette.ColorRole.Highlight)
    assert panel.histogram._marker.opts["pen"].color() == highlight
    assert panel.scatter._rings.opts["pen"].color() == highlight

    with qtbot.waitSignal(panel.selection_changed):
        panel.select_sites([])
    assert panel.histogram.marked_scores() == []
    assert panel.scatter.highlighted_points() == []


def test_a_large_selection_outlines_bins_without_a_line_each(panel: ResultsPanel) -> None:
    ids = [panel.model.site_id(r) for r in range(200)]
    panel.select_sites(ids)
    assert panel.histogram.highlighted_bins()
    assert panel.histogram.marked_scores() == []
    assert panel.histogram._overlay is not None
    assert len(panel.scatter.highlighted_points()) == 200
