"""Outlier treatment before normalising, and red flags with the evidence behind each.

Extreme values are clipped so that one absurd site cannot decide everybody's normalised value
(the original's min–max scores were hostage to one extreme row). Red flags are separate from the
score: they name patterns a score averages away (fraud-like CTR, made-for-advertising inventory),
and each carries a sentence with its numbers so the analyst can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.models.enums import Channel
from caliber_desktop.services.scoring.model import OutlierMethod

FloatArray = npt.NDArray[np.float64]

#: Flag codes in the order they are listed on a site.
FLAG_CODES: tuple[str, ...] = (
    "integrity",
    "non_targetable",
    "ctr_anomaly",
    "mfa_pattern",
    "dead_inventory",
    "ctv_clicks",
    "low_uniques",
)
#: Columns whose presence lets the made-for-advertising pattern use quality signals; without
#: any of them (a PulsePoint report: CPM, CTR, conversions) it reads price and engagement.
MFA_QUALITY_METRICS = (
    "viewability_shrunk",
    "vcr_shrunk",
    "refresh_rate_shrunk",
    "ad_load_rate_shrunk",
)


@dataclass(frozen=True)
class FlagRules:
    """Thresholds of the red flags (defaults from scoring.md §3; the profiles file may override)."""

    ctr_anomaly_multiple: float = 5.0
    ctr_anomaly_min_clicks: float = 20.0
    ctr_anomaly_conversion_share: float = 0.10
    mfa_high_percentile: float = 90.0
    mfa_low_percentile: float = 10.0
    mfa_share: float = 0.30
    #: Completion is left out of the pattern when the campaign median is at least this: on CTV
    #: (non-skippable) nearly everything completes, so "top-decile completion" means nothing.
    mfa_saturated_completion: float = 0.90
    low_uniques_ratio: float = 0.10
    ctv_clicks_ctr: float = 0.001
    #: Dead inventory: CTR credibly below this share of the campaign median, ...
    dead_ctr_share: float = 0.5
    #: ... on at least this many clicks the median CTR would have given (volume).
    dead_min_expected_clicks: float = 10.0
    #: Flags that block on their own (with at least ``min_impressions``).
    hard: frozenset[str] = frozenset({"ctr_anomaly", "mfa_pattern", "dead_inventory", "integrity"})


def clip_bounds(values: FloatArray, method: OutlierMethod, p: float = 0.01) -> tuple[float, float]:
    """(low, high) clipping fences of one metric over the finite values."""
    v = values[np.isfinite(values)]
    if method == "none" or v.size < 3:
        return -np.inf, np.inf
    if method == "winsorize":
        lo, hi = np.quantile(v, [p, 1.0 - p])
        return float(lo), float(hi)
    if method == "iqr":
        q1, q3 = np.quantile(v, [0.25, 0.75])
        return float(q1 - 1.5 * (q3 - q1)), float(q3 + 1.5 * (q3 - q1))
    med = float(np.median(v))
    spread = 1.4826 * float(np.median(np.abs(v - med)))
    if spread == 0.0:  # MAD = 0 (over half the values equal): mean absolute deviation instead
        spread = 1.2533 * float(np.mean(np.abs(v - med)))
    if spread == 0.0:
        return -np.inf, np.inf
    return med - 3.0 * spread, med + 3.0 * spread


def treat_outliers(
    values: pd.DataFrame, method: OutlierMethod = "winsorize", p: float = 0.01
) -> pd.DataFrame:
    """Each column clipped to its fences; NaN stays NaN (it is not evidence either way)."""
    out = {}
    for col in values.columns:
        v = values[col].to_numpy(dtype="float64")
        lo, hi = clip_bounds(v, method, p)
        out[col] = np.clip(v, lo, hi)
    return pd.DataFrame(out, index=values.index, dtype="float64")


def _col(frame: pd.DataFrame, name: str) -> FloatArray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(frame[name].to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def _pct(v: FloatArray, q: float) -> float:
    f = v[np.isfinite(v)]
    return float(np.percentile(f, q)) if f.size else np.nan


def flag_masks(
    table: pd.DataFrame,
    metrics: pd.DataFrame,
    channel: Channel,
    rules: FlagRules,
    *,
    small: bool = False,
) -> dict[str, tuple[npt.NDArray[np.bool_], list[str]]]:
    """flag → (mask over sites, evidence sentence per flagged site in index order)."""
    out: dict[str, tuple[npt.NDArray[np.bool_], list[str]]] = {}
    ctr = _col(metrics, "ctr_shrunk")
    clicks, conv = _col(table, "clicks"), _col(table, "conversions")
    imps = _col(table, "impressions")

    integrity = np.fromiter(map(bool, table["integrity"].tolist()), dtype=bool, count=len(table))
    out["integrity"] = (
        integrity,
        ["Impossible numbers: " + "; ".join(t) + "." for t in table["integrity"][integrity]],
    )
    nt = (table["kind"] == "non_targetable").to_numpy(dtype=bool)
    out["non_targetable"] = (nt, ["This id cannot be put on a DSP list."] * int(nt.sum()))

    median_ctr = float(np.nanmedian(ctr)) if np.isfinite(ctr).any() else np.nan
    # "No conversions" read as "almost none for the clicks": under a tenth of what the campaign's
    # conversions per click would give (a farm that converts 2 of 624 clicks is still a farm).
    conv0, clicks0 = np.nan_to_num(conv, nan=0.0), np.nan_to_num(clicks, nan=0.0)
    per_click = float(conv0.sum() / clicks0.sum()) if clicks0.sum() > 0 else 0.0
    no_conv = conv0 <= rules.ctr_anomaly_conversion_share * per_click * clicks0
    m = (
        (ctr > rules.ctr_anomaly_multiple * median_ctr)
        & no_conv
        & (np.nan_to_num(clicks) >= rules.ctr_anomaly_min_clicks)
    )
    out["ctr_anomaly"] = (
        m,
        [
            f"CTR {c:.2%} is {c / median_ctr:.0f}× the campaign median {median_ctr:.2%} with "
            f"{'no' if v == 0 else f'{v:,.0f}'} conversions on {k:,.0f} clicks (the campaign's "
            f"rate would give {per_click * k:,.1f}) — click-fraud pattern."
            for c, k, v in zip(ctr[m], clicks[m], conv0[m], strict=True)
        ],
    )
    if any(np.isfinite(_col(metrics, c)).any() for c in MFA_QUALITY_METRICS):
        out["mfa_pattern"] = _mfa(metrics, rules, small=small)
    elif not small:
        out["mfa_pattern"] = _mfa_from_price(metrics, ctr, median_ctr, no_conv, conv0, imps, rules)
    out["dead_inventory"] = _dead(metrics, ctr, median_ctr, no_conv, clicks0, imps, rules)
    if channel is Channel.CTV:
        m = ctr > rules.ctv_clicks_ctr
        out["ctv_clicks"] = (
            m,
            [
                f"CTR {c:.3%} on CTV (threshold {rules.ctv_clicks_ctr:.1%}): TV screens "
                f"are rarely clickable ({k:,.0f} clicks on {n:,.0f} impressions)."
                for c, k, n in zip(ctr[m], clicks[m], imps[m], strict=True)
            ],
        )
    if channel in (Channel.CTV, Channel.AUDIO):
        uid = _col(metrics, "uid_ratio_shrunk")
        m = uid <= rules.low_uniques_ratio
        out["low_uniques"] = (
            m,
            [
                f"Only {u:.2f} unique IDs per impression (threshold {rules.low_uniques_ratio:.2f})"
                ": the same few devices see the ads over and over."
                for u in uid[m]
            ],
        )
    return out


def _credibly_low_ctr(
    metrics: pd.DataFrame, median_ctr: float, share: float
) -> npt.NDArray[np.bool_]:
    """Whether each site's CTR interval lies wholly below ``share`` × the campaign median."""
    hi = _col(metrics, "ctr_hi")
    return np.isfinite(hi) & (hi < share * median_ctr)


def _mfa_from_price(
    metrics: pd.DataFrame,
    ctr: FloatArray,
    median_ctr: float,
    no_conv: npt.NDArray[np.bool_],
    conv: FloatArray,
    imps: FloatArray,
    rules: FlagRules,
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Made-for-advertising from what a report without quality columns has (PulsePoint: CPM,
    CTR, conversions): the cheapest inventory, with a CTR credibly below the campaign's and no
    conversions where the campaign's rate would have given at least one."""
    cpm = _col(metrics, "cpm_shrunk")
    cvr = _col(metrics, "cvr_shrunk")
    p_cpm = _pct(cpm, rules.mfa_low_percentile)
    rate = float(np.nanmedian(cvr)) if np.isfinite(cvr).any() else np.nan
    expected = np.nan_to_num(imps) * (rate if np.isfinite(rate) else 0.0)
    mask = (
        (cpm <= p_cpm) & _credibly_low_ctr(metrics, median_ctr, 1.0) & no_conv & (expected >= 1.0)
    )
    evidence = [
        f"Made-for-advertising pattern: CPM ${c:.2f} among the cheapest "
        f"{rules.mfa_low_percentile:.0f} % (≤ ${p_cpm:.2f}) with CTR {r:.2%} credibly below "
        f"the campaign median {median_ctr:.2%} "
        f"and {v:,.0f} conversions where the campaign's rate would give {e:,.1f}."
        for c, r, v, e in zip(cpm[mask], ctr[mask], conv[mask], expected[mask], strict=True)
    ]
    return mask, evidence


def _dead(
    metrics: pd.DataFrame,
    ctr: FloatArray,
    median_ctr: float,
    no_conv: npt.NDArray[np.bool_],
    clicks: FloatArray,
    imps: FloatArray,
    rules: FlagRules,
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Dead inventory, with no conversions: viewability credibly below ``dead_ctr_share`` of
    the campaign median (its ads are not seen), or — a report without viewability — a CTR
    credibly that far below the median at volume (the median CTR would have given at least
    ``dead_min_expected_clicks`` clicks)."""
    n = len(metrics)
    share = rules.dead_ctr_share
    view, view_hi = _col(metrics, "viewability_shrunk"), _col(metrics, "viewability_hi")
    median_view = float(np.nanmedian(view)) if np.isfinite(view).any() else np.nan
    unseen = np.zeros(n, dtype=bool)
    if np.isfinite(median_view) and median_view > 0:
        unseen = np.isfinite(view_hi) & (view_hi < share * median_view) & no_conv
    quiet = np.zeros(n, dtype=bool)
    expected = np.zeros(n)
    if np.isfinite(median_ctr) and median_ctr > 0:
        expected = np.nan_to_num(imps) * median_ctr
        quiet = (
            _credibly_low_ctr(metrics, median_ctr, share)
            & no_conv
            & (expected >= rules.dead_min_expected_clicks)
        )
    mask = unseen | quiet
    evidence = []
    for i in np.flatnonzero(mask).tolist():
        if unseen[i]:
            text = (
                f"Dead inventory: viewability {view[i]:.0%} is credibly below {share:.0%} of the "
                f"campaign median {median_view:.0%}"
            )
        else:
            text = (
                f"Dead inventory: CTR {ctr[i]:.2%} is credibly below {share:.0%} of the campaign "
                f"median {median_ctr:.2%} ({clicks[i]:,.0f} clicks where the median gives "
                f"{expected[i]:,.0f})"
            )
        evidence.append(text + ", with no conversions.")
    return mask, evidence


def _mfa(
    metrics: pd.DataFrame, rules: FlagRules, *, small: bool = False
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Made-for-advertising: suspiciously perfect and cheap, refresh/ad-load stuffed, or video
    that completes nearly always while muted nearly always (muted autoplay: nobody watches)."""
    view, vcr = _col(metrics, "viewability_shrunk"), _col(metrics, "vcr_shrunk")
    mute = _col(metrics, "mute_rate_shrunk")
    cpm = _col(metrics, "cpm_shrunk")
    refresh, load = _col(metrics, "refresh_rate_shrunk"), _col(metrics, "ad_load_rate_shrunk")
    hi, lo = rules.mfa_high_percentile, rules.mfa_low_percentile
    cheap = cpm <= _pct(cpm, lo)
    perfect = np.ones(len(metrics), dtype=bool)
    have_any = False
    saturated = bool(np.isfinite(vcr).any()) and float(np.nanmedian(vcr)) >= (
        rules.mfa_saturated_completion
    )
    for v in (view, vcr):
        if np.isfinite(v).any() and not (v is vcr and saturated):
            perfect &= v >= _pct(v, hi)
            have_any = True
    pattern = cheap & perfect if have_any and not small else np.zeros(len(metrics), dtype=bool)
    refresh0, load0 = np.nan_to_num(refresh), np.nan_to_num(load)  # once, not per flagged site
    stuffed = (refresh0 >= rules.mfa_share) | (load0 >= rules.mfa_share)
    muted = np.zeros(len(metrics), dtype=bool)
    if np.isfinite(mute).any() and np.isfinite(vcr).any() and not saturated and not small:
        muted = (vcr >= _pct(vcr, hi)) & (mute >= _pct(mute, hi))
    mask = pattern | stuffed | muted
    evidence: list[str] = []
    p_cpm = _pct(cpm, lo)
    for i in np.flatnonzero(mask):
        parts: list[str] = []
        if pattern[i]:
            tops = [
                f"{label} {v[i]:.0%} (≥ P{hi:.0f})"
                for label, v in (("viewability", view), ("completion", vcr))
                if np.isfinite(v[i]) and not (v is vcr and saturated)
            ]
            parts.append(" and ".join(tops) + f" at CPM ${cpm[i]:.2f} (≤ P{lo:.0f} ${p_cpm:.2f})")
        if refresh0[i] >= rules.mfa_share:
            parts.append(f"{refresh[i]:.0%} of impressions refresh in under 15 s")
        if load0[i] >= rules.mfa_share:
            parts.append(f"{load[i]:.0%} of impressions on pages with excessive ad load")
        if muted[i]:
            parts.append(
                f"completion {vcr[i]:.0%} and mute rate {mute[i]:.0%}, both ≥ P{hi:.0f}: "
                "muted autoplay that completes"
            )
        evidence.append("Made-for-advertising pattern: " + "; ".join(parts) + ".")
    return mask, evidence


def red_flags(
    table: pd.DataFrame,
    metrics: pd.DataFrame,
    channel: Channel,
    rules: FlagRules | None = None,
    *,
    small: bool = False,
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Per site (in ``table`` order): flag codes and their evidence sentences.

    Unflagged sites (nearly all of them) share one empty tuple; only flagged sites are touched.
    ``small``: too few sites for percentiles, so the patterns that read them (top-decile
    viewability at a bottom-decile CPM…) are not tested; the absolute ones still are.
    """
    masks = flag_masks(table, metrics, channel, rules or FlagRules(), small=small)
    n = len(table)
    empty: tuple[str, ...] = ()
    codes = [empty] * n
    evidence = [empty] * n
    for code in FLAG_CODES:
        if code not in masks:
            continue
        mask, sentences = masks[code]
        for i, sentence in zip(np.flatnonzero(mask).tolist(), sentences, strict=True):
            codes[i] += (code,)
            evidence[i] += (sentence,)
    return codes, evidence
