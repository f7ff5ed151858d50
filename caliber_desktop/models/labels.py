"""The one table of display labels: what the analyst reads for each machine name.

Every metric, platform, channel, goal, analysis level, red flag, setting, import field,
recommendation and quality band has exactly one label here, keyed by the stable machine name the
code, the database and ``--json`` use. The window, the CLI's text output, the PDF, the AI context
and the exports' human headers all read these, so "Made-for-advertising pattern" is worded the
same everywhere and no ``snake_case`` name reaches the analyst.

Lowest layer on purpose (plain dicts, no pandas, no Qt): scoring, services, the CLI and the
window can all import it, and importing it costs nothing at start-up. A new metric, flag or
setting without a label here fails ``tests/unit/models/test_labels.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, Literal

Kind = Literal[
    "metric",
    "platform",
    "channel",
    "goal",
    "level",
    "flag",
    "setting",
    "field",
    "recommendation",
    "band",
    "confidence",
    "status",
    "site_kind",
    "normalization",
    "outliers",
    "rule",
    "role",
]

#: Metrics the scoring engine can compute (``services/scoring/metrics.py``), as column headers.
METRICS: Final[dict[str, str]] = {
    "ctr": "CTR",
    "cvr": "CVR",
    "viewability": "Viewability",
    "vcr": "VCR",
    "error_rate": "Error rate",
    "mute_rate": "Mute rate",
    "ad_load_rate": "XL ad load",
    "refresh_rate": "Refresh < 15 s",
    "uid_ratio": "Unique IDs per imp",
    "tvqi_rate": "TV Quality Index",
    "cpm": "CPM",
    "vcpm": "vCPM",
    "roas": "ROAS",
    "cpa": "CPA",
    "cpcv": "CPCV",
}
#: What a metric means, for tooltips and the report's glossary.
METRIC_DESCRIPTIONS: Final[dict[str, str]] = {
    "ctr": "Click-through rate: clicks per impression",
    "cvr": "Conversion rate: conversions per impression",
    "viewability": "Share of measured impressions that were viewable",
    "vcr": "Completion rate: completed plays per start",
    "error_rate": "Share of starts that ended in a player error",
    "mute_rate": "Share of starts that played muted",
    "ad_load_rate": "Share of impressions on pages with an excessive ad load",
    "refresh_rate": "Share of impressions in slots refreshed in under 15 seconds",
    "uid_ratio": "Unique IDs (households or people) per impression",
    "tvqi_rate": "The Trade Desk's TV Quality Index over its measured impressions",
    "cpm": "Cost per thousand impressions",
    "vcpm": "Cost per thousand viewable impressions",
    "roas": "Return on ad spend: revenue per unit of spend",
    "cpa": "Cost per conversion",
    "cpcv": "Cost per completed view",
}

PLATFORMS: Final[dict[str, str]] = {
    "trade_desk": "The Trade Desk",
    "pulsepoint": "PulsePoint",
}
CHANNELS: Final[dict[str, str]] = {
    "display": "Display",
    "video": "Video",
    "ctv": "CTV",
    "audio": "Audio",
}
GOALS: Final[dict[str, str]] = {
    "awareness": "Awareness",
    "action": "Action (conversions)",
}
#: Analysis levels: what one scored row is.
LEVELS: Final[dict[str, str]] = {
    "domain": "By domain",
    "supply_vendor": "By supply vendor",
}

#: Red flags (``services/scoring/outliers.py`` FLAG_CODES), short, for a cell or a heading.
FLAGS: Final[dict[str, str]] = {
    "integrity": "Impossible numbers",
    "non_targetable": "Not targetable",
    "ctr_anomaly": "CTR anomaly",
    "mfa_pattern": "Made-for-advertising pattern",
    "dead_inventory": "Dead inventory",
    "ctv_clicks": "Clicks on CTV",
    "low_uniques": "Few unique viewers",
}
#: What each red flag means, in a sentence (the report's "what the flags mean").
#: Written to follow the label ("Dead inventory — viewability, or …"), so never repeating it.
FLAG_DESCRIPTIONS: Final[dict[str, str]] = {
    "integrity": "numbers that cannot be true, e.g. more clicks than impressions",
    "non_targetable": "an id that cannot go on a DSP list",
    "ctr_anomaly": "CTR over 5× the campaign median with no conversions (click-fraud pattern)",
    "mfa_pattern": "top viewability and completion at bottom CPM, heavy ad load / refresh, muted "
    "autoplay that completes; without quality columns: the cheapest CPM with a credibly low CTR "
    "and no conversions",
    "dead_inventory": "viewability, or without it CTR, credibly below half the campaign median, "
    "with no conversions",
    "ctv_clicks": "a click-through rate on CTV, where TV screens are rarely clickable",
    "low_uniques": "very few unique IDs for the impressions (CTV/audio)",
}

#: Campaign and scoring settings (campaign columns, ``ScoringConfig`` fields, app settings).
SETTINGS: Final[dict[str, str]] = {
    "platform": "Platform",
    "goal": "Goal",
    "channel": "Channel",
    "ctr_sensitivity": "CTR sensitivity",
    "analysis_level": "Analysis level",
    "level": "Analysis level",
    "min_impressions": "Minimum impressions",
    "allow_percentile": "Allow at or above percentile",
    "block_percentile": "Block at or below percentile",
    "normalization": "Normalisation",
    "outliers": "Outlier treatment",
    "winsor_p": "Winsorising share",
    "credible_level": "Credible interval level",
    "decision_confidence": "Confidence needed for a list",
    "custom_weights": "Metric weights",
    "impact_warning_share": "Impact warning threshold",
    "kpi_pixel": "KPI pixel",
    "default_kpi_pixel": "Default KPI pixel",
    "profile": "Scoring profile",
    "template": "Template",
}

#: Import fields (the column mapping's canonical columns) and the counts a result carries.
FIELDS: Final[dict[str, str]] = {
    "site": "Site (domain or app)",
    "app_name": "App name",
    "supply_vendor": "Supply vendor",
    "publisher": "Publisher",
    "date": "Date",
    "campaign": "Campaign",
    "ad_group": "Ad group",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "spend": "Spend",
    "conversions": "Conversions",
    "revenue": "Revenue",
    "tracked_imps": "Measured impressions",
    "viewed_imps": "Viewable impressions",
    "starts": "Player starts",
    "q25": "Plays 25 % complete",
    "q50": "Plays 50 % complete",
    "q75": "Plays 75 % complete",
    "completes": "Completed plays",
    "errors": "Player errors",
    "mute": "Muted plays",
    "unique_ids": "Unique IDs",
    "tvqi_raw": "TV Quality Index (raw)",
    "tvqi_measured": "TV Quality Index (measured)",
    "ad_load_xl_imps": "XL ad load impressions",
    "refresh_lt15_imps": "Refresh < 15 s impressions",
    "ctr": "CTR (in the file)",
    "cpm": "CPM (in the file)",
    "cpa": "CPA (in the file)",
    "viewability": "Viewability (in the file)",
    "vcr": "VCR (in the file)",
    "row": "Row",
    # Columns of a result (site table, exports meant for people).
    "site_id": "Site",
    "display_name": "Name",
    "kind": "Id kind",
    "n_rows": "Rows",
    "score": "Score",
    "percentile": "Percentile",
    "quality_status": "Quality",
    "confidence": "Confidence",
    "recommendation": "Recommendation",
    "flags": "Red flags",
    "flag_evidence": "Red flag evidence",
    "top_drivers": "Why",
    "decision_rule": "Decided by",
    "p_allow": "Chance it belongs on the allow list",
    "p_block": "Chance it belongs on the block list",
    "pinned": "Pinned",
    "score_lo": "Score, low end of the 90 % interval",
    "score_hi": "Score, high end of the 90 % interval",
    "decision_reason": "Why this recommendation",
    "list_action": "List it is on",
    "overridden": "Pinned by the analyst",
    "override_reason": "Pin reason",
}

RECOMMENDATIONS: Final[dict[str, str]] = {
    "allow": "Allow",
    "monitor": "Monitor",
    "block": "Block",
    "insufficient_data": "Insufficient data",
}
#: Quality bands of a score (``quality_status``).
BANDS: Final[dict[str, str]] = {"good": "Good", "moderate": "Moderate", "poor": "Poor"}
CONFIDENCES: Final[dict[str, str]] = {"high": "High", "medium": "Medium", "low": "Low"}
#: Campaign and run statuses.
STATUSES: Final[dict[str, str]] = {
    "pending": "Pending",
    "processing": "Processing",
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
#: What kind of id a site is (``SiteKind``), singular, for a cell.
SITE_KINDS: Final[dict[str, str]] = {
    "domain": "Web domain",
    "bundle": "App bundle",
    "store_id": "Store id",
    "app_name": "CTV app name",
    "supply_vendor": "Supply vendor",
    "non_targetable": "Not targetable",
}
NORMALIZATIONS: Final[dict[str, str]] = {
    "percentile": "Percentile rank (robust to outliers)",
    "minmax": "Min–max",
}
OUTLIER_METHODS: Final[dict[str, str]] = {
    "winsorize": "Winsorise",
    "none": "None",
    "iqr": "Interquartile fences",
    "mad": "Median absolute deviation",
}
#: The short decision rules of a recommendation (``decision_rule``); the longer ones are
#: already sentences.
RULES: Final[dict[str, str]] = {
    "p_allow": "Probably belongs on the allow list",
    "p_block": "Probably belongs on the block list",
    "red_flag": "Blocked by a red flag",
}

#: A team member's role (the ``role`` claim ``caliber admin users role`` sets).
ROLES: Final[dict[str, str]] = {"admin": "Administrator", "analyst": "Analyst"}

TABLES: Final[Mapping[Kind, Mapping[str, str]]] = {
    "metric": METRICS,
    "platform": PLATFORMS,
    "channel": CHANNELS,
    "goal": GOALS,
    "level": LEVELS,
    "flag": FLAGS,
    "setting": SETTINGS,
    "field": FIELDS,
    "recommendation": RECOMMENDATIONS,
    "band": BANDS,
    "confidence": CONFIDENCES,
    "status": STATUSES,
    "site_kind": SITE_KINDS,
    "normalization": NORMALIZATIONS,
    "outliers": OUTLIER_METHODS,
    "rule": RULES,
    "role": ROLES,
}


def _key(key: object) -> str:
    """An enum member or a plain string, as its machine name."""
    return str(getattr(key, "value", key))


def humanise(key: object) -> str:
    """A readable fallback for a name the table does not know: ``"uid_ratio"`` → ``"Uid ratio"``.

    Only a safety net (a label missing from the table is a bug the tests catch); it keeps an
    unexpected name from showing as ``snake_case`` or raising in front of the analyst.
    """
    text = _key(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(kind: Kind, key: object) -> str:
    """The display label of ``key`` (a machine name or an enum member); never raises."""
    name = _key(key)
    table = TABLES.get(kind)
    if table is not None and name in table:
        return table[name]
    return humanise(name)


def in_sentence(text: str) -> str:
    """A label inside a sentence: ``"Minimum impressions"`` → ``"minimum impressions"``.

    Acronyms and proper names keep their capitals (``"CTR sensitivity"``, ``"The Trade Desk"``
    stays as is only where it is a proper name: callers use this for settings and metrics).
    """
    if len(text) > 1 and (text[1].isupper() or text[1].isdigit()):
        return text
    return text[:1].lower() + text[1:]


def metric(name: str) -> str:
    return label("metric", name)


def platform(name: object) -> str:
    return label("platform", name)


def channel(name: object) -> str:
    return label("channel", name)


def goal(name: object) -> str:
    return label("goal", name)


def level(name: object) -> str:
    return label("level", name)


def flag(code: str) -> str:
    return label("flag", code)


def flags(codes: Iterable[str] | str) -> str:
    """Flag codes as a readable list: ``"CTR anomaly, Dead inventory"`` ("" for none).

    A string is read as the exports' ``"a;b"`` / ``"a, b"`` form.
    """
    items = codes.replace(";", ",").split(",") if isinstance(codes, str) else codes
    return ", ".join(flag(c.strip()) for c in items if c.strip())


def flag_line(code: str, evidence: str) -> str:
    """A flag and its evidence as one line, the flag named once.

    Some evidence sentences already open with the flag's name ("Made-for-advertising pattern:
    CPM $0.40 …"); putting the label in front again read "MFA pattern: Made-for-advertising
    pattern: …".
    """
    name = flag(code)
    text = evidence.strip()
    if not text:
        return name
    if text.lower().startswith(name.lower()):
        return text
    return f"{name}: {text}"


def ctr_sensitivity(sensitive: bool) -> str:
    """The CTR-sensitivity choice as a combo or a cell shows it."""
    return "CTR-sensitive" if sensitive else "Not CTR-sensitive"


def profile(key: str) -> str:
    """A scoring profile's key in words: ``"trade_desk.ctv.awareness"`` → "The Trade Desk ·
    CTV · Awareness" (", CTR-sensitive" for a ``.ctr_sensitive`` key)."""
    parts = key.split(".")
    if len(parts) < 3:
        return humanise(key)
    words = f"{platform(parts[0])} · {channel(parts[1])} · {goal(parts[2])}"
    return words + (", CTR-sensitive" if "ctr_sensitive" in parts[3:] else "")


def setting(name: str) -> str:
    return label("setting", name)


def field(name: str) -> str:
    return label("field", name)


def recommendation(name: object) -> str:
    return label("recommendation", name)


def band(name: object) -> str:
    return label("band", name)


def role(name: object) -> str:
    return label("role", name)


#: Settings whose value is itself a machine name, and the table that labels it.
_SETTING_VALUE_KINDS: Final[dict[str, Kind]] = {
    "platform": "platform",
    "channel": "channel",
    "goal": "goal",
    "analysis_level": "level",
    "level": "level",
    "normalization": "normalization",
    "outliers": "outliers",
}
#: Settings stored as a share (0.9) and read as a percentage ("90 %").
_SHARE_SETTINGS = frozenset(
    {"decision_confidence", "credible_level", "impact_warning_share", "winsor_p"}
)


def setting_value(name: str, value: object) -> str:
    """A setting's value in the analyst's words: ``("decision_confidence", 0.9)`` → ``"90 %"``.

    English number formatting (the CLI and the PDF); the window formats numbers through
    ``ui.shared.locale_format`` when it shows one on its own.
    """
    if value is None:
        return "default"
    kind = _SETTING_VALUE_KINDS.get(name)
    if kind is not None:
        return label(kind, value)
    if name == "ctr_sensitivity":  # after its label: "CTR sensitivity off → on"
        return "on" if value else "off"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if name in _SHARE_SETTINGS:
            return f"{value * 100:g} %"
        if name in ("allow_percentile", "block_percentile"):
            return f"P{value:g}"
        if name == "min_impressions":
            return f"{value:,.0f}"
    if name == "custom_weights" and isinstance(value, Mapping):
        if not value:
            return "profile weights"
        return ", ".join(f"{metric(str(k))} {float(v) * 100:g} %" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


#: Suffixes of a metric's derived result columns, and how a header says them (the window's table
#: and the exports' column guide read the same words).
METRIC_COLUMN_SUFFIXES: Final[dict[str, str]] = {
    "_shrunk": "(adj.)",
    "_norm": "(0–100)",
    "_contrib": "(pts)",
}
#: What each suffix means, for the column guide.
METRIC_COLUMN_MEANINGS: Final[dict[str, str]] = {
    "": "as measured in the report",
    "_shrunk": "pulled toward the campaign for sites with little volume",
    "_norm": "placed on the campaign's 0–100 scale",
    "_contrib": "points it adds to the score",
}


def column(name: str) -> str:
    """A result column's header in words: ``"ctr_shrunk"`` → ``"CTR (adj.)"``, ``"p_block"`` →
    ``"Chance it belongs on the block list"``; a name the tables do not know is humanised."""
    if name in METRICS:  # before FIELDS: there "ctr" is the file's own CTR column
        return METRICS[name]
    if name in FIELDS:
        return FIELDS[name]
    for suffix, words in METRIC_COLUMN_SUFFIXES.items():
        base = name.removesuffix(suffix)
        if base != name and base in METRICS:
            return f"{METRICS[base]} {words}"
    return humanise(name)


def column_meaning(name: str) -> str:
    """What a result column holds, in a sentence fragment ("" when the header says it all)."""
    for suffix in ("_shrunk", "_norm", "_contrib", ""):
        base = name.removesuffix(suffix) if suffix else name
        if (base != name or not suffix) and base in METRICS:
            return (
                f"{METRIC_DESCRIPTIONS.get(base, METRICS[base])}, {METRIC_COLUMN_MEANINGS[suffix]}"
            )
    if name == "flags":
        return "red flag codes, separated by ';': " + "; ".join(
            f"{code} = {FLAGS[code]}" for code in FLAGS
        )
    return ""
