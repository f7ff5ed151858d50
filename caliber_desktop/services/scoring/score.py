"""The weighted score and its quality band.

The score ranks; the recommendation decides (:mod:`.certainty`: how sure the score is, and
whether that is sure enough for a list). The original put the bottom 25 % of sites on the block
list and the top 25 % on the allow list whatever the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.services.scoring.weighting import ProfileMetric

FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]


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
