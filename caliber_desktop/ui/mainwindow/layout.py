"""Where the main window is and how its docks are arranged, kept across restarts.

QSettings holds only geometry and dock state (architecture rule 9), in an INI file in the data
dir — never the Windows registry or the real home directory, so tests and portable installs stay
self-contained.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QDockWidget, QMainWindow

from caliber_desktop.ui.mainwindow.activity import ActivityDock

log = logging.getLogger(__name__)

#: Share of the screen a first window takes before the user sizes it.
FIRST_RUN_SCREEN_SHARE = 0.8
GEOMETRY_KEY = "mainWindow/geometry"
STATE_KEY = "mainWindow/state"
#: Bump when docks change so an old saved layout is not applied to a different set of docks.
STATE_VERSION = 3


class WindowLayout(QObject):
    """Restores the window's geometry and docks, or sizes a first window from the screen.

    A first window gives ``left`` (the campaign list) and ``right`` (the site detail) fixed
    shares of its width and ``bottom`` (the activity) its preferred height.
    """

    def __init__(
        self,
        window: QMainWindow,
        path: Path,
        *,
        left: QDockWidget,
        right: QDockWidget,
        bottom: ActivityDock,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.left, self.right, self.bottom = left, right, bottom
        self.settings = QSettings(str(path), QSettings.Format.IniFormat, self)
        self.first_layout = False

    def restore(self) -> None:
        window = self.window
        geometry = self.settings.value(GEOMETRY_KEY)
        if not (isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)):
            self._size_for_first_run()
        state = self.settings.value(STATE_KEY)
        self.first_layout = not (
            isinstance(state, QByteArray) and window.restoreState(state, STATE_VERSION)
        )

    def on_show(self) -> None:
        if self.first_layout:  # dock sizes only take once the window has its real size
            self.first_layout = False
            QTimer.singleShot(0, self._size_docks)

    @Slot()
    def _size_docks(self) -> None:
        """First-run proportions: campaign names and the explanation readable, results widest."""
        window = self.window
        width = max(window.width(), 1)
        window.resizeDocks(
            [self.left, self.right],
            [round(width * 0.17), round(width * 0.27)],
            Qt.Orientation.Horizontal,
        )
        window.resizeDocks([self.bottom], [self.bottom.preferred_height()], Qt.Orientation.Vertical)

    def _size_for_first_run(self) -> None:
        window = self.window
        # Typed as never None, but a headless session can have no screen at all.
        screen: QScreen | None = window.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        window.resize(
            round(available.width() * FIRST_RUN_SCREEN_SHARE),
            round(available.height() * FIRST_RUN_SCREEN_SHARE),
        )
        window.move(available.center() - window.rect().center())

    def save(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.window.saveGeometry())
        self.settings.setValue(STATE_KEY, self.window.saveState(STATE_VERSION))
        self.settings.sync()
        if self.settings.status() is not QSettings.Status.NoError:
            log.warning("could not save the window layout to %s", self.settings.fileName())
