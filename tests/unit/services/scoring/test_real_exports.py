"""Files from outside our generator: other column names, in-app reports, odd cells, tiny files.

Each case is one a new analyst hit (issue 12): a known column left unused in silence, a row lost
uncounted, an app read as a web site. The reader must use what it knows, count every row and
say what it did.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from support.real_exports import PLAIN_PULSEPOINT_NAMES, ttd_inapp_video, write

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.lists import build_lists
from caliber_desktop.services.scoring.model import APP_KINDS, DataQuality
from caliber_desktop.services.scoring.preprocess import preprocess
from caliber_desktop.services.scoring.read import read_report

TTD = Platform.TRADE_DESK


def request(**kwargs: object) -> ScoreRequest:
    base: dict[str, object] = {
        "goal": Goal.ACTION,
        "platform": TTD,
        "channel": Channel.DISPLAY,
        "min_impressions": 0,
    }
    return ScoreRequest(**(base | kwargs))  # type: ignore[arg-type]


def balanced(quality: DataQuality) -> bool:
    return quality.rows_read == quality.rows_scored + quality.rows_dropped


# ----------------------------------------------------------------------------- columns


def test_other_platform_names_are_used_when_the_platform_has_none(tmp_path: Path) -> None:
    path = write(tmp_path / "plain.csv", PLAIN_PULSEPOINT_NAMES)
    scored = score_file(path, request())
    sites = scored.result.sites
    assert sites.loc["demo.com", "spend"] == 300.0  # the file's spend, never CPM × imps (60)
    assert sites.loc["demo.com", "conversions"] == 15.0
    mapping = scored.mapping
    assert mapping.columns["spend"] == "Total Spend"
    assert mapping.origins["spend"] == "other_platform:pulsepoint"
    assert mapping.origins["impressions"] == "platform"
    assert "PulsePoint column name" in mapping.origin_text("spend", TTD)
    (warning,) = [i for i in scored.result.quality.issues if i.code == "other_platform_columns"]
    assert warning.severity == "warning"
    assert "'Total Spend'" in warning.message
    assert "'Conversions'" in warning.message
    # The file's CPM is inconsistent with its spend: said, and the spend is kept.
    assert any(i.code == "rate_mismatch" for i in scored.result.quality.issues)


def test_the_platforms_own_name_wins_over_a_generic_one(tmp_path: Path) -> None:
    text = (
        "Site,Impressions,Total Spend,Advertiser Cost (USD),Clicks\n"
        "a.com,1000,9.00,4.00,3\nb.com,2000,18.00,8.00,5\n"
    )
    scored = score_file(write(tmp_path / "both.csv", text), request())
    assert scored.mapping.columns["spend"] == "Advertiser Cost (USD)"
    assert scored.mapping.origins["spend"] == "platform"
    assert scored.result.sites.loc["a.com", "spend"] == 4.0
    chosen = [i for i in scored.result.quality.issues if i.code == "spend_column_chosen"]
    assert chosen
    assert "'Total Spend'" in chosen[0].message


def test_generic_names_fill_columns_no_platform_names(tmp_path: Path) -> None:
    text = "Website,Impr.,Clicks,Media Cost,Total Conversions\nx.com,5000,9,12.5,2\n"
    report = read_report(write(tmp_path / "generic.csv", text), platform=TTD)
    assert report.mapping.columns == {
        "site": "Website",
        "impressions": "Impr.",
        "clicks": "Clicks",
        "spend": "Media Cost",
        "conversions": "Total Conversions",
    }
    assert report.mapping.origins["spend"] == "generic"
    assert report.frame.loc[0, "spend"] == 12.5


def test_spend_is_rebuilt_from_cpm_only_without_a_spend_column_and_says_so(
    tmp_path: Path,
) -> None:
    text = "Site,Impressions,Clicks,CPM\na.com,10000,10,2.50\nb.com,20000,30,1.00\n"
    scored = score_file(write(tmp_path / "cpm.csv", text), request())
    assert scored.result.sites.loc["a.com", "spend"] == 25.0
    (note,) = [i for i in scored.result.quality.issues if i.code == "count_from_rate"]
    assert note.severity == "warning"
    assert "no spend column" in note.message
    assert "CPM × Impressions ÷ 1000" in note.message


def test_an_empty_spend_cell_is_missing_not_rebuilt_from_cpm(tmp_path: Path) -> None:
    text = (
        "Site,Impressions,Clicks,Advertiser Cost,CPM\n"
        "a.com,10000,10,25.00,2.50\na.com,10000,10,,9.99\nb.com,20000,30,20.00,1.00\n"
    )
    scored = score_file(write(tmp_path / "gap.csv", text), request())
    assert scored.result.sites.loc["a.com", "spend"] == 25.0  # the empty cell adds nothing
    assert not any(i.code == "count_from_rate" for i in scored.result.quality.issues)


def test_an_unused_numeric_column_that_looks_like_a_field_is_a_warning(tmp_path: Path) -> None:
    text = (
        "Site,Impressions,Clicks,Advertiser Cost,Partner Spend,Buys,Note\n"
        "a.com,1000,3,4.00,5.00,7,fine\nb.com,2000,5,8.00,9.00,9,ok\n"
    )
    report = read_report(write(tmp_path / "unused.csv", text), platform=TTD)
    unused = [i for i in report.issues if i.code == "unused_column"]
    assert [i.column for i in unused] == ["Partner Spend"]  # Buys names no field, Note is text
    assert unused[0].severity == "warning"
    assert "'Advertiser Cost'" in unused[0].message


def test_a_column_mapped_twice_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "twice.csv", "Site,Impressions,Clicks\na.com,100,1\n")
    with pytest.raises(ValidationError, match="'Impressions' for both") as caught:
        read_report(path, platform=TTD, mapping_override={"clicks": "Impressions"})
    assert "twice.csv" in str(caught.value)


def test_a_mapping_naming_a_missing_header_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "Site,Impressions,Clicks\na.com,100,1\n")
    with pytest.raises(ValidationError, match="no such column"):
        read_report(path, platform=TTD, mapping_override={"spend": "Cost (EUR)"})


# ----------------------------------------------------------------------------- rows


def test_a_count_that_is_not_a_number_drops_its_row_and_counts_it(tmp_path: Path) -> None:
    text = (
        "Site,Impressions,Clicks,Advertiser Cost (Adv Currency)\n"
        "a.com,1000,5,2.00\nb.com,two thousand,5,2.00\nc.com,3000,9,6.00\n"
    )
    scored = score_file(write(tmp_path / "text.csv", text), request(goal=Goal.AWARENESS))
    quality = scored.result.quality
    assert set(scored.result.sites.index) == {"a.com", "c.com"}
    (dropped,) = quality.dropped
    assert (dropped.reason, dropped.rows, dropped.spend) == ("unreadable_number", 1, 2.0)
    assert dropped.examples == ("row 3: Impressions 'two thousand'",)
    assert (quality.rows_read, quality.rows_scored, quality.sites) == (3, 2, 2)
    assert balanced(quality)
    assert "1 with a count that is not a number" in quality.accounting()
    saved = json.loads(json.dumps(quality.to_json()))
    assert saved["rows_dropped"] == 1
    assert saved["sites"] == 2


def test_counts_all_text_is_refused_naming_the_file_column_and_row(tmp_path: Path) -> None:
    path = write(tmp_path / "alltext.csv", "Site,Impressions,Clicks\na.com,two,3\nb.com,six,4\n")
    with pytest.raises(ValidationError) as caught:
        score_file(path, request())
    message = str(caught.value)
    assert "alltext.csv" in message
    assert "row 2: Impressions 'two'" in message


def test_empty_rows_and_sites_without_impressions_are_counted(tmp_path: Path) -> None:
    text = (
        "Site,Impressions,Clicks,Advertiser Cost\n"
        "a.com,1000,5,2.00\n,,,\nb.com,0,0,0\nc.com,,1,\nd.com,3000,9,6.00\n"
    )
    report = read_report(write(tmp_path / "gaps.csv", text), platform=TTD)
    table = preprocess(report, AnalysisLevel.DOMAIN)
    quality = table.quality
    reasons = {d.reason: (d.rows, d.examples) for d in quality.dropped}
    assert reasons == {
        "empty_row": (1, ("row 3",)),
        "no_impressions": (2, ("row 4: b.com", "row 5: c.com")),
    }
    assert list(table.frame.index) == ["a.com", "d.com"]
    assert (quality.rows_read, quality.rows_scored) == (5, 2)
    assert balanced(quality)


def test_vendors_are_counted_as_vendors(tmp_path: Path) -> None:
    text = "Supply Vendor,Site,Impressions,Clicks\nMagnite,a.com,1000,3\n,b.com,500,1\n"
    report = read_report(write(tmp_path / "v.csv", text), platform=TTD)
    table = preprocess(report, AnalysisLevel.SUPPLY_VENDOR)
    (blank,) = table.quality.dropped
    assert blank.label == "Rows with a blank supply vendor"
    assert table.quality.level == "supply_vendor"


# ----------------------------------------------------------------------------- ids


def test_an_inapp_export_keeps_every_app_whole_and_off_the_web_lists(tmp_path: Path) -> None:
    truth = ttd_inapp_video(tmp_path / "inapp.csv")
    scored = score_file(tmp_path / "inapp.csv", request(channel=Channel.VIDEO, goal=Goal.AWARENESS))
    sites = scored.result.sites
    expected = {e.site_id: e.kind for e in truth.values()}
    assert dict(zip(sites.index, sites["kind"], strict=True)) == expected
    apps = {e.site_id for e in truth.values() if e.kind in APP_KINDS}
    assert len(apps) == sum(1 for e in truth.values() if e.kind in APP_KINDS)  # none merged
    assert "zen.games" not in sites.index
    assert "radar.app" not in sites.index
    lists = build_lists(sites.assign(recommendation="block"))
    files = lists.files()
    web = set(files["blocklist_domains.txt"].split())
    assert web == {"news-daily.com", "example.co.uk", "recipes-now.net", "weather-now.app"}
    assert set(files["blocklist_apps.txt"].split()) == apps
    ids = scored.result.quality.ids
    assert ids.kinds == {"bundle": 14, "store_id": 2, "domain": 4}
    assert ids.in_app == 11  # the ids whose shape alone would have made them web hosts
    assert ids.in_app_examples[0] == "block.puzzle.zen.games (not zen.games)"
    assert ids.rolled_up == 2  # m.news-daily.com, sports.example.co.uk (www. is no host)
    assert ids.rollup_examples == (
        "m.news-daily.com → news-daily.com",
        "sports.example.co.uk → example.co.uk",
    )
    assert any(i.code == "apps_kept_whole" for i in scored.result.quality.issues)


def test_without_the_app_column_the_shape_decides_and_ctv_means_apps(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ctv.csv",
        "Site,Impressions,Clicks\nweather.radar.app,1000,1\ndaily.weather.radar.app,900,1\n"
        "com.roku.news,800,0\n",
    )
    report = read_report(path, platform=TTD)
    display = preprocess(report, AnalysisLevel.DOMAIN, channel=Channel.DISPLAY).frame
    assert list(display.index) == ["com.roku.news", "radar.app"]  # a web reading, merged
    ctv = preprocess(report, AnalysisLevel.DOMAIN, channel=Channel.CTV).frame
    assert sorted(ctv.index) == ["com.roku.news", "daily.weather.radar.app", "weather.radar.app"]
    assert set(ctv["kind"]) == {"bundle"}


def test_an_app_bundle_column_holds_apps(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bundles.csv",
        "App Bundle,Impressions,Clicks\nword.quest.android,1000,1\nquest.android,900,1\n",
    )
    table = preprocess(read_report(path, platform=TTD), AnalysisLevel.DOMAIN)
    assert sorted(table.frame.index) == ["quest.android", "word.quest.android"]
    assert set(table.frame["kind"]) == {"bundle"}


def test_an_app_column_alone_is_the_site(tmp_path: Path) -> None:
    path = write(tmp_path / "app.csv", "App,Impressions,Clicks\nPluto TV,1000,1\nTubi,900,1\n")
    report = read_report(path, platform=TTD)
    assert report.mapping.columns["site"] == "App"
    assert report.mapping.origins["site"] == "app"
    assert "app_name" not in report.mapping.columns


# ----------------------------------------------------------------------------- impact


def test_list_impact_says_which_columns_the_report_lacks(tmp_path: Path) -> None:
    text = "Site,Impressions,Spend\n" + "".join(
        f"s{i}.com,{1000 + 37 * i},{(1000 + 37 * i) * (1 + i % 5) / 1000:.2f}\n" for i in range(40)
    )
    scored = score_file(
        write(tmp_path / "noclicks.csv", text),
        request(goal=Goal.AWARENESS, platform=Platform.PULSEPOINT),
    )
    sites = scored.result.sites
    assert sites["clicks"].isna().all()
    assert sites["conversions"].isna().all()
    assert scored.result.summary["measured"] == ["impressions", "spend"]
    lists = build_lists(sites)
    block = lists.impact["block"]
    assert set(block.shares) == {"impressions", "spend"}
    assert block.unmeasured == ("clicks", "conversions")
    assert block.describe("removes").endswith("clicks and conversions are not in the report")
    assert block.share_text("clicks") == "not in the report"
    assert not math.isnan(block.shares["spend"])
    assert json.loads(json.dumps(block.to_json()))["not_in_report"] == ["clicks", "conversions"]


def test_counts_computed_from_a_rate_are_kept_and_said(tmp_path: Path) -> None:
    path = write(tmp_path / "plain.csv", PLAIN_PULSEPOINT_NAMES)
    scored = score_file(path, request())
    sites = scored.result.sites
    assert sites["conversions"].sum() == 25
    assert sites.loc["demo.com", "clicks"] == 500  # 0.5 % of 100,000, from the CTR column
    (note,) = [i for i in scored.result.quality.issues if i.code == "count_from_rate"]
    assert "clicks is computed as CTR × Impressions on 3 rows" in note.message
