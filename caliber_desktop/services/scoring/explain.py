"""Why a site got its score: per-metric contributions, flags, and a sentence naming the drivers.

Every score is ``Σ weight × normalised value``, so each metric's contribution in points is exact
and they add up to the score. The sentence reports contributions relative to a median site
(``weight × (normalised − 50)``): "+14 pts" means this metric lifted the site 14 points above
where an average value would have put it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.errors import ValidationError
from caliber_desktop.services.scoring.model import MetricUse, ScoreResult

FloatArray = npt.NDArray[np.float64]
#: How many metrics the sentence names.
TOP_DRIVERS = 2


def format_value(value: float, unit: str) -> str:
    """ "82 %", "0.15 %", "$6.10", "3.2×": the unit the analyst reads the metric in."""
    if not math.isfinite(value):
        return "n/a"
    if unit == "money":
        return f"${value:,.2f}"
    if unit == "ratio":
        return f"{value:.2f}×"
    pct = value * 100.0
    decimals = 0 if abs(pct) >= 10 else 1 if abs(pct) >= 1 else 2
    return f"{pct:.{decimals}f} %"


def _points(delta: float) -> str:
    text = f"{abs(delta):.0f}" if abs(delta) >= 0.5 else f"{abs(delta):.1f}"
    return ("+" if delta >= 0 else "−") + text + " pts"


def format_values(values: FloatArray, unit: str) -> npt.NDArray[np.object_]:
    """``format_value`` over an array, text for text, without a Python call per value.

    The values are split by which format they take (unit, and for percentages the number of
    decimals) and each group is formatted with one fixed format string, so the output is the
    same ``str.format`` rounding as ``format_value``.
    """
    out = np.full(values.shape, "n/a", dtype=object)
    finite = np.isfinite(values)
    if unit in ("money", "ratio"):
        fmt = "${:,.2f}" if unit == "money" else "{:.2f}×"
        out[finite] = [fmt.format(v) for v in values[finite].tolist()]
        return out
    pct = values * 100.0
    size = np.abs(pct)
    for mask, fmt in (
        (finite & (size >= 10), "{:.0f} %"),
        (finite & (size < 10) & (size >= 1), "{:.1f} %"),
        (finite & (size < 1), "{:.2f} %"),
    ):
        out[mask] = [fmt.format(v) for v in pct[mask].tolist()]
    return out


def _points_array(delta: FloatArray) -> npt.NDArray[np.object_]:
    """``_points`` over an array (same texts; NaN falls in the one-decimal, "−" branch as there)."""
    size = np.abs(delta)
    whole, plus = size >= 0.5, delta >= 0
    text = np.empty(delta.shape, dtype=object)
    for mask, fmt in (
        (whole & plus, "+{:.0f} pts"),
        (whole & ~plus, "−{:.0f} pts"),
        (~whole & plus, "+{:.1f} pts"),
        (~whole & ~plus, "−{:.1f} pts"),
    ):
        text[mask] = [fmt.format(v) for v in size[mask].tolist()]
    return text


def top_drivers(sites: pd.DataFrame, uses: Sequence[MetricUse]) -> list[str]:
    """One sentence per site naming the metrics that moved its score most vs a median site.

    Vectorised over sites: the ranking of drivers is a numpy argsort over a sites × metrics
    matrix; each metric's phrase is built, as object-array string concatenation, only for the
    sites where it is among the drivers, and the chosen phrases are joined in rank order. A
    Python call per phrase took longer than all the scoring arithmetic on 100k sites.
    """
    n = len(sites)
    if n == 0 or not uses:
        return [""] * n
    contrib = np.column_stack([sites[f"{u.name}_contrib"].to_numpy(float) for u in uses])
    weights = np.array([u.weight for u in uses])
    delta = contrib - weights * 50.0
    order = np.argsort(-np.abs(delta), axis=1, kind="stable")[:, : min(TOP_DRIVERS, len(uses))]
    phrases = np.empty(order.shape, dtype=object)
    for j, use in enumerate(uses):
        chosen = order == j
        rows = np.flatnonzero(chosen.any(axis=1))
        if rows.size == 0:
            continue
        values = sites[f"{use.name}_shrunk"].to_numpy(float)[rows]
        median = format_value(use.median, use.unit)
        head, tail = f"{use.label} ", f" vs median {median} ("
        phrase = np.array(
            [
                head + v + tail + p + ")"
                for v, p in zip(
                    format_values(values, use.unit).tolist(),
                    _points_array(delta[rows, j]).tolist(),
                    strict=True,
                )
            ],
            dtype=object,
        )
        # a metric appears at most once per row, so each chosen row takes its phrase once
        r, rank = np.nonzero(chosen[rows])
        phrases[rows[r], rank] = phrase[r]
    return ["; ".join(p) + "." for p in phrases.tolist()]


def variance_shares(sites: pd.DataFrame, uses: Sequence[MetricUse]) -> dict[str, float]:
    """Each metric's share of the score variance: cov(contribution, score) / var(score).

    The shares add up to 1 (covariance is additive), so they say which metric actually
    separated the sites in this run — a heavy weight on a metric every site shares does little.
    """
    score = sites["score"].to_numpy(float)
    var = float(np.var(score))
    if len(score) < 2 or var <= 0:
        return {u.name: 0.0 for u in uses}
    centered = score - score.mean()
    return {
        u.name: float(np.mean((sites[f"{u.name}_contrib"].to_numpy(float)) * centered) / var)
        for u in uses
    }


def _json(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def explain_site(result: ScoreResult, site_id: str) -> dict[str, Any]:
    """Everything behind one site's score, JSON-able (NaN becomes ``None``)."""
    if site_id not in result.sites.index:
        raise ValidationError(f"Site {site_id!r} is not in this result.", field="site_id")
    row: dict[Any, Any] = result.sites.loc[site_id].to_dict()
    medians: dict[str, float] = result.summary.get("medians", {})
    used = {u.name: u for u in result.metrics}
    metrics: list[dict[str, Any]] = []
    for name in result.summary.get("candidate_metrics", list(used)):
        use = used.get(name)
        weight = use.weight if use else 0.0
        contrib = float(row[f"{name}_contrib"])
        metrics.append(
            {
                "name": name,
                "label": use.label if use else result.summary.get("labels", {}).get(name, name),
                "unit": use.unit if use else result.summary.get("units", {}).get(name, "ratio"),
                "direction": use.direction if use else None,
                "raw": _json(row[name]),
                "shrunk": _json(row[f"{name}_shrunk"]),
                "interval": [_json(row[f"{name}_lo"]), _json(row[f"{name}_hi"])],
                "median": _json(medians.get(name, use.median if use else math.nan)),
                "normalized": _json(row[f"{name}_norm"]),
                "weight": weight,
                "contribution": contrib,
                "points_vs_median": contrib - weight * 50.0,
                "used": use is not None,
            }
        )
    contributions = [m["contribution"] for m in metrics if m["used"]]
    return {
        "site_id": site_id,
        "display_name": str(row["display_name"]),
        "kind": str(row["kind"]),
        "impressions": _json(float(row["impressions"])),
        "spend": _json(float(row["spend"])),
        "score": float(row["score"]),
        "percentile": float(row["percentile"]),
        "quality_status": str(row["quality_status"]),
        "confidence": str(row["confidence"]),
        "recommendation": str(row["recommendation"]),
        "flags": [
            {"code": c, "evidence": e}
            for c, e in zip(row["flags"], row["flag_evidence"], strict=True)
        ],
        "top_drivers": str(row["top_drivers"]),
        "metrics": metrics,
        "contributions_sum": float(sum(contributions)),
        "dropped_metrics": dict(result.dropped_metrics),
        "profile": result.profile,
        "key_rate": result.summary.get("key_rate"),
    }


def compare_runs(old: ScoreResult, new: ScoreResult) -> pd.DataFrame:
    """Per site in both runs: score change split into per-metric contribution changes.

    A metric used in only one run contributes 0 in the other, so the ``*_delta`` columns still
    add up to ``score_delta``.
    """
    common = old.sites.index.intersection(new.sites.index).sort_values()
    names = sorted({u.name for u in old.metrics} | {u.name for u in new.metrics})
    out = pd.DataFrame(index=common)
    out["score_old"] = old.sites.loc[common, "score"]
    out["score_new"] = new.sites.loc[common, "score"]
    out["score_delta"] = out["score_new"] - out["score_old"]
    for name in names:
        col = f"{name}_contrib"
        before = old.sites.loc[common, col] if col in old.sites else 0.0
        after = new.sites.loc[common, col] if col in new.sites else 0.0
        out[f"{name}_delta"] = after - before
    return out.sort_values("score_delta", key=lambda s: -s.abs(), kind="stable")
