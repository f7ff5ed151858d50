"""The labels table knows every name the code can show: a new one without a label fails here."""

from __future__ import annotations

import dataclasses
import re
import typing

import pytest

from caliber_desktop.config import ScoringSettings
from caliber_desktop.models import labels
from caliber_desktop.models.enums import (
    AnalysisLevel,
    CampaignStatus,
    Channel,
    Goal,
    Platform,
    RunStatus,
)
from caliber_desktop.services.importing.ingest import SCORING_FIELDS
from caliber_desktop.services.records import SETTING_FIELDS
from caliber_desktop.services.scoring import outliers, weighting
from caliber_desktop.services.scoring.metrics import ALL_METRICS
from caliber_desktop.services.scoring.model import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    RATE_COLUMNS,
    Normalization,
    OutlierMethod,
    Recommendation,
    ScoringConfig,
    SiteKind,
)
from caliber_desktop.services.scoring.vocabulary import PLATFORM_LABELS

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _every_profile_metric() -> set[str]:
    names: set[str] = set()
    for entry in weighting.load_profile_data()["profiles"].values():
        for key in ("metrics", "ctr_sensitive"):
            for metric in entry.get(key, ()):
                names.update(filter(None, (metric["name"], metric.get("prefer"))))
    return names


CASES: list[tuple[labels.Kind, set[str]]] = [
    ("metric", set(ALL_METRICS)),
    ("platform", {p.value for p in Platform}),
    ("channel", {c.value for c in Channel}),
    ("goal", {g.value for g in Goal}),
    ("level", {a.value for a in AnalysisLevel}),
    ("flag", set(outliers.FLAG_CODES) | set(outliers.FlagRules().hard)),
    (
        "setting",
        set(SETTING_FIELDS)
        | {f.name for f in dataclasses.fields(ScoringConfig)}
        | set(ScoringSettings.model_fields)
        | {"kpi_pixel"},
    ),
    (
        "field",
        set(SCORING_FIELDS) | set(COUNT_COLUMNS) | set(RATE_COLUMNS) | set(DIMENSION_COLUMNS),
    ),
    ("recommendation", set(typing.get_args(Recommendation))),
    ("band", {"good", "moderate", "poor"}),
    ("confidence", {"high", "medium", "low"}),
    ("status", {s.value for s in CampaignStatus} | {s.value for s in RunStatus}),
    ("site_kind", set(typing.get_args(SiteKind))),
    ("normalization", set(typing.get_args(Normalization))),
    ("outliers", set(typing.get_args(OutlierMethod))),
]


@pytest.mark.parametrize(("kind", "names"), CASES, ids=[c[0] for c in CASES])
def test_every_known_name_has_an_explicit_label(kind: labels.Kind, names: set[str]) -> None:
    table = labels.TABLES[kind]
    missing = sorted(names - set(table))
    assert not missing, f"no {kind} label for {missing}: add them to models/labels.py"
    for name in names:
        text = table[name]
        assert text.strip(), (kind, name)
        assert not SNAKE.search(text), (kind, name, text)


def test_every_metric_of_every_profile_has_a_label_and_a_description() -> None:
    used = _every_profile_metric()
    assert used <= set(labels.METRICS)
    assert set(labels.METRICS) == set(labels.METRIC_DESCRIPTIONS)


def test_every_flag_has_a_description() -> None:
    assert set(labels.FLAGS) == set(labels.FLAG_DESCRIPTIONS) == set(outliers.FLAG_CODES)


def test_label_accepts_enum_members_and_never_raises() -> None:
    assert labels.label("platform", Platform.TRADE_DESK) == "The Trade Desk"
    assert labels.platform("trade_desk") == "The Trade Desk"
    assert labels.flag("mfa_pattern") == "Made-for-advertising pattern"
    # An unknown name is humanised rather than shown raw or raising.
    assert labels.label("metric", "brand_new_metric") == "Brand new metric"
    assert labels.label("flag", "") == ""


def test_scoring_vocabulary_reads_the_same_table() -> None:
    assert PLATFORM_LABELS == labels.PLATFORMS


def test_settings_and_their_values_read_as_words() -> None:
    assert labels.in_sentence(labels.setting("min_impressions")) == "minimum impressions"
    assert labels.in_sentence(labels.setting("ctr_sensitivity")) == "CTR sensitivity"
    assert labels.setting_value("min_impressions", 1000) == "1,000"
    assert labels.setting_value("decision_confidence", 0.9) == "90 %"
    assert labels.setting_value("analysis_level", "supply_vendor") == "By supply vendor"
    assert labels.setting_value("ctr_sensitivity", True) == "on"
    assert labels.setting_value("custom_weights", {"uid_ratio": 0.25}) == "Unique IDs per imp 25 %"
    assert labels.flags("mfa_pattern;ctr_anomaly") == "Made-for-advertising pattern, CTR anomaly"
    assert labels.flags(("dead_inventory",)) == "Dead inventory"
