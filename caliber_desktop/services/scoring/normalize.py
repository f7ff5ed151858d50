"""Put every metric on a common 0–100 scale where 100 is best.

The default is the percentile rank (mid-rank for ties): it depends only on the order of the
sites, so one extreme site moves everybody else by at most one rank instead of squashing them
into a corner as min–max did in the original. Min–max on the (winsorised) values stays an option.
A site without a value for a metric gets 50 (neutral), never 0: missing is not bad.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.services.scoring.certainty import NormMap
from caliber_desktop.services.scoring.model import Direction, Normalization

FloatArray = npt.NDArray[np.float64]
NEUTRAL = 50.0
#: Fewer sites than this cannot bear a ranking: a percentile rank among 5 sites hands out
#: 0/25/50/75/100 whatever the differences. The rank of the median site among n has a standard
#: error of about 50/√n points; at 30 sites that is ±9 points, a third of the 25 points that
#: separate the quality bands (P25, P50, P75) — below it the noise of the rank itself is as
#: large as the bands, so small campaigns use :func:`robust_map` instead.
MIN_RANKED_SITES = 30
#: A small campaign's metrics are compared on a natural scale — rates by their log-odds, money
#: and ratios by their log — where a spread of 0.5 means "about 65 % more" either way. The
#: campaign's own robust spread is pooled with this reference, which counts as
#: :data:`REFERENCE_WEIGHT` sites: two sites alone do not set the scale.
REFERENCE_SPREAD = 0.5
REFERENCE_WEIGHT = 10
_EPSILON = 1e-6


def percentile_rank(values: FloatArray) -> FloatArray:
    """0–100 by mid-rank over the finite values (lowest 0, highest 100); NaN → NaN."""
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    k = int(ok.sum())
    if k == 1:
        out[ok] = NEUTRAL
    elif k > 1:
        out[ok] = (_mid_ranks(values[ok]) - 1.0) * (100.0 / (k - 1))
    return out


def _mid_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks, ties sharing the mean of their ranks: ``rank(method="average")`` of
    pandas and scipy, the same floats (a run's mean is a half-integer, exact in float64).

    Ties need no stable sort (they all get the same value), so a plain sort and a run-length
    pass do what ``Series.rank`` does a fifth faster; it runs for every metric and the score.
    """
    order = np.argsort(values)
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], ordered.size]
    ranks = np.empty(ordered.size, dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def minmax(values: FloatArray) -> FloatArray:
    """0–100 linearly between the smallest and largest finite value; NaN → NaN."""
    ok = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if ok.any():
        lo, hi = float(values[ok].min()), float(values[ok].max())
        out[ok] = (values[ok] - lo) / (hi - lo) * 100.0 if hi > lo else NEUTRAL
    return out


def is_constant(values: FloatArray) -> bool:
    """True when the finite values do not tell sites apart (or there are none)."""
    v = values[np.isfinite(values)]
    return v.size == 0 or bool(np.all(v == v[0]))


#: A map keeps at most this many knots: 100k distinct values made every interval end a 17-step
#: binary search (a tenth of scoring 100k sites); 2,049 knots move no value by 0.05 points.
MAX_KNOTS = 2_049


def norm_map(
    values: FloatArray,
    direction: Direction,
    method: Normalization,
    fences: tuple[float, float] = (-np.inf, np.inf),
) -> NormMap:
    """The curve :func:`normalize` applied to ``values`` (already clipped to ``fences``), as a
    map any value can go through: the knots are the distinct values and their normalised ones."""
    finite = np.sort(values[np.isfinite(values)])
    if finite.size == 0 or is_constant(finite):
        xs, ys = np.array([0.0]), np.array([NEUTRAL])
    elif method == "percentile":
        xs, first = np.unique(finite, return_index=True)
        last = np.r_[first[1:], finite.size] - 1
        ys = (first + last) / 2.0 * (100.0 / (finite.size - 1))  # mid-rank, 0-based
    else:
        xs = np.array([finite[0], finite[-1]])
        ys = np.array([0.0, 100.0])
    if direction == "lower":
        ys = 100.0 - ys
    if xs.size > MAX_KNOTS:  # between neighbouring knots the rank moves by < 0.05 points
        keep = np.unique(np.linspace(0, xs.size - 1, MAX_KNOTS).round().astype(np.int64))
        xs, ys = xs[keep], ys[keep]
    return NormMap(fences[0], fences[1], xs.astype(np.float64), ys.astype(np.float64))


def _to_scale(values: FloatArray, unit: str) -> FloatArray:
    if unit == "percent":
        p = np.clip(values, _EPSILON, 1.0 - _EPSILON)
        return np.asarray(np.log(p / (1.0 - p)), dtype=np.float64)
    return np.asarray(np.log(np.maximum(values, _EPSILON)), dtype=np.float64)


def _from_scale(values: FloatArray, unit: str) -> FloatArray:
    from scipy import special  # scoring's, not start-up's: the CLI reads before it scores

    if unit == "percent":
        return np.asarray(special.expit(values), dtype=np.float64)
    return np.asarray(np.exp(values), dtype=np.float64)


def robust_map(values: FloatArray, direction: Direction, unit: str = "percent") -> NormMap:
    """A small campaign's scale: the percentile a value would have in a normal distribution
    centred on the campaign's median, ``100·Φ((t(x) − t(median)) / s)``.

    ``t`` is the log-odds of a rate or the log of money and ratios; ``s`` pools the campaign's
    robust spread (1.4826 × the median absolute deviation of ``t``) with
    :data:`REFERENCE_SPREAD`, which weighs as :data:`REFERENCE_WEIGHT` sites. The median site
    gets 50 and every other value the side and distance of its difference, however few the
    sites — so points versus the median add up and have the sign of the difference. Flipped
    where lower is better.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return NormMap(-np.inf, np.inf, np.array([0.0]), np.array([NEUTRAL]))
    scaled = _to_scale(finite, unit)
    centre = float(np.median(scaled))
    own = 1.4826 * float(np.median(np.abs(scaled - centre)))
    k, n = REFERENCE_WEIGHT, finite.size - 1
    spread = float(np.sqrt((k * REFERENCE_SPREAD**2 + n * own**2) / (k + n)))
    from scipy import special  # scoring's, not start-up's (see _from_scale)

    z = np.linspace(-5.0, 5.0, 201)
    xs = _from_scale(centre + spread * z, unit)
    ys = 100.0 * special.ndtr(z)
    if direction == "lower":
        ys = 100.0 - ys
    return NormMap(-np.inf, np.inf, xs, ys)


def normalize(
    values: pd.DataFrame,
    directions: Mapping[str, Direction],
    method: Normalization = "percentile",
    *,
    small: bool = False,
    units: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Normalised columns (same names) and the metrics found constant, with a note each.

    ``values`` holds the winsorised shrunk value per metric. Lower-is-better metrics are flipped
    so 100 is always best. A constant metric gets 50 for every site; the caller drops it from
    the weights (it cannot rank anybody).
    """
    out: dict[str, FloatArray] = {}
    constant: dict[str, str] = {}
    for name in values.columns:
        v = values[name].to_numpy(dtype="float64")
        if small:  # too few sites to rank: the robust scale (a constant metric gives 50 each)
            unit = (units or {}).get(name, "percent")
            n = robust_map(v, directions.get(name, "higher"), unit)(v)
            out[name] = np.where(np.isfinite(n), n, NEUTRAL)
            if is_constant(v) and len(v) > 1:
                constant[name] = "the same value for every site, so it cannot rank them"
            continue
        if is_constant(v):
            out[name] = np.full(v.shape, NEUTRAL)
            constant[name] = "the same value for every site, so it cannot rank them"
            continue
        n = percentile_rank(v) if method == "percentile" else minmax(v)
        if directions.get(name, "higher") == "lower":
            n = 100.0 - n
        out[name] = np.where(np.isfinite(n), n, NEUTRAL)
    return pd.DataFrame(out, index=values.index, dtype="float64"), constant
