"""The main window: menus, status bar, docks, and the start-up jobs.

Panels (campaign detail, results, lists, insights, chat) are added later as docks or central
pages; the window only wires them to the workspace and the worker registry. All work happens on
workers: the window starts jobs and puts their results into widgets, and never touches the store
on the GUI thread except for the About box's one-row schema lookup.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QScreen,
)
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QWidget

from caliber_desktop.services.records import CampaignRecord, Page
from caliber_desktop.services.sample import seed_sample
from caliber_desktop.services.workspace import Workspace
from caliber_desktop.ui.about import show_about
from caliber_desktop.ui.activity import ActivityDock
from caliber_desktop.ui.common import app_icon, error_box
from caliber_desktop.ui.welcome import WelcomePanel
from caliber_desktop.workers.base import ErrorInfo, FunctionWorker
from caliber_desktop.workers.registry import WorkerRegistry

log = logging.getLogger(__name__)

#: Campaigns listed on the start page (newest first); search and paging come with the panel.
CAMPAIGN_PAGE = 200
#: Share of the screen a first window takes before the user sizes it.
FIRST_RUN_SCREEN_SHARE = 0.75
GEOMETRY_KEY = "mainWindow/geometry"
STATE_KEY = "mainWindow/state"
#: Bump when docks change so an old saved layout is not applied to a different set of docks.
STATE_VERSION = 1


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
        self.startup_complete = False
        self.setObjectName("mainWindow")
        self.setWindowTitle("Caliber Desktop")
        self.setWindowIcon(app_icon())

        self.welcome = WelcomePanel(self)
        self.setCentralWidget(self.welcome)
        self.activity = ActivityDock(registry, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity)
        self._build_menus()
        self._build_status_bar()

        registry.failed.connect(self.report_error)
        registry.job_added.connect(self._on_job_added)
        registry.drained.connect(self._on_drained)

        # QSettings only for geometry (rule 9), in the data dir, never the registry or real home.
        self.window_state = QSettings(
            str(workspace.paths.qt_state), QSettings.Format.IniFormat, self
        )
        self._restore_window_state()

    # ------------------------------------------------------------------ building
    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        self.open_data_action = QAction("Open &Data Folder", self)
        self.open_data_action.triggered.connect(self._open_data_folder)
        file_menu.addAction(self.open_data_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
        # Windows defines no standard Quit shortcut; Ctrl+Q is what users of other apps expect.
        self.quit_action.setShortcuts(quit_keys or [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        view_menu = menu_bar.addMenu("&View")
        view_menu.addAction(self.activity.toggleViewAction())
        view_menu.addSeparator()
        self.refresh_action = QAction("&Refresh Campaigns", self)
        self.refresh_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(self.refresh_campaigns)
        view_menu.addAction(self.refresh_action)

        help_menu = menu_bar.addMenu("&Help")
        self.about_action = QAction("&About Caliber", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _build_status_bar(self) -> None:
        user = self.workspace.user
        if user.is_local:
            who = f"Local profile: {user.display_name}"
            tip = "Caliber runs with one local profile because sign-in is not configured."
        else:
            who = f"Signed in as {user.label}"
            tip = "Every campaign and template you see belongs to this account."
        self.profile_label = QLabel(who, self)
        self.profile_label.setObjectName("profileLabel")
        self.profile_label.setToolTip(tip)
        root = str(self.workspace.paths.root)
        self.data_dir_label = QLabel(f"Data: {root}", self)
        self.data_dir_label.setObjectName("dataDirLabel")
        self.data_dir_label.setToolTip(f"Your campaigns, files and logs are kept in {root}")
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        status = self.statusBar()
        status.addPermanentWidget(self.profile_label)
        status.addPermanentWidget(self.data_dir_label)

    # ------------------------------------------------------------------ start-up and loading
    def start_up(self) -> None:
        """Offer the sample campaign (a store write, so on the DB lane), then list campaigns."""
        self.welcome.show_loading()
        worker = FunctionWorker(seed_sample, self.workspace, title="Adding the sample campaign")
        self.registry.start(
            worker,
            self.registry.db_lane(),
            key="seed-sample",
            on_result=self._on_seeded,
            on_error=self._on_seed_failed,
        )

    @Slot()
    def refresh_campaigns(self) -> None:
        """Reload the campaign list; a newer reload supersedes one still running."""
        worker = FunctionWorker(
            self.workspace.campaigns.list, limit=CAMPAIGN_PAGE, title="Loading campaigns"
        )
        self.registry.start(
            worker,
            key="campaigns",
            on_result=self._on_campaigns,
            on_error=self._on_campaigns_failed,
        )

    def _on_seeded(self, campaign: Any) -> None:
        if isinstance(campaign, CampaignRecord):
            self.statusBar().showMessage(f"Added {campaign.name}", 10_000)
        self.refresh_campaigns()

    def _on_seed_failed(self, info: ErrorInfo) -> None:
        self.report_error(info)
        self.refresh_campaigns()

    def _on_campaigns(self, page: Any) -> None:
        if isinstance(page, Page):
            self.welcome.show_campaigns(page)
        self.campaigns_loaded.emit()
        self._finish_startup()

    def _on_campaigns_failed(self, info: ErrorInfo) -> None:
        self.welcome.show_error(info.message)
        self.report_error(info)
        self._finish_startup()

    def _finish_startup(self) -> None:
        if not self.startup_complete:
            self.startup_complete = True
            self.startup_finished.emit()

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
    def _open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.workspace.paths.root)))

    @Slot(str, str)
    def _on_job_added(self, _job_id: str, title: str) -> None:
        self.statusBar().showMessage(f"{title}…")

    @Slot()
    def _on_drained(self) -> None:
        self.statusBar().clearMessage()

    # ------------------------------------------------------------------ window state
    def _restore_window_state(self) -> None:
        geometry = self.window_state.value(GEOMETRY_KEY)
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self._size_for_first_run()
        state = self.window_state.value(STATE_KEY)
        if not (isinstance(state, QByteArray) and self.restoreState(state, STATE_VERSION)):
            self.resizeDocks(
                [self.activity], [self.activity.preferred_height()], Qt.Orientation.Vertical
            )

    def _size_for_first_run(self) -> None:
        # Typed as never None, but a headless session can have no screen at all.
        screen: QScreen | None = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        self.resize(
            round(available.width() * FIRST_RUN_SCREEN_SHARE),
            round(available.height() * FIRST_RUN_SCREEN_SHARE),
        )
        self.move(available.center() - self.rect().center())

    def save_window_state(self) -> None:
        self.window_state.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.window_state.setValue(STATE_KEY, self.saveState(STATE_VERSION))
        self.window_state.sync()
        if self.window_state.status() is not QSettings.Status.NoError:
            log.warning("could not save the window layout to %s", self.window_state.fileName())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_window_state()
        super().closeEvent(event)
