"""The report's back matter: AI insights, methodology, data quality and the site details."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, PageBreak

from caliber_desktop.models import labels
from caliber_desktop.services.report.common import (
    DETAIL_ROWS,
    FLAG_TEXT,
    MAX_ISSUES,
    SectionBase,
    bullet_data,
    plain_markup,
    when,
)
from caliber_desktop.services.report.layout import (
    bullets,
    count,
    data,
    money,
    para,
    score,
    table,
)
from caliber_desktop.services.scoring.model import ColumnMapping
from caliber_desktop.services.scoring.vocabulary import ids_text


class AppendixSections(SectionBase):
    # ------------------------------------------------------------------ insights
    def insights(self) -> list[Flowable]:
        found = self.content.insights
        if not found:
            return []
        out: list[Flowable] = [PageBreak(), para("AI insights", "h1")]
        out.append(para(
            "Written by the AI assistant from this run's numbers (or, marked offline, built from "
            "the statistics without a model). Read them as a second opinion, not as the score.",
            "small",
        ))  # fmt: skip
        for insight in found:
            source = "offline insight" if insight.is_offline else (insight.model or "model")
            out.append(data(insight.title, "h2", limit=200))
            out.append(data(f"{when(insight.created_at)} · {source}", "small", limit=200))
            text = insight.content[:8000]
            for block in [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]:
                lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
                if all(ln[:2] in ("- ", "* ", "• ") for ln in lines):
                    for ln in lines:
                        out.append(bullet_data(ln[2:]))
                else:
                    out.append(data(" ".join(ln.lstrip("#").strip() for ln in lines), "body"))
            if len(insight.content) > 8000:
                out.append(para("(shortened for the report)", "note"))
        return out

    # ------------------------------------------------------------------ appendix
    def methodology(self) -> list[Flowable]:
        c = self.content
        cfg, summary = c.result.config, c.result.summary
        decision = summary.get("decision", {})
        spend_header = c.run.column_mapping.get("columns", {}).get("spend")
        norm = (
            "percentile rank (mid-rank for ties)"
            if cfg.normalization == "percentile"
            else "min–max on winsorised values"
        )
        outliers = {
            "winsorize": (
                f"winsorised at the {cfg.winsor_p:.0%} / {1 - cfg.winsor_p:.0%} percentiles"
            ),
            "none": "not clipped",
            "iqr": "clipped at the IQR fences",
            "mad": "clipped by median absolute deviation",
        }.get(cfg.outliers, cfg.outliers)
        steps = [
            "<b>Preprocess.</b> Report columns are mapped to canonical names, numbers parsed, "
            "rates recomputed from counts, totals and non-targetable rows dropped (counted in the "
            "data-quality appendix), and rows aggregated per site by summing counts — rates are "
            "never averaged.",
            "<b>Small samples.</b> Every rate is shrunk towards the campaign's typical value "
            "(empirical-Bayes Beta prior) so a site with 300 impressions cannot win on luck; a "
            f"{cfg.credible_level:.0%} credible interval is kept for the recommendations.",
            f"<b>Outliers and red flags.</b> Metrics are {outliers} before ranking. Red flags: "
            + "; ".join(f"{labels.flag(k)} — {v}" for k, v in FLAG_TEXT.items())
            + ".",
            f"<b>Normalise.</b> Each metric becomes 0–100 by {norm}, flipped where lower is "
            "better. A metric missing from the file is left out and the other weights "
            "renormalised — never scored as 0.",
            f"<b>Weight and score.</b> Profile "
            f"<i>{plain_markup(labels.profile(c.result.profile))}</i>"
            + (" with the template's custom weights" if cfg.custom_weights else "")
            + "; the score is the weighted sum (0–100). Quality status: good from the "
            f"{cfg.allow_percentile:.0f}th percentile of scores, poor below the "
            f"{cfg.block_percentile:.0f}th. The campaign score is the impression-weighted mean.",
            "<b>Recommendations</b> decide on the score's own uncertainty: each metric's "
            "credible interval is pushed through the normalisation and the weights, giving a "
            f"{cfg.credible_level:.0%} interval for the score and the probabilities that it is "
            f"below the block cut (P{cfg.block_percentile:.0f}) and at or above the allow cut "
            f"(P{cfg.allow_percentile:.0f}); a {self.noun[:-1]} goes on a list when "
            f"its probability reaches {float(decision.get('confidence', 0.9)):.0%}, or a hard "
            f"red flag blocks it. Below {cfg.min_impressions:,} impressions, or with an "
            "interval over half the scale, it is insufficient data.",
        ]
        scale = summary.get("scale", {})
        if scale.get("method") == "robust":
            steps.append(
                f"<b>Too few to rank.</b> {count(scale.get('sites'))} {self.noun} are fewer "
                f"than the {count(scale.get('minimum_ranked'))} a percentile ranking needs, so "
                "each metric is scored against the campaign's median and robust spread "
                "(log-odds for rates, log for money) instead, and the cuts are the 25th and "
                "75th percentiles of that scale."
            )
        if spend_header:
            steps.append(
                "Money is in the report's own currency (spend from the column "
                f"“{plain_markup(spend_header)}”); “$” marks money, not US dollars."
            )
        return [PageBreak(), para("Appendix A — Methodology", "h1"), *bullets(steps)]

    def data_quality(self) -> list[Flowable]:
        c = self.content
        q = c.result.quality
        rows: list[list[Any]] = [
            ["Rows read", "Rows scored", "Rows left out", self.Noun],
            [count(q.rows_read), count(q.rows_scored), count(q.rows_dropped), count(q.sites)],
        ]
        out: list[Flowable] = [
            CondPageBreak(80 * mm),
            para("Appendix B — Data quality", "h1"),
            data(f"Source file: {q.source or '–'}", "body", limit=200),
            table(rows, [self.width / 4] * 4, right=range(4)),
            data(
                f"Every data row is accounted for: {q.accounting()}.",
                "small",
                limit=600,
            ),
        ]
        ids = ids_text(q.ids)
        if ids:
            out.append(data(ids, "small", limit=900))
        if q.dropped:
            drop_rows: list[list[Any]] = [
                ["Left out because", "Rows", "Impressions", "Spend", "Examples"]
            ]
            for d in q.dropped:
                drop_rows.append(
                    [
                        data(d.label, "cell"),
                        count(d.rows),
                        count(d.impressions),
                        money(d.spend),
                        data(", ".join(d.examples[:4]) or "–", "cell_muted", limit=140),
                    ]
                )
            out += [
                para("Rows left out of scoring", "h2"),
                table(
                    drop_rows,
                    [45 * mm, 18 * mm, 24 * mm, 22 * mm, self.width - 109 * mm],
                    right=(1, 2, 3),
                ),
            ]
        else:
            out.append(para("No rows were left out.", "small"))
        warnings = q.warnings
        notes = [i for i in q.issues if i.severity != "warning"]
        for title, found in ((f"Warnings ({len(warnings):,})", warnings), (
            f"Notes on the input ({len(notes):,})", notes
        )):  # fmt: skip
            if not found:
                continue
            out.append(para(title, "h2"))
            for issue in found[:MAX_ISSUES]:
                out.append(bullet_data(issue.message))
            if len(found) > MAX_ISSUES:
                out.append(
                    para(
                        f"{len(found) - MAX_ISSUES:,} more are in the data-quality export.",
                        "note",
                    )
                )
        mapping = c.run.column_mapping.get("columns", {})
        if mapping:
            recorded = ColumnMapping(
                columns=mapping, origins=c.run.column_mapping.get("origins", {})
            )
            platform = c.result.config.platform
            map_rows: list[list[Any]] = [["Caliber column", "Report header", "Found by"]]
            map_rows += [
                [
                    data(labels.field(k), "cell"),
                    data(v, "cell", limit=100),
                    data(recorded.origin_text(k, platform), "cell"),
                ]
                for k, v in mapping.items()
            ]
            widths = [40 * mm, self.width - 100 * mm, 60 * mm]
            out += [para("Column mapping", "h2"), table(map_rows, widths)]
        return out

    def site_details(self) -> list[Flowable]:
        sites = self.sites
        total = len(sites)
        if not total:
            return []
        shown = (
            sites.sort_values("spend", ascending=False, kind="stable").iloc[:DETAIL_ROWS]
            if "spend" in sites
            else sites.iloc[:DETAIL_ROWS]
        )
        if total > len(shown):
            self.truncated = True
            note = (
                f"The {len(shown):,} {self.noun} with the most spend of {total:,}. The other "
                f"{total - len(shown):,} are left out to keep the report readable; every site is "
                "in the results export (CSV/XLSX)."
            )
        else:
            note = f"All {total:,} {self.noun}, by spend."
        rows: list[list[Any]] = [
            [
                self.Noun[:-1],
                "Kind",
                "Impressions",
                "Spend",
                "Score",
                "Pctl",
                "Recommendation",
                "Conf.",
                "Flags",
            ]
        ]
        for site_id, row in shown.iterrows():
            flags = row.get("flags", ())
            rows.append([
                self._site(site_id),
                labels.label("site_kind", row.get("kind", "")),
                count(row.get("impressions")),
                money(row.get("spend")),
                score(row.get("score")),
                f"{float(row.get('percentile', 0)):.0f}",
                self._rec_cell(row.get("recommendation")),
                labels.label("confidence", row.get("confidence", "")),
                para(labels.flags(str(f) for f in (flags or ())), "cell"),
            ])  # fmt: skip
        widths = [44 * mm, 13 * mm, 20 * mm, 18 * mm, 11 * mm, 9 * mm, 27 * mm, 12 * mm]
        return [
            PageBreak(),
            para(f"Appendix C — {self.Noun[:-1]} details", "h1"),
            para(note, "small"),
            table(rows, [*widths, self.width - sum(widths)], right=(2, 3, 4, 5)),
            para(note, "note"),
        ]
