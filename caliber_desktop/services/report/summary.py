"""The report's opening: title page, executive summary, overview tables and charts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from caliber_desktop import __version__
from caliber_desktop.models import labels
from caliber_desktop.services.report import charts
from caliber_desktop.services.report.charts import RECOMMENDATION_LABELS
from caliber_desktop.services.report.common import (
    FLAG_TEXT,
    LEVELS,
    PLATFORMS,
    SectionBase,
    inline_name,
    metric_value,
    plain_markup,
    readable_id,
    when,
)
from caliber_desktop.services.report.layout import (
    bullets,
    count,
    data,
    money,
    para,
    score,
    share,
    table,
)
from caliber_desktop.services.runs.facts import (
    SCORE_CAVEAT,
    median_site_score,
    run_counts,
    score_reading,
)
from caliber_desktop.services.scoring.lists import ListImpact
from caliber_desktop.services.scoring.vocabulary import counted


class SummarySections(SectionBase):
    # ------------------------------------------------------------------ title
    def title_page(self) -> list[Flowable]:
        c, run = self.content, self.content.run
        s = c.campaign.settings
        facts = [
            [labels.setting("platform"), PLATFORMS.get(s.platform.value, s.platform.value)],
            [labels.setting("channel"), labels.channel(s.channel)],
            [labels.setting("goal"), labels.goal(s.goal)],
            [
                labels.setting("ctr_sensitivity"),
                "Yes (the client judges on CTR)" if s.ctr_sensitivity else "No",
            ],
            [labels.setting("analysis_level"), LEVELS.get(s.analysis_level.value, "–")],
            [
                labels.setting("profile"),
                labels.profile(c.result.profile) if c.result.profile else "–",
            ],
            ["Report file", data(c.result.quality.source or "–", "cell", limit=80)],
            ["Rows read", count(run.rows_read)],
            ["Sites scored", count(run_counts(c.lists.sites).sites)],
            ["Run", f"#{run.id}, scored {when(run.finished_at or run.started_at)}"],
            ["Report generated", f"{when(c.generated_at)} by Caliber Desktop {__version__}"],
        ]
        card = table(
            [[para(score(run.campaign_score), "big"),
              para("<b>Campaign score</b> out of 100<br/>impression-weighted mean of every "
                   "site's score", "small")]],
            [32 * mm, 90 * mm],
            header=False,
            zebra=False,
            extra=[("BACKGROUND", (0, 0), (-1, -1), charts.PALE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),  # noqa: E501
                   ("LINEBEFORE", (0, 0), (0, 0), 3, charts.ACCENT), ("LEFTPADDING", (0, 0), (0, 0), 10),  # noqa: E501
                   ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)],
        )  # fmt: skip
        rows = [[para(label, "cell_muted"), value] for label, value in facts]
        out: list[Flowable] = [
            Spacer(1, 28 * mm),
            para("CAMPAIGN PERFORMANCE REPORT", "kicker"),
            data(c.campaign.name, "title", limit=160),
        ]
        if c.campaign.description:
            out.append(data(c.campaign.description, "body", limit=600))
        out += [
            Spacer(1, 8 * mm),
            card,
            Spacer(1, 8 * mm),
            table(rows, [38 * mm, self.width - 38 * mm], header=False, zebra=False),
            Spacer(1, 10 * mm),
            para(
                f"{SCORE_CAVEAT} Recommendations need statistical evidence, not only a rank "
                "(see Methodology).",
                "note",
            ),
            PageBreak(),
        ]
        return out

    # ------------------------------------------------------------------ summary
    def executive_summary(self) -> list[Flowable]:
        c, run, sites = self.content, self.content.run, self.sites
        summary = c.result.summary
        counts = run_counts(c.lists.sites, rows_read=run.rows_read)  # as every surface counts
        recs = counts.recommendations
        spend_total = float(sites["spend"].sum()) if "spend" in sites else 0.0
        imps_total = float(sites["impressions"].sum()) if "impressions" in sites else 0.0
        rec_spend = (
            sites.groupby("recommendation", observed=True)["spend"].sum()
            if "spend" in sites
            else pd.Series(dtype=float)
        )
        tiles = table(
            [[_tile("Campaign score", f"{score(run.campaign_score)} / 100"),
              _tile("Sites scored", count(counts.sites)),
              _tile("Impressions", count(imps_total)),
              _tile("Spend", money(spend_total))]],
            [self.width / 4] * 4,
            header=False,
            zebra=False,
            extra=[("BACKGROUND", (0, 0), (-1, -1), charts.PALE),
                   ("LINEBEFORE", (1, 0), (-1, 0), 2, "#ffffff"),
                   ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 7)],
        )  # fmt: skip
        reading = score_reading(
            run.campaign_score, median_site_score(sites), c.result.config.level
        )  # the insight words the score with this very sentence
        points = [
            f"Caliber scored <b>{count(counts.sites)}</b> {self.noun} from "
            f"{count(run.rows_read)} report rows. {reading} {SCORE_CAVEAT}",
        ]
        parts = []
        for rec in charts.RECOMMENDATION_ORDER:
            n = int(recs.get(rec, 0))
            part = f"<b>{n:,}</b> {RECOMMENDATION_LABELS[rec].lower()}"
            if spend_total > 0:
                part += f" ({share(float(rec_spend.get(rec, 0.0)) / spend_total)} of spend)"
            parts.append(part)
        points.append("Recommendations: " + ", ".join(parts) + ".")
        block, allow = c.lists.impact.get("block"), c.lists.impact.get("allow")
        if block is not None and allow is not None:
            points.append(
                f"The block list ({counted(block.sites, c.result.config.level)}) removes "
                f"{_shares(block)}; the allow list "
                f"({counted(allow.sites, c.result.config.level)}) keeps {_shares(allow)}."
            )
        if len(sites):
            top, low = sites.iloc[0], sites.iloc[-1]
            points.append(
                f"Best site: {inline_name(readable_id(str(sites.index[0])))} "
                f"(score {score(top['score'])}, "
                f"{count(top.get('impressions'))} impressions). Weakest: "
                f"{inline_name(readable_id(str(sites.index[-1])))} (score {score(low['score'])})."
            )
        shares_ = summary.get("variance_shares", {})
        names = summary.get("labels", {})
        drivers = sorted(shares_.items(), key=lambda kv: -float(kv[1] or 0))[:3]
        if drivers:
            points.append(
                f"What separated the {self.noun} most: "
                + ", ".join(
                    f"{names.get(k) or labels.metric(k)} ({share(v)} of the score variance)"
                    for k, v in drivers
                )
                + "."
            )
        flags = summary.get("flags", {})
        if flags:
            points.append(
                "Red flags: "
                + "; ".join(
                    f"{int(n):,} × {labels.flag(k)} ({FLAG_TEXT.get(k, '')})"
                    for k, n in sorted(flags.items(), key=lambda kv: -kv[1])
                )
                + "."
            )
        pinned = int(c.lists.sites["overridden"].sum())
        if pinned:
            points.append(
                f"{counted(pinned, c.result.config.level)} pinned to a list by the analyst; "
                "the lists follow the pins."
            )
        quality = c.result.quality
        if run.rows_dropped:
            points.append(
                f"{count(run.rows_dropped)} report rows could not be scored "
                "(see the Data quality appendix)."
            )
        if quality.warnings:
            points.append(
                f"<b>{len(quality.warnings):,} data warning(s)</b> about the input file; read "
                "them in the Data quality appendix before acting on the lists."
            )
        out: list[Flowable] = [para("Executive summary", "h1"), tiles, Spacer(1, 5 * mm)]
        out += bullets(points)
        if block is not None and block.warning:
            out.append(data(block.warning, "warning"))
        return out

    # ------------------------------------------------------------------ overview
    def overview(self) -> list[Flowable]:
        c, sites = self.content, self.sites
        summary = c.result.summary
        totals = {
            col: float(sites[col].sum()) if col in sites else 0.0
            for col in ("impressions", "clicks", "spend", "conversions")
        }
        imps, clicks, spend, conv = (
            totals[k] for k in ("impressions", "clicks", "spend", "conversions")
        )
        rows: list[list[Any]] = [
            ["Impressions", "Clicks", "CTR", "Spend", "CPM", "Conversions", "CPA"],
            [count(imps), count(clicks), share(clicks / imps) if imps else "–",
             money(spend), money(1000 * spend / imps) if imps else "–", count(conv),
             money(spend / conv) if conv else "–"],
        ]  # fmt: skip
        out: list[Flowable] = [
            CondPageBreak(90 * mm),
            para("Overview", "h1"),
            para("Totals over every scored site", "h2"),
            table(rows, [self.width / 7] * 7, right=range(7)),
            para("Metrics and weights", "h2"),
            para(
                "Each site's score is the weighted sum of its metrics, each ranked 0–100 against "
                "the campaign's other sites (better = higher). The variance share says how much "
                "each metric actually separated the sites in this run.",
                "small",
            ),
        ]
        names, units = summary.get("labels", {}), summary.get("units", {})
        medians, directions = summary.get("medians", {}), summary.get("directions", {})
        variance = summary.get("variance_shares", {})
        metric_rows: list[list[Any]] = [
            ["Metric", "Better when", "Weight", "Campaign median", "Variance share"]
        ]
        for name, weight in summary.get("weights", {}).items():
            metric_rows.append([
                names.get(name) or labels.metric(name),
                "higher" if directions.get(name) == "higher" else "lower",
                share(weight),
                metric_value(medians.get(name), units.get(name, "ratio")),
                share(variance.get(name)),
            ])  # fmt: skip
        out.append(
            table(metric_rows, [50 * mm, 30 * mm, 24 * mm, 34 * mm, 28 * mm], right=(2, 3, 4))
        )
        dropped = c.result.dropped_metrics
        if dropped:
            out.append(para("Left out of the score:", "h3"))
            out += bullets(
                [
                    f"{names.get(k) or labels.metric(k)}: {plain_markup(v)}"
                    for k, v in dropped.items()
                ]
            )
        quality = summary.get("quality_status", {})
        cuts = summary.get("thresholds", {})
        good = cuts.get("good_cut")
        poor = cuts.get("poor_cut")  # the run's allow/block percentiles of the scores
        good_words = f"Good (score {good:.0f} or more)" if isinstance(good, float) else "Good"
        poor_words = f"Poor (score below {poor:.0f})" if isinstance(poor, float) else "Poor"
        conf = sites["confidence"].value_counts() if "confidence" in sites else pd.Series(dtype=int)
        q_rows: list[list[Any]] = [
            ["Quality status", "Sites", "", "Confidence", "Sites"],
            [
                good_words,
                count(quality.get("good", 0)),
                "",
                "High",
                count(conf.get("high", 0)),
            ],
            [
                "Moderate",
                count(quality.get("moderate", 0)),
                "",
                "Medium",
                count(conf.get("medium", 0)),
            ],
            [
                poor_words,
                count(quality.get("poor", 0)),
                "",
                "Low",
                count(conf.get("low", 0)),
            ],
        ]
        out += [
            para("Quality and confidence", "h2"),
            table(q_rows, [42 * mm, 22 * mm, 10 * mm, 30 * mm, 22 * mm], right=(1, 4)),
        ]
        return out

    # ------------------------------------------------------------------ charts
    def charts(self) -> list[Flowable]:
        c, sites = self.content, self.sites
        thresholds = c.result.summary.get("thresholds", {})
        hist = charts.score_histogram(
            sites["score"].to_numpy(float),
            sites["recommendation"].astype(str).to_numpy(),
            poor_cut=thresholds.get("poor_cut"),
            good_cut=thresholds.get("good_cut"),
            width=self.width,
        )
        scatter = charts.spend_vs_score(sites, width=self.width)
        rows = []
        for label, column in (("Sites", None), ("Impressions", "impressions"), ("Spend", "spend")):
            if column is None:
                amounts = sites["recommendation"].astype(str).value_counts()
            elif column in sites:
                amounts = sites.groupby(sites["recommendation"].astype(str))[column].sum()
            else:
                continue
            rows.append((label, {str(k): float(v) for k, v in amounts.items()}))
        shares_ = charts.recommendation_shares(rows, width=self.width, height=30 + 26 * len(rows))
        out: list[Flowable] = [PageBreak(), para("Charts", "h1")]
        for title, chart in (
            ("Score distribution", hist),
            ("Spend vs score", scatter),
            ("Recommendation shares", shares_),
        ):
            out.append(
                KeepTogether([para(title, "h2"), chart.drawing, para(chart.caption, "note")])
            )
        return out


def _tile(label: str, value: str) -> list[Flowable]:
    return [para(label, "tile_label"), para(value, "tile_value")]


def _shares(impact: ListImpact) -> str:
    """Impressions and spend shares of a list; a column the report lacks is named as missing."""
    parts = [
        f"{share(impact.shares[c])} of {c}" if c in impact.shares else f"no {c} (not in the report)"
        for c in ("impressions", "spend")
    ]
    return " and ".join(parts)
