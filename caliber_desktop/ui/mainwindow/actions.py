"""The main window's actions, menus and toolbar, and the dialogs they open.

Shortcuts use the platform's standard key sequences where one exists (New, Open, Find, Refresh,
Preferences, Quit, Cancel), so Ctrl+O on Windows and Linux is ⌘O on macOS; every menu item has a
mnemonic. View › Go To puts the keyboard focus in a dock (Ctrl+1…), so a keyboard user never has
to Tab through the whole window to reach it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QStyle, QToolBar, QWidget

from caliber_desktop.services.records import CampaignRecord
from caliber_desktop.services.scoring.sniff import REPORT_SUFFIXES
from caliber_desktop.ui.campaigns.dialog import NewCampaignDialog
from caliber_desktop.ui.campaigns.templates import TemplateManagerDialog
from caliber_desktop.ui.exports.dialog import ExportDialog
from caliber_desktop.ui.exports.report import ReportExporter
from caliber_desktop.ui.importing.dialog import ImportDialog
from caliber_desktop.ui.results.compare import CompareDialog
from caliber_desktop.ui.settings.dialog import SettingsDialog

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace
    from caliber_desktop.ui.mainwindow.api import CampaignJobs, CampaignSelection, WindowCommands
    from caliber_desktop.workers.registry import WorkerRegistry

REPORT_FILTER = (
    f"Performance reports ({' '.join('*' + suffix for suffix in REPORT_SUFFIXES)});;All files (*)"
)
Key = QKeySequence.StandardKey
#: Docks reachable by Ctrl+1 … Ctrl+9 (View › Go To)
GO_TO_KEYS = 9


def focus_dock(dock: QDockWidget) -> QWidget | None:
    """Show ``dock`` in front of its tab group and focus its first control (None: it has none)."""
    dock.show()
    dock.raise_()
    panel: QWidget | None = dock.widget()  # None for a dock without content
    if panel is None:
        return None
    widget = panel.nextInFocusChain()
    while widget is not panel and widget is not None:
        if (
            panel.isAncestorOf(widget)
            and widget.isVisibleTo(panel)
            and widget.isEnabled()
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return widget
        widget = widget.nextInFocusChain()
    return None


class WindowActions(QObject):
    """Every command of the window, in its menus and its toolbar.

    ``window`` is only the Qt shell the menus, toolbar and dialogs hang on; what the commands
    act on comes in as ``commands`` (the window's own), ``jobs`` (the workbench) and
    ``selection`` (the campaign list). ``view_docks`` are listed in View, in that order.
    """

    #: the Settings dialog closed, saved or not (what depends on the settings may refresh)
    settings_closed = Signal()

    def __init__(
        self,
        window: QMainWindow,
        commands: WindowCommands,
        jobs: CampaignJobs,
        selection: CampaignSelection,
        *,
        workspace: Workspace,
        registry: WorkerRegistry,
        clean_up: Callable[[], None],
        view_docks: Sequence[QDockWidget],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.commands = commands
        self.jobs = jobs
        self.selection = selection
        self.workspace = workspace
        self.registry = registry
        self.view_docks = tuple(view_docks)
        style = window.style()
        icon = style.standardIcon
        sp = QStyle.StandardPixmap
        self.new_campaign = self._action("&New Campaign…", self.new_campaign_dialog, Key.New)
        self.new_campaign.setIcon(icon(sp.SP_FileDialogNewFolder))
        self.import_ = self._action("&Import Report…", commands.import_report, Key.Open)
        self.import_.setIcon(icon(sp.SP_DialogOpenButton))
        self.score = self._action("&Score Campaign", self._score_current, "Ctrl+Return")
        self.score.setIcon(icon(sp.SP_MediaPlay))
        # Esc while scoring runs (the action is disabled otherwise, so Esc stays free).
        self.cancel_score = self._action("&Cancel Scoring", jobs.cancel_scoring, Key.Cancel)
        self.cancel_score.setIcon(icon(sp.SP_MediaStop))
        self.export = self._action("&Export Lists and Results…", self.export_dialog, "Ctrl+E")
        self.export.setIcon(icon(sp.SP_DialogSaveButton))
        self.report_exporter = ReportExporter(
            window, jobs, workspace=workspace, registry=registry, report_error=commands.report_error
        )
        self.export_report = self._action(
            "Export &Report (PDF)…", self.report_exporter.export, "Ctrl+Shift+E"
        )
        self.export_report.setIcon(icon(sp.SP_FileDialogDetailedView))
        self.export_data = self._action("Export &Data…", self.export_data_dialog)
        self.compare_runs = self._action("&Compare Runs…", self.compare_runs_dialog)
        self.find = self._action("&Find Site", commands.find_site, Key.Find)
        self.templates = self._action("&Templates…", self.templates_dialog)
        self.settings = self._action("Se&ttings…", self.settings_dialog, Key.Preferences)
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        # Only macOS defines Preferences (⌘,); Ctrl+, is what other apps use elsewhere.
        if self.settings.shortcut().isEmpty():
            self.settings.setShortcut(QKeySequence("Ctrl+,"))
        self.open_data = self._action("Open &Data Folder", commands.open_data_folder)
        self.clean_up = self._action("Clean &Up Data Folder…", clean_up)
        self.refresh = self._action("&Refresh Campaigns", commands.refresh_campaigns, Key.Refresh)
        self.quit = self._action("&Quit", window.close, Key.Quit)
        # Windows defines no standard Quit shortcut; Ctrl+Q is what users of other apps expect.
        if self.quit.shortcut().isEmpty():
            self.quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.about = self._action("&About Caliber", commands.show_about)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        #: View › Go To: the keyboard focus into each dock, Ctrl+1 for the first
        self.go_to = tuple(self._go_to_action(i, dock) for i, dock in enumerate(self.view_docks))
        self._build_menus()
        self._build_toolbar()
        # What needs a scored run is enabled only while one is open.
        self.run_actions = (self.export, self.export_data, self.export_report)
        self.set_run_available(False)

    def _action(self, text: str, slot: object, keys: Key | str | None = None) -> QAction:
        action = QAction(text, self.window)
        if isinstance(keys, str):
            action.setShortcut(QKeySequence(keys))
        elif keys is not None:
            action.setShortcuts(QKeySequence.keyBindings(keys))
        action.triggered.connect(slot)
        return action

    def _go_to_action(self, index: int, dock: QDockWidget) -> QAction:
        action = QAction(f"{dock.windowTitle()}", self.window)
        if index < GO_TO_KEYS:
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        action.triggered.connect(lambda: focus_dock(dock))
        return action

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu = bar.addMenu("&File")
        file_actions: tuple[QAction | None, ...] = (self.import_, self.export, self.export_data)
        file_actions += (self.export_report, None, self.open_data, self.clean_up)
        for action in (*file_actions, self.settings, None):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        file_menu.addAction(self.quit)
        campaign = bar.addMenu("&Campaign")
        for action in (self.new_campaign, self.templates, None, self.score, self.cancel_score):
            campaign.addSeparator() if action is None else campaign.addAction(action)
        campaign.addAction(self.compare_runs)
        view = self.view_menu = bar.addMenu("&View")
        for dock in self.view_docks:
            view.addAction(dock.toggleViewAction())
        go_to = view.addMenu("&Go To")
        for action in self.go_to:
            go_to.addAction(action)
        view.addSeparator()
        view.addAction(self.find)
        view.addAction(self.refresh)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self.window)
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.new_campaign, self.import_, self.score, self.cancel_score, self.export):
            toolbar.addAction(action)
        toolbar.addAction(self.export_report)
        self.window.addToolBar(toolbar)
        self.toolbar = toolbar
        self.view_menu.insertAction(self.find, toolbar.toggleViewAction())

    @Slot(bool)
    def set_run_available(self, available: bool) -> None:
        """What needs a scored run follows whether one is open."""
        for action in self.run_actions:
            action.setEnabled(available)

    # ------------------------------------------------------------------ commands
    @Slot()
    def _score_current(self) -> None:
        campaign = self.selection.current_campaign()
        if campaign is None:
            self.window.statusBar().showMessage("Select a campaign to score first.", 5000)
            return
        self.jobs.score(campaign.id)

    def ask_report_file(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(
            self.window, "Import a performance report", str(Path.home()), REPORT_FILTER
        )
        return Path(name) if name else None

    def open_import_dialog(self, campaign: CampaignRecord, path: Path) -> ImportDialog:
        """The campaign list follows the attach through the registry's ``changed`` signal."""
        dialog = ImportDialog(self.workspace, self.registry, campaign, path, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.score_requested.connect(self.jobs.score_upload)
        dialog.open()
        return dialog

    def ask_new_campaign_then_import(self, path: Path | None) -> NewCampaignDialog:
        """No campaign is selected: create one, then import ``path`` (or ask for a file)."""
        dialog = self.new_campaign_dialog()

        def created(record: object) -> None:
            if isinstance(record, CampaignRecord):
                report = path or self.ask_report_file()
                if report is not None:
                    self.open_import_dialog(record, report)

        dialog.campaign_created.connect(created)
        return dialog

    @Slot()
    def new_campaign_dialog(self) -> NewCampaignDialog:
        dialog = NewCampaignDialog(self.workspace, self.registry, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.campaign_created.connect(self.jobs.campaign_created)
        dialog.open()
        return dialog

    @Slot()
    def templates_dialog(self) -> TemplateManagerDialog:
        dialog = TemplateManagerDialog(self.workspace, self.registry, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def settings_dialog(self) -> SettingsDialog:
        secrets = self.commands.secrets
        dialog = SettingsDialog(
            self.workspace.settings,
            self.workspace.paths.root,
            self.window,
            secrets=secrets,
            registry=self.registry if secrets is not None else None,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._save_settings(dialog))
        # After ``accepted`` (Qt emits it first): the settings are saved and bound by then.
        dialog.finished.connect(self.settings_closed)
        dialog.open()
        return dialog

    def _save_settings(self, dialog: SettingsDialog) -> None:
        """Settings change on the GUI thread; services read them when the next job starts."""
        workspace = self.workspace
        workspace.settings = dialog.result_settings()
        workspace.save_settings()
        workspace.bind(workspace.user)  # services pick up the new thresholds
        self.window.statusBar().showMessage("Settings saved.", 5000)

    @Slot()
    def export_dialog(self) -> None:
        if self.jobs.loaded is None:
            self.window.statusBar().showMessage("Open a scored campaign to export it.", 5000)
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export lists and results to", str(Path.home())
        )
        if folder:
            self.jobs.export(folder)

    @Slot()
    def export_data_dialog(self) -> ExportDialog | None:
        """Results, lists, summary or the full campaign of the open run as CSV/XLSX/JSON."""
        loaded = self.jobs.loaded
        if loaded is None:
            self.window.statusBar().showMessage("Open a scored campaign to export it.", 5000)
            return None
        dialog = ExportDialog(
            self.workspace, self.registry, loaded.campaign_id, loaded.run.id, self.window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def compare_runs_dialog(self) -> CompareDialog | None:
        """Two runs of the selected (or open) campaign side by side."""
        campaign = self.selection.current_campaign()
        campaign_id = campaign.id if campaign is not None else self.jobs.campaign_id
        if campaign_id is None:
            self.window.statusBar().showMessage("Select a campaign to compare its runs.", 5000)
            return None
        dialog = CompareDialog(self.workspace, self.registry, campaign_id, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
