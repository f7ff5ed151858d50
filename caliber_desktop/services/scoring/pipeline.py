"""``score_sites``: aggregated sites → scores, explanations and recommendations.

Runs metrics → outliers → normalize → weighting → flags, score → explain, reporting progress per
stage and checking for cancellation between stages; the rates' credible intervals (half the CPU
time) are computed on worker threads from the first stage until the flags need them.
Deterministic: the table is put in ``site_id`` order first and the result is sorted by score
descending then ``site_id``, so the same input gives byte-identical output whatever order the
sites came in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.scoring import (
    certainty,
    explain,
    metrics,
    normalize,
    outliers,
    score,
    weighting,
)
from caliber_desktop.services.scoring.certainty import NormMap
from caliber_desktop.services.scoring.heap import trim_heap
from caliber_desktop.services.scoring.model import (
    BASE_COLUMNS,
    DroppedRows,
    Issue,
    MetricUse,
    ScoreResult,
    ScoringConfig,
    SiteTable,
    counted,
    unit_noun,
)

STAGES = 7
#: Site columns kept as ``object`` (names as the input had them; tuples for the flags).
OBJECT_COLUMNS = frozenset({"kind", "display_name", "flags", "flag_evidence", "top_drivers"})


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def _ctr_policy(
    values: pd.DataFrame,
    shrunk: pd.DataFrame,
    config: ScoringConfig,
    rules: outliers.FlagRules,
    ctr_lo: np.ndarray[Any, np.dtype[np.float64]] | None = None,
) -> npt.NDArray[np.bool_] | None:
    """CTR as a signal (scoring.md §5), applied in place to the values that get normalised.

    Sensitive: capped at P95, so the clicks the client reports on count without letting a
    click farm top the ranking. In both modes an abnormally high CTR — shrunk above the anomaly
    line, or with the site's own evidence (Jeffreys interval, no campaign prior) wholly above
    twice the median — is not rewarded: it is normalised as the campaign's worst CTR. Without the
    second test a 300-impression site with 30 clicks, which a strong campaign prior shrinks to
    2–3× the median, would top the CTR ranking (and, CTR-sensitive, could reach the allow list:
    hypothesis found such a case).
    """
    if "ctr" not in values.columns:
        return None
    ctr = values["ctr"].to_numpy(dtype="float64", copy=True)
    finite = ctr[np.isfinite(ctr)]
    if finite.size == 0:
        return None
    # Judged before winsorising, which would hide how far out the site is.
    raw = shrunk["ctr"].to_numpy(dtype="float64")
    median = float(np.nanmedian(raw))
    lower = ctr_lo if ctr_lo is not None else raw
    abnormal = (raw > rules.ctr_anomaly_multiple * median) | (
        lower > weighting.ctr_policy().unrewarded_lo_multiple * median
    )
    if config.ctr_sensitivity:
        cap = float(np.percentile(finite, weighting.ctr_policy().sensitive_cap_percentile))
        ctr = np.minimum(ctr, cap)
    values["ctr"] = np.where(abnormal, float(finite.min()), ctr)
    return np.asarray(abnormal, dtype=bool)


def _own_ctr_lo(frame: pd.DataFrame, config: ScoringConfig) -> npt.NDArray[np.float64] | None:
    """The lower end of each site's CTR interval from its own evidence (Jeffreys prior, not the
    campaign's), which :func:`_ctr_policy` reads; None without clicks."""
    inputs = metrics.rate_inputs(frame)
    if "ctr" not in inputs:
        return None
    clicks, trials = inputs["ctr"]
    tail = (1.0 - config.credible_level) / 2.0
    return metrics.beta_quantiles([(clicks + 0.5, trials - clicks + 0.5, (tail,))])[0][0]


def score_sites(
    table: SiteTable,
    config: ScoringConfig,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> ScoreResult:
    """Score every site of ``table`` under ``config`` (see scoring.md §2–§7)."""
    profile = weighting.select_profile(config)  # refuse unsupported combinations first
    frame = table.frame
    if "impressions" not in frame.columns:
        raise ValidationError(
            "The report has no impressions column, so no site can be scored.",
            field="impressions",
            hint="Map the impressions column in the column mapping.",
        )
    rated = frame["impressions"].fillna(0.0) > 0
    if not rated.all():  # preprocess drops these; a table built elsewhere is held to the same
        _count_unrated(table, frame[~rated])
        frame = frame[rated]
    if not frame.index.is_monotonic_increasing:  # summing leaves it sorted: no 30 MB copy
        frame = frame.sort_index(kind="stable")
    if frame.empty:
        raise ValidationError(_nothing_to_score(table), field="file", hint=_NOTHING_HINT)
    rules = weighting.flag_rules()

    progress(1, STAGES, "Computing metrics with small-sample shrinkage")
    # before the intervals' threads start, with the cores to itself: stage 2 needs it at once
    own_ctr_lo = _own_ctr_lo(frame, config)
    # the credible intervals are computed on worker threads while the stages below that do
    # not read them (outliers, normalising, weighting) run; intervals() waits for them
    mt, priors, intervals = metrics.start_metrics(frame, credible_level=config.credible_level)
    available = metrics.available_metrics(mt)
    candidates = [m for m in metrics.ALL_METRICS if m in available]
    _check(cancel)

    progress(2, STAGES, "Treating outliers")
    shrunk = pd.DataFrame({m: mt[f"{m}_shrunk"] for m in candidates}, index=frame.index)
    small = len(frame) < normalize.MIN_RANKED_SITES
    clipping = "none" if small else config.outliers  # the robust scale needs no fences
    treated = outliers.treat_outliers(shrunk, clipping, config.winsor_p)
    ctr_lo = own_ctr_lo if "ctr" in available else None  # the "not rewarded" test reads it
    abnormal_ctr = _ctr_policy(treated, shrunk, config, rules, ctr_lo)
    _check(cancel)

    progress(3, STAGES, "Normalising metrics")
    dirs = {m.name: m.direction for m in profile.metrics} | {
        m.prefer: weighting.DIRECTIONS[m.prefer] for m in profile.metrics if m.prefer
    }
    directions = {m: dirs.get(m, weighting.DIRECTIONS[m]) for m in candidates}
    units = {m: metrics.METRIC_INFO[m][1] for m in candidates}
    norm, constant = normalize.normalize(
        treated, directions, config.normalization, small=small, units=units
    )
    if small:
        table.quality.issues.append(_small_campaign_issue(table, len(frame)))
    _check(cancel)

    progress(4, STAGES, "Weighting metrics")
    used, dropped = weighting.resolve_weights(
        profile, available, constant=constant, custom_weights=config.custom_weights
    )
    maps = {
        u.name: (
            normalize.robust_map(
                treated[u.name].to_numpy(dtype="float64"), directions[u.name], units[u.name]
            )
            if small
            else normalize.norm_map(
                treated[u.name].to_numpy(dtype="float64"),
                directions[u.name],
                config.normalization,
                outliers.clip_bounds(
                    shrunk[u.name].to_numpy(dtype="float64"), clipping, config.winsor_p
                ),
            )
        )
        for u in used
    }
    medians = {m: float(np.nanmedian(shrunk[m])) for m in candidates}
    median_norms = {u.name: float(maps[u.name](np.array([medians[u.name]]))[0]) for u in used}
    uses = tuple(
        MetricUse(
            name=u.name,
            label=metrics.metric_label(u.name, config.channel),
            weight=u.weight,
            direction=u.direction,
            median=medians[u.name],
            unit=metrics.METRIC_INFO[u.name][1],
            median_norm=median_norms[u.name],
        )
        for u in used
    )
    _check(cancel)

    progress(5, STAGES, "Scoring sites")
    intervals()  # the red flags, the columns and the decision read the intervals
    flags, evidence = outliers.red_flags(frame, mt, config.channel, rules, small=small)
    cols = _assemble(frame, mt, candidates, norm)
    contrib = score.weighted_score(norm, used)
    zeros = np.zeros(len(frame))
    for m in candidates:
        c = f"{m}_contrib"
        cols[c] = contrib[c].to_numpy(dtype="float64") if c in contrib.columns else zeros
    s = contrib["score"].to_numpy(dtype="float64")
    cols["score"] = s
    cols["percentile"] = normalize.percentile_rank(s)
    if small:  # the reference scale's own quantiles: P25 of a normal is 25 on it
        good_cut, poor_cut = float(config.allow_percentile), float(config.block_percentile)
    else:
        good_cut = float(np.percentile(s, config.allow_percentile))
        poor_cut = float(np.percentile(s, config.block_percentile))
    cols["quality_status"] = score.quality_status(s, good_cut, poor_cut)
    decision = _decide(cols, mt, config, maps, used, flags, rules, good_cut, poor_cut, abnormal_ctr)
    cols["ctr_unrewarded"] = (
        abnormal_ctr if abnormal_ctr is not None else np.zeros(len(frame), dtype=bool)
    )
    cols["flags"] = _objects(flags)
    cols["flag_evidence"] = _objects(evidence)
    _check(cancel)

    progress(6, STAGES, "Explaining scores")
    # score descending, then site_id: the frame is in site_id order already (sort_index above),
    # so a stable sort on the score alone is that order, without converting 100k ids to text
    order = np.argsort(-s, kind="stable")
    # cols are mostly views of these frames: let each go as its last column is taken, and
    # sort before the sentences exist, which are explained row by row from the sorted frame
    # (100k sites: the working frames, ~40 MB, and the sentences, ~25 MB, never meet)
    del mt, intervals, norm, contrib, treated, shrunk, flags, evidence
    sites = _sorted_frame(cols, frame.index, order)
    trim_heap()  # the working frames' pages, before the sentences' strings (see heap.py)
    drivers = explain.top_drivers(sites, uses)
    led = explain.lead_with_flags(
        _objects(drivers),
        sites["decision_rule"].to_numpy(),
        sites["flags"].to_numpy(),
        sites["flag_evidence"].to_numpy(),
        rules.hard,
    )
    sites["top_drivers"] = pd.Series(led, index=sites.index, dtype=object)
    del drivers
    _check(cancel)

    progress(7, STAGES, "Summarising the campaign")
    summary = _summary(sites, config, uses, dropped, decision, priors, candidates, medians)
    summary["data_quality"] = table.quality.to_json()
    summary["measured"] = [c for c in BASE_COLUMNS if _measured(frame, c)]
    summary["scale"] = {
        "method": "robust" if small else config.normalization,
        "sites": len(frame),
        "minimum_ranked": normalize.MIN_RANKED_SITES,
    }
    summary["thresholds"] = {"good_cut": good_cut, "poor_cut": poor_cut}
    return ScoreResult(
        config=config,
        profile=profile.key,
        sites=sites,
        metrics=uses,
        dropped_metrics=dropped,
        summary=summary,
        quality=table.quality,
        children=dict(table.children),
    )


_NOTHING_HINT = (
    "Check that the file has data rows, that its numbers are numbers, and that the site and "
    "impressions columns are mapped."
)


def _nothing_to_score(table: SiteTable) -> str:
    """Why no site is left, naming the file and the largest reason its rows were left out."""
    quality = table.quality
    one = unit_noun(table.level, plural=False)
    text = (
        f"{quality.source or 'The report'}: no {one} has impressions, so there is nothing to score."
    )
    if quality.dropped:
        worst = max(quality.dropped, key=lambda d: d.rows)
        example = f" (e.g. {worst.examples[0]})" if worst.examples else ""
        text += (
            f" {quality.rows_dropped:,} of {quality.rows_read:,} rows were left out, "
            f"{worst.rows:,} of them {worst.short}{example}."
        )
    return text


def _small_campaign_issue(table: SiteTable, n: int) -> Issue:
    """The run says when its sites are too few for percentile ranks, and what it did instead."""
    return Issue(
        "small_campaign",
        f"{table.quality.source or 'The report'}: {counted(n, table.level)} "
        f"{'is' if n == 1 else 'are'} too few to rank reliably (a ranking needs "
        f"{normalize.MIN_RANKED_SITES}): each metric is scored against the campaign's median "
        "and robust spread instead of a percentile rank, so close values stay close; lists "
        "need clear differences.",
    )


def _count_unrated(table: SiteTable, unrated: pd.DataFrame) -> None:
    """Account for sites without impressions in a table preprocess did not make."""
    rows = int(unrated["n_rows"].sum()) if "n_rows" in unrated else len(unrated)
    spend = float(unrated["spend"].sum()) if "spend" in unrated else 0.0
    table.quality.dropped.append(
        DroppedRows(
            "no_impressions",
            f"Rows of {unit_noun(table.level)} with no impressions at all: nothing to rate",
            rows,
            0.0,
            spend,
            tuple(str(i) for i in unrated.index[:5]),
        )
    )
    table.quality.rows_scored -= rows
    table.quality.sites -= len(unrated)


def _measured(frame: pd.DataFrame, column: str) -> bool:
    """Whether the report has ``column`` with at least one value for a scored site."""
    return column in frame.columns and bool(frame[column].notna().any())


def _sorted_frame(
    cols: dict[str, npt.NDArray[Any]], index: pd.Index, order: npt.NDArray[np.intp]
) -> pd.DataFrame:
    """The result frame: ``cols`` in their order, rows in ``order``.

    Built from sorted columns (inserting ~70 columns one by one into a frame and then sorting
    it cost more than all the arithmetic of the stage). The ~60 float columns are gathered
    straight into one 2-D block the frame takes as it is, instead of sorted copies that the
    constructor then copies again into its block; the dozen others are inserted in place,
    with the dtypes the columns always had (object for :data:`OBJECT_COLUMNS`, inferred —
    ``str`` — for the labels). The float columns are popped from ``cols`` as they are taken,
    so each source frame is freed once its last column is in the block.
    """
    index = index[order]
    keys = list(cols)
    floats = [k for k, v in cols.items() if k not in OBJECT_COLUMNS and v.dtype == np.float64]
    block = np.empty((len(floats), len(order)), dtype=np.float64)
    for row, key in enumerate(floats):
        np.take(cols.pop(key), order, out=block[row])  # popped: the source can be freed
    sites = pd.DataFrame(block.T, index=index, columns=floats, copy=False)
    for position, key in enumerate(keys):
        if key not in cols:
            continue
        values = cols[key]
        if key in OBJECT_COLUMNS:
            sites.insert(position, key, pd.Series(values[order], index=index, dtype=object))
        else:
            sites.insert(position, key, values[order])
    return sites


def _objects(values: Sequence[object]) -> npt.NDArray[np.object_]:
    """A 1-D object array of tuples (``np.array`` would make a 2-D array of equal-length ones)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _assemble(
    frame: pd.DataFrame, mt: pd.DataFrame, candidates: list[str], norm: pd.DataFrame
) -> dict[str, npt.NDArray[Any]]:
    """The site columns in output order, as arrays (the DataFrame is built once, sorted)."""
    cols: dict[str, npt.NDArray[Any]] = {
        "kind": frame["kind"].to_numpy(dtype=object),
        "display_name": frame["display_name"].to_numpy(dtype=object),
        "n_rows": frame["n_rows"].to_numpy(),
    }
    for col in BASE_COLUMNS:  # a site without a value in the column (or a report without
        # the column) reads missing, never a made-up 0: 'N/A' is not "no spend"
        values = frame[col] if col in frame.columns else None
        cols[col] = np.full(len(frame), np.nan) if values is None else values.to_numpy("float64")
    for m in candidates:
        for suffix in ("", "_shrunk", "_lo", "_hi"):
            cols[f"{m}{suffix}"] = mt[f"{m}{suffix}"].to_numpy(dtype="float64")
        cols[f"{m}_norm"] = norm[m].to_numpy(dtype="float64")
    return cols


def _decide(
    sites: dict[str, npt.NDArray[Any]],
    mt: pd.DataFrame,
    config: ScoringConfig,
    maps: dict[str, NormMap],
    used: Sequence[weighting.ProfileMetric],
    flags: list[tuple[str, ...]],
    rules: outliers.FlagRules,
    good_cut: float,
    poor_cut: float,
    abnormal_ctr: npt.NDArray[np.bool_] | None,
) -> dict[str, Any]:
    """Adds the score interval, both probabilities, ``confidence``, ``recommendation`` and the
    rule that decided (:mod:`.certainty`); returns the decision facts for the summary."""
    level = config.credible_level
    spreads = {}
    for u in used:
        med, lo, hi = certainty.metric_bounds(u.name, mt)
        fixed = abnormal_ctr if u.name == "ctr" else None
        spread = certainty.normalised_spread(maps[u.name], med, lo, hi, level, fixed)
        if fixed is not None:  # the rule fixes the value: its normalised value, no spread
            value = sites["ctr_norm"]
            spread = dataclasses.replace(spread, centre=np.where(fixed, value, spread.centre))
        spreads[u.name] = spread
    centre = sum(
        (u.weight * np.nan_to_num(spreads[u.name].centre, nan=50.0) for u in used),
        start=np.zeros(len(sites["score"])),
    )
    sure = certainty.score_certainty(
        centre,
        spreads,
        {u.name: u.weight for u in used},
        block_cut=poor_cut,
        allow_cut=good_cut,
        level=level,
    )
    sites["score_lo"], sites["score_hi"] = sure.lo, sure.hi
    sites["p_block"], sites["p_allow"] = sure.p_block, sure.p_allow
    sites["confidence"] = certainty.confidence_band(sure.lo, sure.hi)
    sites["recommendation"], sites["decision_rule"] = certainty.decide(
        certainty=sure,
        impressions=sites["impressions"],
        min_impressions=config.min_impressions,
        flags=flags,
        hard=rules.hard,
        confidence=config.decision_confidence,
    )
    return {
        "confidence": config.decision_confidence,
        "block_cut": poor_cut,
        "allow_cut": good_cut,
        "credible_level": level,
        "min_impressions": config.min_impressions,
        "unplaceable_width": certainty.UNPLACEABLE_WIDTH,
        "hard_flags": sorted(rules.hard),
    }


def _site_list(sites: pd.DataFrame) -> list[dict[str, Any]]:
    cols = ["display_name", "score", "impressions", "recommendation", "p_block", "p_allow"]
    return [
        {
            "site_id": str(i),
            "display_name": str(r["display_name"]),
            "score": float(r["score"]),
            "impressions": float(r["impressions"]),
            "recommendation": str(r["recommendation"]),
            "p_block": float(r["p_block"]),
            "p_allow": float(r["p_allow"]),
        }
        for i, r in zip(sites.index, sites[cols].to_dict("records"), strict=True)
    ]


def _summary(
    sites: pd.DataFrame,
    config: ScoringConfig,
    uses: tuple[MetricUse, ...],
    dropped: dict[str, str],
    decision: dict[str, Any],
    priors: dict[str, metrics.BetaPrior],
    candidates: list[str],
    medians: dict[str, float],
) -> dict[str, Any]:
    s = sites["score"].to_numpy(dtype="float64")
    imps = sites["impressions"].to_numpy(dtype="float64")
    counts, edges = np.histogram(s, bins=10, range=(0.0, 100.0))
    # positions, not a filtered copy: copying ~70 columns of 100k sites to read 20 rows cost
    # a tenth of the stage
    big = np.flatnonzero((sites["impressions"] >= config.min_impressions).to_numpy())
    flag_counts: dict[str, int] = {}
    for f in sites["flags"].tolist():
        for code in f:
            flag_counts[code] = flag_counts.get(code, 0) + 1
    recommendations = sites["recommendation"].value_counts()
    bands = sites["quality_status"].value_counts()
    channel: Channel = config.channel
    return {
        "sites": len(sites),
        "campaign_score": float(np.average(s, weights=imps)) if imps.sum() > 0 else float(s.mean()),
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "recommendations": {
            k: int(recommendations.get(k, 0))
            for k in ("allow", "block", "monitor", "insufficient_data")
        },
        "quality_status": {k: int(bands.get(k, 0)) for k in ("good", "moderate", "poor")},
        "flags": dict(sorted(flag_counts.items())),
        "top": _site_list(sites.iloc[big[:10]]),
        "bottom": _site_list(sites.iloc[big[-10:][::-1]]),
        "weights": {u.name: u.weight for u in uses},
        "median_norms": {u.name: u.median_norm for u in uses},
        "directions": {u.name: u.direction for u in uses},
        "dropped_metrics": dict(dropped),
        "decision": decision,
        "variance_shares": explain.variance_shares(sites, uses),
        "candidate_metrics": list(candidates),
        "medians": {m: (v if np.isfinite(v) else None) for m, v in medians.items()},
        "labels": {m: metrics.metric_label(m, channel) for m in candidates},
        "units": {m: metrics.METRIC_INFO[m][1] for m in candidates},
        "priors": {
            m: {"alpha": p.alpha, "beta": p.beta, "method": p.method, "rows": p.rows}
            for m, p in priors.items()
        },
        "config": config.to_json(),
    }
