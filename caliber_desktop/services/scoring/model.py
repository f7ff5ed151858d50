"""The values that flow between the scoring stages.

read → preprocess → metrics → outliers → normalize → weighting → score → explain → lists.
Each stage is a module with a small typed interface; these dataclasses are what they hand each
other, so a stage can be tested (and replaced) on its own. Frames inside them are owned by the
value: stages copy before they mutate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from caliber_desktop.models.enums import AnalysisLevel, Channel, FileFormat, Goal, Platform
from caliber_desktop.services.scoring.vocabulary import PLATFORM_LABELS, counted, unit_noun

if TYPE_CHECKING:  # frames are pandas'; reading a report's first rows does not load it
    import pandas as pd

__all__ = ["PLATFORM_LABELS", "counted", "unit_noun"]  # re-exported for the stages

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
    "app_name",
    "supply_vendor",
    "publisher",
    "date",
    "campaign",
    "ad_group",
)

SiteKind = Literal["domain", "bundle", "store_id", "app_name", "supply_vendor", "non_targetable"]
#: Kinds that go to the app list files rather than the web-domain files.
APP_KINDS: frozenset[str] = frozenset({"bundle", "store_id", "app_name"})
#: The counts every result, list impact and summary reports, measured or not.
BASE_COLUMNS: tuple[str, ...] = ("impressions", "spend", "clicks", "conversions")


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


#: How a header was chosen for a canonical column (``ColumnMapping.origins``): (a few words for
#: a table cell, the sentence). ``other_platform:<platform>`` carries the platform after a colon.
ORIGINS: dict[str, tuple[str, str]] = {
    "platform": ("{platform} name", "{platform} column name"),
    "pattern": ("{platform} pattern", "{platform} conversion or revenue column"),
    "other_platform": ("{other} name ⚠", "{other} column name (the file has no {platform} one)"),
    "generic": ("common name", "common column name (the file has no {platform} one)"),
    "publisher": (
        "publisher column",
        "publisher column (no site column: CTV apps are read from it)",
    ),
    "app": ("App column", "App column (no site column)"),
    "override": ("your mapping", "your mapping"),
}


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
    #: canonical → how its header was found (a key of :data:`ORIGINS`).
    origins: Mapping[str, str] = field(default_factory=dict)

    def origin_text(
        self, canonical: str, platform: Platform | str | None = None, *, short: bool = False
    ) -> str:
        """Where ``canonical``'s header came from, in words ("" when it is not mapped)."""
        origin = self.origins.get(canonical)
        if origin is None:
            return ""
        texts = ORIGINS.get(origin.split(":", 1)[0], (origin, origin))
        text = texts[0] if short else texts[1]
        other = origin.split(":", 1)[1] if ":" in origin else ""
        return text.format(
            platform=PLATFORM_LABELS.get(str(getattr(platform, "value", platform)), "the platform"),
            other=PLATFORM_LABELS.get(other, other),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "origins": dict(self.origins),
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


#: The count a file-supplied rate stands in for when the file lacks that count.
RATE_COUNTS: dict[str, str] = {
    "ctr": "clicks",
    "cpm": "spend",
    "cpa": "conversions",
    "viewability": "viewed_imps",
    "vcr": "completes",
}


@dataclass(frozen=True)
class UnreadableCells:
    """Cells of one number column that hold text but no number (``two thousand``).

    ``mask`` is aligned with :attr:`RawReport.frame`; ``examples`` are ``(row, text)`` of the
    first few. A row with such a cell in a count it is scored on is dropped and counted: its
    other numbers without that one would skew every rate of its site.
    """

    canonical: str
    header: str
    mask: npt.NDArray[np.bool_]
    examples: tuple[tuple[int, str], ...] = ()


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
    #: Number columns with text cells that drop their rows (see :class:`UnreadableCells`).
    unreadable: list[UnreadableCells] = field(default_factory=list)
    #: Rows of the file with every mapped cell empty (``,,,``): not in ``frame``, counted.
    empty_rows: int = 0
    empty_examples: tuple[int, ...] = ()
    #: Rows of the file that repeat its header (exports pasted together): not in ``frame``.
    header_rows: tuple[int, ...] = ()


# ----------------------------------------------------------------------------- preprocessing


@dataclass(frozen=True)
class DroppedRows:
    """Rows left out of scoring for one reason, with what they carried."""

    reason: str  # stable code: a key of DROP_SHORT
    label: str  # plain words for the report
    rows: int
    impressions: float
    spend: float
    examples: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """The reason in a few words, for one-line summaries ("3 total rows")."""
        return DROP_SHORT.get(self.reason, self.label)


#: Drop reasons in precedence order (a row is counted under the first that applies), with the
#: few words one-line summaries use.
DROP_SHORT: dict[str, str] = {
    "empty_row": "empty",
    "header_row": "repeating the header",
    "total_row": "total rows",
    "blank_id": "with a blank id",
    "non_targetable": "with an id no list can target",
    "unreadable_number": "with a count that is not a number",
    "zero_impressions": "with spend but 0 impressions",
    "no_impressions": "of sites without impressions",
}


@dataclass(frozen=True)
class IdSummary:
    """How the id column was understood: what each id is, and which ids were merged.

    ``kinds`` counts scored sites per kind (``domain``, ``bundle``…). ``rolled_up`` is the
    number of distinct web hosts scored under another id (their registrable domain, e.g.
    ``m.x.com`` → ``x.com``), ``in_app`` the number of ids kept whole as apps because their rows
    say so (an App column, the CTV channel) where their shape alone would have made them web
    hosts; each with a few ``"raw → id"`` examples.
    """

    kinds: Mapping[str, int] = field(default_factory=dict)
    rolled_up: int = 0
    rollup_examples: tuple[str, ...] = ()
    in_app: int = 0
    in_app_examples: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdSummary:
        return cls(
            kinds={str(k): int(v) for k, v in dict(data.get("kinds", {})).items()},
            rolled_up=int(data.get("rolled_up", 0)),
            rollup_examples=tuple(data.get("rollup_examples", ())),
            in_app=int(data.get("in_app", 0)),
            in_app_examples=tuple(data.get("in_app_examples", ())),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": dict(self.kinds),
            "rolled_up": self.rolled_up,
            "rollup_examples": list(self.rollup_examples),
            "in_app": self.in_app,
            "in_app_examples": list(self.in_app_examples),
        }


@dataclass
class DataQuality:
    """What happened to the input on its way to scoring; stored with the run, shown before it.

    Every data row of the file is accounted for: ``rows_read == rows_scored + rows_dropped``,
    each dropped row under exactly one reason.
    """

    source: str
    rows_read: int = 0
    rows_scored: int = 0
    sites: int = 0
    dropped: list[DroppedRows] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    ids: IdSummary = field(default_factory=IdSummary)
    level: str = AnalysisLevel.DOMAIN.value

    @property
    def rows_dropped(self) -> int:
        return sum(d.rows for d in self.dropped)

    @property
    def warnings(self) -> list[Issue]:
        """The issues an analyst must see (severity warning), in the order they were found."""
        return [i for i in self.issues if i.severity == "warning"]

    def accounting(self) -> str:
        """``"3 rows read = 2 scored + 1 left out (1 with a count that is not a number)"``."""
        text = f"{self.rows_read:,} rows read = {self.rows_scored:,} scored"
        if not self.dropped:
            return text + ", none left out"
        parts = ", ".join(f"{d.rows:,} {d.short}" for d in self.dropped)
        return f"{text} + {self.rows_dropped:,} left out ({parts})"

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
            ids=IdSummary.from_json(data.get("ids", {})),
            level=str(data.get("level", AnalysisLevel.DOMAIN.value)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_scored": self.rows_scored,
            "rows_dropped": self.rows_dropped,
            "sites": self.sites,
            "accounting": self.accounting(),
            "dropped": [asdict(d) | {"examples": list(d.examples)} for d in self.dropped],
            "warnings": sum(1 for i in self.issues if i.severity == "warning"),
            "issues": [asdict(i) for i in self.issues],
            "ids": self.ids.to_json(),
            "level": self.level,
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
    #: A site goes on a list when the probability it belongs there reaches this (§6).
    decision_confidence: float = 0.90
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
    #: The normalised value of a site at that median (50 on a percentile or robust scale):
    #: "points vs the median site" are ``weight × (normalised − median_norm)``.
    median_norm: float = 50.0


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
