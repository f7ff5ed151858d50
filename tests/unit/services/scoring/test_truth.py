"""Ground truth: the four shared samples with planted bad sites (shared/data/README.md).

End to end through the real engine (sniff → read → preprocess → score), default settings, judged
like ``shared/tools/validity.py`` over truth entities with ≥ 3,000 impressions — the figures the
targets of ``docs/scoring.md`` §6 are stated in. Each sample asserts the targets it meets and, for
the others, a floor at the figure measured today (the README table gives every target per sample
with the reason where one is out of reach), and always beats the original Caliber's rule (the
bottom / top 25 % of sites with ≥ 250 impressions, on the same scores).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from support.validity import evaluate

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file

MIN_IMPS = 3_000
#: sample → goal and the floors it holds (fractions); "target" floors are the §6 targets.
SAMPLES: dict[str, tuple[Goal, dict[str, float]]] = {
    "ttd_display_awareness_sample.csv": (
        Goal.AWARENESS,
        # targets: fraud, bad|allow, allow precision/recall; block precision 91.5 % (target 92)
        {"fraud_caught": 0.95, "block_precision": 0.90, "block_recall": 0.50,
         "allow_precision": 0.80, "allow_recall": 0.50},
    ),
    "ttd_video_sample.xlsx": (
        Goal.AWARENESS,
        # 46 entities ≥ 3,000 imps (10 bad): 13 blocked, 7 of them bad
        {"fraud_caught": 0.95, "block_precision": 0.50, "block_recall": 0.50,
         "allow_precision": 0.70, "allow_recall": 0.50},
    ),
    "ttd_ctv_sample.csv": (
        Goal.ACTION,
        # 27 entities ≥ 3,000 imps: lists short and exact
        {"fraud_caught": 0.95, "block_precision": 0.90, "allow_precision": 0.90},
    ),
    "pulsepoint_display_sample.csv": (
        Goal.AWARENESS,
        # CPM, CTR and conversions only: 6–20 clicks and 0–2 conversions a site; see README
        {"fraud_caught": 0.60, "block_precision": 0.85, "allow_precision": 0.75},
    ),
}  # fmt: skip


@cache
def judged(data: Path, name: str) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """(Caliber's figures, the original rule's figures, the scored sites) for one sample."""
    goal = SAMPLES[name][0]
    sites = score_file(data / name, ScoreRequest(goal=goal)).result.sites
    truth = pd.read_csv(data / (name.rsplit(".", 1)[0] + "_truth.csv"))

    def ids(frame: pd.DataFrame) -> set[str]:
        return set(frame.index.astype(str).str.lower())

    mine = evaluate(
        truth,
        ids(sites[sites["recommendation"] == "allow"]),
        ids(sites[sites["recommendation"] == "block"]),
        MIN_IMPS,
    )
    eligible = sites[sites["impressions"] >= 250]
    original = evaluate(
        truth,
        ids(eligible[eligible["score"] >= eligible["score"].quantile(0.75)]),
        ids(eligible[eligible["score"] < eligible["score"].quantile(0.25)]),
        MIN_IMPS,
    )
    return mine, original, sites


@pytest.mark.parametrize("name", SAMPLES)
def test_truth_per_sample(shared_data: Path, name: str) -> None:
    mine, original, sites = judged(shared_data, name)
    assert len(sites) == 2_000, "no truth entity lost or split"
    assert mine["allow_bad_rate"] is not None
    assert mine["allow_bad_rate"] <= 0.01, "truly bad among the allowed ≤ 1 % (target)"
    for key, floor in SAMPLES[name][1].items():
        assert mine[key] >= floor, f"{key} {mine[key]} < {floor}"
    for key in ("block_precision", "allow_precision"):  # surer than the original's rule
        assert mine[key] > original[key], key
    assert original["allow_bad_rate"] >= mine["allow_bad_rate"]


def test_planted_bad_sites_are_blocked_pooled(shared_data: Path) -> None:
    """Planted click fraud / MFA / dead sites with ≥ 3,000 impressions, all four samples."""
    caught = planted = 0
    for name in SAMPLES:
        _, _, sites = judged(shared_data, name)
        stem = name.rsplit(".", 1)[0]
        truth = pd.read_csv(shared_data / f"{stem}_truth.csv").set_index("registrable_domain")
        bad = truth[(truth["archetype"] != "normal") & (truth["total_impressions"] >= MIN_IMPS)]
        caught += int((sites.loc[bad.index, "recommendation"] == "block").sum())
        planted += len(bad)
    assert planted >= 30
    assert caught / planted >= 0.90
