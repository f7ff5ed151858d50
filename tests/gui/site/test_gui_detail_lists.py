"""The site detail panel and the lists panel, on a real scored sample report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from support.vocabulary import machine_names, widget_texts

from caliber_desktop.models import labels
from caliber_desktop.services.runs.facts import run_counts
from caliber_desktop.services.scoring.explain import explain_site
from caliber_desktop.services.scoring.lists import Override, SiteLists, build_lists
from caliber_desktop.services.scoring.model import ScoreResult
from caliber_desktop.ui.lists.panel import LIST_NAMES, ListsPanel, format_share
from caliber_desktop.ui.shared.list_members_model import ListMembersModel
from caliber_desktop.ui.shared.roles import PINNED_ROLE, SITE_ID_ROLE
from caliber_desktop.ui.shared.tones import tone_colour
from caliber_desktop.ui.site.detail import PLACEHOLDER, SiteDetailPanel


@pytest.fixture
def flagged_site(result: ScoreResult) -> str:
    flagged = result.sites[result.sites["flags"].map(len) > 0]
    assert len(flagged)
    return str(flagged.index[0])


@pytest.fixture
def pinned_site(result: ScoreResult) -> str:
    return str(result.sites.index[0])  # the top site, recommended "allow"


@pytest.fixture
def lists(result: ScoreResult, pinned_site: str) -> SiteLists:
    return build_lists(result.sites, {pinned_site: Override("block", "brand safety")})


@pytest.fixture
def detail(qtbot: QtBot) -> SiteDetailPanel:
    panel = SiteDetailPanel()
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def panel(qtbot: QtBot, lists: SiteLists) -> ListsPanel:
    widget = ListsPanel()
    qtbot.addWidget(widget)
    widget.set_lists(lists)
    return widget


def _bar_values(detail: SiteDetailPanel) -> list[float]:
    """Signed bar lengths as drawn: bars start at min(v, 0) and are |v| wide."""
    opts: dict[str, Any] = detail.contribution_chart.bars.opts
    x0, width = np.asarray(opts["x0"], float), np.asarray(opts["width"], float)
    return list(np.where(x0 < 0, -width, width))


# ---------------------------------------------------------------------- site detail
def test_detail_shows_the_real_explanation(
    detail: SiteDetailPanel, result: ScoreResult, flagged_site: str
) -> None:
    explanation = explain_site(result, flagged_site)
    detail.show_site(explanation)
    used = [m for m in explanation["metrics"] if m["used"]]
    assert len(used) < len(explanation["metrics"])  # the sample has unused metrics too

    assert detail.stack.currentWidget() is not detail.placeholder
    assert detail.name_label.text() == explanation["display_name"]
    assert detail.score_label.text() == f"{explanation['score']:.0f}"
    assert detail.sentence_label.text() == explanation["top_drivers"]
    assert detail.chip.text() == explanation["recommendation"].capitalize()
    lo, hi = explanation["score_interval"]
    certainty = detail.certainty_label.text()
    assert certainty.startswith(f"90 % interval {lo:.0f}–{hi:.0f} · ")
    assert f"{explanation['p_allow'] * 100:.0f} % sure to allow" in certainty
    assert "(a list needs 90 %)" in certainty
    assert detail.decision_label.text() == explanation["decision_reason"]
    assert explanation["decision_reason"].startswith(("Blocked", "Monitor", "Allowed", "Insuff"))

    chart = detail.contribution_chart
    assert chart.labels == [m["label"] for m in used]
    assert _bar_values(detail) == pytest.approx([m["points_vs_median"] for m in used])
    assert len(chart.bars.opts["brushes"]) == len(used)

    table = detail.metrics_table
    assert table.rowCount() == len(explanation["metrics"])
    for row, metric in enumerate(explanation["metrics"]):
        assert table.item(row, 0).text().startswith(metric["label"])
        if not metric["used"]:
            assert table.item(row, 7).text().startswith("not used: ")
    assert "–" in table.item(0, 3).text()  # the 90 % interval "lo – hi"

    texts = [detail.flags_list.item(i).text() for i in range(detail.flags_list.count())]
    assert len(texts) == len(explanation["flags"]) > 0
    for text, flag in zip(texts, explanation["flags"], strict=True):
        assert flag["evidence"] in text


def test_detail_of_flagged_sites_reads_without_machine_names(
    detail: SiteDetailPanel, result: ScoreResult
) -> None:
    """One site per flag kind (and per id kind and decision rule): the flag is named once, in
    the labels table's words ("MFA pattern: Made-for-advertising pattern:" was doubled), and
    nothing the analyst reads is a machine name (``mfa_pattern``, ``p_block``, ``uid_ratio``)."""
    sites = result.sites
    chosen: dict[str, str] = {}
    for site_id, codes in sites["flags"].items():
        for code in codes:
            chosen.setdefault(code, str(site_id))
    for column in ("kind", "decision_rule", "recommendation"):
        for value, group in sites.groupby(column).groups.items():
            chosen.setdefault(f"{column}={value}", str(group[0]))
    assert "mfa_pattern" in chosen
    for key, site_id in chosen.items():
        explanation = explain_site(result, site_id)
        detail.show_site(explanation)
        texts = widget_texts(detail)
        leaked = {n for t in texts for n in machine_names(t, allowed=[site_id])}
        assert not leaked, (key, site_id, sorted(leaked))
        lines = [detail.flags_list.item(i).text() for i in range(detail.flags_list.count())]
        for line, flag in zip(lines, explanation["flags"], strict=True):
            name = labels.flag(flag["code"])
            assert line.startswith(name)
            assert line.lower().count(name.lower()) == 1, line


def test_detail_shows_a_pin(detail: SiteDetailPanel, result: ScoreResult) -> None:
    explanation = explain_site(result, str(result.sites.index[0]))
    detail.show_site(explanation, Override("block", "brand safety"))
    assert detail.chip.text() == "pinned to block: brand safety"
    assert "recommended: allow" in detail.recommended_label.text()


def test_detail_clear_shows_the_placeholder(detail: SiteDetailPanel, result: ScoreResult) -> None:
    detail.show_site(explain_site(result, str(result.sites.index[0])))
    detail.clear()
    assert detail.stack.currentWidget() is detail.placeholder
    assert detail.placeholder.text() == PLACEHOLDER
    assert detail.metrics_table.rowCount() == 0
    assert detail.contribution_chart.values == []


# ---------------------------------------------------------------------- lists
def test_members_model_passes_the_model_tester(
    qtmodeltester: ModelTester, lists: SiteLists
) -> None:
    model = ListMembersModel()
    model.set_frame(lists.members("block"))
    qtmodeltester.check(model)
    model.sort(ListMembersModel.SPEND, Qt.SortOrder.DescendingOrder)
    spend = lists.members("block")["spend"].max()
    assert model.index(0, ListMembersModel.SPEND).data() == f"${spend:,.2f}"
    qtmodeltester.check(model)


def test_tabs_hold_each_list(panel: ListsPanel, lists: SiteLists) -> None:
    for name in LIST_NAMES:
        assert panel.pages[name].model.rowCount() == len(lists.members(name))
    assert "domain" in panel.files_label.text().lower()
    assert "app" in panel.files_label.text().lower()


def test_the_third_tab_is_named_for_what_it_holds_not_the_monitor_count(
    panel: ListsPanel, lists: SiteLists
) -> None:
    """The results header counts the *monitor recommendation*; the third list holds every site
    on neither list (insufficient data and pins too). Both must not be called "monitor"."""
    counts = run_counts(lists.sites)
    assert counts.lists["monitor"] > counts.recommendations["monitor"]  # the sample has both kinds
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert titles == [
        f"Allow ({counts.lists['allow']:,})",
        f"Block ({counts.lists['block']:,})",
        f"Neither ({counts.lists['monitor']:,})",
    ]
    assert "neither list" in panel.tabs.tabToolTip(2)
    text = panel.pages["monitor"].impact_label.text()
    assert text.startswith("The sites on neither list hold ")
    assert "monitor list" not in text


def test_impact_text_has_the_shares(panel: ListsPanel, lists: SiteLists) -> None:
    for name in LIST_NAMES:
        text = panel.pages[name].impact_label.text()
        for column, share in lists.impact[name].shares.items():
            assert f"{format_share(share)} of {column}" in text
    assert format_share(0.123) == "12.3 %"
    assert format_share(0.3) == "30 %"


def test_warning_is_visible(qtbot: QtBot, result: ScoreResult) -> None:
    widget = ListsPanel()
    qtbot.addWidget(widget)
    heavy = build_lists(result.sites, warning_share=0.01)
    widget.set_lists(heavy)
    widget.show()
    warning = widget.pages["block"].warning_label
    assert heavy.impact["block"].warning
    assert warning.isVisibleTo(widget.pages["block"])
    assert heavy.impact["block"].warning in warning.text()
    assert not widget.pages["allow"].warning_label.isVisibleTo(widget.pages["allow"])


def _select(panel: ListsPanel, name: str, site_ids: set[str]) -> None:
    panel.tabs.setCurrentIndex(LIST_NAMES.index(name))  # type: ignore[arg-type]
    page = panel.current_page()
    selection = page.view.selectionModel()
    selection.clear()
    for row in range(page.model.rowCount()):
        if page.model.index(row, 0).data(SITE_ID_ROLE) in site_ids:
            flags = (
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            )
            selection.select(page.model.index(row, 0), flags)


def test_pinned_rows_say_pinned_and_unpin(
    qtbot: QtBot, panel: ListsPanel, pinned_site: str
) -> None:
    model = panel.pages["block"].model
    rows = [r for r in range(model.rowCount()) if model.index(r, 0).data(PINNED_ROLE)]
    assert [model.index(r, 0).data(SITE_ID_ROLE) for r in rows] == [pinned_site]
    assert model.index(rows[0], ListMembersModel.SOURCE).data() == "pinned: brand safety"
    other = model.index((rows[0] + 1) % model.rowCount(), ListMembersModel.SOURCE)
    assert other.data() == "recommended"

    other_id = str(model.index(other.row(), 0).data(SITE_ID_ROLE))
    _select(panel, "block", {pinned_site, other_id})
    with qtbot.waitSignal(panel.unpin_requested) as blocker:
        panel.unpin_action.trigger()
    assert blocker.args == [[pinned_site]]  # only pinned rows can lose a pin


def test_pin_actions_ask_for_a_reason(
    qtbot: QtBot, panel: ListsPanel, lists: SiteLists, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *a, **k: ("  made for ads ", True))
    )
    chosen = {str(i) for i in lists.members("monitor").index[:3]}
    _select(panel, "monitor", chosen)
    with qtbot.waitSignal(panel.pin_requested) as blocker:
        panel.pin_block_action.trigger()
    ids, action, reason = blocker.args
    assert set(ids) == chosen
    assert (action, reason) == ("block", "made for ads")

    with qtbot.waitSignal(panel.pin_requested) as blocker:
        panel.pin_allow_action.trigger()
    assert blocker.args[1] == "allow"

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    with qtbot.assertNotEmitted(panel.pin_requested):
        panel.pin_block_action.trigger()


def test_export_button_emits_the_folder(
    qtbot: QtBot, panel: ListsPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path))
    )
    assert panel.export_button.isEnabled()
    with qtbot.waitSignal(panel.export_requested) as blocker:
        qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(tmp_path)]

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    with qtbot.assertNotEmitted(panel.export_requested):
        panel.export_button.click()
    panel.clear()
    assert not panel.export_button.isEnabled()
    assert all(page.model.rowCount() == 0 for page in panel.pages.values())


def test_palette_switch_recolours(
    detail: SiteDetailPanel, panel: ListsPanel, result: ScoreResult, flagged_site: str
) -> None:
    from caliber_desktop.ui.shared.theme import dark_palette

    detail.show_site(explain_site(result, flagged_site))
    before = detail.contribution_chart.bars.opts["brushes"][0].color().name()
    detail.setPalette(dark_palette())
    panel.setPalette(dark_palette())
    assert detail.contribution_chart.bars.opts["brushes"][0].color().name() != before
    assert detail.metrics_table.rowCount() > 0
    warning = panel.pages["block"].warning_label
    assert warning.text()
    assert tone_colour(dark_palette(), "warn").name() in warning.styleSheet()


def test_vendor_level_counts_vendor_files(panel: ListsPanel, lists: SiteLists) -> None:
    panel.set_lists(lists, vendor_level=True)
    blocked = lists.files(level_vendor=True)["blocklist_vendors.txt"].count("\n")
    assert f"{blocked:,} to block" in panel.files_label.text()
