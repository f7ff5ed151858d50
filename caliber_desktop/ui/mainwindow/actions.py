"""The main window's actions, menus and toolbar, and the dialogs they open.

Shortcuts use the platform's standard key sequences where one exists (New, Open, Find, Refresh,
Preferences, Quit), so Ctrl+O on Windows and Linux is ⌘O on macOS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QStyle, QToolBar

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
    from caliber_desktop.ui.mainwindow.window import MainWindow

REPORT_FILTER = (
    f"Performance reports ({' '.join('*' + suffix for suffix in REPORT_SUFFIXES)});;All files (*)"
)
Key = QKeySequence.StandardKey


class WindowActions(QObject):
    """Every command of the window, in its menus and its toolbar."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        style = window.style()
        icon = style.standardIcon
        sp = QStyle.StandardPixmap
        self.new_campaign = self._action("&New Campaign…", self.new_campaign_dialog, Key.New)
        self.new_campaign.setIcon(icon(sp.SP_FileDialogNewFolder))
        self.import_ = self._action("&Import Report…", window.import_report, Key.Open)
        self.import_.setIcon(icon(sp.SP_DialogOpenButton))
        self.score = self._action("&Score Campaign", self._score_current, "Ctrl+Return")
        self.score.setIcon(icon(sp.SP_MediaPlay))
        self.cancel_score = self._action("&Cancel Scoring", window.workbench.cancel_scoring)
        self.cancel_score.setIcon(icon(sp.SP_MediaStop))
        self.export = self._action("&Export Lists and Results…", self.export_dialog, "Ctrl+E")
        self.export.setIcon(icon(sp.SP_DialogSaveButton))
        self.report_exporter = ReportExporter(window)
        self.export_report = self._action(
            "Export &Report (PDF)…", self.report_exporter.export, "Ctrl+Shift+E"
        )
        self.export_report.setIcon(icon(sp.SP_FileDialogDetailedView))
        self.export_data = self._action("Export &Data…", self.export_data_dialog)
        self.compare_runs = self._action("&Compare Runs…", self.compare_runs_dialog)
        self.find = self._action("&Find Site", self._find, Key.Find)
        self.templates = self._action("&Templates…", self.templates_dialog)
        self.settings = self._action("Se&ttings…", self.settings_dialog, Key.Preferences)
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.open_data = self._action("Open &Data Folder", window.open_data_folder)
        self.clean_up = self._action("Clean &Up Data Folder…", window.housekeeper.clean_up)
        self.refresh = self._action("&Refresh Campaigns", window.refresh_campaigns, Key.Refresh)
        self.quit = self._action("&Quit", window.close, Key.Quit)
        # Windows defines no standard Quit shortcut; Ctrl+Q is what users of other apps expect.
        if self.quit.shortcut().isEmpty():
            self.quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.about = self._action("&About Caliber", window.show_about)
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self._build_menus()
        self._build_toolbar()
        # What needs a scored run is enabled only while one is open.
        self.run_actions = (self.export, self.export_data, self.export_report)
        self._run_available(False)
        window.workbench.run_available.connect(self._run_available)

    def _action(self, text: str, slot: object, keys: Key | str | None = None) -> QAction:
        action = QAction(text, self.window)
        if isinstance(keys, str):
            action.setShortcut(QKeySequence(keys))
        elif keys is not None:
            action.setShortcuts(QKeySequence.keyBindings(keys))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu = bar.addMenu("&File")
        file_actions = (self.import_, self.export, self.export_data, self.export_report, None)
        file_actions += (self.open_data, self.clean_up)
        for action in (*file_actions, self.settings, None):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        file_menu.addAction(self.quit)
        campaign = bar.addMenu("&Campaign")
        for action in (self.new_campaign, self.templates, None, self.score, self.cancel_score):
            campaign.addSeparator() if action is None else campaign.addAction(action)
        campaign.addAction(self.compare_runs)
        view = self.view_menu = bar.addMenu("&View")
        for dock in (
            self.window.campaigns_dock,
            self.window.detail_dock,
            self.window.lists_dock,
            self.window.assistant.insights_dock,
            self.window.assistant.chat_dock,
            self.window.activity,
        ):
            view.addAction(dock.toggleViewAction())
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
    def _run_available(self, available: bool) -> None:
        for action in self.run_actions:
            action.setEnabled(available)

    # ------------------------------------------------------------------ commands
    @Slot()
    def _score_current(self) -> None:
        campaign = self.window.campaigns_panel.current_campaign()
        if campaign is None:
            self.window.statusBar().showMessage("Select a campaign to score first.", 5000)
            return
        self.window.workbench.score(campaign.id)

    @Slot()
    def _find(self) -> None:
        self.window.pages.setCurrentWidget(self.window.results_panel)
        self.window.results_panel.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.window.results_panel.search_edit.selectAll()

    def ask_report_file(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(
            self.window, "Import a performance report", str(Path.home()), REPORT_FILTER
        )
        return Path(name) if name else None

    def open_import_dialog(self, campaign: CampaignRecord, path: Path) -> ImportDialog:
        window = self.window
        dialog = ImportDialog(window.workspace, window.registry, campaign, path, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.score_requested.connect(window.workbench.score_upload)
        dialog.finished.connect(lambda _code: window.refresh_campaigns())
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
        window = self.window
        dialog = NewCampaignDialog(window.workspace, window.registry, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.campaign_created.connect(window.workbench.campaign_created)
        dialog.open()
        return dialog

    @Slot()
    def templates_dialog(self) -> TemplateManagerDialog:
        window = self.window
        dialog = TemplateManagerDialog(window.workspace, window.registry, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.templates_changed.connect(window.refresh_campaigns)
        dialog.open()
        return dialog

    @Slot()
    def settings_dialog(self) -> SettingsDialog:
        window = self.window
        dialog = SettingsDialog(
            window.workspace.settings,
            window.workspace.paths.root,
            window,
            secrets=window.secrets,
            registry=window.registry if window.secrets is not None else None,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._save_settings(dialog))
        dialog.open()
        return dialog

    def _save_settings(self, dialog: SettingsDialog) -> None:
        """Settings change on the GUI thread; services read them when the next job starts."""
        workspace = self.window.workspace
        workspace.settings = dialog.result_settings()
        workspace.save_settings()
        workspace.bind(workspace.user)  # services pick up the new thresholds
        self.window.statusBar().showMessage("Settings saved.", 5000)

    @Slot()
    def export_dialog(self) -> None:
        if self.window.workbench.loaded is None:
            self.window.statusBar().showMessage("Open a scored campaign to export it.", 5000)
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export lists and results to", str(Path.home())
        )
        if folder:
            self.window.workbench.export(folder)

    @Slot()
    def export_data_dialog(self) -> ExportDialog | None:
        """Results, lists, summary or the full campaign of the open run as CSV/XLSX/JSON."""
        loaded = self.window.workbench.loaded
        if loaded is None:
            self.window.statusBar().showMessage("Open a scored campaign to export it.", 5000)
            return None
        window = self.window
        dialog = ExportDialog(
            window.workspace, window.registry, loaded.campaign_id, loaded.run.id, window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @Slot()
    def compare_runs_dialog(self) -> CompareDialog | None:
        """Two runs of the selected (or open) campaign side by side."""
        campaign = self.window.campaigns_panel.current_campaign()
        campaign_id = campaign.id if campaign is not None else self.window.workbench.campaign_id
        if campaign_id is None:
            self.window.statusBar().showMessage("Select a campaign to compare its runs.", 5000)
            return None
        window = self.window
        dialog = CompareDialog(window.workspace, window.registry, campaign_id, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
