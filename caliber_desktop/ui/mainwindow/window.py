"""The main window: docks, menus, toolbar, status bar, drag and drop, and the start-up jobs.

The window lays the panels out and turns menu and toolbar actions into intents; the
:class:`~caliber_desktop.ui.mainwindow.workbench.Workbench` runs them as jobs. All work happens on
workers: the window never touches the store on the GUI thread except for the About box's schema
lookup. It is the composition root of its helpers: it builds them, hands each only what its
Protocol (:mod:`~caliber_desktop.ui.mainwindow.api`) names and connects them; none imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from caliber_desktop.services.auth.service import Session
from caliber_desktop.services.records import CampaignRecord, UserRef
from caliber_desktop.services.scoring.sniff import REPORT_SUFFIXES
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.account.menu import AccountMenu, OfflineBanner, with_banner
from caliber_desktop.ui.assistant.docks import AssistantDocks
from caliber_desktop.ui.campaigns.panel import CampaignsPanel
from caliber_desktop.ui.lists.panel import ListsPanel
from caliber_desktop.ui.lists.prepared import PreparedLists, is_vendor_level
from caliber_desktop.ui.mainwindow.about import show_about
from caliber_desktop.ui.mainwindow.actions import WindowActions
from caliber_desktop.ui.mainwindow.activity import ActivityDock
from caliber_desktop.ui.mainwindow.jobs import AnalystJobs
from caliber_desktop.ui.mainwindow.jobs_indicator import JobsIndicator
from caliber_desktop.ui.mainwindow.keyboard import next_in_reading_order
from caliber_desktop.ui.mainwindow.layout import WindowLayout
from caliber_desktop.ui.mainwindow.welcome import WelcomePanel
from caliber_desktop.ui.mainwindow.workbench import Workbench
from caliber_desktop.ui.results.panel import ResultsPanel
from caliber_desktop.ui.results.prepared import PreparedResults
from caliber_desktop.ui.settings.housekeeping import Housekeeper
from caliber_desktop.ui.shared.common import app_icon
from caliber_desktop.ui.shared.errors import error_box
from caliber_desktop.ui.shared.turns import Turns
from caliber_desktop.ui.site.detail import SiteDetailPanel
from caliber_desktop.workers import account, startup
from caliber_desktop.workers.base import ErrorInfo
from caliber_desktop.workers.registry import WorkerRegistry
from caliber_desktop.workers.scoring import LoadedRun

if TYPE_CHECKING:
    from caliber_desktop.services.auth.secrets import SecretStore
    from caliber_desktop.services.auth.service import AuthService

log = logging.getLogger(__name__)

#: Window-state key: the analyst opened the Background jobs dock (absent in older saved states).
JOBS_DOCK_KEY = "mainWindow/jobsDockShown"
#: Runs with more sites are shown over a few turns of the event loop (see show_run).
STAGED_SITES = 20_000

#: What the file dialog and drag and drop offer (content decides; this only filters the list).


class MainWindow(QMainWindow):
    """The shell every panel lives in; build it with a workspace and the GUI's registry."""

    #: the campaign list was (re)loaded and shown
    campaigns_loaded = Signal()
    #: the start-up jobs (sample seeding, first campaign load) are over, successfully or not
    startup_finished = Signal()
    #: an :class:`ErrorInfo` the window showed to the user
    error_reported = Signal(object)

    def __init__(
        self, workspace: Workspace, registry: WorkerRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.registry = registry
        #: the sign-in service when Firebase is configured (set by the app), else None
        self.auth: AuthService | None = None
        self.startup_complete = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("Caliber Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )

        self.welcome = WelcomePanel(self)
        self.results_panel = ResultsPanel(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.results_panel)
        self.offline_banner = OfflineBanner(self)
        self.setCentralWidget(with_banner(self.pages, self.offline_banner))

        self.campaigns_panel = CampaignsPanel(self)
        self.campaigns_dock = self._dock("Campaigns", "campaignsDock", self.campaigns_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.campaigns_dock)
        self.detail_panel = SiteDetailPanel(self)
        self.detail_dock = self._dock("Site detail", "detailDock", self.detail_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.detail_dock)
        self.lists_panel = ListsPanel(self)
        self.lists_dock = self._dock("Lists", "listsDock", self.lists_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.lists_dock)
        self.tabifyDockWidget(self.detail_dock, self.lists_dock)
        self.detail_dock.raise_()
        #: a big run is shown over a few turns of the event loop (see :meth:`show_run`)
        self._showing = Turns(self)
        #: the analyst's jobs (not the app's bookkeeping): the status bar's indicator and the dock
        self.analyst_jobs = AnalystJobs(registry, self)
        #: the longer list of those jobs, hidden until the analyst opens it (View menu)
        self.activity = ActivityDock(self.analyst_jobs, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity)
        self.activity.hide()

        self.workbench = Workbench(
            workspace,
            registry,
            window=self,
            campaign_list=self.campaigns_panel,
            overview=self.welcome,
            detail=self.detail_panel,
            parent=self,
        )
        self.workbench.campaigns_listed.connect(self.campaigns_loaded)
        #: File › Clean Up Data Folder… and the clean-up at start-up
        self.housekeeper = Housekeeper(workspace, registry, self)
        #: the Insights and Assistant docks and the AI status line
        self.assistant = self._build_assistant()
        self.actions_ = WindowActions(
            self,
            self,
            self.workbench,
            self.campaigns_panel,
            workspace=workspace,
            registry=registry,
            clean_up=self.housekeeper.clean_up,
            view_docks=(
                self.campaigns_dock,
                self.detail_dock,
                self.lists_dock,
                self.assistant.insights_dock,
                self.assistant.chat_dock,
                self.activity,
            ),
        )
        self.workbench.run_available.connect(self.actions_.set_run_available)
        self.assistant.settings_requested.connect(self.actions_.settings.trigger)
        self.actions_.settings_closed.connect(self.assistant.refresh_status_soon)
        self.account = AccountMenu(self)
        self.account.install(self.menuBar())
        #: the OS keyring (set by the app; Settings › OpenAI API key uses it)
        self.secrets: SecretStore | None = None
        self._build_status_bar()
        self._connect()

        registry.failed.connect(self.report_error)

        self.layout_keeper = WindowLayout(
            self,
            workspace.paths.qt_state,
            left=self.campaigns_dock,
            right=self.detail_dock,
            bottom=self.activity,
        )
        self.layout_keeper.restore()
        self._restore_jobs_dock()

    # ------------------------------------------------------------------ building
    def _dock(self, title: str, name: str, panel: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(panel)
        return dock

    def _build_assistant(self) -> AssistantDocks:
        """The AI docks, tabbed on the right, following the campaign, run and site shown."""
        docks = AssistantDocks(
            self,
            self.workspace,
            self.registry,
            opened=self.workbench,
            campaign_filter=self.campaigns_panel,
            tab_with=self.lists_dock,
            front=self.detail_dock,
        )
        self.campaigns_panel.campaign_selected.connect(docks.follow_campaign)
        self.workbench.run_loaded.connect(docks.follow_run)
        self.campaigns_loaded.connect(docks.follow_campaign_list)
        self.results_panel.site_activated.connect(docks.follow_site)
        self.startup_finished.connect(docks.refresh_status)
        return docks

    # Old names the rest of the app and its tests use.
    @property
    def quit_action(self) -> QAction:
        return self.actions_.quit

    @property
    def about_action(self) -> QAction:
        return self.actions_.about

    @property
    def refresh_action(self) -> QAction:
        return self.actions_.refresh

    def _build_status_bar(self) -> None:
        self.profile_label = QLabel(self)
        self.profile_label.setObjectName("profileLabel")
        self._show_user()
        root = str(self.workspace.paths.root)
        # A long profile path (C:\Users\<name>\AppData\Local\…) must not widen the window past
        # a laptop screen: the middle is elided; the tooltip has it whole.
        shown = self.fontMetrics().elidedText(
            root, Qt.TextElideMode.ElideMiddle, self.fontMetrics().averageCharWidth() * 36
        )
        self.data_dir_label = QLabel(f"Data: {shown}", self)
        self.data_dir_label.setObjectName("dataDirLabel")
        self.data_dir_label.setToolTip(f"Your campaigns, files and logs are kept in {root}")
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The analyst's running work (scoring among it) with its progress; a popup lists it with
        # Cancel. Permanent, so a passing status message never hides it.
        self.jobs_indicator = JobsIndicator(self.analyst_jobs, self)
        self.show_jobs_action = QAction("Show Background &Jobs…", self)
        self.show_jobs_action.setObjectName("showJobs")
        self.show_jobs_action.setShortcut(QKeySequence("Ctrl+J"))
        self.show_jobs_action.triggered.connect(self._show_jobs)
        self.actions_.view_menu.insertAction(
            self.activity.toggleViewAction(), self.show_jobs_action
        )
        status = self.statusBar()
        status.addPermanentWidget(self.jobs_indicator)
        status.addPermanentWidget(self.profile_label)
        status.addPermanentWidget(self.data_dir_label)
        self._show_scoring(False)

    def _show_user(self) -> None:
        user = self.workspace.user
        if user.is_local:
            who = f"Local profile: {user.display_name}"
            tip = "Caliber runs with one local profile because sign-in is not configured."
        else:
            who = f"Signed in as {user.label}"
            tip = "Every campaign and template you see belongs to this account."
        self.profile_label.setText(who)
        self.profile_label.setToolTip(tip)

    @Slot(object)
    def on_session_changed(self, session: object) -> None:
        """Another analyst signed in (or the same one again): show only their campaigns."""
        auth = self.auth
        if auth is None or not isinstance(session, Session):
            return
        self.registry.start(
            account.open_user(auth, session),
            on_result=self._bind_user,
            on_error=self.report_error,
        )

    def _bind_user(self, user: object) -> None:
        if not isinstance(user, UserRef):
            return
        self.workspace.bind(user)
        self._show_user()
        self.workbench.campaign_id = None
        self.workbench.loaded = None
        self.workbench.run_available.emit(False)
        self.clear_results()
        self.refresh_campaigns()

    def _connect(self) -> None:
        bench, panel = self.workbench, self.campaigns_panel
        panel.campaign_selected.connect(bench.open_campaign)
        panel.query_changed.connect(bench.set_query)
        panel.new_campaign_requested.connect(self.actions_.new_campaign.trigger)
        panel.import_requested.connect(self.import_into)
        panel.score_requested.connect(bench.score)
        panel.delete_requested.connect(bench.delete_campaign)
        panel.rename_requested.connect(bench.rename_campaign)
        self.welcome.sample_requested.connect(self.try_sample)
        self.results_panel.site_activated.connect(bench.show_site)
        self.results_panel.pin_requested.connect(bench.pin)
        self.results_panel.unpin_requested.connect(bench.unpin)
        self.lists_panel.pin_requested.connect(bench.pin)
        self.lists_panel.unpin_requested.connect(bench.unpin)
        self.lists_panel.export_requested.connect(bench.export)
        self.registry.changed.connect(bench.on_changed)
        bench.scoring_started.connect(lambda _id: self._show_scoring(True))
        bench.scoring_finished.connect(lambda _ok: self._show_scoring(False))

    # ------------------------------------------------------------------ start-up and loading
    def start_up(self) -> None:
        """Offer the sample campaign (a store write, so on the DB lane), then list campaigns."""
        self.welcome.show_loading()
        worker = startup.start_up(self.workspace, cleaned=self.housekeeper.startup_reports)
        self.registry.start(
            worker,
            key="seed-sample",
            on_result=self._on_seeded,
            on_error=self._on_seed_failed,
        )
        self.campaigns_loaded.connect(self._finish_startup)

    @Slot()
    def refresh_campaigns(self) -> None:
        """Reload the campaign list; a newer reload supersedes one still running."""
        self.workbench.refresh_campaigns()

    def _on_seeded(self, campaign: Any) -> None:
        """The list then loads on the registry's ``changed`` (the start-up job declares it)."""
        self.housekeeper.announce_startup()  # says something only if files were removed
        if isinstance(campaign, CampaignRecord):
            self.statusBar().showMessage(f"Added {campaign.name}", 10_000)

    def _on_seed_failed(self, info: ErrorInfo) -> None:
        self.report_error(info)
        self.refresh_campaigns()

    @Slot()
    def _finish_startup(self) -> None:
        if not self.startup_complete:
            self.startup_complete = True
            QTimer.singleShot(0, self, self._warm_results_page)
            self.startup_finished.emit()

    @Slot()
    def _warm_results_page(self) -> None:
        """Lay out and paint the (empty, hidden) results page once, off screen.

        The first time the page replaced the welcome page, with a 100k-site run in it, its first
        layout and paint (table header, charts' axes and fonts) landed in one turn with the run:
        the window stalled up to ~70 ms right after a first scoring.
        """
        if self.pages.currentWidget() is not self.results_panel:
            self.results_panel.grab()

    # ------------------------------------------------------------------ showing runs
    def show_run(self, loaded: LoadedRun) -> None:
        """The run in the results page and the lists panel; a big run over a few turns.

        A run of more than :data:`STAGED_SITES` sites is shown in steps, each painted before the
        next (:class:`~caliber_desktop.ui.shared.turns.Turns`): the page, the results, the lists.
        """
        prepared = loaded.prepared if isinstance(loaded.prepared, PreparedResults) else None
        self.detail_panel.clear()
        self.setWindowTitle(f"Caliber Desktop — run {loaded.run.id}")
        steps: list[Callable[[], object]] = [
            lambda: self.results_panel.set_result(loaded.result, loaded.overrides, prepared),
            lambda: self._set_lists(loaded),
        ]
        if self.pages.currentWidget() is not self.results_panel:  # the page first, as it was
            steps.insert(0, lambda: self.pages.setCurrentWidget(self.results_panel))
        self._showing.run(steps)
        if len(loaded.result.sites) <= STAGED_SITES:
            self._showing.finish()

    def show_lists(self, loaded: LoadedRun) -> None:
        self._showing.finish()  # a run still being shown is shown whole first
        self._set_lists(loaded)

    def _set_lists(self, loaded: LoadedRun) -> None:
        ready = loaded.prepared_lists  # the lists panel's arrays, made on the worker
        self.lists_panel.set_lists(
            loaded.lists,
            vendor_level=is_vendor_level(loaded.result),
            prepared=ready if isinstance(ready, PreparedLists) else None,
        )

    def show_overrides(self, loaded: LoadedRun) -> None:
        """Pins changed in the open run: re-mark the results and rebuild the lists."""
        self._showing.finish()
        self.results_panel.set_overrides(loaded.overrides)
        self.show_lists(loaded)

    @Slot()
    def find_site(self) -> None:
        """View › Find Site: the results page, its search box focused and selected."""
        self.pages.setCurrentWidget(self.results_panel)
        self.results_panel.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.results_panel.search_edit.selectAll()

    def show_no_results(self, campaign: CampaignRecord) -> None:
        self.clear_results()
        self.statusBar().showMessage(
            f"{campaign.name} has not been scored yet: import a report or score it.", 10_000
        )

    def clear_results(self) -> None:
        self._showing.cancel()
        self.results_panel.clear()
        self.detail_panel.clear()
        self.lists_panel.clear()
        self.pages.setCurrentWidget(self.welcome)
        self.setWindowTitle("Caliber Desktop")

    # ------------------------------------------------------------------ import and scoring
    @Slot()
    def import_report(self) -> None:
        """File › Import: into the selected campaign (a new one is created first if none)."""
        campaign = self.campaigns_panel.current_campaign()
        if campaign is None:
            self.actions_.ask_new_campaign_then_import(None)
            return
        self.import_into(campaign.id)

    @Slot(int)
    def import_into(self, campaign_id: int, path: Path | None = None) -> None:
        campaign = self.workbench.campaigns.get(campaign_id)
        if campaign is None:
            return
        path = path or self.actions_.ask_report_file()
        if path is not None:
            self.actions_.open_import_dialog(campaign, path)

    @Slot()
    def try_sample(self) -> None:
        """The first-run path: the sample campaign (made again if deleted), scored at once."""
        self.registry.start(
            startup.prepare_sample(self.workspace),
            key="sample",
            on_result=self._score_sample,
            on_error=self.report_error,
        )

    def _score_sample(self, campaign: Any) -> None:
        if isinstance(campaign, CampaignRecord):
            self.workbench.score(campaign.id)

    def _show_scoring(self, running: bool) -> None:
        """Score and Cancel Scoring follow the job; its progress is the jobs indicator's."""
        self.actions_.cancel_score.setEnabled(running)
        self.actions_.score.setEnabled(not running)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if _dropped_report(event.mimeData().urls()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        path = _dropped_report(event.mimeData().urls())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_report(path)

    def open_report(self, path: Path) -> None:
        """Import ``path`` into the selected campaign, or ask for a new one first (as a drop)."""
        campaign = self.campaigns_panel.current_campaign()
        if campaign is None:
            self.actions_.ask_new_campaign_then_import(path)
        else:
            self.import_into(campaign.id, path)

    # ------------------------------------------------------------------ reporting
    @Slot(object)
    def report_error(self, info: object) -> None:
        """Show a failed job's error without blocking (window-modal) and announce it."""
        if not isinstance(info, ErrorInfo):
            return
        self.error_reported.emit(info)
        box = error_box(self, info, self.workspace.paths.log_file)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    @Slot()
    def show_about(self) -> QMessageBox:
        return show_about(self, self.workspace)

    @Slot()
    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.workspace.paths.root)))

    @Slot()
    def _show_jobs(self) -> None:
        """View › Show Background Jobs: the indicator's popup, even before any job ran."""
        self.jobs_indicator.show()
        self.jobs_indicator.open_popup()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 (Qt override)
        """Tab in reading order: left docks, the page, right and bottom docks, the status bar."""
        target = next_in_reading_order(self, next)
        if target is None:
            return super().focusNextPrevChild(next)
        reason = Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason
        target.setFocus(reason)
        return True

    # ------------------------------------------------------------------ window state
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.layout_keeper.on_show()

    def save_window_state(self) -> None:
        # Before save(), which syncs the file: whether the analyst chose to show the jobs dock.
        shown = self.activity.toggleViewAction().isChecked()
        self.layout_keeper.settings.setValue(JOBS_DOCK_KEY, shown)
        self.layout_keeper.save()

    def _restore_jobs_dock(self) -> None:
        """The jobs dock shows only if the analyst opened it: its own key says so.

        restoreState() brings back every dock as it was saved, and a state saved before the
        status-bar indicator existed has the dock open (it always was). Its visibility is
        therefore the analyst's choice recorded under :data:`JOBS_DOCK_KEY` by this version,
        and hidden when that key is missing; where it sits still comes from the saved state.
        """
        shown = self.layout_keeper.settings.value(JOBS_DOCK_KEY, False, type=bool)
        self.activity.setVisible(bool(shown))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_window_state()
        super().closeEvent(event)


def _dropped_report(urls: list[QUrl]) -> Path | None:
    """The first dropped local file that looks like a report (its content is checked later)."""
    for url in urls:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_file() and path.suffix.lower() in REPORT_SUFFIXES:
                return path
    return None
