"""The slow reference for a run's score certainty: draw every Beta posterior and re-run the map.

``services/scoring/certainty.py`` computes each site's score interval and decision probabilities
in closed form (the credible interval of each metric pushed through the run's normalisation map,
a two-piece normal on the score). This draws the same posteriors many times instead — each rate
from its Beta, costs from the rate they divide by, every value through the run's fences and
percentile map, the weights — and counts. Tests compare the two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caliber_desktop.services.scoring import metrics, outliers, weighting
from caliber_desktop.services.scoring.certainty import DERIVED_FROM
from caliber_desktop.services.scoring.model import ScoreResult, SiteTable


def run_maps(result: ScoreResult) -> dict[str, tuple[float, float, np.ndarray, np.ndarray]]:
    """Each used metric's (low fence, high fence, knots x, knots y), rebuilt from the run's
    sites: the treated shrunk values and the normalised values they were given."""
    sites, cfg = result.sites, result.config
    out = {}
    for use in result.metrics:
        shrunk = sites[f"{use.name}_shrunk"].to_numpy(float)
        low, high = outliers.clip_bounds(shrunk, cfg.outliers, cfg.winsor_p)
        treated = np.clip(shrunk, low, high)
        norm = sites[f"{use.name}_norm"].to_numpy(float)
        ok = np.isfinite(treated)
        if use.name == "ctr":  # the CTR policy: caps, and an abnormal CTR is its own rule
            unrewarded = sites["ctr_unrewarded"].to_numpy(bool)
            if cfg.ctr_sensitivity:
                cap = float(
                    np.percentile(treated[ok], weighting.ctr_policy().sensitive_cap_percentile)
                )
                treated = np.minimum(treated, cap)
                high = min(high, cap)
            ok &= ~unrewarded
        xs, first = np.unique(treated[ok], return_index=True)
        out[use.name] = (low, high, xs, norm[ok][first])
    return out


def monte_carlo(
    result: ScoreResult, table: SiteTable, *, draws: int = 4000, seed: int = 0
) -> pd.DataFrame:
    """p_block, p_allow and the score interval per site, by sampling (index: result order)."""
    rng = np.random.default_rng(seed)
    sites = result.sites
    frame = table.frame.loc[sites.index]
    inputs = metrics.rate_inputs(frame)
    priors = result.summary["priors"]
    maps = run_maps(result)
    cpm = sites["cpm_shrunk"].to_numpy(float) if "cpm_shrunk" in sites else None
    drawn: dict[str, np.ndarray] = {}

    def rate(name: str) -> np.ndarray:
        if name not in drawn:
            x, n = inputs[name]
            a, b = priors[name]["alpha"], priors[name]["beta"]
            drawn[name] = rng.beta(x + a, n - x + b, size=(draws, len(x)))
        return drawn[name]

    score = np.zeros((draws, len(sites)))
    for use in result.metrics:
        name = use.name
        if name in metrics.RATE_NAMES:
            value = rate(name)
        elif name in DERIVED_FROM:
            assert cpm is not None
            scale = cpm if name == "vcpm" else cpm / 1000.0
            value = scale / rate(DERIVED_FROM[name])
        else:  # CPM, ROAS: what was paid and earned, no sampling spread
            value = np.broadcast_to(sites[f"{name}_shrunk"].to_numpy(float), score.shape)
        low, high, xs, ys = maps[name]
        normalised = np.interp(np.clip(value, low, high), xs, ys)
        if name == "ctr":  # normalised as the worst whatever the draw (a stated rule)
            fixed = sites["ctr_unrewarded"].to_numpy(bool)
            normalised = np.where(fixed, sites["ctr_norm"].to_numpy(float), normalised)
        score += use.weight * normalised
    decision = result.summary["decision"]
    level = result.config.credible_level
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(score, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame(
        {
            "p_block": (score < decision["block_cut"]).mean(axis=0),
            "p_allow": (score >= decision["allow_cut"]).mean(axis=0),
            "score_lo": lo,
            "score_hi": hi,
        },
        index=sites.index,
    )
