"""Allow/block lists: DSP-ready files, overrides winning, and the impact preview."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from caliber_desktop.services.scoring.lists import Override, build_lists, dsp_entry


def sites() -> pd.DataFrame:
    rows = [
        # site_id, kind, recommendation, impressions, spend, clicks, conversions, score
        ("news.example", "domain", "allow", 50_000, 300.0, 60, 6, 90.0),
        ("bücher.de", "domain", "allow", 10_000, 50.0, 10, 1, 80.0),
        ("com.zynga.words", "bundle", "allow", 20_000, 90.0, 20, 2, 85.0),
        ("1234567890", "store_id", "block", 15_000, 30.0, 200, 0, 10.0),
        ("cheap-mfa.site", "domain", "block", 40_000, 20.0, 400, 0, 5.0),
        ("Pluto TV - Movies", "app_name", "block", 5_000, 40.0, 1, 0, 20.0),
        ("middle.example", "domain", "monitor", 30_000, 150.0, 30, 3, 50.0),
        ("tiny.example", "domain", "insufficient_data", 100, 1.0, 0, 0, 60.0),
        ("unknown", "non_targetable", "allow", 1_000, 5.0, 1, 0, 70.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "site_id",
            "kind",
            "recommendation",
            "impressions",
            "spend",
            "clicks",
            "conversions",
            "score",
        ],
    )
    return frame.set_index("site_id")


def test_files_split_web_domains_and_apps_one_lowercase_entry_per_line() -> None:
    files = build_lists(sites()).files()
    assert files["allowlist_domains.txt"] == "bücher.de\nnews.example\n"
    assert files["allowlist_apps.txt"] == "com.zynga.words\n"
    assert files["blocklist_domains.txt"] == "cheap-mfa.site\n"
    assert files["blocklist_apps.txt"] == "1234567890\npluto tv - movies\n"
    for name, text in files.items():
        if name.endswith(".txt"):
            assert all(line == line.strip().lower() for line in text.splitlines()), name
            assert not any(line.startswith(("http", "www.")) for line in text.splitlines())


def test_non_targetable_and_monitor_sites_never_reach_a_list() -> None:
    lists = build_lists(sites())
    assert lists.sites.loc["unknown", "list_action"] == "monitor"
    assert lists.sites.loc["tiny.example", "list_action"] == "monitor"
    everything = "".join(lists.files().values())
    assert "unknown" not in everything
    assert "middle.example" not in everything


def test_overrides_win_are_marked_and_ignore_sites_not_in_the_run() -> None:
    overrides = {
        "cheap-mfa.site": Override("allow", "client's own property"),
        "middle.example": Override("block", "brand safety"),
        "gone.example": Override("block", "not in this run"),
    }
    lists = build_lists(sites(), overrides)
    frame = lists.sites
    assert frame.loc["cheap-mfa.site", "list_action"] == "allow"
    assert frame.loc["cheap-mfa.site", "recommendation"] == "block"  # the engine's view is kept
    assert frame.loc["middle.example", "list_action"] == "block"
    assert frame.loc["middle.example", "override_reason"] == "brand safety"
    assert bool(frame.loc["middle.example", "overridden"])
    assert not bool(frame.loc["news.example", "overridden"])
    assert "gone.example" not in frame.index
    files = lists.files()
    assert "cheap-mfa.site" in files["allowlist_domains.txt"]
    assert "middle.example" in files["blocklist_domains.txt"]


def test_impact_shares_and_warning_above_the_threshold() -> None:
    lists = build_lists(sites(), warning_share=0.20)
    block = lists.impact["block"]
    total_imps = sites()["impressions"].sum()
    assert block.sites == 3
    assert block.shares["impressions"] == pytest.approx(60_000 / total_imps)
    assert block.shares["clicks"] == pytest.approx(601 / sites()["clicks"].sum())
    assert block.shares["conversions"] == 0.0
    assert block.warning is not None
    assert "impressions" in block.warning
    allow = lists.impact["allow"]
    assert allow.shares["spend"] == pytest.approx(440.0 / sites()["spend"].sum())
    assert allow.warning is None
    quiet = build_lists(sites(), warning_share=0.99)
    assert quiet.impact["block"].warning is None


def test_adjustments_csv_variant(tmp_path: Path) -> None:
    lists = build_lists(sites())
    written = lists.write(tmp_path)
    assert {p.name for p in written} >= {"bid_adjustments.csv", "blocklist_apps.txt"}
    text = (tmp_path / "bid_adjustments.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Domain", "Adjustment"]
    table = dict(rows[1:])
    assert table["news.example"] == "1.00"
    assert table["cheap-mfa.site"] == "0.00"
    assert "unknown" not in table
    assert "middle.example" not in table


def test_adjustments_csv_quotes_as_pandas_did() -> None:
    """Written with the csv module, the file is byte for byte what ``DataFrame.to_csv`` wrote
    before, names that need quoting included."""
    frame = sites()
    frame.index = pd.Index(
        [*frame.index[:-3], 'say "hi", app', "comma,name.example", "unknown"], name="site_id"
    )
    frame.loc['say "hi", app', ["kind", "recommendation"]] = ["app_name", "block"]
    frame.loc["comma,name.example", "recommendation"] = "allow"
    lists = build_lists(frame)
    listed = lists.sites[lists.sites["list_action"].isin(["allow", "block"])]
    listed = listed[listed["kind"] != "non_targetable"]
    before = pd.DataFrame(
        {
            "Domain": [dsp_entry(str(i)) for i in listed.index],
            "Adjustment": listed["list_action"].map({"allow": 1.0, "block": 0.0}).to_numpy(),
        }
    ).to_csv(index=False, lineterminator="\n", float_format="%.2f")
    assert lists.adjustments_csv() == before
    assert '"comma,name.example",1.00' in before
    assert '"say ""hi"", app",0.00' in before


def test_vendor_level_writes_vendor_files() -> None:
    frame = pd.DataFrame(
        {
            "kind": ["supply_vendor"] * 3,
            "recommendation": ["allow", "block", "monitor"],
            "impressions": [10.0, 20.0, 30.0],
            "score": [90.0, 10.0, 50.0],
        },
        index=pd.Index(["Magnite", "PubMatic", "Xandr"], name="site_id"),
    )
    files = build_lists(frame).files(level_vendor=True)
    assert files["allowlist_vendors.txt"] == "magnite\n"
    assert files["blocklist_vendors.txt"] == "pubmatic\n"
    assert "allowlist_domains.txt" not in files


@pytest.mark.parametrize(
    ("raw", "entry"),
    [
        ("HTTPS://www.Example.com/path?q=1", "example.com"),
        ("=cmd|'calc'!A0", "cmd|'calc'!a0"),
        ("  @sum(1)", "sum(1)"),
    ],
)
def test_dsp_entry_enforces_the_format(raw: str, entry: str) -> None:
    assert dsp_entry(raw) == entry
