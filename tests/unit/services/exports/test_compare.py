"""Comparing two runs: per-site score changes split into per-metric changes that add up, new and
removed sites, list moves, changed weights; only the user's own, completed runs of one campaign."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.errors import NotFoundError, ValidationError
from caliber_desktop.models import labels
from caliber_desktop.services.exports.compare import compare, latest_two
from caliber_desktop.services.records import UserRef
from caliber_desktop.services.workspace import Workspace

SETTINGS = TTD_DISPLAY_AWARENESS


def part_of(source: Path, folder: Path, rows: slice) -> Path:
    with source.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    path = folder / f"part_{rows.start}_{rows.stop}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([lines[0], *lines[1:][rows]])
    return path


@pytest.fixture
def two_runs(
    workspace: Workspace, shared_data: Path, tmp_path: Path
) -> tuple[Workspace, int, int, int]:
    """Run 1 on the first 12k rows; run 2 on rows 4k–20k with CTR sensitivity turned on."""
    source = shared_data / "ttd_display_awareness_sample.csv"
    campaign = workspace.campaigns.create("Compare", settings=SETTINGS)
    workspace.uploads.attach(campaign.id, part_of(source, tmp_path, slice(0, 12_000)))
    first = workspace.runs.score_campaign(campaign.id)
    workspace.campaigns.update(campaign.id, settings={"ctr_sensitivity": True})
    workspace.uploads.attach(campaign.id, part_of(source, tmp_path, slice(4_000, 20_000)))
    second = workspace.runs.score_campaign(campaign.id)
    return workspace, campaign.id, first.id, second.id


def test_contribution_changes_add_up_to_the_score_change(
    two_runs: tuple[Workspace, int, int, int],
) -> None:
    ws, cid, old, new = two_runs
    result = compare(ws, cid, old, new)
    assert result.sites.index.is_unique
    assert len(result.sites) > 1000
    parts = result.sites[result.delta_columns()].sum(axis=1).to_numpy()
    np.testing.assert_allclose(parts, result.sites["score_delta"].to_numpy(), atol=1e-6)
    np.testing.assert_allclose(
        result.sites["score_new"] - result.sites["score_old"], result.sites["score_delta"]
    )
    moves = result.sites["score_delta"].abs().to_numpy()
    assert (np.diff(moves) <= 1e-12).all(), "biggest movers first"
    assert "ctr" in result.weight_changes  # CTR sensitivity re-weights CTR
    old_w, new_w = result.weight_changes["ctr"]
    assert new_w > old_w
    assert result.summary.startswith(f"Run {old} → run {new}")


def test_new_and_removed_sites_and_list_changes(
    two_runs: tuple[Workspace, int, int, int],
) -> None:
    ws, cid, old, new = two_runs
    before, after = ws.runs.site_frame(old), ws.runs.site_frame(new)
    result = compare(ws, cid, old, new)
    assert set(result.new_sites["site_id"]) == set(after.index.difference(before.index))
    assert set(result.removed_sites["site_id"]) == set(before.index.difference(after.index))
    assert set(result.sites.index) == set(before.index.intersection(after.index))
    changed = result.list_changes
    assert (changed["list_old"] != changed["list_new"]).all()
    for name, counts in result.list_counts.items():
        old_lists = ws.runs.lists(cid, old).sites["list_action"]
        new_lists = ws.runs.lists(cid, new).sites["list_action"]
        assert counts["old"] == int((old_lists == name).sum())
        assert counts["new"] == int((new_lists == name).sum())
        assert counts["new"] - counts["old"] == counts["entered"] - counts["left"]
    payload = result.as_json(limit=5)
    assert len(payload["sites"]) == 5
    assert payload["sites_compared"] == len(result.sites)


def test_pins_apply_to_both_sides(two_runs: tuple[Workspace, int, int, int]) -> None:
    ws, cid, old, new = two_runs
    site = str(compare(ws, cid, old, new).sites.index[0])
    ws.runs.pin(cid, site, "block", "")
    result = compare(ws, cid, old, new)
    assert tuple(result.sites.loc[site, ["list_old", "list_new"]]) == ("block", "block")


def test_defaults_and_refusals(
    two_runs: tuple[Workspace, int, int, int],
    add_user: Callable[[Workspace, str, str], UserRef],
) -> None:
    ws, cid, old, new = two_runs
    assert latest_two(ws, cid) == (old, new)
    with pytest.raises(ValidationError):
        compare(ws, cid, new, new)
    other = ws.campaigns.create("Other", settings=SETTINGS)
    with pytest.raises(NotFoundError):
        compare(ws, other.id, old, new)  # runs of another campaign
    with pytest.raises(ValidationError) as few:
        latest_two(ws, other.id)
    assert few.value.field == "run"
    ws.bind(add_user(ws, "uid-2", "b@example.com"))
    with pytest.raises(NotFoundError):
        compare(ws, cid, old, new)


def test_a_list_move_names_the_probabilities_before_and_after(
    workspace: Workspace, shared_data: Path
) -> None:
    """Same report, the campaign's decision confidence lowered from 0.95 to 0.80: sites join
    the lists, each move saying how sure the run was before and after."""
    campaign = workspace.campaigns.create("Confidence", settings=SETTINGS, decision_confidence=0.95)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    strict = workspace.runs.score_campaign(campaign.id)
    loose = workspace.runs.score_campaign(campaign.id, decision_confidence=0.80)
    assert strict.summary["decision"]["confidence"] == 0.95
    assert loose.summary["decision"]["confidence"] == 0.80
    result = compare(workspace, campaign.id, strict.id, loose.id)
    joined = result.list_changes[result.list_changes["list_new"] == "block"]
    assert len(joined) > 0
    assert (joined["list_old"] == "monitor").all()  # a looser bar never takes a site off
    site, row = next(iter(joined.iterrows()))
    p_old, p_new = row["p_block_old"], row["p_block_new"]
    assert 0.80 <= p_new < 0.95
    assert p_old == pytest.approx(p_new)  # same evidence, only the bar moved
    assert row["move"] == (
        "joined the block list (recommendation monitor → block; chance it belongs on the block "
        f"list {p_old * 100:.0f} % → {p_new * 100:.0f} %)"
    )
    moves = {r["site_id"]: r["move"] for r in result.as_json()["list_changes"]}
    assert moves[str(site)] == row["move"]
    # The one setting that changed is named, in the analyst's words; --json keeps machine names.
    said = f"{labels.setting('decision_confidence')} 95 % → 80 %"
    assert result.change_lines() == [said]
    payload = result.as_json(limit=0)
    assert payload["setting_changes"] == {"decision_confidence": {"old": 0.95, "new": 0.8}}
    assert payload["changes"] == [said]


def test_every_changed_setting_and_weight_is_named_before_and_after(
    two_runs: tuple[Workspace, int, int, int],
) -> None:
    ws, cid, old, new = two_runs
    result = compare(ws, cid, old, new)
    assert result.setting_changes == {"ctr_sensitivity": (False, True)}
    lines = result.change_lines()
    assert lines[0] == "CTR sensitivity off → on"
    a, b = result.weight_changes["ctr"]
    assert f"Weight of CTR {a:.2f} → {b:.2f}" in lines
    assert len(lines) == 1 + len(result.weight_changes)
    assert all("_" not in line for line in lines)  # no machine name reaches the analyst
    payload = result.as_json(limit=0)
    assert payload["setting_changes"] == {"ctr_sensitivity": {"old": False, "new": True}}
    assert payload["weight_changes"]["ctr"] == [a, b]


def test_compare_counts_recommendations_as_the_runs_did(
    two_runs: tuple[Workspace, int, int, int],
) -> None:
    """The monitor recommendation and the sites on neither list are different counts; compare
    reports each run's recommendations exactly as the run itself does."""
    ws, cid, old, new = two_runs
    result = compare(ws, cid, old, new)
    for side, run_id in (("old", old), ("new", new)):
        recs = ws.runs.run(run_id).summary["recommendations"]
        counted = result.as_json(limit=0)["recommendation_counts"]
        assert {n: c[side] for n, c in counted.items()} == {n: recs.get(n, 0) for n in counted}
    assert "monitor" not in result.list_line()
    assert result.list_line().count("on neither list") == 1
