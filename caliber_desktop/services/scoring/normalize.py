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

from caliber_desktop.services.scoring.model import Direction, Normalization

FloatArray = npt.NDArray[np.float64]
NEUTRAL = 50.0


def percentile_rank(values: FloatArray) -> FloatArray:
    """0–100 by mid-rank over the finite values (lowest 0, highest 100); NaN → NaN."""
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    k = int(ok.sum())
    if k == 1:
        out[ok] = NEUTRAL
    elif k > 1:  # pandas' mid-rank equals scipy's rankdata(method="average"), no scipy.stats
        ranks = pd.Series(values[ok]).rank(method="average").to_numpy(dtype=np.float64)
        out[ok] = (ranks - 1.0) * (100.0 / (k - 1))
    return out


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


def normalize(
    values: pd.DataFrame,
    directions: Mapping[str, Direction],
    method: Normalization = "percentile",
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
        if is_constant(v):
            out[name] = np.full(v.shape, NEUTRAL)
            constant[name] = "the same value for every site, so it cannot rank them"
            continue
        n = percentile_rank(v) if method == "percentile" else minmax(v)
        if directions.get(name, "higher") == "lower":
            n = 100.0 - n
        out[name] = np.where(np.isfinite(n), n, NEUTRAL)
    return pd.DataFrame(out, index=values.index, dtype="float64"), constant
