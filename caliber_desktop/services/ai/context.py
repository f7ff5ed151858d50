"""The grounded context of an insight: the numbers of the campaign's current run, kept small.

A prompt is built from this dictionary and the insight stores it (``InsightRecord.context``), so
an insight always says which figures it was given. It stays compact whatever the run's size — the
summary's top and bottom 10 sites, counts and shares, the weights — so a 100k-site run makes the
same few-kilobyte prompt as a 100-site one. Numbers are rounded the same way every time, which
makes the context hash (the cache key) stable for an unchanged run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.runs.facts import (
    SCORE_CAVEAT,
    median_site_score,
    run_counts,
    score_reading,
)
from caliber_desktop.services.runs.records import RunRecord
from caliber_desktop.services.scoring.explain import explain_site
from caliber_desktop.services.scoring.lists import IMPACT_COLUMNS, SiteLists
from caliber_desktop.services.scoring.model import ScoreResult

#: How many sites of a list the whitelist/blacklist context names.
LIST_SITES = 10
#: Numbers of 1 or more keep this many decimals (scores, money, counts as floats)…
DECIMALS = 2
#: …and smaller ones this many significant digits, so a CTR of 0.0018 or a share of 0.088 stays
#: what the report says instead of collapsing to 0.0 or 0.09.
SIGNIFICANT = 3


@dataclass(frozen=True)
class RunFacts:
    """What a context is built from: the campaign, its current run, the result and the lists."""

    campaign_id: int
    campaign_name: str
    run: RunRecord
    result: ScoreResult
    lists: SiteLists


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)
    if not math.isfinite(number):
        return None
    if abs(number) >= 1:
        return round(number, DECIMALS)
    return float(f"{number:.{SIGNIFICANT}g}")


def _site(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "site": str(entry.get("site_id", "")),
        "name": str(entry.get("display_name", entry.get("site_id", ""))),
        "score": _num(entry.get("score")),
        "impressions": _num(entry.get("impressions")),
        "recommendation": str(entry.get("recommendation", "")),
        "p_block": _num(entry.get("p_block")),
        "p_allow": _num(entry.get("p_allow")),
    }


def _impact(lists: SiteLists) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, impact in sorted(lists.impact.items()):
        out[name] = {
            "sites": int(impact.sites),
            "shares": {c: _num(impact.shares[c]) for c in IMPACT_COLUMNS if c in impact.shares},
            "not_in_report": list(impact.unmeasured),
            "warning": impact.warning,
        }
    return out


def _list_sites(facts: RunFacts, name: str) -> list[dict[str, Any]]:
    """The largest members of a list (by impressions, then id), with score and flags."""
    members = facts.lists.members(name)  # type: ignore[arg-type]
    if members.empty:
        return []
    ordered = members.assign(_id=members.index.astype(str)).sort_values(
        ["impressions", "_id"], ascending=[False, True], kind="mergesort"
    )
    sites = facts.result.sites
    out = []
    for site_id, row in ordered.head(LIST_SITES).iterrows():
        flags: Any = sites.at[site_id, "flags"] if "flags" in sites else ()
        out.append(
            {
                "site": str(site_id),
                "name": str(row["display_name"]),
                "score": _num(row["score"]),
                "p_block": _num(sites.at[site_id, "p_block"]) if "p_block" in sites else None,
                "p_allow": _num(sites.at[site_id, "p_allow"]) if "p_allow" in sites else None,
                "impressions": _num(row["impressions"]),
                "spend": _num(row["spend"]),
                "flags": sorted(str(f) for f in (flags or ())),
                "pinned": bool(row["overridden"]),
            }
        )
    return out


def base_context(facts: RunFacts) -> dict[str, Any]:
    """The figures every insight type shares (also the chat's campaign data block)."""
    summary = facts.result.summary
    config = facts.result.config
    run = facts.run
    counts = run_counts(facts.lists.sites)  # the counts every other surface shows
    median = median_site_score(facts.result.sites)
    return {
        "campaign": {
            "id": facts.campaign_id,
            "name": facts.campaign_name,
            "platform": config.platform.value,
            "goal": config.goal.value,
            "channel": config.channel.value,
            "analysis_level": config.level.value,
        },
        "run": {
            "id": run.id,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "sites": counts.sites,
            "rows_read": run.rows_read,
            "rows_dropped": run.rows_dropped,
            "min_impressions": config.min_impressions,
        },
        "campaign_score": _num(summary.get("campaign_score")),
        "recommendations": dict(counts.recommendations),
        # List sizes once the analyst's pins apply; "on neither list" is not a recommendation.
        "list_sizes": {
            "allow_list": counts.lists.get("allow", 0),
            "block_list": counts.lists.get("block", 0),
            "on_neither_list": counts.lists.get("monitor", 0),
            "pinned": counts.pinned,
        },
        # How to read campaign_score: the PDF's words. Scores rank this campaign's sites against
        # each other, so a campaign is never "strong" or "weak" by its score alone.
        "campaign_score_reading": {
            "statement": score_reading(run.campaign_score, median, config.level),
            "caveat": SCORE_CAVEAT,
        },
        "median_site_score": _num(median),
        # How a site reaches a list: the probability it belongs there reaches the confidence.
        "decision": {
            str(k): _num(v) if isinstance(v, int | float) else v
            for k, v in summary.get("decision", {}).items()
        },
        "quality_status": {k: int(v) for k, v in summary.get("quality_status", {}).items()},
        "flags": {str(k): int(v) for k, v in summary.get("flags", {}).items()},
        "weights": {str(k): _num(v) for k, v in summary.get("weights", {}).items()},
        # What a typical site of this campaign looks like, per metric (rates as fractions).
        "campaign_medians": {str(k): _num(v) for k, v in summary.get("medians", {}).items()},
        "dropped_metrics": dict(summary.get("dropped_metrics", {})),
        "top_sites": [_site(s) for s in summary.get("top", [])],
        "bottom_sites": [_site(s) for s in summary.get("bottom", [])],
        "list_impact": _impact(facts.lists),
        "display_labels": display_labels(facts),
    }


def display_labels(facts: RunFacts) -> dict[str, dict[str, str]]:
    """The analyst's word for every machine name the data block uses as a key or value, from
    the one labels table: the model writes "Made-for-advertising pattern", not ``mfa_pattern``.

    Keys of the context stay machine names (the offline insight and tests read them).
    """
    summary, config = facts.result.summary, facts.result.config
    metrics = {
        *summary.get("weights", {}),
        *summary.get("medians", {}),
        *summary.get("dropped_metrics", {}),
        *(str(m) for m in summary.get("candidate_metrics", ())),
    }
    flags = set(summary.get("flags", {})) | set(labels.FLAGS)
    return {
        "metrics": {m: labels.metric(m) for m in sorted(metrics)},
        "flags": {f: labels.flag(f) for f in sorted(flags)},
        "recommendations": dict(labels.RECOMMENDATIONS),
        "quality_status": dict(labels.BANDS),
        "settings": {
            "platform": labels.platform(config.platform),
            "goal": labels.goal(config.goal),
            "channel": labels.channel(config.channel),
            "analysis_level": labels.level(config.level),
            **{
                k: labels.setting(k)
                for k in ("min_impressions", "decision_confidence", "ctr_sensitivity")
            },
        },
    }


def insight_context(facts: RunFacts, insight_type: str, subject: str | None) -> dict[str, Any]:
    """The context of one insight type (``subject``: the site of a ``domain`` insight)."""
    context = base_context(facts)
    context["insight_type"] = insight_type
    if insight_type == "performance":
        histogram = facts.result.summary.get("histogram", {})
        context["histogram"] = {
            "edges": [_num(e) for e in histogram.get("edges", [])],
            "counts": [int(c) for c in histogram.get("counts", [])],
        }
    elif insight_type == "whitelist":
        context["allow_sites"] = _list_sites(facts, "allow")
    elif insight_type == "blacklist":
        context["block_sites"] = _list_sites(facts, "block")
    elif insight_type == "domain":
        context["subject"] = subject
        context["site"] = site_context(facts, subject)
    return context


def find_site(facts: RunFacts, subject: str | None) -> str:
    """The run's site id for ``subject`` (an id or a display name, any case)."""
    text = (subject or "").strip()
    if not text:
        raise ValidationError(
            "A site deep-dive needs the site it is about.",
            field="subject",
            hint="Pick a site in the results table (or pass --subject SITE).",
        )
    sites = facts.result.sites
    if text in sites.index:
        return text
    lowered = text.lower()
    ids = pd.Index(sites.index.astype(str))
    match = ids[ids.str.lower() == lowered]
    if len(match) == 0 and "display_name" in sites:
        names = sites["display_name"].astype(str).str.lower()
        match = ids[(names == lowered).to_numpy()]
    if len(match) == 0:
        raise ValidationError(
            f"The site {text!r} is not in campaign {facts.campaign_id}'s current run.",
            field="subject",
            hint="Pick a site from the results table.",
        )
    return str(match[0])


def site_context(facts: RunFacts, subject: str | None) -> dict[str, Any]:
    site_id = find_site(facts, subject)
    detail = explain_site(facts.result, site_id)
    action = (
        str(facts.lists.sites.at[site_id, "list_action"])
        if site_id in facts.lists.sites.index
        else None
    )
    return {
        "site": site_id,
        "name": detail["display_name"],
        "kind": detail["kind"],
        "score": _num(detail["score"]),
        "percentile": _num(detail["percentile"]),
        "impressions": _num(detail["impressions"]),
        "spend": _num(detail["spend"]),
        "quality_status": detail["quality_status"],
        "confidence": detail["confidence"],
        "recommendation": detail["recommendation"],
        "score_interval": [_num(v) for v in detail["score_interval"]],
        "p_block": _num(detail["p_block"]),
        "p_allow": _num(detail["p_allow"]),
        "decision_reason": detail["decision_reason"],
        "list": action,
        "flags": [{"code": f["code"], "evidence": f["evidence"]} for f in detail["flags"]],
        "top_drivers": detail["top_drivers"],
        "metrics": [
            {
                "metric": m["name"],
                "label": m["label"],
                "value": _num(m["raw"]),
                "median": _num(m["median"]),
                "weight": _num(m["weight"]),
                "contribution": _num(m["contribution"]),
            }
            for m in detail["metrics"]
            if m["used"]
        ],
    }


def trusted_values(context: Mapping[str, Any]) -> dict[str, object]:
    """The values instructions may quote: enum settings (in the labels table's words, so the
    instructions never show the model a machine name to echo) and counts, never names from
    reports."""
    campaign = context["campaign"]
    impact = context.get("list_impact", {})
    return {
        "goal": labels.goal(campaign["goal"]).lower(),
        "channel": labels.channel(campaign["channel"]),
        "platform": labels.platform(campaign["platform"]),
        "site_count": context["run"]["sites"],
        "allow_count": impact.get("allow", {}).get("sites", 0),
        "block_count": impact.get("block", {}).get("sites", 0),
    }


def canonical(context: Mapping[str, Any]) -> str:
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def context_hash(context: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON: equal figures, equal hash (the cache key's last part)."""
    return hashlib.sha256(canonical(context).encode("utf-8")).hexdigest()
