"""Offline insights: plain-language findings built from the run's statistics, without a model.

Offered when there is no OpenAI key or no network, so the analyst gets something useful instead of
an error. The text is a pure function of the insight's context (the same run gives the same text,
word for word) and always starts with :data:`OFFLINE_LABEL`, so nobody mistakes it for a model's
answer. Site names are Markdown code spans (the window renders Markdown), never interpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from caliber_desktop.models import labels
from caliber_desktop.services.runs.facts import RECOMMENDATIONS, list_word

OFFLINE_LABEL = "Offline insight (built from the run's statistics, no AI model was used)"
OFFLINE_MODEL = "offline"

Context = Mapping[str, Any]


def _quoted(name: object) -> str:
    """A site name as a Markdown code span: the window renders insights as Markdown, and a name
    like ``best_deals_*`` must read as written, not turn italic (backticks in it are dropped)."""
    return "`" + str(name).replace("`", "") + "`"


def _pct(share: Any) -> str:
    return f"{float(share or 0.0) * 100:.1f} %"


def _score(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1f}"


def _sites(entries: list[Mapping[str, Any]], limit: int = 3) -> str:
    named = [
        f"{_quoted(e.get('name') or e.get('site'))} ({_score(e.get('score'))})" for e in entries
    ]
    return ", ".join(named[:limit]) if named else "none"


def _reading(context: Context) -> str:
    """The campaign score as the PDF reads it (the context carries the one wording), with its
    caveat: a score ranks this campaign's sites, so it is never called strong or weak."""
    reading = context.get("campaign_score_reading") or {}
    statement = reading.get("statement") or (
        f"The campaign's impression-weighted score is {_score(context.get('campaign_score'))}"
        " / 100."
    )
    caveat = reading.get("caveat")
    return f"{statement} {caveat}" if caveat else str(statement)


def _headline(context: Context) -> list[str]:
    run = context["run"]
    campaign = context["campaign"]
    recs = {name: int(n) for name, n in context.get("recommendations", {}).items()}
    counted = ", ".join(
        f"{recs.get(name, 0):,} {labels.recommendation(name).lower()}" for name in RECOMMENDATIONS
    )
    return [
        f"{labels.goal(campaign['goal'])} campaign on {labels.channel(campaign['channel'])}, "
        f"{labels.platform(campaign['platform'])} report. {_reading(context)}",
        f"{int(run['sites']):,} sites scored from {int(run['rows_read'] or 0):,} rows "
        f"({int(run['rows_dropped'] or 0):,} rows dropped): {counted}.",
    ]


def _weights(context: Context) -> str:
    weights = sorted(context.get("weights", {}).items(), key=lambda kv: (-(kv[1] or 0), kv[0]))
    return (
        ", ".join(f"{labels.metric(name)} {float(w or 0) * 100:.0f} %" for name, w in weights)
        or "none"
    )


def _flags(context: Context) -> str:
    flags = sorted(context.get("flags", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{labels.flag(code)} on {n} sites" for code, n in flags[:5]) or "no red flags"


def _impact_line(context: Context, name: str, verb: str) -> str:
    impact = context.get("list_impact", {}).get(name, {})
    shares = impact.get("shares", {})
    parts = [f"{_pct(v)} of {c}" for c, v in shares.items() if c != "clicks"]
    listing = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    line = f"The {name} list has {impact.get('sites', 0)} sites and {verb} {listing}."
    missing = [c for c in impact.get("not_in_report", []) if c != "clicks"]
    if missing:
        line += f" The report has no {' or '.join(missing)} column."
    if impact.get("warning"):
        line += f" Warning: {impact['warning']}"
    return line


def _overview(context: Context) -> list[str]:
    quality = context.get("quality_status", {})
    return [
        *_headline(context),
        f"Quality: {quality.get('good', 0)} good, {quality.get('moderate', 0)} moderate, "
        f"{quality.get('poor', 0)} poor sites.",
        f"Best performers: {_sites(context.get('top_sites', []))}.",
        f"Weakest performers: {_sites(context.get('bottom_sites', []))}.",
        f"Red flags: {_flags(context)}.",
        _impact_line(context, "block", "removes"),
        "Next steps: review the block list's largest sites, upload the allow list, and re-score "
        "after the next reporting period.",
    ]


def _performance(context: Context) -> list[str]:
    histogram = context.get("histogram", {})
    counts = histogram.get("counts", [])
    edges = histogram.get("edges", [])
    busiest = max(range(len(counts)), key=lambda i: (counts[i], -i)) if counts else None
    lines = _headline(context)
    if busiest is not None and len(edges) > busiest + 1:
        lines.append(
            f"Most sites ({counts[busiest]}) score between {edges[busiest]:g} and "
            f"{edges[busiest + 1]:g}."
        )
    lines.append(f"The score weighs: {_weights(context)}.")
    lines.append(f"Top site: {_sites(context.get('top_sites', []), 1)}.")
    return lines


def _optimization(context: Context) -> list[str]:
    recs = context.get("recommendations", {})
    return [
        *_headline(context),
        f"Block the {recs.get('block', 0)} sites recommended for blocking; the weakest are "
        f"{_sites(context.get('bottom_sites', []))}.",
        _impact_line(context, "block", "removes"),
        _impact_line(context, "allow", "keeps"),
        f"Watch the {recs.get('monitor', 0)} monitored sites and the "
        f"{recs.get('insufficient_data', 0)} with too little data until they have more volume.",
        f"Red flags to investigate: {_flags(context)}.",
    ]


def _whitelist(context: Context) -> list[str]:
    return [
        _impact_line(context, "allow", "keeps"),
        f"Largest allowed sites: {_sites(context.get('allow_sites', []), 5)}.",
        "Check that the allow list is not concentrated on a few sites before uploading it.",
    ]


def _blacklist(context: Context) -> list[str]:
    return [
        _impact_line(context, "block", "removes"),
        f"Largest blocked sites: {_sites(context.get('block_sites', []), 5)}.",
        f"Red flags across the run: {_flags(context)}.",
        "Check large blocked sites for false positives (low volume, one bad day) before "
        "uploading the list.",
    ]


def _domain(context: Context) -> list[str]:
    site = context.get("site", {})
    flags = ", ".join(labels.flag(f["code"]) for f in site.get("flags", [])) or "no red flags"
    metrics = "; ".join(
        f"{m['label']} {m['value']} vs median {m['median']} "
        f"({float(m['contribution'] or 0):+.1f} points)"
        for m in site.get("metrics", [])
    )
    return [
        f"Site {_quoted(site.get('name'))} scores {_score(site.get('score'))} / 100 (percentile "
        f"{_score(site.get('percentile'))}), quality {labels.band(site.get('quality_status'))}, "
        f"confidence {labels.label('confidence', site.get('confidence'))}.",
        f"Recommendation: {labels.recommendation(site.get('recommendation')).lower()}; "
        f"list: {list_word(str(site.get('list')))}.",
        f"Impressions {site.get('impressions')}, spend {site.get('spend')}; {flags}.",
        f"Metrics: {metrics or 'none'}.",
        f"Campaign score for comparison: {_score(context.get('campaign_score'))}.",
    ]


BUILDERS: dict[str, Callable[[Context], list[str]]] = {
    "campaign_overview": _overview,
    "performance": _performance,
    "optimization": _optimization,
    "whitelist": _whitelist,
    "blacklist": _blacklist,
    "domain": _domain,
}


def offline_text(insight_type: str, context: Context) -> str:
    """The offline insight of ``insight_type`` for ``context``; identical for identical input."""
    lines = BUILDERS[insight_type](context)
    return "\n".join([f"{OFFLINE_LABEL}.", "", *(f"- {line}" for line in lines)])
