"""Metamorphic properties of the scoring (scoring.md §8) on generated SiteTables."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_helpers import DISPLAY, make_frame, table

from caliber_desktop.services.scoring.pipeline import score_sites

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=10_000)
sizes = st.integers(min_value=20, max_value=120)


def _scores(frame: pd.DataFrame, config=DISPLAY) -> pd.Series:  # type: ignore[no-untyped-def]
    return score_sites(table(frame), config).sites["score"].sort_index()


@SETTINGS
@given(seed=seeds, n=sizes, perm=seeds)
def test_permuting_sites_changes_nothing(seed: int, n: int, perm: int) -> None:
    frame = make_frame(n, seed)
    a = score_sites(table(frame), DISPLAY).sites
    b = score_sites(table(frame.sample(frac=1.0, random_state=perm)), DISPLAY).sites
    pd.testing.assert_frame_equal(a, b)


@SETTINGS
@given(seed=seeds, n=sizes, factor=st.sampled_from([0.5, 2.0, 4.0, 0.25, 1024.0]))
def test_currency_changes_no_score(seed: int, n: int, factor: float) -> None:
    frame = make_frame(n, seed)
    scaled = frame.copy()
    scaled["spend"] = scaled["spend"] * factor
    np.testing.assert_allclose(_scores(frame), _scores(scaled), rtol=0, atol=1e-9)


@SETTINGS
@given(seed=seeds, n=sizes, pick=st.integers(0, 10_000), gain=st.floats(0.01, 0.5))
def test_improving_viewability_never_lowers_the_score(
    seed: int, n: int, pick: int, gain: float
) -> None:
    frame = make_frame(n, seed)
    site = frame.index[pick % n]
    before = _scores(frame)[site]
    better = frame.copy()
    room = better.loc[site, "tracked_imps"] - better.loc[site, "viewed_imps"]
    better.loc[site, "viewed_imps"] += np.floor(room * gain)
    assert _scores(better)[site] >= before - 1e-9


@SETTINGS
@given(seed=seeds, n=st.integers(40, 120), ctr=st.floats(0.05, 0.5), big=st.booleans())
def test_one_extreme_site_moves_the_others_by_at_most_its_rank(
    seed: int, n: int, ctr: float, big: bool
) -> None:
    frame = make_frame(n, seed)
    base = score_sites(table(frame), DISPLAY).sites.sort_index()
    extreme = frame.iloc[[0]].copy()
    extreme.index = pd.Index(["zzz-extreme.com"], name="site_id")
    imps = 5e6 if big else 2_000.0
    extreme.loc[:, ["impressions", "clicks", "conversions", "spend"]] = [imps, imps * ctr, 0, 1e5]
    extreme.loc[:, "tracked_imps"] = imps
    extreme.loc[:, "viewed_imps"] = imps
    res = score_sites(table(pd.concat([frame, extreme])), DISPLAY).sites
    after = res.drop("zzz-extreme.com").sort_index()
    # A site whose CTR crosses the "credibly abnormal, not rewarded" line when the prior is
    # refitted jumps by the CTR weight by design; every other site moves by one rank slot per
    # metric (100/(n-1) points at most) plus the refitted CTR prior's shift, which moves a
    # site's normalised CTR by up to ~20 points, times the CTR weight (.167 once the display
    # report's missing unique-ID metric is renormalised away): 3 slots + 3.5 pts. Min–max
    # would have moved them all by tens of points.
    steady = (after["ctr_norm"] - base["ctr_norm"]).abs() < 50
    moved = (after["score"] - base["score"]).abs()[steady]
    assert float(moved.max()) <= 3 * 100.0 / (n - 1) + 3.5
    assert int((~steady).sum()) <= 1
    # So the order of the others survives: only near-ties (within those points) can swap.
    assert float(base["score"].corr(after["score"], method="spearman")) >= 0.95


@SETTINGS
@given(
    seed=seeds, n=sizes, sensitive=st.booleans(), method=st.sampled_from(["percentile", "minmax"])
)
def test_contributions_sum_to_the_score(seed: int, n: int, sensitive: bool, method: str) -> None:
    config = replace(DISPLAY, ctr_sensitivity=sensitive, normalization=method)  # type: ignore[arg-type]
    sites = score_sites(table(make_frame(n, seed)), config).sites
    contrib = sites[[c for c in sites.columns if c.endswith("_contrib")]].sum(axis=1)
    np.testing.assert_allclose(contrib, sites["score"], rtol=0, atol=1e-9)


@SETTINGS
@given(seed=seeds, n=st.integers(60, 150))
def test_tiny_noisy_site_does_not_outrank_big_site_on_ctr(seed: int, n: int) -> None:
    frame = make_frame(n, seed)
    for name, imps, clicks in (("tiny.com", 300.0, 30.0), ("big.com", 300_000.0, 600.0)):
        row = frame.iloc[[0]].copy()
        row.index = pd.Index([name], name="site_id")
        row.loc[:, ["impressions", "clicks", "conversions"]] = [imps, clicks, 0.0]
        row.loc[:, ["tracked_imps", "viewed_imps"]] = [imps * 0.9, imps * 0.54]
        row.loc[:, ["ad_load_xl_imps", "refresh_lt15_imps"]] = [imps * 0.05, imps * 0.04]
        row.loc[:, "spend"] = imps * 3.0 / 1000
        frame = pd.concat([frame, row])
    sites = score_sites(table(frame), DISPLAY).sites
    tiny, big = sites.loc["tiny.com"], sites.loc["big.com"]
    assert tiny["ctr_norm"] <= big["ctr_norm"]
    assert tiny["ctr_contrib"] <= big["ctr_contrib"]
    assert tiny["ctr_norm"] == sites["ctr_norm"].min()  # credibly abnormal: not rewarded
    sensitive = score_sites(table(frame), replace(DISPLAY, ctr_sensitivity=True)).sites
    assert sensitive.loc["tiny.com", "recommendation"] != "allow"
