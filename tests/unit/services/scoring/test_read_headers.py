"""Header normalisation, alias matching, conversion pixels, overrides and detection."""

from __future__ import annotations

import pytest

from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel, Platform
from caliber_desktop.services.scoring.detect import detect
from caliber_desktop.services.scoring.headers import (
    load_aliases,
    map_headers,
    normalize_header,
)

TTD = Platform.TRADE_DESK
BASE = ["Date", "Site", "Supply Vendor", "Impressions", "Clicks"]


def test_normalize_header() -> None:
    assert normalize_header("  Advertiser   Cost (Adv Currency) ") == (
        "advertiser cost",
        "Adv Currency",
    )
    assert normalize_header("TTD_Impressions") == ("impressions", None)
    assert normalize_header("Player 25% Complete") == ("player 25% complete", None)
    assert normalize_header("Advertiser Cost (USD)") == ("advertiser cost", "USD")


def test_alias_tables_load_for_both_platforms() -> None:
    assert "imps" in load_aliases(TTD)["impressions"]
    assert "total spend" in load_aliases(Platform.PULSEPOINT)["spend"]


def test_odd_casing_and_ttd_prefix_map() -> None:
    hm = map_headers(
        ["SITE", "ttd_impressions", "TTD_Clicks", "date"], source="r.csv", platform=TTD
    )
    assert hm.mapping.columns == {
        "site": "SITE",
        "impressions": "ttd_impressions",
        "clicks": "TTD_Clicks",
        "date": "date",
    }


def test_spend_prefers_adv_currency_and_never_sums() -> None:
    headers = [*BASE, "Advertiser Cost (USD)", "Advertiser Cost (Adv Currency)"]
    hm = map_headers(headers, source="r.csv", platform=TTD)
    assert hm.mapping.columns["spend"] == "Advertiser Cost (Adv Currency)"
    assert hm.mapping.currency["spend"] == "Adv Currency"
    assert hm.mapping.alternatives["spend"] == ("Advertiser Cost (USD)",)
    assert hm.sources["spend"] == ("Advertiser Cost (Adv Currency)",)
    assert any(i.code == "spend_column_chosen" for i in hm.issues)


def test_legacy_headers() -> None:
    hm = map_headers(["Day", "Site", "Imps", "Advertiser Total Cost"], source="r", platform=TTD)
    assert hm.mapping.columns["impressions"] == "Imps"
    assert hm.mapping.columns["spend"] == "Advertiser Total Cost"


def _pixels(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        out += [
            f"{i:02d} - Total Click + View Conversions",
            f"{i:02d} - Click Conversion",
            f"{i:02d} - View Through Conversion",
            f"{i:02d} - Total Click + View Conversions Revenue",
        ]
    return out


def test_twenty_pixels_default_01_and_parts_never_added() -> None:
    hm = map_headers([*BASE, *_pixels(20)], source="r.csv", platform=TTD)
    assert len(hm.mapping.conversion_pixels) == 20
    assert hm.mapping.kpi_pixels == ("01",)
    assert hm.sources["conversions"] == ("01 - Total Click + View Conversions",)
    assert hm.sources["revenue"] == ("01 - Total Click + View Conversions Revenue",)
    assert "01 - Click Conversion" in hm.mapping.unmapped
    used = {h for s in hm.sources.values() for h in s}
    assert not any("Click Conversion" in h or "View Through" in h for h in used)
    assert any(i.code == "kpi_pixel_default" for i in hm.issues)


def test_choosing_kpi_pixels() -> None:
    hm = map_headers([*BASE, *_pixels(5)], source="r", platform=TTD, kpi_pixels=["3"])
    assert hm.mapping.kpi_pixels == ("03",)
    both = map_headers([*BASE, *_pixels(5)], source="r", platform=TTD, kpi_pixels=["01", "03"])
    assert both.sources["conversions"] == (
        "01 - Total Click + View Conversions",
        "03 - Total Click + View Conversions",
    )
    assert len(both.sources["revenue"]) == 2
    with pytest.raises(ValidationError, match=r"pixel '07'.*01, 02, 03"):
        map_headers([*BASE, *_pixels(3)], source="r", platform=TTD, kpi_pixels=["07"])


def test_without_01_the_lowest_pixel_is_chosen_with_a_warning() -> None:
    headers = [*BASE, "05 - Total Click + View Conversions", "02 - Total Click + View Conversions"]
    hm = map_headers(headers, source="r.csv", platform=TTD)
    assert hm.mapping.kpi_pixels == ("02",)
    issue = next(i for i in hm.issues if i.code == "kpi_pixel_chosen")
    assert "02" in issue.message
    assert "campaign settings" in issue.message


def test_named_pixel_and_aggregate_conversions() -> None:
    hm = map_headers([*BASE, "Purchase - Total Click + View Conversions"], source="r", platform=TTD)
    assert hm.mapping.conversion_pixels == {"Purchase": "Purchase - Total Click + View Conversions"}
    assert hm.mapping.kpi_pixels == ("Purchase",)
    agg = map_headers([*BASE, "All Last Click + View Conversions"], source="r", platform=TTD)
    assert agg.sources["conversions"] == ("All Last Click + View Conversions",)
    pair = map_headers(
        [*BASE, "Post-Click Conversions", "Post-View Conversions"], source="r", platform=TTD
    )
    assert pair.sources["conversions"] == ("Post-Click Conversions", "Post-View Conversions")


def test_override_maps_and_unknown_header_is_named() -> None:
    hm = map_headers(
        [*BASE, "Weird Cost"], source="r", platform=TTD, mapping_override={"spend": "Weird Cost"}
    )
    assert hm.mapping.columns["spend"] == "Weird Cost"
    with pytest.raises(ValidationError) as caught:
        map_headers(BASE, source="r.csv", platform=TTD, mapping_override={"spend": "Nope"})
    text = str(caught.value)
    assert "'Nope'" in text
    assert "r.csv" in text
    assert "Impressions" in text


def test_ctv_falls_back_to_publisher_name_for_site() -> None:
    headers = ["Date", "Publisher Name", "Impressions", "TV Quality Index (Raw)"]
    hm = map_headers(headers, source="r", platform=TTD, channel=Channel.CTV)
    assert hm.mapping.columns["site"] == "Publisher Name"


@pytest.mark.parametrize(
    ("headers", "platform", "channel"),
    [
        ([*BASE, "Advertiser Cost (Adv Currency)", "Sampled Tracked Impressions"], TTD, "display"),
        ([*BASE, "Advertiser Cost", "Player Starts", "Player Completed Views"], TTD, "video"),
        ([*BASE, "Advertiser Cost", "TV Quality Index (Raw)", "Player Starts"], TTD, "ctv"),
        (["Date", "Domain", "Impressions", "Total Spend", "eCPM"], Platform.PULSEPOINT, "display"),
    ],
)
def test_detection(headers: list[str], platform: Platform, channel: str) -> None:
    found = detect(headers)
    assert found.platform is platform
    assert found.channel is Channel(channel)
    assert found.confident
    assert found.reasons


def test_detection_with_given_platform() -> None:
    found = detect(BASE, Platform.PULSEPOINT)
    assert found.platform is Platform.PULSEPOINT
    assert found.platform_confidence == 1.0
