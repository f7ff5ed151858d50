"""The AI assistant in the main window: the Insights and Assistant docks and the status-bar line.

Kept out of the main window so the window stays a layout: this object builds the two docks
(tabbed with Site detail and Lists on the right), follows what the window has open — the
campaign chosen in the list or just scored, and the site selected in the results — and keeps the
AI status line current: at start-up, after Settings closes and after every AI job. The window
connects its signals to the ``follow_*`` slots and :meth:`refresh_status_soon`; this module sees
the window only as a ``QMainWindow`` plus the two Protocols below (``ui/assistant`` never imports
``ui/mainwindow`` or ``ui/settings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget, QMainWindow

from caliber_desktop.ui.assistant.chat import ChatPanel
from caliber_desktop.ui.assistant.insights import InsightsPanel
from caliber_desktop.ui.assistant.status import AIStatusWidget

if TYPE_CHECKING:
    from caliber_desktop.services.records import CampaignRecord
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.workers.registry import WorkerRegistry


class OpenCampaigns(Protocol):
    """The campaigns last listed and the one open (the workbench)."""

    @property
    def campaigns(self) -> Mapping[int, CampaignRecord]: ...

    @property
    def campaign_id(self) -> int | None: ...


class CampaignFilter(Protocol):
    """The search text and status filter of the campaign list."""

    def query(self) -> tuple[str, object]: ...


class AssistantDocks(QObject):
    """Builds the AI docks into ``window``, tabbed with ``tab_with``; ``front`` stays raised."""

    #: the status line's "Settings…" link was clicked
    settings_requested = Signal()

    def __init__(
        self,
        window: QMainWindow,
        workspace: Workspace,
        registry: WorkerRegistry,
        *,
        opened: OpenCampaigns,
        campaign_filter: CampaignFilter,
        tab_with: QDockWidget,
        front: QDockWidget,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.opened = opened
        self.campaign_filter = campaign_filter
        self.insights_panel = InsightsPanel(workspace, registry, window)
        self.insights_dock = self._dock("Insights", "insightsDock", self.insights_panel)
        self.chat_panel = ChatPanel(workspace, registry, window)
        self.chat_dock = self._dock("Assistant", "chatDock", self.chat_panel)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in (self.insights_dock, self.chat_dock):
            window.addDockWidget(right, dock)
            window.tabifyDockWidget(tab_with, dock)
        front.raise_()

        self.status = AIStatusWidget(workspace, registry, window)
        window.statusBar().addPermanentWidget(self.status)

        self.insights_panel.ai_used.connect(self.status.refresh)
        self.chat_panel.ai_used.connect(self.status.refresh)
        self.status.settings_requested.connect(self.settings_requested)

    def _dock(self, title: str, name: str, panel: Any) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        # Small enough that the window still fits a small screen (the panels scroll and
        # squeeze inside); the first-run layout gives the right-hand docks a real width.
        metrics = panel.fontMetrics()
        panel.setMinimumSize(metrics.averageCharWidth() * 24, metrics.lineSpacing() * 10)
        dock.setWidget(panel)
        return dock

    # ------------------------------------------------------------------ following the window
    def _campaign_name(self, campaign_id: int) -> str:
        record = self.opened.campaigns.get(campaign_id)
        return record.name if record is not None else ""

    @Slot(int)
    def follow_campaign(self, campaign_id: int) -> None:
        """A campaign was chosen in the list (or a run of it shown): talk about it."""
        self.insights_panel.set_campaign(campaign_id, self._campaign_name(campaign_id))
        self.chat_panel.follow_campaign(campaign_id)

    @Slot(object)
    def follow_run(self, loaded: object) -> None:
        campaign_id = getattr(loaded, "campaign_id", None)
        if isinstance(campaign_id, int):
            self.follow_campaign(campaign_id)

    @Slot(str)
    def follow_site(self, site_id: str) -> None:
        self.insights_panel.set_site(site_id)

    @Slot()
    def follow_campaign_list(self) -> None:
        """The campaign list was reloaded: offer those campaigns as the chat's contexts."""
        bench = self.opened
        listed = [(c.id, c.name) for c in bench.campaigns.values()]
        search, status = self.campaign_filter.query()
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

    # ------------------------------------------------------------------ status
    @Slot()
    def refresh_status(self) -> None:
        self.status.refresh()

    @Slot()
    def refresh_status_soon(self) -> None:
        """Settings closed (key, endpoint or model may have changed): refresh the status line.

        On the next event-loop turn, after the window saved the settings and rebound the
        services, so the refresh sees the new ``workspace.ai``.
        """
        QTimer.singleShot(0, self.status, self.status.refresh)
