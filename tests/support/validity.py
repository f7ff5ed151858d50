"""How well allow/block lists match a planted ground truth, in the figures the targets use.

The same computation as ``shared/tools/validity.py`` (which judges lists against the truth files
of ``make_reports.py``), vendored so the tests run where ``../shared`` is not checked out.
Over truth entities with at least ``min_imps`` impressions: block precision and recall, allow
precision and recall, the share of truly bad sites among the allowed, and the share of planted
click-fraud/MFA/dead sites that were blocked. A registrable domain on a list counts for its host.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

import pandas as pd


def evaluate(
    truth: pd.DataFrame, allow: Set[str], block: Set[str], min_imps: int
) -> dict[str, Any]:
    t = truth[truth["total_impressions"] >= min_imps].copy()
    t["id"] = t["entity"].astype(str).str.lower()
    if "registrable_domain" in t.columns:
        reg = t["registrable_domain"].astype(str).str.lower()
        alias = dict(zip(reg[reg != t["id"]], t["id"][reg != t["id"]], strict=True))
        allow = {alias.get(x, x) for x in allow}
        block = {alias.get(x, x) for x in block}
    bad, good = set(t.loc[t.label == "bad", "id"]), set(t.loc[t.label == "good", "id"])
    planted = set(t.loc[t.archetype.isin(["click_fraud", "mfa", "dead"]), "id"])
    universe = set(t["id"])
    blk, alw = block & universe, allow & universe

    def ratio(a: Set[str], b: Set[str]) -> float | None:
        return round(len(a) / len(b), 4) if b else None

    return {
        "entities": len(universe),
        "bad": len(bad),
        "good": len(good),
        "blocked": len(blk),
        "allowed": len(alw),
        "block_precision": ratio(blk & bad, blk),
        "block_recall": ratio(blk & bad, bad),
        "allow_precision": ratio(alw & good, alw),
        "allow_bad_rate": ratio(alw & bad, alw),
        "allow_recall": ratio(alw & good, good),
        "fraud_caught": ratio(blk & planted, planted),
    }
