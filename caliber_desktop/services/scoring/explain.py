"""Why a site got its score: per-metric contributions, flags, and a sentence naming the drivers.

Every score is ``Σ weight × normalised value``, so each metric's contribution in points is exact
and they add up to the score. The sentence reports contributions relative to a median site
(``weight × (normalised − the median's normalised value)``): "+14 pts" means this metric lifted
the site 14 points above where the campaign's median value would have put it, so the sign is
always the side of the median the value is on — except where a stated rule sets the value (an
abnormally high CTR is normalised as the worst), and then the sentence says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.errors import ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.scoring.model import MetricUse, ScoreResult, unit_noun

FloatArray = npt.NDArray[np.float64]
#: pandas' ``str`` column type (Arrow-backed text, NaN for missing): what ``astype("str")`` makes.
STR = pd.StringDtype("pyarrow", na_value=np.nan)
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
    return f"{pct:.{percent_decimals(pct)}f} %"


def percent_decimals(pct: float) -> int:
    """The decimals of a percentage: none from 10 %, one from 1 %, and below that two
    significant digits (0.15 %, 0.012 %, 0.0034 %; at most four), so a conversion rate of
    0.012 % never reads as a median's 0.010 % beside "+25 pts"."""
    size = abs(pct)
    if size >= 10:
        return 0
    if size >= 1:
        return 1
    if size >= 0.1 or size == 0:
        return 2
    return 3 if size >= 0.01 else 4


def _points(delta: float) -> str:
    if not abs(delta) >= 0.05:  # NaN too, as in _points_array
        return "0 pts"
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
        out[finite] = _format_all(fmt, values[finite])
        return out
    pct = values * 100.0
    size = np.abs(pct)
    small = (size < 0.1) & (size > 0)
    for mask, fmt in (  # the bands of percent_decimals
        (finite & (size >= 10), "{:.0f} %"),
        (finite & (size < 10) & (size >= 1), "{:.1f} %"),
        (finite & (size < 1) & ~small, "{:.2f} %"),
        (finite & small & (size >= 0.01), "{:.3f} %"),
        (finite & small & (size < 0.01), "{:.4f} %"),
    ):
        out[mask] = _format_all(fmt, pct[mask])
    return out


def _format_all(fmt: str, values: FloatArray) -> npt.NDArray[np.object_]:
    """``[fmt.format(v) for v in values]`` for a fixed-point ``fmt`` such as ``"${:,.2f}"``,
    formatting each distinct rounded value once.

    The texts of 100k sites repeat (a rate at two decimals takes a few hundred values), and a
    ``str.format`` per value cost a quarter of scoring them. The rounding is decided in C:
    ``rint(v·10^d)`` is the ``str.format`` rounding except within 1e-6 of a tie (where the
    binary value decides), and those values, negative ones (``-0`` keeps its sign) and
    non-finite or huge ones are formatted by ``fmt`` itself — so every text is identical.
    """
    prefix, rest = fmt.split("{", 1)
    spec, suffix = rest.split("}", 1)
    decimals = int(spec.rsplit(".", 1)[1].rstrip("f"))
    grouped = "," in spec
    scale = 10**decimals
    out = np.empty(values.shape, dtype=object)
    with np.errstate(invalid="ignore"):
        scaled = values * float(scale)
        whole = np.rint(scaled)
        fast = ~np.signbit(values) & (scaled < 1e9) & (np.abs(np.abs(scaled - whole) - 0.5) > 1e-6)
    slow = ~fast
    if slow.any():
        out[slow] = [fmt.format(v) for v in values[slow].tolist()]
    if fast.any():
        uniques, inverse = np.unique(whole[fast].astype(np.int64), return_inverse=True)
        texts = np.empty(len(uniques), dtype=object)
        for k, unit in enumerate(uniques.tolist()):
            units, fraction = divmod(unit, scale)
            text = f"{units:,}" if grouped else str(units)
            texts[k] = prefix + (f"{text}.{fraction:0{decimals}d}" if decimals else text) + suffix
        out[fast] = texts[inverse]
    return out


def _points_array(delta: FloatArray) -> npt.NDArray[np.object_]:
    """``_points`` over an array (same texts; NaN falls in the one-decimal, "−" branch as there)."""
    size = np.abs(delta)
    whole, plus, zero = size >= 0.5, delta >= 0, ~(size >= 0.05)
    text = np.empty(delta.shape, dtype=object)
    for mask, fmt in (
        (whole & plus, "+{:.0f} pts"),
        (whole & ~plus, "−{:.0f} pts"),
        (~whole & plus & ~zero, "+{:.1f} pts"),
        (~whole & ~plus & ~zero, "−{:.1f} pts"),
    ):
        text[mask] = _format_all(fmt, size[mask])
    text[zero] = "0 pts"
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
    delta = contrib - weights * np.array([u.median_norm for u in uses])
    unrewarded = (
        sites["ctr_unrewarded"].to_numpy(bool)
        if "ctr_unrewarded" in sites.columns
        else np.zeros(n, dtype=bool)
    )
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
        ends = np.full(rows.size, ")", dtype=object)
        if use.name == "ctr":
            ends[unrewarded[rows]] = ": an abnormally high CTR is never rewarded)"
        phrase = np.array(
            [
                head + v + tail + p + e
                for v, p, e in zip(
                    format_values(values, use.unit).tolist(),
                    _points_array(delta[rows, j]).tolist(),
                    ends.tolist(),
                    strict=True,
                )
            ],
            dtype=object,
        )
        # a metric appears at most once per row, so each chosen row takes its phrase once
        r, rank = np.nonzero(chosen[rows])
        phrases[rows[r], rank] = phrase[r]
    ranks = [phrases[:, rank].tolist() for rank in range(order.shape[1])]
    del phrases  # by rank, not a list per site: 100k lists fewer at the stage's peak
    return ["; ".join(p) + "." for p in zip(*ranks, strict=True)]


def lead_with_flags(
    drivers: npt.NDArray[np.object_],
    rules: npt.NDArray[np.object_],
    flags: npt.NDArray[np.object_],
    evidence: npt.NDArray[np.object_],
    hard: frozenset[str],
) -> npt.NDArray[np.object_]:
    """A site a red flag blocked is explained by the flag first: its evidence, then the score's
    drivers (which may well be positive — the flag is why it is blocked anyway)."""
    out = drivers.copy()
    for i in np.flatnonzero(rules == "red_flag").tolist():
        reasons = [e for code, e in zip(flags[i], evidence[i], strict=True) if code in hard]
        if reasons:
            out[i] = f"Blocked by a red flag: {' '.join(reasons)} Score: {drivers[i]}"
    return out


# The sentences are built as Arrow string arrays: UTF-8 in C, one pass per sentence. Python's
# ``%`` per value (``np.char.mod``) and fixed-width ``np.char.add`` copies were a third of
# writing ``scores.csv`` for 100k sites.


def _pct(values: FloatArray) -> Any:
    """0.934 → "93 %" for a whole array (an Arrow string array)."""
    return _join(_digits(np.round(values * 100.0)), " %")


def _whole(values: FloatArray) -> Any:
    return _digits(np.round(values))


def _digits(values: FloatArray) -> Any:
    """Whole numbers as ``"%d"`` writes them (the values are cut to int64 first, as before)."""
    import pyarrow as pa

    return pa.array(values.astype(np.int64)).cast(pa.string())


def _join(*parts: Any) -> Any:
    """Arrow string arrays and ``str`` pieces, concatenated site by site."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


def decision_reasons(result: ScoreResult, sites: pd.DataFrame | None = None) -> pd.Series:
    """The rule that decided each site (of ``sites``, default all), in one sentence with its
    numbers; "" for a run stored before certainty.

    Words, not data: made when shown or exported, from the stored rule, probabilities and
    interval (so scoring 100k sites does not pay for 100k sentences). Built per rule as Arrow
    strings over that rule's sites, the few flagged sites one by one, and handed back as a
    ``str`` column without becoming Python strings (at 100k sites those, with an en dash in
    most, held ~35 MB at the export's peak). A rule no sentence is written for reads "".
    """
    import pyarrow as pa

    frame = result.sites if sites is None else sites
    decision = result.summary.get("decision")
    if decision is None or "decision_rule" not in frame.columns:
        return pd.Series("", index=frame.index, dtype=STR)  # the same type as a fresh run's
    hard = frozenset(decision.get("hard_flags", ()))
    noun = unit_noun(result.config.level, plural=False)
    flags: list[tuple[str, ...]] = list(frame["flags"])
    rule = frame["decision_rule"].to_numpy(dtype=object)

    def col(name: str) -> FloatArray:
        return np.asarray(frame[name].to_numpy(dtype="float64", na_value=np.nan))

    p_block, p_allow = col("p_block"), col("p_allow")
    lo, hi, imps = col("score_lo"), col("score_hi"), col("impressions")
    sure = float(decision["confidence"])
    block_cut, allow_cut = float(decision["block_cut"]), float(decision["allow_cut"])
    minimum = int(decision["min_impressions"])
    places: list[npt.NDArray[np.intp]] = []
    parts: list[Any] = []

    def put(mask: npt.NDArray[np.bool_], texts: Any) -> None:
        where = np.flatnonzero(mask)
        if len(where):
            places.append(where)
            parts.append(texts(where))

    def interval(i: npt.NDArray[np.intp]) -> Any:
        return _join(" (90 % interval ", _whole(lo[i]), "–", _whole(hi[i]), ").")

    put(
        rule == "p_block",
        lambda i: _join(
            "Blocked: ", _pct(p_block[i]), " sure the score is below the block cut ",
            f"{block_cut:.1f}", interval(i),
        ),
    )  # fmt: skip
    put(
        rule == "p_allow",
        lambda i: _join(
            "Allowed: ", _pct(p_allow[i]), " sure the score is at or above the allow cut ",
            f"{allow_cut:.1f}", interval(i),
        ),
    )  # fmt: skip
    put(
        rule == "below minimum impressions",
        lambda i: _join(
            "Insufficient data: ", _digits(np.nan_to_num(imps[i])),
            f" impressions, fewer than the {minimum:,} a {noun} needs to be judged.",
        ),
    )  # fmt: skip
    put(
        rule == "interval too wide to place the site",
        lambda i: _join(
            "Insufficient data: the score could be anywhere from ", _whole(lo[i]), " to ",
            _whole(hi[i]), f" (90 % interval), too wide to place this {noun}.",
        ),
    )  # fmt: skip
    monitor = rule == "neither probability reaches the confidence"
    soft = np.fromiter(map(bool, flags), dtype=bool, count=len(rule))
    put(
        monitor & ~soft,
        lambda i: _join(
            "Monitor: ", _pct(p_block[i]), " sure the score is below the block cut and ",
            _pct(p_allow[i]), f" sure it is at or above the allow cut; neither reaches "
            f"{sure * 100:.0f} %",
            interval(i),
        ),
    )  # fmt: skip
    named: dict[tuple[str, ...], str] = {}  # thousands of flagged sites, a few flag sets

    def names(codes: tuple[str, ...]) -> str:
        if codes not in named:
            named[codes] = labels.flags(codes)
        return named[codes]

    red = np.flatnonzero(rule == "red_flag")
    places.append(red)
    parts.append(
        pa.array(
            [
                f"Blocked by a red flag: {names(tuple(c for c in flags[i] if c in hard))}."
                for i in red.tolist()
            ],
            type=pa.string(),
        )
    )
    flagged = np.flatnonzero(monitor & soft)
    places.append(flagged)
    parts.append(
        pa.array(
            [
                f"Monitor: flagged ({names(tuple(flags[i]))}), so never allowed; only "
                f"{p_block[i] * 100:.0f} % sure the score is below the block cut, short of "
                f"{sure * 100:.0f} %."
                for i in flagged.tolist()
            ],
            type=pa.string(),
        )
    )
    return _placed(places, parts, frame.index)


def _placed(
    places: Sequence[npt.NDArray[np.intp]], parts: Sequence[Any], index: pd.Index
) -> pd.Series:
    """One ``str`` column from Arrow string arrays, each for the rows at its ``places``; rows
    none of them covers read ""."""
    import pyarrow as pa

    n = len(index)
    texts = pa.concat_arrays([*parts, pa.array([""], type=pa.string())])
    source = np.full(n, len(texts) - 1, dtype=np.intp)  # the "" at the end
    source[np.concatenate(places)] = np.arange(len(texts) - 1)
    column: pd.Series = texts.take(pa.array(source)).to_pandas(types_mapper=lambda _: STR)
    column.index = index
    return column


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
                "label": use.label
                if use
                else result.summary.get("labels", {}).get(name) or labels.metric(name),
                "unit": use.unit if use else result.summary.get("units", {}).get(name, "ratio"),
                "direction": use.direction if use else None,
                "raw": _json(row[name]),
                "shrunk": _json(row[f"{name}_shrunk"]),
                "interval": [_json(row[f"{name}_lo"]), _json(row[f"{name}_hi"])],
                "median": _json(medians.get(name, use.median if use else math.nan)),
                "normalized": _json(row[f"{name}_norm"]),
                "weight": weight,
                "contribution": contrib,
                "points_vs_median": contrib - weight * (use.median_norm if use else 50.0),
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
        "score_interval": [_json(row.get("score_lo")), _json(row.get("score_hi"))],
        "p_block": _json(row.get("p_block")),
        "p_allow": _json(row.get("p_allow")),
        "decision_rule": str(row.get("decision_rule", "")),
        "decision_reason": str(decision_reasons(result, result.sites.loc[[site_id]]).iloc[0]),
        "decision": result.summary.get("decision"),
        "flags": [
            {"code": c, "evidence": e}
            for c, e in zip(row["flags"], row["flag_evidence"], strict=True)
        ],
        "top_drivers": str(row["top_drivers"]),
        "metrics": metrics,
        "contributions_sum": float(sum(contributions)),
        "dropped_metrics": dict(result.dropped_metrics),
        "profile": result.profile,
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
