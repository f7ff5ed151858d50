"""Plain, immutable values the services hand out instead of live ORM objects.

Workers and widgets receive these: they can cross threads, outlive their session and never trigger
a lazy load. ``CampaignSettings`` also owns the rules for the five campaign settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.models.enums import (
    AnalysisLevel,
    CampaignStatus,
    Channel,
    FileFormat,
    Goal,
    Platform,
)

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

SETTING_FIELDS = ("platform", "goal", "channel", "ctr_sensitivity", "analysis_level")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _choice(enum_cls: type[E], raw: object, name: str) -> E:
    if isinstance(raw, enum_cls):
        return raw
    text = str(raw).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum_cls(text)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_cls)
        raise ValidationError(
            f"{name} must be one of {allowed} (got {raw!r}).", field=name
        ) from None


def _flag(raw: object, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"{name} must be true or false (got {raw!r}).", field=name)


@dataclass(frozen=True)
class CampaignSettings:
    """The five settings that pick a scoring profile."""

    platform: Platform
    goal: Goal
    channel: Channel
    ctr_sensitivity: bool
    analysis_level: AnalysisLevel

    def __post_init__(self) -> None:
        if self.platform is Platform.PULSEPOINT and self.channel in (Channel.CTV, Channel.AUDIO):
            raise ValidationError(
                f"PulsePoint reports cannot be scored for the {labels.channel(self.channel)} "
                "channel: Caliber has PulsePoint profiles for display and video only.",
                field="channel",
                hint="Choose display or video, or use a Trade Desk report.",
            )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> CampaignSettings:
        """Validate explicit settings; every one of the five is required and named when missing."""
        missing = [name for name in SETTING_FIELDS if raw.get(name) in (None, "")]
        if missing:
            words = ", ".join(labels.in_sentence(labels.setting(name)) for name in missing)
            every = ", ".join(labels.in_sentence(labels.setting(name)) for name in SETTING_FIELDS)
            raise ValidationError(
                f"Missing campaign setting{'s' if len(missing) > 1 else ''}: {words}. "
                f"Without a template all five settings are required ({every}).",
                field=missing[0],
            )
        return cls(
            platform=_choice(Platform, raw["platform"], "platform"),
            goal=_choice(Goal, raw["goal"], "goal"),
            channel=_choice(Channel, raw["channel"], "channel"),
            ctr_sensitivity=_flag(raw["ctr_sensitivity"], "ctr_sensitivity"),
            analysis_level=_choice(AnalysisLevel, raw["analysis_level"], "analysis_level"),
        )

    def with_changes(self, changes: Mapping[str, Any]) -> CampaignSettings:
        unknown = set(changes) - set(SETTING_FIELDS)
        if unknown:
            raise ValidationError(
                f"Unknown campaign setting(s): {', '.join(sorted(unknown))}.",
                field=sorted(unknown)[0],
            )
        merged: dict[str, Any] = {**self.as_dict(), **changes}
        return CampaignSettings.from_mapping(merged)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: (value.value if isinstance(value, StrEnum) else value)
            for name, value in asdict(self).items()
        }

    def label(self) -> str:
        ctr = ", CTR-sensitive" if self.ctr_sensitivity else ""
        return (
            f"{labels.platform(self.platform)} · {labels.channel(self.channel)} · "
            f"{labels.goal(self.goal)}{ctr} · {labels.level(self.analysis_level).lower()}"
        )


@dataclass(frozen=True)
class UserRef:
    """Who every service call runs as."""

    id: int
    display_name: str
    email: str | None
    is_local: bool

    @property
    def label(self) -> str:
        if self.is_local:
            return f"{self.display_name} (local profile)"
        return self.email or self.display_name


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    name: str
    description: str
    settings: CampaignSettings
    custom_weights: dict[str, float] | None
    created_at: datetime
    updated_at: datetime
    campaigns_using: int
    #: How sure a site must be to go on a list; None means the default in Settings.
    decision_confidence: float | None = None

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CampaignRecord:
    id: int
    name: str
    description: str
    template_id: int | None
    settings: CampaignSettings
    #: Copied from the template at creation, like the settings; None means the profile's weights.
    custom_weights: dict[str, float] | None
    status: CampaignStatus
    total_records: int | None
    processed_records: int | None
    error_message: str | None
    kpi_pixel: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    current_run_id: int | None
    upload_count: int
    #: Copied from the template at creation; None means the default in Settings.
    decision_confidence: float | None = None

    @property
    def progress(self) -> float | None:
        """0..1 while counts are known, else None."""
        if not self.total_records or self.processed_records is None:
            return None
        return min(1.0, self.processed_records / self.total_records)

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class UploadRecord:
    id: int
    campaign_id: int
    sha256: str
    path: Path
    size_bytes: int
    original_name: str
    detected_format: FileFormat
    encoding: str | None
    delimiter: str | None
    sheet_name: str | None
    uploaded_at: datetime
    #: The same bytes were already in the store (another campaign or an earlier attach).
    reused_blob: bool = False
    #: This exact file was already attached to this campaign; nothing new was stored.
    already_attached: bool = False

    def as_json(self) -> dict[str, Any]:
        return jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def jsonable(value: Any) -> Any:
    """Dataclasses, enums, paths and datetimes as plain JSON types (for ``--json``)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
