"""Two runs of one campaign side by side: what moved, why, and what it does to the lists.

Per site in both runs the score change is split into per-metric contribution changes
(:func:`~caliber_desktop.services.scoring.explain.compare_runs`; they add up to the change).
Both runs' lists are built with the campaign's *current* pins — pins are not versioned per run —
so a list change means the recommendation changed, not the analyst's pins.

Its counts are the run's own (:func:`~caliber_desktop.services.runs.facts.run_counts`): the
recommendation counts match what ``caliber score``, the window and the PDF said of each run, and
the list sizes are named as lists ("on neither list" is not the *monitor* recommendation). Every
setting and weight that differs between the runs is named with its value before and after, in the
analyst's words (:meth:`RunComparison.change_lines`); ``--json`` keeps the machine names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from caliber_desktop.errors import NotFoundError, ValidationError
from caliber_desktop.models import labels
from caliber_desktop.models.enums import RunStatus
from caliber_desktop.services.exports.run_data import LIST_NAMES, OutputSources
from caliber_desktop.services.records import jsonable
from caliber_desktop.services.runs.facts import RECOMMENDATIONS, RunCounts, list_word, run_counts
from caliber_desktop.services.runs.records import RunRecord

#: Weight changes below this are rounding, not a change.
WEIGHT_EPS = 1e-9
#: Settings a run records that are not compared as settings: the profile follows from platform,
#: channel and goal, and custom weights are compared weight by weight (:attr:`weight_changes`).
NOT_A_SETTING = frozenset({"profile", "custom_weights"})


@dataclass(frozen=True)
class RunComparison:
    campaign_id: int
    old: RunRecord
    new: RunRecord
    #: index site_id: display_name, score_old/new/delta, recommendation_old/new, list_old/new,
    #: then ``<metric>_delta`` per metric (in :attr:`metrics` order); biggest |Δ| first
    sites: pd.DataFrame
    metrics: tuple[str, ...]
    #: site_id, display_name, score, recommendation, list (sorted by score, best first)
    new_sites: pd.DataFrame
    removed_sites: pd.DataFrame
    #: the rows of :attr:`sites` whose list changed
    list_changes: pd.DataFrame
    #: per list: old and new size, sites that entered and left it (new/removed sites included)
    list_counts: dict[str, dict[str, int]]
    #: metric → (old weight, new weight), for the metrics whose weight changed
    weight_changes: dict[str, tuple[float, float]]
    summary: str
    #: setting (machine name) → (old value, new value), for the settings that changed
    setting_changes: dict[str, tuple[Any, Any]]
    #: each run's counts, exactly as the run itself reports them
    counts_old: RunCounts
    counts_new: RunCounts

    def delta_columns(self) -> list[str]:
        return [f"{m}_delta" for m in self.metrics]

    def change_lines(self) -> list[str]:
        """Every changed setting, then every changed weight, before → after, in the analyst's
        words: ``"Minimum impressions 250 → 1,000"``, ``"Weight of Viewability 0.20 → 0.30"``."""
        lines = [
            f"{labels.setting(name)} {labels.setting_value(name, a)} → "
            f"{labels.setting_value(name, b)}"
            for name, (a, b) in self.setting_changes.items()
        ]
        for name, (a, b) in self.weight_changes.items():
            digits = 2
            while digits < 6 and f"{a:.{digits}f}" == f"{b:.{digits}f}":
                digits += 1  # a change smaller than 0.01 still shows as a change
            lines.append(f"Weight of {labels.metric(name)} {a:.{digits}f} → {b:.{digits}f}")
        return lines

    def recommendation_line(self) -> str:
        """``"allow 334 → 222, monitor 1,188 → 675, …"``: the counts each run reported."""
        old, new = self.counts_old.recommendations, self.counts_new.recommendations
        return ", ".join(
            f"{labels.recommendation(n).lower()} {old.get(n, 0):,} → {new.get(n, 0):,}"
            for n in RECOMMENDATIONS
        )

    def list_line(self) -> str:
        """``"block list 465 → 296 (+0 −169); …; on neither list 1,201 → 1,482 (…)"``."""
        return "; ".join(
            f"{list_word(name)} {c['old']:,} → {c['new']:,} (+{c['entered']:,} −{c['left']:,})"
            for name, c in self.list_counts.items()
        )

    def as_json(self, limit: int | None = None) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            part = frame if limit is None else frame.head(limit)
            part = part.rename_axis("site_id").reset_index().astype(object)
            part = part.where(part.notna(), None)
            return [jsonable(r) for r in part.to_dict(orient="records")]

        return {
            "campaign_id": self.campaign_id,
            "old_run": {"id": self.old.id, "campaign_score": self.old.campaign_score},
            "new_run": {"id": self.new.id, "campaign_score": self.new.campaign_score},
            "summary": self.summary,
            "metrics": list(self.metrics),
            "weight_changes": {k: list(v) for k, v in self.weight_changes.items()},
            "setting_changes": {
                k: {"old": jsonable(a), "new": jsonable(b)}
                for k, (a, b) in self.setting_changes.items()
            },
            "changes": self.change_lines(),
            "recommendation_counts": {
                name: {
                    "old": self.counts_old.recommendations.get(name, 0),
                    "new": self.counts_new.recommendations.get(name, 0),
                }
                for name in RECOMMENDATIONS
            },
            "counts": {"old": self.counts_old.to_json(), "new": self.counts_new.to_json()},
            "list_counts": self.list_counts,
            "sites_compared": len(self.sites),
            "sites": rows(self.sites),
            "new_sites": rows(self.new_sites.set_index("site_id")),
            "removed_sites": rows(self.removed_sites.set_index("site_id")),
            "list_changes": rows(self.list_changes),
        }


def _completed(src: OutputSources, campaign_id: int, run_id: int, field: str) -> RunRecord:
    record = src.runs.run(run_id)  # NotFoundError for another user's run
    if record.campaign_id != campaign_id:
        raise NotFoundError("Run", run_id)
    if record.status is not RunStatus.COMPLETED:
        raise ValidationError(f"Run {run_id} did not complete; pick a completed run.", field=field)
    return record


def latest_two(src: OutputSources, campaign_id: int) -> tuple[int, int]:
    """The two latest completed runs (older, newer)."""
    done = [r for r in src.runs.runs(campaign_id) if r.status is RunStatus.COMPLETED]
    if len(done) < 2:
        raise ValidationError(
            "This campaign has fewer than two completed runs to compare.",
            field="run",
            hint="Score it again after changing its settings or report.",
        )
    return done[1].id, done[0].id


def compare(
    src: OutputSources, campaign_id: int, old_run_id: int, new_run_id: int
) -> RunComparison:
    from caliber_desktop.services.scoring.explain import compare_runs
    from caliber_desktop.services.scoring.lists import build_lists

    src.campaigns.get(campaign_id)  # NotFoundError when it is not the user's
    old = _completed(src, campaign_id, old_run_id, "old_run")
    new = _completed(src, campaign_id, new_run_id, "new_run")
    if old.id == new.id:
        raise ValidationError("Choose two different runs to compare.", field="new_run")
    before, after = src.runs.load_result(old.id), src.runs.load_result(new.id)
    pins = src.runs.overrides(campaign_id)
    built_old, built_new = build_lists(before.sites, pins), build_lists(after.sites, pins)
    lists_old = built_old.sites["list_action"]
    lists_new = built_new.sites["list_action"]

    deltas = compare_runs(before, after)
    metrics = tuple(c.removesuffix("_delta") for c in deltas.columns if c.endswith("_delta"))
    metrics = tuple(m for m in metrics if m != "score")
    common = deltas.index
    sites = pd.DataFrame(index=common)
    sites["display_name"] = after.sites.loc[common, "display_name"].astype(str)
    for column in ("score_old", "score_new", "score_delta"):
        sites[column] = deltas[column]
    sites["recommendation_old"] = before.sites.loc[common, "recommendation"].astype(str)
    sites["recommendation_new"] = after.sites.loc[common, "recommendation"].astype(str)
    sites["list_old"] = lists_old.loc[common].astype(str)
    sites["list_new"] = lists_new.loc[common].astype(str)
    for column in ("p_block", "p_allow"):  # a run stored before certainty has none: blank
        for side, frame in (("old", before.sites), ("new", after.sites)):
            values = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
            sites[f"{column}_{side}"] = values.loc[common].astype(float)
    sites["move"] = _moves(sites)
    for name in metrics:
        sites[f"{name}_delta"] = deltas[f"{name}_delta"]
    sites.index.name = "site_id"

    new_ids = after.sites.index.difference(before.sites.index)
    gone_ids = before.sites.index.difference(after.sites.index)
    new_sites = _side(after.sites, lists_new, new_ids)
    removed_sites = _side(before.sites, lists_old, gone_ids)
    changes = sites[sites["list_old"] != sites["list_new"]]
    counts = {
        name: {
            "old": int((lists_old == name).sum()),
            "new": int((lists_new == name).sum()),
            "entered": len(
                set(lists_new.index[lists_new == name]) - set(lists_old.index[lists_old == name])
            ),
            "left": len(
                set(lists_old.index[lists_old == name]) - set(lists_new.index[lists_new == name])
            ),
        }
        for name in LIST_NAMES
    }
    w_old: dict[str, float] = dict(old.summary.get("weights", {}))
    w_new: dict[str, float] = dict(new.summary.get("weights", {}))
    weights = {
        m: (float(w_old.get(m, 0.0)), float(w_new.get(m, 0.0)))
        for m in sorted(set(w_old) | set(w_new))
        if abs(float(w_old.get(m, 0.0)) - float(w_new.get(m, 0.0))) > WEIGHT_EPS
    }
    summary = _summary_line(old, new, sites, len(new_sites), len(removed_sites), len(changes))
    return RunComparison(
        campaign_id, old, new, sites, metrics, new_sites, removed_sites, changes, counts,
        weights, summary, setting_changes(old, new),
        run_counts(built_old.sites, rows_read=old.rows_read),
        run_counts(built_new.sites, rows_read=new.rows_read),
    )  # fmt: skip


def setting_changes(old: RunRecord, new: RunRecord) -> dict[str, tuple[Any, Any]]:
    """The settings the two runs were scored with that differ, in the order the run lists them.

    Read from the runs' own records (what each run *was* scored with), so a campaign edited
    since, or a one-off ``--decision-confidence``, is reported as it applied.
    """
    before = {k: v for k, v in old.config.items() if k not in NOT_A_SETTING}
    after = {k: v for k, v in new.config.items() if k not in NOT_A_SETTING}
    names = [*after, *(k for k in before if k not in after)]
    return {
        name: (before.get(name), after.get(name))
        for name in names
        if not _same(before.get(name), after.get(name))
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= WEIGHT_EPS
    return bool(a == b)


def _moves(sites: pd.DataFrame) -> pd.Series:
    """ "joined the block list (recommendation monitor → block; chance it belongs on the block
    list 62 % → 94 %)" for each site whose list changed; "" for the others.

    Names the list it left or joined, the recommendation change behind it (none: a pin moved
    it) and the chance it belongs on that list in both runs, so a list move explains itself.
    """
    out = pd.Series("", index=sites.index, dtype=object)
    changed = sites.index[sites["list_old"] != sites["list_new"]]
    for site in changed:
        row = sites.loc[site]
        old, new = str(row["list_old"]), str(row["list_new"])
        if old == "monitor":
            text = f"joined the {list_word(new)}"
        elif new == "monitor":
            text = f"left the {list_word(old)}"
        else:
            text = f"moved from the {list_word(old)} to the {list_word(new)}"
        parts = []
        rec_old, rec_new = str(row["recommendation_old"]), str(row["recommendation_new"])
        if rec_old != rec_new:
            parts.append(
                f"recommendation {labels.recommendation(rec_old).lower()} → "
                f"{labels.recommendation(rec_new).lower()}"
            )
        for name in ("block", "allow"):
            if name in (old, new):
                a, b = row[f"p_{name}_old"], row[f"p_{name}_new"]
                if np.isfinite(a) and np.isfinite(b):
                    chance = labels.field(f"p_{name}").lower()
                    parts.append(f"{chance} {a * 100:.0f} % → {b * 100:.0f} %")
        out[site] = text + (f" ({'; '.join(parts)})" if parts else "")
    return out


def _side(frame: pd.DataFrame, lists: pd.Series, ids: pd.Index) -> pd.DataFrame:
    part = frame.loc[ids, ["display_name", "score", "recommendation"]].copy()
    part["list"] = lists.loc[ids].astype(str)
    part = part.sort_values("score", ascending=False, kind="stable")
    return part.rename_axis("site_id").reset_index()


def _summary_line(
    old: RunRecord, new: RunRecord, sites: pd.DataFrame, added: int, removed: int, moved: int
) -> str:
    def score(value: float | None) -> str:
        return f"{value:.1f}" if value is not None else "—"

    delta = sites["score_delta"].to_numpy(float)
    up = int(np.sum(delta > 0.05))
    down = int(np.sum(delta < -0.05))
    return (
        f"Run {old.id} → run {new.id}: campaign score {score(old.campaign_score)} → "
        f"{score(new.campaign_score)}; {len(sites):,} sites in both ({up:,} up, {down:,} down), "
        f"{added:,} new, {removed:,} removed, {moved:,} changed list."
    )
