"""How sure each site's score is, and whether that is sure enough to put it on a list.

``docs/scoring.md`` §6: decide on the **score's** posterior, built from the evidence of every
metric, not on one rate's volume. A site's score is ``Σ wₘ·nₘ(xₘ)`` where ``xₘ`` is a shrunk
metric with a Beta posterior and ``nₘ`` the run's normalisation map (winsorise, then percentile
rank among the campaign's sites, flipped where lower is better). Pushing each posterior through
its map gives the normalised value's spread; the weighted spreads give the score's:

* the 90 % credible interval of every rate is already known (``m_lo``, ``m_hi``); its ends go
  through the same clip and map as the point value (a *secant* of the map, the delta method
  with the map's average slope over the interval — robust where the map is bounded or flat),
  and half the normalised span over ``z₀.₉₅`` is that metric's posterior standard deviation;
* cost metrics move with the rate they divide by (CPA with CVR, vCPM with viewability, CPCV
  with completion): within such a group the spreads add (the same draw moves both), between
  groups the variances add (independent evidence); CPM and ROAS are the money actually paid
  and earned and carry no sampling spread here;
* the score is then Normal(score, sd): ``p_block = P(S < block cut)``,
  ``p_allow = P(S ≥ allow cut)``, interval ``score ± z·sd`` clipped to 0–100.

Vectorised: a handful of array operations per metric, no sampling (``tests`` check it against a
slow Monte-Carlo reference that draws every Beta posterior and re-runs the map).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


#: Cost metrics and the rate whose posterior moves them (they divide by it).
DERIVED_FROM: dict[str, str] = {"vcpm": "viewability", "cpa": "cvr", "cpcv": "vcr"}
#: Above this width (points of 0–100) an undecided site's interval cannot place it.
UNPLACEABLE_WIDTH = 50.0
#: Interval widths (points) for the confidence bands.
HIGH_CONFIDENCE_WIDTH = 20.0
MEDIUM_CONFIDENCE_WIDTH = 40.0


def z_of(level: float) -> float:
    """The standard-normal quantile of a central interval at ``level`` (1.645 at 90 %)."""
    from scipy import special  # scoring's, not start-up's: the CLI reads before it scores

    return float(special.ndtri(0.5 + level / 2.0))


@dataclass(frozen=True)
class NormMap:
    """One metric's value → 0–100 as this run normalised it: fences, then a monotone curve.

    ``xs`` (increasing) and ``ys`` are the curve's knots; between them it is linear, beyond them
    flat. For percentile ranks the knots are the campaign's distinct treated values and their
    mid-ranks, so the map gives every site exactly its normalised value.
    """

    low: float
    high: float
    xs: FloatArray
    ys: FloatArray

    def __call__(self, values: FloatArray) -> FloatArray:
        clipped = np.clip(values, self.low, self.high)
        out = np.interp(clipped, self.xs, self.ys)
        return np.where(np.isfinite(values), out, np.nan)


@dataclass(frozen=True)
class Spread:
    """A metric's posterior in normalised points: its median, and its spread on each side.

    The map is not linear and a Beta posterior is skewed, so the side towards the worse value
    and the side towards the better one are measured apart (a site with 12 clicks may be far
    less sure of being good than of being not bad).
    """

    centre: FloatArray
    down: FloatArray
    up: FloatArray


@dataclass(frozen=True)
class ScoreCertainty:
    """Per site: the score's posterior spread on each side, its interval, both probabilities.

    The posterior is a two-piece normal with median at the score: below it the spread
    ``sd_down`` applies, above it ``sd_up`` (each the combination of the metrics' sides).
    """

    sd_down: FloatArray
    sd_up: FloatArray
    lo: FloatArray
    hi: FloatArray
    p_block: FloatArray
    p_allow: FloatArray


def metric_bounds(name: str, mt: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(posterior median, interval low end, high end) of a metric, in its own units.

    Rates carry theirs; a cost divides by a rate, so its median and ends come from that rate's
    (the high rate gives the low cost); CPM and ROAS have none (all three the shrunk value).
    """

    def col(key: str) -> FloatArray:
        return np.asarray(mt[key].to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)

    if name in DERIVED_FROM:
        rate = DERIVED_FROM[name]
        cpm = col("cpm_shrunk")
        scale = cpm if name == "vcpm" else cpm / 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return (  # ordered by the rate's quantile, as every metric's: 50 %, 5 %, 95 %
                scale / col(f"{rate}_med"),
                scale / col(f"{rate}_lo"),
                scale / col(f"{rate}_hi"),
            )
    shrunk = col(f"{name}_shrunk")
    if f"{name}_med" not in mt.columns:
        return shrunk, shrunk, shrunk
    lo, hi, med = col(f"{name}_lo"), col(f"{name}_hi"), col(f"{name}_med")
    keep = np.isfinite(med)
    return np.where(keep, med, shrunk), np.where(keep, lo, shrunk), np.where(keep, hi, shrunk)


def _combine(parts: Mapping[str, FloatArray], weights: Mapping[str, float], n: int) -> FloatArray:
    """The score's sd from the metrics' (weighted sds add within a group, variances across)."""
    groups: dict[str, FloatArray] = {}
    for name, sd in parts.items():
        key = DERIVED_FROM.get(name, name)
        part = weights[name] * np.nan_to_num(sd)
        groups[key] = groups[key] + part if key in groups else part
    var = np.zeros(n)
    for part in groups.values():
        var += part * part
    return np.sqrt(var)


def below(score: FloatArray, sd_down: FloatArray, sd_up: FloatArray, cut: float) -> FloatArray:
    """P(S < cut) under the two-piece normal of :class:`ScoreCertainty` (a step when sure)."""
    from scipy import special  # scoring's, not start-up's (see z_of)

    side = np.where(cut <= score, sd_down, sd_up)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (cut - score) / side
    return np.where(side > 0, special.ndtr(z), (score < cut).astype(float))


def score_certainty(
    centre: FloatArray,
    spreads: Mapping[str, Spread],
    weights: Mapping[str, float],
    *,
    block_cut: float,
    allow_cut: float,
    level: float,
) -> ScoreCertainty:
    """Combine the metrics' normalised spreads into the score's posterior and its decisions.

    ``centre`` is the score with every metric at its posterior median (the two-piece normal's
    median); the reported score, with every metric at its posterior mean, lies inside.
    """
    score = centre
    n = len(score)
    sd_down = _combine({k: v.down for k, v in spreads.items()}, weights, n)
    sd_up = _combine({k: v.up for k, v in spreads.items()}, weights, n)
    z = z_of(level)
    return ScoreCertainty(
        sd_down=sd_down,
        sd_up=sd_up,
        lo=np.clip(score - z * sd_down, 0.0, 100.0),
        hi=np.clip(score + z * sd_up, 0.0, 100.0),
        p_block=below(score, sd_down, sd_up, block_cut),
        p_allow=1.0 - below(score, sd_down, sd_up, allow_cut),
    )


def normalised_spread(
    norm_map: NormMap,
    value: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    level: float,
    fixed: BoolArray | None = None,
) -> Spread:
    """A metric's posterior sd in normalised points, each side: mapped distance over ``z``.

    ``fixed`` marks sites whose normalised value a stated rule sets regardless of the value
    (an abnormal CTR is normalised as the worst): no spread.
    """
    z = z_of(level)
    centre, a, b = norm_map(value), norm_map(lo), norm_map(hi)
    worse, better = np.fmin(a, b), np.fmax(a, b)
    down = np.nan_to_num(np.maximum(centre - worse, 0.0)) / z
    up = np.nan_to_num(np.maximum(better - centre, 0.0)) / z
    if fixed is not None:
        down, up = np.where(fixed, 0.0, down), np.where(fixed, 0.0, up)
    return Spread(centre, down, up)


def confidence_band(lo: FloatArray, hi: FloatArray) -> npt.NDArray[np.object_]:
    """high / medium / low from the width of the score's interval (see module constants)."""
    width = hi - lo
    return np.where(
        width <= HIGH_CONFIDENCE_WIDTH,
        "high",
        np.where(width <= MEDIUM_CONFIDENCE_WIDTH, "medium", "low"),
    ).astype(object)


def decide(
    *,
    certainty: ScoreCertainty,
    impressions: FloatArray,
    min_impressions: float,
    flags: Sequence[tuple[str, ...]],
    hard: frozenset[str],
    confidence: float,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """(recommendation, the rule that decided) per site (scoring.md §6).

    In order: below ``min_impressions`` insufficient data; a hard red flag blocks; then
    ``p_block ≥ confidence`` blocks; ``p_allow ≥ confidence`` with no flag allows; an undecided
    site whose interval is wider than :data:`UNPLACEABLE_WIDTH` is insufficient data (the data
    cannot place it); the rest is monitored.
    """
    n = len(impressions)
    has_flag = np.fromiter(map(bool, flags), dtype=bool, count=n)
    has_hard = np.zeros(n, dtype=bool)
    flagged = np.flatnonzero(has_flag)
    has_hard[flagged] = [not hard.isdisjoint(flags[i]) for i in flagged.tolist()]
    enough = np.nan_to_num(impressions) >= min_impressions
    rec = np.full(n, "monitor", dtype=object)
    rule = np.full(n, "neither probability reaches the confidence", dtype=object)
    wide = (certainty.hi - certainty.lo) > UNPLACEABLE_WIDTH
    rec[wide] = "insufficient_data"
    rule[wide] = "interval too wide to place the site"
    allow = ~has_flag & (certainty.p_allow >= confidence)
    rec[allow], rule[allow] = "allow", "p_allow"
    block = certainty.p_block >= confidence
    rec[block], rule[block] = "block", "p_block"
    rec[has_hard], rule[has_hard] = "block", "red_flag"
    rec[~enough], rule[~enough] = "insufficient_data", "below minimum impressions"
    return rec, rule
