"""The ranked tables: top and bottom sites, and the recommendations with their lists.

Tables are capped so a 50,000-site run gives a report of bounded length; a note says what was
left out and where to find it (the results export).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak

from caliber_desktop.models import labels
from caliber_desktop.services.report.common import (
    BIGGEST_ON_LIST,
    MAX_PINS,
    TOP_N,
    SectionBase,
)
from caliber_desktop.services.report.fonts import clean, markup
from caliber_desktop.services.report.layout import (
    bullets,
    count,
    data,
    money,
    para,
    paragraph,
    score,
    share,
    table,
)

#: Drivers shown per site in the top and bottom tables (the scoring names at most this many).
DRIVERS_SHOWN = 2
#: "Viewability 90 % vs median 61 % (+15 pts)": the metric and value, the median, the points.
_DRIVER = re.compile(r"^(?P<head>.+?) vs median .+ \((?P<points>[+−][0-9.]+ pts)\)$")


class TableSections(SectionBase):
    # ------------------------------------------------------------------ top and bottom
    def top_and_bottom(self) -> list[Flowable]:
        sites = self.sites
        n = min(TOP_N, len(sites))
        top = sites.iloc[:n]
        bottom = sites.iloc[::-1].iloc[: min(TOP_N, max(len(sites) - n, 0))]
        out: list[Flowable] = [PageBreak(), para(f"Top and bottom {self.noun}", "h1")]
        out.append(para(
            "Main drivers: the metrics that moved a site's score most, with its value and the "
            "points it gained (+) or lost (−) against a median site (the campaign medians are in "
            "the Overview).",
            "small",
        ))  # fmt: skip
        out.append(para(f"Top {len(top):,} {self.noun} by score", "h2"))
        out.append(self._ranked(top, 1))
        if len(bottom):
            out.append(CondPageBreak(60 * mm))
            out.append(para(f"Bottom {len(bottom):,} {self.noun} by score (lowest first)", "h2"))
            out.append(self._ranked(bottom, len(sites), step=-1))
        if len(sites) > 2 * TOP_N:
            out.append(para(
                f"{len(sites) - 2 * TOP_N:,} {self.noun} in between are not shown here; the "
                "details appendix lists the largest by spend, and the results export has them all.",
                "note",
            ))  # fmt: skip
        return out

    def _ranked(self, frame: pd.DataFrame, first: int, step: int = 1) -> Flowable:
        rows: list[list[Any]] = [
            ["#", "Site", "Impressions", "Spend", "Score", "Recommendation", "Main drivers"]
        ]
        for i, (site_id, row) in enumerate(frame.iterrows()):
            rows.append([
                str(first + step * i),
                self._site(site_id, row.get("display_name")),
                count(row.get("impressions")),
                money(row.get("spend")),
                score(row.get("score")),
                self._rec_cell(row.get("recommendation")),
                _drivers_cell(row.get("top_drivers", "")),
            ])  # fmt: skip
        w = self.width
        widths = [8 * mm, 38 * mm, 20 * mm, 16 * mm, 11 * mm, 27 * mm]
        return table(rows, [*widths, w - sum(widths)], right=(0, 2, 3, 4))

    # ------------------------------------------------------------------ lists
    def recommendations(self) -> list[Flowable]:
        c = self.content
        cfg = c.result.config
        decision = c.result.summary.get("decision", {})
        sure = float(decision.get("confidence", cfg.decision_confidence))
        block_cut = decision.get("block_cut")
        allow_cut = decision.get("allow_cut")

        def cut(value: object) -> str:
            return "" if value is None else f" ({float(value):.1f})"  # type: ignore[arg-type]

        rules = [
            f"<b>Block</b>: a hard red flag, or at least {sure:.0%} sure that the "
            f"score is below the block cut{cut(block_cut)}, the {cfg.block_percentile:.0f}th "
            "percentile of scores.",
            f"<b>Allow</b>: no red flag and at least {sure:.0%} sure that the score is "
            f"at or above the allow cut{cut(allow_cut)}, the {cfg.allow_percentile:.0f}th "
            "percentile.",
            f"<b>Insufficient data</b>: fewer than {cfg.min_impressions:,} impressions, or a "
            "score interval so wide (over half the scale) that the data cannot place the "
            f"{self.noun[:-1]}.",
            "<b>Monitor</b>: everything else: neither probability is high enough.",
            f"How sure a score is comes from the evidence of every metric: each metric's "
            f"{cfg.credible_level:.0%} credible interval goes through the same normalisation "
            "as the value, and the weights combine them into the score's interval.",
        ]
        out: list[Flowable] = [PageBreak(), para("Recommendations and list impact", "h1")]
        out += bullets(rules)
        rows: list[list[Any]] = [
            ["List", self.Noun, "Impressions", "Spend", "Clicks", "Conversions"]
        ]
        missing: set[str] = set()
        for name in ("allow", "monitor", "block"):
            impact = c.lists.impact.get(name)
            if impact is None:
                continue
            missing.update(impact.unmeasured)
            rows.append([
                self._rec_cell(name),
                count(impact.sites),
                *(share(impact.shares[col]) if col in impact.shares else "not in report"
                  for col in ("impressions", "spend", "clicks", "conversions")),
            ])  # fmt: skip
        out += [
            para("What each list touches (share of the campaign's totals)", "h2"),
            table(rows, [30 * mm, 22 * mm, 28 * mm, 28 * mm, 28 * mm, 28 * mm], right=range(1, 6)),
            para(
                f"Monitor includes {self.noun} with insufficient data and {self.noun} that "
                "cannot go on a list."
                + (
                    f" The report has no {' or '.join(sorted(missing))} column, so no share of "
                    "it is shown."
                    if missing
                    else ""
                ),
                "note",
            ),
        ]
        block = c.lists.impact.get("block")
        if block is not None and block.warning:
            out.append(data(block.warning, "warning"))
        members = c.lists.sites
        for name, title in (
            ("block", f"Largest {self.noun} on the block list"),
            ("allow", f"Largest {self.noun} on the allow list"),
        ):
            listed = members[members["list_action"] == name]
            if listed.empty:
                continue
            biggest = listed.sort_values("spend", ascending=False, kind="stable").iloc[
                :BIGGEST_ON_LIST
            ]
            heading = para(f"{title} (by spend, {len(biggest):,} of {len(listed):,})", "h2")
            out.append(KeepTogether([heading, self._list_table(biggest)]))
        pins = members[members["overridden"]]
        if len(pins):
            out.append(para(f"Pinned by the analyst ({len(pins):,})", "h2"))
            rows = [["Site", "Pinned to", "Scored as", "Reason"]]
            for site_id, row in pins.iloc[:MAX_PINS].iterrows():
                rows.append(
                    [
                        self._site(site_id),
                        self._rec_cell(row["list_action"]),
                        self._rec_cell(row["recommendation"]),
                        data(row["override_reason"] or "–", "cell", limit=200),
                    ]
                )
            out.append(table(rows, [55 * mm, 25 * mm, 25 * mm, self.width - 105 * mm]))
            if len(pins) > MAX_PINS:
                out.append(para(f"{len(pins) - MAX_PINS:,} more pins are not shown.", "note"))
                self.truncated = True
        return out

    def _list_table(self, frame: pd.DataFrame) -> Flowable:
        flags = self.sites.get("flags")
        rows: list[list[Any]] = [["Site", "Impressions", "Spend", "Score", "Pinned", "Flags"]]
        for site_id, row in frame.iterrows():
            site_flags = flags.get(site_id, ()) if flags is not None else ()
            rows.append([
                self._site(site_id, row.get("display_name")),
                count(row["impressions"]),
                money(row["spend"]),
                score(row["score"]),
                "yes" if row["overridden"] else "",
                para(labels.flags(str(f) for f in site_flags) or "–", "cell"),
            ])  # fmt: skip
        widths = [62 * mm, 22 * mm, 22 * mm, 14 * mm, 16 * mm]
        return table(rows, [*widths, self.width - sum(widths)], right=(1, 2, 3))


def compact_drivers(text: object, most: int = DRIVERS_SHOWN) -> list[str]:
    """``top_drivers`` as short phrases: "Viewability 90 % vs median 61 % (+15 pts); …" →
    ["Viewability 90 % (+15 pts)", …] (the median is the same on every row)."""
    phrases = [p.strip() for p in clean(text).removesuffix(".").split("; ") if p.strip()]
    out = []
    for phrase in phrases[:most]:
        found = _DRIVER.match(phrase)
        out.append(f"{found['head']} ({found['points']})" if found else phrase)
    return out


def _drivers_cell(text: object) -> Flowable:
    """One driver a line, so a row is at most two lines high."""
    lines = [markup(phrase, limit=70) for phrase in compact_drivers(text)]
    return paragraph("<br/>".join(lines) or "–", "cell_muted")
