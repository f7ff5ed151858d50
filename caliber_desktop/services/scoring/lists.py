"""Allow and block lists from a run's recommendations and the analyst's overrides, with impact.

A list is what the analyst uploads back into the DSP, so its files follow the DSP's format: one
entry per line, no header, lowercase, no scheme, ``www.`` or path; web domains and app ids in
separate files (DSPs keep them in separate list types), supply vendors in their own files at that
level. The impact preview answers "what does this list cost me?" before it is uploaded: the share of
impressions, spend, clicks and conversions the block list removes and the allow list keeps.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from caliber_desktop.services.scoring.list_names import list_file_names as list_file_names
from caliber_desktop.services.scoring.model import APP_KINDS

ListName = Literal["allow", "block", "monitor"]
#: How sure each recommendation is, carried onto every list row.
CERTAINTY_COLUMNS = ("score_lo", "score_hi", "p_block", "p_allow")
#: Columns whose shares the impact preview reports.
IMPACT_COLUMNS = ("impressions", "spend", "clicks", "conversions")
#: TTD bid-list adjustments: 0 removes the site from bidding, 1 bids as usual.
ADJUSTMENT = {"allow": 1.0, "block": 0.0}


@dataclass(frozen=True)
class Override:
    """The analyst pinned a site to a list; it wins over the recommendation on every run."""

    action: Literal["allow", "block"]
    reason: str = ""


@dataclass(frozen=True)
class ListImpact:
    """What one list touches, as shares (0–1) of the run's totals over all scored sites.

    ``shares`` and ``totals`` hold only the columns the report has; ``unmeasured`` names the
    others (a report without conversions has no conversion share, never "0 %").
    """

    list_name: ListName
    sites: int
    shares: Mapping[str, float]
    totals: Mapping[str, float]
    warning: str | None = None
    unmeasured: tuple[str, ...] = ()

    def share_text(self, column: str, fmt: str = ".1%") -> str:
        """``"12.3%"`` of one column, or ``"not in the report"``."""
        if column not in self.shares:
            return "not in the report"
        return format(self.shares[column], fmt)

    def describe(self, verb: str) -> str:
        """``"removes 12.0% of impressions, 9.5% of spend; conversions are not in the report"``."""
        text = f"{verb} " + ", ".join(f"{v:.1%} of {c}" for c, v in self.shares.items())
        if self.unmeasured:
            missing = " and ".join(self.unmeasured)
            text += f"; {missing} {'are' if len(self.unmeasured) > 1 else 'is'} not in the report"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "sites": self.sites,
            "shares": dict(self.shares),
            "totals": dict(self.totals),
            "not_in_report": list(self.unmeasured),
            "warning": self.warning,
        }


@dataclass
class SiteLists:
    """The run's sites with their final list (``list_action``), and the impact of each list."""

    sites: pd.DataFrame  # index site_id; kind, list_action, overridden, override_reason, counts
    impact: dict[ListName, ListImpact] = field(default_factory=dict)

    def members(self, name: ListName) -> pd.DataFrame:
        return self.sites[self.sites["list_action"] == name]

    def files(self, *, level_vendor: bool = False) -> dict[str, str]:
        """File name → contents of every DSP-ready list file (empty lists give empty files)."""
        out: dict[str, str] = {}
        for name in ("allow", "block"):
            members = self.members(name)
            if level_vendor:
                out[f"{name}list_vendors.txt"] = _lines(members.index)
                continue
            apps = members["kind"].isin(APP_KINDS)
            web = members["kind"] == "domain"
            out[f"{name}list_domains.txt"] = _lines(members.index[web])
            out[f"{name}list_apps.txt"] = _lines(members.index[apps])
        out["bid_adjustments.csv"] = self.adjustments_csv()
        return out

    def file_entry_counts(self, *, level_vendor: bool = False) -> dict[str, int]:
        """File name → the lines :meth:`files` writes in it, counted without writing the texts.

        The lists panel says how many entries each file gets; building every file's text just
        to count its lines took ~195 ms for 100k sites. The entries are the very ones
        :meth:`files` writes (an entry with a line break in it counts every line, as the text
        would), so the counts equal ``text.count("\\n")`` of each file.
        """
        counts: dict[str, int] = {}
        for name in ("allow", "block"):
            members = self.members(name)
            if level_vendor:
                counts[f"{name}list_vendors.txt"] = _line_count(_entries(members.index))
                continue
            apps = members["kind"].isin(APP_KINDS)
            web = members["kind"] == "domain"
            counts[f"{name}list_domains.txt"] = _line_count(_entries(members.index[web]))
            counts[f"{name}list_apps.txt"] = _line_count(_entries(members.index[apps]))
        rows = dsp_entries(self._adjusted().index).tolist()
        counts["bid_adjustments.csv"] = 1 + _line_count(rows)  # the header, then one per site
        return counts

    def _adjusted(self) -> pd.DataFrame:
        """The sites the bid-adjustment file has a row for: listed, and targetable."""
        listed = self.sites[self.sites["list_action"].isin(["allow", "block"])]
        return listed[listed["kind"] != "non_targetable"]

    def adjustments_csv(self) -> str:
        """The ``Domain,Adjustment`` variant: allow at 1.0 and block at 0.0, one row per site."""
        listed = self._adjusted()
        # the csv module, as DataFrame.to_csv uses it (minimal quoting, "%.2f"), minus the
        # frame and the per-cell formatting: half the time for 100k sites
        adjustment = {action: f"{value:.2f}" for action, value in ADJUSTMENT.items()}
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("Domain", "Adjustment"))
        writer.writerows(
            zip(
                dsp_entries(listed.index).tolist(),
                listed["list_action"].map(adjustment).tolist(),
                strict=True,
            )
        )
        return buffer.getvalue()

    def write(self, directory: Path, *, level_vendor: bool = False) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files(level_vendor=level_vendor).items():
            path = directory / name
            path.write_text(text, encoding="utf-8", newline="")
            written.append(path)
        return written


def dsp_entry(site_id: str) -> str:
    """The form a DSP list accepts. Ids are already normalised; this only enforces the format.

    A list entry can never start a formula either: none of ``= + - @`` survives normalisation,
    and a stray one is dropped here rather than written.
    """
    return str(dsp_entries(pd.Index([site_id]))[0])


def dsp_entries(ids: pd.Index) -> pd.Index:
    """:func:`dsp_entry` for many ids at once (string operations run on the whole column)."""
    text = pd.Series(ids.astype(str), dtype="str").str.strip().str.lower()
    text = text.str.replace(r"^https?://", "", regex=True).str.removeprefix("www.")
    text = text.str.replace(r"/.*$", "", regex=True).str.lstrip("=+-@\t\r ")
    return pd.Index(text)


def _entries(ids: pd.Index) -> list[str]:
    """The distinct non-empty DSP entries of ``ids``, sorted: a list file's lines."""
    return sorted(set(dsp_entries(ids).tolist()) - {""})  # one conversion, not one per id


def _lines(ids: pd.Index) -> str:
    return "".join(f"{entry}\n" for entry in _entries(ids))


def _line_count(entries: list[str]) -> int:
    """Lines the entries take written one per line (a stray line break inside one adds one)."""
    return len(entries) + sum(entry.count("\n") for entry in entries)


def build_lists(
    sites: pd.DataFrame,
    overrides: Mapping[str, Override] | None = None,
    *,
    warning_share: float = 0.20,
) -> SiteLists:
    """Apply overrides to the recommendations and measure each list's impact.

    ``sites`` is a run's result frame (index ``site_id``, ``kind``, ``recommendation`` and the
    counts). Sites that cannot go on a list (``non_targetable``) are never listed. An override for
    a site this run does not have is kept in the store but changes nothing here.
    """
    overrides = overrides or {}
    # the very index (immutable): a copy made each column below compare 100k ids to align
    frame = pd.DataFrame(index=sites.index)
    frame["kind"] = sites["kind"].astype(str)
    frame["display_name"] = sites.get("display_name", pd.Series(sites.index, index=sites.index))
    frame["score"] = sites["score"] if "score" in sites else float("nan")
    for column in CERTAINTY_COLUMNS:  # how sure the recommendation is (NaN for older runs)
        frame[column] = sites[column] if column in sites else float("nan")
    frame["recommendation"] = sites["recommendation"].astype(str)
    measured = []
    for column in IMPACT_COLUMNS:
        values = sites[column] if column in sites else pd.Series(float("nan"), index=sites.index)
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().any() or numbers.empty:
            measured.append(column)
        frame[column] = numbers.fillna(0.0) if column in measured else numbers
    action = frame["recommendation"].where(
        frame["recommendation"].isin(["allow", "block"]), "monitor"
    )
    pinned = pd.Series({k: v.action for k, v in overrides.items()}, dtype=object)
    pinned = pinned[pinned.index.isin(frame.index)]
    action.loc[pinned.index] = pinned
    action[frame["kind"] == "non_targetable"] = "monitor"
    frame["list_action"] = action.astype(str)
    frame["overridden"] = frame.index.isin(pinned.index)
    reasons = {k: v.reason for k, v in overrides.items()}
    overridden = frame["overridden"].tolist()
    frame["override_reason"] = (
        [
            reasons.get(str(i), "") if o else ""
            for i, o in zip(frame.index.tolist(), overridden, strict=True)
        ]
        if any(overridden)
        else [""] * len(frame)  # a run nobody has overridden yet (every `caliber score`)
    )
    lists = SiteLists(frame)
    totals = {c: float(frame[c].sum()) for c in measured}
    unmeasured = tuple(c for c in IMPACT_COLUMNS if c not in measured)
    for name in ("allow", "block", "monitor"):
        lists.impact[name] = _impact(lists, name, totals, warning_share, unmeasured)
    return lists


def _impact(
    lists: SiteLists,
    name: ListName,
    totals: Mapping[str, float],
    warning_share: float,
    unmeasured: tuple[str, ...],
) -> ListImpact:
    members = lists.members(name)
    shares = {c: (float(members[c].sum()) / t) if t > 0 else 0.0 for c, t in totals.items()}
    warning = None
    if name == "block":
        heavy = [c for c in shares if shares[c] > warning_share]
        if heavy:
            parts = ", ".join(f"{shares[c]:.0%} of {c}" for c in heavy)
            warning = (
                f"The block list removes {parts} (above the {warning_share:.0%} warning "
                "threshold). Check the largest blocked sites before uploading it."
            )
    return ListImpact(name, len(members), shares, dict(totals), warning, unmeasured)
