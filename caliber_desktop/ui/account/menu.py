"""Who is signed in: the Account menu and the banner shown while working offline.

Both only display and ask: signing out or switching user means network calls and a new workspace
binding, which belong to whoever owns the session (the main window / app), so the menu emits
intents instead of acting. Analysts sharing a machine must always be able to see whose campaigns
they are looking at, hence the "Signed in as …" line, and the local profile says so plainly.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QMenuBar, QVBoxLayout, QWidget

from caliber_desktop.models import labels
from caliber_desktop.ui.shared.locale_format import format_datetime
from caliber_desktop.ui.shared.tones import chip_style

if TYPE_CHECKING:
    from caliber_desktop.services.auth.service import Identity, Session

LOCAL_PROFILE = "Local profile"
OFFLINE_TEXT = "Offline — using your last verified sign-in from {verified}; it expires {until}."


def format_when(moment: datetime) -> str:
    """A moment in the analyst's locale and time zone (stored times are UTC)."""
    return format_datetime(moment)


def offline_text(verified_at: datetime, until: datetime) -> str:
    return OFFLINE_TEXT.format(verified=format_when(verified_at), until=format_when(until))


def who_text(identity: Identity | None, offline: bool = False) -> str:
    """The menu's first line: whose data this window shows."""
    if identity is None:
        return LOCAL_PROFILE
    name = identity.email or identity.display_name or identity.uid
    return f"Signed in as {name}" + (" (offline)" if offline else "")


def role_text(identity: Identity | None, offline: bool = False) -> str:
    """The menu's second line: the role the last verified token gave ("" for the local profile).

    An offline session's role was not verified this run, so it is not claimed.
    """
    if identity is None:
        return ""
    if offline or not identity.role:
        return "Role: not checked while offline"
    return f"Role: {labels.role(identity.role)}"


class AccountMenu(QObject):
    """The "&Account" menu: who am I and my role (disabled lines), Team… (administrators only),
    Sign Out, Switch User…."""

    sign_out_requested = Signal()
    switch_user_requested = Signal()
    team_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.menu = QMenu("&Account", parent)
        self.menu.setObjectName("accountMenu")
        self.who_action = QAction(LOCAL_PROFILE, self.menu)
        self.who_action.setObjectName("whoAmI")
        self.who_action.setEnabled(False)
        self.role_action = QAction("", self.menu)
        self.role_action.setObjectName("myRole")
        self.role_action.setEnabled(False)
        self.team_action = QAction("&Team…", self.menu)
        self.team_action.setObjectName("team")
        self.team_action.setStatusTip("Add, disable, sign out or remove the team's accounts")
        self.team_action.triggered.connect(self.team_requested)
        self.sign_out_action = QAction("Sign &Out", self.menu)
        self.sign_out_action.setObjectName("signOut")
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        self.switch_user_action = QAction("S&witch User…", self.menu)
        self.switch_user_action.setObjectName("switchUser")
        self.switch_user_action.triggered.connect(self.switch_user_requested)
        self.menu.addAction(self.who_action)
        self.menu.addAction(self.role_action)
        self.menu.addSeparator()
        self.menu.addAction(self.team_action)
        self.menu.addAction(self.sign_out_action)
        self.menu.addAction(self.switch_user_action)
        self.set_identity(None, offline=False)

    def install(self, bar: QMenuBar) -> None:
        """Put the menu before Help (where users look for it), or last if there is no Help."""
        help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_action is None:
            bar.addMenu(self.menu)
        else:
            bar.insertMenu(help_action, self.menu)

    def set_identity(self, identity: Identity | None, offline: bool = False) -> None:
        """Show who is signed in; the local profile has no account to leave or switch."""
        self.who_action.setText(who_text(identity, offline))
        self.role_action.setText(role_text(identity, offline))
        self.role_action.setVisible(identity is not None)
        admin = identity is not None and not offline and identity.is_admin
        self.team_action.setVisible(admin)
        self.team_action.setEnabled(admin)
        signed_in = identity is not None
        self.sign_out_action.setEnabled(signed_in)
        self.switch_user_action.setEnabled(signed_in)


class OfflineBanner(QWidget):
    """A strip above the central widget while the app runs on a remembered, unverified sign-in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.label = QLabel(self)
        self.label.setObjectName("offlineBannerText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        self._restyle()
        self.hide()

    def show_offline(self, verified_at: datetime, until: datetime) -> None:
        self.label.setText(offline_text(verified_at, until))
        self.show()

    def set_session(self, session: Session | None) -> None:
        """Shown only for an offline session; its ``expires_at`` is the end of the grace period."""
        if session is None or not session.offline:
            self.label.clear()
            self.hide()
            return
        verified = session.identity.verified_at or session.identity.auth_time
        self.show_offline(verified, session.expires_at)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    @Slot()
    def _restyle(self) -> None:
        self.label.setStyleSheet(chip_style(self.palette(), "warn"))


def with_banner(central: QWidget, banner: OfflineBanner) -> QWidget:
    """A container holding ``banner`` above ``central``, for ``QMainWindow.setCentralWidget``."""
    holder = QWidget(central.parentWidget())
    holder.setObjectName("centralWithBanner")
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(central, stretch=1)
    return holder
