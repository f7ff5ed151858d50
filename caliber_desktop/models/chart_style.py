"""What colour means in Caliber's charts, read by the window (Qt) and the PDF (reportlab) alike.

One table, so a colour means one thing wherever an analyst meets it. Plain strings and numbers
only: the report is drawn without Qt (architecture rule 1), and the window turns these into
``QColor``. Every colour has a light-theme and a dark-theme variant with the same meaning: deep
enough to read on white paper or a light plot, light enough to read on a dark one.

What colour means, per chart kind (:data:`CHART_COLOUR_MEANING`):

* the score histogram, spend vs score and the recommendation shares: **the recommendation**
  (allow, monitor, block, insufficient data), in the window and in the PDF;
* "points vs a median site" (the site detail's bars): **the tone** of a contribution, green for
  points gained against a median site, red for points lost;
* the selected site is marked in the palette's selection colour (the table's selected row), a
  blue that no recommendation uses.

The quality bands (poor, moderate, good) are not a colour in any chart: the PDF's histogram marks
their cuts as labelled dashed lines.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from caliber_desktop.models.labels import RECOMMENDATIONS


class ThemedColour(NamedTuple):
    """One meaning's colour as ``#rrggbb`` on a light and on a dark background."""

    light: str
    dark: str

    def on(self, dark: bool) -> str:
        return self.dark if dark else self.light


#: Recommendations in the order every legend, chip row and summary lists them (best first).
RECOMMENDATION_ORDER: tuple[str, ...] = ("allow", "monitor", "block", "insufficient_data")

#: The colour of each recommendation. The PDF (white paper) uses ``light``.
RECOMMENDATION_COLOURS: dict[str, ThemedColour] = {
    "allow": ThemedColour("#1e7d3a", "#62c97f"),
    "monitor": ThemedColour("#b36b00", "#f2b84b"),
    "block": ThemedColour("#c0392b", "#f07167"),
    "insufficient_data": ThemedColour("#6b6b6b", "#a8a8a8"),
}
#: A recommendation the table does not know reads as the quiet neutral.
UNKNOWN_RECOMMENDATION = RECOMMENDATION_COLOURS["insufficient_data"]

#: The analyst's words for each recommendation (legends, table cells, the PDF): the labels
#: table's (``models/labels.py``), kept under this name.
RECOMMENDATION_LABELS: dict[str, str] = RECOMMENDATIONS

#: Tones: good, bad and warn (site detail, lists, chips, the contribution bars). Same hue family
#: as the recommendations but their own shades, so a chip reads as a judgement, not a class.
TONE_COLOURS: dict[str, ThemedColour] = {
    "good": ThemedColour("#12983f", "#69e191"),
    "bad": ThemedColour("#981212", "#e16969"),
    "warn": ThemedColour("#986012", "#e1af69"),
}

#: The meaning colour carries in each chart kind, in the analyst's words (docs, tests, captions).
CHART_COLOUR_MEANING: dict[str, str] = {
    "score histogram": "recommendation",
    "spend vs score": "recommendation",
    "recommendation shares": "recommendation",
    "points vs a median site": "points gained (green) or lost (red) against a median site",
}

#: What the selection marker is called in legends.
SELECTED_LABEL = "Selected site"


def recommendation_colour(recommendation: str, *, dark: bool = False) -> str:
    """``#rrggbb`` of a recommendation on a light (default) or dark background."""
    return RECOMMENDATION_COLOURS.get(recommendation, UNKNOWN_RECOMMENDATION).on(dark)


def recommendation_label(recommendation: str) -> str:
    """The analyst's word for a recommendation; an unknown one reads with spaces for underscores."""
    return RECOMMENDATION_LABELS.get(recommendation, recommendation.replace("_", " "))


def decade_label(power: int, *, money: bool = False) -> str:
    """A log axis's tick at ``10**power``: ``1``, ``10``, ``100``, ``1k``, ``10k``, ``1M``…

    Short and plain so neighbouring decades never run into each other (pyqtgraph's own log axis
    writes ``5·10¹`` beside ``6·10¹``); ``money`` prefixes ``$``, the currency the reports use.
    """
    return multiple_label(10.0**power, money=money)


def multiple_label(value: float, *, money: bool = False) -> str:
    """``value`` (a decade, or a 2× or 5× step of one) as a short tick: ``2``, ``500``, ``5k``."""
    sign = "$" if money else ""
    if math.isfinite(value):
        value = float(f"{value:.3g}")  # 10**log10(5) is 4.999…: the tick means 5
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{sign}{value / size:g}{suffix}"
    if value <= 0 or not math.isfinite(value):
        return f"{sign}0"
    return f"{sign}{value:.4g}"
