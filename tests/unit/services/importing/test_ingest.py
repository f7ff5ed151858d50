"""The import inspection: what the dialog shows must be what scoring will do with the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caliber_desktop.config import Settings, load_settings, save_settings
from caliber_desktop.errors import ValidationError
from caliber_desktop.models.enums import Channel, FileFormat, Platform
from caliber_desktop.services.importing.ingest import (
    applicable_corrections,
    inspect_report,
    inspect_with_memory,
    remember_mapping,
)

TTD = "Advertiser Cost (Adv Currency)"
USD = "Advertiser Cost (USD)"


@pytest.mark.parametrize(
    ("name", "platform", "channel", "fmt"),
    [
        ("ttd_display_awareness_sample.csv", Platform.TRADE_DESK, Channel.DISPLAY, FileFormat.CSV),
        ("ttd_video_sample.xlsx", Platform.TRADE_DESK, Channel.VIDEO, FileFormat.XLSX),
        ("ttd_ctv_sample.csv", Platform.TRADE_DESK, Channel.CTV, FileFormat.CSV),
        ("pulsepoint_display_sample.csv", Platform.PULSEPOINT, Channel.DISPLAY, FileFormat.CSV),
    ],
)
def test_samples_are_detected_and_mapped(
    shared_data: Path, name: str, platform: Platform, channel: Channel, fmt: FileFormat
) -> None:
    found = inspect_report(shared_data / name, preview_rows=5)
    assert (found.detection.platform, found.detection.channel) == (platform, channel)
    assert found.platform is platform
    assert found.format is fmt
    assert found.header_row == 1
    assert found.sites == 2000
    assert found.problem is None
    assert found.mapping.columns["site"] in ("Site", "Domain")
    assert found.mapping.columns["spend"] == (
        TTD if platform is Platform.TRADE_DESK else "Total Spend"
    )
    # Every header, in file order: mapped ones and the rest (TTD's "Advertiser" is unmapped).
    assert set(found.mapping.columns.values()) | set(found.mapping.unmapped) <= set(found.headers)
    assert found.headers[0] == "Date"
    assert len(found.preview) == 5
    assert found.preview_columns[0] == "row"
    assert found.preview[0][0] == "2"  # the first data row is the file's row 2
    assert all(len(row) == len(found.preview_columns) for row in found.preview)
    if fmt is FileFormat.XLSX:
        assert found.sheet == "Report"


def test_platform_forced_by_the_campaign_keeps_the_files_own_detection(shared_data: Path) -> None:
    found = inspect_report(shared_data / "ttd_ctv_sample.csv", platform=Platform.PULSEPOINT)
    assert found.platform is Platform.PULSEPOINT  # mapped as scoring will map it
    assert found.detection.platform is Platform.TRADE_DESK  # so the dialog can warn
    assert found.detection.platform_confidence < 1


def test_messy_pulsepoint_rows_are_dropped_with_their_reasons(shared_data: Path) -> None:
    found = inspect_report(shared_data / "pulsepoint_display_sample.csv")
    quality = found.quality
    assert quality.rows_read == 10_000
    dropped = {d.reason: d for d in quality.dropped}
    assert set(dropped) == {"total_row", "blank_id", "non_targetable"}
    assert dropped["total_row"].rows == 1
    assert dropped["blank_id"].rows == 3
    assert dropped["non_targetable"].rows == 1
    assert dropped["total_row"].impressions > 1_000_000
    assert dropped["blank_id"].spend == pytest.approx(3.86)
    assert quality.rows_scored == 10_000 - 5
    # The reader's issues are merged in (the CTR column's percent scale).
    assert "percent_scale" in {i.code for i in quality.issues}


@pytest.fixture
def two_costs(shared_data: Path, tmp_path: Path) -> Path:
    """The display sample's first rows with a USD cost column beside the advertiser's one."""
    sample = shared_data / "ttd_display_awareness_sample.csv"
    lines = sample.read_text(encoding="utf-8").splitlines()[:400]
    header = lines[0].split(",")
    adv = header.index(TTD)
    out = [",".join([*header, USD])]
    out += [",".join([*row.split(","), row.split(",")[adv]]) for row in lines[1:]]
    path = tmp_path / "two_costs.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_a_spend_override_changes_the_mapping(two_costs: Path) -> None:
    found = inspect_report(two_costs, mapping_override={"spend": USD})
    assert found.mapping.columns["spend"] == USD
    assert found.mapping.origins["spend"] == "override"
    assert found.detected_mapping.columns["spend"] == TTD
    assert found.mapping_override == {"spend": USD}


def test_an_override_taking_a_column_another_field_uses_is_refused(shared_data: Path) -> None:
    path = shared_data / "ttd_display_awareness_sample.csv"
    with pytest.raises(ValidationError, match="'Sampled Tracked Impressions' for both"):
        inspect_report(path, mapping_override={"spend": "Sampled Tracked Impressions"})


def test_an_unknown_header_in_the_override_names_it(shared_data: Path) -> None:
    path = shared_data / "ttd_display_awareness_sample.csv"
    with pytest.raises(ValidationError, match="No Such Cost"):
        inspect_report(path, mapping_override={"spend": "No Such Cost"})


def test_no_site_column_is_a_problem_to_fix_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "nosite.csv"
    path.write_text(
        "Campaign,Impressions,Clicks,Advertiser Cost\nA,100,1,2.5\nB,200,2,3.5\n", encoding="utf-8"
    )
    found = inspect_report(path)
    assert found.problem is not None
    assert "Site" in found.problem
    assert found.quality.rows_read == 2
    fixed = inspect_report(path, mapping_override={"site": "Campaign"})
    assert fixed.problem is None
    assert fixed.sites == 2


def test_remembered_mapping_round_trips_through_settings(two_costs: Path, tmp_path: Path) -> None:
    path = two_costs
    headers = inspect_report(path).headers
    settings = Settings()
    settings.mappings = {"trade_desk": {"site": "Domain"}}  # a header this file lacks: kept
    remember_mapping(settings, Platform.TRADE_DESK, {"spend": USD}, headers)
    save_settings(settings, tmp_path / "settings.json")
    loaded = load_settings(tmp_path / "settings.json")
    assert loaded.mappings == {"trade_desk": {"site": "Domain", "spend": USD}}
    applied = applicable_corrections(loaded.mappings, Platform.TRADE_DESK, headers)
    assert applied == {"spend": USD}  # only headers in the file
    found = inspect_with_memory(path, remembered=loaded.mappings, platform=Platform.TRADE_DESK)
    assert found.mapping.columns["spend"] == USD
    assert found.mapping_override == {"spend": USD}
    # Taking the correction back forgets it, but keeps the one for another template.
    remember_mapping(loaded, Platform.TRADE_DESK, {}, headers)
    assert loaded.mappings == {"trade_desk": {"site": "Domain"}}


def test_memory_for_another_platform_is_not_applied(shared_data: Path) -> None:
    path = shared_data / "ttd_display_awareness_sample.csv"
    remembered = {"pulsepoint": {"spend": "Sampled Tracked Impressions"}}
    found = inspect_with_memory(path, remembered=remembered, platform=Platform.TRADE_DESK)
    assert found.mapping.columns["spend"] == TTD
    assert found.mapping_override == {}


def test_settings_written_before_mappings_existed_still_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "log_level": "DEBUG"}), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.log_level == "DEBUG"
    assert loaded.mappings == {}
    assert not list(tmp_path.glob("settings.json.broken-*"))


def test_a_remembered_correction_that_would_map_a_column_twice_waits(shared_data: Path) -> None:
    """Remembered for another template: here the column feeds tracked impressions, so the file's
    own reading wins and the correction is kept for the file it was made for."""
    path = shared_data / "ttd_display_awareness_sample.csv"
    remembered = {"trade_desk": {"spend": "Sampled Tracked Impressions"}}
    found = inspect_with_memory(path, remembered=remembered, platform=Platform.TRADE_DESK)
    assert found.mapping.columns["spend"] == TTD
    assert found.mapping_override == {}
