"""Weighted score, its percentile and quality band, confidence and the evidence-based decision.

The score ranks; the recommendation decides. The original put the bottom 25 % of sites on the
block list and the top 25 % on the allow list whatever the evidence. Here a list decision needs
both a rank and evidence: enough volume to have seen the key event (rule of three) and a credible
interval of the key rate that lies on the right side of the campaign median — or a hard red flag
whose own test already carries its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.services.scoring.weighting import ProfileMetric

FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

#: Confidence bands: expected count of the key rate's rarer outcome, ``n·min(p, 1−p)``. Thirty
#: is the usual normal-approximation rule; three is the rule of three (below it, zero events
#: is unsurprising).
HIGH_CONFIDENCE_EVENTS = 30.0
MEDIUM_CONFIDENCE_EVENTS = 3.0


def weighted_score(norm: pd.DataFrame, used: Sequence[ProfileMetric]) -> pd.DataFrame:
    """``m_contrib`` = weight × normalised value per metric, plus ``score`` = their sum.

    The score is the row sum of exactly the contribution columns returned, so the explanation's
    contributions add up to it to float precision.
    """
    contrib = pd.DataFrame(
        {f"{m.name}_contrib": norm[m.name].to_numpy() * m.weight for m in used},
        index=norm.index,
        dtype="float64",
    )
    contrib["score"] = contrib.sum(axis=1)
    return contrib


def quality_status(score: FloatArray, good_cut: float, poor_cut: float) -> ObjArray:
    """good (≥ allow percentile) / moderate / poor (< block percentile), as in the original."""
    return np.where(
        score >= good_cut, "good", np.where(score < poor_cut, "poor", "moderate")
    ).astype(object)


def confidence(trials: FloatArray, rate: FloatArray) -> ObjArray:
    """high / medium / low from the effective sample size of the key rate (see module constants)."""
    events = np.nan_to_num(trials) * np.minimum(rate, 1.0 - rate)
    events = np.nan_to_num(events)
    return np.where(
        events >= HIGH_CONFIDENCE_EVENTS,
        "high",
        np.where(events >= MEDIUM_CONFIDENCE_EVENTS, "medium", "low"),
    ).astype(object)


def rule_of_three_volume(median_rate: float, min_impressions: float) -> float:
    """Impressions needed before a site's key rate is judged: ``max(min, 3 / median rate)``.

    With fewer than 3/p trials, seeing no event at all is unremarkable (the rule of three), so
    the rate says nothing yet. A rate near 0 or 1 is judged on its rarer side.
    """
    p = min(median_rate, 1.0 - median_rate) if np.isfinite(median_rate) else 0.0
    return max(float(min_impressions), 3.0 / p if p > 0 else float(min_impressions))


def recommend(
    *,
    score: FloatArray,
    impressions: FloatArray,
    key_lo: FloatArray,
    key_hi: FloatArray,
    key_median: float,
    key_higher_is_better: bool,
    volume: float,
    min_impressions: float,
    flags: Sequence[tuple[str, ...]],
    hard: frozenset[str],
    allow_cut: float,
    block_cut: float,
    high_confidence: npt.NDArray[np.bool_] | None = None,
) -> ObjArray:
    """allow / block / monitor / insufficient_data per site (rules in scoring.md §6).

    Order: a hard red flag with at least ``min_impressions`` blocks (the flag's own test needs
    its evidence, e.g. ≥ 20 clicks); otherwise below ``volume`` the site is insufficient data;
    otherwise score < block cut with the key-rate interval wholly on the bad side of the median
    blocks, score ≥ allow cut with no flag and the interval wholly on the good side allows —
    and only with high confidence (≥ 30 key events): on the truth samples, medium-confidence
    allows were 4 of the 5 truly bad allowed video sites (small MFA sites whose few impressions
    all completed), see profiles.toml EVIDENCE.
    """
    n = len(score)
    has_flag = np.fromiter(map(bool, flags), dtype=bool, count=n)
    has_hard = np.zeros(n, dtype=bool)  # only flagged sites (a few) need the set test
    flagged = np.flatnonzero(has_flag)
    has_hard[flagged] = [not hard.isdisjoint(flags[i]) for i in flagged.tolist()]
    imps = np.nan_to_num(impressions)
    if key_higher_is_better:
        worse, better = key_hi < key_median, key_lo > key_median
    else:
        worse, better = key_lo > key_median, key_hi < key_median
    out = np.full(n, "monitor", dtype=object)
    sure = np.ones(n, dtype=bool) if high_confidence is None else high_confidence
    out[(score >= allow_cut) & ~has_flag & better & sure] = "allow"
    out[(score < block_cut) & worse] = "block"
    out[imps < volume] = "insufficient_data"
    out[has_hard & (imps >= min_impressions)] = "block"
    return out
