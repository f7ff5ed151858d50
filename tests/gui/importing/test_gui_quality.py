"""Data quality where the analyst looks: the results header chip, its dialog, the list impact."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.real_exports import write

from caliber_desktop.models.enums import AnalysisLevel, Channel, Goal, Platform
from caliber_desktop.services.scoring.engine import ScoreRequest, score_file
from caliber_desktop.services.scoring.lists import build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.lists.panel import ListsPanel
from caliber_desktop.ui.results.panel import ResultsPanel

#: A PulsePoint report without clicks or conversions, one row with text for impressions, and a
#: Trade Desk spend name (a warning: another platform's column).
ROWS = "".join(
    f"s{i}.com,{1000 + 37 * i},{(1000 + 37 * i) * (1 + i % 5) / 1000:.2f}\n" for i in range(40)
)
TEXT = "Site,Impressions,Advertiser Cost\n" + ROWS + "bad.com,many,1.00\n"


def scored(tmp_path: Path) -> ScoreResult:
    path = write(tmp_path / "pp.csv", TEXT)
    request = ScoreRequest(
        goal=Goal.AWARENESS,
        platform=Platform.PULSEPOINT,
        channel=Channel.DISPLAY,
        min_impressions=0,
    )
    return score_file(path, request).result


def test_the_results_header_shows_warnings_and_opens_the_data_quality(
    qtbot: QtBot, tmp_path: Path
) -> None:
    result = scored(tmp_path)
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    panel.show()
    chip = panel.quality_button
    assert chip.isVisible()
    assert chip.text() == "⚠ 2 warnings · 1 row left out"
    assert "41 rows read = 40 scored + 1 left out" in chip.toolTip()
    assert panel.sites_label.text() == "40 sites"
    chip.click()
    dialog = panel.quality_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    view = dialog.view
    assert view.summary_label.text().startswith("41 rows read = 40 scored + 1 left out")
    assert view.dropped_model.rowCount() == 1
    assert view.dropped_model.index(0, 4).data() == "row 42: Impressions 'many'"
    severities = [
        view.issue_list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(view.issue_list.count())
    ]
    assert severities[:2] == ["warning", "warning"]  # warnings first, then the notes
    assert set(severities[2:]) <= {"info"}
    dialog.close()


def test_a_clean_run_says_all_rows_scored(qtbot: QtBot, tmp_path: Path) -> None:
    path = write(tmp_path / "clean.csv", "Site,Impressions,Spend\n" + ROWS)
    result = score_file(
        path,
        ScoreRequest(goal=Goal.AWARENESS, platform=Platform.PULSEPOINT, channel=Channel.DISPLAY),
    ).result
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    assert panel.quality_button.text() == "all rows scored"


def test_list_impact_names_the_columns_the_report_lacks(qtbot: QtBot, tmp_path: Path) -> None:
    result = scored(tmp_path)
    panel = ListsPanel()
    qtbot.addWidget(panel)
    panel.set_lists(build_lists(result.sites))
    page = panel.pages["block"]
    assert page.impact_label.text().endswith("; clicks and conversions are not in the report.")
    assert "0 % of clicks" not in page.impact_label.text()
    assert page.share_labels["clicks"].text() == "not in report"
    assert page.share_labels["impressions"].text().endswith("%")
    assert not page.bars["conversions"].isEnabled()


def test_a_vendor_run_says_vendors_in_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    rows = "".join(
        f"Vendor {i % 7},s{i}.com,{1000 + 37 * i},{(1 + i % 5) * 1.1:.2f}\n" for i in range(70)
    )
    path = write(tmp_path / "v.csv", "Supply Vendor,Site,Impressions,Spend\n" + rows)
    result = score_file(
        path,
        ScoreRequest(
            goal=Goal.AWARENESS,
            platform=Platform.PULSEPOINT,
            channel=Channel.DISPLAY,
            level=AnalysisLevel.SUPPLY_VENDOR,
            min_impressions=0,
        ),
    ).result
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.set_result(result)
    assert panel.sites_label.text() == "7 vendors"
    assert "vendors recommended" in panel.chips["allow"].toolTip()
    lists = ListsPanel()
    qtbot.addWidget(lists)
    lists.set_lists(build_lists(result.sites), vendor_level=True)
    model = lists.pages["block"].model
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Vendor"
