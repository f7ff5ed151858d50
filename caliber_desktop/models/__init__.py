"""ORM tables and the store. No Qt here (checked by import-linter).

The tables load on first use, not on ``import caliber_desktop.models.enums``: the enums are the
domain's vocabulary and the scoring engine (and ``caliber score FILE``) uses them without a
database, so they must not pay for importing SQLAlchemy. Any table name imported from here loads
them all, so ``Base.metadata`` is always complete.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caliber_desktop.models.accounts import Organization, User
    from caliber_desktop.models.assistant import AIInsight, ChatMessage
    from caliber_desktop.models.base import Base
    from caliber_desktop.models.campaigns import Campaign, CampaignTemplate, FileUpload
    from caliber_desktop.models.infra import CacheEntry, RateLimitEvent
    from caliber_desktop.models.scoring import ListOverride, RunFrame, ScoreRun, SiteScore

_TABLES = {
    "accounts": ("Organization", "User"),
    "assistant": ("AIInsight", "ChatMessage"),
    "base": ("Base",),
    "campaigns": ("Campaign", "CampaignTemplate", "FileUpload"),
    "infra": ("CacheEntry", "RateLimitEvent"),
    "scoring": ("ListOverride", "RunFrame", "ScoreRun", "SiteScore"),
}
__all__ = [
    "AIInsight",
    "Base",
    "CacheEntry",
    "Campaign",
    "CampaignTemplate",
    "ChatMessage",
    "FileUpload",
    "ListOverride",
    "Organization",
    "RateLimitEvent",
    "RunFrame",
    "ScoreRun",
    "SiteScore",
    "User",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module in _TABLES:  # all of them: relationships and metadata need every table
        loaded = importlib.import_module(f"{__name__}.{module}")
        for exported in _TABLES[module]:
            globals()[exported] = getattr(loaded, exported)
    return globals()[name]
