"""Small generated SiteTables for the scoring tests (display awareness shaped)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.scoring.model import DataQuality, ScoringConfig, SiteTable

DISPLAY = ScoringConfig(platform=Platform.TRADE_DESK, channel=Channel.DISPLAY, goal=Goal.AWARENESS)


def make_frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Sites with display counts: binomial draws around plausible rates, varied volume."""
    rng = np.random.default_rng(seed)
    imps = np.round(np.exp(rng.uniform(np.log(1_500), np.log(200_000), n)))
    tracked = np.round(imps * 0.9)
    frame = pd.DataFrame(
        {
            "kind": "domain",
            "display_name": [f"site{i:03d}.com" for i in range(n)],
            "n_rows": 3,
            "impressions": imps,
            "clicks": rng.binomial(imps.astype(int), rng.uniform(0.001, 0.003, n)).astype(float),
            "spend": np.round(imps * rng.uniform(1.0, 5.0, n) / 1000, 2),
            "conversions": rng.binomial(imps.astype(int), 3e-4).astype(float),
            "tracked_imps": tracked,
            "viewed_imps": rng.binomial(tracked.astype(int), rng.uniform(0.3, 0.9, n)).astype(
                float
            ),
            "ad_load_xl_imps": rng.binomial(imps.astype(int), rng.uniform(0.01, 0.1, n)).astype(
                float
            ),
            "refresh_lt15_imps": rng.binomial(imps.astype(int), rng.uniform(0.01, 0.08, n)).astype(
                float
            ),
        },
        index=pd.Index([f"site{i:03d}.com" for i in range(n)], name="site_id"),
    )
    frame["integrity"] = [()] * n
    return frame


def table(frame: pd.DataFrame) -> SiteTable:
    return SiteTable(
        frame=frame, level=AnalysisLevel.DOMAIN, quality=DataQuality(source="generated")
    )
