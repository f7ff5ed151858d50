"""The AI assistant (no Qt): grounded insights, streamed chat, cache and rate limits.

``AIService`` is the facade the window, the CLI and the workers use; the records are plain values
that cross threads. See ``service.py`` for the order of the steps and ``client.py`` for why the
Chat Completions API is used.

The names are loaded on first use, so importing ``services.ai.records`` (the PDF, the exports)
does not load the OpenAI SDK or the scoring engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caliber_desktop.services.ai.chat import ChatRecord
    from caliber_desktop.services.ai.client import BASE_URL_ENV
    from caliber_desktop.services.ai.offline import OFFLINE_LABEL
    from caliber_desktop.services.ai.records import (
        INSIGHT_TITLES,
        INSIGHT_TYPES,
        InsightRecord,
        insight_record,
        list_insights,
    )
    from caliber_desktop.services.ai.service import AIService, AIStatus, BatchResult, KeyProvider

_WHERE = {
    "ChatRecord": "chat",
    "BASE_URL_ENV": "client",
    "OFFLINE_LABEL": "offline",
    "INSIGHT_TITLES": "records",
    "INSIGHT_TYPES": "records",
    "InsightRecord": "records",
    "insight_record": "records",
    "list_insights": "records",
    "AIService": "service",
    "AIStatus": "service",
    "BatchResult": "service",
    "KeyProvider": "service",
}

__all__ = [
    "BASE_URL_ENV",
    "INSIGHT_TITLES",
    "INSIGHT_TYPES",
    "OFFLINE_LABEL",
    "AIService",
    "AIStatus",
    "BatchResult",
    "ChatRecord",
    "InsightRecord",
    "KeyProvider",
    "insight_record",
    "list_insights",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
