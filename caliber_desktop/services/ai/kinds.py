"""The insight types and their titles, with no imports: the CLI's parser needs them at start-up."""

from __future__ import annotations

#: Every insight type, in the order the window and the report show them.
INSIGHT_TYPES = (
    "campaign_overview",
    "performance",
    "optimization",
    "whitelist",
    "blacklist",
    "domain",
)

#: What each type is called in the window, the PDF and exports.
INSIGHT_TITLES = {
    "campaign_overview": "Campaign overview",
    "performance": "Performance",
    "optimization": "Optimization",
    "whitelist": "Allow list review",
    "blacklist": "Block list review",
    "domain": "Site deep-dive",
}
