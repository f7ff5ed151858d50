"""Which metrics count, with what weight and direction, for a platform × channel × goal.

The profiles are data (``data/profiles.toml``), not code, so an analyst-facing change of weights
is a reviewed edit of one file with its evidence beside it. A metric the file lacks is dropped and
the remaining weights renormalised, recorded in ``dropped`` (the original scored it as 0, which
punished every site for the export's missing column).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.scoring.metrics import ALL_METRICS
from caliber_desktop.services.scoring.model import Direction, ScoringConfig
from caliber_desktop.services.scoring.outliers import FlagRules

#: Intrinsic direction of each metric (used for metrics a custom template adds).
DIRECTIONS: dict[str, Direction] = {
    "ctr": "higher",
    "cvr": "higher",
    "viewability": "higher",
    "vcr": "higher",
    "error_rate": "lower",
    "mute_rate": "lower",
    "ad_load_rate": "lower",
    "refresh_rate": "lower",
    "uid_ratio": "higher",
    "tvqi_rate": "higher",
    "cpm": "lower",
    "vcpm": "lower",
    "roas": "higher",
    "cpa": "lower",
    "cpcv": "lower",
}


@dataclass(frozen=True)
class ProfileMetric:
    name: str
    weight: float
    direction: Direction
    prefer: str | None = None


@dataclass(frozen=True)
class Profile:
    """One row of the profile table, already resolved for ``ctr_sensitivity``."""

    key: str  # "trade_desk.display.awareness" (+ ".ctr_sensitive")
    metrics: tuple[ProfileMetric, ...]


@dataclass(frozen=True)
class CtrPolicy:
    sensitive_cap_percentile: float = 95.0
    sensitive_default_weight: float = 0.10
    unrewarded_lo_multiple: float = 2.0


@functools.cache
def load_profile_data() -> dict[str, Any]:
    """The parsed ``profiles.toml`` shipped inside the package (cached: it never changes)."""
    text = (
        resources.files("caliber_desktop.services.scoring")
        .joinpath("data/profiles.toml")
        .read_text(encoding="utf-8")
    )
    return tomllib.loads(text)


def flag_rules() -> FlagRules:
    data = dict(load_profile_data().get("flags", {}))
    hard = frozenset(str(h) for h in data.pop("hard", FlagRules.hard))
    return FlagRules(**{k: float(v) for k, v in data.items()}, hard=hard)


def ctr_policy() -> CtrPolicy:
    data = load_profile_data().get("ctr", {})
    return CtrPolicy(**{k: float(v) for k, v in data.items()})


def _metrics(entries: list[dict[str, Any]]) -> tuple[ProfileMetric, ...]:
    return tuple(
        ProfileMetric(
            name=str(e["name"]),
            weight=float(e["weight"]),
            direction=cast(Direction, e["direction"]),
            prefer=e.get("prefer"),
        )
        for e in entries
    )


def select_profile(config: ScoringConfig) -> Profile:
    """The profile for the config; unsupported combinations are refused with a clear message."""
    key = f"{config.platform.value}.{config.channel.value}.{config.goal.value}"
    profiles: dict[str, Any] = load_profile_data()["profiles"]
    if key not in profiles:
        supported = sorted(
            {tuple(k.split(".")[1:3]) for k in profiles if k.startswith(config.platform)}
        )
        raise ValidationError(
            f"{labels.platform(config.platform)} reports cannot be scored for the "
            f"{labels.channel(config.channel)} channel ({labels.goal(config.goal)} goal).",
            field="channel",
            hint="Supported: "
            + ", ".join(f"{labels.channel(c)} {labels.goal(g).lower()}" for c, g in supported)
            + ".",
        )
    entry = profiles[key]
    metrics = _metrics(entry["metrics"])
    if config.ctr_sensitivity:
        key += ".ctr_sensitive"
        if "ctr_sensitive" in entry:
            metrics = _metrics(entry["ctr_sensitive"])
        elif all(m.name != "ctr" for m in metrics):
            w = ctr_policy().sensitive_default_weight
            metrics = (
                *(
                    ProfileMetric(m.name, m.weight * (1 - w), m.direction, m.prefer)
                    for m in metrics
                ),
                ProfileMetric("ctr", w, "higher"),
            )
    return Profile(key=key, metrics=metrics)


def resolve_weights(
    profile: Profile,
    available: set[str],
    *,
    constant: Mapping[str, str] | None = None,
    custom_weights: Mapping[str, float] | None = None,
) -> tuple[list[ProfileMetric], dict[str, str]]:
    """The metrics actually used (weights summing to 1) and why the others were dropped."""
    dropped: dict[str, str] = {}
    wanted: list[ProfileMetric] = []
    for m in profile.metrics:
        if m.prefer and m.prefer in available:
            dropped[m.name] = f"replaced by {labels.metric(m.prefer)}, which the file supports"
            wanted.append(ProfileMetric(m.prefer, m.weight, DIRECTIONS[m.prefer]))
        else:
            wanted.append(m)
    if custom_weights:
        unknown = sorted(set(custom_weights) - set(ALL_METRICS))
        if unknown:
            raise ValidationError(
                f"Custom weights name unknown metric(s): {', '.join(unknown)}.",
                field="custom_weights",
                hint="Known metrics: " + ", ".join(ALL_METRICS) + ".",
            )
        bad = sorted(k for k, v in custom_weights.items() if not v >= 0)
        if bad:
            raise ValidationError(
                f"Custom weights must be zero or positive: {', '.join(bad)}.",
                field="custom_weights",
            )
        dirs = {m.name: m.direction for m in wanted}
        wanted = [
            ProfileMetric(name, float(w), dirs.get(name, DIRECTIONS[name]))
            for name, w in custom_weights.items()
            if w > 0
        ]
    used: list[ProfileMetric] = []
    for m in wanted:
        if m.name not in available:
            dropped[m.name] = "not in the file (weight shared among the other metrics)"
        elif constant and m.name in constant:
            dropped[m.name] = constant[m.name] + " (weight shared among the other metrics)"
        else:
            used.append(m)
    total = sum(m.weight for m in used)
    if total <= 0:
        raise ValidationError(
            "None of the profile's metrics can be computed from this file.",
            field="custom_weights" if custom_weights else "file",
            hint="Check the column mapping: the file needs at least impressions with clicks, "
            "spend, viewability or completion columns.",
        )
    return [ProfileMetric(m.name, m.weight / total, m.direction) for m in used], dropped
