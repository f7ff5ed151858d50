"""The closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    TRADE_DESK = "trade_desk"
    PULSEPOINT = "pulsepoint"


class Goal(StrEnum):
    AWARENESS = "awareness"
    ACTION = "action"


class Channel(StrEnum):
    DISPLAY = "display"
    VIDEO = "video"
    CTV = "ctv"
    AUDIO = "audio"


class AnalysisLevel(StrEnum):
    DOMAIN = "domain"
    SUPPLY_VENDOR = "supply_vendor"


class CampaignStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class FileFormat(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    XLSX = "xlsx"
    XLS = "xls"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ListAction(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class ChatRole(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
