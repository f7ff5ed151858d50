"""The values that flow between the scoring stages.

read → preprocess → metrics → outliers → normalize → weighting → score → explain → lists.
Each stage is a module with a small typed interface; these dataclasses are what they hand each
other, so a stage can be tested (and replaced) on its own. Frames inside them are owned by the
value: stages copy before they mutate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import pandas as pd

from caliber_desktop.models.enums import AnalysisLevel, Channel, FileFormat, Goal, Platform

# ----------------------------------------------------------------------------- canonical columns

#: Counts (and money) that are summed when rows are aggregated to a site. Every metric is derived
#: from these sums; rates are never averaged.
COUNT_COLUMNS: tuple[str, ...] = (
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "tracked_imps",
    "viewed_imps",
    "starts",
    "q25",
    "q50",
    "q75",
    "completes",
    "errors",
    "mute",
    "unique_ids",
    "tvqi_raw",
    "tvqi_measured",
    "ad_load_xl_imps",
    "refresh_lt15_imps",
)
#: Rates a file may supply. Fallback only: recomputed from counts when the counts exist, turned
#: into counts (rate × denominator) before summing when they do not.
RATE_COLUMNS: tuple[str, ...] = ("ctr", "cpm", "cpa", "viewability", "vcr")
#: Text dimensions.
DIMENSION_COLUMNS: tuple[str, ...] = (
    "site",
    "supply_vendor",
    "publisher",
    "date",
    "campaign",
    "ad_group",
)

SiteKind = Literal["domain", "bundle", "store_id", "app_name", "supply_vendor", "non_targetable"]
#: Kinds that go to the app list files rather than the web-domain files.
APP_KINDS: frozenset[str] = frozenset({"bundle", "store_id", "app_name"})


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Issue:
    """Something the analyst should know about the input; never a crash.

    ``code`` is stable (tests and the GUI key on it), ``message`` is a full sentence naming the
    file, row (1-based, as a spreadsheet shows it) or column and what to do.
    """

    code: str
    message: str
    column: str | None = None
    row: int | None = None
    severity: Literal["info", "warning"] = "warning"


@dataclass(frozen=True)
class ColumnMapping:
    """Which header of the file feeds which canonical column, and the choices made on the way."""

    #: canonical name → header exactly as written in the file.
    columns: Mapping[str, str]
    #: canonical name → currency qualifier of its header ("Adv Currency", "USD", …).
    currency: Mapping[str, str] = field(default_factory=dict)
    #: Every conversion pixel the file offers ("01", "02" or a name) → its total-conversions header.
    conversion_pixels: Mapping[str, str] = field(default_factory=dict)
    #: The pixels whose totals are summed into ``conversions`` (the KPI).
    kpi_pixels: tuple[str, ...] = ()
    #: canonical → headers that also matched but were not used (e.g. the USD cost beside Adv).
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Headers nothing was mapped from.
    unmapped: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "currency": dict(self.currency),
            "conversion_pixels": dict(self.conversion_pixels),
            "kpi_pixels": list(self.kpi_pixels),
            "alternatives": {k: list(v) for k, v in self.alternatives.items()},
            "unmapped": list(self.unmapped),
        }


@dataclass(frozen=True)
class Detection:
    """The platform and channel the headers suggest, each with a 0–1 confidence and the reasons."""

    platform: Platform | None
    platform_confidence: float
    channel: Channel | None
    channel_confidence: float
    reasons: tuple[str, ...] = ()

    #: At or above this both guesses may be used without asking (the CLI does).
    CONFIDENT = 0.8

    @property
    def confident(self) -> bool:
        return (
            self.platform is not None
            and self.channel is not None
            and min(self.platform_confidence, self.channel_confidence) >= self.CONFIDENT
        )


@dataclass
class RawReport:
    """A report file read into canonical columns, one row per data row, nothing dropped yet.

    ``frame`` has a column per mapped canonical name: dimensions as ``str`` (missing = ``""``),
    counts and rates as ``float64`` (missing = NaN, never 0; rates as fractions, 0.0123 for
    1.23 %), plus ``_row``: the row's 1-based line/row number in the file, for messages.
    """

    source: str  # the file name shown in messages
    frame: pd.DataFrame
    mapping: ColumnMapping
    detection: Detection
    format: FileFormat
    header_row: int  # 1-based
    encoding: str | None = None
    delimiter: str | None = None
    sheet_name: str | None = None
    issues: list[Issue] = field(default_factory=list)
    #: Every header of the header row as written, in file order (blank cells kept as ""), so
    #: the import preview can offer all of them for mapping. Empty when built without a reader.
    headers: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- preprocessing


@dataclass(frozen=True)
class DroppedRows:
    """Rows left out of scoring for one reason, with what they carried."""

    reason: str  # stable code: "total_row", "non_targetable", "blank_id", "zero_impressions"…
    label: str  # plain words for the report
    rows: int
    impressions: float
    spend: float
    examples: tuple[str, ...] = ()


@dataclass
class DataQuality:
    """What happened to the input on its way to scoring; stored with the run, shown before it."""

    source: str
    rows_read: int = 0
    rows_scored: int = 0
    sites: int = 0
    dropped: list[DroppedRows] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        return sum(d.rows for d in self.dropped)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DataQuality:
        """The report as stored with a run (the inverse of :meth:`to_json`)."""
        return cls(
            source=str(data.get("source", "")),
            rows_read=int(data.get("rows_read", 0)),
            rows_scored=int(data.get("rows_scored", 0)),
            sites=int(data.get("sites", 0)),
            dropped=[
                DroppedRows(**{**d, "examples": tuple(d.get("examples", ()))})
                for d in data.get("dropped", [])
            ],
            issues=[Issue(**i) for i in data.get("issues", [])],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_scored": self.rows_scored,
            "rows_dropped": self.rows_dropped,
            "sites": self.sites,
            "dropped": [asdict(d) | {"examples": list(d.examples)} for d in self.dropped],
            "issues": [asdict(i) for i in self.issues],
        }


@dataclass
class SiteTable:
    """The report aggregated to the analysis level: one row per site (or supply vendor).

    ``frame`` is indexed by ``site_id`` (the normalised id that goes on a list: the registrable
    domain for web, the lowercased bundle, the store id, the CTV app name as written, or the
    vendor) and sorted by it. Columns: ``kind`` (a :data:`SiteKind`), ``display_name`` (the most
    frequent spelling in the file), ``n_rows``, every count column the file has (summed, float64;
    NaN when the site had no value at all in that column), and ``integrity``: a tuple of
    plain-language problems (e.g. ``"clicks > impressions (120 > 100)"``), empty when none.
    ``children`` maps a registrable domain to its hosts with their impressions (subdomains shown
    under the domain).
    """

    frame: pd.DataFrame
    level: AnalysisLevel
    quality: DataQuality
    children: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- scoring


Normalization = Literal["percentile", "minmax"]
OutlierMethod = Literal["winsorize", "none", "iqr", "mad"]


@dataclass(frozen=True)
class ScoringConfig:
    """Every choice a run depends on; recorded whole in the run's config snapshot."""

    platform: Platform
    channel: Channel
    goal: Goal
    ctr_sensitivity: bool = False
    level: AnalysisLevel = AnalysisLevel.DOMAIN
    min_impressions: int = 250
    allow_percentile: float = 75.0
    block_percentile: float = 25.0
    normalization: Normalization = "percentile"
    outliers: OutlierMethod = "winsorize"
    winsor_p: float = 0.01
    credible_level: float = 0.90
    #: metric → weight from a template; replaces the profile's weights (directions stay).
    custom_weights: Mapping[str, float] | None = None
    #: Above this share of impressions (or spend) removed, the block list carries a warning.
    impact_warning_share: float = 0.20

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoringConfig:
        """The config as stored with a run; keys it does not know (``profile``) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["platform"] = Platform(values["platform"])
        values["channel"] = Channel(values["channel"])
        values["goal"] = Goal(values["goal"])
        values["level"] = AnalysisLevel(values.get("level", AnalysisLevel.DOMAIN.value))
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("platform", "channel", "goal", "level"):
            out[key] = str(getattr(self, key).value)
        out["custom_weights"] = dict(self.custom_weights) if self.custom_weights else None
        return out


Direction = Literal["higher", "lower"]
Recommendation = Literal["allow", "block", "monitor", "insufficient_data"]


@dataclass(frozen=True)
class MetricUse:
    """One metric of the profile as this run used it."""

    name: str  # "viewability", "vcpm", …
    label: str  # "Viewability", "vCPM", … for sentences and column headers
    weight: float  # after renormalisation; the used weights sum to 1
    direction: Direction
    median: float  # campaign median of the shrunk value (what "vs median" means)
    unit: Literal["percent", "money", "ratio"] = "percent"


@dataclass
class ScoreResult:
    """Everything one scoring produced; the store, the lists, exports and the GUI read this.

    ``sites`` is indexed by ``site_id``, ordered by score descending then id (deterministic), with
    columns: ``kind``, ``display_name``, ``n_rows``, ``impressions``, ``spend``, ``clicks``,
    ``conversions`` (0 when the file lacks the column); for every candidate metric ``m`` the file
    supports: ``m`` (raw), ``m_shrunk``, ``m_lo``/``m_hi`` (credible interval, NaN for non-rates),
    ``m_norm`` (0–100) and ``m_contrib`` (points; the contributions of a site sum to its score);
    then ``score`` (0–100), ``percentile``, ``quality_status`` (good/moderate/poor),
    ``confidence`` (high/medium/low), ``recommendation`` (a :data:`Recommendation`), ``flags``
    (tuple of codes), ``flag_evidence`` (tuple of sentences, one per flag) and ``top_drivers``
    (the plain sentence).
    """

    config: ScoringConfig
    profile: str
    sites: pd.DataFrame
    metrics: tuple[MetricUse, ...]
    #: metric → why it was left out (missing from the file, constant, …); never scored as 0.
    dropped_metrics: dict[str, str]
    summary: dict[str, Any]
    quality: DataQuality
    children: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def metric_names(self) -> list[str]:
        """Every metric the run computed, used ones first; a dropped one is still worth seeing."""
        names = [m.name for m in self.metrics]
        others = [*self.summary.get("candidate_metrics", ()), *self.dropped_metrics]
        for name in others:
            if name in self.sites and f"{name}_contrib" in self.sites and name not in names:
                names.append(name)
        return names
