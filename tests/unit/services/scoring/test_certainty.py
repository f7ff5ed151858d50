"""Every recommendation carries its own certainty (docs/scoring.md §6).

The closed form of :mod:`caliber_desktop.services.scoring.certainty` is checked against a slow
Monte-Carlo reference that draws every Beta posterior and re-runs the run's map; the decision
rules and the properties of §8 are checked on generated campaigns; small campaigns keep their
explanations arithmetically honest.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scoring_helpers import DISPLAY, make_frame, table
from support.mc_reference import monte_carlo

from caliber_desktop.models.enums import Goal
from caliber_desktop.services.scoring.explain import decision_reasons
from caliber_desktop.services.scoring.model import ScoreResult, SiteTable
from caliber_desktop.services.scoring.normalize import MIN_RANKED_SITES
from caliber_desktop.services.scoring.pipeline import score_sites


def varied_frame(n: int, seed: int, low: float = 300.0, high: float = 20_000.0) -> pd.DataFrame:
    """Display sites from a few hundred to tens of thousands of impressions: wide and narrow
    posteriors side by side, with conversions for the action profile."""
    frame = make_frame(n, seed)
    rng = np.random.default_rng(seed + 1)
    imps = np.round(np.exp(rng.uniform(np.log(low), np.log(high), n)))
    scale = imps / frame["impressions"].to_numpy()
    for column in ("clicks", "conversions", "tracked_imps", "viewed_imps", "ad_load_xl_imps",
                   "refresh_lt15_imps"):  # fmt: skip
        frame[column] = np.round(frame[column].to_numpy() * scale)
    frame["impressions"] = imps
    frame["spend"] = np.round(frame["spend"].to_numpy() * scale, 2)
    return frame


def scored(frame: pd.DataFrame, **changes: object) -> tuple[ScoreResult, SiteTable]:
    tab = table(frame)
    return score_sites(tab, replace(DISPLAY, **changes)), tab  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- vs Monte Carlo


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_closed_form_matches_monte_carlo_on_well_evidenced_sites(seed: int) -> None:
    """Sites of 5,000–200,000 impressions: each posterior is narrow against the campaign's
    spread, the map nearly linear over it, and the closed form is the Monte Carlo's."""
    result, tab = scored(varied_frame(120, seed, 5_000.0, 200_000.0))
    mc = monte_carlo(result, tab, draws=6000, seed=seed)
    sites = result.sites
    for column in ("p_block", "p_allow"):
        gap = (sites[column] - mc[column]).abs()
        assert gap.mean() < 0.01, column
        assert gap.max() < 0.2, column
        agree = (sites[column] >= 0.9) == (mc[column] >= 0.9)
        assert agree.mean() >= 0.98, column
    for column in ("score_lo", "score_hi"):
        gap = (sites[column] - mc[column]).abs()
        assert gap.mean() < 0.5, column
        assert gap.max() < 2.0, column


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_sites_take_the_monte_carlos_decisions(seed: int) -> None:
    """Down to 300 impressions a site's posterior can be wider than the whole campaign's spread
    of that metric; pushed through the percentile map it is no longer bell-shaped (a CTR on one
    click ranks anywhere from 0 to 100) and the two-piece normal is an approximation: its
    probabilities stray from the Monte Carlo's (by 0.04 on average here) but the decisions a
    list takes agree on nearly every site — and judged against planted truth the closed form's
    lists are as precise (README, "How sure a recommendation is")."""
    result, tab = scored(varied_frame(120, seed))
    mc = monte_carlo(result, tab, draws=6000, seed=seed)
    sites = result.sites
    for column in ("p_block", "p_allow"):
        assert (sites[column] - mc[column]).abs().mean() < 0.06, column
        agree = (sites[column] >= 0.9) == (mc[column] >= 0.9)
        assert agree.mean() >= 0.95, column
    for column in ("score_lo", "score_hi"):
        assert (sites[column] - mc[column]).abs().mean() < 1.5, column


def test_thin_conversions_still_match_in_their_decisions() -> None:
    """An action campaign: conversions 0–3 a site make CVR's posterior skewed and its map
    steep; the closed form is approximate there but takes the same decisions nearly always."""
    result, tab = scored(varied_frame(150, 7, 250.0, 8_000.0), goal=Goal.ACTION)
    mc = monte_carlo(result, tab, draws=6000, seed=7)
    sites = result.sites
    for column in ("p_block", "p_allow"):
        agree = (sites[column] >= 0.9) == (mc[column] >= 0.9)
        assert agree.mean() >= 0.95, column
        assert (sites[column] - mc[column]).abs().mean() < 0.2, column


def test_certainty_is_deterministic_and_stored_with_every_site() -> None:
    frame = varied_frame(80, 3)
    first, _ = scored(frame)
    again, _ = scored(frame.sample(frac=1.0, random_state=9))
    columns = ["score_lo", "score_hi", "p_block", "p_allow", "decision_rule"]
    pd.testing.assert_frame_equal(first.sites[columns], again.sites[columns])
    pd.testing.assert_series_equal(decision_reasons(first), decision_reasons(again))
    sites = first.sites
    assert ((sites["score_lo"] <= sites["score"] + 1e-9) | (sites["score_hi"] >= 99.9)).all()
    assert (sites["score_lo"] <= sites["score_hi"]).all()
    assert sites["p_block"].between(0, 1).all()
    assert (sites["p_block"] + sites["p_allow"] <= 1 + 1e-9).all()


# ----------------------------------------------------------------------------- decisions


def test_a_decision_follows_its_probability_and_names_its_rule() -> None:
    result, _ = scored(varied_frame(150, 4))
    sites = result.sites
    enough = sites["impressions"] >= result.config.min_impressions
    blocked = sites[sites["decision_rule"] == "p_block"]
    allowed = sites[sites["decision_rule"] == "p_allow"]
    assert len(blocked) > 0
    assert len(allowed) > 0
    assert (blocked["p_block"] >= 0.9).all()
    assert (allowed["p_allow"] >= 0.9).all()
    assert allowed["flags"].map(len).eq(0).all()
    undecided = sites[enough & (sites["recommendation"] == "monitor")]
    assert (undecided[["p_block", "p_allow"]].max(axis=1) < 0.9).all()
    wide = sites[sites["decision_rule"] == "interval too wide to place the site"]
    assert ((wide["score_hi"] - wide["score_lo"]) > 50).all()
    reasons = decision_reasons(result)
    assert reasons[blocked.index].str.startswith("Blocked: ").all()
    assert reasons[allowed.index].str.contains(r"sure the score is at or above").all()
    assert (reasons != "").all()
    # each sentence sits on its own site's row, whichever rule's pass wrote it
    for rule in sites["decision_rule"].unique():
        site = sites.index[sites["decision_rule"] == rule][-1]
        alone = decision_reasons(result, sites.loc[[site]])
        assert alone.index.tolist() == [site]
        assert alone.iloc[0] == reasons[site]
    # text as pandas keeps it, never 100k Python strings; a rule with no sentence reads ""
    assert reasons.dtype == "str"
    odd = sites.assign(decision_rule=sites["decision_rule"].where(~enough, "a rule from elsewhere"))
    unknown = decision_reasons(result, odd)
    assert (unknown[enough] == "").all()
    assert unknown[~enough].str.startswith("Insufficient data: ").all()
    # a run stored before certainty has no rule: "" of the same type, for the table and export
    before = replace(result, summary={k: v for k, v in result.summary.items() if k != "decision"})
    blank = decision_reasons(before)
    assert blank.dtype == reasons.dtype
    assert (blank == "").all()
    assert blank.index.equals(reasons.index)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), low=st.floats(0.55, 0.85), step=st.floats(0.02, 0.14))
def test_raising_the_confidence_never_adds_a_site_to_a_list(
    seed: int, low: float, step: float
) -> None:
    frame = varied_frame(60, seed)
    looser, _ = scored(frame, decision_confidence=low)
    stricter, _ = scored(frame, decision_confidence=min(low + step, 0.99))
    for name in ("allow", "block"):
        before = set(looser.sites.index[looser.sites["recommendation"] == name])
        after = set(stricter.sites.index[stricter.sites["recommendation"] == name])
        assert after <= before, name


def headed_for(frame: pd.DataFrame, site: str, good: bool, strength: float) -> pd.DataFrame:
    """``site`` with every rate ``strength`` times better (or worse) than the campaign median
    in its metric's direction: viewability and CTR up, ad load and refresh down (or the
    reverse), on a few hundred impressions so its evidence is thin."""
    out = frame.copy()
    imps = 400.0
    rates = {
        column: float(np.median(frame[column] / frame[base]))
        for column, base in (
            ("clicks", "impressions"),
            ("viewed_imps", "tracked_imps"),
            ("ad_load_xl_imps", "impressions"),
            ("refresh_lt15_imps", "impressions"),
        )
    }
    up, down = (strength, 1.0 / strength) if good else (1.0 / strength, strength)
    out.loc[site, "impressions"] = imps
    out.loc[site, "tracked_imps"] = imps * 0.9
    out.loc[site, "clicks"] = round(imps * rates["clicks"] * up)
    out.loc[site, "viewed_imps"] = round(min(imps * 0.9 * rates["viewed_imps"] * up, imps * 0.9))
    out.loc[site, "ad_load_xl_imps"] = round(imps * rates["ad_load_xl_imps"] * down)
    out.loc[site, "refresh_lt15_imps"] = round(imps * rates["refresh_lt15_imps"] * down)
    out.loc[site, "spend"] = float(np.median(frame["spend"] / frame["impressions"])) * imps
    out.loc[site, "conversions"] = 0.0
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    good=st.booleans(),
    strength=st.floats(1.5, 3.0),
    factor=st.sampled_from([2, 4, 10]),
)
def test_more_impressions_at_the_same_rates_never_make_a_site_less_sure(
    seed: int, good: bool, strength: float, factor: int
) -> None:
    """A site whose every metric points one way (all better than the campaign median, or all
    worse): with more impressions at the same rates its score interval narrows and it is never
    less sure of its list — ``max(p_block, p_allow)`` does not fall.

    The property does not hold for every site, and should not: with more impressions the
    shrinkage lets go of the site's rates, so a site blocked on a weak score whose CTR was
    excellent but shrunk to average *is* less surely bad once its CTR is believed (hypothesis
    found such a site: p_block 0.84 → 0.77). Nor for a site between the cuts, which becomes
    surer of being on neither list."""
    frame = varied_frame(150, seed, 2_000.0, 20_000.0)
    site = frame.index[0]
    thin = headed_for(frame, site, good, strength)
    rich = thin.copy()
    counts = [c for c in rich.columns if c not in ("kind", "display_name", "n_rows", "integrity")]
    rich.loc[site, counts] = rich.loc[site, counts] * factor
    before, _ = scored(thin)
    after, _ = scored(rich)
    a, b = before.sites.loc[site], after.sites.loc[site]
    assert b["score_hi"] - b["score_lo"] <= a["score_hi"] - a["score_lo"] + 0.5
    sure = "p_allow" if good else "p_block"
    assume(a[sure] >= 0.5)  # its score's median is on that list's side of the cut
    assert b[sure] >= a[sure] - 0.01
    assert max(b["p_block"], b["p_allow"]) >= max(a["p_block"], a["p_allow"]) - 0.01


# ----------------------------------------------------------------------------- small campaigns


@pytest.mark.parametrize("n", [1, 2, 5, 20])
def test_small_campaigns_are_not_spread_over_0_to_100(n: int) -> None:
    assert n < MIN_RANKED_SITES
    frame = make_frame(n, seed=11)
    result, _ = scored(frame)
    sites = result.sites
    (issue,) = [i for i in result.quality.issues if i.code == "small_campaign"]
    assert "too few to rank reliably" in issue.message
    assert result.summary["scale"]["method"] == "robust"
    contributions = sites[[f"{u.name}_contrib" for u in result.metrics]].sum(axis=1)
    np.testing.assert_allclose(contributions, sites["score"], atol=1e-9)
    if n == 1:
        assert sites["score"].iloc[0] == pytest.approx(50.0)
    ruled = sites["ctr_unrewarded"].to_numpy(bool)  # a stated rule sets those CTRs' points
    for use in result.metrics:  # points vs the median site have the sign of the difference
        value = sites[f"{use.name}_shrunk"].to_numpy()
        points = sites[f"{use.name}_contrib"].to_numpy() - use.weight * use.median_norm
        sign = np.sign(value - use.median) * (1 if use.direction == "higher" else -1)
        right = (np.sign(np.round(points, 9)) == sign) | (np.abs(points) < 1e-9)
        if use.name == "ctr":
            right |= ruled
        assert right.all(), use.name
    assert "(−50 pts)" not in " ".join(sites["top_drivers"])


def test_near_identical_small_sites_score_near_each_other() -> None:
    """Five sites whose rates differ by a few percent: percentile ranks would give them
    0/25/50/75/100; the robust scale keeps them within a few points of the median site."""
    frame = make_frame(5, seed=2)
    base = frame.iloc[0]
    for i, site in enumerate(frame.index):
        wobble = 1.0 + 0.02 * (i - 2)
        frame.loc[site, "impressions"] = 100_000
        frame.loc[site, "tracked_imps"] = 90_000
        frame.loc[site, "viewed_imps"] = round(60_000 * wobble)
        frame.loc[site, "clicks"] = round(200 * wobble)
        frame.loc[site, "spend"] = round(300 * wobble, 2)
        for column in ("ad_load_xl_imps", "refresh_lt15_imps", "conversions"):
            frame.loc[site, column] = base[column] * 100_000 / base["impressions"]
    result, _ = scored(frame)
    scores = result.sites["score"]
    assert scores.max() - scores.min() < 15
    assert (scores - 50).abs().max() < 8


# ----------------------------------------------------------------------------- explanations


def test_a_site_blocked_by_a_red_flag_is_explained_by_the_flag_first() -> None:
    frame = varied_frame(120, 5, 3_000.0, 30_000.0)
    fraud = frame.index[0]  # clicks at 15× the campaign's CTR, no conversions
    frame.loc[fraud, "clicks"] = round(frame.loc[fraud, "impressions"] * 0.03)
    frame.loc[fraud, "conversions"] = 0
    result, _ = scored(frame)
    row = result.sites.loc[fraud]
    assert row["recommendation"] == "block"
    assert row["decision_rule"] == "red_flag"
    assert row["top_drivers"].startswith("Blocked by a red flag: CTR ")
    assert "— click-fraud pattern." in row["top_drivers"]
    assert "no conversions" in row["top_drivers"]
    assert decision_reasons(result)[fraud] == "Blocked by a red flag: CTR anomaly."
    # its CTR is far above the median, yet it scores as the worst: the sentence says why
    assert bool(row["ctr_unrewarded"])
    assert "an abnormally high CTR is never rewarded" in row["top_drivers"] or (
        "CTR" not in row["top_drivers"].split("Score: ")[1]
    )


def test_points_never_fall_for_a_better_than_median_value_without_a_stated_rule() -> None:
    result, _ = scored(varied_frame(150, 6))
    sites = result.sites
    for use in result.metrics:
        value = sites[f"{use.name}_shrunk"].to_numpy()
        points = sites[f"{use.name}_contrib"].to_numpy() - use.weight * use.median_norm
        better = (value > use.median) if use.direction == "higher" else (value < use.median)
        wrong = better & (points < -1e-9)
        if use.name == "ctr":
            wrong &= ~sites["ctr_unrewarded"].to_numpy(bool)  # the stated rule
        assert not wrong.any(), use.name
