"""The AI assistant in the main window: the Insights and Assistant docks and the status-bar line.

Kept out of ``main_window.py`` so the window stays a layout: this object builds the two docks
(tabbed with Site detail and Lists on the right), binds them to what the window has open — the
campaign chosen in the list or just scored, and the site selected in the results — and keeps the
AI status line current: at start-up, after Settings closes and after every AI job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget

from caliber_desktop.ui.assistant.chat import ChatPanel
from caliber_desktop.ui.assistant.insights import InsightsPanel
from caliber_desktop.ui.assistant.status import AIStatusWidget
from caliber_desktop.ui.settings.dialog import SettingsDialog

if TYPE_CHECKING:
    from caliber_desktop.ui.mainwindow.actions import WindowActions
    from caliber_desktop.ui.mainwindow.window import MainWindow


class AssistantDocks(QObject):
    """Builds and wires the AI parts of ``window``; create it after the workbench."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        workspace, registry = window.workspace, window.registry
        self.insights_panel = InsightsPanel(workspace, registry, window)
        self.insights_dock = self._dock("Insights", "insightsDock", self.insights_panel)
        self.chat_panel = ChatPanel(workspace, registry, window)
        self.chat_dock = self._dock("Assistant", "chatDock", self.chat_panel)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in (self.insights_dock, self.chat_dock):
            window.addDockWidget(right, dock)
            window.tabifyDockWidget(window.lists_dock, dock)
        window.detail_dock.raise_()

        self.status = AIStatusWidget(workspace, registry, window)
        window.statusBar().addPermanentWidget(self.status)

        bench = window.workbench
        window.campaigns_panel.campaign_selected.connect(self._on_campaign_selected)
        bench.run_loaded.connect(self._on_run_loaded)
        window.campaigns_loaded.connect(self._on_campaigns_loaded)
        window.results_panel.site_activated.connect(self.insights_panel.set_site)
        window.startup_finished.connect(self.status.refresh)
        self.insights_panel.ai_used.connect(self.status.refresh)
        self.chat_panel.ai_used.connect(self.status.refresh)
        self.status.settings_requested.connect(self._open_settings)

    def _dock(self, title: str, name: str, panel: Any) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        # Small enough that the window still fits a small screen (the panels scroll and
        # squeeze inside); the first-run layout gives the right-hand docks a real width.
        metrics = panel.fontMetrics()
        panel.setMinimumSize(metrics.averageCharWidth() * 24, metrics.lineSpacing() * 10)
        dock.setWidget(panel)
        return dock

    def connect_actions(self, actions: WindowActions) -> None:
        """Refresh the status whenever the Settings dialog closes (key, endpoint or model)."""
        actions.settings.triggered.connect(self._watch_settings_dialog)

    # ------------------------------------------------------------------ following the window
    def _campaign_name(self, campaign_id: int) -> str:
        record = self.window.workbench.campaigns.get(campaign_id)
        return record.name if record is not None else ""

    @Slot(int)
    def _on_campaign_selected(self, campaign_id: int) -> None:
        self.insights_panel.set_campaign(campaign_id, self._campaign_name(campaign_id))
        self.chat_panel.follow_campaign(campaign_id)

    @Slot(object)
    def _on_run_loaded(self, loaded: object) -> None:
        campaign_id = getattr(loaded, "campaign_id", None)
        if isinstance(campaign_id, int):
            self._on_campaign_selected(campaign_id)

    @Slot()
    def _on_campaigns_loaded(self) -> None:
        bench = self.window.workbench
        listed = [(c.id, c.name) for c in bench.campaigns.values()]
        search, status = self.window.campaigns_panel.query()
        if search or status is not None:  # a filtered list: keep the contexts not shown now
            shown = {cid for cid, _ in listed}
            combo = self.chat_panel.context_combo
            for row in range(combo.count()):
                cid = combo.itemData(row)
                if isinstance(cid, int) and cid not in shown:
                    listed.append((cid, combo.itemText(row)))
        self.chat_panel.set_campaigns(listed)
        current = bench.campaign_id
        if current is None:
            self.insights_panel.set_campaign(None)
        else:
            self.insights_panel.set_campaign(current, self._campaign_name(current))
            self.chat_panel.follow_campaign(current)

    # ------------------------------------------------------------------ settings
    @Slot()
    def _open_settings(self) -> None:
        self.window.actions_.settings.trigger()

    @Slot()
    def _watch_settings_dialog(self) -> None:
        dialogs = self.window.findChildren(SettingsDialog)
        if dialogs:
            # After the window saved the settings (``accepted`` runs first) and rebound the
            # services: the next event-loop turn sees the new ``workspace.ai``.
            dialogs[-1].finished.connect(self._refresh_soon)

    @Slot()
    def _refresh_soon(self) -> None:
        QTimer.singleShot(0, self.status, self.status.refresh)
