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
#: A screen smaller than this (logical px: a laptop, or a 1080p screen at 150 %) gets a
#: maximised first window; a share of it would leave the results table too narrow.
LAPTOP_SCREEN = (1600, 960)
#: First-run dock widths: share of the window, and the bounds in average characters.
LEFT_SHARE, LEFT_CHARS = 0.15, (20, 44)
RIGHT_SHARE, RIGHT_CHARS = 0.25, (40, 80)
GEOMETRY_KEY = "mainWindow/geometry"
STATE_KEY = "mainWindow/state"
#: Bump when docks change so an old saved layout is not applied to a different set of docks.
#: 4: laptop-first proportions (narrower docks); a version-3 state would bring back docks too
#: wide for the results table on a 1280-px screen, so it is dropped.
STATE_VERSION = 4


class WindowLayout(QObject):
    """Restores the window's geometry and docks, or sizes a first window from the screen.

    A first window gives ``left`` (the campaign list) and ``right`` (the site detail) shares
    of its width, bounded in characters so the results table keeps the room for its decision
    columns on a laptop, and ``bottom`` (the activity) its preferred height. On a laptop-sized
    screen the first window is maximised.
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
        char = max(window.fontMetrics().averageCharWidth(), 1)

        def share(part: float, chars: tuple[int, int]) -> int:
            return min(max(round(width * part), chars[0] * char), chars[1] * char)

        window.resizeDocks(
            [self.left, self.right],
            [share(LEFT_SHARE, LEFT_CHARS), share(RIGHT_SHARE, RIGHT_CHARS)],
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
        if available.width() < LAPTOP_SCREEN[0] or available.height() < LAPTOP_SCREEN[1]:
            window.resize(available.size())
            window.move(available.topLeft())
            window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
            return
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
