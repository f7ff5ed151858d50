"""The window by keyboard and screen reader: shortcuts, Tab in reading order, names, focus shown.

Run on the scored sample with a site open, so the results, the site detail and the lists are
full; in the light palette and in the app's dark one (Fusion, as on Linux).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QGraphicsView,
    QLabel,
    QProgressBar,
    QWidget,
)
from pytestqt.qtbot import QtBot
from support.keyboard import (
    focus_not_shown,
    focused,
    fusion,
    press,
    spoken_name,
    tab_stops,
    tab_walk,
    unnamed,
)
from support.window_steps import idle, open_first_site, open_scored_sample, show_dock

from caliber_desktop.ui.mainwindow.actions import focus_dock
from caliber_desktop.ui.mainwindow.window import MainWindow

TIMEOUT = 60_000


@pytest.fixture
def scored(window: MainWindow, qtbot: QtBot) -> MainWindow:
    """The sample scored at 1366×768, its first site open, the window active."""
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(1366, 768)
    open_scored_sample(window, qtbot)
    open_first_site(window, qtbot)
    window.activateWindow()
    qtbot.waitActive(window)
    return window


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The Fusion style with the default (light) palette or the app's dark one."""
    with fusion(qapp, request.param):
        yield request.param


# --------------------------------------------------------------------------- shortcuts


def test_every_command_has_a_key_and_none_clash(window: MainWindow) -> None:
    actions = window.actions_
    standard = QKeySequence.StandardKey
    assert actions.cancel_score.shortcut() == QKeySequence.keyBindings(standard.Cancel)[0]
    assert not actions.settings.shortcut().isEmpty()  # ⌘, on macOS, Ctrl+, elsewhere
    assert [a.shortcut().toString() for a in actions.go_to[:3]] == ["Ctrl+1", "Ctrl+2", "Ctrl+3"]
    assert [a.text() for a in actions.go_to[:3]] == ["Campaigns", "Site detail", "Lists"]
    seen: dict[str, str] = {}
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        assert "&" in menu_action.text(), f"menu {menu_action.text()} has no mnemonic"
        for action in menu.actions():
            for sub in action.menu().actions() if action.menu() else [action]:
                for keys in sub.shortcuts():
                    key = keys.toString()
                    assert key not in seen, f"{key}: {seen.get(key)} and {sub.text()}"
                    seen[key] = sub.text()
    for name in ("Ctrl+O", "Ctrl+N", "Ctrl+F", "Ctrl+E", "Ctrl+Return", "Esc", "F5"):
        assert name in seen, f"no command on {name}"


def test_go_to_puts_the_focus_in_a_dock(scored: MainWindow) -> None:
    actions = scored.actions_
    actions.go_to[0].trigger()
    assert scored.campaigns_dock.isAncestorOf(focused())
    actions.go_to[2].trigger()  # Lists: behind Site detail, brought to the front
    assert scored.lists_dock.isAncestorOf(focused())
    assert scored.lists_dock.isVisible()
    empty = QDockWidget("Empty", scored)
    assert focus_dock(empty) is None
    empty.deleteLater()


def test_escape_cancels_scoring(scored: MainWindow, qtbot: QtBot) -> None:
    campaign = scored.campaigns_panel.current_campaign()
    assert campaign is not None
    scored.results_panel.search_edit.setFocus()
    with qtbot.waitSignal(scored.workbench.scoring_finished, timeout=TIMEOUT) as finished:
        scored.workbench.score(campaign.id)
        assert scored.actions_.cancel_score.isEnabled()
        press(Qt.Key.Key_Escape)
    assert finished.args == [False]  # cancelled: the previous results stay
    idle(scored, qtbot)
    assert not scored.actions_.cancel_score.isEnabled()


# --------------------------------------------------------------------------- Tab


def test_tab_visits_every_control_in_reading_order(scored: MainWindow) -> None:
    campaigns, results = scored.campaigns_panel, scored.results_panel
    walk = tab_walk(campaigns.search)
    assert set(walk) == set(tab_stops(scored))  # every enabled control, none twice
    reading = [
        campaigns.search,  # the left dock, top to bottom
        campaigns.status_filter,
        campaigns.table,
        campaigns.new_button,
        results.search_edit,  # then the page in the middle
        results.recommendation_combo,
        results.quality_combo,
        results.flag_combo,
        results.min_impressions_spin,
        results.view,
        scored.detail_panel.metrics_table,  # then the right dock
    ]
    positions = [walk.index(widget) for widget in reading]
    assert positions == sorted(positions), [spoken_name(walk[i]) for i in positions]
    status = [w for w in walk if scored.statusBar().isAncestorOf(w)]
    assert walk[-len(status) :] == status  # the status bar comes last
    assert tab_walk(campaigns.search, backwards=True) == [walk[0], *reversed(walk[1:])]


def test_tables_let_tab_move_on(scored: MainWindow) -> None:
    view = scored.results_panel.view
    view.setFocus()
    assert press(Qt.Key.Key_Tab) is not view


# --------------------------------------------------------------------------- names


def test_every_control_and_chart_has_a_name(scored: MainWindow) -> None:
    controls = tab_stops(scored)
    charts = [w for w in scored.findChildren(QGraphicsView) if w.isVisible()]
    status = [  # what the status bar says or offers (the size grip is for the mouse)
        w
        for w in scored.statusBar().findChildren(QWidget)
        if w.isVisible()
        and (isinstance(w, QLabel | QAbstractButton | QProgressBar) or w in controls)
    ]
    bars = [w for w in scored.lists_panel.findChildren(QWidget) if type(w).__name__ == "ShareBar"]
    assert len(charts) >= 3  # the histogram, the scatter and the site's contributions
    assert bars
    everything = [*controls, *charts, *status, *bars]
    assert not unnamed(everything)
    assert all("%" in b.accessibleDescription() for b in bars if b.isVisible())


def test_the_assistant_docks_are_named_and_show_focus(
    scored: MainWindow, qtbot: QtBot, palette: str
) -> None:
    """The Insights and Assistant docks sit behind the Site detail tab: raise each, then check."""
    for dock in (scored.assistant.insights_dock, scored.assistant.chat_dock):
        show_dock(scored, dock, qtbot)
        controls = [w for w in tab_stops(scored) if dock.isAncestorOf(w)]
        assert len(controls) >= 3, dock.windowTitle()
        assert not unnamed(controls), dock.windowTitle()
        assert not focus_not_shown(controls), (dock.windowTitle(), palette)
    assert scored.assistant.insights_panel.list.accessibleName() == "Insights"
    assert scored.assistant.chat_panel.input.accessibleName() == "Your message"


def test_names_say_what_a_control_is(scored: MainWindow) -> None:
    results, campaigns = scored.results_panel, scored.campaigns_panel
    assert results.search_edit.accessibleName() == "Search sites"
    assert results.view.accessibleName() == "Site scores"
    assert campaigns.search.accessibleName() == "Search campaigns"
    assert results.recommendation_combo.accessibleName() == "Recommendation"
    assert results.min_impressions_spin.accessibleName() == "Impressions"


# --------------------------------------------------------------------------- focus


def test_the_focused_control_is_visible_in_light_and_dark(scored: MainWindow, palette: str) -> None:
    QApplication.processEvents()
    controls = tab_stops(scored)
    assert len(controls) > 10
    assert not focus_not_shown(controls), palette
