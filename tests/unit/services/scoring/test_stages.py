"""Unit tests per stage: outliers, flags, normalize, weighting, score, explain, pipeline."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import DISPLAY, make_frame, table

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel, Goal, Platform
from caliber_desktop.services.progress import Cancelled, CancelToken
from caliber_desktop.services.scoring.certainty import Spread, decide, score_certainty
from caliber_desktop.services.scoring.explain import compare_runs, explain_site
from caliber_desktop.services.scoring.metrics import compute_metrics
from caliber_desktop.services.scoring.model import ScoringConfig
from caliber_desktop.services.scoring.normalize import normalize, percentile_rank
from caliber_desktop.services.scoring.outliers import clip_bounds, red_flags, treat_outliers
from caliber_desktop.services.scoring.pipeline import score_sites
from caliber_desktop.services.scoring.weighting import resolve_weights, select_profile


def test_winsorise_iqr_and_mad_fences() -> None:
    v = np.r_[np.arange(100.0), 10_000.0]
    _, hi_w = clip_bounds(v, "winsorize", 0.01)
    assert hi_w < 10_000
    assert clip_bounds(v, "none") == (-np.inf, np.inf)
    assert clip_bounds(v, "iqr")[1] < 10_000
    # MAD = 0 (most values equal) falls back to the mean absolute deviation.
    flat = np.r_[np.zeros(60), np.arange(1.0, 41.0)]
    _, hi = clip_bounds(flat, "mad")
    assert np.isfinite(hi)
    assert hi > 0
    out = treat_outliers(pd.DataFrame({"a": v}), "winsorize", 0.01)
    assert out["a"].max() == pytest.approx(hi_w)


def test_percentile_rank_mid_ranks_and_nan_is_neutral() -> None:
    r = percentile_rank(np.array([1.0, 2.0, 2.0, 3.0]))
    np.testing.assert_allclose(r, [0.0, 50.0, 50.0, 100.0])
    norm, const = normalize(
        pd.DataFrame({"cpm": [1.0, 2.0, np.nan], "c": [5.0, 5.0, 5.0]}),
        {"cpm": "lower", "c": "higher"},
    )
    np.testing.assert_allclose(norm["cpm"], [100.0, 0.0, 50.0])
    assert (norm["c"] == 50).all()
    assert "c" in const
    mm, _ = normalize(pd.DataFrame({"x": [0.0, 5.0, 10.0]}), {"x": "higher"}, "minmax")
    np.testing.assert_allclose(mm["x"], [0, 50, 100])


def test_flags_have_evidence() -> None:
    frame = make_frame(100)
    frame.loc["fraud.com", :] = frame.iloc[0]
    frame.loc["fraud.com", ["impressions", "clicks", "conversions"]] = [20_000.0, 600.0, 0.0]
    frame.loc["mfa.com", :] = frame.iloc[1]
    frame.loc["mfa.com", "refresh_lt15_imps"] = frame.loc["mfa.com", "impressions"] * 0.5
    frame.loc["bad.com", :] = frame.iloc[2]
    frame.loc["bad.com", "integrity"] = ("clicks > impressions (5 > 3)",)
    frame["integrity"] = [t if isinstance(t, tuple) else () for t in frame["integrity"]]
    mt, _ = compute_metrics(frame)
    codes, evidence = red_flags(frame, mt, Channel.DISPLAY)
    by_site = dict(zip(frame.index, zip(codes, evidence, strict=True), strict=True))
    assert "ctr_anomaly" in by_site["fraud.com"][0]
    assert "600 clicks" in by_site["fraud.com"][1][0]
    assert by_site["mfa.com"][0] == ("mfa_pattern",)
    assert "refresh" in by_site["mfa.com"][1][0]
    assert by_site["bad.com"][0] == ("integrity",)


def test_ctv_flags() -> None:
    frame = make_frame(50)
    frame["unique_ids"] = frame["impressions"] * 0.3
    frame.loc[frame.index[0], "unique_ids"] = frame.loc[frame.index[0], "impressions"] * 0.02
    mt, _ = compute_metrics(frame)
    codes, _ = red_flags(frame, mt, Channel.CTV)
    assert "low_uniques" in codes[0]
    assert any("ctv_clicks" in c for c in codes)  # display CTRs are far above 0.1 % for CTV


def test_profiles_missing_metric_dropped_and_renormalised() -> None:
    profile = select_profile(DISPLAY)
    used, dropped = resolve_weights(profile, {"viewability", "vcpm", "ctr"})
    assert sum(u.weight for u in used) == pytest.approx(1.0)
    assert {"ad_load_rate", "refresh_rate", "uid_ratio"} <= set(dropped)
    assert [u.name for u in used] == ["viewability", "vcpm", "ctr"]
    assert used[0].weight == pytest.approx(0.35 / 0.60)  # viewability .35 of .35 + .10 + .15


def test_roas_preferred_and_custom_weights() -> None:
    action = replace(DISPLAY, goal=Goal.ACTION)
    used, dropped = resolve_weights(select_profile(action), {"cvr", "cpa", "roas", "ctr"})
    assert "roas" in {u.name for u in used}
    assert "cpa" in dropped
    used, _ = resolve_weights(
        select_profile(DISPLAY), {"ctr", "cpm"}, custom_weights={"ctr": 3.0, "cpm": 1.0}
    )
    assert {u.name: u.weight for u in used} == {"ctr": 0.75, "cpm": 0.25}
    with pytest.raises(ValidationError, match="bogus"):
        resolve_weights(select_profile(DISPLAY), {"ctr"}, custom_weights={"bogus": 1.0})


def test_unsupported_combination_refused() -> None:
    cfg = ScoringConfig(platform=Platform.PULSEPOINT, channel=Channel.CTV, goal=Goal.AWARENESS)
    with pytest.raises(ValidationError, match="CTV channel"):
        score_sites(table(make_frame()), cfg)


def test_ctr_sensitive_profile_without_own_list_adds_ctr() -> None:
    cfg = ScoringConfig(
        platform=Platform.TRADE_DESK,
        channel=Channel.VIDEO,
        goal=Goal.AWARENESS,
        ctr_sensitivity=True,
    )
    profile = select_profile(cfg)
    assert sum(m.weight for m in profile.metrics) == pytest.approx(1.0)
    assert "ctr" in {m.name for m in profile.metrics}


def test_recommendation_rules() -> None:
    """allow / block on the probabilities; flags, volume and an unplaceable interval first."""
    score = np.array([90.0, 10.0, 10.0, 50.0, 90.0, 90.0, 50.0, 80.0])
    spread = {
        "m": Spread(
            centre=score,
            down=np.array([5, 5, 20, 5, 5, 5, 30, 5.0]),
            up=np.array([5, 5, 20, 5, 5, 5, 30, 5.0]),
        )
    }
    sure = score_certainty(score, spread, {"m": 1.0}, block_cut=25.0, allow_cut=75.0, level=0.9)
    rec, rule = decide(
        certainty=sure,
        impressions=np.array([5e3, 5e3, 5e3, 5e3, 100.0, 5e3, 5e3, 5e3]),
        min_impressions=250.0,
        flags=[(), (), (), (), (), ("ctr_anomaly",), (), ("low_uniques",)],
        hard=frozenset({"ctr_anomaly"}),
        confidence=0.9,
    )
    assert list(rec) == [
        "allow",  # p_allow = Φ(3) ≈ 0.999
        "block",  # p_block = Φ(3)
        "monitor",  # p_block = Φ(0.75) ≈ 0.77: not sure enough, interval 33 points wide
        "monitor",  # between the cuts, and sure of it
        "insufficient_data",  # below the minimum impressions
        "block",  # a hard red flag
        "insufficient_data",  # interval 0–99: the data cannot place it
        "monitor",  # a soft flag keeps it off the allow list
    ]
    assert list(rule[[0, 1, 4, 5, 6]]) == [
        "p_allow",
        "p_block",
        "below minimum impressions",
        "red_flag",
        "interval too wide to place the site",
    ]
    assert sure.p_allow[0] == pytest.approx(0.99865, abs=1e-5)
    assert sure.lo[1] == pytest.approx(10.0 - 5.0 * 1.6448536, abs=1e-6)


def test_pipeline_result_shape_explain_and_determinism() -> None:
    frame = make_frame(80)
    messages: list[str] = []
    result = score_sites(table(frame), DISPLAY, progress=lambda d, t, m: messages.append(m))
    assert len(messages) == 7
    sites = result.sites
    assert list(sites["score"]) == sorted(sites["score"], reverse=True)
    contrib = sites[[c for c in sites.columns if c.endswith("_contrib")]].sum(axis=1)
    np.testing.assert_allclose(contrib, sites["score"], rtol=0, atol=1e-9)
    for col in ("quality_status", "confidence", "recommendation", "flags", "top_drivers"):
        assert col in sites.columns
    assert "pts" in sites["top_drivers"].iloc[0]
    detail = explain_site(result, str(sites.index[0]))
    json.dumps(detail)
    json.dumps(result.summary)
    assert detail["contributions_sum"] == pytest.approx(detail["score"], abs=1e-9)
    again = score_sites(table(frame.sample(frac=1.0, random_state=3)), DISPLAY)
    pd.testing.assert_frame_equal(result.sites, again.sites)
    assert sum(result.summary["variance_shares"].values()) == pytest.approx(1.0)
    assert sum(result.summary["histogram"]["counts"]) == len(sites)
    diff = compare_runs(result, again)
    assert (diff["score_delta"] == 0).all()


def test_missing_metric_never_scored_as_zero() -> None:
    frame = make_frame(40).drop(columns=["ad_load_xl_imps", "refresh_lt15_imps"])
    result = score_sites(table(frame), DISPLAY)
    assert "ad_load_rate" in result.dropped_metrics
    assert result.sites["score"].max() > 60
    assert sum(u.weight for u in result.metrics) == pytest.approx(1.0)


def test_empty_table_and_cancel() -> None:
    frame = make_frame(5)
    frame["impressions"] = 0.0
    with pytest.raises(ValidationError, match="nothing to score"):
        score_sites(table(frame), DISPLAY)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        score_sites(table(make_frame(10)), DISPLAY, cancel=token)


def test_vectorised_formatting_matches_the_scalar_functions() -> None:
    from caliber_desktop.services.scoring.explain import (
        _points,
        _points_array,
        format_value,
        format_values,
    )

    bands = [1.23e-4, 9.99e-4, 1e-3, 3.4e-5, 1e-7, -2e-4]  # two significant digits below 1 %
    v = np.array(
        [0.0, 1e-4, 0.0099, 0.01, 0.0999, 0.1, 0.825, 12.5, -0.003, np.nan, np.inf, 1234.5, *bands]
    )
    for unit in ("percent", "money", "ratio"):
        assert format_values(v, unit).tolist() == [format_value(float(x), unit) for x in v]
    d = np.array([0.0, -0.0, 0.49, 0.5, -0.5, 2.5, -13.7, np.nan])
    assert _points_array(d).tolist() == [_points(float(x)) for x in d]


def test_small_rates_keep_two_significant_digits() -> None:
    """A conversion rate of 0.012 % beside a median of 0.010 % must not both read "0.01 %"
    next to "+25 pts" (as two decimals wrote them)."""
    from caliber_desktop.services.scoring.explain import format_value

    values = (0.25, 0.0321, 0.0015, 1.23e-4, 1.0e-4, 3.4e-5, 1e-7, 0.0)
    assert [format_value(v, "percent") for v in values] == [
        "25 %", "3.2 %", "0.15 %", "0.012 %", "0.010 %", "0.0034 %", "0.0000 %", "0.00 %"
    ]  # fmt: skip


def test_vectorised_formatting_matches_at_every_rounding_edge() -> None:
    """Texts formatted once per distinct rounded value are ``str.format``'s, ties included."""
    from caliber_desktop.services.scoring.explain import _format_all

    rng = np.random.default_rng(11)
    v = np.concatenate(
        [
            np.arange(0, 100, 0.0005),  # every tie of one and two decimals, and its neighbours
            np.arange(0, 4000) / 8,  # exact binary halves: round half to even
            10 ** rng.uniform(-5, 13, 20_000),  # grouping, and values past the fast path
            [0.0, -0.0, -0.3, -1.5, np.nan, np.inf, -np.inf, 2.675, 1.005, 999_999_999.995],
        ]
    )
    for fmt in ("{:.0f} %", "{:.1f} %", "{:.2f} %", "${:,.2f}", "{:.2f}×", "−{:.1f} pts"):
        assert _format_all(fmt, v).tolist() == [fmt.format(x) for x in v.tolist()], fmt


def test_intervals_computed_meanwhile_are_the_intervals() -> None:
    """start_metrics' intervals, filled in by worker threads, are compute_metrics' bit for bit."""
    from caliber_desktop.services.scoring.metrics import start_metrics

    frame = make_frame(30_000, seed=4)  # enough sites for the thread pool
    metrics, priors, intervals = start_metrics(frame)
    intervals()
    intervals()  # waiting twice is harmless
    expected, expected_priors = compute_metrics(frame)
    pd.testing.assert_frame_equal(metrics, expected, check_exact=True)
    assert priors == expected_priors


def test_equal_scores_are_in_site_id_order() -> None:
    """Sites with the very same counts tie on every value; the tie is broken by site id."""
    base = make_frame(60)
    twins = base.iloc[:20].copy()
    twins.index = pd.Index([f"a-twin{i:03d}.com" for i in range(20)], name="site_id")
    frame = pd.concat([base, twins])
    result = score_sites(table(frame.sample(frac=1.0, random_state=2)), DISPLAY)
    sites = result.sites
    for _, group in sites.groupby("score", sort=False):
        assert list(group.index) == sorted(group.index)
    assert sites["score"].duplicated().sum() >= 20


def test_percentile_rank_is_pandas_average_rank_bit_for_bit() -> None:
    rng = np.random.default_rng(5)
    for v in (
        np.round(rng.random(5_000), 2),  # many ties
        np.r_[np.zeros(300), -np.zeros(300), rng.random(300), np.nan, np.inf],
        rng.random(5_000),
    ):
        ok = np.isfinite(v)
        ranks = pd.Series(v[ok]).rank(method="average").to_numpy(dtype=np.float64)
        expected = np.full(v.shape, np.nan)
        expected[ok] = (ranks - 1.0) * (100.0 / (ok.sum() - 1))
        np.testing.assert_array_equal(percentile_rank(v), expected)
