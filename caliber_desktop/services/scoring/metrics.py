"""Derived metrics from summed counts, with empirical-Bayes shrinkage of every proportion.

Rates are computed from the site's summed counts, never averaged. A site with 300 impressions is
a noisy estimate of its true rate, so each binomial proportion is replaced by its posterior mean
under a Beta prior fitted to the campaign (``(x + α) / (n + α + β)``): big sites keep their own
rate, tiny ones are pulled towards the campaign. The raw value and a credible interval are kept
for the explanation and for the list decisions (which need to know how sure we are).
Cost-per-outcome metrics are derived from the *shrunk* rates, so zero conversions give a large,
finite CPA instead of ∞.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from caliber_desktop.models.enums import Channel
from caliber_desktop.models.labels import METRICS

FloatArray = npt.NDArray[np.float64]
Unit = Literal["percent", "money", "ratio"]

#: Rows with at least this denominator fit the prior: their rates are mostly signal, not noise.
PRIOR_MIN_DENOMINATOR = 1_000
#: Fewer big rows than this and the prior is fitted on every row (then falls back to a weak one).
PRIOR_MIN_ROWS = 20
#: Prior strength (α + β) of the weak fallback: worth two observations.
WEAK_PRIOR_STRENGTH = 2.0
#: Upper bound on α + β: a prior never outweighs this many observations, so a site with real
#: volume is always judged on its own numbers even when the campaign looks perfectly uniform.
MAX_PRIOR_STRENGTH = 1e6


@dataclass(frozen=True)
class RateSpec:
    """A binomial proportion: numerator / denominator count columns."""

    name: str
    numerator: str
    denominator: str
    fallback_denominator: str | None = None

    @property
    def label(self) -> str:
        """The display label, from the one labels table."""
        return METRICS[self.name]


@dataclass(frozen=True)
class BetaPrior:
    """The campaign prior of one rate and how it was obtained (for the explanation)."""

    alpha: float
    beta: float
    method: Literal["big_rows", "all_rows", "weak"]
    rows: int

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


RATES: tuple[RateSpec, ...] = (
    RateSpec("ctr", "clicks", "impressions"),
    RateSpec("cvr", "conversions", "impressions"),
    RateSpec("viewability", "viewed_imps", "tracked_imps"),
    RateSpec("vcr", "completes", "starts", "impressions"),
    RateSpec("error_rate", "errors", "starts"),
    RateSpec("mute_rate", "mute", "starts"),
    RateSpec("ad_load_rate", "ad_load_xl_imps", "impressions"),
    RateSpec("refresh_rate", "refresh_lt15_imps", "impressions"),
    RateSpec("uid_ratio", "unique_ids", "impressions"),
    RateSpec("tvqi_rate", "tvqi_raw", "tvqi_measured"),
)
RATE_NAMES: frozenset[str] = frozenset(r.name for r in RATES)
#: name → (label, unit) of every candidate metric, rates and money alike.
METRIC_INFO: dict[str, tuple[str, Unit]] = {r.name: (r.label, "percent") for r in RATES} | {
    "cpm": (METRICS["cpm"], "money"),
    "vcpm": (METRICS["vcpm"], "money"),
    "roas": (METRICS["roas"], "ratio"),
    "cpa": (METRICS["cpa"], "money"),
    "cpcv": (METRICS["cpcv"], "money"),
}
ALL_METRICS: tuple[str, ...] = tuple(METRIC_INFO)


def metric_label(name: str, channel: Channel | None = None) -> str:
    """Plain label; on audio the completion rate is the listen-through rate."""
    if name == "vcr" and channel is Channel.AUDIO:
        return "Listen-through rate"
    return METRIC_INFO[name][0]


def _has(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and bool(frame[column].notna().any())


def _counts(frame: pd.DataFrame, column: str) -> FloatArray:
    return np.asarray(frame[column].to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def beta_quantiles(
    jobs: Sequence[tuple[FloatArray, FloatArray, Sequence[float]]],
) -> list[list[FloatArray]]:
    """Exact Beta quantiles: for each ``(a, b, qs)`` job, ``[ppf(q, a, b) for q in qs]``
    (see :func:`start_beta_quantiles`)."""
    return start_beta_quantiles(jobs)()


def start_beta_quantiles(
    jobs: Sequence[tuple[FloatArray, FloatArray, Sequence[float]]],
) -> Callable[[], list[list[FloatArray]]]:
    """:func:`beta_quantiles`, running: returns at once a function that waits for the values.

    Exact Beta quantiles: for each ``(a, b, qs)`` job, ``[ppf(q, a, b) for q in qs]``.

    The credible intervals are the dominant cost of scoring (two inverse incomplete beta
    functions per site and rate, about 1 µs each), so three things keep them cheap without
    approximating anything:

    * ``scipy.special.betaincinv`` is the very Boost ``ibeta_inv`` that ``scipy.stats.beta.ppf``
      ends in, minus the ``rv_continuous`` argument checking — and importing ``scipy.special``
      does not drag ``scipy.stats`` (≈ 0.5 s) into every start-up of the CLI;
    * it is evaluated once per distinct ``(a, b)`` pair: many sites share their counts (small
      sites especially, e.g. 0 clicks on a few hundred impressions), and the quantile depends on
      nothing else;
    * the evaluations run on a thread pool: the ufunc releases the GIL, so the rates × tails
      spread over the cores, in slices of :data:`_SLICE` pairs (so one large job does too).

    The values are bit-for-bit those of ``beta.ppf`` (same function, same inputs).
    ``scipy.special`` (≈ 0.1 s) is imported here, at the first score, not when the CLI starts:
    reading a report must not wait for it.
    """
    from scipy import special

    # one task per job, quantile and slice of at most _SLICE pairs: a single large job (the
    # own-CTR interval's one tail) spreads over the cores too, and the last tasks are short
    tasks: list[tuple[tuple[int, int], float, FloatArray, FloatArray]] = []  # (job, which q)
    inverses: list[npt.NDArray[np.intp] | None] = []
    for k, (a, b, qs) in enumerate(jobs):
        inverse: npt.NDArray[np.intp] | None = None
        if a.size > _DEDUP_MIN_SIZE:
            codes, uniques = pd.factorize(a + 1j * b)
            if len(uniques) < 0.9 * a.size:  # not worth the gather otherwise
                inverse = np.asarray(codes, dtype=np.intp)
                a, b = np.asarray(uniques.real, dtype=np.float64), np.asarray(uniques.imag)
        inverses.append(inverse)
        starts = range(0, max(a.size, 1), _SLICE)
        tasks.extend(
            ((k, j), float(q), a[s : s + _SLICE], b[s : s + _SLICE])
            for j, q in enumerate(qs)
            for s in starts
        )

    def run(task: tuple[tuple[int, int], float, FloatArray, FloatArray]) -> FloatArray:
        _, q, a, b = task
        return np.asarray(special.betaincinv(a, b, q), dtype=np.float64)

    total = sum(t[2].size for t in tasks)
    workers = min(len(tasks), os.cpu_count() or 1)
    if workers > 1 and total >= _THREADS_MIN_SIZE:
        pool = ThreadPoolExecutor(max_workers=workers)
        futures = [pool.submit(run, task) for task in tasks]
        pool.shutdown(wait=False)  # the threads end with the last task

        def values() -> list[FloatArray]:
            return [future.result() for future in futures]
    else:
        done = [run(t) for t in tasks]

        def values() -> list[FloatArray]:
            return done

    def result() -> list[list[FloatArray]]:
        out: list[list[FloatArray]] = [[] for _ in jobs]
        slices: list[FloatArray] = []
        for i, (((k, j), _, _, _), v) in enumerate(zip(tasks, values(), strict=True)):
            slices.append(v)
            if i + 1 < len(tasks) and tasks[i + 1][0] == (k, j):
                continue  # the next slice of the same job and quantile follows
            whole = slices[0] if len(slices) == 1 else np.concatenate(slices)
            slices = []
            inverse = inverses[k]
            out[k].append(whole if inverse is None else whole[inverse])
        return out

    return result


#: Below these sizes de-duplicating or threading costs more than it saves.
_DEDUP_MIN_SIZE = 1_000
_THREADS_MIN_SIZE = 20_000
#: Pairs per task (:func:`start_beta_quantiles`): 100k sites' tail in 4 tasks (~25 ms each).
_SLICE = 25_000


def fit_beta_prior(x: FloatArray, n: FloatArray) -> BetaPrior:
    """Method of moments on the rows' rates, net of binomial noise, with guarded fallbacks.

    Rates are winsorised at 1 %/99 % before the moments so one extreme site cannot flatten the
    prior for everybody. The between-site variance is the observed variance minus the average
    binomial noise ``m(1−m)/n``; when that is not positive (all rates equal within noise) it is
    floored at 5 % of the observed variance instead of giving an infinitely strong prior.
    """
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
    x, n = np.clip(x[ok], 0.0, n[ok]), n[ok]
    big = n >= PRIOR_MIN_DENOMINATOR
    subsets: list[tuple[Literal["big_rows", "all_rows"], npt.NDArray[np.bool_]]] = [
        ("big_rows", big),
        ("all_rows", np.ones_like(big)),
    ]
    for method, mask in subsets:
        rows = int(mask.sum())
        if rows < (PRIOR_MIN_ROWS if method == "big_rows" else 3):
            continue
        p = x[mask] / n[mask]
        lo, hi = np.quantile(p, [0.01, 0.99])
        p = np.clip(p, lo, hi)
        m = float(p.mean())
        observed = float(p.var())
        if not 0.0 < m < 1.0 or observed <= 0.0:
            continue
        between = max(observed - float(np.mean(m * (1.0 - m) / n[mask])), 0.05 * observed)
        strength = min(max(m * (1.0 - m) / between - 1.0, WEAK_PRIOR_STRENGTH), MAX_PRIOR_STRENGTH)
        return BetaPrior(m * strength, (1.0 - m) * strength, method, rows)
    total_n = float(n.sum())
    pooled = float(x.sum()) / total_n if total_n > 0 else 0.5
    pooled = min(max(pooled, 1e-4), 1.0 - 1e-4)
    return BetaPrior(
        pooled * WEAK_PRIOR_STRENGTH, (1.0 - pooled) * WEAK_PRIOR_STRENGTH, "weak", int(ok.sum())
    )


def _denominator(frame: pd.DataFrame, spec: RateSpec) -> str | None:
    if _has(frame, spec.denominator) and float(np.nansum(_counts(frame, spec.denominator))) > 0:
        return spec.denominator
    if spec.fallback_denominator and _has(frame, spec.fallback_denominator):
        return spec.fallback_denominator
    return None


def logit_midpoint(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """A Beta posterior's median from its central interval, free: the midpoint of the
    interval's ends on the log-odds scale, where a Beta is close to symmetric (exact for a
    logit-normal). Centres the score's certainty (a skewed Beta's mean is not its middle);
    ``_med``, not a result column. A third ``betaincinv`` per rate and site cost a quarter of
    scoring 100k sites (bench/bench_certainty.py)."""
    from scipy import special  # at the first score, not at start-up (see beta_quantiles)

    eps = 1e-12
    a = np.clip(lo, eps, 1.0 - eps)
    b = np.clip(hi, eps, 1.0 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = (np.log(a / (1.0 - a)) + np.log(b / (1.0 - b))) / 2.0
    return np.asarray(special.expit(mid), dtype=np.float64)


def rate_inputs(frame: pd.DataFrame) -> dict[str, tuple[FloatArray, FloatArray]]:
    """name → (successes, trials) for every rate the file supports; NaN counts become 0/0."""
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    for spec in RATES:
        den = _denominator(frame, spec)
        if den is None or not _has(frame, spec.numerator):
            continue
        x, n = _counts(frame, spec.numerator), _counts(frame, den)
        missing = ~(np.isfinite(x) & np.isfinite(n))
        n = np.where(missing | (n < 0), 0.0, n)
        x = np.where(missing, 0.0, np.clip(x, 0.0, n))  # impossible counts are clipped
        out[spec.name] = (x, n)
    return out


def compute_metrics(
    frame: pd.DataFrame, *, credible_level: float = 0.90
) -> tuple[pd.DataFrame, dict[str, BetaPrior]]:
    """Raw, shrunk and credible-interval columns (``m``, ``m_shrunk``, ``m_lo``, ``m_hi``).

    Only metrics the file supports appear. A site with no evidence for a rate (0 trials) gets
    the prior mean and a wide interval, never 0.
    """
    metrics, priors, intervals = start_metrics(frame, credible_level=credible_level)
    intervals()
    return metrics, priors


def start_metrics(
    frame: pd.DataFrame, *, credible_level: float = 0.90
) -> tuple[pd.DataFrame, dict[str, BetaPrior], Callable[[], None]]:
    """:func:`compute_metrics` whose credible intervals (``m_lo``, ``m_hi``, ``m_med``) are
    still being computed on worker threads when it returns; NaN until ``intervals()`` waits
    for them and writes them into the frame.

    The intervals are half the CPU time of scoring 100k sites, and nothing before the red flags
    and the decision reads them: the caller normalises and weights meanwhile.
    """
    cols: dict[str, FloatArray] = {}
    priors: dict[str, BetaPrior] = {}
    tail = (1.0 - credible_level) / 2.0
    nan = np.full(len(frame), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        jobs: list[tuple[FloatArray, FloatArray, Sequence[float]]] = []
        for name, (x, n) in rate_inputs(frame).items():
            prior = fit_beta_prior(x, n)
            priors[name] = prior
            a, b = x + prior.alpha, n - x + prior.beta
            cols[name] = np.where(n > 0, x / n, np.nan)
            cols[f"{name}_shrunk"] = a / (a + b)
            cols[f"{name}_lo"] = cols[f"{name}_hi"] = nan  # placeholders keep the column order
            jobs.append((a, b, (tail, 1.0 - tail)))
        # every rate and tail at once, so they share the thread pool
        quantiles = start_beta_quantiles(jobs)
        for name in priors:
            cols[f"{name}_med"] = nan  # placeholder: the column order is the rates' order
        if _has(frame, "spend") and _has(frame, "impressions"):
            spend, imps = _counts(frame, "spend"), _counts(frame, "impressions")
            cpm = np.where(imps > 0, 1000.0 * spend / imps, np.nan)
            _money(cols, "cpm", cpm, cpm, nan)
            if "viewability" in priors:
                _money(
                    cols, "vcpm", cpm / cols["viewability"], cpm / cols["viewability_shrunk"], nan
                )
            if "cvr" in priors:
                conv = _counts(frame, "conversions")
                raw_cpa = np.where(conv > 0, spend / conv, np.nan)
                _money(cols, "cpa", raw_cpa, cpm / 1000.0 / cols["cvr_shrunk"], nan)
            if "vcr" in priors:
                raw_cpcv = cpm / 1000.0 / cols["vcr"]
                _money(cols, "cpcv", raw_cpcv, cpm / 1000.0 / cols["vcr_shrunk"], nan)
            if _has(frame, "revenue"):
                cols |= _roas(_counts(frame, "revenue"), spend, nan)
    for key, values in cols.items():
        cols[key] = np.where(np.isinf(values), np.nan, values)
    metrics = pd.DataFrame(cols, index=frame.index, dtype="float64")
    waiting = [True]

    def intervals() -> None:
        if not waiting:
            return
        waiting.clear()
        for name, (lo, hi) in zip(priors, quantiles(), strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                ends = {f"{name}_lo": lo, f"{name}_hi": hi, f"{name}_med": logit_midpoint(lo, hi)}
            for key, values in ends.items():
                metrics[key] = np.asarray(np.where(np.isinf(values), np.nan, values), np.float64)

    return metrics, priors, intervals


def _money(
    cols: dict[str, FloatArray], name: str, raw: FloatArray, shrunk: FloatArray, nan: FloatArray
) -> None:
    cols[name], cols[f"{name}_shrunk"], cols[f"{name}_lo"], cols[f"{name}_hi"] = (
        raw,
        shrunk,
        nan,
        nan,
    )


def _roas(revenue: FloatArray, spend: FloatArray, nan: FloatArray) -> dict[str, FloatArray]:
    """ROAS shrunk by credibility: ``(revenue + k·R) / (spend + k)``, k = median site spend.

    A site that spent $3 and happened to catch one $60 sale is not a 20× ROAS site; pulling it
    towards the campaign ROAS ``R`` by the weight of a typical site's spend keeps it honest while
    big spenders keep their own figure.
    """
    revenue = np.where(np.isfinite(revenue), revenue, 0.0)
    ok = np.isfinite(spend) & (spend > 0)
    raw = np.where(ok, revenue / np.where(ok, spend, 1.0), np.nan)
    total = float(spend[ok].sum()) if ok.any() else 0.0
    campaign = float(revenue[ok].sum()) / total if total > 0 else 0.0
    k = float(np.median(spend[ok])) if ok.any() else 1.0
    s = np.where(np.isfinite(spend), np.maximum(spend, 0.0), 0.0)
    shrunk = (revenue + k * campaign) / (s + k) if k > 0 else raw
    return {"roas": raw, "roas_shrunk": shrunk, "roas_lo": nan, "roas_hi": nan}


def available_metrics(metrics: pd.DataFrame) -> set[str]:
    """Metrics with at least one finite shrunk value (what a profile may use)."""
    return {
        m
        for m in ALL_METRICS
        if f"{m}_shrunk" in metrics.columns and bool(np.isfinite(metrics[f"{m}_shrunk"]).any())
    }
