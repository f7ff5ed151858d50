"""Derived metrics and empirical-Bayes shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import make_frame

from caliber_desktop.services.scoring.metrics import (
    available_metrics,
    compute_metrics,
    fit_beta_prior,
)


def test_rates_come_from_sums_and_are_shrunk_towards_the_campaign() -> None:
    frame = make_frame()
    mt, priors = compute_metrics(frame)
    np.testing.assert_allclose(mt["ctr"], frame["clicks"] / frame["impressions"])
    np.testing.assert_allclose(mt["viewability"], frame["viewed_imps"] / frame["tracked_imps"])
    np.testing.assert_allclose(mt["cpm"], 1000 * frame["spend"] / frame["impressions"])
    np.testing.assert_allclose(mt["vcpm_shrunk"], mt["cpm"] / mt["viewability_shrunk"])
    prior = priors["ctr"]
    # Posterior mean lies between the raw rate and the prior mean.
    lo = np.minimum(mt["ctr"], prior.mean)
    hi = np.maximum(mt["ctr"], prior.mean)
    assert ((mt["ctr_shrunk"] >= lo - 1e-15) & (mt["ctr_shrunk"] <= hi + 1e-15)).all()
    assert (mt["ctr_lo"] <= mt["ctr_shrunk"]).all()
    assert (mt["ctr_shrunk"] <= mt["ctr_hi"]).all()


def test_zero_conversions_give_a_large_finite_cpa() -> None:
    frame = make_frame()
    frame.loc[frame.index[0], "conversions"] = 0.0
    mt, _ = compute_metrics(frame)
    cpa = mt.loc[frame.index[0], "cpa_shrunk"]
    assert np.isfinite(cpa)
    assert cpa > 0
    assert np.isnan(mt.loc[frame.index[0], "cpa"])  # raw stays honest


def test_missing_metric_is_not_available_and_missing_site_gets_the_prior() -> None:
    frame = make_frame().drop(columns=["refresh_lt15_imps"])
    frame.loc[frame.index[0], ["viewed_imps", "tracked_imps"]] = np.nan
    mt, priors = compute_metrics(frame)
    assert "refresh_rate" not in available_metrics(mt)
    assert mt.loc[frame.index[0], "viewability_shrunk"] == pytest.approx(priors["viewability"].mean)
    assert np.isnan(mt.loc[frame.index[0], "viewability"])


def test_prior_falls_back_to_all_rows_then_weak() -> None:
    x, n = np.array([1.0, 2, 3, 5]), np.array([100.0, 100, 200, 300])
    assert fit_beta_prior(x, n).method == "all_rows"
    weak = fit_beta_prior(np.array([1.0]), np.array([10.0]))
    assert weak.method == "weak"
    assert weak.alpha + weak.beta == pytest.approx(2.0)
    # Identical rates (no observed spread): weak prior on the pooled rate, never a crash.
    same = fit_beta_prior(np.full(30, 10.0), np.full(30, 5_000.0))
    assert same.mean == pytest.approx(0.002)


def test_degenerate_variance_is_guarded() -> None:
    rng = np.random.default_rng(1)
    n = np.full(50, 10_000.0)
    x = rng.binomial(10_000, 0.01, 50).astype(float)  # spread is pure binomial noise
    prior = fit_beta_prior(x, n)
    assert prior.method == "big_rows"
    assert np.isfinite(prior.alpha)
    assert prior.alpha + prior.beta <= 1e6


def test_tiny_noisy_site_does_not_beat_big_site_on_shrunk_ctr_with_a_strong_prior() -> None:
    frame = make_frame(200)
    frame.loc["tiny.com"] = frame.iloc[0]
    frame.loc["tiny.com", ["impressions", "clicks", "conversions"]] = [300.0, 3.0, 0.0]
    mt, _ = compute_metrics(frame.drop(columns="integrity").assign(integrity=[()] * len(frame)))
    # 3/300 raw CTR is the highest, but shrinkage keeps it near the campaign.
    assert mt.loc["tiny.com", "ctr"] == mt["ctr"].max()
    assert mt.loc["tiny.com", "ctr_shrunk"] < mt["ctr_shrunk"].max()


def test_roas_is_credibility_shrunk() -> None:
    frame = make_frame()
    frame["revenue"] = frame["spend"] * 2.0
    frame.loc[frame.index[0], ["spend", "revenue"]] = [1.0, 60.0]
    mt, _ = compute_metrics(frame)
    assert mt.loc[frame.index[0], "roas"] == pytest.approx(60.0)
    assert mt.loc[frame.index[0], "roas_shrunk"] < 60.0
    assert isinstance(mt, pd.DataFrame)


def test_beta_quantiles_match_scipy_ppf_with_repeated_counts() -> None:
    from scipy.stats import beta as beta_dist

    from caliber_desktop.services.scoring.metrics import beta_quantiles

    rng = np.random.default_rng(7)
    n = rng.integers(0, 300, 30_000).astype(float)  # many repeated (x, n): the de-dup path
    x = np.floor(n * rng.uniform(0, 0.1, n.size))
    a, b = x + 0.7, n - x + 40.0
    (lo, hi), (single,) = beta_quantiles([(a, b, (0.05, 0.95)), (a[:10], b[:10], (0.5,))])
    np.testing.assert_array_equal(lo, beta_dist.ppf(0.05, a, b))
    np.testing.assert_array_equal(hi, beta_dist.ppf(0.95, a, b))
    np.testing.assert_array_equal(single, beta_dist.ppf(0.5, a[:10], b[:10]))


def test_beta_quantiles_in_slices_come_back_whole_and_in_order() -> None:
    """A job larger than a slice is cut into tasks for the threads: each quantile comes back
    whole, in its sites' order, also when a job asks for the same quantile twice, beside an
    empty job and one without quantiles."""
    from scipy import special

    from caliber_desktop.services.scoring import metrics

    rng = np.random.default_rng(11)
    size = 2 * metrics._SLICE + 123  # three slices, the last one short
    a, b = rng.uniform(0.5, 50.0, size), rng.uniform(10.0, 5_000.0, size)  # all distinct
    empty = np.array([], dtype=np.float64)
    out = metrics.beta_quantiles([(a, b, (0.05, 0.05, 0.9)), (empty, empty, (0.5,)), (a, b, ())])
    (lo, again, hi), (nothing,), none = out
    np.testing.assert_array_equal(lo, special.betaincinv(a, b, 0.05))
    np.testing.assert_array_equal(again, lo)
    np.testing.assert_array_equal(hi, special.betaincinv(a, b, 0.9))
    assert nothing.size == 0
    assert none == []
