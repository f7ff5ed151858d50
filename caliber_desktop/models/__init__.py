"""ORM tables and the store. No Qt here (checked by import-linter)."""

from caliber_desktop.models.accounts import Organization, User
from caliber_desktop.models.assistant import AIInsight, ChatMessage
from caliber_desktop.models.base import Base
from caliber_desktop.models.campaigns import Campaign, CampaignTemplate, FileUpload
from caliber_desktop.models.infra import CacheEntry, RateLimitEvent
from caliber_desktop.models.scoring import ListOverride, ScoreRun, SiteScore

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
    "ScoreRun",
    "SiteScore",
    "User",
]
