"""Campaign settings the tests share."""

from __future__ import annotations

#: The bundled sample's settings: a Trade Desk display awareness campaign scored by domain.
TTD_DISPLAY_AWARENESS = {
    "platform": "trade_desk",
    "goal": "awareness",
    "channel": "display",
    "ctr_sensitivity": False,
    "analysis_level": "domain",
}
