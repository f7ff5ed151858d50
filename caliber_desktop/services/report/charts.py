"""The report's charts as reportlab vector drawings (sharp at any zoom, searchable labels).

Drawn from shapes rather than reportlab's chart widgets so every label carries the embedded font
(the widgets default to Helvetica, which is not embedded) and the layout is exactly ours. A chart
of 50,000 points would be a slow, heavy page: the scatter plots at most :data:`MAX_POINTS` sites
(the largest by spend plus an even sample of the rest) and its caption says so.

Colour means what it means in the window (:mod:`caliber_desktop.models.chart_style`, the one
table both read): in the histogram, the scatter and the shares it is the recommendation. The
quality bands are not a colour here: the histogram marks their cuts with dashed lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from caliber_desktop.models import chart_style
from caliber_desktop.models.chart_style import (
    RECOMMENDATION_LABELS,
    RECOMMENDATION_ORDER,
    TONE_COLOURS,
    decade_label,
)
from caliber_desktop.services.report.fonts import BOLD, REGULAR

__all__ = ["RECOMMENDATION_LABELS", "RECOMMENDATION_ORDER", "Chart", "recommendation_fill"]

# ----------------------------------------------------------------------------- palette
#: The tones of the window on white paper (the shared table's light variants).
GOOD = colors.HexColor(TONE_COLOURS["good"].light)
BAD = colors.HexColor(TONE_COLOURS["bad"].light)
WARN = colors.HexColor(TONE_COLOURS["warn"].light)
NEUTRAL = colors.HexColor(chart_style.UNKNOWN_RECOMMENDATION.light)
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
GRID = colors.HexColor("#e4e7eb")
ACCENT = colors.HexColor("#1f5f99")
PALE = colors.HexColor("#f5f7fa")

#: Recommendations with a colour of their own (anything else reads as insufficient data).
ORDER_KNOWN = list(RECOMMENDATION_ORDER[:-1])
#: How the quality cuts are drawn: dashed, in ink, so they never read as a recommendation.
CUT_DASH = (3, 2)


def recommendation_fill(recommendation: str) -> colors.Color:
    """A recommendation's colour on paper, read from the table the window reads too."""
    return colors.HexColor(chart_style.recommendation_colour(recommendation, dark=False))


def recommendation_legend() -> list[tuple[str, colors.Color]]:
    """The legend of every chart coloured by recommendation, in the shared order and words."""
    return [(RECOMMENDATION_LABELS[r], recommendation_fill(r)) for r in RECOMMENDATION_ORDER]


#: The scatter draws at most this many sites.
MAX_POINTS = 2_000
#: Of which the largest by spend are always drawn.
ALWAYS_DRAWN = 300


@dataclass(frozen=True)
class Chart:
    drawing: Drawing
    caption: str


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 7,
    anchor: str = "start",
    bold: bool = False,
    colour: colors.Color = MUTED,
) -> String:
    return String(
        x,
        y,
        text,
        fontName=BOLD if bold else REGULAR,
        fontSize=size,
        fillColor=colour,
        textAnchor=anchor,
    )


def _hline(d: Drawing, x0: float, x1: float, y: float, colour: colors.Color = GRID) -> None:
    d.add(Line(x0, y, x1, y, strokeColor=colour, strokeWidth=0.5))


def _frame(width: float, height: float) -> tuple[Drawing, float, float, float, float]:
    """A drawing and its plot area (left, bottom, right, top) with room for axis labels."""
    d = Drawing(width, height)
    return d, 42.0, 28.0, width - 10.0, height - 20.0


# ----------------------------------------------------------------------------- histogram
def score_histogram(
    scores: Sequence[float] | np.ndarray,
    recommendations: Sequence[str] | np.ndarray | None = None,
    *,
    poor_cut: float | None,
    good_cut: float | None,
    width: float,
    height: float = 170,
) -> Chart:
    """Sites per 5-point score band, stacked by recommendation as in the window.

    The quality bands' cuts (the run's block and allow percentiles of the scores) are dashed lines
    with their scores, not colours, so a colour in this chart means one thing: the recommendation.
    """
    values = np.asarray(scores, dtype=float)
    recs = (
        np.asarray(recommendations, dtype=object).astype(str)
        if recommendations is not None
        else np.full(len(values), "insufficient_data", dtype=object)
    )
    finite = np.isfinite(values)
    values, recs = values[finite], recs[finite]
    counts, edges = np.histogram(values, bins=20, range=(0.0, 100.0))
    d, left, bottom, right, top = _frame(width, height)
    top -= 8  # room for the cut labels under the legend
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    step = _nice_step(peak)
    ymax = step * math.ceil(peak / step)
    for tick in np.arange(0, ymax + step / 2, step):
        y = bottom + (top - bottom) * tick / ymax
        _hline(d, left, right, y)
        d.add(_text(left - 4, y - 2.5, f"{int(tick):,}", anchor="end"))
    slot = (right - left) / len(counts)
    base = np.zeros(len(counts))
    known = np.isin(recs, RECOMMENDATION_ORDER)
    for rec in RECOMMENDATION_ORDER:
        mask = recs == rec
        if rec == "insufficient_data":
            mask = mask | ~known
        part, _ = np.histogram(values[mask], bins=edges)
        for i, n in enumerate(part):
            if not n:
                continue
            d.add(
                Rect(
                    left + i * slot + 1,
                    bottom + (top - bottom) * base[i] / ymax,
                    slot - 2,
                    (top - bottom) * n / ymax,
                    fillColor=recommendation_fill(rec),
                    strokeColor=None,
                    fillOpacity=0.85,
                )
            )
        base += part
    _hline(d, left, right, bottom, MUTED)
    for tick in range(0, 101, 10):
        x = left + (right - left) * tick / 100
        d.add(_text(x, bottom - 10, str(tick), anchor="middle"))
    cuts = []
    for cut, words, anchor in ((poor_cut, "poor below", "end"), (good_cut, "good from", "start")):
        if cut is None or not math.isfinite(cut):
            continue
        x = left + (right - left) * min(max(float(cut), 0.0), 100.0) / 100
        d.add(Line(x, bottom, x, top + 2, strokeColor=INK, strokeWidth=0.8,
                   strokeDashArray=CUT_DASH))  # fmt: skip
        label = f"{words} {cut:.0f}"
        d.add(_text(x + (-2 if anchor == "end" else 2), top + 3, label, anchor=anchor, size=6.5))
        cuts.append(label)
    d.add(_text((left + right) / 2, 4, "Score (0–100)", anchor="middle"))
    d.add(_text(left - 4, top + 16, "Sites", anchor="end"))
    items: list[tuple[str, colors.Color | None]] = list(recommendation_legend())
    if cuts:
        items.append(("Quality cut", None))
    _legend(d, right, height - 10, items)
    caption = (
        f"Score distribution of {len(values):,} sites in 5-point bands, coloured by "
        "recommendation as in the app."
    )
    if cuts:
        caption += f" Dashed lines mark the quality bands: {' and '.join(cuts)}, moderate between."
    return Chart(d, caption)


def _nice_step(peak: float) -> float:
    """A round tick step giving 3–6 gridlines up to ``peak``."""
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return float(max(factor * magnitude, 1))
    return float(10 * magnitude)


def _legend(
    d: Drawing, right: float, y: float, items: Sequence[tuple[str, colors.Color | None]]
) -> None:
    """A one-line legend ending at ``right``: a swatch per colour, a dashed stroke for ``None``."""
    x = right
    for label, colour in reversed(items):
        x -= stringWidth(label, REGULAR, 7)
        d.add(_text(x, y - 6, label))
        x -= 10
        if colour is None:
            d.add(Line(x + 3.5, y - 7, x + 3.5, y + 1, strokeColor=INK, strokeWidth=0.8,
                       strokeDashArray=CUT_DASH))  # fmt: skip
        else:
            d.add(Rect(x, y - 6.5, 7, 7, fillColor=colour, strokeColor=None))
        x -= 10


# ----------------------------------------------------------------------------- scatter
def spend_vs_score(sites: pd.DataFrame, *, width: float, height: float = 210) -> Chart:
    """Each site's spend (log scale, across) against its score (up), coloured by recommendation.

    The same axes, ticks and colours as the window's scatter, so the two read alike.
    """
    spend = pd.to_numeric(sites.get("spend", pd.Series(dtype=float)), errors="coerce")
    frame = pd.DataFrame(
        {"score": pd.to_numeric(sites["score"], errors="coerce"), "spend": spend,
         "rec": sites["recommendation"].astype(str)}
    )  # fmt: skip
    positive = frame[(frame["spend"] > 0) & frame["score"].notna()]
    shown = _sample(positive)
    d, left, bottom, right, top = _frame(width, height)
    left += 6
    if shown.empty:
        d.add(
            _text(
                (left + right) / 2,
                (bottom + top) / 2,
                "No site has spend in this report.",
                anchor="middle",
                size=9,
            )
        )
        return Chart(d, "Spend vs score: the report has no spend column or no site spent money.")
    logs = np.log10(shown["spend"].to_numpy(float))
    lo, hi = math.floor(logs.min()), math.ceil(logs.max())
    if hi == lo:
        hi = lo + 1
    # every decade a gridline; a label where it has room (30 pt), so labels never touch
    label_step = max(1, math.ceil(30.0 / ((right - left) / (hi - lo))))
    for power in range(lo, hi + 1):
        x = left + (right - left) * (power - lo) / (hi - lo)
        d.add(Line(x, bottom, x, top, strokeColor=GRID, strokeWidth=0.3))
        if power % label_step == 0:
            d.add(_text(x, bottom - 10, decade_label(power, money=True), anchor="middle"))
    for tick in range(0, 101, 25):
        y = bottom + (top - bottom) * tick / 100
        _hline(d, left, right, y)
        d.add(_text(left - 4, y - 2.5, str(tick), anchor="end"))
    _hline(d, left, right, bottom, MUTED)
    xs = left + (right - left) * (logs - lo) / (hi - lo)
    ys = bottom + (top - bottom) * shown["score"].to_numpy(float).clip(0, 100) / 100
    recs = shown["rec"].to_numpy()
    # Draw the common classes first so the rarer ones stay visible on top.
    for rec in ("monitor", "insufficient_data", "allow", "block"):
        colour = recommendation_fill(rec)
        # an unknown recommendation is drawn as insufficient data, as in the window
        mask = recs == rec if rec != "insufficient_data" else ~np.isin(recs, ORDER_KNOWN)
        for x, y in zip(xs[mask], ys[mask], strict=True):
            d.add(
                Circle(float(x), float(y), 1.6, fillColor=colour, strokeColor=None, fillOpacity=0.6)
            )
    d.add(_text((left + right) / 2, 4, "Spend (log scale)", anchor="middle"))
    d.add(_text(left - 4, top + 8, "Score", anchor="end"))
    _legend(d, right, top + 10, recommendation_legend())
    total, drawn = len(frame), len(shown)
    caption = (
        "Spend (log scale) against score, one dot per site, coloured by recommendation as in "
        "the app."
    )
    if drawn < len(positive):
        caption += (
            f" {drawn:,} of {len(positive):,} sites with spend are drawn: the {ALWAYS_DRAWN:,} "
            "largest by spend and an even sample of the rest."
        )
    if len(positive) < total:
        caption += f" {total - len(positive):,} sites without spend are not shown."
    return Chart(d, caption)


def _sample(frame: pd.DataFrame) -> pd.DataFrame:
    """At most :data:`MAX_POINTS` rows: the biggest spenders, then every n-th of the rest by score.

    Deterministic (no random draw), so the same run always gives the same picture.
    """
    if len(frame) <= MAX_POINTS:
        return frame
    by_spend = frame.sort_values("spend", ascending=False, kind="stable")
    big, rest = by_spend.iloc[:ALWAYS_DRAWN], by_spend.iloc[ALWAYS_DRAWN:]
    rest = rest.sort_values("score", kind="stable")
    picks = np.linspace(0, len(rest) - 1, MAX_POINTS - ALWAYS_DRAWN).round().astype(int)
    return pd.concat([big, rest.iloc[np.unique(picks)]])


# ----------------------------------------------------------------------------- shares
def recommendation_shares(
    rows: Sequence[tuple[str, dict[str, float]]], *, width: float, height: float = 120
) -> Chart:
    """One 100 % bar per measure (sites, impressions, spend…) split by recommendation.

    ``rows`` is (measure label, {recommendation: amount}); amounts need not be normalised.
    """
    d = Drawing(width, height)
    label_w, right = 70.0, width - 10.0
    bar_h, gap = 16.0, 10.0
    top = height - 22.0
    for i, (label, amounts) in enumerate(rows):
        y = top - (i + 1) * bar_h - i * gap
        d.add(_text(label_w - 6, y + bar_h / 2 - 2.5, label, anchor="end", colour=INK))
        total = sum(max(v, 0.0) for v in amounts.values())
        x = label_w
        if total <= 0:
            d.add(Rect(x, y, right - x, bar_h, fillColor=PALE, strokeColor=GRID))
            d.add(_text((x + right) / 2, y + bar_h / 2 - 2.5, "none", anchor="middle"))
            continue
        for rec in RECOMMENDATION_ORDER:
            share = max(amounts.get(rec, 0.0), 0.0) / total
            w = (right - label_w) * share
            if w <= 0:
                continue
            d.add(
                Rect(
                    x,
                    y,
                    w,
                    bar_h,
                    fillColor=recommendation_fill(rec),
                    strokeColor=colors.white,
                    strokeWidth=0.5,
                )
            )
            if w >= 24:
                d.add(
                    _text(
                        x + w / 2,
                        y + bar_h / 2 - 2.5,
                        f"{share:.0%}",
                        anchor="middle",
                        colour=colors.white,
                        bold=True,
                    )
                )
            x += w
    _legend(d, right, height - 4, recommendation_legend())
    caption = (
        "Share of sites, impressions and spend by recommendation, as scored (before the "
        "analyst's pins)."
    )
    return Chart(d, caption)
